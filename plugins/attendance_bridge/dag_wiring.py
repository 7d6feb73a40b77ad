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

from attendance_bridge import end_of_term, sync

log = logging.getLogger("attendance_bridge.dag_wiring")
# How the tasks retry a transient database error, per deployment: read when this module is
# imported, i.e. when a DAG processor parses the DAG files (in a process of its own per parse),
# so a change applies from the next parse. The scheduler times retries from the parsed DAG.
RETRIES_ENV = "ATTENDANCE_BRIDGE_RETRIES"
RETRY_DELAY_ENV = "ATTENDANCE_BRIDGE_RETRY_DELAY_SECONDS"
MAX_RETRY_DELAY_ENV = "ATTENDANCE_BRIDGE_MAX_RETRY_DELAY_SECONDS"
DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_SECONDS, DEFAULT_MAX_RETRY_DELAY_SECONDS = 3, 15, 300
# The end-of-term DAG's mode when a run does not choose one (report: dry runs only), and the
# timezone in which the district's days end; read at parse time like the retry settings.
END_OF_TERM_MODE_ENV = "ATTENDANCE_BRIDGE_END_OF_TERM_MODE"
TIMEZONE_ENV = "ATTENDANCE_BRIDGE_TIMEZONE"
# The end-of-term DAG's first task, and what it leaves in XCom besides the school syncs.
FIND_TASK = "find_schools_to_reconcile"
PLAN_KEYS = ("interval", "left_out")
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


def run_of(context: Mapping[str, Any], school: Mapping[str, Any] | None = None) -> sync.Run:
    """The run a task belongs to: ids, the logical date (or when it was triggered), who triggered it.

    Inside the end-of-term DAG's group for one ``school`` (an entry of its plan), the run is that
    school's sync, whose run id is the DAG run's followed by the school's key.
    """
    dag_run = context["dag_run"]
    moment = context.get("logical_date") or getattr(dag_run, "logical_date", None) or dag_run.run_after
    user = getattr(dag_run, "triggering_user_name", None)
    how = getattr(dag_run, "triggered_by", None)
    triggered_by = " ".join(str(part) for part in (user, how and f"({getattr(how, 'value', how)})") if part)
    attempt, attempts = _attempt(context.get("ti"))
    run_id = dag_run.run_id if school is None else end_of_term.school_run_id(dag_run.run_id, school["key"])
    return sync.Run(dag_run.dag_id, run_id, moment.date(), triggered_by or None, attempt, attempts)


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


def _conf(context: Mapping[str, Any], school: Mapping[str, Any] | None) -> dict[str, Any]:
    """The sync's parameters: the DAG run's conf, or those the end-of-term plan gave the school."""
    _name_map_index(context, school)
    return dict(school["conf"]) if school is not None else dict(context["dag_run"].conf or {})


def _name_map_index(context: Mapping[str, Any], school: Mapping[str, Any] | None) -> None:
    """For a school of the end-of-term DAG, the name its tasks show in the UI instead of a map index
    ("school 100 (S1)"), through the group's ``map_index_template``."""
    if school is None:
        return
    terms = ", ".join(term["abbreviation"] or term["name"] for term in school.get("terms") or [])
    context["school_label"] = f"school {school['school_number']}" + (f" ({terms})" if terms else "")  # type: ignore[index]


