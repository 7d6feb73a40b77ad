"""The SIS schema as the bridge needs it, checked in the catalog before a SIS table is read (issue 30).

A run whose SIS schema setting names no schema, whose schema lacks one of the SIS tables, or whose
``attendance`` or ``attendance_time`` has a column that every new row must fill and that the load does
not fill (a SIS upgrade added it NOT NULL without a default) is refused at its first task, in words that
name the setting, the schema, the table and the column, and say what to do; before, it stopped on the
database's own error (``UndefinedTable`` at the first read, ``NotNullViolation`` at the load).

One query of the catalog (``parameters/select_sis_problems``): no SIS table is read or locked.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import psycopg

from attendance_bridge.config import SIS_CONN_ID, SIS_SCHEMA_ENV
from attendance_bridge.db.sql import fetch_all, load_sql
from attendance_bridge.errors import SisTablesUnusable

# The SIS tables the bridge reads or adds to (docs/rules.md, section 2), in that document's order.
SIS_TABLES = (
    "schools", "terms", "prefs", "attendance_code", "period", "cycle_day", "bell_schedule", "bell_schedule_items",
    "calendar_day", "sections", "section_meeting", "cc", "students", "attendance", "attendance_time",
)  # fmt: skip
# The columns the load's inserts name, per table it adds rows to (include/sql: the INSERTs into them; a test
# holds these to every such INSERT). Every other column of these tables must fill itself: a default, an
# identity or a generated column, or NULL.
FILLED_COLUMNS: Mapping[str, tuple[str, ...]] = {
    "attendance": (
        "studentid", "schoolid", "yearid", "att_date", "calendar_dayid", "attendance_codeid", "att_mode_code",
        "ccid", "periodid", "parent_attendanceid",
    ),
    "attendance_time": ("attendanceid", "time_in", "time_out", "total_minutes"),
}  # fmt: skip


def check_sis_tables(conn: psycopg.Connection, schema: str | None, asked_for: str, *, columns: bool = True) -> None:
    """Refuse (``SisTablesUnusable``) a SIS schema that does not exist, lacks one of ``SIS_TABLES``, or (``columns``)
    has a column in a table the load adds to that the load would leave empty where it may not be.

    ``schema`` is the one ``db.connection.sis_schema`` chose (None: the connection's search path names no schema
    that exists); ``asked_for`` says for what in the message ("asked for school 100").
    """
    problems = _problems(conn, schema, SIS_TABLES, columns=columns)
    kinds = {row["problem"] for row in problems}
    if "schema" in kinds:
        raise SisTablesUnusable(_no_schema(conn, schema, asked_for))
    if "table" in kinds:
        missing = [row["table_name"] for row in problems if row["problem"] == "table"]
        raise SisTablesUnusable(_missing_tables(schema, missing, asked_for))
    unfilled = [(row["table_name"], row["column_name"]) for row in problems if row["problem"] == "column"]
    if unfilled:
        raise SisTablesUnusable(unfilled_columns_message(unfilled, asked_for))


def loaded_schema_problem(conn: psycopg.Connection, schema: str) -> str | None:
    """Why a run's rows cannot be undone in the SIS schema it loaded into (the schema, or its ``attendance`` or
    ``attendance_time``, is gone), in words for the rollback's refusal; None when they are there."""
    problems = _problems(conn, schema, tuple(FILLED_COLUMNS), columns=False)
    if not problems:
        return None
    if problems[0]["problem"] == "schema":
        what = f"does not exist in {_database(conn)}"
    else:
        missing = [row["table_name"] for row in problems]
        what = f"has no table{'s' if len(missing) > 1 else ''} {', '.join(missing)}"
    return (
        f"the SIS schema {schema!r} it loaded into {what} (a run is undone in the schema it loaded into, whatever "
        f"{SIS_SCHEMA_ENV} says now): restore it there, then run the rollback again"
    )


def _problems(
    conn: psycopg.Connection, schema: str | None, tables: tuple[str, ...], *, columns: bool
) -> list[dict[str, str]]:
    """The catalog's rows of ``parameters/select_sis_problems`` (columns only when ``columns``)."""
    filled = [(table, column) for table, names in FILLED_COLUMNS.items() for column in names]
    return fetch_all(
        conn,
        load_sql("parameters/select_sis_problems"),
        {
            "schema": schema,
            "tables": list(tables),
            "written": list(FILLED_COLUMNS) if columns else [],
            "filled_tables": [table for table, _ in filled],
            "filled_columns": [column for _, column in filled],
        },
    )


