"""The report pages rendered from hand-made reports: every section, escaping, the chart, links that resolve."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from airflow.sdk import ObjectStoragePath
from attendance_bridge.reporting import pages, publish, run_report
from attendance_bridge.reporting.run_folders import run_folder_name

CODES = {11: {"att_code": None, "description": "Present"}, 12: {"att_code": "T", "description": "Tardy"}}
SCRIPT = "<script>alert(1)</script>"


def sync_report(run_id: str = "manual__2026-03-02T10:00:00+00:00", **changes: object) -> dict:
    """A sync run's report as write_report leaves it, with a hostile triggered_by."""
    report = {
        "report_version": 1,
        "dag_id": "attendance_bridge_sync",
        "run_id": run_id,
        "triggered_by": SCRIPT,
        "status": "succeeded",
        "stopped_at": None,
        "message": None,
        "dry_run": False,
        "school_number": 100,
        "school_name": "Lincoln & <High>",
        "parameters": {"school_number": 100, "year": 35},
        "resolved": {
            "yearid": 35,
            "school_year": "2025-2026",
            "start_date": "2025-08-18",
            "end_date": "2026-06-05",
            "direction": "meeting_to_daily",
            "auto_direction": "meeting_to_daily",
            "direction_differs_from_auto": False,
            "absent_periods": "all_periods",
        },
        "preconditions": [
            {"rule": rule, "status": "passed", "detail": f"{rule} detail"} for rule in ("P1", "P2", "P3", "P4", "P5")
        ]
        + [{"rule": "P6", "status": "failed", "detail": "code <X> has no presence status"}],
        "checks": [
            {
                "rule": "P6",
                "suite": "s",
                "expectation": "expect_column_values_to_be_in_set",
                "description": "codes exist",
                "critical": True,
                "passed": True,
                "message": "",
            },
        ],
        "candidate_checks": [],
        "counts": {"source_records_read": 9558, "candidates": 7, "inserted": 7, "conflicts": 2, "mismatches": 0},
        "by_date_and_code": [
            {
                "att_date": "2026-03-02",
                "att_mode_code": "ATT_ModeDaily",
                "attendance_codeid": 12,
                "att_code": "T",
                "description": "Tardy",
                "records": 3,
            },
            {
                "att_date": "2026-03-04",
                "att_mode_code": "ATT_ModeDaily",
                "attendance_codeid": 11,
                "att_code": None,
                "description": "Present",
                "records": 2,
            },
            {
                "att_date": "2026-03-17",
                "att_mode_code": "ATT_ModeDaily",
                "attendance_codeid": 12,
                "att_code": "T",
                "description": "Tardy",
                "records": 2,
            },
        ],
        "timings": {"check_parameters": 0.1, "load_missing_records": 1.25, "write_report": None},
        "written_at": "2026-03-02T10:05:00+00:00",
    }
    return report | changes


def conflicts() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "studentid": [1000110, 1000209],
            "att_date": pd.to_datetime(["2026-03-02", "2026-03-03"]).astype("datetime64[ms]"),
            "kept_attendance_codeid": [12, 11],
            "rule": ["M2", "<b>M2</b>"],
        }
    )


def write_run(base: Path, report: dict, frames: dict[str, pd.DataFrame] | None = None) -> ObjectStoragePath:
    """A run's report folder as the sync leaves it (report.json, CSVs, validation results)."""
    folder = ObjectStoragePath(f"file://{base}") / f"school_{report['school_number']}" / _folder(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))
    (folder / "preconditions_validation.json").write_text("{}")
    frames = {"conflicts": conflicts(), "mismatches": conflicts().iloc[0:0]} if frames is None else frames
    publish.write_detail_csvs(folder, frames, CODES)
    return folder


def _folder(report: dict) -> str:
    """The report folder's name of the run a report document is of."""
    return run_folder_name(report["dag_id"], report["run_id"])


