"""``airflow backfill create`` of the nightly bridge, run by the real scheduler on the demo district.

Five nights (Monday 6 to Friday 10 October 2025): the backfill runs have the logical dates
2025-10-06T02:00Z to 2025-10-10T02:00Z, whose data intervals cover those five days (the tests'
district timezone is UTC). Lincoln High (100) is two-way, Roosevelt Middle (200) one-way. The
nights land what the rules engine builds for the same three syncs over the five days at once:
X2 across days, and X9, which keeps a night's two syncs of school 100 apart whichever ends first.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from attendance_bridge.catalog import NIGHTLY_DAG_ID
from attendance_bridge.dev.embedded_postgres import SisConnection
from attendance_bridge.reporting.run_folders import run_folder_name

from tests.support.airflow_services import running_airflow
from tests.support.sync_sandbox import (
    ROOT,
    Sandbox,
    assert_landed_exactly,
    expected_records,
    rows_before,
    task_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

NIGHTS = [datetime(2025, 10, day, 2, tzinfo=UTC) for day in range(6, 11)]
FIRST_DAY, LAST_DAY = date(2025, 10, 6), date(2025, 10, 10)
SYNCS = [(100, "meeting_to_daily"), (100, "daily_to_meeting"), (200, "meeting_to_daily")]
RUN_TIMEOUT = 600


def test_a_backfill_of_five_nights_lands_what_the_five_nights_build(
    sandbox: Sandbox, sis_server: SisConnection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    engines = [
        expected_records(sandbox, school, direction, "bridge_period_only", FIRST_DAY, LAST_DAY)
        for school, direction in SYNCS
    ]
    expected = pd.concat([engine.records for engine in engines], ignore_index=True)
    assert {int(school) for school in expected["schoolid"]} == {100, 200}
    before = rows_before(sandbox)
    home = tmp_path_factory.mktemp("airflow_home")

    with running_airflow(
        sis_server, ROOT / "dags", home, wait_for_dag=NIGHTLY_DAG_ID, extra_env=task_environment()
    ) as airflow:
        airflow.unpause(NIGHTLY_DAG_ID)
        airflow.cli(
            "backfill", "create", "--dag-id", NIGHTLY_DAG_ID, "--from-date", NIGHTS[0].isoformat(),
            "--to-date", NIGHTS[-1].isoformat(), "--dag-run-conf", json.dumps({"mode": "apply"}),
        )  # fmt: skip
        runs = airflow.wait_for_runs(NIGHTLY_DAG_ID, count=len(NIGHTS), timeout=RUN_TIMEOUT, run_type="backfill")

    assert [(run.logical_date, run.state) for run in runs] == [(night, "success") for night in NIGHTS]
    assert_landed_exactly(sandbox, before, expected)
    for run, night in zip(runs, NIGHTS, strict=True):
        summary = json.loads((sandbox.reports / "district" / run_folder_name(NIGHTLY_DAG_ID, run.run_id) / "summary.json").read_text())
        assert summary["interval"]["first_day"] == summary["interval"]["last_day"] == night.date().isoformat()
        assert [(row["school_number"], row["direction"], row["outcome"]) for row in summary["schools"]] == [
            (school, direction, "succeeded") for school, direction in SYNCS
        ]
