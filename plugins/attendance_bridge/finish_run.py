"""Finish a sync run whose process ended before it could say how it ended (issue 18, point 5).

A worker killed right after a load committed leaves the SIS correct and the run log at
``running``: nothing else recorded the outcome, and the rollback refuses a running run. The load
writes what it did to the load log in its own transaction, so the outcome can be read back: the
run loaded (its lineage says what is in the SIS) or it did not (nothing of it is in the SIS).
``attendance_bridge_finish_run`` does that for one run, under the school's load lock (an
in-flight load of the school is waited for), writes the sync run's run log row and report, and
leaves a run log row of its own. A run whose run log already says how it ended is left alone.

Imported when the DAG file is parsed, so it imports nothing heavy at module level.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from attendance_bridge import end_of_term, sync
from attendance_bridge.settings import DISTRICT_OFFICE_SCHOOL_NUMBER, FINISH_RUN_DAG_ID, LARGEST_SCHOOL_NUMBER

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger("attendance_bridge.finish_run")

DAG_ID = FINISH_RUN_DAG_ID
PARAMETER_NAMES = ("school_number", "run_id")
# The DAGs whose runs a finish can close: those that load records.
LOADING_DAG_IDS = [sync.DAG_ID, end_of_term.DAG_ID]


class FinishRefused(sync.Refusal):
    """The run cannot be finished this way: unknown, of another school, ambiguous."""

    def __init__(self, school_number: int, run_id: str, reason: str) -> None:
        super().__init__(f"Run {run_id} of school {school_number} was not finished: {reason}; nothing was changed")


@dataclass(frozen=True)
class Finished:
    """What the finish found and recorded for the sync run."""

    dag_id: str
    run_id: str
    school_number: int
    outcome: str  # "finished" or "already_finished"
    status: str
    message: str | None
    counts: dict[str, int]
    loaded_at: str | None


def parse_request(conf: Mapping[str, Any]) -> tuple[int, str]:
    """(school, run id) from the conf, strictly: both are required, nothing else is known."""
    from attendance_bridge.parameters import InvalidParameter, refuse_unknown

    refuse_unknown(conf, PARAMETER_NAMES, "finishing a run")
    school, run_id = conf.get("school_number"), conf.get("run_id")
    if isinstance(school, bool) or not isinstance(school, int):
        raise InvalidParameter("school_number", f"must be a whole number, not {school!r}")
    if school == DISTRICT_OFFICE_SCHOOL_NUMBER or not 0 < school <= LARGEST_SCHOOL_NUMBER:
        raise InvalidParameter("school_number", f"{school} is not a school's number (a positive whole number)")
    if not isinstance(run_id, str) or not run_id.strip():
        raise InvalidParameter("run_id", "is required: the id of the sync run to finish, as in its run log row")
    return school, run_id.strip()


def finish(
    conn: psycopg.Connection, pipeline_schema: str, school_number: int, run_id: str, finished_by: str | None
) -> Finished:
    """Close the run log row of a run left at ``running``, from what its load did (load log, lineage)."""
    from attendance_bridge import store
    from attendance_bridge.backup import require_own_transaction
    from attendance_bridge.load import LOAD_LOCK_CLASS
    from attendance_bridge.sql import load_sql

    require_own_transaction(conn, "finish")
    with conn.transaction():
        # An in-flight load of the school commits or fails before the load log is read.
        conn.execute(load_sql("load/lock_school"), {"lock_class": LOAD_LOCK_CLASS, "school_number": school_number})
        with conn.cursor() as cursor:
            from psycopg.rows import dict_row

            cursor.row_factory = dict_row
            cursor.execute(
                store.statement("pipeline/select_run_log_rows", pipeline_schema),
                {"dag_ids": LOADING_DAG_IDS, "run_id": run_id},
            )
            rows = cursor.fetchall()
        if not rows:
            raise FinishRefused(school_number, run_id, "the run log has no sync run with this id")
        if len(rows) > 1:
            raise FinishRefused(school_number, run_id, f"runs of several DAGs have this id ({rows})")
        [row] = rows
        if row["school_number"] != school_number:
            raise FinishRefused(school_number, run_id, f"it is a run of school {row['school_number']}")
        if row["status"] != "running":
            return Finished(
                row["dag_id"], run_id, school_number, "already_finished", row["status"], row["message"], {}, None
            )
        committed = None if row["dry_run"] else store.committed_load(conn, pipeline_schema, row["dag_id"], run_id)
        by = f" by {finished_by}" if finished_by else ""
        moment = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        if committed is not None:
            status = "succeeded"
            counts = {
                "inserted": committed["inserted_attendance"],
                "inserted_attendance_time": committed["inserted_attendance_time"],
                "skipped_existing": committed["skipped_existing"],
                "skipped_source_changed": committed["skipped_source_changed"],
                "declined_by_database": committed["declined_by_database"],
            }
            message = (
                f"The run's process ended after its load committed at {committed['loaded_at']}, before it could report; "
                f"finished{by} on {moment} from the load log: {counts['inserted']} records of this run are in the SIS."
            )
        else:
            status, counts = "failed", {}
            message = (
                f"The run's process ended before it finished and no load of it committed: nothing of it is in the "
                f"SIS. Finished{by} on {moment}; run the sync again."
            )
        store.finish_run(
            conn, pipeline_schema, row["dag_id"], run_id, status=status, counts=counts, message=message,
            school_number=school_number,
        )  # fmt: skip
    return Finished(
        row["dag_id"], run_id, school_number, "finished", status, message, counts,
        committed["loaded_at"] if committed else None,
    )  # fmt: skip


# --------------------------------------------------------------------------- the DAG's task


def finish_run(run: sync.Run, conf: Mapping[str, Any]) -> dict[str, Any]:
    """The task: finish the run, write its report, and this run's own run log row; fails on a refusal."""
    from attendance_bridge import store
    from attendance_bridge.report import plausible_school

    school = plausible_school(conf.get("school_number"))
    with sync.phase("finish_run", run, school) as timing, sync.connect_sis() as conn:
        own_schema = sync.pipeline_schema()
        sync.open_run_log(conn, own_schema, run, school, conf)
        school_number, run_id = parse_request(conf)
        finished = finish(conn, own_schema, school_number, run_id, run.triggered_by)
        if finished.outcome == "finished":
            path = _write_sync_report(finished, own_schema)
            if path is not None:
                store.finish_run(conn, own_schema, finished.dag_id, run_id, status=finished.status,
                                 counts=finished.counts, message=finished.message, report_path=path)  # fmt: skip
        what = (
            f"run {run_id} of school {school_number} finished as {finished.status}: {finished.message}"
            if finished.outcome == "finished"
            else f"run {run_id} of school {school_number} had already ended ({finished.status}); nothing was changed"
        )
        # Its own row counts the run it closed, not that run's records (a sum over the run log must not
        # count them twice); a load of the closed run that comes later refuses on it.
        store.finish_run(
            conn, own_schema, run.dag_id, run.run_id, status="succeeded",
            counts={"runs_finished": 1 if finished.outcome == "finished" else 0},
            message=what, school_number=school_number,
        )  # fmt: skip
    log.info("finish_run: %s", what)
    return {**asdict(finished), "seconds": timing["seconds"]}


def _write_sync_report(finished: Finished, own_schema: str) -> str | None:
    """The sync run's report.json says how it ended (kept where the run left one), with its page and the index."""
    from attendance_bridge import report_html
    from attendance_bridge.staging import read_json, report_folder, write_json

    try:
        folder = report_folder(finished.school_number, finished.run_id)
        path = folder / "report.json"
        report = read_json(str(path)) if path.exists() else {
            "dag_id": finished.dag_id, "run_id": finished.run_id, "school_number": finished.school_number,
            "dry_run": False, "parameters": {}, "resolved": {}, "preconditions": [], "timings": {},
        }  # fmt: skip
        report.update(
            status=finished.status,
            message=finished.message,
            counts={**(report.get("counts") or {}), **finished.counts},
            run_log={"written": True, "detail": f"table {own_schema}.run_log of the SIS database"},
            finished_from_load_log=True,
            report_path=str(path),
            written_at=datetime.now(UTC).isoformat(),
        )
        write_json(report, path)
        report_html.render_run_page(folder)
        report_html.publish_index(folder.parent.parent)
        return str(path)
    except Exception:  # the run log is the record; the report is a courtesy here
        log.exception("finish_run: the report of run %s could not be written", finished.run_id)
        return None
