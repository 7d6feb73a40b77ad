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
from attendance_bridge.embedded import SisConnection, sis_connection
from psycopg import sql

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
