"""
# Attendance bridge sync: rebuild one school's missing Daily or Meeting records

A school that switched between **Daily** and **Meeting** attendance during the year has no
records of the other kind for the months before the switch. This DAG rebuilds them for
**one school** over a range of its calendar, following the SIS vendor's
*Attendance Synchronization* page (rules in `docs/rules.md`, decisions in `docs/decisions.md`).

## What a run does

1. `check_parameters`: the parameters below, the school (P1) and the year term (P2).
2. `extract_school_tables`: the school's calendar, schedules, enrolments and attendance of
   the range, staged as Parquet files for this run.
3. `validate_preconditions`: Great Expectations checks P3-P6 (recording method, bridge
   setting, bridge period of every bell schedule in use, attendance codes). A failure stops
   the run here, before anything is written, and says which rule, school and object.
4. `compute_missing_records`: the records to insert (rules M1-M4 or D1-D6).
5. `validate_candidates`: unique keys, existing references, nothing already in the SIS.
6. `back_up_school_records`: a verified snapshot of the school's attendance in the range (X6).
   It needs only the preconditions, so it runs beside steps 4 and 5.
7. `load_missing_records`: after both the candidate checks and the backup, one transaction
   under the school's lock; existing records are never changed (X1), a rerun inserts nothing
   (X2), it all lands or nothing does (X4).
8. `write_report`: the run report (JSON) next to the validation results, and the run log.

A **dry run** (`dry_run: true`) skips steps 6 and 7 and reports the same counts.

## Where to look afterwards

- **The run's report page**: `reports/school_<number>/<run id>/report.html` (or under
  `ATTENDANCE_BRIDGE_REPORTS`): parameters, preconditions (and the warnings of checks that do
  not stop a run), counts, a weekly chart, the conflicts and mismatches with CSV downloads, phase
  times; it prints on paper too. The `write_report` task log prints its path, and a failed run's
  message ends with it. Next to it: `report.json`, the Great Expectations results
  (`*_validation.json`) and their Data Docs site (`data_docs/index.html`).
- **Every run, newest first**: `reports/index.html`, filterable by school and status.
- The run log, the lineage of every inserted row and the backups: the `attendance_bridge`
  schema of the SIS database (`run_log`, `lineage`, `backup*`).

Retries: transient database errors are retried; refusals and data errors are not.

## Undoing a run

The DAG `attendance_bridge_rollback` deletes exactly the rows a run inserted (X7), or refuses
with a list when any was changed since; see `docs/safety.md`.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag
from airflow.sdk.definitions.param import ParamsDict
from attendance_bridge import dag_params, wiring
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.domain.request import school_year_proposals

PARAMS = ParamsDict(
    {
        "school_number": Param(
            type="integer",
            title="School number",
            description="The school's number in the SIS (schools.school_number), e.g. 100. "
            "The district office (0) cannot be synchronized.",
        ),
        "year": Param(
            None,
            # "string" first, with proposals: Airflow's trigger form then draws one line of text (a field of
            # several types without proposals is a six-line JSON box); a CLI conf may still give 35 as a number.
            type=["null", "string", "integer"],
            examples=school_year_proposals(pendulum.today("UTC").date()),
            title="School year",
            description='A school year such as "2025-2026", or its yearid (35 is 2025-2026). '
            "Empty: the school year whose year term contains the run's logical date.",
        ),
        "direction": Param(
            "auto",
            type="string",
            enum=["auto", "meeting_to_daily", "daily_to_meeting"],
            values_display={
                "auto": "Automatic: from the school's current recording method",
                "meeting_to_daily": "From Meeting, build Daily",
                "daily_to_meeting": "From Daily, build Meeting",
            },
            title="Direction",
            description="Which records to build. Automatic: a school currently recording Meeting gets its "
            "Daily records built, and the other way round.",
        ),
        "absent_periods": dag_params.absent_periods_param(
            "From Daily, build Meeting: an absence is copied to every period of the day, only to the bridge "
            "period, or to the bridge period and the periods whose teacher took no attendance that day (a period "
            "without a record means present once its teacher took attendance)."
        ),
        "start_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="First day",
            description="First day of the range (YYYY-MM-DD). Empty: the first day of the year term.",
        ),
        "end_date": Param(
            None,
            type=["null", "string"],
            format="date",
            title="Last day",
            description="Last day of the range (YYYY-MM-DD). Empty: the last day of the year term.",
        ),
        "dry_run": Param(
            False,
            type="boolean",
            title="Dry run",
            description="Compute, validate and report the same numbers, but write nothing to the SIS.",
        ),
        "follow_sources": Param(
            True,
            type="boolean",
            title="Follow corrected sources",
            description="Records an earlier run built whose source was corrected since (a code changed, a record "
            "deleted, a day taken out of session) are recoded or withdrawn, and what the corrected sources imply "
            "is built. Off: the run only adds missing records.",
        ),
    }
)


@dag(
    dag_id=SYNC_DAG_ID,
    dag_display_name="Attendance bridge sync (one school)",
    description="Rebuild one school's missing Daily or Meeting attendance records",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=4,
    tags=["attendance", "attendance-bridge", "sis"],
    params=PARAMS,
    default_args=wiring.DEFAULT_ARGS,
    render_template_as_native_obj=False,
)
def attendance_bridge_sync() -> None:
    wiring.sync_tasks()


attendance_bridge_sync()
