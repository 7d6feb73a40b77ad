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

Imported when the rollback DAG file is parsed, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from attendance_bridge import end_of_term, sync
from attendance_bridge.report import plausible_school
from attendance_bridge.settings import DISTRICT_OFFICE_SCHOOL_NUMBER, LARGEST_SCHOOL_NUMBER

if TYPE_CHECKING:
    import psycopg
    from psycopg import sql

log = logging.getLogger("attendance_bridge.rollback")

DAG_ID = "attendance_bridge_rollback"
SYNC_DAG_ID = sync.DAG_ID
# The DAGs whose runs load records: a manual sync, and each school's sync in an end-of-term run
# (run id: the end-of-term run's, then "__school_<n>"). Their run ids do not collide.
LOADING_DAG_IDS = [SYNC_DAG_ID, end_of_term.DAG_ID]
PARAMETER_NAMES = ("school_number", "run_id", "dry_run", "allow_rows_from_older_versions")
ROLLBACK_TASKS = ("plan_rollback", "roll_back", "write_report")
TABLES = ("attendance", "attendance_time")
# Problems kept per check in the plan file, and named in a refusal's message.
PROBLEMS_KEPT = 1000
PROBLEMS_IN_MESSAGE = 20
PLAN_FILE = "plan.json"
REPORT_FILE = "report.json"


class RollbackRefused(sync.Refusal):
    """X7 refuses to undo a run: a wrong run, or rows of the run that are no longer as it inserted them."""

    def __init__(
        self,
        school_number: int,
        run_id: str | None,
        reason: str,
        problems: list[Problem] | None = None,
        problems_total: int = 0,
    ) -> None:
        self.school_number = school_number
        self.run_id = run_id
        self.reason = reason
        self.problems = list(problems or [])
        self.problems_total = problems_total
        what = f"run {run_id} of school {school_number}" if run_id else f"school {school_number}"
        message = f"X7: {what} was not rolled back: {reason}; nothing was deleted"
        if self.problems:
            lines = _grouped(self.problems)[:PROBLEMS_IN_MESSAGE]
            more = problems_total - sum(count for _, count in lines)
            message += ". " + "; ".join(line for line, _ in lines)
            message += f"; and {more} more (see the rollback's {PLAN_FILE})" if more > 0 else ""
        super().__init__(message)


def _grouped(problems: list[Problem]) -> list[tuple[str, int]]:
    """One line per row and kind of problem (several records built from one row make one line), with its count."""
    groups: dict[tuple[Any, ...], list[Problem]] = {}
    for problem in problems:
        key = (problem.table_name, problem.row_id, problem.problem, (problem.now or {}).get("other_run_id"))
        groups.setdefault(key, []).append(problem)
    lines = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1 or first.other_id is None:
            lines.append((first.describe(), len(group)))
            continue
        others = ", ".join(str(problem.other_id) for problem in group)
        kind = "attendance_time rows" if first.problem == "has_other_time" else "attendance records"
        verb = "belong to it" if first.problem == "has_other_time" else "were built from it"
        text = (
            first.describe().split(": ", 1)[0]
            + f": {kind} {others} {verb}"
            + _by_run((first.now or {}).get("other_run_id"))
        )
        lines.append((text, len(group)))
    return lines


@dataclass(frozen=True)
class RollbackRequest:
    """A rollback run's conf, checked: the school, the sync run (None: the latest loaded), plan only or not."""

    school_number: int
    run_id: str | None
    dry_run: bool
    # Rows an older version loaded (lineage without md5, before migration 0004, or without its
    # transaction, before 0007) are undone only with this: their lineage was kept true by the code
    # alone, and those without md5 are compared on what it knows (school and source record).
    allow_rows_from_older_versions: bool = False


@dataclass(frozen=True)
class SyncRun:
    """The sync run to undo: its run log row and the rows its lineage says are still in the SIS."""

    run_id: str
    school_number: int
    status: str
    dag_id: str
    dry_run: bool | None
    sis_schema: str | None
    rows: dict[str, int]
    rows_without_hash: int
    rows_without_transaction: int
    started_at: datetime | None
    loaded_at: datetime | None
    message: str | None
    rolled_back_at: datetime | None
    rolled_back_by: str | None
    rollback_run_id: str | None
    rollback_counts: dict[str, int] | None

    @property
    def rolled_back(self) -> bool:
        return self.status == "rolled_back"


