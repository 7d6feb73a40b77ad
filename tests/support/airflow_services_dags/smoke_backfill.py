"""A daily DAG for the smoke test of `tests/support/airflow_services.py`.

Each run writes its data interval to `<$SMOKE_BACKFILL_OUTPUT>/<data interval start date>.json`,
so the test can check which intervals a backfill ran.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import CronDataIntervalTimetable, dag, task

OUTPUT_ENV = "SMOKE_BACKFILL_OUTPUT"


@dag(
    # A data-interval timetable: each run covers the whole day it is named after.
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    doc_md=__doc__,
)
def smoke_backfill():
    @task
    def describe_interval(data_interval_start=None, data_interval_end=None) -> dict[str, str]:
        """The run's data interval, as ISO strings."""
        return {"start": data_interval_start.isoformat(), "end": data_interval_end.isoformat()}

    @task
    def write_interval(interval: dict[str, str]) -> str:
        """Write the interval to a file named after its first day; return the path."""
        import json
        import os
        from pathlib import Path

        folder = Path(os.environ[OUTPUT_ENV])
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{interval['start'][:10]}.json"
        path.write_text(json.dumps(interval))
        return str(path)

    write_interval(describe_interval())


smoke_backfill()
