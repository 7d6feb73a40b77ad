"""The demo district in a real PostgreSQL, and the sandbox the sync DAG's tests run in."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from attendance_bridge.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.embedded import SisConnection
from attendance_bridge.settings import (
    PIPELINE_SCHEMA_ENV,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from psycopg import sql

from tests.integration.sync_sandbox import ROOT, SANDBOX_SEED, SANDBOX_STUDENTS, Sandbox


@pytest.fixture(scope="module")
def district(sis_server: SisConnection) -> Iterator[tuple[psycopg.Connection, str]]:
    """A demo district of 80 students per school in a schema of its own."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=80, seed=11)
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            yield conn, schema
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def parsed_dag(dag_id: str):
    """A DAG as Airflow parses it from its file in the dags folder."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py"))
    assert not bag.import_errors
    return bag.dags[dag_id]


@pytest.fixture(scope="module")
def sync_dag():
    """The sync DAG as Airflow parses it."""
    return parsed_dag("attendance_bridge_sync")


@pytest.fixture(scope="session")
def airflow_metadata(sis_server: SisConnection) -> None:
    """Airflow's metadata database, migrated once (dag.test() records its runs there)."""
    from airflow.utils import db

    db.upgradedb()


@pytest.fixture
def sandbox(
    sis_server: SisConnection, airflow_metadata: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sandbox]:
    """A fresh demo district (40 students per school), and the DAG pointed at it."""
    suffix = uuid.uuid4().hex[:10]
    schema, pipeline_schema = f"sis_{suffix}", f"ab_{suffix}"
    monkeypatch.setenv(SIS_CONN_ENV, sis_server.airflow_json())
    monkeypatch.setenv(SIS_SCHEMA_ENV, schema)
    monkeypatch.setenv(PIPELINE_SCHEMA_ENV, pipeline_schema)
    monkeypatch.setenv(STAGING_BASE_ENV, f"file://{tmp_path / 'staging'}")
    monkeypatch.setenv(REPORTS_BASE_ENV, f"file://{tmp_path / 'reports'}")
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=SANDBOX_STUDENTS, seed=SANDBOX_SEED)
            yield Sandbox(conn, schema, pipeline_schema, tmp_path / "reports")
        finally:
            for name in (schema, pipeline_schema):
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def rollback_dag():
    """The rollback DAG as Airflow parses it."""
    return parsed_dag("attendance_bridge_rollback")
