"""X7 for real: the attendance_bridge_rollback DAG undoes sync runs run with ``dag.test()``.

Each test syncs a freshly generated demo district, then rolls runs back and compares every SIS
table with what it held before. Rows changed after a run, rows of other runs and teachers' rows
are planted to show what the rollback refuses to delete and what it never touches.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from attendance_bridge.db import extract, rollback, run_log
from attendance_bridge.domain.frames import empty_frame
from attendance_bridge.domain.rollback_plan import RollbackRefused
from attendance_bridge.errors import RunRolledBack
from attendance_bridge.reporting.run_folders import read_json
from psycopg import sql

from tests.support.sync_sandbox import SIS_TABLES, Sandbox, run_report_folder, run_sync, snapshot

pytestmark = pytest.mark.integration


def run_rollback(rollback_dag, **conf: object) -> tuple[str, dict]:
    """One run of the rollback DAG: its final state and its report."""
    from attendance_bridge.reporting.run_folders import run_folder_name

    run = rollback_dag.test(run_conf=conf, logical_date=datetime.now(UTC))
    reports = list(Path(run_report_folder()).glob(f"*/{run_folder_name(run.dag_id, run.run_id)}/report.json"))
    assert len(reports) == 1, f"no report for {run.run_id}"
    return str(run.state), json.loads(reports[0].read_text())


def sync_row(box: Sandbox, run_id: str) -> dict:
    """The sync run's run log row."""
    names = ("status", "counts", "rolled_back_at", "rolled_back_by", "rollback_run_id", "rollback_counts")
    [row] = box.q(f"SELECT {', '.join(names)} FROM {{pipeline}}.run_log WHERE run_id = %(r)s", r=run_id)
    return dict(zip(names, row, strict=True))


def run_rows(box: Sandbox, run_id: str, table: str) -> list[int]:
    """The ids of the rows the run inserted into ``table``, from its lineage."""
    rows = box.q(
        "SELECT row_id FROM {pipeline}.lineage WHERE run_id = %(r)s AND table_name = %(t)s ORDER BY row_id",
        r=run_id,
        t=table,
    )
    return [row[0] for row in rows]


def tables_without(box: Sandbox, excluded: dict[str, list[int]]) -> dict[str, tuple[int, str]]:
    """Like ``snapshot``, leaving out the rows of ``excluded`` ids: what a rollback of them must leave."""
    result = {}
    for table in SIS_TABLES:
        ids = excluded.get(table, [])
        result[table] = box.q(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {{sis}}.{table} t "
            "WHERE NOT (t.id = ANY(%(ids)s))",
            ids=ids,
        )[0]
    return result