@dataclass(frozen=True)
class Problem:
    """One row of the run that the rollback will not delete blindly, and why."""

    table_name: str
    row_id: int
    studentid: int | None
    att_date: date | None
    problem: str
    rows_now: int | None = None
    now: dict[str, Any] | None = None
    other_id: int | None = None

    def describe(self) -> str:
        """One line an auditor reads: table, id, student, day, what happened."""
        who = ", ".join(
            part
            for part in (
                f"student {self.studentid}" if self.studentid is not None else None,
                f"{self.att_date}" if self.att_date is not None else None,
            )
            if part
        )
        return f"{self.table_name} {self.row_id}" + (f" ({who})" if who else "") + f": {self._what()}"

    def _what(self) -> str:
        now = self.now or {}
        if self.problem == "deleted":
            return "deleted since the run"
        if self.problem == "id_reused":
            return f"its id is now held by {self.rows_now} rows, so it cannot be told apart"
        if self.problem == "changed":
            return "changed since the run" + self._changes(now)
        if self.problem == "has_other_time":
            return f"attendance_time row {self.other_id}, which this run did not insert, belongs to it" + _by_run(
                now.get("other_run_id")
            )
        if self.problem == "is_source_of":
            return f"attendance record {self.other_id} was built from it" + _by_run(now.get("other_run_id"))
        return self.problem

    def _changes(self, now: Mapping[str, Any]) -> str:
        """What differs from what the lineage knows, and what the row says now."""
        if self.table_name == "attendance_time":
            if self.other_id is not None and now.get("attendanceid") not in (None, self.other_id):
                return f" (it now belongs to record {now['attendanceid']} instead of {self.other_id})"
            fields = ("time_in", "time_out", "total_minutes")
        else:
            moved = []
            if self.studentid is not None and now.get("studentid") not in (None, self.studentid):
                moved.append(f"student now {now['studentid']}")
            if self.att_date is not None and now.get("att_date") not in (None, self.att_date.isoformat()):
                moved.append(f"day now {now['att_date']}")
            if moved:
                return f" ({', '.join(moved)})"
            fields = ("att_mode_code", "attendance_codeid")
        shown = ", ".join(f"{name} {now.get(name)}" for name in fields if name in now)
        return f" (it now reads {shown})" if shown else ""

    def as_dict(self) -> dict[str, Any]:
        document = asdict(self)
        document["att_date"] = self.att_date.isoformat() if self.att_date else None
        document["description"] = self.describe()
        return document


@dataclass(frozen=True)
class RowCheck:
    """The outcome of checking a run's rows against the SIS: how many, and the problems found."""

    rows: dict[str, int]
    problems: list[Problem] = field(default_factory=list)
    problems_total: int = 0


@dataclass(frozen=True)
class RollbackResult:
    """What one rollback did."""

    outcome: str  # "rolled_back" or "already_rolled_back"
    sync_run_id: str
    school_number: int
    sis_schema: str | None
    deleted: dict[str, int]
    rolled_back_at: datetime | None
    rolled_back_by: str | None
    rollback_run_id: str | None
    seconds: float


def _by_run(run_id: str | None) -> str:
    return (
        f" (inserted by sync run {run_id}: roll that run back first)" if run_id else " (not inserted by the pipeline)"
    )


# --------------------------------------------------------------------------- the conf


def parse_request(conf: Mapping[str, Any]) -> RollbackRequest:
    """The rollback's conf, strictly: a typo in ``run_id`` must never fall back to the latest run."""
    from attendance_bridge.parameters import InvalidParameter, refuse_unknown

    refuse_unknown(conf, PARAMETER_NAMES, "the rollback")
    school = conf.get("school_number")
    if school is None:
        raise InvalidParameter("school_number", "is required (the school whose run is undone, e.g. 100)")
    if isinstance(school, bool) or not isinstance(school, int):
        raise InvalidParameter("school_number", f"must be a whole number, not {school!r}")
    if school == DISTRICT_OFFICE_SCHOOL_NUMBER or not 0 < school <= LARGEST_SCHOOL_NUMBER:
        raise InvalidParameter("school_number", f"{school} is not a school's number (a positive whole number)")
    run_id = conf.get("run_id")
    if run_id is not None and not isinstance(run_id, str):
        raise InvalidParameter("run_id", f"must be a sync run's id (text), not {run_id!r}")
    dry_run = conf.get("dry_run", False)
    if not isinstance(dry_run, bool):
        raise InvalidParameter("dry_run", f"must be true or false, not {dry_run!r}")
    allow = conf.get("allow_rows_from_older_versions", False)
    if not isinstance(allow, bool):
        raise InvalidParameter("allow_rows_from_older_versions", f"must be true or false, not {allow!r}")
    if run_id is not None:
        run_id = run_id.strip() or None  # an empty form field means "not given"
    return RollbackRequest(school, run_id, dry_run, allow)