class Links(HTMLParser):
    """Every href and src of a page, and the rect elements of its SVG."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.rects: list[dict[str, str | None]] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [value for name, value in attrs if name in ("href", "src") and value]
        if tag == "rect":
            self.rects.append(found)
        if found.get("id"):
            self.ids.add(found["id"])


def parsed(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text())
    return parser


def assert_links_resolve(page: Path) -> list[str]:
    links = parsed(page).links
    for link in links:
        assert not re.match(r"^[a-z]+:", link), f"{page.name} links outside the report folder: {link}"
        assert (page.parent / link).resolve().is_file(), f"{page.name} links to {link}, which does not exist"
    return links


def test_the_run_page_has_every_section_escapes_everything_and_links_only_to_files_that_exist(tmp_path) -> None:
    folder = write_run(tmp_path, sync_report())
    publish.publish_index(ObjectStoragePath(f"file://{tmp_path}"))
    page = Path(publish.render_run_page(folder).path)
    html = page.read_text()
    found = parsed(page)

    assert {"parameters", "preconditions", "counts", "chart", "conflicts", "timings", "validation"} <= found.ids
    assert "<title>Attendance bridge run for school 100 (Lincoln &amp; &lt;High&gt;): succeeded</title>" in html
    assert SCRIPT not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>M2</b>" not in html and "&lt;b&gt;M2&lt;/b&gt;" in html
    assert "code &lt;X&gt; has no presence status" in html
    assert re.search(r'data-count="source_records_read"><th>[^<]+</th><td class="number">9,558<', html)
    assert "Tue 03 Mar 2026" not in html and "2026-03-03" in html  # table dates as dates, not timestamps
    assert "T (Tardy)" in html and "Present (no code)" in html
    assert "<script" not in html  # the run page needs no script
    links = assert_links_resolve(page)
    assert {"conflicts.csv", "mismatches.csv", "preconditions_validation.json", "../../index.html"} <= set(links)
    assert "candidates_validation.json" not in links and "data_docs/index.html" not in links


def test_the_chart_stacks_one_bar_per_week_and_code() -> None:
    page = pages.run_page(sync_report(), [], None, {"index": "i", "report_json": "r"})
    parser = Links()
    parser.feed(page)
    bars = [rect for rect in parser.rects if rect.get("class") == "bar"]
    # Week of 2 March: T 3 and Present 2 stacked; week of 9 March empty; week of 16 March: T 2.
    assert [(bar["data-code"], int(bar["data-records"])) for bar in bars] == [
        ("Present (no code)", 2), ("T (Tardy)", 3), ("T (Tardy)", 2),
    ]  # fmt: skip
    first, second, third = bars
    assert first["x"] == second["x"] != third["x"]
    assert float(second["y"]) + float(second["height"]) == pytest.approx(float(first["y"]))
    assert float(second["height"]) == pytest.approx(1.5 * float(first["height"]))
    assert "<table" not in page.split('id="chart"')[1].split("</svg>")[0]


def test_a_run_without_records_says_so_instead_of_drawing_an_empty_chart() -> None:
    page = pages.run_page(sync_report(by_date_and_code=[]), [], None, {"index": "i", "report_json": "r"})
    assert "<svg" not in page and 'id="no-chart"' in page


def test_data_docs_are_linked_when_the_run_has_them(tmp_path) -> None:
    folder = write_run(tmp_path, sync_report())
    (folder / "data_docs").mkdir()
    (folder / "data_docs" / "index.html").write_text("<html></html>")
    page = Path(publish.render_run_page(folder).path)
    assert "data_docs/index.html" in parsed(page).links


def test_a_rolled_back_run_says_when_and_by_whom_and_the_index_shows_it(tmp_path) -> None:
    sync = sync_report()
    folder = write_run(tmp_path, sync)
    rollback = {
        "dag_id": "attendance_bridge_rollback", "run_id": "manual__2026-03-05T09:00:00+00:00", "triggered_by": "auditor",
        "parameters": {"school_number": 100, "run_id": sync["run_id"]}, "status": "succeeded",
        "outcome": "rolled_back", "message": "rolled back", "school_number": 100, "sync_run_id": sync["run_id"],
        "sync_dag_id": sync["dag_id"],
        "deleted": {"attendance": 7, "attendance_time": 7}, "rolled_back_at": "2026-03-05T09:00:03+00:00",
        "rolled_back_by": "jane <admin>", "rollback_run_id": "manual__2026-03-05T09:00:00+00:00",
        "timings": {"plan_rollback": 0.2, "roll_back": 0.3}, "written_at": "2026-03-05T09:00:04+00:00",
    }  # fmt: skip
    rollback_folder = write_run(tmp_path, rollback, frames={})
    base = ObjectStoragePath(f"file://{tmp_path}")
    publish.publish_rollback(rollback_folder)

    html = Path((folder / "report.html").path).read_text()
    assert 'id="rolled-back"' in html and "2026-03-05 09:00 UTC" in html and "jane &lt;admin&gt;" in html
    assert '<span class="status status-rolled-back" id="run-status">rolled back</span>' in html
    assert f"../{_folder(rollback)}/report.html" in assert_links_resolve(Path((folder / "report.html").path))
    assert "../" + _folder(sync) + "/report.html" in assert_links_resolve(
        Path((rollback_folder / "report.html").path)
    )
    index = Path((base / "index.html").path).read_text()
    assert re.search(r'data-school="100" data-status="rolled back">\s*<td>2026-03-02 10:05 UTC', index)


def test_the_index_lists_every_run_newest_first_and_filters_by_school_and_status(tmp_path) -> None:
    base = ObjectStoragePath(f"file://{tmp_path}")
    runs = [
        sync_report("manual__2026-03-01", written_at="2026-03-01T08:00:00+00:00"),
        sync_report("manual__2026-03-03", written_at="2026-03-03T08:00:00+00:00", status="failed"),
        sync_report("manual__2026-03-02", written_at="2026-03-02T08:00:00+00:00", school_number=200),
    ]
    for run in runs:
        write_run(tmp_path, run)
    index = Path(publish.publish_index(base).path)
    html = index.read_text()
    rows = re.findall(r'<tr class="run" data-school="(\d+)" data-status="(\w+)">', html)
    assert rows == [("100", "failed"), ("200", "succeeded"), ("100", "succeeded")]
    assert re.findall(r'<a href="school_\d+/([^/]+)/report.html">', html) == [
        "attendance_bridge_sync~manual__2026-03-03", "attendance_bridge_sync~manual__2026-03-02",
        "attendance_bridge_sync~manual__2026-03-01",
    ]  # fmt: skip
    assert 'id="school-filter"' in html and 'id="status-filter"' in html
    assert '<form id="filters" hidden>' in html  # without script: no filter, every row shown
    assert SCRIPT not in html
    for run in runs:
        publish.render_run_page(ObjectStoragePath(f"file://{tmp_path}/school_{run['school_number']}/{_folder(run)}"))
    assert_links_resolve(index)


def test_an_index_writer_that_listed_before_another_run_finished_still_leaves_that_run_in(
    tmp_path, monkeypatch
) -> None:
    base = ObjectStoragePath(f"file://{tmp_path}")
    write_run(tmp_path, sync_report("first"))
    real = publish.report_files
    calls = []

    def listing_then_another_run_lands(where):
        found = real(where)
        if not calls:  # after our first listing, another worker writes its report (and its index)
            write_run(tmp_path, sync_report("second"))
        calls.append(found)
        return found

    monkeypatch.setattr(publish, "report_files", listing_then_another_run_lands)
    html = Path(publish.publish_index(base).path).read_text()
    assert "attendance_bridge_sync~second/report.html" in html and "attendance_bridge_sync~first/report.html" in html
    assert not list(Path(tmp_path).glob(".*.tmp"))


def test_an_unreadable_report_is_left_out_of_the_index_not_every_run(tmp_path) -> None:
    write_run(tmp_path, sync_report("good"))
    broken = Path(tmp_path) / "school_100" / "broken"
    broken.mkdir()
    (broken / "report.json").write_text("{ half a report")
    html = Path(publish.publish_index(ObjectStoragePath(f"file://{tmp_path}")).path).read_text()
    assert "school_100/attendance_bridge_sync~good/report.html" in html and "broken" not in html


def test_the_detail_csv_holds_every_row_with_codes_described() -> None:
    frame = pages.detail_frame(conflicts(), CODES)
    assert list(frame.columns) == ["studentid", "att_date", "kept_attendance_codeid", "kept_attendance_code", "rule"]
    assert frame["att_date"].tolist() == ["2026-03-02", "2026-03-03"]
    assert frame["kept_attendance_code"].tolist() == ["T (Tardy)", "Present (no code)"]


NUMBERS = {1000110: 20240110, 1000209: 20240209}


def test_the_detail_csv_puts_the_student_number_beside_the_student_id() -> None:
    frame = pages.detail_frame(conflicts(), CODES, {1000110: 20240110})
    assert list(frame.columns) == [
        "studentid", "student_number", "att_date", "kept_attendance_codeid", "kept_attendance_code", "rule",
    ]  # fmt: skip
    assert frame["studentid"].tolist() == [1000110, 1000209]
    assert frame["student_number"].tolist() == ["20240110", ""]  # a student not found: blank
    assert run_report.student_ids([conflicts(), conflicts().iloc[0:1], pd.DataFrame({"rule": []})]) == [
        1000110, 1000209,
    ]  # fmt: skip


def test_the_run_page_shows_students_by_student_number_and_the_csv_keeps_the_id(tmp_path) -> None:
    report = sync_report()
    folder = ObjectStoragePath(f"file://{tmp_path}") / "school_100" / _folder(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))
    publish.write_detail_csvs(folder, {"conflicts": conflicts()}, CODES, NUMBERS)
    html = Path(publish.render_run_page(folder).path).read_text()

    table = html[html.index('id="conflicts"') :]
    header = re.search(r"<tr>(.*?)</tr>", table, flags=re.DOTALL).group(1)
    assert re.findall(r"<th>([^<]+)</th>", header)[0] == "Student number" and "Student id</th>" not in header
    assert "<td>20240110</td>" in table and "<td>20240209</td>" in table
    assert "<td>1000110</td>" not in table and "<td>1000209</td>" not in table
    assert "Students are shown by their student number" in html and "identified by their student id" not in html
    csv_text = Path((folder / "conflicts.csv").path).read_text().splitlines()
    assert csv_text[0].startswith("studentid,student_number,att_date,")
    assert csv_text[1].startswith("1000110,20240110,2026-03-02,")


def test_a_student_without_a_number_is_shown_by_id(tmp_path) -> None:
    report = sync_report()
    folder = write_run(tmp_path, report, frames={})
    publish.write_detail_csvs(folder, {"conflicts": conflicts()}, CODES, {1000110: 20240110})
    html = Path(publish.render_run_page(folder).path).read_text()
    assert "<td>20240110</td>" in html and "<td>id 1000209</td>" in html


def test_without_student_numbers_the_page_shows_ids_and_says_why(tmp_path) -> None:
    folder = write_run(tmp_path, sync_report())  # write_detail_csvs without numbers: they could not be read
    assert "student_number" not in Path((folder / "conflicts.csv").path).read_text()
    html = Path(publish.render_run_page(folder).path).read_text()
    assert "<th>Student id</th>" in html and "<td>1000110</td>" in html
    assert "their student numbers could not be read" in html


@pytest.mark.parametrize(
    ("recorded", "shown"),
    [
        ("dag_test", "run from the command line (airflow dags test)"),
        ("admin (ui)", "admin, from the Airflow UI"),
        ("auditor (rest_api)", "auditor, through the REST API"),
        ("(timetable)", "on its schedule"),
        ("(backfill)", "by a backfill"),
        ("auditor", "auditor"),
        (None, "unknown"),
        ("someone (a_new_way)", "someone, a_new_way"),
    ],
)
def test_who_triggered_a_run_is_said_in_words_not_airflow_s_internal_names(recorded, shown: str) -> None:
    assert pages.who_triggered(recorded) == shown


def test_a_failed_check_that_is_not_critical_shows_as_a_warning_beside_p1_to_p6_in_words(tmp_path) -> None:
    """Issue 20, point 4: DQ1 is in the preconditions' table, not only in the collapsed list of expectations;
    and the page names no task id or Airflow user an auditor would have to decode (point 5)."""
    dq1 = {
        "rule": "DQ1", "suite": "data_quality_enrolments", "expectation": "expect_column_values_to_be_in_set",
        "description": "every enrolment leaves after the day it starts (dateleft is exclusive)", "critical": False,
        "passed": False,
        "message": "the enrolment cc.id 2002139 of student 1000194 (2025-11-14 to 2025-11-14) ends before it starts",
    }  # fmt: skip
    upstream = {"check_parameters": {"school_number": 100}, "validate_preconditions": {"checks": [dq1]}}
    document = run_report.run_report("attendance_bridge_sync", "manual__1", "dag_test", {}, upstream, None, [], None)
    html = pages.run_page(document, [], None, {"index": "i", "report_json": "r"})

    shown = html.split('id="preconditions"')[1].split("<details")[0]
    assert re.search(
        r'<tr class="precondition" data-status="warning" data-rule="DQ1"><td>DQ1</td>'
        r"<td>every enrolment leaves after the day it starts \(dateleft is exclusive\)</td>\s*"
        r'<td><span class="status status-warning">warning</span></td>'
        r"<td>the enrolment cc.id 2002139 of student 1000194 \(2025-11-14 to 2025-11-14\) ends before it starts</td>",
        shown,
    )
    assert len(re.findall(r'data-rule="P\d"', shown)) == 6
    assert "check_parameters" not in html and "dag_test" not in html
    assert "checked in the SIS when the run started" in shown


def test_the_index_tells_a_night_from_an_end_of_term_and_a_night_s_summary_has_no_terms_column(tmp_path: Path) -> None:
    """Issue 29's newcomer check: nights were listed under "End-of-term reconciliations", with a "Terms" column
    that a night never fills, and a quiet night's page said "The counts say what apply mode would add"."""
    from attendance_bridge.catalog import END_OF_TERM_DAG_ID, NIGHTLY_DAG_ID
    from attendance_bridge.domain.reconciliation import district_summary

    day = {"first_day": "2026-07-15", "last_day": "2026-07-15", "timezone": "UTC", "mode": "report"}
    base = ObjectStoragePath(f"file://{tmp_path}")
    for dag_id in (NIGHTLY_DAG_ID, END_OF_TERM_DAG_ID):
        summary = {**district_summary("scheduled__q", day, [], [], {}, {}, dag_id), "written_at": "2026-07-16T02:01"}
        folder = tmp_path / "district" / run_folder_name(dag_id, "scheduled__q")
        folder.mkdir(parents=True)
        (folder / "summary.json").write_text(json.dumps(summary))
        page = pages.district_summary_page(summary)
        assert "Nothing to reconcile on 2026-07-15" in page and "The counts say what apply mode would add" not in page

    rows = publish.district_summaries(base)
    assert sorted(row["kind"] for row in rows) == ["end of term", "nightly bridge"]
    index = pages.index_page([], rows)
    assert "District runs: end of term and nightly bridge" in index and "End-of-term reconciliations" not in index
    assert "<td>nightly bridge</td>" in index and "<td>end of term</td>" in index

    planned = [{"key": "school_100_meeting_to_daily", "school_number": 100, "school_name": "Lincoln", "yearid": 35,
                "start_date": "2025-10-06", "end_date": "2025-10-06", "direction": "meeting_to_daily",
                "conf": {"dry_run": True}}]  # fmt: skip
    night = district_summary("n", {**day, "first_day": "2025-10-06", "last_day": "2025-10-06"}, planned, [],
                             {"school_100_meeting_to_daily": None}, {}, NIGHTLY_DAG_ID)  # fmt: skip
    assert "<th>Terms</th>" not in pages.district_summary_page(night)
    year_end = district_summary("e", day, planned, [], {"school_100_meeting_to_daily": None}, {}, END_OF_TERM_DAG_ID)
    assert "<th>Terms</th>" in pages.district_summary_page(year_end)


