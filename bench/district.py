"""Benchmark (issue 21, point 2): what a district waits for at the end of a term.

    make bench-district                          # 20 schools of 600 students
    make bench-district SCHOOLS=4 STUDENTS=100   # smaller, for a quick look
    PYTHONPATH=plugins:. .venv/bin/python bench/district.py --schools 4 --students 100 \
        --airflow-env AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL=1 --keep-logs
                                                 # try an Airflow setting; keep every log

Generates a district of ``--schools`` schools of ``--students`` students each with exception-only
attendance (what the demo generator makes, and what most schools keep): the demo's two schools,
Lincoln High (records Meeting now) and Roosevelt Middle (records Daily now), repeated in turn
under new numbers (100, 200, 300, ...: ``plan.district_plans``), every school's year ending on
5 June 2026. Two copies of it, vacuumed and analysed as a district's database is:

1. the **SQL references** (``bench/sql_reference.py``), first, on a quiet machine, on one copy:
   for each school of the end-of-term plan (``find_terms_ending`` and ``plan_reconciliations``,
   as the DAG's first task reads it: the year's dates, ``direction = auto`` resolved from the
   school's current recording method as P3 does, the default ``absent_periods``), the backup copy
   and the ``INSERT ... SELECT``; their sum is what the district's work costs inside PostgreSQL;
2. then the Airflow components as a deployment runs them (``tests/support/airflow_services``:
   api-server, scheduler and dag-processor as local processes, a fresh metadata database on the
   same server), the CeleryExecutor with Redis as the broker and ``--workers`` Celery workers of
   ``--concurrency`` 1, each importing the task libraries once before it forks its task
   processes (``attendance_bridge.celery_config``, as ``docker-compose.yml`` sets it). Their DAGs
   folder holds the project's DAGs and the no-op DAGs (``bench/dags``). Through the REST API, as
   a client would: a warm-up run of the no-op end-of-term DAG for 1 school (not measured: the
   workers' first fork and the api-server's first calls), then the **no-op** end-of-term DAG for
   ``--schools`` schools (the same graph of tasks that do nothing: the floor), then the **real**
   ``attendance_bridge_end_of_term`` in apply mode for the run of 6 June 02:00 UTC, whose data
   interval is the term's last day, on the other copy.

A run's wall time is its ``end_date - queued_at`` as the API reports it: from the trigger to the
last task's end, the wait a district has. Every task logs how long after its process started
its work began, and its peak memory (``attendance_bridge.process_clock``); the benchmark reads
those lines from the task logs. Then the **rows check**: school by school, what the end-of-term
run landed equals, row for row, what the SQL reference inserted; the benchmark fails, naming the
schools, when they differ.

Where a run's wall time goes: the workers' task slots (workers x concurrency) over the wall time
are split into the tasks' own durations (as Airflow reports them), the time a slot is held outside
its task (the worker's supervisor forking and starting the task process before it; after it, the
supervisor noticing that the process has exited, which, once the task's sockets have closed, it
polls only every ``[workers] min_heartbeat_interval``: up to 5 s by default; the workers' logs give
each workload's length) and the time with no task at all (waiting for the scheduler to queue the
next one, and for the broker).

Prints one table: both wall times and that split, the sum of the references, the per-school cost
``(real - no-op) / schools``, the ratio ``real / (no-op + references)`` against issue 21's target
(at most 1.5x), and per task the median seconds from process start to work (real and no-op), the
median task duration and the largest peak memory. Writes the same numbers as JSON
(``bench/results/``). Uses
``AIRFLOW_CONN_SIS_DB`` when set, else the embedded PostgreSQL in ``.demo/bench-pgdata``; every
schema and the metadata database it creates are dropped at the end.

The dag-processor re-parses the DAG files at Airflow's default interval (30 s) instead of the
tests' 5 s: a deployment keeps the default, and on a 2-core machine a parse every few seconds
would be work neither run does. Each worker runs one task at a time (``--concurrency 1``, as the
distributed test does): two task processes on two cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from attendance_bridge.catalog import END_OF_TERM_DAG_ID, SCHOOL_GROUP, SYNC_TASK_IDS
from attendance_bridge.process_clock import PEAK_PATTERN, STARTED_PATTERN

from bench.end_to_end import connection_info, copy_schema, drop_schemas, machine, statement

ROOT = Path(__file__).resolve().parents[1]

NOOP_DAG_ID = "attendance_bridge_noop_end_of_term"
NOOP_DAG_FILE = ROOT / "bench" / "dags" / "attendance_bridge_noop.py"
# The run whose data interval is the demo year's last day (5 June 2026), as the DAG's schedule makes it.
TERM_END_RUN = datetime(2026, 6, 6, 2, tzinfo=UTC)
TARGET_RATIO = 1.5
WARM_UP_SCHOOLS = 1
RUN_TIMEOUT = 1500
RESULTS = ROOT / "bench" / "results"
# The line a Celery worker's supervisor logs when a task's workload is over (Airflow's task SDK).
WORKLOAD_FINISHED = re.compile(
    r"Workload finished .*?duration=(?P<seconds>[0-9.]+).*?workload_id=(?P<ti_id>[0-9a-f-]+)"
)
LATE_EXIT_SECONDS = 4.0
GX_ALREADY, GX_NOT = "Great Expectations already imported", "Great Expectations not imported"


@dataclass(frozen=True)
class SchoolSync:
    """One school's part of the end-of-term run, as its plan gives it (``auto`` resolved as P3 does)."""

    school_number: int
    yearid: int
    direction: str
    absent_periods: str
    start_date: date
    end_date: date


