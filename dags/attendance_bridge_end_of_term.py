"""
# Attendance bridge end of term: reconcile every school whose term just ended

Nobody triggers this DAG. Every night at 02:00 in the district's timezone
(`ATTENDANCE_BRIDGE_TIMEZONE`, UTC when unset) it looks in the SIS `terms` table for the terms
whose **last day** falls in its data interval (the day before), and runs the sync of
`attendance_bridge_sync` for every school whose term ended: the term's dates as the range,
`direction = auto`, one mapped task group per school. Schools run in parallel on as many
workers as there are, and one school's failure never stops another.

A school is left out, and listed in the summary with the reason, when it has no current
recording method (P3) or its Meeting and Daily Attendance Bridge is off (P4). The district
office (school 0) is never synced. When several of a school's terms end the same day (the last
semester and the year), its sync covers the longest one.

## Mode

- **report** (the default): dry runs. Each school's report says what would be added; nothing
  is written to the SIS.
- **apply**: each school's missing records are added, after the same verified backup and with
  the same safety as a manual run; `attendance_bridge_rollback` undoes a school's run.

The district switches the default with `ATTENDANCE_BRIDGE_END_OF_TERM_MODE=apply` in the
environment of the Airflow components; a manual run or a backfill can choose with
`{"mode": "apply"}` (see README, "End of term").

## What a run leaves

- For every school: the same report as a manual sync (`reports/school_<n>/<run id>__school_<n>/`),
  which also lists the **disagreements** that already exist, days where a student's Daily code
  and bridge-period Meeting code differ; they are reported, never changed.
- The **district summary**: `reports/district/<run id>/summary.html` (and `summary.json`), a row
  per school with its terms, outcome, counts and a link to its report; failed schools with
  their reason. The run fails when a school failed, after writing the summary.

Backfill: `bin/airflow backfill create --dag-id attendance_bridge_end_of_term --from-date
2026-06-01 --to-date 2026-06-05T02:00:00+00:00` gives every past day the same result (end the
range at 02:00 of its last day: the bounds are logical dates, and a plain date is midnight);
rerunning a day adds nothing (X2).
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag
from attendance_bridge import dag_params, wiring
from attendance_bridge.catalog import END_OF_TERM_DAG_ID
from attendance_bridge.config import district_timezone, end_of_term_mode


@dag(
    dag_id=END_OF_TERM_DAG_ID,
    dag_display_name="Attendance bridge end of term (every school)",
    description="Reconcile the Daily and Meeting records of every school whose term ended",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=district_timezone()),
    start_date=pendulum.datetime(2025, 1, 1, tz=district_timezone()),
    catchup=False,
    max_active_runs=1,
    tags=["attendance", "attendance-bridge", "sis", "end-of-term"],
    params={
        "mode": dag_params.mode_param(end_of_term_mode()),
        "absent_periods": dag_params.absent_periods_param(
            "For the schools whose Meeting records are built from Daily: an absence is copied to every period "
            "of the day, only to the bridge period, or to the bridge period and the periods whose teacher took "
            "no attendance that day."
        ),
    },
    default_args=wiring.DEFAULT_ARGS,
)
def attendance_bridge_end_of_term() -> None:
    # The plan, one mapped group of the sync's tasks per school, the district summary (wiring.district_tasks).
    wiring.district_tasks(wiring.find_schools_to_reconcile)


attendance_bridge_end_of_term()
