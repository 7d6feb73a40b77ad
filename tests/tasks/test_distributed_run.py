"""A real distributed run (issue 8): the end-of-term DAG on two Celery workers, triggered through the REST API.

The components run as local processes, as ``docker-compose.yml`` runs them in containers: the
api-server, the scheduler and the dag-processor with the CeleryExecutor, PostgreSQL as the
metadata database (a database of its own in the test server) and Redis as the broker (the
machine's when it answers, else a bundled one: ``redis_broker``), and two ``airflow celery
worker`` processes with different host names. The test logs in and triggers the end-of-term run
of 5 June (the last day of both demo schools' year) in apply mode through ``/api/v2`` as a
client would, waits for it there, and checks what landed against a twin district reconciled by
manual runs of the sync DAG.

Each worker takes one task at a time (``--concurrency 1``, and Airflow's Celery settings ack a
task late with a prefetch of one), so while one worker runs a school's task the other school's
task, queued beside it, can only go to the other worker: the two schools' groups run side by
side, on both workers.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from attendance_bridge.catalog import NIGHTLY_DAG_ID
from attendance_bridge.dev.embedded_postgres import SisConnection

from tests.support.airflow_services import AirflowServices, RestClient, running_airflow
from tests.support.celery_workers import celery_environment, start_workers
from tests.support.redis_broker import forget_queue, redis_broker
from tests.support.sync_sandbox import (
    ROOT,
    Sandbox,
    assert_landed_exactly,
    expected_records,
    new_records,
    reconcile_by_hand,
    rows_before,
    task_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "attendance_bridge_end_of_term"
GROUP = "reconcile_school"
# The run whose data interval is 5 June, the last day of both demo schools' year term.
TERM_END_RUN = datetime(2026, 6, 6, 2, tzinfo=UTC)
WORKERS = ("worker-a", "worker-b")
# Then one night of the nightly bridge (issue 22): Monday 6 October 2025, when the two-way school 100's
# daily_to_meeting and the one-way school 200's meeting_to_daily have records to build.
NIGHT_RUN, NIGHT = datetime(2025, 10, 7, 2, tzinfo=UTC), date(2025, 10, 6)
NIGHT_SYNCS = [(100, "meeting_to_daily"), (100, "daily_to_meeting"), (200, "meeting_to_daily")]
RUN_TIMEOUT = 900


def wait_for_run(airflow: AirflowServices, api: RestClient, run_id: str, dag_id: str = DAG_ID) -> dict:
    """The run as the REST API gives it, once it has finished."""
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run_id}"

    def finished() -> dict | None:
        run = api.call("GET", path)
        return run if run["state"] in ("success", "failed") else None

    return airflow.wait_until(f"run {run_id} to finish", finished, RUN_TIMEOUT)


def test_the_end_of_term_run_spreads_school_tasks_over_two_celery_workers_and_lands_what_manual_runs_would(
    sandbox: Sandbox,
    sync_dag,
    sis_server: SisConnection,
    tmp_path_factory: pytest.TempPathFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    by_hand = reconcile_by_hand(sandbox, sync_dag, monkeypatch)
    before = rows_before(sandbox)
    # Names of this test's own: the machine's Redis may serve others at the same time.
    token = uuid.uuid4().hex[:8]
    queue = f"attendance_bridge_{token}"
    hostnames = {component: f"{component}-{token}" for component in WORKERS}

    started = time.monotonic()
    with redis_broker() as broker_url:
        try:
            with running_airflow(
                sis_server,
                ROOT / "dags",
                tmp_path_factory.mktemp("airflow_home"),
                wait_for_dag=DAG_ID,
                executor="CeleryExecutor",
                # The broker, this test's queue, and the libraries imported once per worker (issue 21).
                extra_env={**task_environment(), **celery_environment(broker_url, queue)},
            ) as airflow:
                start_workers(airflow, broker_url, queue, hostnames)
                ready = time.monotonic()
                api = airflow.rest_client()
                assert api.call("PATCH", f"/api/v2/dags/{DAG_ID}", {"is_paused": False})["is_paused"] is False
                triggered = api.call(
                    "POST",
                    f"/api/v2/dags/{DAG_ID}/dagRuns",
                    {"logical_date": TERM_END_RUN.isoformat(), "conf": {"mode": "apply"}},
                )
                run = wait_for_run(airflow, api, triggered["dag_run_id"])
                instances = api.call(
                    "GET", f"/api/v2/dags/{DAG_ID}/dagRuns/{run['dag_run_id']}/taskInstances?limit=100"
                )
                landed = new_records(sandbox, before)

                # One night of the nightly bridge on the same workers.
                night_engines = [
                    expected_records(sandbox, school, direction, "bridge_period_only", NIGHT, NIGHT)
                    for school, direction in NIGHT_SYNCS
                ]
                before_night = rows_before(sandbox)
                api.call("PATCH", f"/api/v2/dags/{NIGHTLY_DAG_ID}", {"is_paused": False})
                night_triggered = api.call(
                    "POST",
                    f"/api/v2/dags/{NIGHTLY_DAG_ID}/dagRuns",
                    {"logical_date": NIGHT_RUN.isoformat(), "conf": {"mode": "apply"}},
                )
                night = wait_for_run(airflow, api, night_triggered["dag_run_id"], NIGHTLY_DAG_ID)
                night_instances = api.call(
                    "GET", f"/api/v2/dags/{NIGHTLY_DAG_ID}/dagRuns/{night['dag_run_id']}/taskInstances?limit=100"
                )
        finally:
            forget_queue(broker_url, queue)
    print(f"start-up {ready - started:.1f}s, run {time.monotonic() - ready:.1f}s (with shutdown)")

    assert run["state"] == "success", instances
    tasks = instances["task_instances"]
    assert len(tasks) == instances["total_entries"]  # one page holds them all
    assert {task["state"] for task in tasks} == {"success"}
    # Every task ran on one of the two workers, and each worker ran some of the schools' tasks.
    assert {task["hostname"] for task in tasks} <= set(hostnames.values())
    school_tasks = [task for task in tasks if task["task_id"].startswith(f"{GROUP}.")]
    assert {task["map_index"] for task in school_tasks} == {0, 1}
    assert {task["hostname"] for task in school_tasks} == set(hostnames.values())
    # What landed is exactly what the manual runs wrote in the twin district.
    pd.testing.assert_frame_equal(landed, by_hand)
    # The night: its three syncs ran on the two workers and landed what the rules engine builds for them.
    assert night["state"] == "success", night_instances
    night_tasks = night_instances["task_instances"]
    assert {task["state"] for task in night_tasks} == {"success"}
    assert {task["hostname"] for task in night_tasks} <= set(hostnames.values())
    assert {task["map_index"] for task in night_tasks if task["task_id"].startswith(f"{GROUP}.")} == {0, 1, 2}
    night_expected = pd.concat([engine.records for engine in night_engines], ignore_index=True)
    assert len(night_expected) > 0
    assert_landed_exactly(sandbox, before_night, night_expected)

    # Each task process was forked from a worker that had imported Great Expectations once, at its
    # start (celery_config): no gate paid the import again. The task logs say so at each task's start.
    def gate_logs(dag_id: str) -> list[str]:
        return [
            path.read_text()
            for task_id in ("validate_preconditions", "validate_candidates")
            for path in (airflow.home / "logs" / f"dag_id={dag_id}").rglob(f"task_id={GROUP}.{task_id}/**/*.log")
        ]

    assert len(gate_logs(DAG_ID)) == 4, "two gates for each of the two schools"
    assert len(gate_logs(NIGHTLY_DAG_ID)) == 6, "two gates for each of the night's three syncs"
    assert all("Great Expectations already imported" in text for text in gate_logs(DAG_ID) + gate_logs(NIGHTLY_DAG_ID))
