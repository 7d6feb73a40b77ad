"""The one school calendar (domain/school_days.py) that the rules engine and the gate's P5 frames read."""

from __future__ import annotations

import pandas as pd
import pytest
from attendance_bridge.checks.preconditions import PreconditionInput, bell_schedules_frame, calendar_days_frame
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.domain.school_days import clock_text, in_session_days

from tests.support.tiny_school import EARLY, EXCUSED, HR, MON, THU, daily, meeting, request, school, tables

BOTH = ("meeting_to_daily", "daily_to_meeting")


def gate_input(frames, start=MON, end=THU) -> PreconditionInput:
    """The gate's view of the tiny school's week (no prefs needed for P5)."""
    return PreconditionInput(frames, pd.DataFrame({"id": [], "name": [], "value": []}), 100, start, end)


def test_the_engine_and_the_gate_read_the_same_in_session_days() -> None:
    frames = school(daily(1, 1, MON, EXCUSED))
    engine_days = in_session_days(frames, request("meeting_to_daily"))["att_date"].dt.strftime("%Y-%m-%d")
    assert engine_days.tolist() == calendar_days_frame(gate_input(frames))["day"].tolist()
    assert engine_days.tolist() == ["2025-09-01", "2025-09-02", "2025-09-04"]


@pytest.mark.parametrize("direction", BOTH)
def test_an_unused_bell_schedule_with_two_bridge_periods_does_not_matter(direction: str) -> None:
    # Early Release is only used on Tuesday; a Thursday-only run reads neither of its bridges
    # (docs/decisions.md, 8), in the engine as in the gate.
    items = tables()["bell_schedule_items"]
    two_bridges = items.assign(
        daily_attendance_code=items["daily_attendance_code"].where(items["bell_schedule_id"] != EARLY, 1)
    )
    source = meeting(1, 1, THU, EXCUSED, 9001, HR) if direction == "meeting_to_daily" else daily(1, 1, THU, EXCUSED)
    frames = school(source, bell_schedule_items=two_bridges)
    result = bridge_records(frames, request(direction, start=THU, end=THU))
    assert (result.counts["source_records_read"], result.counts["candidates"] > 0) == (1, True)
    assert bell_schedules_frame(gate_input(frames, THU, THU))["label"].tolist() == [
        "the bell schedule 'Regular' (id 1, first used on 2025-09-04)"
    ]


@pytest.mark.parametrize(("missing", "expected"), [("none", "none"), ("(none)", "(none)")])
def test_a_default_time_reads_as_a_clock_and_an_empty_one_as_its_caller_says(missing: str, expected: str) -> None:
    seconds = pd.Series([8 * 3600, None, 9 * 3600 + 60, 15 * 3600], dtype="Int64")
    assert clock_text(seconds, missing).tolist() == ["08:00", expected, "09:01", "15:00"]
