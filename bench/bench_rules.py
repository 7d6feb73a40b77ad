"""Benchmark: extract and compute for one school of a large demo district. Prints numbers.

    make bench                     # 3000 students per school
    make bench STUDENTS=10000

Uses AIRFLOW_CONN_SIS_DB when set, else the embedded PostgreSQL in .demo/bench-pgdata; the
district goes into a schema of its own that is dropped afterwards.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from datetime import date

import psycopg
from attendance_bridge.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.embedded import sis_connection
from attendance_bridge.extract import read_school_frames
from attendance_bridge.parameters import bridge_request, parse_run_parameters, school_and_range
from attendance_bridge.rules import bridge_records
from attendance_bridge.settings import PROJECT_ROOT
from psycopg import sql


def main() -> None:
    """Time generation once, then extract and compute three times per direction."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    connection = sis_connection(PROJECT_ROOT / ".demo" / "bench-pgdata")
    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            started = time.perf_counter()
            create_sis_schema(conn, schema)
            district = generate_demo_district(conn, schema, students_per_school=args.students)
            print(
                f"generate {args.students} students per school: {time.perf_counter() - started:.2f} s, "
                f"{district.row_counts['attendance']:,} attendance rows"
            )
            for direction in ("meeting_to_daily", "daily_to_meeting"):
                parameters = parse_run_parameters({"school_number": 100, "year": 35})
                request = bridge_request(
                    parameters, *school_and_range(conn, schema, parameters, date.today()), direction
                )
                extract, compute = [], []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    frames = read_school_frames(conn, schema, request)
                    t1 = time.perf_counter()
                    result = bridge_records(frames, request)
                    compute.append(time.perf_counter() - t1)
                    extract.append(t1 - t0)
                print(
                    f"school 100 {direction:<16} read {len(frames.attendance):>9,} attendance rows, "
                    f"build {result.counts['candidates']:>9,} records: extract median "
                    f"{statistics.median(extract):.2f} s, compute median {statistics.median(compute):.2f} s"
                )
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


if __name__ == "__main__":
    main()
