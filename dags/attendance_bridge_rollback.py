"""
# Attendance bridge rollback: undo one sync run exactly (X7)

Removes the attendance and attendance_time records **one run** of `attendance_bridge_sync`
inserted (or one school's sync in an `attendance_bridge_end_of_term` run, whose run id ends in
`__school_<number>`), and nothing else, in one transaction. Use it when a run should not have happened:
the wrong school, range or direction, or records the school does not want after all. Every
record a run inserts is listed in its lineage, with a fingerprint (md5) of the whole row as it
was inserted; the rollback deletes exactly those rows.

## What a run does

1. `plan_rollback`: finds the sync run (the one given, or the school's latest run whose records
   are still in the SIS) and checks every row it inserted against the SIS. It **refuses, and
   deletes nothing**, when any of them was changed or deleted since the run, or when a record
   the run did not insert refers to one of them (a teacher's time row, or a record a later run
   built from it); its report lists each such row (table, id, student, day, what happened), so
   the auditor can decide. It also refuses an unknown run id, a run of another school, a dry
   run, a failed run, a run that is still running and a run that inserted nothing.
2. `roll_back`: under the school's load lock, with other writers of attendance held off for the
   moment it takes, checks again and deletes the rows (attendance_time first, then attendance).
   The sync run's run log row becomes `rolled_back`, with when, by whom and this run's id; the
   lineage rows stay, marked with the rollback and the row as it was deleted.
3. `write_report`: the rollback's report (JSON) and its own run log row.

Rolling back a run that is already rolled back does nothing and succeeds. **Plan only**
(`dry_run: true`) does step 1 and reports what would be deleted.

## Where to look afterwards

- The report and the plan (every problem found): `reports/school_<number>/<this run's id>/`
  (`report.json`, `plan.json`), or under `ATTENDANCE_BRIDGE_REPORTS`.
- The run log (`run_log`: the sync run's `status`, `rolled_back_at`, `rolled_back_by`,
  `rollback_run_id`) and the lineage (`rolled_back_at`, `removed_row`) in the
  `attendance_bridge` schema of the SIS database.

How to run it and what it refuses: `docs/safety.md`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.definitions.param import ParamsDict
from attendance_bridge import wiring
from attendance_bridge.catalog import ROLLBACK_DAG_ID

PARAMS = ParamsDict(
    {
        "school_number": Param(
            type="integer",
            title="School number",
            description="The school whose sync run is undone (schools.school_number), e.g. 100.",
        ),
        "run_id": Param(
            None,
            type=["null", "string"],
            title="Sync run to undo",
            description="The run id in the sync run's report: an attendance_bridge_sync run "
            "(e.g. manual__2026-03-02T10:15:00+00:00) or one school's part of an end-of-term run "
            "(e.g. scheduled__2026-06-05T02:00:00+00:00__school_100). Empty: the school's latest sync "
            "run whose records are still in the SIS.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Plan only",
            description="Check the run's records and report what would be deleted, but delete nothing.",
        ),
        "allow_rows_from_older_versions": Param(
            False,
            type="boolean",
            title="Allow rows loaded by older versions",
            description="Rows loaded before migration 0004 have no fingerprint (md5), and rows loaded before 0007 "
            "were not checked by the database when their lineage was written; they are refused unless this is set, "
            "and then compared on what their lineage knows.",
        ),
    }
)


@dag(
    dag_id=ROLLBACK_DAG_ID,
    dag_display_name="Attendance bridge rollback (one sync run)",
    description="Undo one attendance bridge sync run: delete exactly the records it inserted",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["attendance", "attendance-bridge", "sis", "rollback"],
    params=PARAMS,
    default_args=wiring.DEFAULT_ARGS,
    render_template_as_native_obj=False,
)
def attendance_bridge_rollback() -> None:
    @task
    def plan_rollback() -> dict:
        return wiring.plan_rollback(get_current_context())

    @task
    def roll_back(plan: dict) -> dict:
        return wiring.roll_back(get_current_context(), plan)

    @task(trigger_rule="all_done", retries=0)
    def write_report() -> dict:
        return wiring.write_rollback_report(get_current_context())

    # The report waits for both tasks, whatever their state: a plan-only run skips roll_back.
    planned = plan_rollback()
    [planned, roll_back(planned)] >> write_report()


attendance_bridge_rollback()
