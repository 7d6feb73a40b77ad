"""Transient database errors, through the real DAG (``dag.test()``) and its real retries.

What ``dag.test()`` does with a failed try (Airflow 3.3.2, ``airflow.sdk.definitions.dag``):
the task runner marks it ``up_for_retry`` while ``try_number <= max_tries``; the test loop
asks the DagRun for schedulable task instances, which leaves a task out until its retry
delay has passed (``NotInRetryPeriodDep``, the scheduler's own check), and sleeps 1 s
between rounds while nothing is runnable. So a retry does happen, after the real delay
(exponential: between 1 and 2 times ``retry_delay * 2**(try - 1)``). The tests shorten the
delay through the deployment setting ``ATTENDANCE_BRIDGE_RETRY_DELAY_SECONDS`` (read when the
DAG file is parsed) and keep the default number of retries.

The tests synchronise on what PostgreSQL reports (a session waiting for a lock), never on a
sleep: the test holds ``attendance`` locked, the extraction's COPY waits for it, and a thread
terminates that waiting backend (a dropped connection) and then lets the lock go.
"""

from __future__ import annotations

import json
import socket
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from attendance_bridge import config, wiring
from attendance_bridge.catalog import SYNC_TASK_IDS
from attendance_bridge.config import MEETING_TO_DAILY, SIS_CONN_ENV

from tests.support.phases import Background, connect, wait_for_table_waiters
from tests.support.sync_sandbox import (
    ROOT,
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    assert_landed_exactly,
    assert_lineage_agrees,
    expected_records,
    rows_before,
    run_folder_name,
    run_report_folder,
    snapshot,
)

pytestmark = pytest.mark.integration

RETRY_DELAY_SECONDS = 1


@pytest.fixture
def quick_retry_dag(sandbox, monkeypatch: pytest.MonkeyPatch):
    """The sync DAG parsed with a 1 s retry delay (the deployment setting), default retries."""
    monkeypatch.setenv(config.RETRY_DELAY_ENV, str(RETRY_DELAY_SECONDS))
    monkeypatch.delenv(config.RETRIES_ENV, raising=False)
    # The DAG file reads wiring.DEFAULT_ARGS, computed from the environment when a DAG
    # processor imports it; this process imported it long ago.
    monkeypatch.setattr(wiring, "DEFAULT_ARGS", wiring.default_args())
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_sync.py"))
    assert not bag.import_errors
    dag = bag.dags["attendance_bridge_sync"]
    for task in dag.tasks:
        assert task.retry_delay.total_seconds() == RETRY_DELAY_SECONDS, task.task_id
        assert task.retries == (0 if task.task_id == "write_report" else config.DEFAULT_RETRIES), task.task_id
    return dag


def run_dag(dag, **conf: object) -> tuple[str, dict[str, int], dict[str, str], dict]:
    """One dag.test() run: its state, each task's tries and state, and its report."""
    run = dag.test(run_conf=conf, logical_date=datetime.now(UTC))
    instances = run.get_task_instances()
    tries = {ti.task_id: ti.try_number for ti in instances}
    states = {ti.task_id: str(ti.state) for ti in instances}
    reports = list(Path(run_report_folder()).glob(f"*/{run_folder_name(run.dag_id, run.run_id)}/report.json"))
    assert len(reports) == 1, f"no report for {run.run_id}"
    return str(run.state), tries, states, json.loads(reports[0].read_text())


# --------------------------------------------------------------------------- a dropped connection


def drop_the_waiting_copy(sandbox, holder: psycopg.Connection) -> str:
    """Terminate the session that waits for ``holder``'s lock on attendance, then release the lock.

    Returns the statement the terminated session was running.
    """
    try:
        with connect(sandbox, autocommit=True) as watcher:
            wait_for_table_waiters(watcher, sandbox.schema, "attendance")
            rows = watcher.execute(
                "SELECT a.pid, a.query FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'relation' AND NOT l.granted AND n.nspname = %s AND c.relname = 'attendance'",
                (sandbox.schema,),
            ).fetchall()
            assert len(rows) == 1, rows
            pid, query = rows[0]
            assert watcher.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
            return query
    finally:
        holder.rollback()  # the lock goes, whatever happened: the retry must not wait for it


