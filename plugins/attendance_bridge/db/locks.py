"""The locking protocol the load and the rollback share (X5): one school at a time, writers held off.

1. ``lock_school``: in the caller's transaction, the school's advisory lock, so no two loads or
   rollbacks of one school overlap, and each statement after it sees what the lock's previous
   holder committed (READ COMMITTED).
2. ``hold_off_writers``: just before the writes, take turns with the other schools' loads on one
   advisory lock, then lock the SIS tables against other writers (readers go on) until the
   commit, waiting at most ``lock_timeout`` for writers already in progress (a lock timeout is a
   transient error: the task is retried). Teachers wait for the writes and the commit, never for
   the checks before them.
"""

from __future__ import annotations

import zlib

import psycopg

from attendance_bridge.db.sql import load_sql, statement

# First key of the two-key advisory lock of a school's load; the second is the school number,
# so two schools never share a key and nothing else in the database is likely to use this one.
LOAD_LOCK_CLASS = zlib.crc32(b"attendance_bridge.load") & 0x7FFFFFFF
# Second key of the lock every load's inserts take turns on: 0 is the district office, which
# is never loaded (P1), so it is no school's key.
WRITERS_LOCK_KEY = 0
# How long a load waits for writers already in progress on attendance before it gives up (a
# transient error, so the task is retried): new writers queue behind a load that waits.
LOCK_TIMEOUT = "5s"


def lock_school(conn: psycopg.Connection, school_number: int) -> None:
    """Step 1, inside the caller's transaction: READ COMMITTED and the school's advisory lock."""
    conn.execute(load_sql("load/set_read_committed"))
    conn.execute(load_sql("load/lock_school"), {"lock_class": LOAD_LOCK_CLASS, "school_number": school_number})


def hold_off_writers(
    conn: psycopg.Connection, lock_statement: str, pipeline_schema: str, sis_schema: str, lock_timeout: str
) -> None:
    """Step 2: take turns with other loads, then lock the SIS tables of ``lock_statement`` against
    other writers until the commit (``load/lock_attendance`` or ``rollback/lock_attendance_tables``)."""
    conn.execute(load_sql("load/lock_attendance_writers"), {"lock_class": LOAD_LOCK_CLASS})
    conn.execute(load_sql("load/set_lock_timeout"), {"lock_timeout": lock_timeout})
    conn.execute(
        statement(lock_statement, pipeline_schema=pipeline_schema, sis_schema=sis_schema),
        {"sis_schema_name": sis_schema},
    )
    conn.execute(load_sql("load/reset_lock_timeout"))
