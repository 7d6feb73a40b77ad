"""X5 and teachers at work: concurrent runs and concurrent writers never produce a duplicate.

The runs here call the sync's backup and load phases (the code the DAG's tasks run) from
threads, so a test can hold a lock and see, in ``pg_locks``, exactly who waits for whom.
"""

from __future__ import annotations

import time

import pandas as pd
import psycopg
import pytest
from attendance_bridge.config import DAILY_TO_MEETING, MEETING_TO_DAILY
from attendance_bridge.db import load, locks
from attendance_bridge.db.connection import is_transient
from attendance_bridge.domain.frames import RECORD_DTYPES
from psycopg import sql

from tests.support.phases import (
    PAUSE_LOCK,
    Background,
    SchoolRun,
    connect,
    key_count,
    pause_inserts,
    school_lock,
    wait_for_advisory_waiters,
    wait_for_table_waiters,
)
from tests.support.sync_sandbox import assert_landed_exactly, new_records, rows_before, sorted_records

pytestmark = pytest.mark.integration


def test_x5_two_runs_of_one_school_at_the_same_moment_insert_exactly_what_one_run_inserts(sandbox) -> None:
    first = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "first")
    second = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "second")
    assert len(first.records) > 0
    first.back_up()
    second.back_up()
    before = rows_before(sandbox)

    # Both loads start while the school's lock is taken, so both are in flight at once.
    with connect(sandbox, autocommit=False) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", school_lock(100))
        loads = [Background(run.load) for run in (first, second)]
        wait_for_advisory_waiters(sandbox.conn, school_lock(100), count=2)
        holder.commit()
    results = sorted((background.join()["load"] for background in loads), key=lambda r: r["inserted_attendance"])

    assert [r["inserted_attendance"] for r in results] == [0, len(first.records)]
    assert [r["skipped_existing"] for r in results] == [len(first.records), 0]
    assert_landed_exactly(sandbox, before, first.records)
    assert sorted(run.lineage_rows() for run in (first, second)) == [
        0,
        len(first.records) + results[1]["inserted_attendance_time"],
    ]


def test_x5_runs_of_two_schools_back_up_and_load_side_by_side(sandbox) -> None:
    daily = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "school-100")
    meeting = SchoolRun(sandbox, 200, DAILY_TO_MEETING, "school-200")
    before = rows_before(sandbox)
    daily.back_up()
    pause_inserts(sandbox)

    with connect(sandbox, autocommit=False) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", PAUSE_LOCK)
        loading = Background(daily.load)
        # School 100's load now sits inside its insert, holding its locks and the table's.
        wait_for_advisory_waiters(sandbox.conn, PAUSE_LOCK)
        # School 200 is not held up: it reads, backs up and verifies while school 100 loads...
        backup = meeting.back_up()["backup"]
        assert backup["verified_at"] and backup["school_number"] == 200
        # ...and its load passes its own school's lock, then waits its turn only for the insert.
        other = Background(meeting.load)
        wait_for_advisory_waiters(sandbox.conn, (locks.LOAD_LOCK_CLASS, locks.WRITERS_LOCK_KEY))
        assert other.finished is None and loading.finished is None
        holder.commit()
    loaded_daily, loaded_meeting = loading.join()["load"], other.join()["load"]

    assert loaded_daily["inserted_attendance"] == len(daily.records) > 0
    assert loaded_meeting["inserted_attendance"] == len(meeting.records) > 0
    assert_landed_exactly(sandbox, before, pd.concat([daily.records, meeting.records]))


