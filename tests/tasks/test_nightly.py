"""The nightly bridge (SPEC section 7, issue 22) on the demo district, in a real PostgreSQL, with ``dag.test()``.

In the demo district's year (35) Lincoln High (100) has the two-way bridge ('2') and Roosevelt
Middle (200) the one-way bridge ('1'). In the autumn school 100 took Daily attendance and school
200 Meeting, so on an autumn night school 200's meeting_to_daily and school 100's
daily_to_meeting (bridge period only) build records. A run at 02:00 UTC (the tests' district
timezone) covers the day before: the run at 2025-10-07T02:00Z covers Monday 6 October.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from attendance_bridge.catalog import NIGHTLY_DAG_ID
from attendance_bridge.domain.reconciliation import school_run_id
from attendance_bridge.reporting.run_folders import run_folder_name

from tests.support.sync_sandbox import (
    Sandbox,
    new_records,
    parsed_dag,
    rows_before,
    run_sync,
    snapshot,
    twin_district,
)

pytestmark = pytest.mark.integration

GROUP = "reconcile_school"
# Saturday 4 October (not in session), then Monday 6 to Wednesday 8 October 2025.
SATURDAY = datetime(2025, 10, 5, 2, tzinfo=UTC)
NIGHTS = [SATURDAY, *(datetime(2025, 10, day, 2, tzinfo=UTC) for day in (7, 8, 9))]
FIRST_DAY, LAST_DAY = date(2025, 10, 4), date(2025, 10, 8)
# The syncs each night runs (B2, B3): (school, direction), as the plan keys them.
SYNCS = [(100, "meeting_to_daily"), (100, "daily_to_meeting"), (200, "meeting_to_daily")]


@pytest.fixture(scope="module")
def nightly_dag():
    """The nightly bridge DAG as Airflow parses it."""
    return parsed_dag(NIGHTLY_DAG_ID)


def summary_of(sandbox: Sandbox, run) -> dict:
    path = sandbox.reports / "district" / run_folder_name(run.dag_id, run.run_id) / "summary.json"
    assert path.exists(), f"no district summary at {path}"
    return json.loads(path.read_text())


def sync_report(sandbox: Sandbox, run, school: int, direction: str) -> dict:
    school_run = run_folder_name(run.dag_id, school_run_id(run.run_id, f"school_{school}_{direction}"))
    return json.loads((sandbox.reports / f"school_{school}" / school_run / "report.json").read_text())


def bridge_by_hand(sandbox: Sandbox, sync_dag, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    """What manual runs over the same days land in a twin of the district: meeting_to_daily for both
    schools, and daily_to_meeting on the bridge period for the two-way school."""
    with twin_district(sandbox, monkeypatch) as twin:
        before = rows_before(twin)
        for school, direction in SYNCS:
            state, report = run_sync(
                sync_dag, school_number=school, year=35, direction=direction, absent_periods="bridge_period_only",
                start_date=FIRST_DAY.isoformat(), end_date=LAST_DAY.isoformat(),
            )  # fmt: skip
            assert state == "success", report["message"]
        return new_records(twin, before)


def test_apply_nights_land_what_manual_runs_over_the_same_days_land_and_a_night_again_adds_nothing(
    sandbox: Sandbox, nightly_dag, sync_dag, rollback_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_hand = bridge_by_hand(sandbox, sync_dag, monkeypatch)
    assert set(by_hand["schoolid"]) == {100, 200}, "both schools have records to bridge on these days"

    before = rows_before(sandbox)
    runs = []
    for night in NIGHTS:
        run = nightly_dag.test(logical_date=night, run_conf={"mode": "apply"})
        assert str(run.state) == "success"
        runs.append(run)
    pd.testing.assert_frame_equal(new_records(sandbox, before), by_hand)

    # Every night runs the three syncs, each with its report, linked from the night's summary.
    for run in runs:
        summary = summary_of(sandbox, run)
        assert summary["dag_id"] == NIGHTLY_DAG_ID and summary["mode"] == "apply"
        assert [(row["school_number"], row["direction"]) for row in summary["schools"]] == SYNCS
        assert summary["left_out"] == [] and summary["outcome"] == "succeeded"
        for school, direction in SYNCS:
            report = sync_report(sandbox, run, school, direction)
            assert report["resolved"]["direction"] == direction
            assert report["resolved"]["absent_periods"] == "bridge_period_only"
    # A day not in session adds nothing.
    saturday = summary_of(sandbox, runs[0])
    assert saturday["interval"]["first_day"] == saturday["interval"]["last_day"] == "2025-10-04"
    assert all(row["counts"]["inserted"] == 0 for row in saturday["schools"])
    page = (sandbox.reports / "district" / run_folder_name(runs[1].dag_id, runs[1].run_id) / "summary.html").read_text()
    assert "Nightly Meeting and Daily bridge" in page and "School days" in page

    # X2: a night run again adds nothing.
    after = snapshot(sandbox)
    again = nightly_dag.test(logical_date=NIGHTS[2], run_conf={"mode": "apply"})
    assert str(again.state) == "success"
    assert snapshot(sandbox) == after
    assert all(row["counts"]["inserted"] == 0 for row in summary_of(sandbox, again)["schools"])

    # X7: one school's sync of one night is undone alone, by its run id (README, "The nightly bridge").
    monday = runs[1]
    school_run = school_run_id(monday.run_id, "school_100_daily_to_meeting")
    added = sync_report(sandbox, monday, 100, "daily_to_meeting")["counts"]["inserted"]
    assert added > 0
    total = len(new_records(sandbox, before))
    undo = rollback_dag.test(run_conf={"school_number": 100, "run_id": school_run}, logical_date=datetime.now(UTC))
    assert str(undo.state) == "success"
    assert len(new_records(sandbox, before)) == total - added
    assert sandbox.q(
        "SELECT status FROM {pipeline}.run_log WHERE dag_id = %(d)s AND run_id = %(r)s", d=NIGHTLY_DAG_ID, r=school_run
    ) == [("rolled_back",)]


def test_report_mode_writes_nothing_and_a_bridge_off_school_is_left_out_with_its_reason(
    sandbox: Sandbox, nightly_dag
) -> None:
    sandbox.q(
        "UPDATE {sis}.prefs SET value = '0' WHERE schoolid = 200 AND yearid = 35 AND name = 'ATT_MeetingDailyBridge'"
    )
    before = snapshot(sandbox)
    # Explicit: dag.test() keeps an earlier test's conf in the parsed DAG's params (the default is
    # checked in tests/dags/test_dag_integrity.py).
    run = nightly_dag.test(logical_date=NIGHTS[1], run_conf={"mode": "report"})
    assert str(run.state) == "success"
    assert snapshot(sandbox) == before
    summary = summary_of(sandbox, run)
    assert summary["mode"] == "report"
    assert [(row["school_number"], row["direction"]) for row in summary["schools"]] == SYNCS[:2]
    assert all(sync_report(sandbox, run, 100, direction)["dry_run"] for _, direction in SYNCS[:2])
    [left_out] = summary["left_out"]
    assert left_out["school_number"] == 200 and left_out["reason"].startswith("B1:") and "'0'" in left_out["reason"]


def test_a_school_whose_bell_schedule_lost_its_bridge_period_fails_alone(sandbox: Sandbox, nightly_dag) -> None:
    # Roosevelt Middle's Regular bell schedule loses its bridge period (P5).
    sandbox.q(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 0 WHERE daily_attendance_code = 1 "
        "AND bell_schedule_id IN (SELECT id FROM {sis}.bell_schedule WHERE schoolid = 200 AND name = 'Regular')"
    )
    before = rows_before(sandbox)
    run = nightly_dag.test(logical_date=NIGHTS[1], run_conf={"mode": "apply"})
    assert str(run.state) == "failed"
    summary = summary_of(sandbox, run)
    outcomes = {(row["school_number"], row["direction"]): row["outcome"] for row in summary["schools"]}
    assert outcomes == {(100, "meeting_to_daily"): "succeeded", (100, "daily_to_meeting"): "succeeded",
                        (200, "meeting_to_daily"): "failed"}  # fmt: skip
    [failed] = summary["failed"]
    assert failed["school_number"] == 200 and "P5" in failed["reason"]
    added = sandbox.q(
        "SELECT schoolid, count(*) FROM {sis}.attendance WHERE dcid > %(d)s GROUP BY schoolid", d=before["attendance"]
    )
    assert dict(added).get(200) is None and dict(added).get(100, 0) > 0


def test_a_night_that_is_also_a_term_s_end_gives_the_same_records_in_either_order(
    sandbox: Sandbox, nightly_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    """5 June 2026 ends the year: the end of term (every school, the whole year, auto direction) and the
    nightly bridge (5 June, each school's bridge) both run that night. The school lock serialises their
    loads, and what one builds is no source of the other (X9): either order lands the same records."""
    end_of_term_dag = parsed_dag("attendance_bridge_end_of_term")
    year_end = datetime(2026, 6, 6, 2, tzinfo=UTC)

    def both(first, second, box: Sandbox) -> pd.DataFrame:
        before = rows_before(box)
        for dag in (first, second):
            run = dag.test(logical_date=year_end, run_conf={"mode": "apply"})
            assert str(run.state) == "success", dag.dag_id
        return new_records(box, before)

    nightly_first = both(nightly_dag, end_of_term_dag, sandbox)
    with twin_district(sandbox, monkeypatch, "twin") as twin:
        term_first = both(end_of_term_dag, nightly_dag, twin)
    assert len(nightly_first) > 0
    pd.testing.assert_frame_equal(nightly_first, term_first)
