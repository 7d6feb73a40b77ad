"""The run log: one row per run in the pipeline schema's ``run_log``, the auditor's record of every run.

A run opens its row first (so even a refused conf leaves a trace), records a failure's message as it
happens, and closes the row with the report's status, counts and timings.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import psycopg
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from attendance_bridge.db.sql import statement
from attendance_bridge.errors import RunRolledBack

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


def start_run(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str, **fields: Any) -> None:
    """Open the run's row as 'running'; a retried or re-run run id starts over in the same row.

    A run that was rolled back is refused (X7, ``RunRolledBack``): its row keeps what it did and who undid it.
    """
    values = _run_fields(fields, extra=("parameters", "triggered_by"))
    values["parameters"] = Jsonb(_jsonable(values["parameters"] or {}))
    with conn.transaction():
        started = conn.execute(
            statement("pipeline/upsert_run_log_started", schema=schema), {"dag_id": dag_id, "run_id": run_id, **values}
        ).fetchone()
    if started is None:
        raise RunRolledBack(dag_id, run_id)


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
            statement("pipeline/upsert_run_log_finished", schema=schema),
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
            statement("pipeline/upsert_run_log_message", schema=schema),
            {"dag_id": dag_id, "run_id": run_id, "message": message},
        )


def run_message(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str) -> str | None:
    """The message recorded for the run, if any."""
    with conn.transaction():
        row = conn.execute(
            statement("pipeline/select_run_log_message", schema=schema), {"dag_id": dag_id, "run_id": run_id}
        ).fetchone()
    return row[0] if row else None


def committed_load(conn: psycopg.Connection, schema: str, dag_id: str, run_id: str) -> dict[str, Any] | None:
    """What the run's committed loads did (the load log) and what it has in the SIS (its lineage); None if none committed.

    The load writes its load log row in its own transaction, so this is true even when the
    process that ran it died right after the commit.
    """
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement("pipeline/select_committed_load", schema=schema), {"dag_id": dag_id, "run_id": run_id})
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
            statement("pipeline/update_run_log_report_unwritten", schema=schema),
            {"dag_id": dag_id, "run_id": run_id, "message": message},
        )


def runs_for_school(conn: psycopg.Connection, schema: str, school_number: int) -> list[dict[str, Any]]:
    """The school's run log rows as dicts, newest first."""
    with conn.transaction(), conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement("pipeline/select_run_log_for_school", schema=schema), {"school_number": school_number})
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
    """Dates and other non-JSON values of a conf or count mapping as text; a NUL, which PostgreSQL cannot hold, in
    a key or a text as ``\\x00`` (as the refusal's message shows it), so a conf that carries one is still logged."""
    if isinstance(value, Mapping):
        return {_storable(str(key)): _jsonable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value]
    if isinstance(value, str):
        return _storable(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return str(value)


def _storable(text: str) -> str:
    """``text`` with each NUL written ``\\x00``: PostgreSQL's text and jsonb cannot hold a NUL."""
    return text.replace("\x00", "\\x00")
