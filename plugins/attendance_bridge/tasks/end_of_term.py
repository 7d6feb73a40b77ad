"""The end-of-term DAG's own tasks: the plan of an interval (the school syncs to run), and the
district summary after them. Each school's sync runs the sync tasks (``tasks.sync``) in a mapped
task group; the plan and the summary are ``domain.reconciliation``'s.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pendulum
from airflow.sdk.exceptions import AirflowFailException

from attendance_bridge.config import ALL_PERIODS
from attendance_bridge.db.connection import connect_sis, sis_schema
from attendance_bridge.db.lookups import find_terms_ending
from attendance_bridge.domain.reconciliation import (
    district_summary,
    interval_days,
    interval_record,
    plan_reconciliations,
    school_run_id,
    term_names,
)
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.run_folders import (
    SUMMARY_JSON,
    district_summary_folder,
    report_file,
    reports_base,
    run_page_file,
    run_page_from_summary,
    write_json,
)
from attendance_bridge.tasks.runtime import TaskRun, log_done, log_start, refuse_unservable_run, refuse_unusable_sis

log = logging.getLogger(__name__)


def find_schools_to_reconcile(
    run: TaskRun, start: datetime, end: datetime, timezone: str, mode: str, absent_periods: str = ALL_PERIODS
) -> dict[str, Any]:
    """The plan of an end-of-term run for its data interval, read from the SIS now (never at parse time)."""
    refuse_unservable_run(run, run_log_row=False)  # a run id such as "." (issue 29): nothing is planned
    # The district's timezone as Airflow reads it (pendulum: the DAG's timetable uses the same).
    first_day, last_day = interval_days(start, end, pendulum.timezone(timezone))
    started = time.perf_counter()
    log_start("find_schools_to_reconcile", run, None)
    log.info(
        "find_schools_to_reconcile: terms ending %s to %s (data interval %s to %s, %s), mode %s, absences from "
        "Daily to %s",
        first_day, last_day, start.isoformat(), end.isoformat(), timezone, mode, absent_periods,
    )  # fmt: skip
    with connect_sis() as conn:
        schema = sis_schema(conn)
        refuse_unusable_sis(conn, schema, "find_schools_to_reconcile", "looking for the terms that end")
        terms = find_terms_ending(conn, schema, first_day, last_day)
    planned, left_out = plan_reconciliations(terms, mode, absent_periods)
    for entry in planned:
        log.info(
            "find_schools_to_reconcile: school %s (%s): %s, %s to %s, %s",
            entry["school_number"], entry["school_name"], term_names(entry), entry["start_date"], entry["end_date"],
            "dry run (report mode)" if entry["conf"]["dry_run"] else "records are loaded (apply mode)",
        )  # fmt: skip
    for entry in left_out:
        log.warning("find_schools_to_reconcile: school %s is not synced: %s", entry["school_number"], entry["reason"])
    if not terms:
        log.info("find_schools_to_reconcile: no term of any school ends in this interval; nothing to reconcile")
    log.info(
        "find_schools_to_reconcile: %d school sync(s), %d school(s) left out, in %.2f s",
        len(planned), len(left_out), time.perf_counter() - started,
    )  # fmt: skip
    log_done("find_schools_to_reconcile", time.perf_counter() - started)
    interval = interval_record(start, end, first_day, last_day, timezone, mode, absent_periods=absent_periods)
    return {"interval": interval, "reconciliations": planned, "left_out": left_out}


def write_district_summary(run: TaskRun, plan: Mapping[str, Any]) -> dict[str, Any]:
    """The district summary (``reports/district/<dag id>~<run id>/summary.json`` and ``.html``); fails after
    writing it when a school failed, so the DAG run's state says so. An interval with nothing to reconcile has
    a summary too, which says so: the run's Report tab shows it."""
    started = time.perf_counter()
    log_start("write_district_summary", run, None)
    planned, left_out = plan.get("reconciliations") or [], plan.get("left_out") or []
    reports, links = {}, {}
    for entry in planned:
        school, school_run = entry["school_number"], school_run_id(run.run_id, entry["key"])
        path = report_file(school, run.dag_id, school_run)
        reports[entry["key"]] = json.loads(path.read_text()) if path.exists() else None
        page_exists = run_page_file(school, run.dag_id, school_run).exists()
        links[entry["key"]] = run_page_from_summary(school, run.dag_id, school_run) if page_exists else None
    summary = district_summary(run.run_id, plan["interval"], planned, left_out, reports, links, run.dag_id)
    summary["written_at"] = datetime.now(UTC).isoformat()
    folder = district_summary_folder(run.dag_id, run.run_id)
    path = write_json(summary, folder / SUMMARY_JSON)
    try:
        page = publish.write_district_summary_page(folder, summary)
        publish.publish_index(reports_base())
    except Exception:  # summary.json is the record; a page that cannot be drawn must not hide the outcome
        log.exception("write_district_summary: the summary page could not be written")
        page = path
    if summary["nothing_to_reconcile"]:
        log.info("write_district_summary: %s", summary["nothing_to_reconcile"])
    for row in summary["schools"]:
        log.info(
            "write_district_summary: school %s %s: %s %s",
            row["school_number"], row["outcome"], row["counts"], f"({row['reason']})" if row["reason"] else "",
        )  # fmt: skip
    log.info("write_district_summary: the district summary of this run is %s (page %s)", path, page)
    log_done("write_district_summary", time.perf_counter() - started)
    if summary["failed"]:
        failed = "; ".join(f"school {row['school_number']}: {row['reason']}" for row in summary["failed"])
        raise AirflowFailException(
            f"{len(summary['failed'])} of {len(planned)} school(s) failed ({failed}). District summary: {page}"
        )
    return {"outcome": summary["outcome"], "schools": len(planned), "failed": 0, "summary_path": path}
