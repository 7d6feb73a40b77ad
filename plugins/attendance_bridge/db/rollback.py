"""X7: undo one sync run exactly: delete the rows its load inserted and nothing else, in one transaction.

The lineage names every attendance and attendance_time row a run inserted, with the md5 of the
whole row as inserted. A rollback deletes those rows (attendance_time first, then attendance)
only when every one of them is still there exactly as inserted and no other row refers to one
of them; otherwise it refuses with the list and deletes nothing: whether a teacher's later
change should be undone too is the auditor's decision, not the pipeline's.

The delete runs under the school's load lock (no load of the school meanwhile) and holds off
other writers of both tables, like the load, so nothing can change between the check and the
delete; each DELETE also re-checks the hash and the counts must agree, or nothing is deleted.
Lineage rows are marked with the rollback and the row as deleted, never removed, and the sync
run's run log row says who rolled it back and when. A second rollback of the run does nothing.
"""

from __future__ import annotations

import logging
import time

import psycopg
from psycopg import sql

from attendance_bridge.catalog import LOADING_DAG_IDS
from attendance_bridge.db.backup import require_own_transaction
from attendance_bridge.db.locks import LOCK_TIMEOUT, hold_off_writers, lock_school
from attendance_bridge.db.sql import fetch_all, fetch_one, statement
from attendance_bridge.domain.rollback_plan import (
    PROBLEMS_KEPT,
    TABLES,
    Problem,
    RollbackRefused,
    RollbackResult,
    RowCheck,
    SyncRun,
    require_verifiable_rows,
    restored_counts,
    rows_refusal,
    sync_run_from_row,
)

log = logging.getLogger(__name__)


def find_sync_run(conn: psycopg.Connection, pipeline_schema: str, school_number: int, run_id: str | None) -> SyncRun:
    """The sync run to undo (default: the school's latest with rows still in the SIS); refuses a wrong one."""
    if run_id is None:
        latest = _latest_loaded_run(conn, pipeline_schema, school_number)
        if latest is None:
            raise RollbackRefused(
                school_number,
                None,
                "the run log has no sync run of this school whose records are still in the SIS "
                "(none inserted anything, or every one that did is rolled back already)",
            )
        run_id = latest
    rows = fetch_all(
        conn,
        statement("rollback/select_sync_run", pipeline_schema=pipeline_schema),
        {"dag_ids": list(LOADING_DAG_IDS), "run_id": run_id},
    )
    if not rows:
        raise RollbackRefused(
            school_number,
            run_id,
            f"the run log has no run of {' or '.join(LOADING_DAG_IDS)} with this id (the id is the sync run's "
            "Airflow run id, as in its report's run_id)",
        )
    if len(rows) > 1:
        raise RollbackRefused(
            school_number, run_id, f"runs of several DAGs have this id ({', '.join(row['dag_id'] for row in rows)})"
        )
    [row] = rows
    run = sync_run_from_row(row)
    if run.school_number != school_number:
        of = f"of school {run.school_number}" if run.school_number is not None else "of no school (refused at once)"
        raise RollbackRefused(school_number, run_id, f"it is a run {of}, not of school {school_number}")
    if run.rolled_back:
        return run
    if run.dry_run:
        raise RollbackRefused(
            school_number, run_id, "it was a dry run, which writes nothing to the SIS: there is nothing to undo"
        )
    if len(row["sis_schemas"]) > 1:
        raise RollbackRefused(school_number, run_id, f"its lineage names several SIS schemas: {row['sis_schemas']}")
    if run.status == "running":
        raise RollbackRefused(
            school_number,
            run_id,
            "the run log says it is still running; wait until it has finished (if its Airflow run has ended, "
            "its process stopped before it could record how it ended: finish it with the DAG "
            "attendance_bridge_finish_run, which reads what its load committed, then roll it back)",
        )
    if not any(run.rows.values()) and not run.followed:
        if run.status == "failed":
            reason = (
                f"it failed ({run.message or 'see its report'}), so its load did not land: there is nothing to undo"
            )
        else:
            reason = "it inserted nothing (every record it built was already there): there is nothing to undo"
        latest = _latest_loaded_run(conn, pipeline_schema, school_number)
        if latest is not None:
            reason += f"; the school's latest sync run whose records are still in the SIS is {latest}"
        raise RollbackRefused(school_number, run_id, reason)
    return run