def check_parameters(context: Mapping[str, Any], school: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Task 1 with the run's conf exactly as given (unknown keys included, so they can be refused)."""
    return _leaving_failure(context, lambda: sync.check_parameters(run_of(context, school), _conf(context, school)))


def phase(
    name: str, context: Mapping[str, Any], *upstream: Mapping[str, Any], school: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A read-only phase of ``sync`` by name."""
    _name_map_index(context, school)
    return _leaving_failure(context, lambda: getattr(sync, name)(run_of(context, school), *upstream))


def write_phase(
    name: str, context: Mapping[str, Any], checked: Mapping[str, Any], *upstream: Any,
    school: Mapping[str, Any] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Backup or load: skipped on a dry run (X8), so nothing is written to the SIS."""
    _name_map_index(context, school)
    if checked["dry_run"]:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException("dry run: nothing is written to the SIS (X8)")
    return _leaving_failure(context, lambda: getattr(sync, name)(run_of(context, school), checked, *upstream))


def write_report(
    context: Mapping[str, Any], school: Mapping[str, Any] | None = None, group_id: str | None = None
) -> dict[str, Any]:
    """Task 8: whatever the earlier tasks returned, in one report; the task fails if the run did.

    In the end-of-term DAG the phases are the tasks of the school's instance of the mapped group
    ``group_id``, which share this task's map index.
    """
    ti = context["ti"]
    prefix = f"{group_id}." if group_id else ""
    where = {"map_indexes": ti.map_index} if group_id else {}
    phases = SYNC_TASKS[:-1]
    upstream = {task_id: ti.xcom_pull(task_ids=prefix + task_id, **where) for task_id in phases}
    failures = {task_id: ti.xcom_pull(task_ids=prefix + task_id, key=FAILURE_KEY, **where) for task_id in phases}
    return sync.write_report(
        run_of(context, school), _conf(context, school), upstream, {k: v for k, v in failures.items() if v}
    )


# --------------------------------------------------------------------------- rollback


def rollback_task(name: str, context: Mapping[str, Any], *upstream: Any) -> dict[str, Any]:
    """A task of the rollback DAG by name; a failure's message is left in XCom for its report."""
    from attendance_bridge import rollback

    return _leaving_failure(context, lambda: getattr(rollback, name)(run_of(context), *upstream))


def write_rollback_report(context: Mapping[str, Any]) -> dict[str, Any]:
    """The rollback's report from what its tasks returned, and the messages the failed ones left."""
    from attendance_bridge import rollback

    ti = context["ti"]
    tasks = rollback.ROLLBACK_TASKS[:-1]
    upstream = {task_id: ti.xcom_pull(task_ids=task_id) for task_id in tasks}
    failures = {task_id: ti.xcom_pull(task_ids=task_id, key=FAILURE_KEY) for task_id in tasks}
    return rollback.write_report(
        run_of(context), dict(context["dag_run"].conf or {}), upstream, {k: v for k, v in failures.items() if v}
    )


# --------------------------------------------------------------------------- end of term


def end_of_term_mode() -> str:
    """The end-of-term DAG's default mode, from ``ATTENDANCE_BRIDGE_END_OF_TERM_MODE`` (``report`` when unset)."""
    text = os.environ.get(END_OF_TERM_MODE_ENV, "").strip().lower()
    if not text:
        return end_of_term.REPORT_MODE
    if text not in end_of_term.MODES:
        raise ValueError(f"{END_OF_TERM_MODE_ENV} must be one of {', '.join(end_of_term.MODES)}, not {text!r}")
    return text


def district_timezone() -> str:
    """The district's timezone, from ``ATTENDANCE_BRIDGE_TIMEZONE`` (UTC when unset): when its days end."""
    import pendulum

    name = os.environ.get(TIMEZONE_ENV, "").strip() or "UTC"
    try:
        pendulum.timezone(name)
    except Exception as exc:
        raise ValueError(f"{TIMEZONE_ENV} must be an IANA timezone such as America/Chicago, not {name!r}") from exc
    return name


def find_schools_to_reconcile(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The school syncs of an end-of-term run, for its data interval (read from the SIS now).

    They are the task's return value, which the school group maps over; the interval and the
    schools left out go to XCom under their own keys, for the summary.
    """
    dag_run = context["dag_run"]
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None:  # a run without a data interval: the day before it was due
        end = dag_run.run_after
        start = end - timedelta(days=1)
    mode = context["params"]["mode"]
    plan = end_of_term.find_schools_to_reconcile(run_of(context), start, end, district_timezone(), mode)
    for key in PLAN_KEYS:
        context["ti"].xcom_push(key=key, value=plan[key])
    return plan["reconciliations"]


def write_district_summary(context: Mapping[str, Any], schools: list[dict[str, Any]]) -> dict[str, Any]:
    """The district summary of an end-of-term run; the task fails, after writing it, when a school failed."""
    ti = context["ti"]
    plan = {key: ti.xcom_pull(task_ids=FIND_TASK, key=key) for key in PLAN_KEYS}
    return end_of_term.write_district_summary(run_of(context), {**plan, "reconciliations": schools})


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
