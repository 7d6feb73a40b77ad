"""The floors of the benchmarks (issue 21): the sync's and the end of term's graphs with tasks that do nothing.

``attendance_bridge_noop_sync`` has ``attendance_bridge_sync``'s task ids, edges, trigger rules and
XCom hand-offs; ``attendance_bridge_noop_end_of_term`` has ``attendance_bridge_end_of_term``'s: a
first task that returns as many schools as its conf's ``schools`` (default 20), the sync's eight
no-op tasks in a mapped group of the same id for each, and a summary (``tests/bench/test_noop_dags.py``
compares the graphs). Each task only logs the lines a real task logs when its work starts (how long
after its process started) and ends (its peak memory), and returns. What a run takes is what Airflow
costs before any work: scheduling, a process per task, the task runner, parsing the DAG file.
``bench/dag_runs.py`` and ``bench/district.py`` run them beside the real DAGs, in the same way.
"""

from __future__ import annotations

import logging
from typing import Any

import pendulum
from airflow.sdk import Param, dag, get_current_context, task, task_group
from attendance_bridge.catalog import SCHOOL_GROUP

NOOP_SYNC_DAG_ID = "attendance_bridge_noop_sync"
NOOP_END_OF_TERM_DAG_ID = "attendance_bridge_noop_end_of_term"
log = logging.getLogger(__name__)


def work(task_id: str, school: dict | None = None) -> dict:
    """The no-op: the start line a real task logs (``tasks.runtime.guarded_phase``), and a small result.

    A school's task names its map index as the real one does (``wiring._name_map_index``): the group's
    ``map_index_template`` is rendered after the task and fails it when ``school_label`` is missing.
    """
    from attendance_bridge.process_clock import peak_memory_mb, since_process_start

    if school is not None:
        get_current_context()["school_label"] = school["school_label"]  # type: ignore[index]
    log.info("%s: starting (no-op; %s s after its process started)", task_id, since_process_start())
    log.info("%s: done, peak memory %d MB", task_id, peak_memory_mb())
    return {"task": task_id}


def noop_sync_tasks(school: Any = None) -> None:
    """The eight tasks of ``wiring.sync_tasks`` with its edges, doing nothing; ``school`` as there."""
    per_school = {"school": school} if school is not None else {}

    @task
    def check_parameters(school: dict | None = None) -> dict:
        return work("check_parameters", school)

    @task
    def extract_school_tables(checked: dict, school: dict | None = None) -> dict:
        return work("extract_school_tables", school)

    @task
    def validate_preconditions(checked: dict, extracted: dict, school: dict | None = None) -> dict:
        return work("validate_preconditions", school)

    @task
    def compute_missing_records(
        checked: dict, extracted: dict, preconditions: dict, school: dict | None = None
    ) -> dict:
        return work("compute_missing_records", school)

    @task
    def validate_candidates(
        checked: dict, extracted: dict, computed: dict, preconditions: dict, school: dict | None = None
    ) -> dict:
        return work("validate_candidates", school)

    @task
    def back_up_school_records(checked: dict, school: dict | None = None) -> dict:
        return work("back_up_school_records", school)

    @task
    def load_missing_records(checked: dict, computed: dict, school: dict | None = None) -> dict:
        return work("load_missing_records", school)

    @task(trigger_rule="all_done", retries=0)
    def write_report(school: dict | None = None) -> dict:
        return work("write_report", school)

    checked = check_parameters(**per_school)
    extracted = extract_school_tables(checked, **per_school)
    preconditions = validate_preconditions(checked, extracted, **per_school)
    computed = compute_missing_records(checked, extracted, preconditions, **per_school)
    candidates = validate_candidates(checked, extracted, computed, preconditions, **per_school)
    backup = back_up_school_records(checked, **per_school)
    preconditions >> backup
    loaded = load_missing_records(checked, computed, **per_school)
    [candidates, backup] >> loaded
    [checked, extracted, preconditions, computed, candidates, backup, loaded] >> write_report(**per_school)


@dag(
    dag_id=NOOP_SYNC_DAG_ID,
    description="Benchmark floor: the sync DAG's graph of tasks that do nothing",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    tags=["attendance-bridge", "benchmark"],
)
def attendance_bridge_noop_sync() -> None:
    noop_sync_tasks()


attendance_bridge_noop_sync()


@dag(
    dag_id=NOOP_END_OF_TERM_DAG_ID,
    description="Benchmark floor: the end-of-term DAG's graph of tasks that do nothing",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["attendance-bridge", "benchmark"],
    params={"schools": Param(20, type="integer", minimum=1, title="Schools")},
)
def attendance_bridge_noop_end_of_term() -> None:
    @task
    def find_schools_to_reconcile() -> list[dict]:
        work("find_schools_to_reconcile")
        count = int(get_current_context()["params"]["schools"])
        return [{"school_number": number, "school_label": f"school {number}"} for number in range(1, count + 1)]

    @task_group(group_id=SCHOOL_GROUP, default_args={"map_index_template": "{{ school_label }}"})
    def reconcile_school(school: dict) -> None:
        noop_sync_tasks(school)

    @task(trigger_rule="all_done", retries=0)
    def write_district_summary(schools: list[dict]) -> dict:
        return work("write_district_summary")

    schools = find_schools_to_reconcile()
    reconcile_school.expand(school=schools) >> write_district_summary(schools)


attendance_bridge_noop_end_of_term()
