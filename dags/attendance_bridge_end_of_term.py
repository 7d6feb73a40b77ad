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
from attendance_bridge import dag_wiring as wiring

GROUP = "reconcile_school"


@dag(
    dag_id="attendance_bridge_end_of_term",
    dag_display_name="Attendance bridge end of term (every school)",
    description="Reconcile the Daily and Meeting records of every school whose term ended",
    doc_md=__doc__,
    schedule=CronDataIntervalTimetable("0 2 * * *", timezone=wiring.district_timezone()),
    start_date=pendulum.datetime(2025, 1, 1, tz=wiring.district_timezone()),
    catchup=False,
    max_active_runs=1,
    tags=["attendance", "attendance-bridge", "sis", "end-of-term"],
    params={
        "mode": Param(
            wiring.end_of_term_mode(),
            type="string",
            enum=["report", "apply"],
            values_display={
                "report": "Report: dry runs, nothing written to the SIS",
                "apply": "Apply: add the missing records (backup first)",
            },
            title="Mode",
            description="Report: every school's sync is a dry run. Apply: the missing records are added.",
        ),
    },
    default_args=wiring.DEFAULT_ARGS,
)
def attendance_bridge_end_of_term() -> None:
    @task
    def find_schools_to_reconcile() -> list[dict]:
        return wiring.find_schools_to_reconcile(get_current_context())

    # Each school's tasks are labelled "school 100 (S1)" in the UI instead of a map index.
    @task_group(group_id=GROUP, default_args={"map_index_template": "{{ school_label }}"})
    def reconcile_school(school: dict) -> None:
        @task
        def check_parameters(school: dict) -> dict:
            return wiring.check_parameters(get_current_context(), school)

        @task
        def extract_school_tables(school: dict, checked: dict) -> dict:
            return wiring.phase("extract_school_tables", get_current_context(), checked, school=school)

        @task
        def validate_preconditions(school: dict, checked: dict, extracted: dict) -> dict:
            return wiring.phase("validate_preconditions", get_current_context(), checked, extracted, school=school)

        @task
        def compute_missing_records(school: dict, checked: dict, extracted: dict, preconditions: dict) -> dict:
            return wiring.phase(
                "compute_missing_records", get_current_context(), checked, extracted, preconditions, school=school
            )

        @task
        def validate_candidates(
            school: dict, checked: dict, extracted: dict, computed: dict, preconditions: dict
        ) -> dict:
            return wiring.phase(
                "validate_candidates", get_current_context(), checked, extracted, computed, preconditions,
                school=school,
            )  # fmt: skip

        @task
        def back_up_school_records(school: dict, checked: dict, preconditions: dict) -> dict:
            return wiring.write_phase("back_up_school_records", get_current_context(), checked, school=school)

        @task
        def load_missing_records(school: dict, checked: dict, computed: dict, candidates: dict, backup: dict) -> dict:
            return wiring.write_phase("load_missing_records", get_current_context(), checked, computed, school=school)

        @task(trigger_rule="all_done", retries=0)
        def write_report(school: dict) -> dict:
            return wiring.write_report(get_current_context(), school, GROUP)

        checked = check_parameters(school)
        extracted = extract_school_tables(school, checked)
        preconditions = validate_preconditions(school, checked, extracted)
        computed = compute_missing_records(school, checked, extracted, preconditions)
        candidates = validate_candidates(school, checked, extracted, computed, preconditions)
        # As in attendance_bridge_sync: the backup runs beside compute and candidates.
        backup = back_up_school_records(school, checked, preconditions)
        loaded = load_missing_records(school, checked, computed, candidates, backup)
        loaded >> write_report(school)

    @task(trigger_rule="all_done", retries=0)
    def write_district_summary(schools: list[dict]) -> dict:
        return wiring.write_district_summary(get_current_context(), schools)

    schools = find_schools_to_reconcile()
    reconcile_school.expand(school=schools) >> write_district_summary(schools)


attendance_bridge_end_of_term()
