"""``airflow backfill create`` of the end-of-term DAG, run by the real scheduler on the demo district.

The DAG runs at 02:00 UTC (the tests' district timezone) for the day before: the backfill run
with logical date 2026-06-05T02:00Z has the data interval [06-05 02:00, 06-06 02:00) and covers
5 June, the last day of both demo schools' year term and Semester 2. No term ends on 3 or 4 June.

Backfill bounds are datetimes, compared with the runs' **logical dates** (inclusive): a plain
``--to-date 2026-06-05`` is midnight and leaves out the 02:00 run of 5 June, so the test gives
``--to-date 2026-06-05T02:00:00+00:00`` (and ``--from-date 2026-06-05 --to-date 2026-06-05``
alone would find no run at all).

Airflow 3.3 allows one unfinished backfill per DAG, and the scheduler marks a backfill complete
on its own 30-second timer, so the second backfill waits for the first one's ``completed_at``.
With ``--reprocess-behavior completed`` a backfill does not create a new run for a date that has
a finished run: it clears that run (same run id, run state queued, tasks' try numbers go up),
and the scheduler runs it again. A backfill run's id is named after its ``run_after`` (the end
of its data interval), not its logical date: the run of 5 June is
``backfill__2026-06-06T02:00:00+00:00``.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from attendance_bridge.dev.embedded_postgres import SisConnection
from attendance_bridge.domain.reconciliation import school_run_id
from attendance_bridge.reporting.run_folders import run_folder_name

from tests.support.airflow_services import AirflowServices, running_airflow
from tests.support.sync_sandbox import (
    ROOT,
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    Sandbox,
    assert_landed_exactly,
    expected_records,
    rows_before,
    snapshot,
    task_environment,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

DAG_ID = "attendance_bridge_end_of_term"
GROUP = "reconcile_school"
SCHOOLS = (100, 200)
# The direction auto picks from each demo school's current recording method (P3).
AUTO_DIRECTION = {100: "meeting_to_daily", 200: "daily_to_meeting"}
NO_TERM_END_DAYS = (datetime(2026, 6, 3, 2, tzinfo=UTC), datetime(2026, 6, 4, 2, tzinfo=UTC))
TERM_END_DAY = datetime(2026, 6, 5, 2, tzinfo=UTC)
# The run of TERM_END_DAY's logical date is the last one: an inclusive bound on the logical date.
TO_DATE = TERM_END_DAY.isoformat()
APPLY = json.dumps({"mode": "apply"})
RUN_TIMEOUT = 600


def summary_path(sandbox: Sandbox, run_id: str) -> Path:
    return sandbox.reports / "district" / run_folder_name(DAG_ID, run_id) / "summary.json"


def school_report(sandbox: Sandbox, run_id: str, school: int) -> dict:
    """The run report of one school's sync inside the end-of-term run ``run_id``."""
    school_run = run_folder_name(DAG_ID, school_run_id(run_id, f"school_{school}"))
    return json.loads((sandbox.reports / f"school_{school}" / school_run / "report.json").read_text())


def backfills(airflow: AirflowServices) -> list[tuple[int, datetime | None]]:
    """(id, completed_at) of every backfill of the DAG, oldest first."""
    return airflow.query("SELECT id, completed_at FROM backfill WHERE dag_id = %s ORDER BY id", (DAG_ID,))


def wait_for_backfill_complete(airflow: AirflowServices, backfill_id: int, timeout: float) -> None:
    """Wait until the scheduler has marked the backfill complete (every run of it finished)."""
    airflow.wait_until(
        f"backfill {backfill_id} to be marked complete",
        lambda: dict(backfills(airflow)).get(backfill_id) is not None,
        timeout,
    )


def run_row(airflow: AirflowServices, run_id: str) -> tuple:
    """(state, end_date, backfill_id, conf) of one run."""
    return airflow.query(
        "SELECT state, end_date, backfill_id, conf FROM dag_run WHERE dag_id = %s AND run_id = %s", (DAG_ID, run_id)
    )[0]


