"""F8: the copies a run followed, listed in its report: on the page with a sentence per reason, and as CSV.

The frame is the compute task's staged judgement (``db.follow.copy_changes``), written here by hand.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import markupsafe
import pandas as pd
from airflow.sdk import ObjectStoragePath
from attendance_bridge.domain.follow import (
    CHANGED_BY_A_PERSON,
    CODE_CHANGED,
    JUDGEMENT_DTYPES,
    REASONS,
    SOURCE_DELETED,
    VERDICT_OF_REASON,
)
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.followed_copies import (
    REASON_SENTENCES,
    VERDICT_WORDS,
    followed_by_reason,
    followed_table,
)

from tests.reporting.test_csv_cells import FORMULA_CODE, FORMULA_DESCRIPTION, first_characters_a_spreadsheet_runs
from tests.reporting.test_detail_columns import shown_table
from tests.reporting.test_pages import CODES, SCRIPT, _folder, conflicts, sync_report

ABSENT, PRESENT = 21, 11
FOLLOW_CODES = {**CODES, ABSENT: {"att_code": "A", "description": "Absent"}}
PERIODS = pd.DataFrame({"id": [1041, 1042, 1043], "period_number": [1, 2, 3], "name": ["Period 1", "", "Period 3"]})
NUMBERS = {1000110: 20240110, 1000209: 20240209}
BUILT_BY = "scheduled__2026-02-03T02:00:00+00:00"


def followed() -> pd.DataFrame:
    """What the compute task stages: a Meeting copy recoded, a Daily copy withdrawn, a Meeting copy a person
    changed (in a period without a name), in no particular order."""
    return (
        pd.DataFrame(
            {
                "attendance_id": [10030002, 10030001, 10030003],
                "source_attendance_id": [10000002, 10000001, 10000003],
                "studentid": [1000209, 1000110, 1000110],
                "att_date": pd.to_datetime(["2026-02-04", "2026-02-03", "2026-02-04"]),
                "att_mode_code": ["ATT_ModeDaily", "ATT_ModeMeeting", "ATT_ModeMeeting"],
                "ccid": [0, 2002001, 2002002],
                "periodid": [0, 1041, 1042],
                "attendance_codeid": [ABSENT, ABSENT, ABSENT],
                "verdict": ["withdraw", "recode", "edited"],
                "new_attendance_codeid": [None, PRESENT, None],
                "reason": [SOURCE_DELETED, CODE_CHANGED, CHANGED_BY_A_PERSON],
                "dag_id": ["attendance_bridge_nightly"] * 3,
                "run_id": [BUILT_BY] * 3,
            }
        )
        .astype(JUDGEMENT_DTYPES)
        .assign(source_md5=[None, "a" * 32, "b" * 32])
    )


def report_folder(tmp_path: Path, frame: pd.DataFrame, **changes: object) -> ObjectStoragePath:
    """A run's report folder with the followed copies written as write_report writes them."""
    report = sync_report(followed_by_reason=followed_by_reason(frame), **changes)
    folder = ObjectStoragePath(f"file://{tmp_path}") / "school_100" / _folder(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))
    publish.write_detail_csvs(folder, {"followed": followed_table(frame, PERIODS)}, FOLLOW_CODES, NUMBERS)
    return folder


def test_every_reason_a_copy_is_followed_for_has_its_sentence_and_every_change_its_words() -> None:
    assert set(REASON_SENTENCES) == set(REASONS)
    assert set(VERDICT_WORDS) == set(VERDICT_OF_REASON.values()) - {"current"}
    assert REASON_SENTENCES[CODE_CHANGED] == (
        "the teacher or the office changed the code of the record this copy was built from, so the copy now "
        "carries that code; its id and time stay (F3)"
    )


def test_the_list_names_the_period_the_old_and_new_code_and_the_run_that_built_each_copy() -> None:
    table = followed_table(followed(), PERIODS)

    assert list(table.columns) == [
        "studentid", "att_date", "period", "att_mode_code", "old_attendance_codeid", "new_attendance_codeid",
        "verdict", "reason", "built_by_run_id", "attendance_id", "source_attendance_id", "ccid", "periodid",
        "built_by_dag_id",
    ]  # fmt: skip
    # By day, student and period; a Daily record has no period, a period without a name is said by its number.
    assert table["attendance_id"].tolist() == [10030001, 10030003, 10030002]
    assert table["period"].tolist() == ["Period 1", "period 2", ""]
    assert table["new_attendance_codeid"].tolist()[0] == PRESENT and table["new_attendance_codeid"].isna().tolist() == [
        False, True, True,
    ]  # fmt: skip
    assert "period" not in followed_table(followed(), None).columns  # the periods could not be read: ids only


