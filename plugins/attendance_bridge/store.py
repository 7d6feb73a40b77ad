"""The pipeline's own tables in the SIS database: migrations and the run log.

The schema (``attendance_bridge`` unless configured) holds ``run_log``, ``lineage`` (X7) and
the backups (X6). Its tables are created by the numbered files of
``include/sql/pipeline/migrations/``, applied in name order, each in a transaction, under an
advisory lock so two workers that start at once do not race.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping
from datetime import date
from typing import Any

import psycopg
from psycopg import sql
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from attendance_bridge.settings import PIPELINE_SCHEMA, SQL_DIR
from attendance_bridge.sql import load_sql

MIGRATIONS_DIR = SQL_DIR / "pipeline" / "migrations"
# First key of the two-key advisory locks the migrator takes; the second is the schema's hash.
MIGRATION_LOCK_CLASS = zlib.crc32(b"attendance_bridge.migrate") & 0x7FFFFFFF
# A pipeline schema name as the migrations can write it anywhere (identifiers, format() strings).
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
RUN_FIELDS = (
    "school_number",
    "yearid",
    "direction",
    "requested_direction",
    "absent_periods",
    "start_date",
    "end_date",
    "dry_run",
)


class MigrationChanged(RuntimeError):
    """An applied migration's file was edited afterwards: the schema no longer matches the code."""


class MigrationNeedsOwner(RuntimeError):
    """The pipeline schema lacks migrations that only its owner may apply (the pipeline's login is not it)."""


def statement(name: str, schema: str, **identifiers: str) -> sql.Composed:
    """``include/sql/<name>.sql`` with ``{schema}`` (and any other identifiers) quoted in."""
    quoted = {key: sql.Identifier(value) for key, value in identifiers.items()}
    return sql.SQL(load_sql(name)).format(schema=sql.Identifier(schema), **quoted)


def migrations() -> list[tuple[str, str]]:
    """Every migration as (name, text), in the order they apply."""
    return [(path.stem, path.read_text(encoding="utf-8")) for path in sorted(MIGRATIONS_DIR.glob("*.sql"))]


def migrate(conn: psycopg.Connection, schema: str = PIPELINE_SCHEMA) -> list[str]:
    """Bring ``schema`` up to date; return the names of the migrations applied now (none when current)."""
    if not PLAIN_NAME.fullmatch(schema):
        # Migration 0007's functions write the schema's name into format() strings and literals.
        raise ValueError(
            f"the pipeline schema's name {schema!r} must be letters, digits and underscores, not starting with a digit"
        )
    pending = migrations()
    # The common case, every task start: a read, no DDL, no lock, no CREATE privilege needed.
    applied = _applied(conn, schema)
    if not _pending(applied, pending):
        return []
    _require_owner(conn, schema, [name for name, _ in pending if name not in applied])
    with conn.transaction():
        _lock_migrations(conn, schema)
        # A database administrator may have created the schema for the pipeline's role, which
        # then owns it but has no right to create schemas (include/sql/roles/).
        if not conn.execute(load_sql("pipeline/select_schema_exists"), {"schema": schema}).fetchone()[0]:
            conn.execute(statement("pipeline/create_schema", schema))
        conn.execute(statement("pipeline/create_schema_migrations", schema))
    applied_now = []
    for name, text in pending:
        with conn.transaction():
            # Another process may have applied it while this one waited for the lock.
            _lock_migrations(conn, schema)
            if name in _applied(conn, schema):
                continue
            conn.execute(sql.SQL(text).format(schema=sql.Identifier(schema)))
            conn.execute(statement("pipeline/insert_schema_migration", schema), {"name": name, "checksum": _md5(text)})
            applied_now.append(name)
    _pending(_applied(conn, schema), pending)  # checks the checksums of what others applied
    return applied_now


def _require_owner(conn: psycopg.Connection, schema: str, missing: list[str]) -> None:
    """Refuse, in words, to migrate a schema another role owns (the least-privilege setup, docs/safety.md)."""
    with conn.transaction():
        row = conn.execute(load_sql("pipeline/select_schema_owner"), {"schema": schema}).fetchone()
    if row is None or row[1]:
        return  # a new schema (created by whoever may) or one this user may change
    raise MigrationNeedsOwner(
        f"the pipeline schema {schema} lacks the migration(s) {', '.join(missing)}, which only its owner "
        f"{row[0]} may apply: a database administrator runs the setup again "
        "(python -m attendance_bridge.database_setup, see docs/safety.md) before the pipeline can run"
    )


def _applied(conn: psycopg.Connection, schema: str) -> dict[str, str]:
    """The migrations ``schema`` has, name to checksum (empty when it has no migrations table)."""
    with conn.transaction():
        exists = conn.execute(load_sql("pipeline/select_schema_migrations_exists"), {"schema": schema}).fetchone()[0]
        if not exists:
            return {}
        return dict(conn.execute(statement("pipeline/select_schema_migrations", schema)).fetchall())


