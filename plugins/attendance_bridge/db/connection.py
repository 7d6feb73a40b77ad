"""The connection to the SIS database, and what its errors mean.

``connect_sis`` opens the Airflow connection ``sis_db`` (``AIRFLOW_CONN_SIS_DB`` wins, as always in
Airflow) as psycopg 3. ``is_transient`` is the one classification of database errors the failure
policy uses: retrying may cure a transient error; anything else fails the task at once.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import psycopg

from attendance_bridge.config import SIS_CONN_ID, SIS_SCHEMA_ENV
from attendance_bridge.errors import DatabaseUnreachable

log = logging.getLogger("attendance_bridge.db.connection")


def connect_sis() -> psycopg.Connection:
    """The ``sis_db`` connection as psycopg 3 (``AIRFLOW_CONN_SIS_DB`` wins, as always in Airflow).

    A connection attempt that fails for a reason retrying may cure raises ``DatabaseUnreachable``
    (from psycopg's error), which names the server.
    """
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    hook = PostgresHook(postgres_conn_id=SIS_CONN_ID)
    try:
        conn = hook.get_conn()
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise DatabaseUnreachable(sis_database(hook), _connect_failure(exc)) from exc
    # Transactions are explicit (``with conn.transaction()``) wherever several statements
    # must land together; everything else is a read.
    conn.autocommit = True
    return conn


def sis_database(hook: Any = None) -> str:
    """Where the ``sis_db`` connection points, as a person reads it: database and host:port, no secrets."""
    try:
        if hook is None:
            from airflow.providers.postgres.hooks.postgres import PostgresHook

            hook = PostgresHook(postgres_conn_id=SIS_CONN_ID)
        connection = hook.connection
        host, port = connection.host or "localhost", connection.port or 5432
        database = getattr(hook, "database", None) or connection.schema
    except Exception:  # the connection's own configuration is broken; connecting says more
        log.debug("could not read the %s connection", SIS_CONN_ID, exc_info=True)
        return f"the SIS database of connection {SIS_CONN_ID}"
    where = f"{host}:{port}" if not str(host).startswith("/") else f"{host} (Unix socket, port {port})"
    return f"the SIS database {database} at {where}" if database else f"the SIS database at {where}"


def _connect_failure(exc: BaseException) -> str:
    """libpq's reason for a failed connection attempt (\"Connection refused\"), without its hints."""
    return _first_line(exc).rsplit("failed: ", 1)[-1].strip()


def _first_line(exc: BaseException) -> str:
    """An error's primary message: the server's, else the first line (libpq adds hints and a LINE n: quote)."""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return primary or (lines[0] if lines else type(exc).__name__)


def describe_transient(exc: BaseException) -> tuple[str, bool]:
    """A transient database error in words, and whether it is about reaching the database at all."""
    if isinstance(exc, DatabaseUnreachable):
        return str(exc), True
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if not sqlstate or sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03"):
        # No SQLSTATE: libpq lost the server ("server closed the connection unexpectedly").
        return f"the connection to {sis_database()} was lost ({_first_line(exc)})", True
    return f"{sis_database()} reported a transient error ({_first_line(exc)})", False


def sis_schema(conn: psycopg.Connection) -> str:
    """The SIS tables' schema: ``ATTENDANCE_BRIDGE_SIS_SCHEMA``, else the connection's default."""
    configured = os.environ.get(SIS_SCHEMA_ENV)
    if configured:
        return configured
    return conn.execute("SELECT current_schema()").fetchone()[0]


def is_transient(exc: BaseException) -> bool:
    """Whether retrying may cure ``exc``: a database that cannot be reached, lost connections,
    serialisation failures, deadlocks, lock timeouts, shutdowns."""
    if isinstance(exc, DatabaseUnreachable):
        return True
    # psycopg files SQLSTATE classes 08 (connection), 40 (rollback: serialisation, deadlock),
    # 53 (resources), 55P03 (lock timeout) and 57 (shutdown, cancel) under OperationalError,
    # and raises it for connection attempts that fail; integrity and data errors are not in it.
    if isinstance(exc, psycopg.OperationalError):
        return True
    # A session killed for idling in a transaction is worth one more try; other 25xxx are bugs.
    return isinstance(exc, psycopg.errors.IdleInTransactionSessionTimeout)
