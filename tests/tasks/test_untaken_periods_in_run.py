"""D7 through the real DAG on the demo district: possible false absences are warned about and
listed under all_periods, and left out under untaken_periods."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    assert_landed_exactly,
    assert_lineage_agrees,
    expected_records,
    rows_before,
    run_report_folder,
    run_sync,
    snapshot,
)

pytestmark = pytest.mark.integration


def test_possible_false_absences_are_listed_under_all_periods_and_left_out_under_untaken_periods(
    sandbox, sync_dag
) -> None:
    every = expected_records(sandbox, 100, "daily_to_meeting", "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    untaken = expected_records(sandbox, 100, "daily_to_meeting", "untaken_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    possible = every.counts["possible_false_absences"]
    assert possible > 0, "the demo district has absences copied where a teacher took attendance"
    assert untaken.counts["skipped_taken"] == possible
    assert len(untaken.records) == len(every.records) - possible

    # all_periods, as a dry run: the same counts, the warning, the list; nothing written (X8).
    unchanged = snapshot(sandbox)
    state, dry = run_sync(sync_dag, school_number=100, year=35, direction="daily_to_meeting", dry_run=True)
    assert state == "success", dry["message"]
    assert snapshot(sandbox) == unchanged
    assert dry["counts"]["possible_false_absences"] == possible
    assert any(warning.startswith(f"D7: {possible} of the records built") for warning in dry["warnings"])
    folder = next(Path(run_report_folder()).glob("*/*/report.json")).parent
    with (folder / "possible_false_absences.csv").open() as handle:
        listed = list(csv.DictReader(handle))
    assert len(listed) == possible
    assert {row["rule"] for row in listed} == {"D7"}

    # untaken_periods, applied: exactly the engine's records, the taken periods left out and counted.
    before = rows_before(sandbox)
    state, report = run_sync(
        sync_dag, school_number=100, year=35, direction="daily_to_meeting", absent_periods="untaken_periods"
    )
    assert state == "success", report["message"]
    assert report["resolved"]["absent_periods"] == "untaken_periods"
    assert report["counts"]["skipped_taken"] == possible
    assert report["counts"]["possible_false_absences"] == 0
    assert not any(warning.startswith("D7") for warning in report["warnings"])
    assert_landed_exactly(sandbox, before, untaken.records)
    assert_lineage_agrees(sandbox, report, before)