def test_the_reasons_are_counted_in_the_order_they_are_judged() -> None:
    frame = pd.concat([followed(), followed().iloc[[0]]], ignore_index=True)
    assert [(row["reason"], row["verdict"], row["copies"], row["what_happened"]) for row in followed_by_reason(frame)] == [
        (CHANGED_BY_A_PERSON, "edited", 1, "left as a person edited it"),
        (SOURCE_DELETED, "withdraw", 2, "withdrawn"),
        (CODE_CHANGED, "recode", 1, "recoded"),
    ]  # fmt: skip
    assert followed_by_reason(followed().iloc[0:0]) == []


def test_the_page_lists_each_copy_in_words_and_says_per_reason_what_happened_and_why(tmp_path: Path) -> None:
    folder = report_folder(tmp_path, followed())
    publish.write_detail_csvs(folder, {"conflicts": conflicts()}, FOLLOW_CODES, NUMBERS)
    html = Path(publish.render_run_page(folder).path).read_text()

    assert html.index('id="followed"') < html.index('id="conflicts"')  # the run's own changes to the SIS first
    headings, row = shown_table(html, "followed")
    assert headings[:9] == [
        "Student number", "Date", "Period", "Kind", "Old code", "New code", "What happened", "Why", "Built by run",
    ]  # fmt: skip
    assert row[:9] == [
        "20240110", "2026-02-03", "Period 1", "Meeting", "A (Absent)", "Present (no code)", "recoded", CODE_CHANGED,
        BUILT_BY,
    ]  # fmt: skip
    section = html.split('id="followed"')[1].split("<h2")[0]
    assert "<td>left as a person edited it</td>" not in section  # words, which may wrap: a "text" cell
    assert '<td class="text">left as a person edited it</td>' in section
    assert "Copies followed: recoded, withdrawn, or left as a person edited them (F8) (3)" in html
    assert '<a class="csv" href="followed.csv" download>' in section
    reasons = re.findall(r'<li data-reason="([^"]+)"><strong>[^<]+</strong> \(([^)]+)\): ([^<]+)</li>', section)
    assert reasons == [
        (reason, how_many, f"{markupsafe.escape(REASON_SENTENCES[reason])}.")
        for reason, how_many in (
            (CHANGED_BY_A_PERSON, "1 copy, left as a person edited it"),
            (SOURCE_DELETED, "1 copy, withdrawn"),
            (CODE_CHANGED, "1 copy, recoded"),
        )
    ]
    assert "the rollback of this run puts both back" in section and "This dry run" not in section
    with Path((folder / "followed.csv").path).open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["verdict"] for row in rows] == ["recode", "edited", "withdraw"]
    assert rows[0]["studentid"] == "1000110" and rows[0]["student_number"] == "20240110"
    assert (rows[0]["old_attendance_codeid"], rows[0]["new_attendance_codeid"]) == (str(ABSENT), str(PRESENT))
    assert rows[0]["built_by_dag_id"] == "attendance_bridge_nightly" and "source_md5" not in rows[0]


def test_a_dry_run_says_what_a_run_that_writes_would_do(tmp_path: Path) -> None:
    html = Path(publish.render_run_page(report_folder(tmp_path, followed(), dry_run=True)).path).read_text()
    section = html.split('id="followed"')[1].split("<h2")[0]
    assert "This dry run changed nothing" in section and "(1 copy, would be recoded)" in section


def test_a_run_that_followed_and_found_nothing_says_none_without_explaining(tmp_path: Path) -> None:
    html = Path(publish.render_run_page(report_folder(tmp_path, followed().iloc[0:0])).path).read_text()
    section = html.split('id="followed"')[1].split("<h2")[0]
    assert "(0)" in html.split('id="followed"')[1].split("</h2>")[0] and "None." in section
    assert 'id="followed-intro"' not in section and 'href="followed.csv"' in section


def test_sis_text_in_the_list_stays_text_on_the_page_and_in_the_csv(tmp_path: Path) -> None:
    """Issue 18 and 30's patterns: a period's name, a code and a student number from the SIS, hostile."""
    periods = PERIODS.assign(name=[f"={SCRIPT}", "-1+1", SCRIPT])
    codes = {**FOLLOW_CODES, ABSENT: {"att_code": FORMULA_CODE, "description": FORMULA_DESCRIPTION + SCRIPT}}
    report = sync_report(followed_by_reason=followed_by_reason(followed()))
    folder = ObjectStoragePath(f"file://{tmp_path}") / "school_100" / _folder(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))
    publish.write_detail_csvs(
        folder, {"followed": followed_table(followed(), periods)}, codes, {1000110: "@SUM(1)", 1000209: SCRIPT}
    )

    with Path((folder / "followed.csv").path).open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert not first_characters_a_spreadsheet_runs(rows)
    html = Path(publish.render_run_page(folder).path).read_text()
    assert SCRIPT not in html
    section = html.split('id="followed"')[1].split("<h2")[0]
    for text in (f"={SCRIPT}", "-1+1", "@SUM(1)", f"{FORMULA_CODE} ({FORMULA_DESCRIPTION}{SCRIPT})"):
        assert f">{markupsafe.escape(text)}</td>" in section, text
