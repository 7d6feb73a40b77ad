"""X7 and X1 under races: no run inserts a record whose source record is gone or changed since it read it.

A run reads its source records in its extract and inserts what it built from them in its load,
minutes later. Meanwhile an operator may roll back the run that built those sources, or an office
clerk may delete or correct a Daily absence. The load compares every source with the SIS under
its lock on attendance and leaves out what was built from a changed one, counted and listed.

The runs here are paused between their extract and their load by running their phases one after
the other, with the change made in between (before or after the run's backup): deterministic,
no sleep. ``SchoolRun`` extracts and computes as the DAG's tasks do and calls the sync's own backup
and load phases; the last test runs every phase of the DAG, the report included.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import psycopg
import pytest
from attendance_bridge.catalog import END_OF_TERM_DAG_ID, SOURCE_CHANGES_TABLE, SYNC_DAG_ID
from attendance_bridge.config import DAILY_TO_MEETING, MEETING_TO_DAILY
from attendance_bridge.db import extract, rollback, run_log
from attendance_bridge.db.connection import connect_sis
from attendance_bridge.domain.frames import empty_frame
from attendance_bridge.reporting.run_folders import read_frame
from attendance_bridge.tasks import sync, sync_report
from attendance_bridge.tasks.runtime import TaskRun
from psycopg import sql

from tests.support.phases import SchoolRun, run_phases
from tests.support.sync_sandbox import (
    Sandbox,
    assert_landed_exactly,
    new_records,
    rows_before,
)

pytestmark = pytest.mark.integration

WHEN = ["before-the-backup", "after-the-backup"]


def finished(box: Sandbox, run: SchoolRun, loaded: dict) -> None:
    """The run log rows the DAG's write_report would leave for a loaded run, so the rollback finds it."""
    run_log.start_run(box.conn, box.pipeline_schema, run.run.dag_id, run.run.run_id, school_number=run.school_number)
    run_log.finish_run(
        box.conn, box.pipeline_schema, run.run.dag_id, run.run.run_id, status="succeeded",
        counts={"inserted": loaded["load"]["inserted_attendance"]}, school_number=run.school_number, dry_run=False,
    )  # fmt: skip


def orphans(box: Sandbox, run: SchoolRun) -> int:
    """Rows the run inserted whose source record (parent_attendanceid) is not in the SIS (X7 broken)."""
    return box.q(
        "SELECT count(*) FROM {pipeline}.lineage l JOIN {sis}.attendance a ON a.id = l.row_id "
        "WHERE l.run_id = %(r)s AND l.table_name = 'attendance' "
        "AND NOT EXISTS (SELECT 1 FROM {sis}.attendance s WHERE s.id = a.parent_attendanceid)",
        r=run.run.run_id,
    )[0][0]


def source_changes(loaded: dict) -> pd.DataFrame:
    """The load's list of source records that changed, as staged for the report."""
    return read_frame(loaded["paths"][SOURCE_CHANGES_TABLE])


def without_sources(records: pd.DataFrame, source_ids: set[int]) -> pd.DataFrame:
    return records.loc[~records["parent_attendanceid"].isin(source_ids)]


def busiest_absence(run: SchoolRun) -> int:
    """A Daily absence the run builds several Meeting records from (all_periods, D2)."""
    sources = run.records["parent_attendanceid"].value_counts()
    return int(sources.index[0])


@pytest.mark.parametrize("when", WHEN)
def test_x7_a_rollback_of_the_runs_sources_while_it_is_in_flight_leaves_out_what_was_built_from_them(
    sandbox, when: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Sync A builds Daily records from Meeting records and lands them.
    first = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "sync-a")
    first.back_up()
    finished(sandbox, first, first.load())
    built_by_a = {row[0] for row in sandbox.q(
        "SELECT row_id FROM {pipeline}.lineage WHERE run_id = %(r)s AND table_name = 'attendance'", r=first.run.run_id
    )}  # fmt: skip
    # Sync B of the same school reads A's Daily records among its sources (extract and compute)...
    # as a run of the version before X9 did (issue 22: since then no run builds on another's records;
    # X7's check still stands for any source that changes in flight).
    with monkeypatch.context() as before_x9:
        before_x9.setattr(extract, "read_built_records", lambda *args: empty_frame("built_records"))
        second = SchoolRun(sandbox, 100, DAILY_TO_MEETING, "sync-b")
    from_a = second.records["parent_attendanceid"].isin(built_by_a)
    assert from_a.sum() > 0
    before = rows_before(sandbox)
    # ...and while it is between its extract and its load, A is rolled back.
    if when == "after-the-backup":
        second.back_up()
    with connect_sis() as conn:
        undone = rollback.roll_back_run(conn, sandbox.pipeline_schema, 100, first.run.run_id, "rollback-a", "test")
    assert undone.outcome == "rolled_back" and undone.deleted["attendance"] == len(built_by_a)
    if when == "before-the-backup":
        second.back_up()
    loaded = second.load()

    result = loaded["load"]
    assert result["skipped_source_changed"] == int(from_a.sum())
    assert result["source_changes_total"] == second.records.loc[from_a, "parent_attendanceid"].nunique()
    changes = source_changes(loaded)
    assert set(changes["source_attendance_id"]) == set(second.records.loc[from_a, "parent_attendanceid"])
    assert set(changes["problem"]) == {"deleted"}
    assert changes["records_left_out"].sum() == from_a.sum()
    assert result["inserted_attendance"] == len(second.records) - from_a.sum()
    assert_landed_exactly(sandbox, before, second.records.loc[~from_a])
    assert orphans(sandbox, second) == 0


