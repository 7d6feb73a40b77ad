"""Benchmark (issue 21): what a district waits for, a whole run of the sync DAG, against its floor and the SQL reference.

    make bench                        # 2,500 students per school: exception-only and positive, every mode
    make bench STUDENTS=600 MODES=cold,warm
    PYTHONPATH=plugins:. .venv/bin/python bench/dag_runs.py --help

At realistic sizes a run's fixed costs (scheduling, a process per task, imports) weigh as much as
its work, so each run of ``attendance_bridge_sync`` is set beside two others: the **floor**, the
same-shape DAG of eight tasks that do nothing (``bench/dags/attendance_bridge_noop.py``), run the same
way, and the **SQL reference** (``bench/sql_reference.py``): the same backup copy and the same records
with ``INSERT ... SELECT`` inside PostgreSQL. The work a run adds is (run - floor), and the ratio
(run - floor) / reference says how far it is from the database doing the same work alone.

School 100 of the demo district, the whole year, ``daily_to_meeting`` on all periods, in two shapes
(``bench/end_to_end.py`` builds them): **exception-only** (absences and tardies: what most schools keep)
and **positive** (a Present Daily record for every student-day: the stress case). Three modes:

- **cold**: ``bin/airflow dags test`` of each DAG, as a person runs it: one process, which imports
  everything once and runs the tasks in it (Airflow's ``run_duration``, and the command's wall time);
- **warm**: ``dag.test()`` in a process that imported Airflow, pandas, psycopg, Great Expectations and
  the task modules before the timer started (and ran the floor once, for ``dag.test``'s own start-up):
  the work apart from imports. Beside it, what each task's code costs to import in a fresh interpreter
  (``bench/task_imports.py``, one round);
- **deployed**: a real scheduler, dag-processor and api-server with the LocalExecutor (parallelism 2:
  each task a process of its own), each DAG triggered and waited for through the REST API; per task,
  from the task logs, how long after its process started its first line of work came
  (``process_clock``), and its peak memory.

Every run lands in a fresh copy of the template, compared row for row with the reference's copy: the
benchmark stops with an error if they differ. Prints one table and writes the numbers as JSON to
``bench/results/``. Uses ``AIRFLOW_CONN_SIS_DB`` when set, else the embedded PostgreSQL in
``.demo/bench-pgdata``; cold and warm use the Airflow home ``.demo/bench-airflow``; everything else it
creates (schemas, the deployed metadata database, folders) is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
from attendance_bridge.catalog import SYNC_DAG_ID, SYNC_TASK_IDS
from attendance_bridge.config import (
    PIPELINE_SCHEMA_ENV,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from attendance_bridge.process_clock import GX_IMPORT_PATTERN, PEAK_PATTERN, STARTED_PATTERN

from bench import end_to_end

RESULTS = ROOT / "bench" / "results"
NOOP_FILE = ROOT / "bench" / "dags" / "attendance_bridge_noop.py"
NOOP_DAG_ID = "attendance_bridge_noop_sync"
AIRFLOW_HOME = ROOT / ".demo" / "bench-airflow"
MODES = ("cold", "warm", "deployed")
RUN_TIMEOUT = 900
DIRECTION, ABSENT_PERIODS = "daily_to_meeting", "all_periods"
CONF = {"school_number": end_to_end.SCHOOL, "year": end_to_end.YEARID, "direction": DIRECTION,
        "absent_periods": ABSENT_PERIODS}  # fmt: skip
DONE_PATTERN = re.compile(r"(?P<task>[a-z_]+): done in (?P<seconds>[0-9.]+) s")
RUN_DURATION = re.compile(r"run_duration=(?P<seconds>[0-9.]+), state=(?P<state>\w+)")


@dataclass(frozen=True)
class Case:
    """One school shape of the template."""

    name: str
    shape: str


CASES = (Case("exception-only", "exception"), Case("positive", "positive_daily"))


@dataclass(frozen=True)
class Names:
    """The schemas and folders of one benchmark run: every mode's runs land in the same names, recopied."""

    prefix: str
    folder: Path

    @property
    def sis(self) -> str:
        return f"{self.prefix}_sis"

    def reference(self, case: Case) -> str:
        """The copy the SQL reference wrote for ``case``, kept to the end: every mode's runs are compared with it."""
        return f"{self.prefix}_reference_{case.shape}"

    @property
    def pipeline(self) -> str:
        return f"{self.prefix}_ab"

    @property
    def scratch(self) -> str:
        return f"{self.prefix}_scratch"

    @property
    def dags(self) -> Path:
        return self.folder / "dags"

    def task_environment(self, info: Any) -> dict[str, str]:
        """What the tasks read: the SIS connection and schema, the pipeline's schema, staging and reports."""
        return {
            SIS_CONN_ENV: info.airflow_json(),
            SIS_SCHEMA_ENV: self.sis,
            PIPELINE_SCHEMA_ENV: self.pipeline,
            STAGING_BASE_ENV: f"file://{self.folder}/staging",
            REPORTS_BASE_ENV: f"file://{self.folder}/reports",
            "ATTENDANCE_BRIDGE_TIMEZONE": "UTC",
        }