# --------------------------------------------------------------------------- the database


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
    rows = _all(
        conn, _statement("rollback/select_sync_run", pipeline_schema), {"dag_ids": LOADING_DAG_IDS, "run_id": run_id}
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
    run = _sync_run(row)
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
    if not any(run.rows.values()):
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
    from psycopg import sql

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
    for name in ("select_changed_attendance", "select_changed_attendance_time", "select_dependent_rows"):
        found = _all(conn, _statement(f"rollback/{name}", pipeline_schema, run.sis_schema, **rows), parameters)
        total += found[0]["problems_total"] if found else 0
        problems += [Problem(**{key: value for key, value in row.items() if key != "problems_total"}) for row in found]
    return RowCheck(rows=dict(run.rows), problems=problems, problems_total=total)


def compared_columns(conn: psycopg.Connection, pipeline_schema: str, run: SyncRun) -> dict[str, list[str] | None]:
    """Per SIS table, the columns the run's rows are compared on: None for the whole row, else those the table had
    when the run loaded (it has gained columns since: ALTER TABLE ... ADD COLUMN). A lost column is refused."""
    found: dict[str, list[str] | None] = {}
    rows = _all(
        conn,
        _statement("rollback/select_run_columns", pipeline_schema),
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
    from psycopg.types.json import Jsonb

    from attendance_bridge.backup import require_own_transaction
    from attendance_bridge.load import LOAD_LOCK_CLASS, LOCK_TIMEOUT
    from attendance_bridge.sql import load_sql

    started = time.perf_counter()
    require_own_transaction(conn, "roll_back_run")
    with conn.transaction():
        # The school's load lock: no load of the school (which could build on the run's rows)
        # runs meanwhile, and each statement sees what the lock's previous holder committed.
        conn.execute(load_sql("load/set_read_committed"))
        conn.execute(load_sql("load/lock_school"), {"lock_class": LOAD_LOCK_CLASS, "school_number": school_number})
        run = find_sync_run(conn, pipeline_schema, school_number, run_id)
        if run.rolled_back:
            return _already(run, rollback_run_id, started)
        require_verifiable_rows(run, allow_rows_from_older_versions)
        # Take turns with loads for the table locks, as a load does, then hold off other writers.
        conn.execute(load_sql("load/lock_attendance_writers"), {"lock_class": LOAD_LOCK_CLASS})
        conn.execute(load_sql("load/set_lock_timeout"), {"lock_timeout": lock_timeout or LOCK_TIMEOUT})
        conn.execute(
            _statement("rollback/lock_attendance_tables", pipeline_schema, run.sis_schema),
            {"sis_schema_name": run.sis_schema},
        )
        conn.execute(load_sql("load/reset_lock_timeout"))
        check = check_rows(conn, pipeline_schema, run)
        if check.problems:
            raise _refusal(run, check)
        counts = _one(
            conn,
            _statement("rollback/delete_run_rows", pipeline_schema),
            {
                "dag_id": run.dag_id,
                "run_id": run.run_id,
                "rollback_run_id": rollback_run_id,
                "allow_rows_from_older_versions": allow_rows_from_older_versions,
            },
        )
        deleted = {"attendance": counts["deleted_attendance"], "attendance_time": counts["deleted_attendance_time"]}
        if deleted != run.rows:
            # The function checks the counts against the lineage itself; this only catches a run whose
            # lineage grew between find_sync_run and the delete, which the school's lock rules out.
            raise RuntimeError(f"the rollback of run {run.run_id} deleted {deleted} but planned {run.rows}")
        marked = _one(
            conn,
            _statement("rollback/update_run_log_rolled_back", pipeline_schema),
            {
                "dag_id": run.dag_id,
                "run_id": run.run_id,
                "rolled_back_by": rolled_back_by,
                "rollback_run_id": rollback_run_id,
                "rollback_counts": Jsonb(deleted),
            },
        )
    return RollbackResult(
        outcome="rolled_back",
        sync_run_id=run.run_id,
        school_number=school_number,
        sis_schema=run.sis_schema,
        deleted=deleted,
        rolled_back_at=marked["rolled_back_at"],
        rolled_back_by=rolled_back_by,
        rollback_run_id=rollback_run_id,
        seconds=round(time.perf_counter() - started, 3),
    )


def require_verifiable_rows(run: SyncRun, allowed: bool) -> None:
    """Rows an older version loaded are undone only when the conf allows it (their lineage was kept by the code alone)."""
    if not (run.rows_without_hash or run.rows_without_transaction) or allowed:
        return
    reasons = []
    if run.rows_without_hash:
        reasons.append(
            f"{run.rows_without_hash} were loaded before attendance-bridge kept a fingerprint (md5) of each row "
            "(migration 0004), so a change to them since the run (a corrected code, say) cannot be seen"
        )
    if run.rows_without_transaction:
        reasons.append(
            f"{run.rows_without_transaction} were loaded before the database itself checked the lineage "
            "(migration 0007), so it cannot vouch that the run's load inserted them"
        )
    raise RollbackRefused(
        run.school_number,
        run.run_id,
        "of its rows, " + "; and ".join(reasons) + ". Check them, then run the rollback again with "
        "allow_rows_from_older_versions set to true: those rows are then compared on what their lineage knows",
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
        deleted=dict(run.rollback_counts or {}) if by_this_run else {table: 0 for table in TABLES},
        rolled_back_at=run.rolled_back_at,
        rolled_back_by=run.rolled_back_by,
        rollback_run_id=run.rollback_run_id,
        seconds=round(time.perf_counter() - started, 3),
    )


def _refusal(run: SyncRun, check: RowCheck) -> RollbackRefused:
    rows = sum(check.rows.values())
    return RollbackRefused(
        run.school_number,
        run.run_id,
        f"{check.problems_total} problem(s) among its {rows} rows: rows changed or deleted since the run, or "
        "referred to by rows it did not insert; the auditor decides what to do with them",
        check.problems,
        check.problems_total,
    )


def _latest_loaded_run(conn: psycopg.Connection, pipeline_schema: str, school_number: int) -> str | None:
    row = _one(
        conn,
        _statement("rollback/select_latest_loaded_run", pipeline_schema),
        {"dag_ids": LOADING_DAG_IDS, "school_number": school_number},
    )
    return row["run_id"] if row else None


def _sync_run(row: Mapping[str, Any]) -> SyncRun:
    schemas = row["sis_schemas"]
    return SyncRun(
        run_id=row["run_id"],
        dag_id=row["dag_id"],
        school_number=row["school_number"],
        status=row["status"],
        dry_run=row["dry_run"],
        sis_schema=schemas[0] if schemas else None,
        rows={"attendance": row["attendance_rows"], "attendance_time": row["attendance_time_rows"]},
        rows_without_hash=row["rows_without_hash"],
        rows_without_transaction=row["rows_without_transaction"],
        started_at=row["started_at"],
        loaded_at=row["loaded_at"],
        message=row["message"],
        rolled_back_at=row["rolled_back_at"],
        rolled_back_by=row["rolled_back_by"],
        rollback_run_id=row["rollback_run_id"],
        rollback_counts=row["rollback_counts"],
    )


def _statement(name: str, pipeline_schema: str, sis_schema: str | None = None, **parts: sql.Composable) -> sql.Composed:
    """A rollback statement with its schemas quoted in (and any other composed part, such as a row expression)."""
    from psycopg import sql

    from attendance_bridge.sql import load_sql

    schemas: dict[str, sql.Composable] = {"pipeline_schema": sql.Identifier(pipeline_schema), **parts}
    if sis_schema is not None:
        schemas["sis_schema"] = sql.Identifier(sis_schema)
    return sql.SQL(load_sql(name)).format(**schemas)


def _one(conn: psycopg.Connection, statement: sql.Composed, parameters: Mapping[str, Any]) -> dict[str, Any] | None:
    rows = _all(conn, statement, parameters)
    return rows[0] if rows else None


def _all(conn: psycopg.Connection, statement: sql.Composed, parameters: Mapping[str, Any]) -> list[dict[str, Any]]:
    from psycopg.rows import dict_row

    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(statement, dict(parameters))
        return cursor.fetchall() if cursor.description else []


# --------------------------------------------------------------------------- the DAG's tasks


def plan_rollback(run: sync.Run, conf: Mapping[str, Any]) -> dict[str, Any]:
    """Task 1: the sync run to undo and its rows checked against the SIS; refuses with the list of problems."""
    from attendance_bridge.staging import report_folder, write_json

    school = plausible_school(conf.get("school_number"))
    with sync.phase("plan_rollback", run, school) as timing, sync.connect_sis() as conn:
        own_schema = sync.pipeline_schema()
        sync.open_run_log(conn, own_schema, run, school, conf)
        request = parse_request(conf)
        with conn.transaction():
            target = find_sync_run(conn, own_schema, request.school_number, request.run_id)
            if not target.rolled_back:
                require_verifiable_rows(target, request.allow_rows_from_older_versions)
            check = None if target.rolled_back else check_rows(conn, own_schema, target)
        plan_path = write_json(_plan_document(target, check), report_folder(school, run.run_id) / PLAN_FILE)
        if check is not None and check.problems:
            raise _refusal(target, check)
    plan = {
        "school_number": request.school_number,
        "sync_run_id": target.run_id,
        "sync_run_id_given": request.run_id is not None,
        "dry_run": request.dry_run,
        "allow_rows_from_older_versions": request.allow_rows_from_older_versions,
        "already_rolled_back": target.rolled_back,
        "sis_schema": target.sis_schema,
        "pipeline_schema": own_schema,
        "rows": dict(target.rows),
        "plan_path": plan_path,
        "seconds": timing["seconds"],
    }
    log.info("plan_rollback: %s", plan)
    return plan


def roll_back(run: sync.Run, plan: Mapping[str, Any]) -> dict[str, Any]:
    """Task 2: delete the planned run's rows in one transaction (skipped when only a plan was asked for)."""
    if plan["dry_run"]:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException("plan only (dry_run): nothing is deleted")
    from attendance_bridge.staging import report_folder, write_json

    school = plan["school_number"]
    with sync.phase("roll_back", run, school) as timing, sync.connect_sis() as conn:
        try:
            result = roll_back_run(
                conn, plan["pipeline_schema"], school, plan["sync_run_id"], run.run_id, run.triggered_by,
                allow_rows_from_older_versions=plan.get("allow_rows_from_older_versions", False),
            )  # fmt: skip
        except RollbackRefused as refused:
            if refused.problems:  # something changed since the plan: the list the refusal is about
                document = {"sync_run_id": plan["sync_run_id"], "checked_by": "roll_back", **_problems(refused)}
                write_json(document, report_folder(school, run.run_id) / PLAN_FILE)
            raise
    done = {**_plain(asdict(result)), "seconds": timing["seconds"]}
    log.info("roll_back: %s", done)
    return done


def write_report(
    run: sync.Run, conf: Mapping[str, Any], upstream: Mapping[str, Any], failures: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Task 3: the rollback's report and its run log row, whatever happened; fails when the rollback did.

    ``failures`` are the messages failed tasks left in XCom. The report is written even when the
    SIS database cannot be reached: it then says the run log row could not be written, and why.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from attendance_bridge import report_html, store
    from attendance_bridge.staging import read_json, report_folder, write_json

    plan = upstream.get("plan_rollback") or {}
    done = upstream.get("roll_back") or {}
    school = plan.get("school_number", plausible_school(conf.get("school_number")))
    folder = report_folder(school, run.run_id)
    path = folder / REPORT_FILE
    plan_file = folder / PLAN_FILE
    checked = read_json(str(plan_file)) if plan_file.exists() else {}
    own_schema = plan.get("pipeline_schema") or sync.pipeline_schema()
    failed_with = next((message for message in (failures or {}).values() if message), None)

    def report_of(recorded: str | None) -> dict[str, Any]:
        outcome, message = _outcome(plan, done, failed_with or recorded)
        deleted = done.get("deleted") or {table: 0 for table in TABLES}
        return {
            "dag_id": run.dag_id,
            "run_id": run.run_id,
            "triggered_by": run.triggered_by,
            "parameters": dict(conf),
            "status": "failed" if outcome == "failed" else "succeeded",
            "outcome": outcome,
            "message": message,
            "school_number": school,
            "sync_run_id": plan.get("sync_run_id") or conf.get("run_id"),
            "sync_run": checked.get("sync_run"),
            "sis_schema": plan.get("sis_schema"),
            "pipeline_schema": own_schema,
            "rows_checked": plan.get("rows"),
            "deleted": deleted,
            "rolled_back_at": done.get("rolled_back_at"),
            "rolled_back_by": done.get("rolled_back_by"),
            "rollback_run_id": done.get("rollback_run_id"),
            "problems_total": checked.get("problems_total", 0),
            "problems": (checked.get("problems") or [])[:PROBLEMS_IN_MESSAGE],
            "plan_path": str(plan_file) if plan_file.exists() else None,
            "timings": {name: (upstream.get(name) or {}).get("seconds") for name in ROLLBACK_TASKS[:-1]},
            "report_path": str(path),
            "written_at": datetime.now(UTC).isoformat(),
        }

    report, error = None, None
    try:
        with sync.connect_sis() as conn:
            store.migrate(conn, own_schema)
            report = report_of(store.run_message(conn, own_schema, run.dag_id, run.run_id))
            store.finish_run(
                conn, own_schema, run.dag_id, run.run_id,
                status=report["status"], counts={f"deleted_{table}": n for table, n in report["deleted"].items()},
                timings=report["timings"], message=report["message"], report_path=str(path), school_number=school,
                dry_run=plan.get("dry_run"),
            )  # fmt: skip
    except Exception as exc:  # noqa: BLE001 (the report is written all the same, then the task fails)
        error = exc
    report = report or report_of(None)
    if error is None:
        report["run_log"] = {"written": True, "detail": f"table {own_schema}.run_log of the SIS database"}
    else:
        why = sync.describe_transient(error)[0] if sync.is_transient(error) else f"{type(error).__name__}: {error}"
        report["run_log"] = {
            "written": False,
            "detail": f"the run log row of this rollback could not be written: {why}",
        }
        log.error("write_report: %s; the report file is this rollback's only record", report["run_log"]["detail"])
    write_json(report, path)
    log.info("write_report: %s: %s", report["outcome"], report["message"])
    log.info("write_report: the report of this rollback is %s", path)
    # The undone run's page says when and by whom; rebuilt from the reports, like the index.
    report_html.publish_rollback(folder, report["sync_run_id"])
    if report["status"] == "failed":
        raise AirflowFailException(f"The rollback failed: {report['message']} (report: {path})")
    if error is not None:
        raise AirflowFailException(f"The rollback did its work, but {report['run_log']['detail']} (report: {path})")
    return {"report_path": str(path), "outcome": report["outcome"], "deleted": report["deleted"]}


def _outcome(plan: Mapping[str, Any], done: Mapping[str, Any], recorded: str | None) -> tuple[str, str]:
    """The rollback's outcome in a word and a sentence."""
    if done:
        deleted = done["deleted"]
        what = f"run {done['sync_run_id']} of school {done['school_number']}"
        if done["outcome"] == "already_rolled_back":
            return "already_rolled_back", (
                f"{what} was already rolled back at {done['rolled_back_at']} by {done['rolled_back_by'] or 'unknown'} "
                f"(rollback run {done['rollback_run_id']}); nothing was done"
            )
        return "rolled_back", (
            f"{what} rolled back: {deleted.get('attendance', 0)} attendance and "
            f"{deleted.get('attendance_time', 0)} attendance_time rows deleted, nothing else touched"
        )
    if plan.get("dry_run"):
        what = f"run {plan['sync_run_id']} of school {plan['school_number']}"
        if plan["already_rolled_back"]:
            return "already_rolled_back", f"plan only: {what} was already rolled back; nothing would be done"
        rows = plan["rows"]
        return "planned", (
            f"plan only: {what} can be rolled back; {rows['attendance']} attendance and "
            f"{rows['attendance_time']} attendance_time rows would be deleted, and nothing was"
        )
    return "failed", recorded or "the rollback did not finish; nothing was deleted (see the task logs)"


def _plan_document(target: SyncRun, check: RowCheck | None) -> dict[str, Any]:
    """What the plan found, for the auditor: the run, its rows, every problem (up to PROBLEMS_KEPT per check)."""
    return {
        "sync_run": _plain(asdict(target)),
        "rows": dict(target.rows),
        "checked_by": "plan_rollback",
        "problems_total": check.problems_total if check else 0,
        "problems": [problem.as_dict() for problem in check.problems] if check else [],
    }


def _problems(refused: RollbackRefused) -> dict[str, Any]:
    return {
        "problems_total": refused.problems_total,
        "problems": [problem.as_dict() for problem in refused.problems],
    }


def _plain(document: Mapping[str, Any]) -> dict[str, Any]:
    """Dates and datetimes as ISO text, so the value is XCom- and JSON-safe."""
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in document.items()}
