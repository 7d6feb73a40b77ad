"""The Celery configuration of a district deployment: Airflow's own, plus the libraries every task needs
imported once per worker (``worker_preload``) instead of once per task.

Airflow runs each task of a Celery worker in a process forked from the worker
(``execute_workload`` -> ``supervise``), and Celery imports the modules of its ``imports`` setting
in the worker before it forks its pool, so a forked task finds pandas, psycopg, the task modules
and Great Expectations already imported: Great Expectations alone is 4-5 s per task otherwise, and
a district's end of term runs three tasks that use it per school. Set in the deployment's
environment (``docker-compose.yml``):

    AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS=attendance_bridge.celery_config.CELERY_CONFIG

This module is imported by every Airflow component that builds the Celery app (the scheduler too),
so it imports nothing heavy itself. Airflow documents the option: ``[celery] celery_config_options``.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

PRELOAD_MODULE = "attendance_bridge.worker_preload"

CELERY_CONFIG: dict[str, Any] = {
    **DEFAULT_CELERY_CONFIG,
    "imports": (*DEFAULT_CELERY_CONFIG.get("imports", ()), PRELOAD_MODULE),
}
