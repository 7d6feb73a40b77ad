"""X9 through the real DAG: what one run built is never the source of a later run's records."""

from __future__ import annotations

import pytest
from attendance_bridge.db.extract import read_school_frames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules import bridge_records

from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    assert_landed_exactly,
    assert_lineage_agrees,
    expected_records,
    rows_before,
    run_sync,
)

pytestmark = pytest.mark.integration


def test_daily_records_a_meeting_to_daily_run_built_are_not_copied_into_every_period(sandbox, sync_dag) -> None:
    # School 100 records Meeting: the first run builds Daily records from homeroom's records.
    state, first = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily")
    assert state == "success", first["message"]
    built = first["counts"]["inserted"]
    assert built > 0
    run_ids = {row[0] for row in sandbox.q("SELECT DISTINCT run_id FROM {pipeline}.lineage")}
    assert len(run_ids) == 1

    # Without X9 a daily_to_meeting run would take those copies as sources: an absence copied from
    # homeroom into every period of the day, against what the other teachers took.
    request = BridgeRequest(100, 35, "daily_to_meeting", "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    blind = bridge_records(read_school_frames(sandbox.conn, sandbox.schema, request), request)
    expected = expected_records(sandbox, 100, "daily_to_meeting", "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    assert len(blind.records) > len(expected.records)
    assert expected.counts["ignored_built"] == built

    before = rows_before(sandbox)
    state, second = run_sync(sync_dag, school_number=100, year=35, direction="daily_to_meeting")
    assert state == "success", second["message"]
    assert second["counts"]["ignored_built"] == built
    assert second["counts"]["inserted"] == len(expected.records)
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, second, before)
    copied_from_copies = sandbox.q(
        "SELECT count(*) FROM {pipeline}.lineage AS later JOIN {pipeline}.lineage AS earlier "
        "ON earlier.row_id = later.source_attendance_id AND earlier.table_name = 'attendance' "
        "WHERE later.run_id <> earlier.run_id"
    )[0][0]
    assert copied_from_copies == 0
