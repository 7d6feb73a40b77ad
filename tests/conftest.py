"""Shared fixtures: a real PostgreSQL for the tests that need one.

When ``AIRFLOW_CONN_SIS_DB`` is set the tests use that server; otherwise they start a
throwaway one with pgserver. Each test that asks for ``sis_schema`` gets a schema of its own
with a unique name, dropped afterwards, so a shared long-lived server is never disturbed.
"""

from __future__ import annotations

import os
import tempfile
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
from attendance_bridge.dev.embedded_postgres import SisConnection, sis_connection
from psycopg import sql

from tests.support.sync_sandbox import SANDBOX_SEED, SANDBOX_STUDENTS, Sandbox, parsed_dag

ROOT = Path(__file__).resolve().parents[1]
# Airflow reads its configuration at import: point it at this project, as bin/airflow does,
# so no test writes an airflow.cfg into the home folder.
os.environ.setdefault("AIRFLOW_HOME", str(ROOT / ".airflow"))
os.environ.setdefault("AIRFLOW__CORE__DAGS_FOLDER", str(ROOT / "dags"))
os.environ.setdefault("AIRFLOW__CORE__PLUGINS_FOLDER", str(ROOT / "plugins"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")


@pytest.fixture(scope="session")
def sis_server() -> SisConnection:
    """The PostgreSQL the tests write to (never mocked).

    The embedded server's data folder is not under pytest's tmp_path: pytest resets its base
    folder to mode 700 whenever another pytest starts, and the server runs as its own
    unprivileged user, which must be able to reach the folder. It is deleted at exit.
    """
    return sis_connection(Path(tempfile.mkdtemp(prefix="attendance_bridge_pgdata_")), throwaway=True)


@pytest.fixture
def sis_conn(sis_server: SisConnection) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the test server."""
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        yield conn


@pytest.fixture
def sis_schema(sis_conn: psycopg.Connection) -> Iterator[str]:
    """A fresh, uniquely named schema, dropped when the test ends."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    sis_conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        sis_conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(name)))


# --------------------------------------------------------------------------- the demo district and the sandbox


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
