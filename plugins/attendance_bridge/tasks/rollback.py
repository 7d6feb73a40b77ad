"""The rollback DAG's tasks: plan the rollback (the run to undo, its rows checked against the SIS),
roll it back (``db.rollback.roll_back_run``), and write its report whatever happened.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from airflow.sdk.exceptions import AirflowFailException

from attendance_bridge.catalog import ROLLBACK_TASK_IDS
from attendance_bridge.config import pipeline_schema
from attendance_bridge.db import migrations, run_log
from attendance_bridge.db.connection import connect_sis, describe_transient, is_transient
from attendance_bridge.db.rollback import check_rows, find_sync_run, roll_back_run
from attendance_bridge.db.sis_tables import loaded_schema_problem
from attendance_bridge.domain.request import plausible_school
from attendance_bridge.domain.rollback_plan import (
    PLAN_FILE,
    PROBLEMS_IN_MESSAGE,
    TABLES,
    RollbackRefused,
    RowCheck,
    SyncRun,
    parse_request,
    require_verifiable_rows,
    rows_refusal,
)
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.run_folders import REPORT_JSON, read_json, report_folder, write_json
from attendance_bridge.tasks.runtime import TaskRun, guarded_phase, open_run_log, plain, refuse_unservable_run

log = logging.getLogger(__name__)


def plan_rollback(run: TaskRun, conf: Mapping[str, Any]) -> dict[str, Any]:
    """The sync run to undo and its rows checked against the SIS; refuses with the list of problems."""

    school = plausible_school(conf.get("school_number"))
    with guarded_phase("plan_rollback", run, school) as timing, connect_sis() as conn:
        own_schema = pipeline_schema()
        open_run_log(conn, own_schema, run, school, conf)
        request = parse_request(conf)
        with conn.transaction():
            target = find_sync_run(conn, own_schema, request.school_number, request.run_id)
            if not target.rolled_back:
                require_verifiable_rows(target, request.allow_rows_from_older_versions)
                gone = loaded_schema_problem(conn, target.sis_schema) if target.sis_schema else None
                if gone is not None:
                    raise RollbackRefused(request.school_number, target.run_id, gone)
            check = None if target.rolled_back else check_rows(conn, own_schema, target)
        plan_file = report_folder(school, run.dag_id, run.run_id) / PLAN_FILE
        plan_path = write_json(_plan_document(target, check), plan_file)
        if check is not None and check.problems:
            raise rows_refusal(target, check)
    plan = {
        "school_number": request.school_number,
        "sync_dag_id": target.dag_id,
        "sync_run_id": target.run_id,
        "sync_run_id_given": request.run_id is not None,
        "dry_run": request.dry_run,
        "allow_rows_from_older_versions": request.allow_rows_from_older_versions,
        "already_rolled_back": target.rolled_back,
        "sis_schema": target.sis_schema,
        "pipeline_schema": own_schema,
        "rows": dict(target.rows),
        # F6: the recodes and withdrawals of earlier runs' copies the run made, which its rollback undoes.
        "followed": target.followed,
        "plan_path": plan_path,
        "seconds": timing["seconds"],
    }
    log.info("plan_rollback: %s", plan)
    return plan


def roll_back(run: TaskRun, plan: Mapping[str, Any]) -> dict[str, Any]:
    """Delete the planned run's rows in one transaction (skipped when only a plan was asked for)."""
    if plan["dry_run"]:
        from airflow.sdk.exceptions import AirflowSkipException

        raise AirflowSkipException("plan only (dry_run): nothing is deleted")

    school = plan["school_number"]
    with guarded_phase("roll_back", run, school) as timing, connect_sis() as conn:
        try:
            result = roll_back_run(
                conn, plan["pipeline_schema"], school, plan["sync_run_id"], run.run_id, run.triggered_by,
                allow_rows_from_older_versions=plan.get("allow_rows_from_older_versions", False),
            )  # fmt: skip
        except RollbackRefused as refused:
            if refused.problems:  # something changed since the plan: the list the refusal is about
                document = {"sync_run_id": plan["sync_run_id"], "checked_by": "roll_back", **_problems(refused)}
                write_json(document, report_folder(school, run.dag_id, run.run_id) / PLAN_FILE)
            raise
    done = {**plain(asdict(result)), "seconds": timing["seconds"]}
    log.info("roll_back: %s", done)
    return done