# --------------------------------------------------------------------------- the district and its plan


def build_district(conn: Any, schema: str, schools: int, students: int) -> float:
    """The district in a new schema ``schema``; seconds taken."""
    from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
    from psycopg import sql

    started = time.perf_counter()
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
    create_sis_schema(conn, schema)
    generate_demo_district(conn, schema, students_per_school=students, schools=schools)
    return time.perf_counter() - started


def end_of_term_plan(conn: Any, schema: str, term_end_run: datetime) -> list[SchoolSync]:
    """The school syncs the end-of-term run of ``term_end_run`` makes (UTC, as its components are told)."""
    from attendance_bridge.checks.preconditions import recording_direction
    from attendance_bridge.config import APPLY_MODE
    from attendance_bridge.db.extract import read_prefs
    from attendance_bridge.db.lookups import find_terms_ending
    from attendance_bridge.domain.reconciliation import interval_days, plan_reconciliations
    from attendance_bridge.domain.request import parse_run_parameters

    first_day, last_day = interval_days(term_end_run - timedelta(days=1), term_end_run, UTC)
    planned, left_out = plan_reconciliations(find_terms_ending(conn, schema, first_day, last_day), APPLY_MODE)
    if left_out:
        raise SystemExit(f"the end-of-term plan leaves schools out: {left_out}")
    syncs = []
    for entry in planned:
        parameters = parse_run_parameters(entry["conf"])
        assert parameters.start_date is not None and parameters.end_date is not None and parameters.yearid
        scope = SchoolSync(
            parameters.school_number, parameters.yearid, parameters.direction, parameters.absent_periods,
            parameters.start_date, parameters.end_date,
        )  # fmt: skip
        direction = recording_direction(read_prefs(conn, schema, scope))
        if direction is None:
            raise SystemExit(f"school {scope.school_number} has no single current recording method (P3)")
        syncs.append(replace(scope, direction=direction))
    return syncs


