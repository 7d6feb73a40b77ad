"""Fresh planner statistics for the tables a load just added rows to, right after its commit (issue 29).

What runs next reads the run's rows back: the report joins the lineage to ``attendance``, a retry
counts what an earlier try left, a rollback checks and deletes them. Planned on statistics taken
before the load (a lineage that knows no row of this run, or none at all; an attendance table half
its size), the planner expects a handful of rows where there are hundreds of thousands and may pick
a nested loop that runs for minutes. Autovacuum refreshes the statistics, but up to a minute later,
and after the next statement was planned. So the load analyses each table it grew past autovacuum's
own threshold, at once: nothing that autovacuum would not do anyway, never a whole-table ANALYZE
after a night's few records.

Best effort: the pipeline's login may own none of these tables (``docs/safety.md``: the SIS tables
are the district's, the lineage the owner role's), and then autovacuum keeps doing it. The report's
query does not rely on this (``lookups.inserted_by_date_and_code``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

import psycopg

from attendance_bridge.db.locks import LOCK_TIMEOUT
from attendance_bridge.db.sql import fetch_all, load_sql, statement

log = logging.getLogger(__name__)


def refresh_statistics(
    conn: psycopg.Connection, rows_added: Mapping[tuple[str, str], int], lock_timeout: str = LOCK_TIMEOUT
) -> list[str]:
    """ANALYZE each table of ``rows_added`` ({(schema, table): rows a committed load added}) that this login may
    analyse and whose statistics autovacuum would refresh next; the tables analysed, as ``schema.table``.

    Never raises for the database's sake: the load has committed, and a table that could not be analysed
    (its lock not granted within ``lock_timeout``, the connection lost) is logged and left to autovacuum.
    """
    started = time.perf_counter()
    names = [name for name, rows in rows_added.items() if rows > 0]
    if not names:
        return []
    try:
        # In a transaction of its own, also on a connection that is not in autocommit: none stays open.
        with conn.transaction():
            stale = fetch_all(
                conn,
                statement("load/select_stale_statistics"),
                {
                    "schema_names": [schema for schema, _ in names],
                    "table_names": [table for _, table in names],
                    "rows_added": [int(rows_added[name]) for name in names],
                },
            )
    except psycopg.Error as exc:
        log.warning("load: statistics not refreshed (%s: %s); autovacuum will", type(exc).__name__, exc)
        return []
    analysed = []
    for row in stale:
        name = f"{row['schema_name']}.{row['table_name']}"
        try:
            # Its own transaction: the lock timeout (the load's own, so that another school's load holding
            # attendance or an administrator's VACUUM never keeps a committed load's task waiting) is for this
            # statement alone, and a table whose lock is not granted does not keep the others from being analysed.
            with conn.transaction():
                conn.execute(load_sql("load/set_lock_timeout"), {"lock_timeout": lock_timeout})
                conn.execute(statement("load/analyze_table", schema=row["schema_name"], table=row["table_name"]))
            analysed.append(name)
        except psycopg.Error as exc:
            log.warning("load: %s not analysed (%s: %s); autovacuum will", name, type(exc).__name__, exc)
    seconds = time.perf_counter() - started
    log.info("load: statistics refreshed in %.2f s for %s", seconds, ", ".join(analysed) or "none")
    left = [name for name in sorted(f"{schema}.{table}" for schema, table in names) if name not in analysed]
    if left:
        log.info("load: statistics left to autovacuum (below its threshold, or not this login's): %s", ", ".join(left))
    return analysed