def write_report(
    run: TaskRun, conf: Mapping[str, Any], upstream: Mapping[str, Any], failures: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The rollback's report and its run log row, whatever happened; fails when the rollback did.

    ``failures`` are the messages failed tasks left in XCom. The report is written even when the
    SIS database cannot be reached: it then says the run log row could not be written, and why.
    """

    plan = upstream.get("plan_rollback") or {}
    done = upstream.get("roll_back") or {}
    school = plan.get("school_number", plausible_school(conf.get("school_number")))
    # A run id the project cannot serve (".", say): plan_rollback refused it; no file is written for it.
    refuse_unservable_run(run, school)
    folder = report_folder(school, run.dag_id, run.run_id)
    path = folder / REPORT_JSON
    plan_file = folder / PLAN_FILE
    checked = read_json(str(plan_file)) if plan_file.exists() else {}
    own_schema = plan.get("pipeline_schema") or pipeline_schema()
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
            "sync_dag_id": plan.get("sync_dag_id") or (checked.get("sync_run") or {}).get("dag_id"),
            "sync_run_id": plan.get("sync_run_id") or conf.get("run_id"),
            "sync_run": checked.get("sync_run"),
            "sis_schema": plan.get("sis_schema"),
            "pipeline_schema": own_schema,
            "rows_checked": plan.get("rows"),
            "deleted": deleted,
            "restored": done.get("restored") or {},
            "rolled_back_at": done.get("rolled_back_at"),
            "rolled_back_by": done.get("rolled_back_by"),
            "rollback_run_id": done.get("rollback_run_id"),
            "problems_total": checked.get("problems_total", 0),
            "problems": (checked.get("problems") or [])[:PROBLEMS_IN_MESSAGE],
            "plan_path": str(plan_file) if plan_file.exists() else None,
            "timings": {name: (upstream.get(name) or {}).get("seconds") for name in ROLLBACK_TASK_IDS[:-1]},
            "report_path": str(path),
            "written_at": datetime.now(UTC).isoformat(),
        }

    report, error = None, None
    try:
        with connect_sis() as conn:
            migrations.migrate(conn, own_schema)
            report = report_of(run_log.run_message(conn, own_schema, run.dag_id, run.run_id))
            run_log.finish_run(
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
        why = describe_transient(error)[0] if is_transient(error) else f"{type(error).__name__}: {error}"
        report["run_log"] = {
            "written": False,
            "detail": f"the run log row of this rollback could not be written: {why}",
        }
        log.error("write_report: %s; the report file is this rollback's only record", report["run_log"]["detail"])
    write_json(report, path)
    log.info("write_report: %s: %s", report["outcome"], report["message"])
    log.info("write_report: the report of this rollback is %s", path)
    # The undone run's page says when and by whom; rebuilt from the reports, like the index.
    page = publish.publish_rollback(folder)
    # A failure points at what a person reads: the rollback's page, else (not drawn) its JSON report.
    where = f"report page: {page}" if page is not None else f"report: {path}"
    if report["status"] == "failed":
        raise AirflowFailException(f"The rollback failed: {report['message']} ({where})")
    if error is not None:
        raise AirflowFailException(f"The rollback did its work, but {report['run_log']['detail']} ({where})")
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
        # F6: and what it restored of the run's recodes and withdrawals of copies, when there was any.
        undone = "".join(f"; {part}" for part in restored_in_words(done.get("restored") or {}))
        return "rolled_back", (
            f"{what} rolled back: {deleted.get('attendance', 0)} attendance and "
            f"{deleted.get('attendance_time', 0)} attendance_time rows deleted{undone}"
            f"{'; ' if undone else ', '}nothing else touched"
        )
    if plan.get("dry_run"):
        what = f"run {plan['sync_run_id']} of school {plan['school_number']}"
        if plan["already_rolled_back"]:
            return "already_rolled_back", f"plan only: {what} was already rolled back; nothing would be done"
        rows, followed = plan["rows"], int(plan.get("followed") or 0)
        changes = (
            f"; the {_many(followed, 'change', 'changes')} it made to copies earlier runs built (recodes and "
            "withdrawals) would be undone"
            if followed
            else ""
        )
        return "planned", (
            f"plan only: {what} can be rolled back; {rows['attendance']} attendance and "
            f"{rows['attendance_time']} attendance_time rows would be deleted{changes}, and nothing was"
        )
    return "failed", recorded or "the rollback did not finish; nothing was deleted (see the task logs)"


def restored_in_words(restored: Mapping[str, int]) -> list[str]:
    """What a rollback did about the run's recodes and withdrawals of copies (F6, ``RollbackResult.restored``), in
    words, one part per kind it met; none for a run that followed no copy."""
    parts = []
    recodes = int(restored.get("recodes_undone") or 0)
    if recodes:
        whose = "the copy has its" if recodes == 1 else "the copies have their"
        parts.append(f"{_many(recodes, 'recode', 'recodes')} undone ({whose} previous code again)")
    withdrawals = int(restored.get("withdrawals_undone") or 0)
    if withdrawals:
        times = int(restored.get("attendance_time_restored") or 0)
        with_times = f" with {_many(times, 'attendance time', 'attendance times')}" if times else ""
        parts.append(f"{_many(withdrawals, 'withdrawn copy', 'withdrawn copies')} restored{with_times}, ids included")
    withdrawn_before = int(restored.get("withdrawn_by_later_runs") or 0)
    if withdrawn_before:
        parts.append(
            f"{_many(withdrawn_before, 'row', 'rows')} of the run that later runs had withdrawn needed nothing "
            "(already out of the SIS)"
        )
    moot = int(restored.get("nothing_to_undo") or 0)
    if moot:
        parts.append(
            f"{_many(moot, 'change', 'changes')} the run made to copies needed nothing (the run that built them was "
            "rolled back first)"
        )
    return parts


def _many(count: int, one: str, more: str) -> str:
    """A count and its noun: 1 recode, 3 recodes."""
    return f"{count:,} {one if count == 1 else more}"


def _plan_document(target: SyncRun, check: RowCheck | None) -> dict[str, Any]:
    """What the plan found, for the auditor: the run, its rows, every problem (up to PROBLEMS_KEPT per check)."""
    return {
        "sync_run": plain(asdict(target)),
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
