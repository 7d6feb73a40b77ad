"""Celery workers beside the Airflow components of ``airflow_services``: the distributed run's and the district benchmark's.

``celery_environment(broker_url, queue)`` is what the components need to hand their tasks to the
workers (``running_airflow(..., executor="CeleryExecutor", extra_env=...)``): the broker, a queue of
the caller's own (the machine's Redis may serve others at the same time) and, as
``docker-compose.yml`` sets it, the Celery configuration that imports the task libraries once per
worker (``attendance_bridge.celery_config``). ``start_workers`` then starts one ``airflow celery
worker`` per name, each reporting a host name of its own (``worker_hostname``), and waits until
every one answers a ping on the broker.
"""

from __future__ import annotations

import os

from tests.support.airflow_services import ROOT, AirflowServices
from tests.support.worker_hostname import CALLABLE, WORKER_HOSTNAME_ENV

# Until every worker answers a ping: only a hang reaches it. Each worker imports Airflow and the task
# libraries first, which on a loaded machine takes several times as long as idle.
WORKER_START_TIMEOUT = 600
CELERY_CONFIG_OPTIONS = "attendance_bridge.celery_config.CELERY_CONFIG"


def celery_environment(broker_url: str, queue: str) -> dict[str, str]:
    """The components' Celery settings: the broker, the queue every task goes to, the workers' preload."""
    return {
        "AIRFLOW__CELERY__BROKER_URL": broker_url,
        "AIRFLOW__OPERATORS__DEFAULT_QUEUE": queue,
        # As docker-compose.yml sets it: the libraries imported once per worker (issue 21).
        "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": CELERY_CONFIG_OPTIONS,
    }


def celery_workers(broker_url: str) -> set[str]:
    """The node names (``name@host``) of the Celery workers that answer a ping on the broker."""
    from celery import Celery

    app = Celery(broker=broker_url)
    try:
        replies = app.control.ping(timeout=1.0)
    finally:
        app.close()
    return {node for reply in replies for node in reply}


def start_workers(
    airflow: AirflowServices, broker_url: str, queue: str, names: dict[str, str], concurrency: int = 1
) -> None:
    """Start one ``airflow celery worker`` per name, each with a host name of its own; wait until all answer.

    ``names`` maps each worker's component name (its log is ``components/<name>.log``) to its host name.
    """
    # The project root first, for the hostname callable's module; whatever the environment had after it.
    python_path = os.pathsep.join(filter(None, (str(ROOT), airflow.env.get("PYTHONPATH"))))
    for component, hostname in names.items():
        airflow.start_component(
            component,
            "celery", "worker", "--queues", queue, "--concurrency", str(concurrency),
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
