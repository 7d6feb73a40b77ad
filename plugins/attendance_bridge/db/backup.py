"""X6: before a load, a verified snapshot of the school's attendance in the range. No backup, no load.

The snapshot is two tables of the pipeline schema, ``backup_<n>_attendance`` and
``backup_<n>_attendance_time``, created like the SIS tables (every column with its type, so
columns this project does not know about survive) and named in the run's manifest. Restoring
is an operator's job; the run's own inserts are undone through the lineage (X7). Counts and a
checksum over every row's text are computed from the SIS tables and from the snapshot in the
same REPEATABLE READ transaction and must agree, or the backup fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import pq, sql

from attendance_bridge.db.sql import fetch_all, fetch_one, load_sql, statement
from attendance_bridge.errors import BackupNotVerified


@dataclass(frozen=True)
class BackupManifest:
    """What one run's snapshot covers and holds, and when it was verified."""

    backup_id: int
    dag_id: str
    run_id: str
    sis_schema: str
    school_number: int
    start_date: date
    end_date: date
    attendance_table: str | None
    attendance_time_table: str | None
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
        _drop_earlier_snapshot(conn, pipeline_schema, keys)
        schema_name = {"pipeline_schema_name": pipeline_schema}
        backup_id = fetch_one(
            conn, statement("backup/select_next_backup_id", pipeline_schema=pipeline_schema), schema_name
        )
        tables = snapshot_tables(backup_id["backup_id"])
        for table in ("attendance", "attendance_time"):
            conn.execute(
                statement(
                    f"backup/create_snapshot_{table}", pipeline_schema=pipeline_schema, sis_schema=sis_schema, **tables
                )
            )
            conn.execute(
                statement(
                    f"backup/insert_snapshot_{table}", pipeline_schema=pipeline_schema, sis_schema=sis_schema, **tables
                ),
                scope,
            )
            _comment(
                conn, pipeline_schema, tables[f"{table}_table"],
                f"X6: snapshot of the {table} rows of school {school_number} from {start_date} to {end_date}, "
                f"taken before run {run_id} loaded; its manifest is the backup row naming this table.",
            )  # fmt: skip
        source = fetch_one(
            conn, statement("backup/select_sis_checksum", pipeline_schema=pipeline_schema, sis_schema=sis_schema), scope
        )
        copied = fetch_one(
            conn, statement("backup/select_snapshot_checksum", pipeline_schema=pipeline_schema, **tables), {}
        )
        if copied != source:
            raise BackupNotVerified(
                school_number, run_id, f"the snapshot holds {_describe(copied)} but the SIS tables {_describe(source)}"
            )
        row = fetch_one(
            conn,
            statement("backup/insert_backup", pipeline_schema=pipeline_schema),
            {**keys, **scope, **source, **backup_id, **tables, "sis_schema": sis_schema},
        )
    return BackupManifest(**row)


def verified_backup(conn: psycopg.Connection, pipeline_schema: str, dag_id: str, run_id: str) -> BackupManifest:
    """X6: the run's verified manifest, after checking the snapshot still matches it; raises otherwise."""
    keys = {"dag_id": dag_id, "run_id": run_id}
    with conn.transaction():
        row = fetch_one(conn, statement("backup/select_backup", pipeline_schema=pipeline_schema), keys)
        if row is None:
            raise BackupNotVerified(None, run_id, "no backup was taken for this run")
        manifest = BackupManifest(**row)
        if manifest.verified_at is None:
            raise BackupNotVerified(manifest.school_number, run_id, "the backup was never verified")
        if manifest.attendance_table is None or manifest.attendance_time_table is None:
            raise BackupNotVerified(
                manifest.school_number,
                run_id,
                "the backup was taken by an earlier version of attendance-bridge (before migration 0005); "
                "clear the run's back_up_school_records task to take it again",
            )
        tables = {
            "attendance_table": manifest.attendance_table,
            "attendance_time_table": manifest.attendance_time_table,
        }
        present = fetch_one(
            conn,
            statement("backup/select_snapshot_tables_exist", pipeline_schema=pipeline_schema),
            {"pipeline_schema_name": pipeline_schema, **tables},
        )
        if not present["present"]:
            raise BackupNotVerified(
                manifest.school_number,
                run_id,
                f"the snapshot tables {manifest.attendance_table} and {manifest.attendance_time_table} "
                f"are not both in schema {pipeline_schema}",
            )
        held = fetch_one(
            conn, statement("backup/select_snapshot_checksum", pipeline_schema=pipeline_schema, **tables), {}
        )
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


def snapshot_tables(backup_id: int) -> dict[str, str]:
    """The names of snapshot ``backup_id``'s tables in the pipeline schema."""
    return {
        "attendance_table": f"backup_{backup_id}_attendance",
        "attendance_time_table": f"backup_{backup_id}_attendance_time",
    }


def _drop_earlier_snapshot(conn: psycopg.Connection, pipeline_schema: str, keys: dict[str, str]) -> None:
    """A retried task starts from nothing rather than adding to its first attempt's snapshot."""
    for tables in fetch_all(conn, statement("backup/select_backup_tables", pipeline_schema=pipeline_schema), keys):
        conn.execute(statement("backup/drop_snapshot_tables", pipeline_schema=pipeline_schema, **tables))
    conn.execute(statement("backup/delete_backup", pipeline_schema=pipeline_schema), keys)
    # A first attempt made before migration 0005 kept its rows in the shared jsonb tables.
    for name in ("backup_attendance", "backup_attendance_time"):
        conn.execute(statement(f"backup/delete_{name}", pipeline_schema=pipeline_schema), keys)


def _comment(conn: psycopg.Connection, pipeline_schema: str, table_name: str, text: str) -> None:
    """What a snapshot table holds, for whoever finds it in the schema (COMMENT takes no bound parameter)."""
    statement = sql.SQL(load_sql("backup/comment_snapshot_table")).format(
        pipeline_schema=sql.Identifier(pipeline_schema),
        table_name=sql.Identifier(table_name),
        comment=sql.Literal(text),
    )
    conn.execute(statement)


def _describe(summary: dict[str, Any]) -> str:
    """Counts and checksum as a person reads them."""
    return (
        f"{summary['attendance_rows']} attendance and {summary['attendance_time_rows']} attendance_time rows "
        f"(checksum {summary['checksum']})"
    )