@pytest.mark.parametrize("dag_id", [SYNC_DAG_ID, END_OF_TERM_DAG_ID], ids=["sync", "end-of-term"])
@pytest.mark.parametrize("when", WHEN)
def test_x7_a_clerk_deleting_an_absence_the_run_read_keeps_it_from_being_spread_into_periods(
    sandbox, when: str, dag_id: str
) -> None:
    run = SchoolRun(sandbox, 100, DAILY_TO_MEETING, "clerk-delete", dag_id=dag_id)
    absence = busiest_absence(run)
    built_from_it = int((run.records["parent_attendanceid"] == absence).sum())
    assert built_from_it > 1  # an absence copied into several periods
    before = rows_before(sandbox)
    if when == "after-the-backup":
        run.back_up()
    # The absence was entered in error: the office deletes it while the run is in flight.
    sandbox.q("DELETE FROM {sis}.attendance WHERE id = %(id)s", id=absence)
    if when == "before-the-backup":
        run.back_up()
    loaded = run.load()

    result = loaded["load"]
    assert (result["skipped_source_changed"], result["source_changes_total"]) == (built_from_it, 1)
    [change] = source_changes(loaded).to_dict("records")
    assert (change["source_attendance_id"], change["problem"], change["records_left_out"]) == (
        absence, "deleted", built_from_it,
    )  # fmt: skip
    assert_landed_exactly(sandbox, before, without_sources(run.records, {absence}))
    assert orphans(sandbox, run) == 0


@pytest.mark.parametrize("when", WHEN)
def test_x7_a_clerk_correcting_the_code_of_a_record_the_run_read_leaves_out_what_was_built_from_it(
    sandbox, when: str
) -> None:
    run = SchoolRun(sandbox, 100, DAILY_TO_MEETING, "clerk-code")
    absence = busiest_absence(run)
    [(code,)] = sandbox.q("SELECT attendance_codeid FROM {sis}.attendance WHERE id = %(id)s", id=absence)
    [(present,)] = sandbox.q(
        "SELECT min(id) FROM {sis}.attendance_code WHERE schoolid = 100 AND yearid = 35 "
        "AND presence_status_cd = 'Present' AND id <> %(code)s",
        code=code,
    )
    before = rows_before(sandbox)
    if when == "after-the-backup":
        run.back_up()
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(id)s", c=present, id=absence)
    if when == "before-the-backup":
        run.back_up()
    loaded = run.load()

    [change] = source_changes(loaded).to_dict("records")
    assert (change["source_attendance_id"], change["problem"]) == (absence, "changed")
    assert (change["attendance_codeid"], change["now_attendance_codeid"]) == (code, present)
    assert loaded["load"]["skipped_source_changed"] == change["records_left_out"] > 1
    # Nothing carries the withdrawn absence: no record built from it with its old code.
    assert_landed_exactly(sandbox, before, without_sources(run.records, {absence}))
    assert orphans(sandbox, run) == 0


def test_x7_a_teacher_editing_unrelated_rows_or_a_comment_changes_nothing(sandbox) -> None:
    run = SchoolRun(sandbox, 100, DAILY_TO_MEETING, "teacher-edits")
    sources = set(run.records["parent_attendanceid"])
    before = rows_before(sandbox)
    run.back_up()
    # A teacher corrects a Meeting record (no source of a daily_to_meeting run) and comments on a source.
    [(meeting,)] = sandbox.q(
        "SELECT min(id) FROM {sis}.attendance WHERE schoolid = 100 AND att_mode_code = 'ATT_ModeMeeting' "
        "AND NOT (id = ANY(%(sources)s))",
        sources=sorted(sources),
    )
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = attendance_codeid + 0, att_comment = 'seen' "
              "WHERE id = %(id)s", id=meeting)  # fmt: skip
    sandbox.q("UPDATE {sis}.attendance SET att_comment = 'note from the office' WHERE id = %(id)s", id=min(sources))
    loaded = run.load()

    result = loaded["load"]
    assert (result["skipped_source_changed"], result["source_changes_total"]) == (0, 0)
    assert SOURCE_CHANGES_TABLE not in loaded["paths"]
    assert result["inserted_attendance"] == len(run.records) > 0
    assert_landed_exactly(sandbox, before, run.records)


def relations(plan: dict) -> set[str]:
    """The tables a part of an EXPLAIN (FORMAT JSON) plan reads."""
    own = {plan["Relation Name"]} if "Relation Name" in plan else set()
    return own.union(*(relations(child) for child in plan.get("Plans", [])))