def dags_folder(target: Path) -> Path:
    """The project's DAG files and the floors', copied into one folder (Airflow's bundle is one folder)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in [*sorted((ROOT / "dags").glob("*.py")), NOOP_FILE]:
        shutil.copy2(path, target / path.name)
    return target


# --------------------------------------------------------------------------- the data


def fresh_sis_copy(conn: Any, template: str, names: Names) -> int:
    """The template copied into ``names.sis`` (and no pipeline schema yet); the highest attendance id before the run."""
    end_to_end.drop_schemas(conn, names.sis, names.pipeline)
    end_to_end.copy_schema(conn, template, names.sis)
    conn.execute("CHECKPOINT")
    return conn.execute(end_to_end.statement("dev/bench/select_max_attendance_dcid", schema=names.sis)).fetchone()[0]


def reference(conn: Any, template: str, names: Names, case: Case) -> dict[str, Any]:
    """The SQL reference on its own copy: seconds, and the highest id before it (for the row checks)."""
    from bench import sql_reference

    end_to_end.drop_schemas(conn, names.reference(case), names.scratch)
    end_to_end.copy_schema(conn, template, names.reference(case))
    conn.execute(end_to_end.statement("dev/bench/create_schema", schema=names.scratch))
    after = conn.execute(
        end_to_end.statement("dev/bench/select_max_attendance_dcid", schema=names.reference(case))
    ).fetchone()[0]
    conn.execute("CHECKPOINT")
    first, last = end_to_end.YEAR_FIRST_DAY, end_to_end.YEAR_LAST_DAY
    started = time.perf_counter()
    sql_reference.back_up_school(conn, names.reference(case), names.scratch, end_to_end.SCHOOL, first, last)
    backup = time.perf_counter() - started
    started = time.perf_counter()
    inserted = sql_reference.insert_missing_records(
        conn, names.reference(case), end_to_end.SCHOOL, end_to_end.YEARID, DIRECTION, ABSENT_PERIODS, first, last
    )[0]
    insert = time.perf_counter() - started
    return {"backup": round(backup, 2), "insert": round(insert, 2), "total": round(backup + insert, 2),
            "records": int(inserted), "after": after}  # fmt: skip


def same_records(conn: Any, names: Names, case: Case, sis_after: int, reference_after: int, what: str) -> int:
    """The rows the run added, compared with the reference's; exits with an error when they differ."""
    rows, reference_rows, only_run, only_reference = end_to_end.records_differing(
        conn, names.sis, sis_after, names.reference(case), reference_after
    )
    if only_run or only_reference or rows != reference_rows or rows == 0:
        raise SystemExit(
            f"{what}: the run and the SQL reference added different records ({rows:,} and {reference_rows:,} rows; "
            f"{only_run:,} only in the run's, {only_reference:,} only in the reference's)"
        )
    return int(rows)


# --------------------------------------------------------------------------- cold


