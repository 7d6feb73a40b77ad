"""Benchmark: every phase of attendance_bridge_sync on one large school with positive attendance.

    make bench-sync                    # 2500 students, a Daily record for every student-day
    make bench-sync SYNC_STUDENTS=1000

Generates the demo district with the given number of students per school, adds a Present
Daily record for every enrolled student on every in-session day of school 100 that has none
(the stress case: every student-day yields a Meeting record to build), then runs the DAG's
phases in this process, as its tasks do, for ``daily_to_meeting`` over the whole year. Prints
seconds, rows and the process's peak memory after each phase. Uses AIRFLOW_CONN_SIS_DB when
set, else the embedded PostgreSQL in .demo/bench-pgdata; its schemas are dropped afterwards.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
import uuid
from datetime import date

import psycopg
from attendance_bridge import sync
from attendance_bridge.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.embedded import sis_connection
from attendance_bridge.settings import (
    MODE_DAILY,
    PIPELINE_SCHEMA_ENV,
    PROJECT_ROOT,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from attendance_bridge.sql import load_sql
from psycopg import sql

SCHOOL, YEARID = 100, 35


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    """Generate, add positive attendance, run the phases, print one line per phase."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=2500)
    parser.add_argument("--direction", default="daily_to_meeting")
    args = parser.parse_args()
    suffix = uuid.uuid4().hex[:8]
    schema, own_schema = f"bench_{suffix}", f"bench_ab_{suffix}"
    connection = sis_connection(PROJECT_ROOT / ".demo" / "bench-pgdata")
    folder = tempfile.mkdtemp(prefix="attendance_bridge_bench_")
    os.environ.update(
        {
            SIS_CONN_ENV: connection.airflow_json(),
            SIS_SCHEMA_ENV: schema,
            PIPELINE_SCHEMA_ENV: own_schema,
            STAGING_BASE_ENV: f"file://{folder}/staging",
            REPORTS_BASE_ENV: f"file://{folder}/reports",
        }
    )
    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            started = time.perf_counter()
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=args.students)
            added = conn.execute(
                sql.SQL(load_sql("bench/insert_positive_daily_attendance")).format(schema=sql.Identifier(schema)),
                {
                    "school_number": SCHOOL,
                    "yearid": YEARID,
                    "mode_daily": MODE_DAILY,
                    "start_date": date(2025, 8, 18),
                    "end_date": date(2026, 6, 5),
                },
            ).rowcount
            conn.execute(sql.SQL("ANALYZE {}.attendance").format(sql.Identifier(schema)))
            print(
                f"generated {args.students} students per school and {added:,} positive Daily records "
                f"in {time.perf_counter() - started:.1f} s (peak {peak_mb():.0f} MB)"
            )
            run_phases(args.direction)
        finally:
            for name in (schema, own_schema):
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def run_phases(direction: str) -> None:
    """The DAG's phases in order, as its tasks call them."""
    run = sync.Run("attendance_bridge_sync", f"bench__{uuid.uuid4().hex[:8]}", date(2026, 3, 1), "bench")
    conf = {"school_number": SCHOOL, "year": YEARID, "direction": direction}
    upstream: dict[str, dict] = {}
    total = time.perf_counter()

    def timed(name: str, *arguments: object) -> dict:
        upstream[name] = getattr(sync, name)(run, *arguments)
        print(f"  {name:<24} {upstream[name].get('seconds', 0):>7.2f} s   peak {peak_mb():>6.0f} MB")
        return upstream[name]

    print(f"school {SCHOOL}, {direction}, whole year:")
    checked = timed("check_parameters", conf)
    extracted = timed("extract_school_tables", checked)
    preconditions = timed("validate_preconditions", checked, extracted)
    computed = timed("compute_missing_records", checked, extracted, preconditions)
    timed("validate_candidates", checked, extracted, computed, preconditions)
    timed("back_up_school_records", checked)
    timed("load_missing_records", checked, computed)
    report = sync.write_report(run, conf, upstream)
    print(f"  {'write_report':<24} {'':>7}     peak {peak_mb():>6.0f} MB")
    print(f"rows read: {extracted['rows']['attendance']:,} attendance; counts: {report['counts']}")
    print(f"total {time.perf_counter() - total:.1f} s, peak memory {peak_mb():.0f} MB")


if __name__ == "__main__":
    main()
