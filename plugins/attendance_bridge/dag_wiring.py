"""Between the DAG file and the phases: Airflow's task context in, the phases' plain arguments out.

Imported when a DAG file is parsed, so it imports nothing heavy: the phases (``sync``) pull
in pandas, psycopg and Great Expectations only when a task runs.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from attendance_bridge import sync

log = logging.getLogger("attendance_bridge.dag_wiring")
# How the tasks retry a transient database error, per deployment: read when this module is
# imported, i.e. when a DAG processor parses the DAG files (in a process of its own per parse),
# so a change applies from the next parse. The scheduler times retries from the parsed DAG.
RETRIES_ENV = "ATTENDANCE_BRIDGE_RETRIES"
RETRY_DELAY_ENV = "ATTENDANCE_BRIDGE_RETRY_DELAY_SECONDS"
MAX_RETRY_DELAY_ENV = "ATTENDANCE_BRIDGE_MAX_RETRY_DELAY_SECONDS"
DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_SECONDS, DEFAULT_MAX_RETRY_DELAY_SECONDS = 3, 15, 300
# The XCom key under which a task that failed leaves its message for the report.
FAILURE_KEY = "failure"


def default_args() -> dict[str, Any]:
    """The tasks' default arguments, with the retry settings of the environment."""
    return {
        "owner": "attendance-bridge",
        # Only transient database errors reach Airflow's retry: every refusal and data error is
        # raised as AirflowFailException by ``sync.phase`` and fails the task at once.
        "retries": _whole_number(RETRIES_ENV, DEFAULT_RETRIES),
        # Exponential: the n-th retry waits between 1 and 2 times delay * 2**(n-1), at most the maximum.
        "retry_delay": timedelta(seconds=_whole_number(RETRY_DELAY_ENV, DEFAULT_RETRY_DELAY_SECONDS)),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(seconds=_whole_number(MAX_RETRY_DELAY_ENV, DEFAULT_MAX_RETRY_DELAY_SECONDS)),
    }


def _whole_number(name: str, default: int) -> int:
    """A non-negative whole number from the environment, or ``default`` when unset or empty."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit():
        raise ValueError(f"{name} must be a whole number of 0 or more, not {text!r}")
    return int(text)


DEFAULT_ARGS: dict[str, Any] = default_args()

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
    attempt, attempts = _attempt(context.get("ti"))
    return sync.Run(dag_run.dag_id, dag_run.run_id, moment.date(), triggered_by or None, attempt, attempts)


def _attempt(ti: Any) -> tuple[int, int | None]:
    """(this try's number, how many tries it has) in the current round of tries (None: unknown).

    Airflow counts ``try_number`` over the task instance's life and raises ``max_tries`` by the
    task's retries whenever the task instance is cleared; Airflow retries while
    ``try_number <= max_tries``, so the try with ``try_number == max_tries + 1`` is the last.
    """
    try_number, max_tries = getattr(ti, "try_number", None), getattr(ti, "max_tries", None)
    if not isinstance(try_number, int) or not isinstance(max_tries, int):
        return 1, None
    retries = getattr(getattr(ti, "task", None), "retries", None)
    if not isinstance(retries, int) or not 0 <= retries <= max_tries:
        retries = max_tries
    first = max_tries - retries + 1  # the try_number this round of tries started with
    attempt = max(try_number - first + 1, 1)
    return attempt, max(retries + 1, attempt)


def check_parameters(context: Mapping[str, Any]) -> dict[str, Any]:
    """Task 1 with the run's conf exactly as given (unknown keys included, so they can be refused)."""
    return _leaving_failure(
        context, lambda: sync.check_parameters(run_of(context), dict(context["dag_run"].conf or {}))
    )


def phase(name: str, context: Mapping[str, Any], *upstream: Mapping[str, Any]) -> dict[str, Any]:
    """A read-only phase of ``sync`` by name."""
    return _leaving_failure(context, lambda: getattr(sync, name)(run_of(context), *upstream))


def write_phase(name: str, context: Mapping[str, Any], checked: Mapping[str, Any], *upstream: Any) -> dict[str, Any]:
    """Backup or load: skipped on a dry run (X8), so nothing is written to the SIS."""
    if checked["dry_run"]:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException("dry run: nothing is written to the SIS (X8)")
    return _leaving_failure(context, lambda: getattr(sync, name)(run_of(context), checked, *upstream))


def write_report(context: Mapping[str, Any]) -> dict[str, Any]:
    """Task 8: whatever the earlier tasks returned, in one report; the task fails if the run did."""
    ti = context["ti"]
    upstream = {task_id: ti.xcom_pull(task_ids=task_id) for task_id in SYNC_TASKS[:-1]}
    failures = {task_id: ti.xcom_pull(task_ids=task_id, key=FAILURE_KEY) for task_id in SYNC_TASKS[:-1]}
    return sync.write_report(
        run_of(context), dict(context["dag_run"].conf or {}), upstream, {k: v for k, v in failures.items() if v}
    )


def _leaving_failure(context: Mapping[str, Any], call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a phase; when it fails, leave its message in XCom for the report.

    The run log holds the same message, but it lives in the SIS database, which may be what
    failed. Airflow clears a task's XComs when a try starts, so the message is the last try's.
    """
    from airflow.sdk.exceptions import AirflowSkipException

    try:
        return call()
    except AirflowSkipException:
        raise
    except Exception as exc:
        try:
            context["ti"].xcom_push(key=FAILURE_KEY, value=str(exc))
        except Exception:  # best effort: the exception itself still fails the task
            log.warning("could not leave the failure message for the report", exc_info=True)
        raise
