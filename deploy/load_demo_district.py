"""Load the demo district into the deployment's stand-in SIS database, once (docker-compose.yml, sis-init).

The service runs on every ``docker compose up``. The first time it builds the demo district in one
transaction; afterwards it finds the SIS tables and changes nothing. The command
``python -m attendance_bridge.dev.demo_district`` refuses a schema that already holds SIS tables with an
error, which would fail the service the Airflow workers wait for, so the check comes first here.
"""

from __future__ import annotations

import os
import sys

import psycopg
from attendance_bridge.config import DEFAULT_SIS_SCHEMA, SIS_CONN_ENV, SIS_SCHEMA_ENV
from attendance_bridge.dev import demo_district
from attendance_bridge.dev.demo_district.__main__ import main as build_demo_district_command
from attendance_bridge.dev.embedded_postgres import parse_airflow_connection

STUDENTS_ENV = "DEMO_STUDENTS_PER_SCHOOL"


def main() -> int:
    """Build the demo district unless the SIS schema already holds SIS tables."""
    if not os.environ.get(SIS_CONN_ENV):
        print(f"{SIS_CONN_ENV} must name the SIS database to load", file=sys.stderr)
        return 2
    schema = os.environ.get(SIS_SCHEMA_ENV) or DEFAULT_SIS_SCHEMA
    connection = parse_airflow_connection(os.environ[SIS_CONN_ENV])
    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        existing = demo_district.existing_sis_tables(conn, schema)
    if existing:
        print(
            f"Schema {schema!r} already holds SIS tables ({', '.join(existing)}); the demo district is not loaded again."
        )
        return 0
    students = os.environ.get(STUDENTS_ENV, "").strip() or "300"
    return build_demo_district_command(["--schema", schema, "--students", students])


if __name__ == "__main__":
    sys.exit(main())
