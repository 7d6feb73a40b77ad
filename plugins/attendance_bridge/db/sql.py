"""SQL statements live in ``include/sql/``, one per file; this module reads them, quotes identifiers
into them and runs them. Values are always bound parameters (``%(name)s``), never formatted in
(``tests/test_architecture.py`` checks every module)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from attendance_bridge.config import SQL_DIR


@cache
def load_sql(name: str) -> str:
    """Return the text of ``include/sql/<name>.sql`` (``name`` may contain a sub-folder)."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"SQL file name {name!r} leaves include/sql/")
    return path.read_text(encoding="utf-8")


def statement(name: str, /, **identifiers: str | sql.Composable | None) -> sql.Composed:
    """``include/sql/<name>.sql`` with its ``{placeholders}`` filled: text as quoted identifiers
    (schemas, tables), composed parts (a row expression) as they are; None values are left out."""
    parts = {
        key: value if isinstance(value, sql.Composable) else sql.Identifier(value)
        for key, value in identifiers.items()
        if value is not None
    }
    return sql.SQL(load_sql(name)).format(**parts)


def fetch_all(conn: psycopg.Connection, query: sql.Composed, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Every row a statement returns, as dicts (none for a statement that returns no rows)."""
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(query, dict(parameters))
        return cursor.fetchall() if cursor.description else []


def fetch_one(conn: psycopg.Connection, query: sql.Composed, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
    """The first row a statement returns, as a dict (None when it returns none)."""
    rows = fetch_all(conn, query, parameters)
    return rows[0] if rows else None