def cold_run(dag_id: str, env: dict[str, str], conf: dict[str, Any] | None) -> dict[str, Any]:
    """``bin/airflow dags test`` of one DAG: Airflow's run_duration and the command's wall time."""
    command = [str(ROOT / "bin" / "airflow"), "dags", "test", dag_id]
    if conf is not None:
        command += ["--conf", json.dumps(conf)]
    started = time.perf_counter()
    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False)
    wall = time.perf_counter() - started
    found = RUN_DURATION.search(finished.stdout + finished.stderr)
    if finished.returncode != 0 or not found or found["state"] != "success":
        raise SystemExit(
            f"bin/airflow dags test {dag_id} did not succeed (exit code {finished.returncode}):\n"
            f"{(finished.stdout + finished.stderr)[-4000:]}"
        )
    return {"run_seconds": round(float(found["seconds"]), 2), "wall_seconds": round(wall, 2)}


def cold_environment(info: Any, names: Names) -> dict[str, str]:
    """bin/airflow's environment for the benchmark: its own home and the DAG folder with the floors."""
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    return {
        **inherited,
        **names.task_environment(info),
        "ATTENDANCE_BRIDGE_AIRFLOW_HOME": str(AIRFLOW_HOME),
        "ATTENDANCE_BRIDGE_DAGS_FOLDER": str(names.dags),
    }


# --------------------------------------------------------------------------- warm (a child process)

WARM_IMPORTS = (
    "pandas", "pyarrow", "psycopg", "airflow.sdk.execution_time.task_runner",
    "airflow.providers.postgres.hooks.postgres", "attendance_bridge.tasks.parameters", "attendance_bridge.tasks.sync",
    "attendance_bridge.tasks.sync_report",
)  # fmt: skip


def warm_child(dags: Path) -> dict[str, Any]:
    """In this process: import everything, run the floor once untimed, then time the floor and the sync."""
    import importlib

    started = time.perf_counter()
    for name in WARM_IMPORTS:
        importlib.import_module(name)
    from attendance_bridge.checks.gx import import_gx

    import_gx()
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(dags))
    if bag.import_errors:
        raise SystemExit(f"the DAG folder did not parse: {bag.import_errors}")
    imports = time.perf_counter() - started

    def timed(dag_id: str, conf: dict[str, Any] | None) -> dict[str, Any]:
        began = time.perf_counter()
        run = bag.dags[dag_id].test(run_conf=conf, logical_date=datetime.now(UTC))
        seconds = time.perf_counter() - began
        if str(run.state) not in ("success", "DagRunState.SUCCESS"):
            raise SystemExit(f"dag.test() of {dag_id} ended {run.state}")
        return {"run_seconds": round((run.end_date - run.start_date).total_seconds(), 2),
                "wall_seconds": round(seconds, 2)}  # fmt: skip

    timed(NOOP_DAG_ID, None)  # dag.test()'s own start-up (its in-process execution API) is paid here
    floor = timed(NOOP_DAG_ID, None)
    sync = timed(SYNC_DAG_ID, CONF)
    return {"imports_seconds": round(imports, 2), "floor": floor, "sync": sync}


def warm_runs(env: dict[str, str], names: Names) -> dict[str, Any]:
    """The warm child, with bin/airflow's settings (its home is migrated by the cold mode or here)."""
    subprocess.run([str(ROOT / "bin" / "airflow"), "version"], env=env, capture_output=True, check=True)
    child_env = {
        **env,
        "AIRFLOW_HOME": str(AIRFLOW_HOME),
        "AIRFLOW__CORE__DAGS_FOLDER": str(names.dags),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}",
    }
    finished = subprocess.run(
        [sys.executable, __file__, "--warm-child", str(names.dags)],
        env=child_env, capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
    )  # fmt: skip
    lines = [line for line in finished.stdout.splitlines() if line.startswith("RESULT ")]
    if finished.returncode != 0 or not lines:
        raise SystemExit(f"the warm runs failed (exit code {finished.returncode}):\n{finished.stderr[-4000:]}")
    result = json.loads(lines[-1].removeprefix("RESULT "))
    # Each task's own time, from its "done in" line (the floor's tasks log none).
    done = {
        match["task"]: float(match["seconds"]) for match in DONE_PATTERN.finditer(finished.stdout + finished.stderr)
    }
    result["sync"]["tasks"] = {task_id: done.get(task_id) for task_id in SYNC_TASK_IDS}
    return result


