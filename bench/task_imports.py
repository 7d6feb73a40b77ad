"""Benchmark (issue 21): what each task of the sync pays at start, before its first line of work.

    PYTHONPATH=plugins:. .venv/bin/python bench/task_imports.py            # 3 rounds, median
    PYTHONPATH=plugins:. .venv/bin/python bench/task_imports.py --rounds 5

In a deployment every task is its own process, so every task pays again what it imports. For each
task of ``attendance_bridge_sync`` (and for a no-op task, the floor), a fresh interpreter times:

1. **airflow**: the task runner (``airflow.sdk.execution_time.task_runner``), which every task
   process imports, a no-op task included;
2. **dag file**: parsing ``dags/attendance_bridge_sync.py`` (the task process parses its DAG);
3. **task code**: what the task's body imports when it runs: its module of ``attendance_bridge.tasks``
   and, for the three tasks that run Great Expectations (the two gates and the report's Data Docs),
   Great Expectations itself (``checks.gx.import_gx``, as the task does).

Prints one table (median of the rounds) and writes it as JSON to ``bench/results/``. The modules
each task imports are listed in ``TASK_IMPORTS`` by hand, from ``wiring.sync_tasks``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from attendance_bridge.catalog import SYNC_TASK_IDS

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
NO_OP = "no-op task"
GX = "great_expectations"
# What each task's body imports when it runs (wiring.sync_tasks and the task functions).
TASK_IMPORTS: dict[str, tuple[str, ...]] = {
    NO_OP: (),
    "check_parameters": ("attendance_bridge.tasks.parameters",),
    "extract_school_tables": ("attendance_bridge.tasks.sync",),
    "validate_preconditions": ("attendance_bridge.tasks.sync", GX),
    "compute_missing_records": ("attendance_bridge.tasks.sync",),
    "validate_candidates": ("attendance_bridge.tasks.sync", GX),
    "back_up_school_records": ("attendance_bridge.tasks.sync",),
    "load_missing_records": ("attendance_bridge.tasks.sync",),
    "write_report": ("attendance_bridge.tasks.sync_report", GX),
}
# One fresh interpreter: the three stages timed, the modules and the peak memory after them.
PROBE = """
import importlib, importlib.util, json, resource, sys, time
started = time.perf_counter()
import airflow.sdk.execution_time.task_runner
airflow_done = time.perf_counter()
spec = importlib.util.spec_from_file_location("attendance_bridge_sync_dag", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))
dag_done = time.perf_counter()
before = set(sys.modules)
for name in sys.argv[2:]:
    if name == "great_expectations":
        from attendance_bridge.checks.gx import import_gx
        import_gx()
    else:
        importlib.import_module(name)
ended = time.perf_counter()
print(json.dumps({
    "airflow": airflow_done - started, "dag_file": dag_done - airflow_done, "task_code": ended - dag_done,
    "modules_added": len(set(sys.modules) - before), "pandas": "pandas" in sys.modules,
    "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
}))
"""


def probe(task: str) -> dict[str, float]:
    """One fresh interpreter's start-up for ``task``."""
    finished = subprocess.run(
        [sys.executable, "-c", PROBE, str(ROOT / "dags" / "attendance_bridge_sync.py"), *TASK_IMPORTS[task]],
        capture_output=True, text=True, check=True, cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'plugins'}:{ROOT}", "PATH": "/usr/bin:/bin", "HOME": str(Path.home()),
             "AIRFLOW_HOME": str(ROOT / ".airflow"), "AIRFLOW__CORE__LOAD_EXAMPLES": "False"},
    )  # fmt: skip
    return json.loads(finished.stdout.strip().splitlines()[-1])


def measure(rounds: int) -> dict[str, dict[str, float]]:
    """Every task's start-up, ``rounds`` times, round-robin (so drift hits every task alike); medians."""
    assert set(TASK_IMPORTS) == {NO_OP, *SYNC_TASK_IDS}, "TASK_IMPORTS must list every task of the sync"
    samples: dict[str, list[dict[str, float]]] = {task: [] for task in TASK_IMPORTS}
    for _ in range(rounds):
        for task in TASK_IMPORTS:
            samples[task].append(probe(task))
    return {
        task: {key: statistics.median(sample[key] for sample in runs) for key in runs[0]}
        for task, runs in samples.items()
    }


def table(medians: dict[str, dict[str, float]]) -> str:
    floor = medians[NO_OP]["airflow"] + medians[NO_OP]["dag_file"]
    header = (
        f"{'task':<26}{'airflow s':>10}{'dag file s':>11}{'task code s':>12}{'over no-op s':>13}"
        f"{'modules':>9}{'pandas':>8}{'peak MB':>9}"
    )
    lines = [header]
    for task, row in medians.items():
        total = row["airflow"] + row["dag_file"] + row["task_code"]
        lines.append(
            f"{task:<26}{row['airflow']:>10.2f}{row['dag_file']:>11.2f}{row['task_code']:>12.2f}"
            f"{total - floor:>13.2f}{int(row['modules_added']):>9}{'yes' if row['pandas'] else 'no':>8}"
            f"{row['peak_mb']:>9.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    medians = measure(args.rounds)
    print(f"Start-up of each sync task in a fresh interpreter (median of {args.rounds}):\n")
    print(table(medians))
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
    path = RESULTS / f"task_imports-{stamp}.json"
    document = {"rounds": args.rounds, "machine": platform.platform(), "python": platform.python_version(),
                "tasks": medians}  # fmt: skip
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten: {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
