"""The finish DAG's task: close a sync run whose process ended before it could report (``db.finish_run``),
write that run's report, and this run's own run log row."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from attendance_bridge.config import pipeline_schema
from attendance_bridge.db import run_log
from attendance_bridge.db.connection import connect_sis
from attendance_bridge.db.finish_run import Finished, finish
from attendance_bridge.domain.request import parse_finish_request, plausible_school
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.run_folders import (
    REPORT_JSON,
    existing_report_folder,
    read_json,
    report_folder,
    reports_base_of,
    write_json,
)
from attendance_bridge.tasks.runtime import TaskRun, guarded_phase, open_run_log

log = logging.getLogger(__name__)


def finish_run(run: TaskRun, conf: Mapping[str, Any]) -> dict[str, Any]:
    """The task: finish the run, write its report, and this run's own run log row; fails on a refusal."""

    school = plausible_school(conf.get("school_number"))
    # Its only task: a refusal closes its own run log row (issue 29), no report task follows to do it.
    with guarded_phase("finish_run", run, school, closes_run_log=True) as timing, connect_sis() as conn:
        own_schema = pipeline_schema()
        open_run_log(conn, own_schema, run, school, conf)
        school_number, run_id = parse_finish_request(conf)
        finished = finish(conn, own_schema, school_number, run_id, run.triggered_by)
        if finished.outcome == "finished":
            path = _write_sync_report(finished, own_schema)
            if path is not None:
                run_log.finish_run(conn, own_schema, finished.dag_id, run_id, status=finished.status,
                                 counts=finished.counts, message=finished.message, report_path=path)  # fmt: skip
        what = (
            f"run {run_id} of school {school_number} finished as {finished.status}: {finished.message}"
            if finished.outcome == "finished"
            else f"run {run_id} of school {school_number} had already ended ({finished.status}); nothing was changed"
        )
        # Its own row counts the run it closed, not that run's records (a sum over the run log must not
        # count them twice); a load of the closed run that comes later refuses on it.
        run_log.finish_run(
            conn, own_schema, run.dag_id, run.run_id, status="succeeded",
            counts={"runs_finished": 1 if finished.outcome == "finished" else 0},
            message=what, school_number=school_number,
        )  # fmt: skip
    log.info("finish_run: %s", what)
    return {**asdict(finished), "seconds": timing["seconds"]}


def _write_sync_report(finished: Finished, own_schema: str) -> str | None:
    """The sync run's report.json says how it ended (kept where the run left one), with its page and the index."""

    try:
        # The sync run's folder; one written before issue 29 only when its report is that run's.
        folder = existing_report_folder(finished.school_number, finished.dag_id, finished.run_id) or report_folder(
            finished.school_number, finished.dag_id, finished.run_id
        )
        path = folder / REPORT_JSON
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
        publish.render_run_page(folder)
        publish.publish_index(reports_base_of(folder))
        return str(path)
    except Exception:  # the run log is the record; the report is a courtesy here
        log.exception("finish_run: the report of run %s could not be written", finished.run_id)
        return None
