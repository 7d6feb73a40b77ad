"""
# Attendance bridge: finish a sync run whose process ended

A sync run's last task writes its run log row and its report. When the process running the run
was killed after its records were loaded (a worker lost, `airflow dags test` stopped), that
never happens: the records are in the SIS, and the run log still says `running`, so the
rollback refuses the run. Airflow's scheduler normally retries the task or runs `write_report`
anyway, which then reads the load log; without a scheduler, run this DAG.

It reads what the run's load recorded in its own transaction (the load log) and its lineage,
under the school's load lock, and closes the run's run log row: **succeeded** with what is in
the SIS when a load committed, **failed** (nothing of it in the SIS) when none did. It writes the
run's `report.json` and page. A run whose run log already says how it ended is left as it is.

Only finish a run whose Airflow run has ended.

```sh
bin/airflow dags test attendance_bridge_finish_run --conf '{"school_number": 100, "run_id": "manual__2026-03-02T10:15:00+00:00"}'
```
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.sdk.definitions.param import ParamsDict
from attendance_bridge import wiring
from attendance_bridge.catalog import FINISH_RUN_DAG_ID

PARAMS = ParamsDict(
    {
        "school_number": Param(
            type="integer",
            title="School number",
            description="The school of the sync run (schools.school_number), e.g. 100.",
        ),
        "run_id": Param(
            type="string",
            title="Sync run to finish",
            description="The run id of the attendance_bridge_sync run (or of one school's part of an end-of-term "
            "run) whose run log row still says running.",
        ),
    }
)


@dag(
    dag_id=FINISH_RUN_DAG_ID,
    dag_display_name="Attendance bridge: finish a sync run whose process ended",
    description="Close the run log of a sync run whose process ended before it could, from its load log",
    doc_md=__doc__,
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["attendance", "attendance-bridge", "sis", "repair"],
    params=PARAMS,
    default_args=wiring.DEFAULT_ARGS,
    render_template_as_native_obj=False,
)
def attendance_bridge_finish_run() -> None:
    @task
    def finish() -> dict:
        return wiring.finish_run(get_current_context())

    finish()


attendance_bridge_finish_run()
