"""The end-of-term DAG (issue 6) on the demo district, in a real PostgreSQL, run with ``dag.test()``.

Both demo schools have the same terms: the year (2025-08-18 to 2026-06-05), Semester 1 (to
Friday 2026-01-16) and Semester 2 (from 2026-01-20 to the end of the year). The DAG runs at 02:00
UTC (the tests' district timezone) for the day before. ``dag.test()`` makes a manual run, whose data
interval Airflow infers as the day that ends at its logical date: the run at 2026-06-06T02:00Z covers
5 June, the last day of the year term and of Semester 2, so each school's sync covers the whole year.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from attendance_bridge.domain.reconciliation import school_run_id
from attendance_bridge.reporting.run_folders import run_folder_name

from tests.reporting.test_pages_in_browser import ARTIFACTS, open_in_browser, title
from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    Sandbox,
    assert_landed_exactly,
    expected_records,
    new_records,
    parsed_dag,
    reconcile_by_hand,
    rows_before,
    snapshot,
)

pytestmark = pytest.mark.integration

DAG_ID = "attendance_bridge_end_of_term"
GROUP = "reconcile_school"
# The run whose data interval is 5 June (a term end for both schools), and one whose is 14 January.
TERM_END_RUN = datetime(2026, 6, 6, 2, tzinfo=UTC)
NO_TERM_END_RUN = datetime(2026, 1, 15, 2, tzinfo=UTC)
# The direction auto picks from each demo school's current recording method (P3).
AUTO_DIRECTION = {100: "meeting_to_daily", 200: "daily_to_meeting"}


@pytest.fixture(scope="module")
def end_of_term_dag():
    """The end-of-term DAG as Airflow parses it."""
    return parsed_dag(DAG_ID)


def run_end_of_term(dag, logical_date: datetime, **conf: object):
    """One run of the end-of-term DAG for the interval starting at ``logical_date``: the DAG run."""
    return dag.test(logical_date=logical_date, run_conf=conf or None)


def summary_of(sandbox: Sandbox, run) -> dict:
    """The district summary the run wrote."""
    path = sandbox.reports / "district" / run_folder_name(run.dag_id, run.run_id) / "summary.json"
    assert path.exists(), f"no district summary at {path}"
    return json.loads(path.read_text())


def summary_page_path(sandbox: Sandbox, run) -> str:
    """The district summary page the run wrote."""
    return str(sandbox.reports / "district" / run_folder_name(run.dag_id, run.run_id) / "summary.html")


def school_report(sandbox: Sandbox, run, school: int) -> dict:
    """The run report of one school's sync inside the end-of-term run."""
    school_run = run_folder_name(run.dag_id, school_run_id(run.run_id, f"school_{school}"))
    return json.loads((sandbox.reports / f"school_{school}" / school_run / "report.json").read_text())


def task_states(run) -> dict[tuple[str, int], tuple[str, str | None]]:
    """{(task id, map index): (state, rendered map index)} of a DAG run."""
    return {(ti.task_id, ti.map_index): (str(ti.state), ti.rendered_map_index) for ti in run.get_task_instances()}


def run_log_rows(sandbox: Sandbox) -> list[tuple]:
    exists = sandbox.q("SELECT to_regclass(%(t)s)", t=f"{sandbox.pipeline_schema}.run_log")[0][0]
    return sandbox.q("SELECT dag_id, run_id, status FROM {pipeline}.run_log ORDER BY run_id") if exists else []