def run_references(conn: Any, schema: str, scratch: str, syncs: list[SchoolSync]) -> dict[str, Any]:
    """The SQL reference of every school, one after another, on ``schema``; seconds and rows per school."""
    from bench import sql_reference

    schools = []
    for sync in syncs:
        started = time.perf_counter()
        backed_up = sql_reference.back_up_school(
            conn, schema, scratch, sync.school_number, sync.start_date, sync.end_date
        )
        backup = time.perf_counter() - started
        started = time.perf_counter()
        inserted, inserted_time = sql_reference.insert_missing_records(
            conn, schema, sync.school_number, sync.yearid, sync.direction, sync.absent_periods,
            sync.start_date, sync.end_date,
        )  # fmt: skip
        insert = time.perf_counter() - started
        schools.append(
            {
                "school_number": sync.school_number, "direction": sync.direction,
                "absent_periods": sync.absent_periods, "rows_backed_up": backed_up, "records_inserted": inserted,
                "attendance_time_inserted": inserted_time, "backup_seconds": round(backup, 3),
                "insert_seconds": round(insert, 3), "seconds": round(backup + insert, 3),
            }
        )  # fmt: skip
    return {
        "schools": schools,
        "backup_seconds": round(sum(school["backup_seconds"] for school in schools), 2),
        "insert_seconds": round(sum(school["insert_seconds"] for school in schools), 2),
        "seconds": round(sum(school["seconds"] for school in schools), 2),
    }


def check_rows(conn: Any, run_copy: str, reference_copy: str, after: dict[str, int], syncs: list[SchoolSync]) -> dict:
    """School by school, the run's new records against the reference's; exits naming the schools that differ."""
    rows = conn.execute(
        statement(
            "dev/bench/select_records_differing_by_school", pipeline_copy=run_copy, reference_copy=reference_copy
        ),
        {"pipeline_after": after[run_copy], "reference_after": after[reference_copy]},
    ).fetchall()
    by_school = {int(row[0]): tuple(int(value) for value in row[1:]) for row in rows}
    differing = []
    for sync in syncs:
        run_rows, reference_rows, only_run, only_reference = by_school.pop(sync.school_number, (0, 0, 0, 0))
        if only_run or only_reference or run_rows != reference_rows or not reference_rows:
            differing.append(
                f"school {sync.school_number} ({sync.direction}): {run_rows:,} rows from the end-of-term run and "
                f"{reference_rows:,} from the SQL reference; {only_run:,} only in the run's, "
                f"{only_reference:,} only in the reference's"
            )
    differing += [f"school {school}: rows inserted although it is not in the plan" for school in by_school]
    if differing:
        raise SystemExit(
            "the end-of-term run and the SQL references built different records:\n  " + "\n  ".join(differing)
        )
    return {"same_records": True, "records": sum(row[1] for row in rows)}


# --------------------------------------------------------------------------- the runs on Airflow


def dags_folder(home: Path) -> Path:
    """A folder with the project's DAG files and the no-op DAGs' file, each a link to the real one."""
    folder = home / "dags"
    folder.mkdir()
    for path in [*sorted((ROOT / "dags").glob("*.py")), NOOP_DAG_FILE]:
        (folder / path.name).symlink_to(path)
    return folder


def iso(value: str | None) -> datetime | None:
    """A time as the REST API gives it ("2026-06-06T02:00:01.2Z")."""
    return datetime.fromisoformat(value) if value else None


def trigger_and_wait(airflow: Any, api: Any, dag_id: str, logical_date: datetime | None, conf: dict) -> dict:
    """Trigger one run through the REST API and wait for its end there; the run's times and its tasks."""
    triggered_at = time.monotonic()
    run = api.call(
        "POST",
        f"/api/v2/dags/{dag_id}/dagRuns",
        {"logical_date": logical_date.isoformat() if logical_date else None, "conf": conf},
    )
    path = f"/api/v2/dags/{dag_id}/dagRuns/{run['dag_run_id']}"

    def finished() -> dict | None:
        answer = api.call("GET", path)
        return answer if answer["state"] in ("success", "failed") else None

    run = airflow.wait_until(f"run {run['dag_run_id']} of {dag_id} to finish", finished, RUN_TIMEOUT)
    seen = time.monotonic() - triggered_at
    tasks: list[dict] = []
    while True:  # the API gives at most 100 a page
        page = api.call("GET", f"{path}/taskInstances?limit=100&offset={len(tasks)}")
        tasks += page["task_instances"]
        if not page["task_instances"] or len(tasks) >= page["total_entries"]:
            break
    queued, start, end = iso(run["queued_at"]), iso(run["start_date"]), iso(run["end_date"])
    return {
        "dag_id": dag_id,
        "run_id": run["dag_run_id"],
        "state": run["state"],
        "wall_seconds": round((end - queued).total_seconds(), 2),
        "run_seconds": round((end - start).total_seconds(), 2),
        "seen_by_client_seconds": round(seen, 2),
        "tasks": tasks,
    }


