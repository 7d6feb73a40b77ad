"""Every count the engine and the load report has its place in the catalog (SPEC section 6).

The run report keeps only the catalog's counts, in the catalog's order, with the catalog's labels; a
count computed but missing from ``catalog.COUNTS`` would never reach report.json, the page, the run log
or the district summary. This test fails instead.
"""

from __future__ import annotations

from dataclasses import asdict

import pytest
from attendance_bridge.catalog import COUNT_NAMES, COUNTS
from attendance_bridge.config import DAILY_TO_MEETING, MEETING_TO_DAILY
from attendance_bridge.db.load import LoadResult
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.reporting.run_report import report_counts

from tests.support.tiny_school import EXCUSED, HR, MON, daily, meeting, request, school


@pytest.mark.parametrize("direction", [MEETING_TO_DAILY, DAILY_TO_MEETING])
def test_every_count_the_engine_makes_is_in_the_catalog(direction: str) -> None:
    frames = school(daily(1, 1, MON, EXCUSED), meeting(2, 2, MON, EXCUSED, 9001, HR))
    counts = bridge_records(frames, request(direction)).counts
    assert counts["candidates"] > 0
    assert set(counts) <= set(COUNT_NAMES), set(counts) - set(COUNT_NAMES)
    # What the report makes of them keeps every one, and adds the load's.
    reported = report_counts(counts, {}, dry_run=False)
    assert set(counts) <= set(reported)


def test_every_count_the_load_reports_is_in_the_catalog() -> None:
    loaded = LoadResult(
        inserted_attendance=5, inserted_attendance_time=2, skipped_existing=1, seconds=0.1,
        skipped_source_changed=3, declined_by_database=4,
    )  # fmt: skip
    reported = report_counts({}, asdict(loaded), dry_run=False)
    assert reported == {
        "inserted": 5, "inserted_attendance_time": 2, "skipped_existing": 1, "skipped_source_changed": 3,
        "declined_by_database": 4,
    }  # fmt: skip
    assert set(reported) <= set(COUNT_NAMES)


def test_each_count_is_in_the_catalog_once_with_a_label() -> None:
    assert len(COUNT_NAMES) == len(set(COUNT_NAMES))
    assert all(count.label for count in COUNTS)