def check_rows(conn: psycopg.Connection, pipeline_schema: str, run: SyncRun, limit: int = PROBLEMS_KEPT) -> RowCheck:
    """Every row of the run against the SIS: changed, deleted, id reused, or referred to by a row it did not insert."""

    parameters = {
        "dag_id": run.dag_id,
        "run_id": run.run_id,
        "sis_schema_name": run.sis_schema,
        "limit": limit,
    }
    rows = {}
    compared = compared_columns(conn, pipeline_schema, run)
    for table, alias in (("attendance", "a"), ("attendance_time", "t")):
        columns = compared[table]
        rows[f"{table}_row"] = (
            sql.Identifier(alias)
            if columns is None
            else sql.SQL("ROW({})").format(sql.SQL(", ").join(sql.Identifier(alias, column) for column in columns))
        )
    problems: list[Problem] = []
    total = 0
    for name in (
        "select_changed_attendance", "select_changed_attendance_time", "select_dependent_rows", "select_changed_follows"
    ):  # fmt: skip
        found = fetch_all(
            conn,
            statement(f"rollback/{name}", pipeline_schema=pipeline_schema, sis_schema=run.sis_schema, **rows),
            parameters,
        )
        total += found[0]["problems_total"] if found else 0
        problems += [Problem(**{key: value for key, value in row.items() if key != "problems_total"}) for row in found]
    return RowCheck(rows=dict(run.rows), problems=problems, problems_total=total)


def compared_columns(conn: psycopg.Connection, pipeline_schema: str, run: SyncRun) -> dict[str, list[str] | None]:
    """Per SIS table, the columns the run's rows are compared on: None for the whole row, else those the table had
    when the run loaded (it has gained columns since: ALTER TABLE ... ADD COLUMN). A lost column is refused."""
    found: dict[str, list[str] | None] = {}
    rows = fetch_all(
        conn,
        statement("rollback/select_run_columns", pipeline_schema=pipeline_schema),
        {"dag_id": run.dag_id, "run_id": run.run_id, "sis_schema_name": run.sis_schema},
    )
    for row in rows:
        table, at_load, now = row["table_name"], row["at_load"] or [], row["now"] or []
        if not at_load:
            found[table] = None  # loaded before migration 0006: the whole row, as hashed then
            continue
        if len(at_load) > 1:
            raise RollbackRefused(
                run.school_number, run.run_id, f"its loads saw the table {table} with different columns"
            )
        recorded = list(at_load[0])
        lost = [column for column in recorded if column not in now]
        if lost:
            raise RollbackRefused(
                run.school_number,
                run.run_id,
                f"the table {run.sis_schema}.{table} has lost the column(s) {', '.join(lost)} since the run loaded, and "
                "each row's fingerprint (md5) covers them, so the run's rows can no longer be told from rows changed "
                "since. Restore the column(s) to roll the run back, or have a database administrator delete its rows "
                "by hand from its lineage (docs/safety.md, 'When the SIS tables changed')",
            )
        if recorded == now:
            found[table] = None
            continue
        added = [column for column in now if column not in recorded]
        log.info(
            "the table %s.%s has column(s) %s it did not have when run %s loaded; its rows are compared on the "
            "columns it had then", run.sis_schema, table, ", ".join(added), run.run_id,
        )  # fmt: skip
        found[table] = recorded
    return found


