"""``bin/airflow dags test attendance_bridge_sync`` as a person runs it: exit code and outcome."""

from __future__ import annotations

import json
import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from attendance_bridge.config import (
    PIPELINE_SCHEMA_ENV,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.dev.embedded_postgres import SisConnection
from psycopg import sql

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cli_environment(sis_server: SisConnection, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """A demo district of 30 students per school, and the environment bin/airflow runs the DAG with."""
    suffix = uuid.uuid4().hex[:10]
    schema, pipeline_schema = f"sis_{suffix}", f"ab_{suffix}"
    folder = tmp_path_factory.mktemp("cli")
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=30, seed=3)
            yield {
                **os.environ,
                SIS_CONN_ENV: sis_server.airflow_json(),
                SIS_SCHEMA_ENV: schema,
                PIPELINE_SCHEMA_ENV: pipeline_schema,
                STAGING_BASE_ENV: f"file://{folder / 'staging'}",
                REPORTS_BASE_ENV: f"file://{folder / 'reports'}",
                "conn": conn,
                "pipeline_schema": pipeline_schema,
            }
        finally:
            for name in (schema, pipeline_schema):
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def dags_test(environment: dict, conf: dict) -> subprocess.CompletedProcess[str]:
    """bin/airflow dags test attendance_bridge_sync --conf <conf>."""
    env = {key: value for key, value in environment.items() if isinstance(value, str)}
    return subprocess.run(
        [str(ROOT / "bin" / "airflow"), "dags", "test", "attendance_bridge_sync", "--conf", json.dumps(conf)],
        env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_a_successful_run_exits_zero_and_logs_its_report(cli_environment: dict) -> None:
    finished = dags_test(cli_environment, {"school_number": 200, "year": 35, "dry_run": True})
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output[-3000:]
    assert "write_report: the report of this run is" in output
    statuses = (
        cli_environment["conn"]
        .execute(
            sql.SQL("SELECT status, dry_run FROM {}.run_log").format(sql.Identifier(cli_environment["pipeline_schema"]))
        )
        .fetchall()
    )
    assert statuses == [("succeeded", True)]


def test_a_refused_run_exits_non_zero_with_the_rule_in_its_log(cli_environment: dict) -> None:
    finished = dags_test(cli_environment, {"school_number": 0})
    output = finished.stdout + finished.stderr
    assert finished.returncode != 0
    assert "P1 failed for school 0: the district office (school 0) cannot be synchronized" in output
