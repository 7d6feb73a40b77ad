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
from airflow.sdk import CronDataIntervalTimetable, Param, dag, get_current_context, task, task_group
from attendance_bridge import wiring
from attendance_bridge.catalog import END_OF_TERM_DAG_ID, SCHOOL_GROUP
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
        "mode": Param(
            end_of_term_mode(),
            type="string",
            enum=["report", "apply"],
            values_display={
                "report": "Report: dry runs, nothing written to the SIS",
                "apply": "Apply: add the missing records (backup first)",
            },
            title="Mode",
            description="Report: every school's sync is a dry run. Apply: the missing records are added.",
        ),
        "absent_periods": Param(
            "all_periods",
            type="string",
            enum=["all_periods", "bridge_period_only", "untaken_periods"],
            values_display={
                "all_periods": "All periods of the day",
                "bridge_period_only": "Bridge period only",
                "untaken_periods": "Bridge period and periods whose attendance was not taken",
            },
            title="Absences from Daily",
            description="For the schools whose Meeting records are built from Daily: an absence is copied to "
            "every period of the day, only to the bridge period, or to the bridge period and the periods whose "
            "teacher took no attendance that day.",
        ),
    },
    default_args=wiring.DEFAULT_ARGS,
)
def attendance_bridge_end_of_term() -> None:
    @task
    def find_schools_to_reconcile() -> list[dict]:
        return wiring.find_schools_to_reconcile(get_current_context())

    # One sync per school: the sync DAG's tasks (declared once, in wiring.sync_tasks), labelled
    # "school 100 (S1)" in the UI instead of a map index.
    @task_group(group_id=SCHOOL_GROUP, default_args={"map_index_template": "{{ school_label }}"})
    def reconcile_school(school: dict) -> None:
        wiring.sync_tasks(school, SCHOOL_GROUP)

    @task(trigger_rule="all_done", retries=0)
    def write_district_summary(schools: list[dict]) -> dict:
        return wiring.write_district_summary(get_current_context(), schools)

    schools = find_schools_to_reconcile()
    reconcile_school.expand(school=schools) >> write_district_summary(schools)


attendance_bridge_end_of_term()
