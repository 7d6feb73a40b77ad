"""The attendance_bridge_sync DAG run for real (``dag.test()``) against a real PostgreSQL.

Every test gets a freshly generated demo district in a schema of its own, its own pipeline
schema and report folder. What lands in the SIS is compared row for row with what the rules
engine says should land, and every row that existed before the run is checked unchanged.
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    assert_backup_agrees,
    assert_landed_exactly,
    assert_lineage_agrees,
    attendance_rows_in_range,
    expected_records,
    old_rows_checksum,
    rows_before,
    run_sync,
    snapshot,
)

pytestmark = pytest.mark.integration


def test_meeting_to_daily_auto_lands_exactly_the_engine_records_and_a_rerun_inserts_nothing(sandbox, sync_dag) -> None:
    # School 100 records Meeting now, so auto means "From Meeting, build Daily" (P3).
    expected = expected_records(sandbox, 100, "meeting_to_daily", "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    assert len(expected.records) > 0
    before, in_range = rows_before(sandbox), attendance_rows_in_range(sandbox, 100, YEAR_FIRST_DAY, YEAR_LAST_DAY)
    untouched = {
        table: value for table, value in snapshot(sandbox).items() if table not in ("attendance", "attendance_time")
    }
    old = old_rows_checksum(sandbox, before)

    state, report = run_sync(sync_dag, school_number=100, year=35)

    assert state == "success", report["message"]
    assert report["resolved"]["direction"] == report["resolved"]["auto_direction"] == "meeting_to_daily"
    assert report["counts"]["candidates"] == report["counts"]["inserted"] == len(expected.records)
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, report, before)
    assert_backup_agrees(sandbox, report, in_range)
    assert old_rows_checksum(sandbox, before) == old  # X1
    assert {t: v for t, v in snapshot(sandbox).items() if t in untouched} == untouched
    assert [p["status"] for p in report["preconditions"]] == ["passed"] * 6

    after_first = snapshot(sandbox)
    state, rerun = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", rerun["message"]
    assert rerun["counts"]["inserted"] == 0  # X2
    assert rerun["counts"]["skipped_existing"] >= len(expected.records)
    assert snapshot(sandbox) == after_first


def test_daily_to_meeting_bridge_period_only_over_a_date_range(sandbox, sync_dag) -> None:
    start, end = date(2025, 9, 1), date(2025, 12, 19)
    expected = expected_records(sandbox, 100, "daily_to_meeting", "bridge_period_only", start, end)
    assert len(expected.records) > 0
    before, in_range = rows_before(sandbox), attendance_rows_in_range(sandbox, 100, start, end)
    old = old_rows_checksum(sandbox, before)

    state, report = run_sync(
        sync_dag, school_number=100, year="2025-2026", direction="daily_to_meeting",
        absent_periods="bridge_period_only", start_date=start.isoformat(), end_date=end.isoformat(),
    )  # fmt: skip

    assert state == "success", report["message"]
    # P3: an explicit direction other than the current method's is allowed and noted.
    assert report["resolved"]["direction_differs_from_auto"] is True
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, report, before)
    assert_backup_agrees(sandbox, report, in_range)
    assert old_rows_checksum(sandbox, before) == old
    dates = {row["att_date"] for row in report["by_date_and_code"]}
    assert min(dates) >= start.isoformat() and max(dates) <= end.isoformat()
    assert sum(row["records"] for row in report["by_date_and_code"]) == report["counts"]["inserted"]


def test_daily_to_meeting_all_periods_with_a_unique_index_on_attendance(sandbox, sync_dag) -> None:
    # School 200 records Daily now: auto means "From Daily, build Meeting". The target may carry
    # a unique index; the load must not depend on it either way.
    # The demo district has duplicate records on purpose (M2, D6); a district with a unique
    # index has none, so this test's copy drops them before creating the index.
    sandbox.q(
        "DELETE FROM {sis}.attendance a USING {sis}.attendance b WHERE a.studentid = b.studentid "
        "AND a.att_date = b.att_date AND a.att_mode_code = b.att_mode_code AND a.ccid = b.ccid "
        "AND a.periodid = b.periodid AND a.dcid > b.dcid"
    )
    sandbox.q("CREATE UNIQUE INDEX ON {sis}.attendance (studentid, att_date, att_mode_code, ccid, periodid)")
    expected = expected_records(sandbox, 200, "daily_to_meeting", "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    before = rows_before(sandbox)

    state, report = run_sync(sync_dag, school_number=200, year=35)

    assert state == "success", report["message"]
    assert report["resolved"]["direction"] == "daily_to_meeting"
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, report, before)
    state, rerun = run_sync(sync_dag, school_number=200, year=35)
    assert state == "success" and rerun["counts"]["inserted"] == 0


def test_a_dry_run_reports_the_same_counts_and_writes_nothing(sandbox, sync_dag) -> None:
    before = snapshot(sandbox)
    state, dry = run_sync(sync_dag, school_number=200, year=35, dry_run=True)
    assert state == "success", dry["message"]
    assert snapshot(sandbox) == before  # X8
    assert dry["dry_run"] is True and dry["backup"] is None
    assert dry["counts"]["inserted"] == 0 and dry["counts"]["candidates"] > 0

    state, real = run_sync(sync_dag, school_number=200, year=35)
    assert state == "success", real["message"]
    assert real["counts"]["inserted"] == dry["counts"]["candidates"]
    assert {k: v for k, v in dry["counts"].items() if not k.startswith("inserted")} == {
        k: v for k, v in real["counts"].items() if not k.startswith("inserted")
    }
    assert sum(row["records"] for row in dry["by_date_and_code"]) == dry["counts"]["candidates"]


def test_a_failed_precondition_stops_the_run_and_writes_nothing(sandbox, sync_dag) -> None:
    # P5: take the bridge period away from the Regular bell schedule, which the school uses daily.
    sandbox.q(
        "UPDATE {sis}.bell_schedule_items i SET daily_attendance_code = 0 FROM {sis}.bell_schedule b "
        "WHERE b.id = i.bell_schedule_id AND b.schoolid = 100 AND b.name = 'Regular'"
    )
    before = snapshot(sandbox)

    state, report = run_sync(sync_dag, school_number=100, year=35)

    assert state == "failed"
    assert report["status"] == "failed"
    assert report["message"].startswith("P5 failed for school 100")
    assert "Regular" in report["message"]
    assert {p["rule"]: p["status"] for p in report["preconditions"]}["P5"] == "failed"
    assert snapshot(sandbox) == before
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage")[0][0] == 0
    status = sandbox.q("SELECT status, message FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"])
    assert status[0][0] == "failed" and status[0][1].startswith("P5")


def test_an_unknown_parameter_is_refused_by_name_and_writes_nothing(sandbox, sync_dag) -> None:
    before = snapshot(sandbox)
    state, report = run_sync(sync_dag, school_number=100, year=35, scool="typo")
    assert state == "failed"
    assert "scool" in report["message"]
    assert report["stopped_at"] == "check_parameters"
    assert snapshot(sandbox) == before
