"""X4 under fire: the database fails in the middle of a load, and the run leaves nothing behind.

A trigger that raises after N inserted rows stands for a disk, a constraint or a bug failing
halfway; a terminated backend stands for a dropped connection or a server restart. Either way
the failed run leaves no attendance, attendance_time or lineage row, and the retry (or a new
run) lands exactly the set the rules engine builds.
"""

from __future__ import annotations

import psycopg
import pytest
from attendance_bridge.config import MEETING_TO_DAILY
from attendance_bridge.db import migrations

from tests.support.phases import (
    PAUSE_LOCK,
    Background,
    SchoolRun,
    connect,
    pause_inserts,
    wait_for_advisory_waiters,
)
from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    assert_landed_exactly,
    assert_lineage_agrees,
    expected_records,
    rows_before,
    run_sync,
    snapshot,
)

pytestmark = pytest.mark.integration

FAIL_AFTER = 10


def fail_after(sandbox, schema_placeholder: str, table: str, rows: int) -> None:
    """A trigger on ``table`` that raises once ``rows`` rows were inserted into it by anyone."""
    sandbox.q("CREATE SEQUENCE {sis}.fault_counter")
    sandbox.q(
        "CREATE FUNCTION {sis}.fail_after() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF nextval('{{sis}}.fault_counter'::regclass) > {rows} THEN "
        "RAISE EXCEPTION 'injected fault: the disk is full'; END IF; RETURN NEW; END $$".replace(
            "{sis}", sandbox.schema
        )
    )
    sandbox.q(
        f"CREATE TRIGGER fail_after AFTER INSERT ON {{{schema_placeholder}}}.{table} "
        "FOR EACH ROW EXECUTE FUNCTION {sis}.fail_after()"
    )


@pytest.mark.parametrize(
    ("schema_placeholder", "table"),
    [("sis", "attendance"), ("sis", "attendance_time"), ("pipeline", "lineage")],
    ids=["in-attendance", "in-attendance_time", "in-lineage"],
)
def test_x4_a_run_whose_load_fails_halfway_leaves_nothing_and_the_next_run_lands_everything(
    sandbox, sync_dag, schema_placeholder: str, table: str
) -> None:
    expected = expected_records(sandbox, 100, MEETING_TO_DAILY, "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    assert len(expected.records) > FAIL_AFTER
    migrations.migrate(sandbox.conn, sandbox.pipeline_schema)
    fail_after(sandbox, schema_placeholder, table, FAIL_AFTER)
    before, tables = rows_before(sandbox), snapshot(sandbox)

    state, report = run_sync(sync_dag, school_number=100, year=35)

    assert state == "failed"
    assert report["status"] == "failed" and report["stopped_at"] == "load_missing_records"
    assert "injected fault" in report["message"]
    # More than FAIL_AFTER rows went in before the fault, and none of them stayed (X4).
    fired = sandbox.q("SELECT last_value FROM {sis}.fault_counter")[0][0]
    assert fired > FAIL_AFTER
    assert snapshot(sandbox) == tables
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage")[0][0] == 0
    # The backup stays, for the auditor; the failed run is in the run log with its reason.
    assert sandbox.q("SELECT status FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"]) == [("failed",)]

    sandbox.q(f"DROP TRIGGER fail_after ON {{{schema_placeholder}}}.{table}")
    state, again = run_sync(sync_dag, school_number=100, year=35)

    assert state == "success", again["message"]
    assert again["counts"]["inserted"] == len(expected.records)
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, again, before)


def test_x4_a_load_whose_connection_is_killed_leaves_nothing_and_its_retry_lands_everything(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "killed")
    run.back_up()
    before, tables = rows_before(sandbox), snapshot(sandbox)
    pause_inserts(sandbox)

    with connect(sandbox, autocommit=False) as holder:
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", PAUSE_LOCK)
        loading = Background(run.load)
        wait_for_advisory_waiters(sandbox.conn, PAUSE_LOCK)  # inside its insert, locks held
        killed = sandbox.q(
            "SELECT pg_terminate_backend(l.pid) FROM pg_locks l WHERE l.locktype = 'advisory' AND NOT l.granted "
            "AND l.classid = %(a)s AND l.objid = %(b)s",
            a=PAUSE_LOCK[0],
            b=PAUSE_LOCK[1],
        )
        assert killed == [(True,)]
        with pytest.raises(psycopg.OperationalError):
            loading.join()  # raised as is: a transient error, which Airflow retries
        holder.commit()

    assert snapshot(sandbox) == tables
    assert run.lineage_rows() == 0
    sandbox.q("DROP TRIGGER pause_insert ON {sis}.attendance")
    retried = run.load()["load"]  # what the task's next try runs
    assert retried["inserted_attendance"] == len(run.records)
    assert_landed_exactly(sandbox, before, run.records)