def test_a_rolled_back_run_leaves_every_sis_table_as_before_the_sync_and_a_second_rollback_does_nothing(
    sandbox, sync_dag, rollback_dag
) -> None:
    before = snapshot(sandbox)
    state, synced = run_sync(sync_dag, school_number=100, year=35)  # meeting_to_daily: records and times
    assert state == "success", synced["message"]
    inserted, inserted_times = synced["counts"]["inserted"], synced["counts"]["inserted_attendance_time"]
    assert inserted > 0 and inserted_times > 0
    assert snapshot(sandbox) != before

    state, report = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])

    assert state == "success", report["message"]
    assert report["outcome"] == "rolled_back"
    assert report["deleted"] == {"attendance": inserted, "attendance_time": inserted_times}
    assert snapshot(sandbox) == before  # X7: every SIS table holds exactly what it held before the sync
    logged = sync_row(sandbox, synced["run_id"])
    assert logged["status"] == "rolled_back"
    # dag.test() records "dag_test" as the triggering user.
    assert logged["rolled_back_at"] is not None and logged["rolled_back_by"] == "dag_test"
    assert logged["rollback_run_id"] == report["run_id"]
    assert logged["rollback_counts"] == report["deleted"]
    assert logged["counts"]["inserted"] == inserted  # what the run did stays on record
    [(status, counts)] = sandbox.q(
        "SELECT status, counts FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"]
    )
    assert status == "succeeded" and counts == {
        "deleted_attendance": inserted,
        "deleted_attendance_time": inserted_times,
    }
    # The audit trail: every lineage row stays, says when and by which rollback it was undone, and
    # keeps the row as deleted, which is the row as inserted (its md5 is the one taken at load time).
    trail = sandbox.q(
        "SELECT table_name, count(*), count(*) FILTER (WHERE rolled_back_at IS NOT NULL "
        "AND rollback_run_id = %(rollback)s AND (removed_row ->> 'id')::bigint = row_id "
        "AND row_md5 = CASE table_name "
        "WHEN 'attendance' THEN md5(jsonb_populate_record(NULL::{sis}.attendance, removed_row)::text) "
        "ELSE md5(jsonb_populate_record(NULL::{sis}.attendance_time, removed_row)::text) END "
        "AND studentid IS NOT NULL AND att_date IS NOT NULL) "
        "FROM {pipeline}.lineage WHERE run_id = %(r)s GROUP BY table_name ORDER BY table_name",
        r=synced["run_id"],
        rollback=report["run_id"],
    )
    assert trail == [("attendance", inserted, inserted), ("attendance_time", inserted_times, inserted_times)]

    state, again = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])

    assert state == "success", again["message"]
    assert again["outcome"] == "already_rolled_back"
    assert again["deleted"] == {"attendance": 0, "attendance_time": 0}
    assert "already rolled back" in again["message"] and report["run_id"] in again["message"]
    assert snapshot(sandbox) == before
    assert sync_row(sandbox, synced["run_id"]) == logged

    # The rolled-back run started again under its id (its Airflow run cleared) is refused in words,
    # and closing it does not overwrite what its row says it did.
    with pytest.raises(RunRolledBack, match=r"X7: run .* was rolled back .* trigger a new run instead"):
        run_log.start_run(sandbox.conn, sandbox.pipeline_schema, synced["dag_id"], synced["run_id"], school_number=100)
    run_log.finish_run(
        sandbox.conn, sandbox.pipeline_schema, synced["dag_id"], synced["run_id"], status="failed",
        message="refused", counts={}, timings={},
    )  # fmt: skip
    assert sync_row(sandbox, synced["run_id"]) == logged

    # The same run synchronised again lands again, and can be rolled back again.
    state, resynced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success" and resynced["counts"]["inserted"] == inserted
    state, third = run_rollback(rollback_dag, school_number=100)
    assert state == "success" and third["sync_run_id"] == resynced["run_id"]
    assert snapshot(sandbox) == before


def test_rows_changed_or_referred_to_since_the_run_are_listed_and_nothing_is_deleted(
    sandbox, sync_dag, rollback_dag
) -> None:
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    run_id = synced["run_id"]
    records, times = run_rows(sandbox, run_id, "attendance"), run_rows(sandbox, run_id, "attendance_time")
    changed, referred_to = records[0], records[1]
    deleted_time = times[-1]
    # A teacher corrects the code of one record the run inserted, deletes the times of another,
    # and enters times of their own for a third.
    sandbox.q(
        "UPDATE {sis}.attendance SET attendance_codeid = (SELECT min(c.id) FROM {sis}.attendance_code c "
        "WHERE c.schoolid = 100 AND c.id <> attendance.attendance_codeid) WHERE id = %(id)s",
        id=changed,
    )
    sandbox.q("DELETE FROM {sis}.attendance_time WHERE id = %(id)s", id=deleted_time)
    teacher_time = sandbox.q(
        "INSERT INTO {sis}.attendance_time (attendanceid, time_in, time_out, total_minutes) "
        "VALUES (%(id)s, 30000, 40000, 166) RETURNING id",
        id=referred_to,
    )[0][0]
    [(student, day)] = sandbox.q("SELECT studentid, att_date FROM {sis}.attendance WHERE id = %(id)s", id=changed)
    before = snapshot(sandbox)

    state, report = run_rollback(rollback_dag, school_number=100, run_id=run_id)

    assert state == "failed"
    assert report["outcome"] == "failed" and report["deleted"] == {"attendance": 0, "attendance_time": 0}
    message = report["message"]
    assert message.startswith(f"X7: run {run_id} of school 100 was not rolled back: 3 problem(s)")
    assert "nothing was deleted" in message
    assert f"attendance {changed} (student {student}, {day}): changed since the run (it now reads" in message
    assert f"attendance_time {deleted_time} (" in message and "deleted since the run" in message
    assert f"attendance_time row {teacher_time}, which this run did not insert, belongs to it" in message
    assert report["problems_total"] == 3
    assert {(p["table_name"], p["row_id"], p["problem"]) for p in report["problems"]} == {
        ("attendance", changed, "changed"),
        ("attendance_time", deleted_time, "deleted"),
        ("attendance", referred_to, "has_other_time"),
    }
    assert read_json(report["plan_path"])["problems_total"] == 3
    assert snapshot(sandbox) == before  # nothing deleted
    assert sync_row(sandbox, run_id)["status"] == "succeeded"
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage WHERE rolled_back_at IS NOT NULL") == [(0,)]