@pytest.mark.parametrize("dag_id", ["attendance_bridge_nightly", "attendance_bridge_end_of_term"])
def test_the_district_summary_has_a_column_and_a_total_for_each_count_of_the_copies_followed(dag_id: str) -> None:
    """F8: recoded, withdrawn and edited-not-followed per school and for the district; a school whose run did not
    follow its copies has blank cells there, not zeros it never counted."""
    from attendance_bridge.domain.reconciliation import district_summary

    planned = [
        {"key": f"school_{school}", "school_number": school, "school_name": f"School {school}", "yearid": 35,
         "start_date": "2026-02-02", "end_date": "2026-02-02", "direction": "meeting_to_daily",
         "conf": {"dry_run": False}}
        for school in (100, 200, 300)
    ]  # fmt: skip
    follows = {"inserted": 1, "recoded": 1_200, "withdrawn": 4, "edited_not_followed": 1}
    reports = {
        "school_100": sync_report(counts=follows),
        "school_200": sync_report(counts={**follows, "recoded": 3, "withdrawn": 0}),
        "school_300": sync_report(counts={"inserted": 2}),  # follow_sources off
    }
    day = {"first_day": "2026-02-02", "last_day": "2026-02-02", "timezone": "UTC", "mode": "apply"}
    html = pages.district_summary_page(district_summary("q", day, planned, [], reports, {}, dag_id))

    table = html.split('id="school-rows"')[1].split("</table>")[0]
    headings = re.findall(r"<th>([^<]+)</th>", table.split("</tr>")[0])
    columns = {"Recoded": "1,203", "Withdrawn": "4", "Edited, not followed": "2", "Added": "4"}
    assert set(columns) <= set(headings)
    totals = re.findall(r'<td class="number"><strong>([^<]*)</strong></td>', table)
    counted = headings[-len(totals) :]
    assert {heading: totals[counted.index(heading)] for heading in columns} == columns
    rows = re.findall(r'<tr class="school" data-school="(\d+)".*?</tr>', table, flags=re.DOTALL)
    assert rows == ["100", "200", "300"]
    third = re.findall(r'<td class="number">([^<]*)</td>', table.split('data-school="300"')[1].split("</tr>")[0])
    assert third[counted.index("Recoded")] == "" and third[counted.index("Added")] == "2"


