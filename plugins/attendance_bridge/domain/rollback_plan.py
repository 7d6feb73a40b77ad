"""X7's rollback as data: the request (the conf, read strictly), the sync run to undo, the problems
that make a rollback refuse, and the refusal's message. The database side is ``db.rollback``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from attendance_bridge.config import DISTRICT_OFFICE_SCHOOL_NUMBER, LARGEST_SCHOOL_NUMBER
from attendance_bridge.domain.request import refuse_control_characters, refuse_unknown
from attendance_bridge.errors import InvalidParameter, Refusal

PARAMETER_NAMES = ("school_number", "run_id", "dry_run", "allow_rows_from_older_versions")


TABLES = ("attendance", "attendance_time")


# Problems kept per check in the plan file, and named in a refusal's message.
PROBLEMS_KEPT = 1000


PROBLEMS_IN_MESSAGE = 20


PLAN_FILE = "plan.json"


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
    # F6: the recodes and withdrawals of earlier runs' copies the run made and the rollback undoes.
    followed: int = 0

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
        if self.problem == "changed_since_recoded":
            return (
                "a copy this run recoded, changed since by a person or a later run (roll that run back first, or "
                "leave it)" + self._changes(now)
            )
        if self.problem == "withdrawn_id_taken":
            return "a copy this run withdrew, whose id another record holds now, so it cannot be put back"
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
    # F6: what the rollback restored of the run's recodes and withdrawals, and what needed nothing (the keys of
    # run_log.rollback_counts beside the tables'); empty for a run that followed no copy.
    restored: dict[str, int] = field(default_factory=dict)


def restored_counts(rollback_counts: Mapping[str, int] | None) -> dict[str, int]:
    """The keys of a run's ``rollback_counts`` that are not rows deleted per table (F6), as whole numbers."""
    return {key: int(value) for key, value in (rollback_counts or {}).items() if key not in TABLES}


def _by_run(run_id: str | None) -> str:
    return (
        f" (inserted by sync run {run_id}: roll that run back first)" if run_id else " (not inserted by the pipeline)"
    )


def parse_request(conf: Mapping[str, Any]) -> RollbackRequest:
    """The rollback's conf, strictly: a typo in ``run_id`` must never fall back to the latest run."""

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
        refuse_control_characters("run_id", run_id, "the id of the sync run to undo")
        run_id = run_id.strip() or None  # an empty form field means "not given"
    return RollbackRequest(school, run_id, dry_run, allow)


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


def rows_refusal(run: SyncRun, check: RowCheck) -> RollbackRefused:
    rows = sum(check.rows.values())
    return RollbackRefused(
        run.school_number,
        run.run_id,
        f"{check.problems_total} problem(s) among its {rows} rows: rows changed or deleted since the run, or "
        "referred to by rows it did not insert; the auditor decides what to do with them",
        check.problems,
        check.problems_total,
    )


def sync_run_from_row(row: Mapping[str, Any]) -> SyncRun:
    schemas = row["sis_schemas"] or row.get("followed_sis_schemas") or []
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
        followed=row.get("followed") or 0,
    )


class RollbackRefused(Refusal):
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