def test_the_default_run_is_the_latest_with_records_in_the_sis_and_a_plan_deletes_nothing(
    sandbox, sync_dag, rollback_dag
) -> None:
    before = snapshot(sandbox)
    state, first = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success" and first["counts"]["inserted"] > 0
    state, rerun = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success" and rerun["counts"]["inserted"] == 0  # X2
    after_sync = snapshot(sandbox)

    # The rerun inserted nothing: asking for it by id is refused, pointing at the run that did.
    state, report = run_rollback(rollback_dag, school_number=100, run_id=rerun["run_id"])
    assert state == "failed"
    assert "it inserted nothing" in report["message"]
    assert f"latest sync run whose records are still in the SIS is {first['run_id']}" in report["message"]

    state, plan = run_rollback(rollback_dag, school_number=100, dry_run=True)
    assert state == "success", plan["message"]
    assert plan["outcome"] == "planned" and plan["sync_run_id"] == first["run_id"]
    assert plan["rows_checked"]["attendance"] == first["counts"]["inserted"]
    assert snapshot(sandbox) == after_sync

    state, report = run_rollback(rollback_dag, school_number=100)
    assert state == "success", report["message"]
    assert report["sync_run_id"] == first["run_id"] and report["outcome"] == "rolled_back"
    assert snapshot(sandbox) == before

    state, report = run_rollback(rollback_dag, school_number=100)
    assert state == "failed"
    assert "has no sync run of this school whose records are still in the SIS" in report["message"]


def test_rolling_back_one_run_leaves_other_runs_and_teachers_records_alone(sandbox, sync_dag, rollback_dag) -> None:
    state, first = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success" and first["counts"]["inserted"] > 0
    state, other_school = run_sync(sync_dag, school_number=200, year=35)
    assert state == "success" and other_school["counts"]["inserted"] > 0
    # A teacher of school 100 records a Daily absence after the run.
    sandbox.q(
        "INSERT INTO {sis}.attendance (studentid, schoolid, yearid, att_date, attendance_codeid, att_mode_code) "
        "SELECT a.studentid, 100, 35, a.att_date + 1, a.attendance_codeid, a.att_mode_code "
        "FROM {sis}.attendance a WHERE a.id = %(id)s",
        id=run_rows(sandbox, first["run_id"], "attendance")[0],
    )
    first_rows = {table: run_rows(sandbox, first["run_id"], table) for table in ("attendance", "attendance_time")}
    expected = tables_without(sandbox, first_rows)

    state, report = run_rollback(rollback_dag, school_number=100, run_id=first["run_id"])

    assert state == "success", report["message"]
    assert snapshot(sandbox) == expected  # exactly the run's rows are gone: school 200's run and the teacher's stay
    assert sync_row(sandbox, other_school["run_id"])["status"] == "succeeded"
    state, report = run_rollback(rollback_dag, school_number=200)
    assert state == "success" and report["sync_run_id"] == other_school["run_id"]