def test_a_connection_dropped_during_extraction_is_retried_and_the_run_lands_exactly(sandbox, quick_retry_dag) -> None:
    expected = expected_records(sandbox, 100, MEETING_TO_DAILY, "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    assert len(expected.records) > 0
    before = rows_before(sandbox)

    with connect(sandbox, autocommit=False) as holder:
        holder.execute(f'LOCK TABLE "{sandbox.schema}".attendance IN ACCESS EXCLUSIVE MODE')
        dropping = Background(lambda: drop_the_waiting_copy(sandbox, holder))
        state, tries, states, report = run_dag(quick_retry_dag, school_number=100, year=35)
        dropped_query = dropping.join()

    assert dropped_query.startswith("COPY (") and "attendance" in dropped_query  # the extraction's read
    assert state == "success", report["message"]
    assert tries["extract_school_tables"] == 2
    assert {task: n for task, n in tries.items() if task != "extract_school_tables"} == dict.fromkeys(
        SYNC_TASK_IDS[:1] + SYNC_TASK_IDS[2:], 1
    )
    assert set(states.values()) == {"success"}
    assert report["status"] == "succeeded" and report["message"] is None
    assert report["counts"]["inserted"] == len(expected.records)
    assert report["run_log"]["written"] is True
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, report, before)


# --------------------------------------------------------------------------- a database that stays down


def dead_port() -> int:
    """A local TCP port nothing listens on (the kernel's pick, closed again)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_database_that_stays_down_fails_the_run_after_every_retry_and_the_report_says_so(
    sandbox, quick_retry_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = dead_port()
    monkeypatch.setenv(
        SIS_CONN_ENV,
        json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": port, "login": "sis", "schema": "sis"}),
    )
    tables = snapshot(sandbox)

    state, tries, states, report = run_dag(quick_retry_dag, school_number=100, year=35)

    assert state == "failed"
    attempts = quick_retry_dag.get_task("check_parameters").retries + 1
    assert tries["check_parameters"] == attempts == config.DEFAULT_RETRIES + 1
    assert states["check_parameters"] == "failed"
    assert {states[task] for task in SYNC_TASK_IDS[1:-1]} == {"upstream_failed"}
    assert (states["write_report"], tries["write_report"]) == ("failed", 1)

    assert report["status"] == "failed" and report["stopped_at"] == "check_parameters"
    message = report["message"]
    assert message.startswith(f"check_parameters failed on all {attempts} attempts: ")
    assert f"the SIS database sis at 127.0.0.1:{port} could not be reached (Connection refused)" in message
    assert "Airflow retries" not in message
    assert "Error" not in message and "\n" not in message  # words, not a Python repr or libpq's hint lines
    assert report["run_log"] == {
        "written": False,
        "detail": "the run log row of this run could not be written: "
        f"the SIS database sis at 127.0.0.1:{port} could not be reached (Connection refused)",
    }
    assert report["school_number"] == 100 and report["parameters"] == {"school_number": 100, "year": 35}
    # Nothing reached the real database: no SIS table changed, no pipeline schema was created.
    assert snapshot(sandbox) == tables
    assert sandbox.q("SELECT count(*) FROM pg_namespace WHERE nspname = %(n)s", n=sandbox.pipeline_schema) == [(0,)]


def test_a_rollback_with_the_database_down_still_writes_its_report_saying_so(
    sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.RETRY_DELAY_ENV, str(RETRY_DELAY_SECONDS))
    monkeypatch.setenv(config.RETRIES_ENV, "1")
    monkeypatch.setattr(wiring, "DEFAULT_ARGS", wiring.default_args())
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_rollback.py"))
    assert not bag.import_errors
    port = dead_port()
    monkeypatch.setenv(
        SIS_CONN_ENV,
        json.dumps({"conn_type": "postgres", "host": "127.0.0.1", "port": port, "login": "sis", "schema": "sis"}),
    )

    state, tries, states, report = run_dag(bag.dags["attendance_bridge_rollback"], school_number=100)

    assert state == "failed" and states["plan_rollback"] == "failed" and tries["plan_rollback"] == 2
    unreachable = f"the SIS database sis at 127.0.0.1:{port} could not be reached (Connection refused)"
    assert report["status"] == "failed" and report["outcome"] == "failed"
    assert report["message"].startswith("plan_rollback failed on all 2 attempts: ") and unreachable in report["message"]
    assert report["run_log"] == {
        "written": False,
        "detail": f"the run log row of this rollback could not be written: {unreachable}",
    }
    assert report["deleted"] == {"attendance": 0, "attendance_time": 0}