def task_imports() -> dict[str, Any]:
    """What each task's code costs to import in a fresh interpreter (bench/task_imports.py, one round)."""
    from bench import task_imports as probe

    medians = probe.measure(1)
    floor = medians[probe.NO_OP]
    return {
        task: {
            "task_code_seconds": round(row["task_code"], 2),
            "over_noop_seconds": round(
                sum(row[k] for k in ("airflow", "dag_file", "task_code")) - floor["airflow"] - floor["dag_file"], 2
            ),
        }
        for task, row in medians.items()
    }


# --------------------------------------------------------------------------- deployed


@contextmanager
def deployed_airflow(info: Any, names: Names) -> Iterator[Any]:
    """A scheduler, dag-processor and api-server with the LocalExecutor, parallelism 2, both DAGs parsed."""
    from tests.support.airflow_services import running_airflow

    with running_airflow(
        info,
        names.dags,
        names.folder / "airflow_home",
        wait_for_dag=SYNC_DAG_ID,
        executor="LocalExecutor",
        extra_env={**names.task_environment(info), "AIRFLOW__CORE__PARALLELISM": "2"},
    ) as airflow:
        airflow.wait_for_dag(NOOP_DAG_ID)
        api = airflow.rest_client()
        for dag_id in (SYNC_DAG_ID, NOOP_DAG_ID):
            api.call("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})
        # A first run untimed: the components' own first-run costs (the first task processes, the first
        # scheduling of a DAG version) are paid here, not by whichever DAG runs first.
        deployed_run(airflow, NOOP_DAG_ID, None)
        yield airflow


def deployed_run(airflow: Any, dag_id: str, conf: dict[str, Any] | None) -> dict[str, Any]:
    """One run through the REST API: its duration, and per task the start of its work and its peak memory."""
    api = airflow.rest_client()
    triggered = api.call("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf or {}})
    run_id = triggered["dag_run_id"]
    started = time.perf_counter()

    def finished() -> dict | None:
        run = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}")
        return run if run["state"] in ("success", "failed") else None

    run = airflow.wait_until(f"run {run_id} of {dag_id}", finished, RUN_TIMEOUT)
    waited = time.perf_counter() - started
    if run["state"] != "success":
        raise SystemExit(f"{dag_id} run {run_id} failed\n{airflow.log_tails()}")
    instances = api.call("GET", f"/api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances?limit=100")["task_instances"]
    durations = {instance["task_id"]: instance["duration"] for instance in instances}
    tasks: dict[str, dict[str, float]] = {}
    for task_id in SYNC_TASK_IDS:
        logs = list((airflow.home / "logs").glob(f"dag_id={dag_id}/run_id={run_id}/task_id={task_id}/*.log"))
        text = "\n".join(path.read_text(errors="replace") for path in logs)
        start, peak = STARTED_PATTERN.search(text), PEAK_PATTERN.search(text)
        if not start or not peak:
            raise SystemExit(f"the log of {dag_id}.{task_id} has no start or peak line: {logs}")
        # A task that imports Great Expectations inside its work pays that too before its work goes on.
        gx_import = sum(float(match["seconds"]) for match in GX_IMPORT_PATTERN.finditer(text))
        tasks[task_id] = {"work_started_after_seconds": round(float(start["seconds"]) + gx_import, 2),
                          "gx_import_seconds": gx_import, "peak_mb": int(peak["mb"]),
                          "duration_seconds": round(durations[task_id], 2)}  # fmt: skip
    duration = (datetime.fromisoformat(run["end_date"]) - datetime.fromisoformat(run["start_date"])).total_seconds()
    return {"run_seconds": round(duration, 2), "wall_seconds": round(waited, 2), "tasks": tasks}


# --------------------------------------------------------------------------- the table


def work(result: dict[str, Any], mode: str) -> float:
    """(run - floor) of a mode, in seconds."""
    return result[mode]["sync"]["run_seconds"] - result[mode]["floor"]["run_seconds"]


# The sync's tasks whose work the SQL reference does not do at all: it reads nothing out of the
# database, checks nothing with Great Expectations, computes inside its INSERT and writes no report.
NO_COUNTERPART = ("check_parameters", "extract_school_tables", "validate_preconditions", "compute_missing_records",
                  "validate_candidates", "write_report")  # fmt: skip


def warm_accounting(result: dict[str, Any]) -> dict[str, float]:
    """Where a warm run's (run - floor) goes, set against the reference, and the lowest ratio those costs allow.

    - ``no_counterpart``: the tasks the reference has no counterpart for (``NO_COUNTERPART``);
    - ``backup_over_reference`` and ``load_over_reference``: what the backup (X6: the copy, then both
      checksums) and the load (X7: the lineage and the database's check of it, the source check, the
      backup re-check) take beyond the reference's copy and insert;
    - ``airflow_between_tasks``: (run - floor) less every task's own time (XComs, the bigger task bodies);
    - ``lowest_ratio``: (no_counterpart + reference) / reference, the ratio if the backup and the load
      took no longer than the reference's copy and insert and Airflow added nothing between tasks.
    """
    tasks, reference = result["warm"]["sync"]["tasks"], result["reference"]
    no_counterpart = sum(tasks[task_id] or 0 for task_id in NO_COUNTERPART)
    own = sum(seconds or 0 for seconds in tasks.values())
    return {
        "no_counterpart": round(no_counterpart, 2),
        "backup_over_reference": round((tasks["back_up_school_records"] or 0) - reference["backup"], 2),
        "load_over_reference": round((tasks["load_missing_records"] or 0) - reference["insert"], 2),
        "airflow_between_tasks": round(work(result, "warm") - own, 2),
        "lowest_ratio": round((no_counterpart + reference["total"]) / reference["total"], 2),
    }


def print_table(results: list[dict[str, Any]], modes: tuple[str, ...]) -> None:
    rows: list[list[str]] = [["", *(result["case"] for result in results)]]
    rows.append(["records added", *(f"{r['records']:,}" for r in results)])
    rows.append(["SQL reference s (backup + insert)",
                 *(f"{r['reference']['total']:.2f} ({r['reference']['backup']:.2f} + {r['reference']['insert']:.2f})"
                   for r in results)])  # fmt: skip
    for mode in modes:
        rows.append([f"{mode}: sync run s", *(f"{r[mode]['sync']['run_seconds']:.2f}" for r in results)])
        rows.append([f"{mode}: floor (no-op) run s", *(f"{r[mode]['floor']['run_seconds']:.2f}" for r in results)])
        rows.append([f"{mode}: run - floor s", *(f"{work(r, mode):.2f}" for r in results)])
        rows.append([f"{mode}: (run - floor) / reference",
                     *(f"{work(r, mode) / r['reference']['total']:.1f}x" for r in results)])  # fmt: skip
        if mode == "warm":
            for task_id in SYNC_TASK_IDS:
                rows.append([f"  {task_id} s", *(f"{r[mode]['sync']['tasks'][task_id] or 0:.2f}" for r in results)])
            accounts = [warm_accounting(r) for r in results]
            for key, label in (
                ("no_counterpart", "warm: tasks the reference has no counterpart for s"),
                ("backup_over_reference", "warm: backup beyond the reference's copy s"),
                ("load_over_reference", "warm: load beyond the reference's insert s"),
                ("airflow_between_tasks", "warm: Airflow between the tasks s"),
            ):
                rows.append([label, *(f"{account[key]:.2f}" for account in accounts)])
            rows.append(["warm: lowest ratio without the last three", *(f"{a['lowest_ratio']:.1f}x" for a in accounts)])
        if mode == "cold":
            rows.append(["cold: command wall s (sync / floor)",
                         *(f"{r[mode]['sync']['wall_seconds']:.1f} / {r[mode]['floor']['wall_seconds']:.1f}"
                           for r in results)])  # fmt: skip
        if mode == "deployed":
            rows.append(["deployed: no-op task work starts s (median)",
                         *(f"{r[mode]['noop_start_median']:.2f}" for r in results)])  # fmt: skip
            for task_id in SYNC_TASK_IDS:
                rows.append([f"  {task_id}: task s, work starts s (over no-op)",
                             *(f"{r[mode]['sync']['tasks'][task_id]['duration_seconds']:.2f}, "
                               f"{r[mode]['sync']['tasks'][task_id]['work_started_after_seconds']:.2f} "
                               f"(+{r[mode]['sync']['tasks'][task_id]['work_started_after_seconds'] - r[mode]['noop_start_median']:.2f})"
                               for r in results)])  # fmt: skip
            rows.append(["deployed: largest task peak MB",
                         *(f"{max(t['peak_mb'] for t in r[mode]['sync']['tasks'].values()):,}" for r in results)])  # fmt: skip
    rows.append(["same records as reference", *("yes" for _ in results)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) if index == 0 else cell.rjust(width)
                        for index, (cell, width) in enumerate(zip(row, widths, strict=True))))  # fmt: skip


