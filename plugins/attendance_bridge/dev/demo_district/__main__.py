"""Command line: ``python -m attendance_bridge.dev.demo_district --help``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import psycopg

from attendance_bridge.config import DEFAULT_SIS_SCHEMA, PROJECT_ROOT
from attendance_bridge.dev.demo_district.into_postgres import build_demo_district, existing_sis_tables
from attendance_bridge.dev.demo_district.plan import MAX_STUDENTS_PER_SCHOOL
from attendance_bridge.dev.embedded_postgres import sis_connection


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the demo district in a new or empty schema and print its counts."""
    parser = argparse.ArgumentParser(
        prog="python -m attendance_bridge.dev.demo_district",
        description="Build the demo district in the SIS database (AIRFLOW_CONN_SIS_DB, or an "
        "embedded PostgreSQL when it is unset).",
    )
    parser.add_argument("--students", type=int, default=300, help="students per school (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument(
        "--schools", type=int, default=2, help="schools (default the demo's 2; more repeat the two in turn)"
    )
    parser.add_argument("--schema", default=DEFAULT_SIS_SCHEMA, help="target schema (default public)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=PROJECT_ROOT / ".demo" / "pgdata",
        help="data folder of the embedded PostgreSQL (default .demo/pgdata)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS_PER_SCHOOL:
        parser.error(f"--students must be 1 to {MAX_STUDENTS_PER_SCHOOL}")
    if args.schools < 1:
        parser.error("--schools must be 1 or more")

    connection = sis_connection(args.data_dir)
    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        existing = existing_sis_tables(conn, args.schema)
        if existing:
            print(
                f"Schema {args.schema!r} already holds SIS tables ({', '.join(existing)}); nothing "
                "was changed. Choose another --schema, or drop that schema first.",
                file=sys.stderr,
            )
            return 2
        district = build_demo_district(
            conn, args.schema, students_per_school=args.students, seed=args.seed, schools=args.schools
        )
    print(
        f"Demo district in schema {district.schema!r}: schools "
        f"{', '.join(map(str, district.school_numbers))}, yearid {district.yearid}, "
        f"method switched on {district.switch_date.isoformat()}."
    )
    width = max(map(len, district.row_counts))
    for table, count in district.row_counts.items():
        print(f"  {table:<{width}}  {count:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
