"""Between the DAG files and the tasks: the sync graph, declared once, and Airflow's context turned
into the tasks' plain arguments.

``sync_tasks`` declares the eight tasks of a sync (``catalog.SYNC_TASKS``) and their edges for
both the sync DAG and each school's group of the end-of-term DAG. Every ``@task`` body imports
its task function (``tasks.*``) when it runs, so parsing a DAG file imports nothing heavy:
no pandas, psycopg or Great Expectations (``tests/dags`` checks it).

A task that fails leaves its message in XCom (``FAILURE_KEY``) for the report: the run log
holds the same message, but it lives in the SIS database, which may be what failed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import get_current_context, task, task_group

from attendance_bridge.catalog import (
    FIND_SCHOOLS_TASK,
    ROLLBACK_TASK_IDS,
    SCHOOL_GROUP,
    SYNC_PHASES,
)
from attendance_bridge.config import (
    ALL_PERIODS,
    DEFAULT_MAX_RETRY_DELAY_SECONDS,
    DEFAULT_RETRIES,
    DEFAULT_RETRY_DELAY_SECONDS,
    MAX_RETRY_DELAY_ENV,
    RETRIES_ENV,
    RETRY_DELAY_ENV,
    district_timezone,
    whole_number,
)

if TYPE_CHECKING:
    from attendance_bridge.tasks.runtime import TaskRun

log = logging.getLogger(__name__)

# What the end-of-term DAG's first task leaves in XCom besides the school syncs.
PLAN_KEYS = ("interval", "left_out")
# The XCom key under which a task that failed leaves its message for the report.
FAILURE_KEY = "failure"


def default_args() -> dict[str, Any]:
    """The tasks' default arguments, with the retry settings of the environment."""
    return {
        "owner": "attendance-bridge",
        # Only transient database errors reach Airflow's retry: every refusal and data error is
        # raised as AirflowFailException by ``tasks.runtime.guarded_phase`` and fails the task at once.
        "retries": whole_number(RETRIES_ENV, DEFAULT_RETRIES),
        # Exponential: the n-th retry waits between 1 and 2 times delay * 2**(n-1), at most the maximum.
        "retry_delay": timedelta(seconds=whole_number(RETRY_DELAY_ENV, DEFAULT_RETRY_DELAY_SECONDS)),
        "retry_exponential_backoff": 2.0,
        "max_retry_delay": timedelta(seconds=whole_number(MAX_RETRY_DELAY_ENV, DEFAULT_MAX_RETRY_DELAY_SECONDS)),
    }


DEFAULT_ARGS: dict[str, Any] = default_args()


# --------------------------------------------------------------------------- the sync graph