def test_a_teacher_inserting_during_a_load_waits_only_for_the_load_and_adds_no_duplicate(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "teachers")
    record = run.records.iloc[0]  # a Daily record the run is about to insert
    run.back_up()
    pause_inserts(sandbox)
    # The SIS inserts a teacher's record unless the student already has one for that day:
    # one statement, as an application that checks what exists does.
    statement = sql.SQL(
        "INSERT INTO {sis}.attendance (studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, "
        "att_mode_code) SELECT %(studentid)s, 100, 35, %(att_date)s, %(calendar_dayid)s, %(code)s, 'ATT_ModeDaily' "
        "WHERE NOT EXISTS (SELECT 1 FROM {sis}.attendance WHERE studentid = %(studentid)s "
        "AND att_date = %(att_date)s AND att_mode_code = 'ATT_ModeDaily')"
    ).format(sis=sql.Identifier(sandbox.schema))
    values = {
        "studentid": int(record["studentid"]),
        "att_date": record["att_date"].date(),
        "calendar_dayid": int(record["calendar_dayid"]),
        "code": int(record["attendance_codeid"]),
    }

    def teacher() -> tuple[float, int]:
        with connect(sandbox, autocommit=True) as conn:
            started = time.monotonic()
            inserted = conn.execute(statement, values).rowcount
            return time.monotonic() - started, inserted

    with connect(sandbox, autocommit=False) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", PAUSE_LOCK)
        load_started = time.monotonic()
        loading = Background(run.load)
        wait_for_advisory_waiters(sandbox.conn, PAUSE_LOCK)
        taking_attendance = Background(teacher)
        wait_for_table_waiters(sandbox.conn, sandbox.schema, "attendance")
        assert taking_attendance.finished is None  # held while the run inserts
        holder.commit()
    loaded = loading.join()["load"]
    waited, teacher_inserted = taking_attendance.join()
    load_seconds = loading.finished - load_started

    assert loaded["inserted_attendance"] == len(run.records)
    assert teacher_inserted == 0  # the run's record was there when the teacher's insert ran
    assert key_count(sandbox, record) == 1
    assert waited <= load_seconds  # blocked no longer than the load itself


def test_a_teacher_transaction_open_before_the_load_is_waited_for_and_its_record_kept(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "teacher-first")
    record = run.records.iloc[0]
    run.back_up()
    before = rows_before(sandbox)
    columns = "studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid, att_mode_code"
    values = (int(record["studentid"]), 100, 35, record["att_date"].date(), int(record["calendar_dayid"]),
              int(record["attendance_codeid"]), "ATT_ModeDaily")  # fmt: skip

    with connect(sandbox, autocommit=False) as teacher:
        teacher.execute(
            sql.SQL("INSERT INTO {}.attendance (" + columns + ") VALUES (%s, %s, %s, %s, %s, %s, %s)").format(
                sql.Identifier(sandbox.schema)
            ),
            values,
        )
        loading = Background(run.load)
        # The load waits for the teacher's insert to commit instead of inserting beside it unseen.
        wait_for_table_waiters(sandbox.conn, sandbox.schema, "attendance")
        teacher.commit()
    loaded = loading.join()["load"]

    assert loaded["inserted_attendance"] == len(run.records) - 1
    assert loaded["skipped_existing"] == 1
    assert key_count(sandbox, record) == 1
    # Every other record landed as built; for that day the teacher's row stands, not a second one.
    landed = new_records(sandbox, before)
    pd.testing.assert_frame_equal(
        landed.loc[landed["parent_attendanceid"] != 0].reset_index(drop=True),
        sorted_records(run.records.iloc[1:].astype(RECORD_DTYPES)),
    )


def test_a_load_gives_up_on_a_teacher_transaction_left_open_and_a_retry_lands(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "stuck-teacher")
    run.back_up()
    before = rows_before(sandbox)
    with connect(sandbox, autocommit=False) as teacher:
        teacher.execute(
            sql.SQL("UPDATE {}.attendance SET att_comment = att_comment WHERE false").format(
                sql.Identifier(sandbox.schema)
            )
        )  # holds the table's writer lock, as an open teacher transaction does
        with connect(sandbox, autocommit=True) as conn, pytest.raises(psycopg.errors.LockNotAvailable) as raised:
            load.load_records(conn, sandbox.pipeline_schema, sandbox.schema, run.run.dag_id, run.run.run_id, 100,
                              run.records, run.sources, lock_timeout="200ms")  # fmt: skip
        assert is_transient(raised.value)  # Airflow retries the task
        assert rows_before(sandbox) == before and run.lineage_rows() == 0
        teacher.rollback()
    assert run.load()["load"]["inserted_attendance"] == len(run.records)
    assert_landed_exactly(sandbox, before, run.records)
