"""The reconciliation report of disagreements, pinned on the tiny school (tests/support/tiny_school.py).

A disagreement is a student-day of the range where the Daily code and the bridge-period Meeting
code differ; it is reported in both directions and never changed (the rules only insert what is
missing).
"""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest
from attendance_bridge.domain.rules import bridge_records

from tests.support.tiny_school import (
    EXCUSED,
    HR,
    MON,
    P1,
    P2,
    PRESENT_BLANK,
    TARDY,
    THU,
    TUE,
    UNEXCUSED,
    WED_HOLIDAY,
    daily,
    meeting,
    request,
    school,
)

COLUMNS = [
    "studentid",
    "att_date",
    "daily_attendance_id",
    "daily_attendance_codeid",
    "daily_records",
    "bridge_periodid",
    "meeting_attendance_id",
    "meeting_attendance_codeid",
    "meeting_records",
]


def expected(rows: list[tuple]) -> pd.DataFrame:
    """Disagreements as (student, day, daily id, daily code, daily count, period, meeting id, code, count)."""
    frame = pd.DataFrame(rows, columns=COLUMNS)
    frame["att_date"] = pd.to_datetime(frame["att_date"]).astype("datetime64[s]")
    return frame


@pytest.mark.parametrize("direction", ["meeting_to_daily", "daily_to_meeting"])
def test_differing_codes_on_the_bridge_period_are_reported_in_both_directions(direction: str) -> None:
    result = bridge_records(
        school(
            daily(1, 1, MON, TARDY),
            meeting(2, 1, MON, EXCUSED, 9001, HR),  # Monday's bridge is homeroom: differs
            daily(3, 2, TUE, EXCUSED),
            meeting(4, 2, TUE, EXCUSED, 9005, P2),  # Tuesday's bridge is P2: same code, agrees
        ),
        request(direction),
    )
    got = result.disagreements.loc[:, COLUMNS].astype({"daily_attendance_codeid": "int64"})
    pdt.assert_frame_equal(
        got.astype({"meeting_attendance_codeid": "int64"}),
        expected([(1, MON, 1, TARDY, 1, HR, 2, EXCUSED, 1)]),
    )
    assert result.counts["disagreements"] == 1


def test_meeting_records_outside_the_bridge_period_never_disagree() -> None:
    result = bridge_records(
        school(daily(1, 1, MON, PRESENT_BLANK), meeting(2, 1, MON, UNEXCUSED, 9002, P1)),
        request("meeting_to_daily"),
    )
    assert result.disagreements.empty and result.counts["disagreements"] == 0


def test_a_day_with_only_one_of_the_two_records_is_a_missing_record_not_a_disagreement() -> None:
    result = bridge_records(
        school(daily(1, 1, MON, TARDY), meeting(2, 2, MON, EXCUSED, 9004, HR)), request("daily_to_meeting")
    )
    assert result.disagreements.empty
    assert result.counts["candidates"] > 0  # the rules build the missing records instead


def test_the_sides_compared_are_the_first_daily_record_and_m2_s_choice() -> None:
    # Two Daily records (D6: the lowest id is read) and two bridge-period Meeting records (M2: the
    # Absent one is chosen). Daily 5 (E) against Meeting 8 (U): they differ.
    result = bridge_records(
        school(
            daily(5, 1, THU, EXCUSED),
            daily(6, 1, THU, TARDY),
            meeting(7, 1, THU, TARDY, 9001, HR),
            meeting(8, 1, THU, UNEXCUSED, 9001, HR),
        ),
        request("meeting_to_daily"),
    )
    got = result.disagreements.loc[:, COLUMNS].astype(
        {"daily_attendance_codeid": "int64", "meeting_attendance_codeid": "int64"}
    )
    pdt.assert_frame_equal(got, expected([(1, THU, 5, EXCUSED, 2, HR, 8, UNEXCUSED, 2)]))


def test_days_not_in_session_or_outside_the_range_are_not_compared() -> None:
    rows = (
        daily(1, 1, WED_HOLIDAY, TARDY),
        meeting(2, 1, WED_HOLIDAY, EXCUSED, 9001, HR),
        daily(3, 1, THU, TARDY),
        meeting(4, 1, THU, EXCUSED, 9001, HR),
    )
    assert bridge_records(school(*rows), request("meeting_to_daily", end=TUE)).disagreements.empty
    assert bridge_records(school(*rows), request("meeting_to_daily")).counts["disagreements"] == 1


def test_the_report_leaves_its_inputs_alone() -> None:
    frames = school(daily(1, 1, MON, TARDY), meeting(2, 1, MON, EXCUSED, 9001, HR))
    before = frames.attendance.copy()
    bridge_records(frames, request("meeting_to_daily"))
    pdt.assert_frame_equal(frames.attendance, before)