def test_a_run_whose_records_a_later_run_built_on_is_refused_until_that_run_is_rolled_back(
    sandbox, sync_dag, rollback_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(sandbox)
    # School 100 bridges both ways: Daily records built from Meeting, then Meeting records built
    # from every Daily record, the first run's included (absences reach every period). Since X9
    # (issue 22) no run builds on another's records; a run of an earlier version did, and its
    # lineage is still in districts' databases. The second run plays that version: it knows no
    # record as built by a run.
    state, daily = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily")
    assert state == "success" and daily["counts"]["inserted"] > 0
    with monkeypatch.context() as before_x9:
        before_x9.setattr(extract, "read_built_records", lambda *args: empty_frame("built_records"))
        state, meeting = run_sync(sync_dag, school_number=100, year=35, direction="daily_to_meeting")
    assert state == "success", meeting["message"]
    built_on = sandbox.q(
        "SELECT count(*) FROM {pipeline}.lineage m JOIN {pipeline}.lineage d ON d.row_id = m.source_attendance_id "
        "AND d.table_name = 'attendance' AND d.run_id = %(daily)s WHERE m.run_id = %(meeting)s",
        daily=daily["run_id"],
        meeting=meeting["run_id"],
    )[0][0]
    assert built_on > 0

    state, report = run_rollback(rollback_dag, school_number=100, run_id=daily["run_id"])
    assert state == "failed"
    assert report["problems_total"] == built_on
    assert f"built from it (inserted by sync run {meeting['run_id']}: roll that run back first)" in report["message"]

    # Without a run id, the latest run with records in the SIS goes first, then the one before.
    for run in (meeting, daily):
        state, report = run_rollback(rollback_dag, school_number=100)
        assert state == "success", report["message"]
        assert report["sync_run_id"] == run["run_id"]
    assert snapshot(sandbox) == before


def test_a_wrong_run_or_conf_is_refused_by_name(sandbox, sync_dag, rollback_dag) -> None:
    state, dry = run_sync(sync_dag, school_number=200, year=35, dry_run=True)
    assert state == "success"
    state, failed = run_sync(sync_dag, school_number=100, year=35, end_date="2025-08-01")  # P2: before the term
    assert state == "failed"
    before = snapshot(sandbox)

    refusals = {
        "unknown run": ({"school_number": 100, "run_id": "manual__2020-01-01T00:00:00+00:00"}, "has no run of"),
        "other school": (
            {"school_number": 100, "run_id": dry["run_id"]},
            "it is a run of school 200, not of school 100",
        ),
        "dry run": ({"school_number": 200, "run_id": dry["run_id"]}, "it was a dry run"),
        "failed run": ({"school_number": 100, "run_id": failed["run_id"]}, "it failed (P2 failed for school 100"),
        "typo in a key": ({"school_number": 100, "runid": failed["run_id"]}, "does not know the parameter(s) 'runid'"),
        "district office": ({"school_number": 0}, "0 is not a school's number"),
        "quote in the run id": ({"school_number": 100, "run_id": "x'; DROP TABLE attendance; --"}, "has no run of"),
        # PostgreSQL cannot hold a NUL: refused in words before the run id reaches it (issue 30).
        "NUL in the run id": (
            {"school_number": 100, "run_id": "manual\x00"},
            "Run parameter 'run_id': 'manual\\x00' has a control character",
        ),
    }
    for name, (conf, expected) in refusals.items():
        state, report = run_rollback(rollback_dag, **conf)
        assert state == "failed", name
        assert expected in report["message"], (name, report["message"])
        assert report["deleted"] == {"attendance": 0, "attendance_time": 0}
    assert snapshot(sandbox) == before


def test_a_teacher_writing_while_the_rollback_deletes_is_waited_for_then_seen(sandbox, sis_server, sync_dag) -> None:
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    run_id, own = synced["run_id"], sandbox.pipeline_schema
    planned = rollback.find_sync_run(sandbox.conn, own, 100, run_id)
    assert rollback.check_rows(sandbox.conn, own, planned).problems == []  # what plan_rollback saw
    time_row = run_rows(sandbox, run_id, "attendance_time")[0]
    before = snapshot(sandbox)

    with psycopg.connect(**sis_server.conninfo_kwargs()) as teacher:
        teacher.execute(
            sql.SQL("UPDATE {}.attendance_time SET time_out = time_out + 600 WHERE id = %s").format(
                sql.Identifier(sandbox.schema)
            ),
            [time_row],
        )
        # The teacher's transaction is open: the rollback waits for it (here 1 s), then gives up
        # with a lock timeout, which Airflow retries; nothing is deleted.
        with pytest.raises(psycopg.errors.LockNotAvailable):
            rollback.roll_back_run(sandbox.conn, own, 100, run_id, "rollback-1", "tester", lock_timeout="1s")
        assert snapshot(sandbox) == before
        teacher.commit()

    # The retry sees the teacher's change under its locks and refuses.
    with pytest.raises(RollbackRefused, match=f"attendance_time {time_row} .*changed since the run"):
        rollback.roll_back_run(sandbox.conn, own, 100, run_id, "rollback-2", "tester")
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage WHERE rolled_back_at IS NOT NULL") == [(0,)]
    assert sync_row(sandbox, run_id)["status"] == "succeeded"


def test_rows_loaded_before_row_hashes_were_kept_are_refused_unless_allowed_then_checked_on_what_their_lineage_knows(
    sandbox, sync_dag, rollback_dag
) -> None:
    before = snapshot(sandbox)
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    run_id = synced["run_id"]
    # As a run loaded before migration 0004 left them: no hash, no student, no day (nor 0007's transaction).
    sandbox.q(
        "UPDATE {pipeline}.lineage SET row_md5 = NULL, studentid = NULL, att_date = NULL, insert_xid = NULL "
        "WHERE run_id = %(r)s",
        r=run_id,
    )
    rows = len(run_rows(sandbox, run_id, "attendance")) + len(run_rows(sandbox, run_id, "attendance_time"))
    state, report = run_rollback(rollback_dag, school_number=100, run_id=run_id)
    assert state == "failed"
    assert f"of its rows, {rows} were loaded before attendance-bridge kept a fingerprint" in report["message"]
    assert f"{rows} were loaded before the database itself checked the lineage" in report["message"]
    assert "allow_rows_from_older_versions" in report["message"] and snapshot(sandbox) != before

    record = run_rows(sandbox, run_id, "attendance")[0]
    [(parent,)] = sandbox.q("SELECT parent_attendanceid FROM {sis}.attendance WHERE id = %(id)s", id=record)
    # A SIS whose column allows NULL (the demo's does not): a source id set to NULL is a change too.
    sandbox.q("ALTER TABLE {sis}.attendance ALTER COLUMN parent_attendanceid DROP NOT NULL")
    sandbox.q("UPDATE {sis}.attendance SET parent_attendanceid = NULL WHERE id = %(id)s", id=record)

    state, report = run_rollback(rollback_dag, school_number=100, run_id=run_id, allow_rows_from_older_versions=True)
    assert state == "failed"
    assert [(p["row_id"], p["problem"]) for p in report["problems"]] == [(record, "changed")]

    sandbox.q("UPDATE {sis}.attendance SET parent_attendanceid = %(p)s WHERE id = %(id)s", p=parent, id=record)
    state, report = run_rollback(rollback_dag, school_number=100, run_id=run_id, allow_rows_from_older_versions=True)
    assert state == "success", report["message"]
    sandbox.q("ALTER TABLE {sis}.attendance ALTER COLUMN parent_attendanceid SET NOT NULL")
    assert snapshot(sandbox) == before


def test_a_column_added_to_attendance_since_the_run_does_not_block_its_rollback_but_a_changed_row_still_does(
    sandbox, sync_dag, rollback_dag
) -> None:
    before = snapshot(sandbox)
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    run_id = synced["run_id"]
    # A SIS upgrade adds a column to both tables: every row's text (and so its md5) changes.
    sandbox.q("ALTER TABLE {sis}.attendance ADD COLUMN upgraded_flag integer DEFAULT 7")
    sandbox.q("ALTER TABLE {sis}.attendance_time ADD COLUMN upgraded_note text")
    record = run_rows(sandbox, run_id, "attendance")[0]
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = attendance_codeid + 1 WHERE id = %(id)s", id=record)

    state, report = run_rollback(rollback_dag, school_number=100, run_id=run_id)
    # Only the row a teacher changed stands in the way, not every row of the run.
    assert state == "failed"
    assert [(p["row_id"], p["problem"]) for p in report["problems"]] == [(record, "changed")]

    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = attendance_codeid - 1 WHERE id = %(id)s", id=record)
    state, report = run_rollback(rollback_dag, school_number=100, run_id=run_id)
    assert state == "success", report["message"]
    sandbox.q("ALTER TABLE {sis}.attendance DROP COLUMN upgraded_flag")
    sandbox.q("ALTER TABLE {sis}.attendance_time DROP COLUMN upgraded_note")
    assert snapshot(sandbox) == before


def test_a_column_dropped_since_the_run_is_named_and_nothing_is_deleted(sandbox, sync_dag, rollback_dag) -> None:
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    sandbox.q("ALTER TABLE {sis}.attendance DROP COLUMN att_comment")
    before = snapshot(sandbox)

    state, report = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])

    assert state == "failed"
    assert (
        f"the table {sandbox.schema}.attendance has lost the column(s) att_comment since the run loaded"
        in (report["message"])
    )
    assert snapshot(sandbox) == before

    # The schema the run loaded into, gone (renamed here): named, with what to do, not the database's error (issue 30).
    gone = f"{sandbox.schema}_gone"
    sandbox.q(f'ALTER SCHEMA {{sis}} RENAME TO "{gone}"')
    try:
        state, report = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])
    finally:
        sandbox.q(f'ALTER SCHEMA "{gone}" RENAME TO {{sis}}')
    assert state == "failed"
    assert report["message"].startswith(
        f"X7: run {synced['run_id']} of school 100 was not rolled back: the SIS schema '{sandbox.schema}' it loaded "
        "into does not exist in the SIS database "
    ), report["message"]
    assert report["message"].endswith(
        "(a run is undone in the schema it loaded into, whatever ATTENDANCE_BRIDGE_SIS_SCHEMA says now): restore it "
        "there, then run the rollback again; nothing was deleted"
    ), report["message"]
    assert snapshot(sandbox) == before