def sync_tasks(school: Any = None, group_id: str | None = None) -> None:
    """The sync's eight tasks and their edges, in the DAG or task group being defined.

    ``school`` is the end-of-term group's mapped argument (an entry of its plan), whose tasks
    sync that school under the run id of the DAG run followed by the school's key; ``group_id``
    is that group's id. Without them, the tasks sync the DAG run's conf.
    """
    # Only the end-of-term group's tasks take the school: the sync DAG's have no such argument.
    per_school = {"school": school} if school is not None else {}

    @task
    def check_parameters(school: dict | None = None) -> dict:
        from attendance_bridge.tasks.parameters import check_parameters

        context = get_current_context()
        _name_map_index(context, school)
        return _leaving_failure(context, lambda: check_parameters(run_of(context, school), _conf(context, school)))

    @task
    def extract_school_tables(checked: dict, school: dict | None = None) -> dict:
        from attendance_bridge.tasks import sync

        return _read_task(sync.extract_school_tables, school, checked)

    @task
    def validate_preconditions(checked: dict, extracted: dict, school: dict | None = None) -> dict:
        from attendance_bridge.tasks import sync

        return _read_task(sync.validate_preconditions, school, checked, extracted)

    @task
    def compute_missing_records(
        checked: dict, extracted: dict, preconditions: dict, school: dict | None = None
    ) -> dict:
        from attendance_bridge.tasks import sync

        return _read_task(sync.compute_missing_records, school, checked, extracted, preconditions)

    @task
    def validate_candidates(
        checked: dict, extracted: dict, computed: dict, preconditions: dict, school: dict | None = None
    ) -> dict:
        from attendance_bridge.tasks import sync

        return _read_task(sync.validate_candidates, school, checked, extracted, computed, preconditions)

    @task
    def back_up_school_records(checked: dict, school: dict | None = None) -> dict:
        from attendance_bridge.tasks import sync

        return _write_task(sync.back_up_school_records, school, checked)

    @task
    def load_missing_records(checked: dict, computed: dict, school: dict | None = None) -> dict:
        from attendance_bridge.tasks import sync

        return _write_task(sync.load_missing_records, school, checked, computed)

    @task(trigger_rule="all_done", retries=0)
    def write_report(school: dict | None = None) -> dict:
        return _write_sync_report(get_current_context(), school, group_id)

    checked = check_parameters(**per_school)
    extracted = extract_school_tables(checked, **per_school)
    preconditions = validate_preconditions(checked, extracted, **per_school)
    computed = compute_missing_records(checked, extracted, preconditions, **per_school)
    candidates = validate_candidates(checked, extracted, computed, preconditions, **per_school)
    # The backup needs only the preconditions (SPEC section 4: none is taken when they fail), so
    # it runs while the records are computed and checked; the load waits for both.
    backup = back_up_school_records(checked, **per_school)
    preconditions >> backup
    loaded = load_missing_records(checked, computed, **per_school)
    [candidates, backup] >> loaded
    # The report judges the run from every task, so it waits for every one of them, whatever their state
    # (all_done). Behind the load alone it would start as soon as a dry run's skipped backup made Airflow
    # skip the load, while a concurrent executor still runs the candidates' checks (docs/decisions.md,
    # "The graph under a concurrent executor").
    [checked, extracted, preconditions, computed, candidates, backup, loaded] >> write_report(**per_school)


def run_of(context: Mapping[str, Any], school: Mapping[str, Any] | None = None) -> TaskRun:
    """The run a task belongs to: ids, the logical date (or when it was triggered), who triggered it.

    Inside the end-of-term DAG's group for one ``school`` (an entry of its plan), the run is that
    school's sync, whose run id is the DAG run's followed by the school's key.
    """
    from attendance_bridge.domain.reconciliation import school_run_id
    from attendance_bridge.tasks.runtime import TaskRun

    dag_run = context["dag_run"]
    moment = context.get("logical_date") or getattr(dag_run, "logical_date", None) or dag_run.run_after
    user = getattr(dag_run, "triggering_user_name", None)
    how = getattr(dag_run, "triggered_by", None)
    triggered_by = " ".join(str(part) for part in (user, how and f"({getattr(how, 'value', how)})") if part)
    attempt, attempts = _attempt(context.get("ti"))
    run_id = dag_run.run_id if school is None else school_run_id(dag_run.run_id, school["key"])
    return TaskRun(dag_run.dag_id, run_id, moment.date(), triggered_by or None, attempt, attempts)


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
    """The sync's parameters: the DAG run's conf exactly as given (unknown keys included, so they can be
    refused), or those the end-of-term plan gave the school."""
    return dict(school["conf"]) if school is not None else dict(context["dag_run"].conf or {})


def _name_map_index(context: Mapping[str, Any], school: Mapping[str, Any] | None) -> None:
    """For a school of the end-of-term DAG, the name its tasks show in the UI instead of a map index
    ("school 100 (S1)"), through the group's ``map_index_template``."""
    if school is None:
        return
    terms = ", ".join(term["abbreviation"] or term["name"] for term in school.get("terms") or [])
    # A school of the nightly bridge is named by its direction (a two-way school has two syncs).
    what = terms or str(school.get("direction") or "").replace("_", " ")
    context["school_label"] = f"school {school['school_number']}" + (f" ({what})" if what else "")  # type: ignore[index]


