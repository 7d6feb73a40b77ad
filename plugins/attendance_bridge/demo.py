"""``make demo``: the bridge engine on the demo district, end to end, in a real PostgreSQL.

It uses ``AIRFLOW_CONN_SIS_DB`` when set, otherwise an embedded PostgreSQL whose data lives
in ``.demo/pgdata``. The demo district is generated into the schema on first use (never over
existing tables) and read back on later runs. Then, for each school and both directions, it
extracts the school's tables for the whole year, runs the rules and prints what a run would
insert and report. Nothing is written to the attendance tables: loading is the DAG's job.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import psycopg

from attendance_bridge.demo_district import build_demo_district, existing_sis_tables
from attendance_bridge.embedded import sis_connection
from attendance_bridge.extract import read_school_frames
from attendance_bridge.parameters import bridge_request, parse_run_parameters, school_and_range
from attendance_bridge.rules import COUNT_NAMES, bridge_records
from attendance_bridge.settings import (
    DAILY_TO_MEETING,
    DEFAULT_SIS_SCHEMA,
    MEETING_TO_DAILY,
    PROJECT_ROOT,
)

log = logging.getLogger("attendance_bridge.demo")

DEMO_SCHOOLS = (100, 200)
DEMO_YEARID = 35


def ensure_demo_district(conn: psycopg.Connection, schema: str, students: int, seed: int) -> None:
    """Generate the demo district unless ``schema`` already holds the SIS tables."""
    existing = existing_sis_tables(conn, schema)
    if existing:
        log.info("schema %r already holds the SIS tables; reading them as they are", schema)
        return
    log.info("generating the demo district (%d students per school, seed %d) in schema %r", students, seed, schema)
    build_demo_district(conn, schema, students_per_school=students, seed=seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the engine on every demo school in both directions and print the counts."""
    parser = argparse.ArgumentParser(prog="python -m attendance_bridge.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--schema", default=DEFAULT_SIS_SCHEMA, help="schema of the SIS tables (default public)")
    parser.add_argument("--students", type=int, default=300, help="students per school when generating (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed when generating (default 7)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=PROJECT_ROOT / ".demo" / "pgdata",
        help="data folder of the embedded PostgreSQL (default .demo/pgdata)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    connection = sis_connection(args.data_dir)
    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        ensure_demo_district(conn, args.schema, args.students, args.seed)
        header = ["school", "direction", *COUNT_NAMES, "seconds"]
        lines = []
        for school in DEMO_SCHOOLS:
            parameters = parse_run_parameters({"school_number": school, "year": DEMO_YEARID})
            yearid, first_day, last_day = school_and_range(conn, args.schema, parameters, date.today())
            for direction in (MEETING_TO_DAILY, DAILY_TO_MEETING):
                started = time.perf_counter()
                request = bridge_request(parameters, yearid, first_day, last_day, direction)
                result = bridge_records(read_school_frames(conn, args.schema, request), request)
                elapsed = time.perf_counter() - started
                log.info("school %d %s: %d records to build", school, direction, result.counts["candidates"])
                lines.append(
                    [str(school), direction, *(f"{result.counts[n]:,}" for n in COUNT_NAMES), f"{elapsed:.2f}"]
                )
    widths = [max(len(row[i]) for row in [header, *lines]) for i in range(len(header))]
    print(f"\nBridge runs over year {DEMO_YEARID} (absent_periods=all_periods), computed, nothing written:")
    for row in [header, *lines]:
        print("  " + "  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