def joined_with(plan: dict, relation: str) -> list[set[str]]:
    """For each join in ``plan`` of ``relation`` alone with something else: the tables that something else reads."""
    found = []
    children = plan.get("Plans", [])
    if "Join" in plan.get("Node Type", "") or plan.get("Node Type") == "Nested Loop":
        for side, other in ((0, 1), (1, 0)):
            if len(children) == 2 and relations(children[side]) == {relation}:
                found.append(relations(children[other]))
    return found + [tables for child in children for tables in joined_with(child, relation)]


def test_x7_many_changed_sources_are_read_once_not_once_per_record(sandbox, monkeypatch) -> None:
    """A bulk correction leaves hundreds of sources changed: the insert leaves out their records from the
    run's records themselves, before the existence check, so the planner sizes that step on their real
    number. After the check, it guessed one record left and read every changed source again for every
    record: 82 s instead of 13 s under the lock on attendance for a 2,500-student school with 2,000 of
    them (bench sizes; at the sandbox's the plan is small either way, so its shape is what is checked)."""
    run = SchoolRun(sandbox, 100, DAILY_TO_MEETING, "bulk-correction")
    sources = sorted(set(run.records["parent_attendanceid"]))
    deleted = set(sources[: len(sources) // 2])
    before = rows_before(sandbox)
    run.back_up()
    sandbox.q("DELETE FROM {sis}.attendance WHERE id = ANY(%(ids)s)", ids=sorted(deleted))
    # Statistics as a district's database has them (autovacuum): the planner's guesses are the real ones.
    sandbox.q("ANALYZE {sis}.attendance")
    plans = []
    execute = psycopg.Cursor.execute

    def explained(cursor, query, params=None, **options):
        text = query.as_string(cursor.connection) if isinstance(query, sql.Composable) else str(query)
        if "WITH to_insert AS" in text:  # the load's insert: its plan, as it runs it
            explain = sql.SQL("EXPLAIN (FORMAT JSON) ") + (
                query if isinstance(query, sql.Composable) else sql.SQL(query)
            )
            [(plan,)] = execute(cursor.connection.cursor(), explain, params).fetchall()
            plans.append(plan[0]["Plan"])
        return execute(cursor, query, params, **options)

    monkeypatch.setattr(psycopg.Cursor, "execute", explained)
    loaded = run.load()

    [to_insert] = [part for part in plans[0]["Plans"] if part.get("Subplan Name") == "CTE to_insert"]
    assert joined_with(to_insert, "bridge_stale_sources") == [{"bridge_records"}]
    left_out = run.records["parent_attendanceid"].isin(deleted)
    assert loaded["load"]["skipped_source_changed"] == int(left_out.sum()) > 0
    assert_landed_exactly(sandbox, before, run.records.loc[~left_out])


def test_x7_the_report_run_log_and_page_say_what_was_left_out_and_why(sandbox) -> None:
    """Every phase of the DAG, as its tasks call them; a clerk deletes an absence between backup and load."""
    run = TaskRun(SYNC_DAG_ID, "manual__source-race", date(2026, 6, 6), "auditor@example.org")
    conf = {"school_number": 100, "year": 35, "direction": DAILY_TO_MEETING, "end_date": "2025-12-19"}
    upstream = run_phases(run, conf, until="back_up_school_records")
    checked = upstream["check_parameters"]
    records = read_frame(upstream["compute_missing_records"]["paths"]["records"])
    absence = int(records["parent_attendanceid"].value_counts().index[0])
    left_out = int((records["parent_attendanceid"] == absence).sum())
    sandbox.q("DELETE FROM {sis}.attendance WHERE id = %(id)s", id=absence)
    before = rows_before(sandbox)
    upstream["load_missing_records"] = sync.load_missing_records(run, checked, upstream["compute_missing_records"])
    written = sync_report.write_report(run, conf, upstream)

    report_file = Path(urlsplit(written["report_path"]).path)
    report = json.loads(report_file.read_text())
    assert report["status"] == "succeeded"
    assert report["counts"]["skipped_source_changed"] == left_out
    assert report["counts"]["inserted"] == len(records) - left_out
    assert report["counts"]["declined_by_database"] == 0
    assert any(warning.startswith(f"X7: {left_out} record(s) were not added") for warning in report["warnings"])
    [(counts,)] = sandbox.q("SELECT counts FROM {pipeline}.run_log WHERE run_id = %(r)s", r=run.run_id)
    assert counts == report["counts"]
    folder = report_file.parent
    listed = pd.read_csv(folder / "source_changes.csv")
    assert listed[["source_attendance_id", "problem", "records_left_out"]].values.tolist() == [
        [absence, "deleted", left_out]
    ]
    page = (folder / "report.html").read_text()
    assert "Source records changed during the run" in page and f"X7: {left_out} record(s) were not added" in page
    landed = new_records(sandbox, before)
    assert len(landed) == len(records) - left_out
    assert landed["parent_attendanceid"].ne(absence).all()