def _read_task(function: Callable[..., dict[str, Any]], school: Mapping[str, Any] | None, *upstream: Any) -> dict:
    """A task that only reads the SIS: ``function(run, *upstream)``."""
    context = get_current_context()
    _name_map_index(context, school)
    return _leaving_failure(context, lambda: function(run_of(context, school), *upstream))


def _write_task(
    function: Callable[..., dict[str, Any]],
    school: Mapping[str, Any] | None,
    checked: Mapping[str, Any],
    *upstream: Any,
) -> dict:
    """Backup or load: skipped on a dry run (X8), so nothing is written to the SIS."""
    from airflow.sdk.exceptions import AirflowSkipException

    from attendance_bridge.domain.request import RunScope

    context = get_current_context()
    _name_map_index(context, school)
    if RunScope.from_xcom(checked).dry_run:
        raise AirflowSkipException("dry run: nothing is written to the SIS (X8)")
    return _leaving_failure(context, lambda: function(run_of(context, school), checked, *upstream))


def _write_sync_report(
    context: Mapping[str, Any], school: Mapping[str, Any] | None = None, group_id: str | None = None
) -> dict[str, Any]:
    """Whatever the earlier tasks returned, in one report; the task fails if the run did.

    In the end-of-term DAG the tasks are those of the school's instance of the mapped group
    ``group_id``, which share this task's map index.
    """
    from attendance_bridge.process_clock import collector_spares_imports
    from attendance_bridge.tasks.sync_report import write_report

    _name_map_index(context, school)
    ti, run = context["ti"], run_of(context, school)
    prefix = f"{group_id}." if group_id else ""
    where = {"map_indexes": ti.map_index} if group_id else {}
    # Airflow's XCom API cannot address a run id such as "." (issue 29): nothing is pulled, write_report refuses it.
    pull = ti.xcom_pull if run.unservable is None else lambda **_: None
    upstream = {task_id: pull(task_ids=prefix + task_id, **where) for task_id in SYNC_PHASES}
    failures = {task_id: pull(task_ids=prefix + task_id, key=FAILURE_KEY, **where) for task_id in SYNC_PHASES}
    with collector_spares_imports():
        return write_report(run, _conf(context, school), upstream, {k: v for k, v in failures.items() if v})


# --------------------------------------------------------------------------- the district DAGs' graph


def district_tasks(plan: Callable[[Mapping[str, Any]], list[dict[str, Any]]]) -> None:
    """The end of term's and the nightly bridge's three steps, in the DAG being defined: ``plan`` (their
    ``find_schools_to_reconcile``) gives the school syncs, one mapped group of the sync's tasks runs each
    (labelled "school 100 (S1)" or "school 100 (meeting to daily)" in the UI instead of a map index), and
    the district summary follows whatever happened.
    """

    @task(task_id=FIND_SCHOOLS_TASK)
    def plan_task() -> list[dict]:
        return plan(get_current_context())

    @task_group(group_id=SCHOOL_GROUP, default_args={"map_index_template": "{{ school_label }}"})
    def reconcile_school(school: dict) -> None:
        sync_tasks(school, SCHOOL_GROUP)

    @task(task_id="write_district_summary", trigger_rule="all_done", retries=0)
    def summary_task(schools: list[dict]) -> dict:
        return write_district_summary(get_current_context(), schools)

    schools = plan_task()
    reconcile_school.expand(school=schools) >> summary_task(schools)


# --------------------------------------------------------------------------- rollback


def plan_rollback(context: Mapping[str, Any]) -> dict[str, Any]:
    """The rollback's plan from the DAG run's conf; a failure's message is left in XCom for its report."""
    from attendance_bridge.tasks import rollback

    conf = dict(context["dag_run"].conf or {})
    return _leaving_failure(context, lambda: rollback.plan_rollback(run_of(context), conf))