def _pending(applied: Mapping[str, str], available: list[tuple[str, str]]) -> bool:
    """Whether any migration is missing; refuses when an applied one's text has changed since."""
    for name, text in available:
        if name in applied and applied[name] != _md5(text):
            raise MigrationChanged(
                f"migration {name} was applied with other text than include/sql/pipeline/migrations/{name}.sql "
                "holds now; add a new migration instead of editing an applied one"
            )
    return any(name not in applied for name, _ in available)


def _lock_migrations(conn: psycopg.Connection, schema: str) -> None:
    """Wait for other migrators of the same schema (held until the transaction ends)."""
    conn.execute(load_sql("pipeline/lock_migrations"), {"lock_class": MIGRATION_LOCK_CLASS, "schema": schema})


def _md5(text: str) -> str:
    """The checksum recorded for a migration's text."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


# --------------------------------------------------------------------------- run log


def start_run(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str, **fields: Any) -> None:
    """Open the run's row as 'running'; a retried or re-run run id starts over in the same row."""
    values = _run_fields(fields, extra=("parameters", "triggered_by"))
    values["parameters"] = Jsonb(_jsonable(values["parameters"] or {}))
    with conn.transaction():
        conn.execute(
            statement("pipeline/upsert_run_log_started", schema), {"dag_id": dag_id, "run_id": run_id, **values}
        )


def finish_run(
    conn: psycopg.Connection,
    schema: str,
    dag_id: str,
    run_id: str,
    status: str,
    counts: Mapping[str, Any] | None = None,
    timings: Mapping[str, Any] | None = None,
    message: str | None = None,
    report_path: str | None = None,
    **fields: Any,
) -> None:
    """Close the run's row with its outcome; the descriptive fields given fill in or replace what is there."""
    values = _run_fields(fields)
    with conn.transaction():
        conn.execute(
            statement("pipeline/upsert_run_log_finished", schema),
            {
                "dag_id": dag_id,
                "run_id": run_id,
                "status": status,
                "counts": Jsonb(_jsonable(dict(counts or {}))),
                "timings": Jsonb(_jsonable(dict(timings or {}))),
                "message": message,
                "report_path": report_path,
                **values,
            },
        )


def record_message(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str, message: str) -> None:
    """Keep why a phase stopped in the run's row (the report reads it back)."""
    with conn.transaction():
        conn.execute(
            statement("pipeline/upsert_run_log_message", schema),
            {"dag_id": dag_id, "run_id": run_id, "message": message},
        )


def run_message(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str) -> str | None:
    """The message recorded for the run, if any."""
    with conn.transaction():
        row = conn.execute(
            statement("pipeline/select_run_log_message", schema), {"dag_id": dag_id, "run_id": run_id}
        ).fetchone()
    return row[0] if row else None


def committed_load(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str) -> dict[str, Any] | None:
    """What the run's committed loads did (the load log) and what it has in the SIS (its lineage); None if none committed.

    The load writes its load log row in its own transaction, so this is true even when the
    process that ran it died right after the commit.
    """
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement("pipeline/select_committed_load", schema), {"dag_id": dag_id, "run_id": run_id})
        row = cursor.fetchone()
    if row is None:
        return None
    last = dict(row["last_counts"] or {})
    return {
        "inserted_attendance": row["inserted_attendance"],
        "inserted_attendance_time": row["inserted_attendance_time"],
        "skipped_existing": int(last.get("skipped_existing", 0)),
        "skipped_source_changed": int(last.get("skipped_source_changed", 0)),
        "declined_by_database": int(last.get("declined_by_database", 0)),
        "loads": row["loads"],
        "loaded_at": row["loaded_at"].isoformat(),
    }


def record_report_unwritten(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str, message: str) -> None:
    """The run's report could not be written: no path to it in the run log, and the message says why."""
    with conn.transaction():
        conn.execute(
            statement("pipeline/update_run_log_report_unwritten", schema),
            {"dag_id": dag_id, "run_id": run_id, "message": message},
        )


def runs_for_school(conn: psycopg.Connection, schema: str, school_number: int) -> list[dict[str, Any]]:
    """The school's run log rows as dicts, newest first."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement("pipeline/select_run_log_for_school", schema), {"school_number": school_number})
        return cursor.fetchall()


def _run_fields(fields: Mapping[str, Any], extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Every run_log column a caller may set, None where not given; refuses unknown names."""
    known = (*RUN_FIELDS, *extra)
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise TypeError(f"run_log has no field(s) {', '.join(unknown)}")
    values = {name: fields.get(name) for name in known}
    # Phases pass dates through XCom as ISO text.
    for name in ("start_date", "end_date"):
        if isinstance(values[name], str):
            values[name] = date.fromisoformat(values[name])
    return values


def _jsonable(value: Any) -> Any:
    """Dates and other non-JSON values of a conf or count mapping as text."""
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)
