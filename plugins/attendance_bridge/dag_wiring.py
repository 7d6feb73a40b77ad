"""Between the DAG file and the phases: Airflow's task context in, the phases' plain arguments out.

Imported when a DAG file is parsed, so it imports nothing heavy: the phases (``sync``) pull
in pandas, psycopg and Great Expectations only when a task runs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from attendance_bridge import sync

DEFAULT_ARGS: dict[str, Any] = {
    "owner": "attendance-bridge",
    # Only transient database errors reach Airflow's retry: every refusal and data error is
    # raised as AirflowFailException by ``sync.phase`` and fails the task at once.
    "retries": 3,
    "retry_delay": timedelta(seconds=15),
    "retry_exponential_backoff": 2.0,
    "max_retry_delay": timedelta(minutes=5),
}

# The task ids of the sync DAG, in order; the report reads their XComs.
SYNC_TASKS = (
    "check_parameters",
    "extract_school_tables",
    "validate_preconditions",
    "compute_missing_records",
    "validate_candidates",
    "back_up_school_records",
    "load_missing_records",
    "write_report",
)


def run_of(context: Mapping[str, Any]) -> sync.Run:
    """The run a task belongs to: ids, the logical date (or when it was triggered), who triggered it."""
    dag_run = context["dag_run"]
    moment = context.get("logical_date") or getattr(dag_run, "logical_date", None) or dag_run.run_after
    user = getattr(dag_run, "triggering_user_name", None)
    how = getattr(dag_run, "triggered_by", None)
    triggered_by = " ".join(str(part) for part in (user, how and f"({getattr(how, 'value', how)})") if part)
    return sync.Run(dag_run.dag_id, dag_run.run_id, moment.date(), triggered_by or None)


def check_parameters(context: Mapping[str, Any]) -> dict[str, Any]:
    """Task 1 with the run's conf exactly as given (unknown keys included, so they can be refused)."""
    return sync.check_parameters(run_of(context), dict(context["dag_run"].conf or {}))


def phase(name: str, context: Mapping[str, Any], *upstream: Mapping[str, Any]) -> dict[str, Any]:
    """A read-only phase of ``sync`` by name."""
    return getattr(sync, name)(run_of(context), *upstream)


def write_phase(name: str, context: Mapping[str, Any], checked: Mapping[str, Any], *upstream: Any) -> dict[str, Any]:
    """Backup or load: skipped on a dry run (X8), so nothing is written to the SIS."""
    if checked["dry_run"]:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException("dry run: nothing is written to the SIS (X8)")
    return getattr(sync, name)(run_of(context), checked, *upstream)


def write_report(context: Mapping[str, Any]) -> dict[str, Any]:
    """Task 8: whatever the earlier tasks returned, in one report; the task fails if the run did."""
    ti = context["ti"]
    upstream = {task_id: ti.xcom_pull(task_ids=task_id) for task_id in SYNC_TASKS[:-1]}
    return sync.write_report(run_of(context), dict(context["dag_run"].conf or {}), upstream)
