"""The benchmark's reference: the sync's database work as plain SQL run inside PostgreSQL.

Issue 7 compares the pipeline with a reference that backs up one school's range (X6) and
inserts, with ``INSERT ... SELECT`` and anti-joins, exactly the records the rules engine builds
(SPEC 5, M1-M4 and D1-D6). The statements are in ``include/sql/dev/bench/reference/``; this module
runs them, each function in one transaction: the backup, and the build (the records into a
temporary table), analyse and anti-join insert. It checks no precondition (P1-P6): the benchmark
runs it on a district the pipeline has validated. ``tests/dev/test_sql_reference.py``
proves it lands the engine's records, row for row.
"""

from __future__ import annotations

from datetime import date

import psycopg
from attendance_bridge.config import (
    ABSENT,
    ABSENT_PERIODS_OPTIONS,
    DAILY_TO_MEETING,
    EVERY_PERIOD_OPTIONS,
    MEETING_TO_DAILY,
    MODE_DAILY,
    MODE_MEETING,
    UNTAKEN_PERIODS,
)
from attendance_bridge.db.sql import load_sql
from psycopg import sql

BACKUP_STATEMENTS = (
    "create_backup_schema",
    "drop_backup_tables",
    "create_backup_attendance",
    "create_backup_attendance_time",
    "insert_backup_attendance",
    "insert_backup_attendance_time",
)

# The records the rules build are staged in a temporary table, analysed, then anti-joined to
# attendance: the same shape as the pipeline's load, which stages the engine's records.
RECORDS_STATEMENTS = ("drop_reference_records", "create_reference_records")


def _statement(name: str, **identifiers: str) -> sql.Composed:
    """``include/sql/dev/bench/reference/<name>.sql`` with its schema placeholders quoted."""
    return sql.SQL(load_sql(f"dev/bench/reference/{name}")).format(
        **{placeholder: sql.Identifier(value) for placeholder, value in identifiers.items()}
    )


def back_up_school(
    conn: psycopg.Connection, schema: str, scratch_schema: str, school: int, start: date, end: date
) -> int:
    """X6: copy the school's attendance rows of the range (all modes) and their attendance_time rows
    into ``scratch_schema``.attendance and .attendance_time (replacing an earlier copy); returns the
    number of attendance rows copied.
    """
    parameters = {"school_number": school, "start_date": start, "end_date": end}
    copied = 0
    with conn.transaction(), conn.cursor() as cursor:
        for name in BACKUP_STATEMENTS:
            cursor.execute(_statement(name, schema=schema, scratch=scratch_schema), parameters)
            if name == "insert_backup_attendance":
                copied = cursor.rowcount
    return copied


def insert_missing_records(
    conn: psycopg.Connection,
    schema: str,
    school: int,
    yearid: int,
    direction: str,
    absent_periods: str,
    start: date,
    end: date,
) -> tuple[int, int]:
    """Insert the records the rules engine builds for the run; returns (attendance rows,
    attendance_time rows) inserted. A second call with the same arguments inserts nothing (X2).
    """
    if direction not in (MEETING_TO_DAILY, DAILY_TO_MEETING):
        raise ValueError(f"direction must be {MEETING_TO_DAILY} or {DAILY_TO_MEETING}, got {direction!r}")
    if absent_periods not in ABSENT_PERIODS_OPTIONS:
        raise ValueError(f"absent_periods must be one of {ABSENT_PERIODS_OPTIONS}, got {absent_periods!r}")
    parameters = {
        "school_number": school,
        "yearid": yearid,
        "start_date": start,
        "end_date": end,
        "mode_daily": MODE_DAILY,
        "mode_meeting": MODE_MEETING,
        "absent": ABSENT,
        "absent_every_period": absent_periods in EVERY_PERIOD_OPTIONS,
        "untaken_only": absent_periods == UNTAKEN_PERIODS,
    }
    records = "daily_records" if direction == MEETING_TO_DAILY else "meeting_records"
    with conn.transaction(), conn.cursor() as cursor:
        for name in (*RECORDS_STATEMENTS, f"insert_reference_{records}", "analyze_reference_records"):
            cursor.execute(_statement(name, schema=schema), parameters)
        counts = cursor.execute(_statement(f"insert_missing_{records}", schema=schema), parameters).fetchone()
    if counts is None:
        raise RuntimeError(f"insert_missing_{records} returned no counts")
    # Meeting records have no attendance_time row; their statement returns one count.
    return int(counts[0]), int(counts[1]) if direction == MEETING_TO_DAILY else 0
