"""The Airflow services helper: a backfill of a daily DAG, run by the real scheduler."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from attendance_bridge.dev.embedded_postgres import SisConnection

from tests.support.airflow_services import running_airflow

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAGS_FOLDER = Path(__file__).resolve().parents[1] / "support" / "airflow_services_dags"
DAG_ID = "smoke_backfill"
DAYS = [datetime(2026, 1, day, tzinfo=UTC) for day in (2, 3, 4)]
# Only a hang reaches it: the three runs took 50 s beside other jobs on a 2-core machine.
RUN_TIMEOUT = 900


def test_a_backfill_of_three_days_runs_three_successful_runs(
    sis_server: SisConnection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    output = tmp_path_factory.mktemp("smoke_output")
    started = time.monotonic()
    with running_airflow(
        sis_server,
        DAGS_FOLDER,
        tmp_path_factory.mktemp("airflow_home"),
        wait_for_dag=DAG_ID,
        extra_env={"SMOKE_BACKFILL_OUTPUT": str(output)},
    ) as airflow:
        ready = time.monotonic()
        airflow.unpause(DAG_ID)
        airflow.cli(
            "backfill", "create", "--dag-id", DAG_ID,
            "--from-date", DAYS[0].date().isoformat(), "--to-date", DAYS[-1].date().isoformat(),
        )  # fmt: skip
        runs = airflow.wait_for_runs(DAG_ID, count=len(DAYS), timeout=RUN_TIMEOUT, run_type="backfill")
        task_states = {run.run_id: airflow.task_instances(DAG_ID, run.run_id) for run in runs}
        memory = airflow.memory_rss()
    print(
        f"start-up {ready - started:.1f}s, total {time.monotonic() - started:.1f}s, "
        f"memory {', '.join(f'{name} {rss / 2**20:.0f} MiB' for name, rss in memory.items())}"
    )

    assert [(run.logical_date, run.state, run.run_type) for run in runs] == [
        (day, "success", "backfill") for day in DAYS
    ]
    for run_id, instances in task_states.items():
        assert [(ti.task_id, ti.state) for ti in instances] == [
            ("describe_interval", "success"), ("write_interval", "success"),
        ], run_id  # fmt: skip
    written = {path.name: json.loads(path.read_text()) for path in output.glob("*.json")}
    assert written == {
        f"{day.date().isoformat()}.json": {"start": day.isoformat(), "end": (day + timedelta(days=1)).isoformat()}
        for day in DAYS
    }