def roll_back_run(
    conn: psycopg.Connection,
    pipeline_schema: str,
    school_number: int,
    run_id: str | None,
    rollback_run_id: str,
    rolled_back_by: str | None,
    lock_timeout: str | None = None,
    allow_rows_from_older_versions: bool = False,
) -> RollbackResult:
    """X7: delete exactly the run's rows in one transaction, or nothing; a rolled-back run is left as it is.

    The rows are checked here, for a refusal that lists them, then deleted by the pipeline schema's
    function ``roll_back_run_rows``, which checks them again and is the only way the pipeline's
    login can delete from the SIS tables (migration 0007, docs/safety.md).
    """

    started = time.perf_counter()
    require_own_transaction(conn, "roll_back_run")
    with conn.transaction():
        # The school's load lock: no load of the school (which could build on the run's rows)
        # runs meanwhile, and each statement sees what the lock's previous holder committed.
        lock_school(conn, school_number)
        run = find_sync_run(conn, pipeline_schema, school_number, run_id)
        if run.rolled_back:
            return _already(run, rollback_run_id, started)
        require_verifiable_rows(run, allow_rows_from_older_versions)
        # Take turns with loads for the table locks, as a load does, then hold off other writers.
        hold_off_writers(
            conn, "rollback/lock_attendance_tables", pipeline_schema, run.sis_schema, lock_timeout or LOCK_TIMEOUT
        )
        check = check_rows(conn, pipeline_schema, run)
        if check.problems:
            raise rows_refusal(run, check)
        # The function deletes the rows and marks the run rolled back in run_log (migration 0008).
        counts = fetch_one(
            conn,
            statement("rollback/delete_run_rows", pipeline_schema=pipeline_schema),
            {
                "dag_id": run.dag_id,
                "run_id": run.run_id,
                "rollback_run_id": rollback_run_id,
                "allow_rows_from_older_versions": allow_rows_from_older_versions,
                "rolled_back_by": rolled_back_by,
            },
        )
        deleted = {"attendance": counts["deleted_attendance"], "attendance_time": counts["deleted_attendance_time"]}
        if deleted != run.rows:
            # The function checks the counts against the lineage itself; this only catches a run whose
            # lineage grew between find_sync_run and the delete, which the school's lock rules out.
            raise RuntimeError(f"the rollback of run {run.run_id} deleted {deleted} but planned {run.rows}")
        # F6: the recodes undone and the copies restored, as the function recorded them in the run log.
        recorded = fetch_one(
            conn,
            statement("rollback/select_rollback_counts", pipeline_schema=pipeline_schema),
            {"dag_id": run.dag_id, "run_id": run.run_id},
        )
    return RollbackResult(
        outcome="rolled_back",
        sync_run_id=run.run_id,
        school_number=school_number,
        sis_schema=run.sis_schema,
        deleted=deleted,
        rolled_back_at=counts["rolled_back_at"],
        rolled_back_by=rolled_back_by,
        rollback_run_id=rollback_run_id,
        seconds=round(time.perf_counter() - started, 3),
        restored=restored_counts(recorded["rollback_counts"] if recorded else None),
    )


def _already(run: SyncRun, rollback_run_id: str, started: float) -> RollbackResult:
    """A run rolled back before: nothing to do. When this very rollback did it (a task retried after
    its commit went through), it says so, with what it deleted."""
    by_this_run = run.rollback_run_id == rollback_run_id
    return RollbackResult(
        outcome="rolled_back" if by_this_run else "already_rolled_back",
        sync_run_id=run.run_id,
        school_number=run.school_number,
        sis_schema=run.sis_schema,
        deleted={table: (run.rollback_counts or {}).get(table, 0) if by_this_run else 0 for table in TABLES},
        rolled_back_at=run.rolled_back_at,
        rolled_back_by=run.rolled_back_by,
        rollback_run_id=run.rollback_run_id,
        seconds=round(time.perf_counter() - started, 3),
        restored=restored_counts(run.rollback_counts) if by_this_run else {},
    )


def _latest_loaded_run(conn: psycopg.Connection, pipeline_schema: str, school_number: int) -> str | None:
    row = fetch_one(
        conn,
        statement("rollback/select_latest_loaded_run", pipeline_schema=pipeline_schema),
        {"dag_ids": list(LOADING_DAG_IDS), "school_number": school_number},
    )
    return row["run_id"] if row else None