def _setting() -> str:
    """The message's first words: the setting that chooses the SIS schema."""
    return f"Setting {SIS_SCHEMA_ENV}: "


def _which_schema(schema: str) -> str:
    """The schema, and where its name came from when the setting is not set."""
    if os.environ.get(SIS_SCHEMA_ENV):
        return f"the SIS schema {schema!r}"
    return f"the SIS schema {schema!r} (the {SIS_CONN_ID} connection's default schema: {SIS_SCHEMA_ENV} is not set)"


def _advice(also: str = "") -> str:
    return (
        f"set {SIS_SCHEMA_ENV} to the schema that holds the SIS tables (schools, attendance and the others){also}, "
        "then run again; nothing was changed"
    )


def _no_schema(conn: psycopg.Connection, schema: str | None, asked_for: str) -> str:
    database = _database(conn)
    if schema is None:
        return (
            f"{_setting()}it is not set, and the {SIS_CONN_ID} connection's search path names no schema that exists "
            f"in {database} ({asked_for}); {_advice()}"
        )
    return f"{_setting()}{_which_schema(schema)} does not exist in {database} ({asked_for}); {_advice()}"


def _missing_tables(schema: str | None, missing: list[str], asked_for: str) -> str:
    if len(missing) == len(SIS_TABLES):
        what, also = f"has none of the SIS tables ({', '.join(SIS_TABLES)})", ""
    else:
        several = len(missing) > 1
        what = f"has no table{'s' if several else ''} {', '.join(map(_shown, missing))}"
        also = f" or restore the missing table{'s' if several else ''} in it"
    return f"{_setting()}{_which_schema(schema or '')} {what} ({asked_for}); {_advice(also)}"


def unfilled_columns_message(unfilled: list[tuple[str, str]], asked_for: str) -> str:
    """The refusal of a load that would leave a column empty where the SIS does not allow it (NOT NULL, no default)."""
    tables = sorted({table for table, _ in unfilled}, key=list(SIS_TABLES).index)
    if len(tables) == 1:
        names = [_shown(column) for _, column in unfilled]
        subject = f"The SIS table {tables[0]} has"
    else:
        names = [f"{table}.{_shown(column)}" for table, column in unfilled]
        subject = f"The SIS tables {' and '.join(tables)} have"
    several = len(names) > 1
    return (
        f"{subject} {'columns' if several else 'a column'} that must be filled and that the bridge does not fill: "
        f"{', '.join(names)} (NOT NULL, without a default), so no record can be added ({asked_for}); give "
        f"{'each of them' if several else names[0]} a default in the SIS (the SIS vendor or the district's database "
        f"administrator can), or ask the attendance bridge's support for a version that fills "
        f"{'them' if several else 'it'}; nothing was changed"
    )


def _shown(name: str) -> str:
    """A table's or column's name as the message shows it: as it is, or quoted with escapes when it is unusual."""
    plain = name.isidentifier() and name.isascii() and name == name.lower()
    return name if plain else repr(name)


def _database(conn: psycopg.Connection) -> str:
    """Which database, as a person reads it: its name and server, no secrets."""
    info = conn.info
    host = info.host or "localhost"
    where = f"{host} (Unix socket, port {info.port})" if host.startswith("/") else f"{host}:{info.port}"
    return f"the SIS database {info.dbname} at {where}"


def refuse_unfilled_column(exc: psycopg.errors.NotNullViolation, schema: str, asked_for: str) -> None:
    """The load's ``NotNullViolation`` on a column of the SIS schema's ``attendance`` or ``attendance_time`` that it
    does not fill, as the sentence ``check_sis_tables`` says (``SisTablesUnusable``): for what the catalog check cannot
    see, such as a BEFORE INSERT trigger that leaves the column empty. Returns for any other (the caller raises it)."""
    table, column = exc.diag.table_name, exc.diag.column_name
    if exc.diag.schema_name == schema and table in FILLED_COLUMNS and column and column not in FILLED_COLUMNS[table]:
        raise SisTablesUnusable(unfilled_columns_message([(table, column)], asked_for)) from exc
