"""meeting_to_daily: rules M1-M4 and X3 pinned on the tiny school (tests/support/tiny_school.py)."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
from attendance_bridge.domain.rules.meeting_to_daily import missing_daily_records

from tests.support.tiny_school import (
    EIGHT,
    EXCUSED,
    HR,
    MON,
    NOON,
    P1,
    P2,
    PRESENT_BLANK,
    TARDY,
    THREE,
    THU,
    TUE,
    UNEXCUSED,
    WED_HOLIDAY,
    daily,
    expected_daily,
    meeting,
    request,
    school,
)

M2D = request("meeting_to_daily")


def test_m1_bridge_period_meeting_record_builds_a_daily_record() -> None:
    result = missing_daily_records(school(meeting(1, 1, MON, EXCUSED, 9001, HR)), M2D)
    pdt.assert_frame_equal(result.records, expected_daily([(1, MON, EXCUSED, 1, EIGHT, THREE)]))
    assert result.counts["candidates"] == 1


def test_m1_bridge_period_follows_the_day_s_bell_schedule() -> None:
    # Tuesday runs Early Release, whose bridge is P2, not homeroom.
    result = missing_daily_records(
        school(meeting(1, 2, TUE, TARDY, 9005, P2), meeting(2, 1, TUE, EXCUSED, 9002, P1)), M2D
    )
    pdt.assert_frame_equal(result.records, expected_daily([(2, TUE, TARDY, 1, EIGHT, NOON)]))
    assert result.counts["outside_bridge_period"] == 1


def test_m1_existing_daily_record_is_kept_and_counted_as_skipped() -> None:
    result = missing_daily_records(school(meeting(1, 1, MON, EXCUSED, 9001, HR), daily(2, 1, MON, UNEXCUSED)), M2D)
    assert result.records.empty
    assert result.counts["skipped_existing"] == 1


def test_m2_absent_code_wins_over_present_and_the_conflict_is_reported() -> None:
    result = missing_daily_records(
        school(meeting(5, 1, MON, PRESENT_BLANK, 9001, HR), meeting(9, 1, MON, EXCUSED, 9001, HR)), M2D
    )
    pdt.assert_frame_equal(result.records, expected_daily([(1, MON, EXCUSED, 9, EIGHT, THREE)]))
    assert result.conflicts.loc[:, ["rule", "kept_attendance_id", "other_attendance_id"]].to_dict("records") == [
        {"rule": "M2", "kept_attendance_id": 9, "other_attendance_id": 5}
    ]


def test_m2_between_two_absent_codes_the_lowest_attendance_id_wins() -> None:
    result = missing_daily_records(
        school(meeting(8, 1, MON, UNEXCUSED, 9001, HR), meeting(3, 1, MON, EXCUSED, 9001, HR)), M2D
    )
    pdt.assert_frame_equal(result.records, expected_daily([(1, MON, EXCUSED, 3, EIGHT, THREE)]))
    assert result.counts["conflicts"] == 1


def test_m2_duplicates_with_the_same_code_are_no_conflict() -> None:
    result = missing_daily_records(
        school(meeting(8, 1, MON, TARDY, 9001, HR), meeting(3, 1, MON, TARDY, 9001, HR)), M2D
    )
    pdt.assert_frame_equal(result.records, expected_daily([(1, MON, TARDY, 3, EIGHT, THREE)]))
    assert result.counts["conflicts"] == 0


def test_m3_daily_record_shape_and_attendance_time_from_bridge_defaults() -> None:
    records = missing_daily_records(school(meeting(1, 2, TUE, UNEXCUSED, 9005, P2)), M2D).records
    row = records.iloc[0]
    assert (row["ccid"], row["periodid"], row["calendar_dayid"], row["parent_attendanceid"]) == (0, 0, 502, 1)
    assert (row["time_in"], row["time_out"], row["total_minutes"]) == (EIGHT, NOON, 240)


def test_m4_meeting_records_outside_the_bridge_period_build_nothing() -> None:
    result = missing_daily_records(
        school(meeting(1, 1, MON, EXCUSED, 9002, P1), meeting(2, 1, MON, EXCUSED, 9003, P2)), M2D
    )
    assert result.records.empty
    assert result.counts["outside_bridge_period"] == 2


def test_x3_records_on_days_out_of_session_or_range_are_ignored_and_counted() -> None:
    result = missing_daily_records(
        school(meeting(1, 1, WED_HOLIDAY, EXCUSED, 9001, HR), meeting(2, 1, THU, EXCUSED, 9001, HR)),
        request("meeting_to_daily", start=MON, end=WED_HOLIDAY),
    )
    assert result.records.empty
    assert result.ignored.loc[:, ["attendance_id", "reason"]].to_dict("records") == [
        {"attendance_id": 1, "reason": "not in session"},
        {"attendance_id": 2, "reason": "outside the range"},
    ]
    assert result.counts["source_records_read"] == 2
    assert result.counts["ignored"] == 2


def test_other_schools_records_and_other_modes_are_not_read() -> None:
    base = school(meeting(1, 1, MON, EXCUSED, 9001, HR))
    other = base.attendance.assign(id=2, schoolid=200)
    interval = base.attendance.assign(id=3, att_mode_code="ATT_ModeInterval")
    frames = school(
        meeting(1, 1, MON, EXCUSED, 9001, HR),
        attendance=pd.concat([base.attendance, other, interval], ignore_index=True),
    )
    result = missing_daily_records(frames, M2D)
    assert result.counts["source_records_read"] == 1
    assert result.records["parent_attendanceid"].tolist() == [1]


def test_x1_inputs_are_not_mutated() -> None:
    frames = school(meeting(1, 1, MON, EXCUSED, 9001, HR), daily(2, 2, THU, UNEXCUSED))
    before = frames.attendance.copy(deep=True)
    missing_daily_records(frames, M2D)
    pdt.assert_frame_equal(frames.attendance, before)


def test_x2_second_run_after_loading_builds_nothing() -> None:
    first = missing_daily_records(school(meeting(1, 1, MON, EXCUSED, 9001, HR)), M2D)
    loaded = school(meeting(1, 1, MON, EXCUSED, 9001, HR), daily(2, 1, MON, EXCUSED))
    second = missing_daily_records(loaded, M2D)
    assert len(first.records) == 1
    assert second.records.empty
    assert second.counts["skipped_existing"] == 1


def test_early_release_unused_items_do_not_matter() -> None:
    # EARLY has no homeroom: a homeroom Meeting record on an Early Release day is not at the bridge.
    result = missing_daily_records(school(meeting(1, 1, TUE, EXCUSED, 9001, HR)), M2D)
    assert result.records.empty
    assert result.counts["outside_bridge_period"] == 1
