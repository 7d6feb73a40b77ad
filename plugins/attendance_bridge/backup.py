"""X6: before a load, a verified snapshot of the school's attendance in the range. No backup, no load.

The snapshot keeps whole rows as jsonb (``to_jsonb(row)``), so columns this project does not
know about survive; restoring is an operator's job, the run's own inserts are undone through
the lineage (X7). Counts and a checksum are computed from the SIS tables and from the
snapshot in the same REPEATABLE READ transaction and must agree, or the backup fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import pq, sql
from psycopg.rows import dict_row

from attendance_bridge.sql import load_sql


class BackupNotVerified(ValueError):
    """X6 does not hold: the run's backup is missing, unverified or does not match what it covers."""

    def __init__(self, school_number: int | None, run_id: str, detail: str) -> None:
        self.school_number = school_number
        self.run_id = run_id
        self.detail = detail
        where = f"school {school_number}" if school_number is not None else "the school"
        super().__init__(f"X6 failed for {where}, run {run_id}: {detail}; nothing was loaded")


@dataclass(frozen=True)
class BackupManifest:
    """What one run's snapshot covers and holds, and when it was verified."""

    dag_id: str
    run_id: str
    sis_schema: str
    school_number: int
    start_date: date
    end_date: date
    attendance_rows: int
    attendance_time_rows: int
    checksum: str
    taken_at: datetime
    verified_at: datetime | None


def take_backup(
    conn: psycopg.Connection,
    pipeline_schema: str,
    sis_schema: str,
    dag_id: str,
    run_id: str,
    school_number: int,
    start_date: date,
    end_date: date,
) -> BackupManifest:
    """X6: snapshot every attendance row of the school in [start, end] (all modes) and their attendance_time rows."""
    require_own_transaction(conn, "take_backup")
    keys = {"dag_id": dag_id, "run_id": run_id}
    scope = {"school_number": school_number, "start_date": start_date, "end_date": end_date}
    with conn.transaction():
        conn.execute(load_sql("backup/set_repeatable_read"))
        # A retried task starts from nothing rather than adding to its first attempt's rows.
        for name in ("backup", "backup_attendance", "backup_attendance_time"):
            conn.execute(_statement(f"backup/delete_{name}", pipeline_schema, sis_schema), keys)
        for name in ("backup_attendance", "backup_attendance_time"):
            conn.execute(_statement(f"backup/insert_{name}", pipeline_schema, sis_schema), {**keys, **scope})
        source = _one(conn, _statement("backup/select_sis_checksum", pipeline_schema, sis_schema), scope)
        copied = _one(conn, _statement("backup/select_backup_checksum", pipeline_schema, sis_schema), keys)
        if copied != source:
            raise BackupNotVerified(
                school_number, run_id, f"the snapshot holds {_describe(copied)} but the SIS tables {_describe(source)}"
            )
        row = _one(
            conn,
            _statement("backup/insert_backup", pipeline_schema, sis_schema),
            {**keys, **scope, **source, "sis_schema": sis_schema},
        )
    return BackupManifest(**row)


def verified_backup(conn: psycopg.Connection, pipeline_schema: str, dag_id: str, run_id: str) -> BackupManifest:
    """X6: the run's verified manifest, after checking the snapshot still matches it; raises otherwise."""
    keys = {"dag_id": dag_id, "run_id": run_id}
    with conn.transaction():
        row = _one(conn, _statement("backup/select_backup", pipeline_schema), keys)
        if row is None:
            raise BackupNotVerified(None, run_id, "no backup was taken for this run")
        manifest = BackupManifest(**row)
        if manifest.verified_at is None:
            raise BackupNotVerified(manifest.school_number, run_id, "the backup was never verified")
        held = _one(conn, _statement("backup/select_backup_checksum", pipeline_schema), keys)
    expected = {name: getattr(manifest, name) for name in ("attendance_rows", "attendance_time_rows", "checksum")}
    if held != expected:
        raise BackupNotVerified(
            manifest.school_number,
            run_id,
            f"the snapshot now holds {_describe(held)} but its manifest says {_describe(expected)}",
        )
    return manifest


def require_own_transaction(conn: psycopg.Connection, caller: str) -> None:
    """Refuse a connection inside an open transaction: the caller's work must commit on its own (X4)."""
    if conn.info.transaction_status != pq.TransactionStatus.IDLE:
        raise ValueError(
            f"{caller} needs a connection outside any transaction (found {conn.info.transaction_status.name}): "
            "it sets its own isolation level and commits its work on its own"
        )


def _statement(name: str, pipeline_schema: str, sis_schema: str | None = None) -> sql.Composed:
    """A backup statement with its schemas quoted in."""
    schemas = {"pipeline_schema": sql.Identifier(pipeline_schema)}
    if sis_schema is not None:
        schemas["sis_schema"] = sql.Identifier(sis_schema)
    return sql.SQL(load_sql(name)).format(**schemas)


def _one(conn: psycopg.Connection, statement: sql.Composed, parameters: dict[str, Any]) -> dict[str, Any] | None:
    """The single row a statement returns, as a dict."""
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement, parameters)
        return cursor.fetchone()


def _describe(summary: dict[str, Any]) -> str:
    """Counts and checksum as a person reads them."""
    return (
        f"{summary['attendance_rows']} attendance and {summary['attendance_time_rows']} attendance_time rows "
        f"(checksum {summary['checksum']})"
    )