def print_imports(imports: dict[str, Any]) -> None:
    print(
        "\nwarm, apart: each task's start-up in a fresh interpreter over a no-op task's (bench/task_imports.py, 1 round)"
    )
    for task, row in imports.items():
        print(
            f"  {task:<26} task code {row['task_code_seconds']:>5.2f} s   over the no-op {row['over_noop_seconds']:>5.2f} s"
        )


def judge(results: list[dict[str, Any]], modes: tuple[str, ...]) -> list[dict[str, Any]]:
    """Issue 21's targets, each with its value and whether it is met."""
    by_case = {result["case"]: result for result in results}
    verdicts = []

    def verdict(target: str, value: float, met: bool, unit: str, **more: float) -> None:
        verdicts.append({"target": target, "value": round(value, 2), "unit": unit, "met": met, **more})

    exception, positive = by_case.get("exception-only"), by_case.get("positive")
    if "warm" in modes:
        if exception:
            ratio = work(exception, "warm") / exception["reference"]["total"]
            verdict("warm, exception-only: (run - floor) / reference <= 3x", ratio, ratio <= 3, "x",
                    lowest_ratio=warm_accounting(exception)["lowest_ratio"])  # fmt: skip
        if positive:
            ratio = work(positive, "warm") / positive["reference"]["total"]
            verdict("warm, positive: (run - floor) / reference <= 2x", ratio, ratio <= 2, "x",
                    lowest_ratio=warm_accounting(positive)["lowest_ratio"])  # fmt: skip
    if "cold" in modes and exception:
        verdict("cold, exception-only: run - floor <= 8 s", work(exception, "cold"), work(exception, "cold") <= 8, "s")
    if "deployed" in modes:
        gx_tasks = {"validate_preconditions", "validate_candidates", "write_report"}
        for result in results:
            deployed, noop = result["deployed"], result["deployed"]["noop_start_median"]
            gx = result["gx_import_seconds"]
            for task_id, task in deployed["sync"]["tasks"].items():
                allowed = 1 + (gx if task_id in gx_tasks else 0)
                extra = task["work_started_after_seconds"] - noop
                verdict(f"deployed, {result['case']}: {task_id} starts within {allowed:.1f} s of a no-op task",
                        extra, extra <= allowed, "s")  # fmt: skip
        if positive:
            peak = max(task["peak_mb"] for task in positive["deployed"]["sync"]["tasks"].values())
            verdict("positive: every task process's peak memory under 1 GB", peak, peak < 1024, "MB")
    return verdicts


