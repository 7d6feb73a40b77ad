"""
# Attendance bridge nightly: keep Daily and Meeting in step every school day

Nobody triggers this DAG. Every night at 02:00 in the district's timezone
(`ATTENDANCE_BRIDGE_TIMEZONE`, UTC when unset) it reconciles the school days of its data interval
(the day before) for every school whose **Meeting and Daily Attendance Bridge** is on for that
day's year (SPEC section 7), as the vendor's bridge would have while attendance was taken:

- **one-way** (`ATT_MeetingDailyBridge` = 1): `meeting_to_daily`, a Daily record for every
  student with a bridge-period Meeting record and no Daily record (M1-M4);
- **two-way** (2): the same, and `daily_to_meeting` on the bridge period only (D1-D6): each its
  own sync, with its own backup, load, lineage and report, so either can be rolled back alone.
  What one builds is never a source of the other (X9), so their order does not matter.

Each sync is a sync of `attendance_bridge_sync` in a mapped task group (the same code, checks,
lock and report as a manual run); one school's failure never stops another. Schools whose bridge
is off or not set, or that have no or two current recording methods, are listed in the summary
with the reason; they are not a failure. The district office is never bridged. A day that is not
in session adds nothing.

## Mode

- **report** (the default): dry runs; each school's report says what would be added.
- **apply**: the missing records are added, after a verified backup.

The district switches the default with `ATTENDANCE_BRIDGE_NIGHTLY_MODE=apply`; a run or a
backfill can choose with `{"mode": "apply"}` (see README, "The nightly bridge").

## What a run leaves

Each school sync's report (`reports/school_<n>/<run id>__school_<n>_<direction>/`) and the
district summary `reports/district/<run id>/summary.html`, which links them. The run fails when
a school failed, after writing the summary. A night run again adds nothing (X2); a backfill over
past nights gives the same records as running each night.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag
from attendance_bridge import dag_params, wiring
from attendance_bridge.catalog import NIGHTLY_DAG_ID
from attendance_bridge.config import district_timezone, nightly_mode


@dag(
    dag_id=NIGHTLY_DAG_ID,
    dag_display_name="Attendance bridge nightly (every school day)",
    description="Keep every school's Daily and Meeting records in step, as its bridge setting says, each night",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=district_timezone()),
    start_date=pendulum.datetime(2025, 1, 1, tz=district_timezone()),
    catchup=False,
    max_active_runs=1,
    tags=["attendance", "attendance-bridge", "sis", "nightly"],
    params={"mode": dag_params.mode_param(nightly_mode())},
    default_args=wiring.DEFAULT_ARGS,
)
def attendance_bridge_nightly() -> None:
    # The plan (B1-B4), one mapped group of the sync's tasks per school sync, the district summary.
    wiring.district_tasks(wiring.find_school_days_to_bridge)


attendance_bridge_nightly()
