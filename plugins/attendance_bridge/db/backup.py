"""X6: before a load, a verified snapshot of the school's attendance in the range. No backup, no load.

The snapshot is two tables of the pipeline schema, ``backup_<n>_attendance`` and
``backup_<n>_attendance_time``, created like the SIS tables (every column with its type, so
columns this project does not know about survive) and named in the run's manifest. The schema
owner's functions ``take_backup`` and ``held_backup`` (migration 0008) make and read them: they
belong to the owner, and the pipeline's login can neither drop nor change them. Restoring
is an operator's job; the run's own inserts are undone through the lineage (X7). Counts and a
checksum over every row's text are computed from the SIS tables and from the snapshot in the
same REPEATABLE READ transaction and must agree, or the backup fails.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import psycopg
from psycopg import pq

from attendance_bridge.db.sql import fetch_one, load_sql, statement
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
        # The owner's function copies, checks and records the snapshot (migration 0008): the login
        # can neither make nor drop nor change a backup itself.
        taken = fetch_one(
            conn,
            statement("backup/take_backup", pipeline_schema=pipeline_schema),
            {**keys, **scope, "sis_schema": sis_schema},
        )
        if taken["copied"] != taken["source"]:
            raise BackupNotVerified(
                school_number,
                run_id,
                f"the snapshot holds {_describe(taken['copied'])} but the SIS tables {_describe(taken['source'])}",
            )
    source = taken["source"]
    return BackupManifest(
        backup_id=taken["backup_id"],
        dag_id=dag_id,
        run_id=run_id,
        sis_schema=sis_schema,
        school_number=school_number,
        start_date=start_date,
        end_date=end_date,
        attendance_table=taken["attendance_table"],
        attendance_time_table=taken["attendance_time_table"],
        attendance_rows=source["attendance_rows"],
        attendance_time_rows=source["attendance_time_rows"],
        checksum=source["checksum"],
        taken_at=taken["taken_at"],
        verified_at=taken["verified_at"],
    )


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
        held = fetch_one(conn, statement("backup/select_held_backup", pipeline_schema=pipeline_schema), keys)["held"]
        if held is None:
            raise BackupNotVerified(
                manifest.school_number,
                run_id,
                f"the snapshot tables {manifest.attendance_table} and {manifest.attendance_time_table} "
                f"are not both in schema {pipeline_schema}",
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


def _describe(summary: dict[str, Any]) -> str:
    """Counts and checksum as a person reads them."""
    return (
        f"{summary['attendance_rows']} attendance and {summary['attendance_time_rows']} attendance_time rows "
        f"(checksum {summary['checksum']})"
    )
