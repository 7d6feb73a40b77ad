"""make bench's account of a warm run (issue 21): where (run - floor) goes, against the SQL reference."""

from __future__ import annotations

import pytest
from attendance_bridge.catalog import SYNC_TASK_IDS

from bench.dag_runs import NO_COUNTERPART, warm_accounting


def test_every_second_of_a_warm_run_is_accounted_for_once() -> None:
    tasks = dict.fromkeys(SYNC_TASK_IDS, 0.25) | {"back_up_school_records": 0.5, "load_missing_records": 1.5}
    result = {
        "reference": {"backup": 0.2, "insert": 0.8, "total": 1.0},
        "warm": {"sync": {"run_seconds": 6.0, "tasks": tasks}, "floor": {"run_seconds": 1.0}},
    }
    account = warm_accounting(result)
    assert account["no_counterpart"] == pytest.approx(0.25 * len(NO_COUNTERPART))
    assert account["backup_over_reference"] == pytest.approx(0.3)
    assert account["load_over_reference"] == pytest.approx(0.7)
    assert account["airflow_between_tasks"] == pytest.approx(5.0 - sum(tasks.values()))
    # run - floor = the reference's own work + everything above, so the account adds up.
    parts = ("no_counterpart", "backup_over_reference", "load_over_reference", "airflow_between_tasks")
    assert sum(account[key] for key in parts) + 1.0 == pytest.approx(5.0)
    assert account["lowest_ratio"] == pytest.approx(1 + 0.25 * len(NO_COUNTERPART))


def test_the_tasks_without_a_counterpart_are_sync_tasks_other_than_backup_and_load() -> None:
    assert set(NO_COUNTERPART) == set(SYNC_TASK_IDS) - {"back_up_school_records", "load_missing_records"}
