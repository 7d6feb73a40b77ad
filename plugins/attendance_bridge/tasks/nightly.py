"""The nightly bridge's first task (SPEC section 7): which school syncs a night runs.

The rest of a nightly run is the end of term's: one mapped group of the sync's tasks per planned
sync (``wiring.sync_tasks``), then the district summary (``tasks.end_of_term.write_district_summary``).
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any

import pendulum

from attendance_bridge.db.connection import connect_sis, sis_schema
from attendance_bridge.db.lookups import find_bridge_schools
from attendance_bridge.domain.reconciliation import interval_days, interval_record, plan_nights
from attendance_bridge.tasks.runtime import TaskRun, log_done, log_start, refuse_unservable_run, refuse_unusable_sis

log = logging.getLogger(__name__)
TASK = "find_schools_to_reconcile"


def find_school_days_to_bridge(
    run: TaskRun, start: datetime, end: datetime, timezone: str, mode: str
) -> dict[str, Any]:
    """The plan of a nightly run for its data interval (B1-B4), read from the SIS now (never at parse time)."""
    refuse_unservable_run(run, run_log_row=False)  # a run id such as "." (issue 29): nothing is planned
    first_day, last_day = interval_days(start, end, pendulum.timezone(timezone))
    started = time.perf_counter()
    log_start(TASK, run, None)
    log.info(
        "%s: the nightly bridge of the school days %s to %s (data interval %s to %s, %s), mode %s",
        TASK, first_day, last_day, start.isoformat(), end.isoformat(), timezone, mode,
    )  # fmt: skip
    with connect_sis() as conn:
        schema = sis_schema(conn)
        refuse_unusable_sis(conn, schema, TASK, "looking for the schools to bridge")
        schools = find_bridge_schools(conn, schema, first_day, last_day)
    planned, left_out = plan_nights(schools, first_day, last_day, mode)
    for entry in planned:
        log.info(
            "%s: school %s (%s): %s, %s to %s, %s",
            TASK, entry["school_number"], entry["school_name"], entry["direction"], entry["start_date"],
            entry["end_date"], "dry run (report mode)" if entry["conf"]["dry_run"] else "records are loaded (apply mode)",
        )  # fmt: skip
    for entry in left_out:
        log.warning("%s: school %s is not bridged: %s", TASK, entry["school_number"], entry["reason"])
    if not schools:
        log.info("%s: no school's year covers these days; nothing to bridge", TASK)
    log.info(
        "%s: %d school sync(s), %d school(s) left out, in %.2f s",
        TASK, len(planned), len(left_out), time.perf_counter() - started,
    )  # fmt: skip
    log_done(TASK, time.perf_counter() - started)
    interval = interval_record(start, end, first_day, last_day, timezone, mode)
    return {"interval": interval, "reconciliations": planned, "left_out": left_out}