def task_tries(airflow: AirflowServices, run_id: str) -> dict[tuple[str, int], tuple[str | None, int]]:
    """{(task id, map index): (state, try number)} of one run."""
    rows = airflow.query(
        "SELECT task_id, map_index, state, try_number FROM task_instance WHERE dag_id = %s AND run_id = %s",
        (DAG_ID, run_id),
    )
    return {(task, index): (state, tries) for task, index, state, tries in rows}


def test_a_backfill_over_a_term_end_applies_each_school_once_and_a_rerun_adds_nothing(
    sandbox: Sandbox, sis_server: SisConnection, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The rules engine's result for each school's whole year, from the SIS as it is before the backfill.
    engines = {
        school: expected_records(sandbox, school, AUTO_DIRECTION[school], "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
        for school in SCHOOLS
    }
    expected = pd.concat([engines[school].records for school in SCHOOLS], ignore_index=True)
    candidates = {school: engines[school].counts["candidates"] for school in SCHOOLS}
    assert all(count > 0 for count in candidates.values())
    before = rows_before(sandbox)
    home = tmp_path_factory.mktemp("airflow_home")

    started = time.monotonic()
    with running_airflow(sis_server, ROOT / "dags", home, wait_for_dag=DAG_ID, extra_env=task_environment()) as airflow:
        ready = time.monotonic()
        airflow.unpause(DAG_ID)

        # ---------------------------------------------------------------- first backfill: 3 days, apply
        airflow.cli(
            "backfill", "create", "--dag-id", DAG_ID, "--from-date", "2026-06-03", "--to-date", TO_DATE,
            "--dag-run-conf", APPLY,
        )  # fmt: skip
        runs = airflow.wait_for_runs(DAG_ID, count=3, timeout=RUN_TIMEOUT, run_type="backfill")
        ((first_id, _),) = backfills(airflow)
        # Only one unfinished backfill per DAG: the scheduler marks it complete every 30 s.
        wait_for_backfill_complete(airflow, first_id, timeout=600)
        first_backfill = time.monotonic()
        first_instances = {run.run_id: airflow.task_instances(DAG_ID, run.run_id) for run in runs}
        term_end_run = runs[-1].run_id
        first_row = run_row(airflow, term_end_run)
        first_tries = task_tries(airflow, term_end_run)
        after_first = snapshot(sandbox)
        first_reports = {school: school_report(sandbox, term_end_run, school) for school in SCHOOLS}
        first_summary = json.loads(summary_path(sandbox, term_end_run).read_text())
        # What the rules engine says about the SIS now: nothing is missing any more.
        engines_after = {
            school: expected_records(
                sandbox, school, AUTO_DIRECTION[school], "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY
            ).counts
            for school in SCHOOLS
        }

        # ---------------------------------------------------------------- second backfill: the term end again
        airflow.cli(
            "backfill", "create", "--dag-id", DAG_ID, "--from-date", TO_DATE, "--to-date", TO_DATE,
            "--dag-run-conf", APPLY, "--reprocess-behavior", "completed",
        )  # fmt: skip
        second_id = max(backfill_id for backfill_id, _ in backfills(airflow))
        assert second_id != first_id
        # The run count does not change: wait for the backfill to finish and the run to end again.
        wait_for_backfill_complete(airflow, second_id, timeout=RUN_TIMEOUT)
        second_row = airflow.wait_until(
            "the reprocessed run to finish",
            lambda: (
                (row := run_row(airflow, term_end_run))[0] in ("success", "failed")
                and row[1] is not None
                and row[1] > first_row[1]
                and row
            ),
            timeout=300,
        )
        second_backfill = time.monotonic()
        runs_after = airflow.dag_runs(DAG_ID)
        second_tries = task_tries(airflow, term_end_run)
        second_links = airflow.query(
            "SELECT dag_run_id, exception_reason FROM backfill_dag_run WHERE backfill_id = %s", (second_id,)
        )
    print(
        f"\nend-of-term backfill: start-up {ready - started:.1f}s, first backfill {first_backfill - ready:.1f}s, "
        f"second backfill {second_backfill - first_backfill:.1f}s"
    )

    # 1. Three backfill runs, one per day, all succeeded.
    assert [(run.logical_date, run.state, run.run_type) for run in runs] == [
        (day, "success", "backfill") for day in (*NO_TERM_END_DAYS, TERM_END_DAY)
    ]
    for run in runs[:2]:
        instances = first_instances[run.run_id]
        succeeded = {ti.task_id for ti in instances if ti.state == "success"}
        assert succeeded == {"find_schools_to_reconcile", "write_district_summary"}, (run.run_id, instances)
        assert not [ti for ti in instances if ti.task_id.startswith(f"{GROUP}.") and ti.state == "success"]
        # A day without a term end has a summary that says so (issue 29), so its Report tab is not empty.
        quiet = json.loads(summary_path(sandbox, run.run_id).read_text())
        assert quiet["schools"] == [] and quiet["nothing_to_reconcile"].startswith("nothing to reconcile on ")
    group_tasks = {ti.task_id for ti in first_instances[term_end_run] if ti.task_id.startswith(f"{GROUP}.")}
    assert len(group_tasks) == 8
    for ti in first_instances[term_end_run]:
        if ti.task_id.startswith(f"{GROUP}."):
            assert ti.map_index in (0, 1), ti
            assert ti.state == "success", ti
    assert {(ti.task_id, ti.map_index) for ti in first_instances[term_end_run]} >= {
        (task, index) for task in group_tasks for index in (0, 1)
    }
    assert first_row[3] == {"mode": "apply"}
    assert first_summary["mode"] == "apply" and first_summary["outcome"] == "succeeded"
    assert first_summary["interval"]["first_day"] == first_summary["interval"]["last_day"] == "2026-06-05"
    assert [(row["school_number"], row["outcome"], row["dry_run"]) for row in first_summary["schools"]] == [
        (100, "succeeded", False), (200, "succeeded", False),
    ]  # fmt: skip
    assert first_summary["failed"] == [] and first_summary["left_out"] == []

    # 2. What landed is what the rules engine builds for each school's year, in the direction auto picks.
    assert_landed_exactly(sandbox, before, expected)
    for school in SCHOOLS:
        report = first_reports[school]
        assert report["status"] == "succeeded" and report["dry_run"] is False
        assert report["resolved"]["direction"] == AUTO_DIRECTION[school]
        assert report["counts"]["candidates"] == candidates[school]
        assert report["counts"]["inserted"] == candidates[school]

    # 3. The interval again: the same run is cleared and run again, and it adds nothing.
    assert [(backfill_id, exception) for backfill_id, exception in second_links] == [(second_links[0][0], None)]
    assert [run.run_id for run in runs_after] == [run.run_id for run in runs]  # no new run
    assert second_row[0] == "success" and second_row[2] == second_id
    # Cleared, not recreated: every task instance ran once more.
    assert {key: (state, tries + 1) for key, (state, tries) in first_tries.items()} == second_tries
    assert snapshot(sandbox) == after_first
    second_summary = json.loads(summary_path(sandbox, term_end_run).read_text())
    assert second_summary["outcome"] == "succeeded" and second_summary["written_at"] != first_summary["written_at"]
    second_reports = {school: school_report(sandbox, term_end_run, school) for school in SCHOOLS}
    for school in SCHOOLS:
        first, second = first_reports[school]["counts"], second_reports[school]["counts"]
        print(
            f"school {school}: first run candidates {first['candidates']}, inserted {first['inserted']}, "
            f"skipped_existing {first['skipped_existing']}; rerun candidates {second['candidates']}, "
            f"inserted {second['inserted']}, skipped_existing {second['skipped_existing']}"
        )
        assert second_reports[school]["status"] == "succeeded" and second_reports[school]["dry_run"] is False
        assert second["candidates"] == engines_after[school]["candidates"] == 0
        # The run id's records are still in the SIS, so its report still says so (from its lineage), and a
        # warning that an earlier execution of the run inserted them.
        assert second["inserted"] == first["inserted"] == candidates[school]
        assert any("earlier execution of this run" in warning for warning in second_reports[school]["warnings"])
        # The records the first run added are now among those that exist: skipped, as the engine says.
        assert second["skipped_existing"] == engines_after[school]["skipped_existing"]
        assert second["skipped_existing"] == first["skipped_existing"] + candidates[school]