def gx_import_seconds() -> float:
    """``import great_expectations`` in a bare interpreter: the one import a GX task cannot avoid."""
    finished = subprocess.run(
        [sys.executable, "-c", ("import time; t = time.perf_counter(); import great_expectations; "
                               "print(time.perf_counter() - t)")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return round(float(finished.stdout.strip().splitlines()[-1]), 2)


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2500, help="students per school (default 2,500)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: cold, warm, deployed")
    parser.add_argument("--cases", default=",".join(case.name for case in CASES), help="exception-only, positive")
    parser.add_argument("--warm-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.warm_child:
        print("RESULT " + json.dumps(warm_child(Path(args.warm_child))), flush=True)
        return
    modes = tuple(mode for mode in MODES if mode in args.modes.split(","))
    cases = [case for case in CASES if case.name in args.cases.split(",")]
    if not modes or not cases:
        raise SystemExit(f"nothing to run: modes {args.modes!r}, cases {args.cases!r}")

    import psycopg

    info = end_to_end.connection_info()
    names = Names(f"bench_{uuid.uuid4().hex[:8]}", Path(tempfile.mkdtemp(prefix="attendance_bridge_bench_")))
    dags_folder(names.dags)
    started = time.perf_counter()
    results: list[dict[str, Any]] = []
    imports: dict[str, Any] = {}
    with psycopg.connect(**info.conninfo_kwargs(), autocommit=True) as conn:
        templates: dict[str, Any] = {}
        try:
            templates = end_to_end.build_templates(conn, names.prefix, args.students)
            print(f"generated {args.students:,} students per school in {templates['generated_seconds']} s", flush=True)
            gx = gx_import_seconds()
            for case in cases:
                template = templates["schemas"][case.shape]
                result: dict[str, Any] = {"case": case.name, "gx_import_seconds": gx}
                result["reference"] = reference(conn, template, names, case)
                print(f"{case.name}: SQL reference {result['reference']['total']} s", flush=True)
                env = cold_environment(info, names)
                if "cold" in modes:
                    after = fresh_sis_copy(conn, template, names)
                    floor = cold_run(NOOP_DAG_ID, env, None)
                    sync = cold_run(SYNC_DAG_ID, env, CONF)
                    result["records"] = same_records(
                        conn, names, case, after, result["reference"]["after"], f"{case.name}, cold"
                    )
                    result["cold"] = {"floor": floor, "sync": sync}
                    print(f"{case.name}: cold {result['cold']}", flush=True)
                if "warm" in modes:
                    after = fresh_sis_copy(conn, template, names)
                    result["warm"] = warm_runs(env, names)
                    result["records"] = same_records(
                        conn, names, case, after, result["reference"]["after"], f"{case.name}, warm"
                    )
                    result["warm"]["accounting"] = warm_accounting(result)
                    print(f"{case.name}: warm {result['warm']}", flush=True)
                results.append(result)
            if "deployed" in modes:
                with deployed_airflow(info, names) as airflow:
                    for case, result in zip(cases, results, strict=True):
                        after = fresh_sis_copy(conn, templates["schemas"][case.shape], names)
                        floor = deployed_run(airflow, NOOP_DAG_ID, None)
                        sync = deployed_run(airflow, SYNC_DAG_ID, CONF)
                        result["records"] = same_records(
                            conn, names, case, after, result["reference"]["after"], f"{case.name}, deployed"
                        )
                        noop_starts = [task["work_started_after_seconds"] for task in floor["tasks"].values()]
                        result["deployed"] = {"floor": floor, "sync": sync,
                                              "noop_start_median": statistics.median(noop_starts)}  # fmt: skip
                        print(f"{case.name}: deployed run {sync['run_seconds']} s, floor {floor['run_seconds']} s",
                              flush=True)  # fmt: skip
            if "warm" in modes:
                imports = task_imports()
        finally:
            end_to_end.drop_schemas(
                conn, names.sis, names.pipeline, names.scratch, *(names.reference(case) for case in cases),
                *(templates.get("schemas") or {}).values(),
            )  # fmt: skip
            shutil.rmtree(names.folder, ignore_errors=True)

    print(f"\nschool {end_to_end.SCHOOL}, {args.students:,} students per school, the whole year, {DIRECTION}, "
          f"{ABSENT_PERIODS}; Great Expectations' own import {results[0]['gx_import_seconds']} s")  # fmt: skip
    print_table(results, modes)
    if imports:
        print_imports(imports)
    verdicts = judge(results, modes)
    print("\ntargets (issue 21):")
    for verdict in verdicts:
        lowest = f" (at best {verdict['lowest_ratio']}x: see 'lowest ratio' above)" if "lowest_ratio" in verdict else ""
        print(
            f"  {'met    ' if verdict['met'] else 'NOT met'}  {verdict['target']}: {verdict['value']} {verdict['unit']}"
            f"{lowest}"
        )
    document = {
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "students_per_school": args.students,
        "machine": end_to_end.machine(),
        "modes": modes,
        "cases": results,
        "task_imports": imports,
        "targets": verdicts,
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    partial = "" if (modes == MODES and len(cases) == len(CASES)) else "-partial"
    path = RESULTS / f"dag_runs-{document['written_at'][:10]}-{args.students}{partial}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT)} in {document['seconds']} s")


if __name__ == "__main__":
    main()