def test_a_rollback_of_a_run_that_followed_copies_says_in_words_what_it_restored() -> None:
    """F6, F8: the run log's rollback_counts (as ``RollbackResult.restored``) in the rollback's message; a plan
    only says the changes it would undo. Without any database."""
    from attendance_bridge.tasks.rollback import _outcome, restored_in_words

    done = {
        "outcome": "rolled_back", "sync_run_id": "follower", "school_number": 100,
        "deleted": {"attendance": 4, "attendance_time": 1},
        "restored": {"recodes_undone": 2, "withdrawals_undone": 1, "attendance_time_restored": 1,
                     "withdrawn_by_later_runs": 0, "nothing_to_undo": 0},
    }  # fmt: skip
    assert _outcome({}, done, None) == (
        "rolled_back",
        (
            "run follower of school 100 rolled back: 4 attendance and 1 attendance_time rows deleted; 2 recodes "
            "undone (the copies have their previous code again); 1 withdrawn copy restored with 1 attendance time, "
            "ids included; nothing else touched"
        ),
    )
    assert restored_in_words({"recodes_undone": 1, "withdrawals_undone": 0, "nothing_to_undo": 3}) == [
        "1 recode undone (the copy has its previous code again)",
        "3 changes the run made to copies needed nothing (the run that built them was rolled back first)",
    ]
    assert restored_in_words({"withdrawn_by_later_runs": 2}) == [
        "2 rows of the run that later runs had withdrawn needed nothing (already out of the SIS)"
    ]
    # A run that followed no copy: the message as before.
    assert _outcome({}, {**done, "restored": {}}, None)[1].endswith("rows deleted, nothing else touched")
    plan = {"dry_run": True, "already_rolled_back": False, "sync_run_id": "follower", "school_number": 100,
            "rows": {"attendance": 0, "attendance_time": 0}, "followed": 3}  # fmt: skip
    assert _outcome(plan, {}, None)[1] == (
        "plan only: run follower of school 100 can be rolled back; 0 attendance and 0 attendance_time rows would be "
        "deleted; the 3 changes it made to copies earlier runs built (recodes and withdrawals) would be undone, and "
        "nothing was"
    )