def test_a_term_end_of_two_schools_runs_two_school_syncs_and_report_mode_writes_nothing(
    sandbox: Sandbox, end_of_term_dag
) -> None:
    before = snapshot(sandbox)
    run = run_end_of_term(end_of_term_dag, TERM_END_RUN)

    assert str(run.state) == "success"
    assert snapshot(sandbox) == before  # report mode: dry runs, nothing written to the SIS (X8)
    states = task_states(run)
    # One group instance per school, each labelled by its school and term in the UI.
    assert {key: value for key, value in states.items() if key[0] == f"{GROUP}.check_parameters"} == {
        (f"{GROUP}.check_parameters", 0): ("success", "school 100 (25-26, S2)"),
        (f"{GROUP}.check_parameters", 1): ("success", "school 200 (25-26, S2)"),
    }
    assert {state for (task, _), (state, _) in states.items() if task.endswith("load_missing_records")} == {"skipped"}

    summary = summary_of(sandbox, run)
    assert summary["mode"] == "report" and summary["outcome"] == "succeeded"
    assert summary["interval"]["first_day"] == summary["interval"]["last_day"] == "2026-06-05"
    assert [row["school_number"] for row in summary["schools"]] == [100, 200]
    for row in summary["schools"]:
        school = row["school_number"]
        report = school_report(sandbox, run, school)
        assert report["dry_run"] is True and report["status"] == "succeeded"
        assert report["parameters"] == {
            "school_number": school, "year": 35, "direction": "auto", "absent_periods": "all_periods",
            "start_date": YEAR_FIRST_DAY.isoformat(), "end_date": YEAR_LAST_DAY.isoformat(), "dry_run": True,
        }  # fmt: skip
        # The counts are the rules engine's for the school's Semester 1 in the direction auto picks.
        engine = expected_records(sandbox, school, AUTO_DIRECTION[school], "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
        assert row["terms"] == "2025-2026 (25-26), Semester 2 (S2)" and row["direction"] == AUTO_DIRECTION[school]
        assert row["outcome"] == "succeeded" and row["reason"] is None
        assert row["counts"]["candidates"] == engine.counts["candidates"] > 0
        assert row["counts"]["disagreements"] == engine.counts["disagreements"]
        assert row["report"] == f"../../school_{school}/{run_folder_name(DAG_ID, report['run_id'])}/report.html"
        assert (
            (sandbox.reports / "district" / run_folder_name(run.dag_id, run.run_id) / row["report"]).resolve().exists()
        )
    page = (sandbox.reports / "district" / run_folder_name(run.dag_id, run.run_id) / "summary.html").read_text()
    assert "Report mode:" in page and "Lincoln High" in page and "Roosevelt Middle" in page
    # The index of all runs leads to the summary, and lists the schools' runs.
    index = (sandbox.reports / "index.html").read_text()
    assert f'href="district/{run_folder_name(run.dag_id, run.run_id)}/summary.html"' in index
    assert all(run_folder_name(DAG_ID, school_run_id(run.run_id, f"school_{n}")) in index for n in (100, 200))


def test_an_interval_without_a_term_end_does_nothing_and_its_summary_says_so(sandbox: Sandbox, end_of_term_dag) -> None:
    before = snapshot(sandbox)
    run = run_end_of_term(end_of_term_dag, NO_TERM_END_RUN, mode="apply")

    assert str(run.state) == "success"
    states = task_states(run)
    assert states[("find_schools_to_reconcile", -1)][0] == "success"
    # No school to map over: no school task ran, only the plan and the summary.
    assert {task for (task, _), (state, _) in states.items() if state == "success"} == {
        "find_schools_to_reconcile", "write_district_summary",
    }  # fmt: skip
    assert snapshot(sandbox) == before
    assert run_log_rows(sandbox) == []
    assert not list(sandbox.reports.glob("school_*"))
    # Issue 29: the run's Report tab shows a summary that says there was nothing to do, not "no report yet".
    summary = summary_of(sandbox, run)
    assert (summary["outcome"], summary["schools"], summary["left_out"]) == ("succeeded", [], [])
    assert summary["nothing_to_reconcile"] == "nothing to reconcile on 2026-01-14: no school's term ended that day"
    page = (Path(summary_page_path(sandbox, run))).read_text()
    assert "Nothing to reconcile on 2026-01-14: no school&#39;s term ended that day." in page
    assert 'id="school-rows"' not in page


def school_rows_added(sandbox: Sandbox, before: dict[str, int], school: int) -> int:
    return sandbox.q(
        "SELECT count(*) FROM {sis}.attendance WHERE dcid > %(d)s AND schoolid = %(s)s",
        d=before["attendance"],
        s=school,
    )[0][0]


def test_a_school_without_a_bridge_period_fails_alone_and_the_other_is_reconciled(
    sandbox: Sandbox, end_of_term_dag, tmp_path: Path
) -> None:
    # Roosevelt Middle's Regular bell schedule loses its bridge period (P5).
    sandbox.q(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 0 WHERE daily_attendance_code = 1 "
        "AND bell_schedule_id IN (SELECT id FROM {sis}.bell_schedule WHERE schoolid = 200 AND name = 'Regular')"
    )
    before = rows_before(sandbox)
    engine_100 = expected_records(sandbox, 100, AUTO_DIRECTION[100], "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)

    run = run_end_of_term(end_of_term_dag, TERM_END_RUN, mode="apply")

    assert str(run.state) == "failed"  # the run says a school failed ...
    states = task_states(run)
    assert states[(f"{GROUP}.load_missing_records", 0)][0] == "success"  # ... but school 100 was loaded
    assert states[(f"{GROUP}.validate_preconditions", 1)][0] == "failed"
    assert states[(f"{GROUP}.load_missing_records", 1)][0] == "upstream_failed"
    assert_landed_exactly(sandbox, before, engine_100.records)
    assert school_rows_added(sandbox, before, 200) == 0

    summary = summary_of(sandbox, run)
    assert summary["mode"] == "apply" and summary["outcome"] == "failed"
    outcomes = {row["school_number"]: (row["outcome"], row["counts"].get("inserted")) for row in summary["schools"]}
    assert outcomes == {100: ("succeeded", len(engine_100.records)), 200: ("failed", None)}
    [failed] = summary["failed"]
    assert failed["school_number"] == 200
    assert "P5" in failed["reason"] and "school 200" in failed["reason"] and "Regular" in failed["reason"]
    assert failed["reason"] == school_report(sandbox, run, 200)["message"]
    # What the auditor sees, in a real browser: the failed school and why, the other school's link.
    page = sandbox.reports / "district" / run_folder_name(run.dag_id, run.run_id) / "summary.html"
    ARTIFACTS.mkdir(exist_ok=True)
    dom, console = open_in_browser(page, tmp_path / "profile", ARTIFACTS / "district_summary.png")
    assert not [line for line in console if "Uncaught" in line], console
    assert "failed" in title(dom) and "Schools that failed" in dom and "Apply mode:" in dom
    assert "P5 failed for school 200" in dom
    links = re.findall(r'<a class="report" href="([^"]+)">', dom)  # a failed run has its report too
    assert len(links) == 2 and all((page.parent / link).resolve().exists() for link in links)


def test_apply_mode_lands_exactly_what_manual_runs_would_and_a_second_run_adds_nothing(
    sandbox: Sandbox, end_of_term_dag, sync_dag, rollback_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The same district in a second schema, reconciled by hand: one manual sync per school with
    # the parameters the end-of-term run gives it.
    by_hand = reconcile_by_hand(sandbox, sync_dag, monkeypatch)

    before = rows_before(sandbox)
    first = run_end_of_term(end_of_term_dag, TERM_END_RUN, mode="apply")
    assert str(first.state) == "success"
    pd.testing.assert_frame_equal(new_records(sandbox, before), by_hand)

    # X2: the same interval again adds nothing, and its summary says why.
    after = snapshot(sandbox)
    second = run_end_of_term(end_of_term_dag, TERM_END_RUN, mode="apply")
    assert str(second.state) == "success"
    assert snapshot(sandbox) == after
    first_counts = {row["school_number"]: row["counts"] for row in summary_of(sandbox, first)["schools"]}
    for row in summary_of(sandbox, second)["schools"]:
        assert row["counts"]["inserted"] == 0
        assert row["counts"]["skipped_existing"] >= first_counts[row["school_number"]]["inserted"] > 0

    # X7: a school's part of an end-of-term run is undone like a manual run (here by its run id).
    school_run = school_run_id(first.run_id, "school_100")
    undo = rollback_dag.test(run_conf={"school_number": 100, "run_id": school_run}, logical_date=datetime.now(UTC))
    assert str(undo.state) == "success"
    assert school_rows_added(sandbox, before, 100) == 0
    assert school_rows_added(sandbox, before, 200) == first_counts[200]["inserted"]
    assert sandbox.q(
        "SELECT status FROM {pipeline}.run_log WHERE dag_id = %(d)s AND run_id = %(r)s", d=DAG_ID, r=school_run
    ) == [("rolled_back",)]


def test_the_terms_that_ended_and_the_schools_settings_are_read_from_the_sis(sandbox: Sandbox) -> None:
    from attendance_bridge.db.lookups import find_terms_ending
    from attendance_bridge.domain.reconciliation import plan_reconciliations

    def ending(first: date, last: date) -> list[tuple[int, str]]:
        rows = find_terms_ending(sandbox.conn, sandbox.schema, first, last)
        return [(row["school_number"], row["term_abbreviation"]) for row in rows]

    semester_1_end = date(2026, 1, 16)
    assert ending(semester_1_end, semester_1_end) == [(100, "S1"), (200, "S1")]
    assert ending(date(2026, 1, 15), date(2026, 1, 15)) == []
    assert ending(date(2026, 1, 17), YEAR_LAST_DAY) == [(100, "25-26"), (100, "S2"), (200, "25-26"), (200, "S2")]

    # Roosevelt Middle turns its bridge off: its term still ends, but it is left out, with the reason.
    sandbox.q(
        "UPDATE {sis}.prefs SET value = '0' WHERE schoolid = 200 AND yearid = 35 AND name = 'ATT_MeetingDailyBridge'"
    )
    planned, left_out = plan_reconciliations(
        find_terms_ending(sandbox.conn, sandbox.schema, semester_1_end, semester_1_end), "apply"
    )
    assert [entry["school_number"] for entry in planned] == [100]
    assert [(entry["school_number"], entry["reason"][:3]) for entry in left_out] == [(200, "P4:")]


def test_f7_a_second_end_of_term_follows_the_corrections_made_to_its_terms_records(
    sandbox: Sandbox, end_of_term_dag
) -> None:
    first = run_end_of_term(end_of_term_dag, TERM_END_RUN, mode="apply")
    assert str(first.state) == "success"
    # A teacher corrects the code of a Meeting record of school 100 that a Daily copy was built from; the office
    # deletes a Daily record of school 200 that Meeting copies were built from.
    [(corrected, copy_id, code)] = sandbox.q(
        "SELECT s.id, l.row_id, (SELECT min(c.id) FROM {sis}.attendance_code c WHERE c.schoolid = 100 "
        "AND c.yearid = 35 AND c.id <> s.attendance_codeid) FROM {pipeline}.lineage l "
        "JOIN {sis}.attendance s ON s.id = l.source_attendance_id WHERE l.school_number = 100 "
        "AND l.table_name = 'attendance' ORDER BY s.id LIMIT 1"
    )
    [(deleted, copies)] = sandbox.q(
        "SELECT source_attendance_id, count(*) FROM {pipeline}.lineage WHERE school_number = 200 "
        "AND table_name = 'attendance' GROUP BY 1 ORDER BY 1 LIMIT 1"
    )
    gone = {row[0] for row in sandbox.q(
        "SELECT row_id FROM {pipeline}.lineage WHERE table_name = 'attendance' AND source_attendance_id = %(s)s",
        s=deleted,
    )}  # fmt: skip
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=code, i=corrected)
    sandbox.q("DELETE FROM {sis}.attendance WHERE id = %(i)s", i=deleted)
    rows = dict(sandbox.q("SELECT a.id, to_jsonb(a.*) FROM {sis}.attendance a"))

    again = run_end_of_term(end_of_term_dag, TERM_END_RUN, mode="apply")

    assert str(again.state) == "success"
    counts = {row["school_number"]: row["counts"] for row in summary_of(sandbox, again)["schools"]}
    assert (counts[100]["recoded"], counts[100]["withdrawn"]) == (1, 0)
    assert (counts[200]["recoded"], counts[200]["withdrawn"]) == (0, copies)
    expected = {key: value for key, value in rows.items() if key not in gone}
    expected[copy_id] = {**rows[copy_id], "attendance_codeid": code}
    assert dict(sandbox.q("SELECT a.id, to_jsonb(a.*) FROM {sis}.attendance a")) == expected
