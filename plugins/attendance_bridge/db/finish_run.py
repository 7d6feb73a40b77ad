"""Finish a sync run whose process ended before it could say how it ended (issue 18, point 5).

A worker killed right after a load committed leaves the SIS correct and the run log at
``running``: nothing else recorded the outcome, and the rollback refuses a running run. The load
writes what it did to the load log in its own transaction, so the outcome can be read back: the
run loaded (its lineage says what is in the SIS) or it did not (nothing of it is in the SIS).
``attendance_bridge_finish_run`` does that for one run, under the school's load lock (an
in-flight load of the school is waited for), writes the sync run's run log row and report, and
leaves a run log row of its own. A run whose run log already says how it ended is left alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from attendance_bridge.catalog import LOADING_DAG_IDS
from attendance_bridge.db import run_log
from attendance_bridge.db.backup import require_own_transaction
from attendance_bridge.db.locks import lock_school
from attendance_bridge.db.sql import fetch_all, statement
from attendance_bridge.errors import FinishRefused

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)


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


def finish(
    conn: psycopg.Connection, pipeline_schema: str, school_number: int, run_id: str, finished_by: str | None
) -> Finished:
    """Close the run log row of a run left at ``running``, from what its load did (load log, lineage)."""
    require_own_transaction(conn, "finish")
    with conn.transaction():
        # An in-flight load of the school commits or fails before the load log is read.
        lock_school(conn, school_number)
        rows = fetch_all(
            conn,
            statement("pipeline/select_run_log_rows", schema=pipeline_schema),
            {"dag_ids": list(LOADING_DAG_IDS), "run_id": run_id},
        )
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
        committed = None if row["dry_run"] else run_log.committed_load(conn, pipeline_schema, row["dag_id"], run_id)
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
        run_log.finish_run(
            conn, pipeline_schema, row["dag_id"], run_id, status=status, counts=counts, message=message,
            school_number=school_number,
        )  # fmt: skip
    return Finished(
        row["dag_id"], run_id, school_number, "finished", status, message, counts,
        committed["loaded_at"] if committed else None,
    )  # fmt: skip