def test_a_rollback_of_a_run_that_followed_copies_says_what_it_restored_and_the_run_page_says_it_too(tmp_path) -> None:
    """F6, F8: the rollback page and the page of the run it undid say how many recodes were undone and withdrawn
    copies restored, from the run log's rollback_counts as the rollback task reports them."""
    sync = sync_report(counts={"inserted": 0, "recoded": 2, "withdrawn": 1, "edited_not_followed": 0})
    folder = write_run(tmp_path, sync)
    restored = {"recodes_undone": 2, "withdrawals_undone": 1, "attendance_time_restored": 1,
                "withdrawn_by_later_runs": 0, "nothing_to_undo": 0}  # fmt: skip
    rollback = {
        "dag_id": "attendance_bridge_rollback", "run_id": "manual__2026-03-05T09:00:00+00:00", "triggered_by": "auditor",
        "parameters": {"school_number": 100, "run_id": sync["run_id"]}, "status": "succeeded",
        "outcome": "rolled_back", "message": "rolled back", "school_number": 100, "sync_run_id": sync["run_id"],
        "sync_dag_id": sync["dag_id"], "deleted": {"attendance": 0, "attendance_time": 0}, "restored": restored,
        "rolled_back_at": "2026-03-05T09:00:03+00:00", "rolled_back_by": "jane",
        "rollback_run_id": "manual__2026-03-05T09:00:00+00:00", "written_at": "2026-03-05T09:00:04+00:00",
    }  # fmt: skip
    rollback_folder = write_run(tmp_path, rollback, frames={})
    publish.publish_rollback(rollback_folder)

    undone = Path((rollback_folder / "report.html").path).read_text()
    shown = dict(re.findall(r'<tr class="restored" data-count="(\w+)"><th>[^<]+</th><td class="number">(\d+)<', undone))
    assert shown == {"recodes_undone": "2", "withdrawals_undone": "1", "attendance_time_restored": "1"}
    notice = Path((folder / "report.html").path).read_text().split('id="rolled-back"')[1].split("</div>")[0]
    assert "2 of the copies it recoded have their previous code again, and 1 it withdrew are back in the SIS" in notice

    plain = {**rollback, "restored": {}}
    assert 'class="restored"' not in pages.rollback_page(plain, {"index": "i"})
    nothing_back = {**rollback, "restored": {**restored, "recodes_undone": 0, "withdrawals_undone": 0}}
    assert 'class="restored"' not in pages.rollback_page(nothing_back, {"index": "i"})