def task_log_numbers(home: Path, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
    """Per task id: the median seconds from its process start to its work, its peak memory, GX imported or not."""
    found: dict[str, dict[str, list]] = {}
    for path in sorted((home / "logs" / f"dag_id={dag_id}" / f"run_id={run_id}").rglob("*.log")):
        task_id = next(part for part in path.parts if part.startswith("task_id=")).removeprefix("task_id=")
        text = path.read_text(errors="replace")
        entry = found.setdefault(task_id, {"started": [], "peak": [], "gx_already": [], "logs": []})
        entry["logs"].append(path.name)
        started = STARTED_PATTERN.search(text)
        if started:
            entry["started"].append(float(started["seconds"]))
        entry["peak"] += [int(match["mb"]) for match in PEAK_PATTERN.finditer(text)]
        if GX_ALREADY in text or GX_NOT in text:
            entry["gx_already"].append(GX_ALREADY in text)
    return {
        task_id: {
            "task_logs": len(entry["logs"]),
            "median_seconds_after_process_start": round(statistics.median(entry["started"]), 2)
            if entry["started"]
            else None,
            "max_seconds_after_process_start": max(entry["started"]) if entry["started"] else None,
            "peak_memory_mb": max(entry["peak"]) if entry["peak"] else None,
            "great_expectations_already_imported": f"{sum(entry['gx_already'])} of {len(entry['gx_already'])}"
            if entry["gx_already"]
            else None,
        }
        for task_id, entry in sorted(found.items())
    }


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def workload_seconds(home: Path) -> dict[str, float]:
    """How long each task's workload took on its Celery worker, by task instance id: from the worker taking
    it to the supervisor noticing that the task process has exited ("Workload finished ... duration=")."""
    found = {}
    for path in sorted((home / "components").glob("worker-*.log")):
        for match in WORKLOAD_FINISHED.finditer(path.read_text(errors="replace")):
            found[match["ti_id"]] = float(match["seconds"])
    return found


def summarised(run: dict, home: Path, slots: int) -> dict[str, Any]:
    """A run's numbers without its raw task list: the tasks by state and by worker, how long each task took
    and waited as Airflow reports it, what their logs say, how busy the workers' ``slots`` were, and how
    long the workers' supervisors held each slot after the task had ended."""
    tasks = run.pop("tasks")
    workloads = workload_seconds(home)
    # A worker's slot is held from the workload's start (the supervisor forks the task process) until the
    # supervisor notices that the task process has exited: outside the task's own duration, the fork and
    # start-up before it, and after it the wait for the exit (up to [workers] min_heartbeat_interval).
    outside_task = [
        workloads[task["id"]] - float(task["duration"])
        for task in tasks
        if task["id"] in workloads and task["duration"] is not None
    ]
    by_state: dict[str, int] = {}
    by_host: dict[str, int] = {}
    durations: dict[str, list[float]] = {}
    waits: dict[str, list[float]] = {}
    for task in tasks:
        by_state[str(task["state"])] = by_state.get(str(task["state"]), 0) + 1
        by_host[str(task["hostname"])] = by_host.get(str(task["hostname"]), 0) + 1
        if task["duration"] is not None:
            durations.setdefault(task["task_id"], []).append(float(task["duration"]))
        queued, started = iso(task["queued_when"]), iso(task["start_date"])
        if queued and started:
            waits.setdefault(task["task_id"], []).append((started - queued).total_seconds())
    per_task = task_log_numbers(home, run["dag_id"], run["run_id"])
    for task_id in durations.keys() | waits.keys():
        per_task.setdefault(task_id, {}).update(
            {
                "median_task_seconds": median(durations.get(task_id, [])),
                "median_queued_to_start_seconds": median(waits.get(task_id, [])),
            }
        )
    workload_sum = sum(workloads.get(task["id"], 0.0) for task in tasks)
    peaks = [numbers["peak_memory_mb"] for numbers in per_task.values() if numbers.get("peak_memory_mb") is not None]
    task_seconds = sum(sum(values) for values in durations.values())
    return run | {
        "tasks": len(tasks),
        "tasks_by_state": by_state,
        "tasks_by_worker": by_host,
        "failed_tasks": sorted(
            f"{task['task_id']}[{task['map_index']}]" for task in tasks if task["state"] != "success"
        ),
        "task_seconds_sum": round(task_seconds, 1),
        "worker_workload_seconds_sum": round(workload_sum, 1),
        # Slot time with no workload at all: waiting for the scheduler to queue a task, and for the broker.
        "slot_idle_seconds_sum": round(slots * run["wall_seconds"] - workload_sum, 1),
        "slot_outside_task_seconds_sum": round(sum(outside_task), 1),
        "slot_outside_task_seconds_median": median(outside_task),
        "tasks_with_slot_4_s_or_more_outside_task": sum(1 for seconds in outside_task if seconds >= LATE_EXIT_SECONDS),
        # The share of the run's wall time the workers' task slots spent running a task: the rest is
        # the scheduler's, the broker's and the worker's time between one task and the next.
        "worker_busy_share": round(task_seconds / (slots * run["wall_seconds"]), 3) if run["wall_seconds"] else None,
        "per_task": dict(sorted(per_task.items(), key=lambda item: task_order(item[0]))),
        "max_task_peak_memory_mb": max(peaks) if peaks else None,
    }


def run_on_airflow(
    info: Any,
    schema: str,
    pipeline_schema: str,
    schools: int,
    workers: int,
    concurrency: int,
    keep_logs: bool,
    settings: dict[str, str],
) -> dict[str, Any]:
    """The no-op and the real end-of-term runs on one Airflow deployment with Celery workers."""
    from attendance_bridge.config import (
        PIPELINE_SCHEMA_ENV,
        REPORTS_BASE_ENV,
        SIS_CONN_ENV,
        SIS_SCHEMA_ENV,
        STAGING_BASE_ENV,
    )

    from tests.support.airflow_services import running_airflow
    from tests.support.celery_workers import celery_environment, start_workers
    from tests.support.redis_broker import forget_queue, redis_broker

    home = Path(tempfile.mkdtemp(prefix="attendance_bridge_district_"))
    token = uuid.uuid4().hex[:8]
    queue = f"attendance_bridge_bench_{token}"
    names = {f"worker-{index + 1}": f"bench-worker-{index + 1}-{token}" for index in range(workers)}
    tasks_env = {
        SIS_CONN_ENV: info.airflow_json(),
        SIS_SCHEMA_ENV: schema,
        PIPELINE_SCHEMA_ENV: pipeline_schema,
        STAGING_BASE_ENV: f"file://{home}/staging",
        REPORTS_BASE_ENV: f"file://{home}/reports",
        "ATTENDANCE_BRIDGE_TIMEZONE": "UTC",
        # Report mode by default, as a district has it: apply comes from the run's conf.
        "ATTENDANCE_BRIDGE_END_OF_TERM_MODE": "report",
        # Airflow's default, not the tests' 5 s (see the module docstring).
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "30",
    }
    # The components find the package through their plugins folder, the workers the project root
    # through start_workers: nothing of this process's relative PYTHONPATH (plugins:.) goes with them.
    os.environ.pop("PYTHONPATH", None)
    result: dict[str, Any] = {
        "workers": workers, "concurrency": concurrency, "settings": settings, "airflow_home": str(home),
    }  # fmt: skip
    ok = False
    with redis_broker() as broker_url:
        try:
            started = time.monotonic()
            with running_airflow(
                info, dags_folder(home), home, wait_for_dag=END_OF_TERM_DAG_ID, executor="CeleryExecutor",
                extra_env={**tasks_env, **celery_environment(broker_url, queue), **settings},
            ) as airflow:  # fmt: skip
                airflow.wait_for_dag(NOOP_DAG_ID)
                start_workers(airflow, broker_url, queue, names, concurrency)
                result["startup_seconds"] = round(time.monotonic() - started, 1)
                print(f"Airflow and {workers} Celery workers up in {result['startup_seconds']} s", flush=True)
                api = airflow.rest_client()
                for dag_id in (NOOP_DAG_ID, END_OF_TERM_DAG_ID):
                    api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
                warm_up = trigger_and_wait(airflow, api, NOOP_DAG_ID, None, {"schools": WARM_UP_SCHOOLS})
                print(f"warm-up (no-op, {WARM_UP_SCHOOLS} school): {warm_up['wall_seconds']} s", flush=True)
                noop = trigger_and_wait(airflow, api, NOOP_DAG_ID, None, {"schools": schools})
                print(f"no-op end of term, {schools} schools: {noop['wall_seconds']} s", flush=True)
                real = trigger_and_wait(airflow, api, END_OF_TERM_DAG_ID, TERM_END_RUN, {"mode": "apply"})
                print(f"end of term (apply), {schools} schools: {real['wall_seconds']} s", flush=True)
                slots = workers * concurrency
                result |= {
                    "warm_up": summarised(warm_up, home, slots) | {"schools": WARM_UP_SCHOOLS},
                    "noop": summarised(noop, home, slots),
                    "real": summarised(real, home, slots),
                    "component_memory_mb": {
                        name: round(rss / 1024 / 1024) for name, rss in airflow.memory_rss().items()
                    },
                }
            # A run whose last task succeeds (the summary's trigger rule is all_done) may have failed tasks.
            ok = not any(result[side]["failed_tasks"] for side in ("warm_up", "noop", "real"))
        finally:
            forget_queue(broker_url, queue)
            if ok and not keep_logs:
                shutil.rmtree(home, ignore_errors=True)
            else:
                print(f"the Airflow home, with every log, is kept in {home}", file=sys.stderr)
    for side in ("warm_up", "noop", "real"):
        if result[side]["failed_tasks"] or result[side]["state"] != "success":
            raise SystemExit(
                f"the {side} run {result[side]['run_id']} of {result[side]['dag_id']} ended {result[side]['state']}; "
                f"tasks not successful: {', '.join(result[side]['failed_tasks'])} (logs in {home})"
            )
    return result


# --------------------------------------------------------------------------- the table


def aligned(lines: list[list[str]]) -> None:
    """Print rows of cells: the first column left-aligned, the others right-aligned."""
    widths = [max(len(line[column]) for line in lines) for column in range(len(lines[0]))]
    for line in lines:
        print("  ".join(cell.ljust(width) if index == 0 else cell.rjust(width)
                        for index, (cell, width) in enumerate(zip(line, widths, strict=True))))  # fmt: skip


def print_table(document: dict[str, Any]) -> None:
    """The numbers, as the issue asks for them."""
    airflow, references, ratios = document["airflow"], document["references"], document["ratios"]
    real, noop = airflow["real"], airflow["noop"]
    schools = document["schools"]

    def seconds(value: float | None) -> str:
        return "n/a" if value is None else f"{value:,.2f}"

    def per_worker(run: dict) -> str:
        return " / ".join(str(count) for _, count in sorted(run["tasks_by_worker"].items()))

    aligned(
        [
            ["", "end of term (apply)", "no-op end of term"],
            ["wall s (trigger to the last task's end)", seconds(real["wall_seconds"]), seconds(noop["wall_seconds"])],
            ["  run s (start to end)", seconds(real["run_seconds"]), seconds(noop["run_seconds"])],
            ["tasks, all successful (per worker)", f"{real['tasks']} ({per_worker(real)})",
             f"{noop['tasks']} ({per_worker(noop)})"],
            ["sum of task durations s", seconds(real["task_seconds_sum"]), seconds(noop["task_seconds_sum"])],
            ["  share of the workers' slots busy with a task", f"{real['worker_busy_share']:.0%}",
             f"{noop['worker_busy_share']:.0%}"],
            ["workers' slot time held outside the tasks s", seconds(real["slot_outside_task_seconds_sum"]),
             seconds(noop["slot_outside_task_seconds_sum"])],
            [f"  tasks holding their slot >= {LATE_EXIT_SECONDS:.0f} s more than they ran",
             str(real["tasks_with_slot_4_s_or_more_outside_task"]),
             str(noop["tasks_with_slot_4_s_or_more_outside_task"])],
            ["workers' slot time with no task s", seconds(real["slot_idle_seconds_sum"]),
             seconds(noop["slot_idle_seconds_sum"])],
            ["largest task peak memory MB", str(real["max_task_peak_memory_mb"]),
             str(noop["max_task_peak_memory_mb"])],
        ]
    )  # fmt: skip
    print()
    lines = [
        ["per task, median of its instances", "work starts s after process start", "", "task s", "",
         "peak MB", "GX already imported"],
        ["", "real", "no-op", "real", "no-op", "real", "real"],
    ]  # fmt: skip
    for task_id in sorted(set(real["per_task"]) | set(noop["per_task"]), key=task_order):
        mine, floor = real["per_task"].get(task_id, {}), noop["per_task"].get(task_id, {})
        lines.append(
            [
                task_id,
                seconds(mine.get("median_seconds_after_process_start")),
                seconds(floor.get("median_seconds_after_process_start")),
                seconds(mine.get("median_task_seconds")),
                seconds(floor.get("median_task_seconds")),
                str(mine.get("peak_memory_mb") or "n/a"),
                mine.get("great_expectations_already_imported") or "n/a",
            ]
        )
    aligned(lines)
    print()
    print(
        f"SQL references, {schools} schools one after another: {seconds(references['seconds'])} s "
        f"(backups {seconds(references['backup_seconds'])} s, inserts {seconds(references['insert_seconds'])} s)"
    )
    print(f"per-school cost (real - no-op) / {schools}: {seconds(ratios['per_school_cost_seconds'])} s")
    verdict = "met" if ratios["met"] else "NOT met"
    print(
        f"real / (no-op + references) = {seconds(real['wall_seconds'])} / ({seconds(noop['wall_seconds'])} + "
        f"{seconds(references['seconds'])}) = {ratios['real_to_floor_plus_references']:.2f}x "
        f"(target <= {TARGET_RATIO}x: {verdict})"
    )
    rows = document["rows_check"]
    print(f"rows: the run landed the SQL references' {rows['records']:,} records, row for row, in every school")


def task_order(task_id: str) -> tuple[int, str]:
    """The DAG's order: the plan, the school's tasks in the sync's order, the summary."""
    name = task_id.removeprefix(f"{SCHOOL_GROUP}.")
    if name in SYNC_TASK_IDS:
        return (1 + SYNC_TASK_IDS.index(name), task_id)
    return (0 if name.startswith("find") else 99, task_id)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--schools", type=int, default=20, help="schools in the district (default 20)")
    parser.add_argument("--students", type=int, default=600, help="students per school (default 600)")
    parser.add_argument("--workers", type=int, default=2, help="Celery workers (default 2)")
    parser.add_argument("--concurrency", type=int, default=1, help="task processes per worker (default 1)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the Airflow home (every log) at the end")
    parser.add_argument(
        "--airflow-env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a setting for every Airflow component, to try one (AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL=1); "
        "repeatable, recorded in the JSON",
    )
    args = parser.parse_args()
    if not all("=" in setting for setting in args.airflow_env):
        parser.error("--airflow-env takes NAME=VALUE")
    settings = dict(setting.split("=", 1) for setting in args.airflow_env)

    import psycopg

    started = time.perf_counter()
    prefix = f"district_{uuid.uuid4().hex[:8]}"
    template, run_copy, reference_copy = f"{prefix}_template", f"{prefix}_run", f"{prefix}_reference"
    own_schema, scratch = f"{prefix}_ab", f"{prefix}_scratch"
    info = connection_info()
    with psycopg.connect(**info.conninfo_kwargs(), autocommit=True) as conn:
        try:
            generated = build_district(conn, template, args.schools, args.students)
            copied = copy_schema(conn, template, run_copy) + copy_schema(conn, template, reference_copy)
            drop_schemas(conn, template)
            syncs = end_of_term_plan(conn, reference_copy, TERM_END_RUN)
            print(
                f"district of {args.schools} schools x {args.students:,} students generated in {generated:.1f} s, "
                f"copied twice in {copied:.1f} s; the end of term syncs {len(syncs)} school(s): "
                + ", ".join(f"{sync.school_number} {sync.direction}" for sync in syncs),
                flush=True,
            )
            if len(syncs) != args.schools:
                raise SystemExit(f"the end-of-term plan has {len(syncs)} schools, not {args.schools}")
            conn.execute(statement("dev/bench/create_schema", schema=scratch))
            after = {
                name: conn.execute(statement("dev/bench/select_max_attendance_dcid", schema=name)).fetchone()[0]
                for name in (run_copy, reference_copy)
            }
            # The copies' writes reach disk now, not in the middle of a measurement.
            conn.execute("CHECKPOINT")
            references = run_references(conn, reference_copy, scratch, syncs)
            print(f"SQL references: {references['seconds']} s for {len(syncs)} schools", flush=True)
            conn.execute("CHECKPOINT")
            airflow = run_on_airflow(
                info, run_copy, own_schema, args.schools, args.workers, args.concurrency, args.keep_logs, settings
            )
            rows_check = check_rows(conn, run_copy, reference_copy, after, syncs)
        finally:
            drop_schemas(conn, template, run_copy, reference_copy, own_schema, scratch)

    real, noop = airflow["real"]["wall_seconds"], airflow["noop"]["wall_seconds"]
    ratio = real / (noop + references["seconds"])
    document = {
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "schools": args.schools,
        "students_per_school": args.students,
        "shape": "exception-only",
        "term_end_run": TERM_END_RUN.isoformat(),
        "machine": machine(),
        "generated_seconds": round(generated, 1),
        "plan": [asdict(sync) | {"start_date": str(sync.start_date), "end_date": str(sync.end_date)} for sync in syncs],
        "references": references,
        "airflow": airflow,
        "rows_check": rows_check,
        "ratios": {
            "per_school_cost_seconds": round((real - noop) / args.schools, 2),
            "real_to_floor_plus_references": round(ratio, 2),
            "target": TARGET_RATIO,
            "met": ratio <= TARGET_RATIO,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    print()
    print(
        f"district: {args.schools} schools x {args.students:,} students (exception-only), the end of term of "
        f"{syncs[0].end_date} in apply mode, {args.workers} Celery workers of concurrency {args.concurrency}"
        + "".join(f", {name}={value}" for name, value in settings.items())
    )
    print_table(document)
    RESULTS.mkdir(parents=True, exist_ok=True)
    # A run on another deployment shape or with a setting tried never replaces the day's plain one.
    variant = "".join(
        [
            f"-{args.workers}workers" if args.workers != 2 else "",
            f"-concurrency{args.concurrency}" if args.concurrency != 1 else "",
            *(f"-{name.rsplit('__', 1)[-1].lower()}{value}" for name, value in settings.items()),
        ]
    )
    path = RESULTS / f"district-{document['written_at'][:10]}-{args.schools}x{args.students}{variant}.json"
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT)} in {document['seconds']} s")


if __name__ == "__main__":
    main()
