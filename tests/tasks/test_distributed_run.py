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

import os
import time
import uuid
from datetime import UTC, datetime

import pandas as pd
import pytest
from attendance_bridge.dev.embedded_postgres import SisConnection

from tests.support.airflow_services import AirflowServices, RestClient, running_airflow
from tests.support.redis_broker import forget_queue, redis_broker
from tests.support.sync_sandbox import (
    ROOT,
    Sandbox,
    new_records,
    reconcile_by_hand,
    rows_before,
    task_environment,
)
from tests.support.worker_hostname import CALLABLE, WORKER_HOSTNAME_ENV

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "attendance_bridge_end_of_term"
GROUP = "reconcile_school"
# The run whose data interval is 5 June, the last day of both demo schools' year term.
TERM_END_RUN = datetime(2026, 6, 6, 2, tzinfo=UTC)
WORKERS = ("worker-a", "worker-b")
WORKER_START_TIMEOUT = 120
RUN_TIMEOUT = 900


def celery_workers(broker_url: str) -> set[str]:
    """The node names (``name@host``) of the Celery workers that answer a ping on the broker."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        replies = app.control.ping(timeout=1.0)
    finally:
        app.close()
    return {node for reply in replies for node in reply}


def start_workers(airflow: AirflowServices, broker_url: str, queue: str, names: dict[str, str]) -> None:
    """Start one ``airflow celery worker`` per name, each with a host name of its own; wait until all answer."""
    # The project root first, for the hostname callable's module; whatever the environment had after it.
    python_path = os.pathsep.join(filter(None, (str(ROOT), airflow.env.get("PYTHONPATH"))))
    for component, hostname in names.items():
        airflow.start_component(
            component,
            "celery", "worker", "--queues", queue, "--concurrency", "1",
            "--celery-hostname", f"{hostname}@%h",
            # Both workers are on this machine: the log server's port would clash, and the
            # api-server reads the task logs from the shared AIRFLOW_HOME/logs anyway.
            "--skip-serve-logs",
            env={WORKER_HOSTNAME_ENV: hostname, "AIRFLOW__CORE__HOSTNAME_CALLABLE": CALLABLE, "PYTHONPATH": python_path},
        )  # fmt: skip
    wanted = set(names.values())
    airflow.wait_until(
        f"Celery workers {sorted(wanted)} to answer a ping",
        lambda: wanted <= {node.split("@", 1)[0] for node in celery_workers(broker_url)},
        WORKER_START_TIMEOUT,
    )


def wait_for_run(airflow: AirflowServices, api: RestClient, run_id: str) -> dict:
    """The run as the REST API gives it, once it has finished."""
    path = f"/api/v2/dags/{DAG_ID}/dagRuns/{run_id}"

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
                extra_env={
                    **task_environment(),
                    "AIRFLOW__CELERY__BROKER_URL": broker_url,
                    "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
                    # As docker-compose.yml sets it: the libraries imported once per worker (issue 21).
                    "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "attendance_bridge.celery_config.CELERY_CONFIG",
                },
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
    pd.testing.assert_frame_equal(new_records(sandbox, before), by_hand)
    # Each task process was forked from a worker that had imported Great Expectations once, at its
    # start (celery_config): no gate paid the import again. The task logs say so at each task's start.
    gate_logs = [
        path.read_text()
        for task_id in ("validate_preconditions", "validate_candidates")
        for path in (airflow.home / "logs").rglob(f"task_id={GROUP}.{task_id}/**/*.log")
    ]
    assert len(gate_logs) == 4, "two gates for each of the two schools"
    assert all("Great Expectations already imported" in text for text in gate_logs)