def roll_back(context: Mapping[str, Any], plan: Mapping[str, Any]) -> dict[str, Any]:
    """The planned rollback; a failure's message is left in XCom for its report."""
    from attendance_bridge.tasks import rollback

    return _leaving_failure(context, lambda: rollback.roll_back(run_of(context), plan))


def write_rollback_report(context: Mapping[str, Any]) -> dict[str, Any]:
    """The rollback's report from what its tasks returned, and the messages the failed ones left."""
    from attendance_bridge.tasks import rollback

    ti, run = context["ti"], run_of(context)
    tasks = ROLLBACK_TASK_IDS[:-1]
    pull = ti.xcom_pull if run.unservable is None else lambda **_: None  # as in _write_sync_report
    upstream = {task_id: pull(task_ids=task_id) for task_id in tasks}
    failures = {task_id: pull(task_ids=task_id, key=FAILURE_KEY) for task_id in tasks}
    conf, failed = dict(context["dag_run"].conf or {}), {k: v for k, v in failures.items() if v}
    return rollback.write_report(run, conf, upstream, failed)


# --------------------------------------------------------------------------- end of term and finish


def find_schools_to_reconcile(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The school syncs of an end-of-term run, for its data interval (read from the SIS now).

    They are the task's return value, which the school group maps over; the interval and the
    schools left out go to XCom under their own keys, for the summary.
    """
    from attendance_bridge.tasks import end_of_term

    start, end = _data_interval(context)
    mode = context["params"]["mode"]
    # A run of a DAG version parsed before the parameter existed has none: the vendor's default.
    absent_periods = context["params"].get("absent_periods", ALL_PERIODS)
    plan = end_of_term.find_schools_to_reconcile(run_of(context), start, end, district_timezone(), mode, absent_periods)
    return _planned(context, plan)


def find_school_days_to_bridge(context: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The school syncs of a nightly bridge run (SPEC B1-B4) for its data interval, in the end of term's shape."""
    from attendance_bridge.tasks import nightly

    start, end = _data_interval(context)
    plan = nightly.find_school_days_to_bridge(
        run_of(context), start, end, district_timezone(), context["params"]["mode"]
    )
    return _planned(context, plan)


def _data_interval(context: Mapping[str, Any]) -> tuple[Any, Any]:
    """The run's data interval; a run without one covers the day before it was due."""
    start, end = context.get("data_interval_start"), context.get("data_interval_end")
    if start is None or end is None:
        end = context["dag_run"].run_after
        start = end - timedelta(days=1)
    return start, end


def _planned(context: Mapping[str, Any], plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plan's syncs, which the school group maps over; the interval and the schools left out go to XCom
    under their own keys, for the summary."""
    for key in PLAN_KEYS:
        context["ti"].xcom_push(key=key, value=plan[key])
    return plan["reconciliations"]


def write_district_summary(context: Mapping[str, Any], schools: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The district summary of an end-of-term or nightly run; the task fails, after writing it, when a school
    failed, and without one when the schools could not be found."""
    from airflow.sdk.exceptions import AirflowFailException

    from attendance_bridge.tasks import end_of_term

    ti = context["ti"]
    plan = {key: ti.xcom_pull(task_ids=FIND_SCHOOLS_TASK, key=key) for key in PLAN_KEYS}
    if plan["interval"] is None:
        # The plan was not made (the SIS could not be read, say): the run must not end as a success
        # that reconciled nothing. Its task's log says why.
        raise AirflowFailException(
            f"no school was reconciled: the task {FIND_SCHOOLS_TASK}, which finds the schools to reconcile, "
            "did not finish; its log says why"
        )
    return end_of_term.write_district_summary(run_of(context), {**plan, "reconciliations": schools})


def finish_run(context: Mapping[str, Any]) -> dict[str, Any]:
    """Finish the sync run the DAG run's conf names."""
    from attendance_bridge.tasks.finish_run import finish_run

    return finish_run(run_of(context), dict(context["dag_run"].conf or {}))


def _leaving_failure(context: Mapping[str, Any], call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a task's work; when it fails, leave its message in XCom for the report.

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
