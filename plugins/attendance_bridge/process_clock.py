"""What a task process paid before its first line of work, and its peak memory (issue 21).

Imports nothing but the standard library, so that the benchmark's no-op tasks
(``bench/dags``) can log the same lines as the real ones (``tasks.runtime.guarded_phase``) without
paying for more than they measure. ``bench/dag_runs.py`` and ``bench/district.py`` read the
lines back from the task logs with the patterns below.
"""

from __future__ import annotations

import gc
import os
import re
import resource
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# "... 0.41 s after its process started ...": the line a task logs when its work starts.
STARTED_PATTERN = re.compile(r"(?P<seconds>\d+\.\d+) s after its process started")
# "Great Expectations imported in 4.41 s": what a task paid for GX before its work could go on
# (``checks.gx.import_gx``; no such line when its worker had imported GX already).
GX_IMPORT_PATTERN = re.compile(r"Great Expectations imported in (?P<seconds>\d+\.\d+) s")
# "... peak memory 123 MB": the line a task logs when its work is done.
PEAK_PATTERN = re.compile(r"peak memory (?P<mb>\d+) MB")


def since_process_start() -> str:
    """Seconds since this process started, as text ("0.41"; "?" where /proc is not there).

    In a deployment each task is its own process (forked by the executor's worker): this is what the
    task paid before its first line of work (Airflow, the DAG file, the task's imports).
    """
    try:
        ticks = int(Path("/proc/self/stat").read_text().rpartition(")")[2].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return "?"
    return f"{max(uptime - ticks / os.sysconf('SC_CLK_TCK'), 0.0):.2f}"


def peak_memory_mb() -> int:
    """This process's peak resident memory so far, in MB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


@contextmanager
def collector_spares_imports() -> Iterator[None]:
    """While a task works, Python's garbage collector leaves alone what the process had imported.

    A full collection walks every object the process holds, and after Airflow, pandas, psycopg and
    Great Expectations that is about a million, nearly all of them modules, classes and functions that
    live as long as the process: one full collection in the middle of a sync's work took 0.44 s here
    (issue 21). ``gc.freeze`` moves them out of the collector's way, as Airflow's LocalExecutor and
    Celery workers do before they fork; ``gc.unfreeze`` gives them back when the work is done (a task
    process then exits without collecting; a process that runs many tasks, such as ``dag.test()``
    or the tests, keeps collecting as before). Cycles among the task's own objects are still collected.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def spare_new_imports() -> None:
    """Within ``collector_spares_imports``, what was imported since (Great Expectations, in a gate) is spared too."""
    if gc.get_freeze_count():
        gc.freeze()
