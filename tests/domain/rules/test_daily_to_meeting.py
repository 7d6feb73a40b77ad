"""daily_to_meeting: rules D1-D6 and X2/X3 pinned on the tiny school (tests/support/tiny_school.py)."""

from __future__ import annotations

import pandas.testing as pdt
from attendance_bridge.domain.rules.daily_to_meeting import missing_meeting_records

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
    expected_meeting,
    meeting,
    request,
    school,
)

ALL = request("daily_to_meeting", "all_periods")
BRIDGE_ONLY = request("daily_to_meeting", "bridge_period_only")


def test_d1_d3_present_code_builds_only_the_bridge_period() -> None:
    result = missing_meeting_records(school(daily(1, 1, MON, TARDY)), ALL)
    pdt.assert_frame_equal(result.records, expected_meeting([(1, MON, TARDY, 9001, HR, 1)]))


def test_d2_absent_code_with_all_periods_builds_every_scheduled_period() -> None:
    # Monday is an A day: student 1 meets HR (1000), P1 (1001) and P2 (1002).
    result = missing_meeting_records(school(daily(1, 1, MON, EXCUSED)), ALL)
    expected = expected_meeting(
        [(1, MON, EXCUSED, 9001, HR, 1), (1, MON, EXCUSED, 9002, P1, 1), (1, MON, EXCUSED, 9003, P2, 1)]
    )
    pdt.assert_frame_equal(result.records, expected)


def test_d2_absent_code_with_bridge_period_only_builds_the_bridge_period() -> None:
    result = missing_meeting_records(school(daily(1, 1, MON, EXCUSED)), BRIDGE_ONLY)
    pdt.assert_frame_equal(result.records, expected_meeting([(1, MON, EXCUSED, 9001, HR, 1)]))


def test_d3_cycle_letter_and_double_block_decide_the_enrolments() -> None:
    # Thursday is a B day: student 2's double block 1003 meets P1 and P2, homeroom meets too;
    # the dropped enrolment 9006 (sectionid -1002) builds nothing.
    result = missing_meeting_records(school(daily(1, 2, THU, UNEXCUSED)), ALL)
    expected = expected_meeting(
        [(2, THU, UNEXCUSED, 9004, HR, 1), (2, THU, UNEXCUSED, 9005, P1, 1), (2, THU, UNEXCUSED, 9005, P2, 1)]
    )
    pdt.assert_frame_equal(result.records, expected)


def test_d3_bridge_period_of_an_early_release_day_is_period_2() -> None:
    result = missing_meeting_records(school(daily(1, 1, TUE, PRESENT_BLANK)), ALL)
    pdt.assert_frame_equal(result.records, expected_meeting([(1, TUE, PRESENT_BLANK, 9003, P2, 1)]))


def test_d3_enrolment_dates_are_inclusive_start_exclusive_end() -> None:
    frames = school(daily(1, 1, MON, TARDY), daily(2, 1, THU, TARDY))
    changed = frames.cc.assign(
        dateenrolled=frames.cc["dateenrolled"].where(frames.cc["id"] != 9001, "2025-09-01"),
        dateleft=frames.cc["dateleft"].where(frames.cc["id"] != 9001, "2025-09-04"),
    )
    frames = school(daily(1, 1, MON, TARDY), daily(2, 1, THU, TARDY), cc=changed)
    result = missing_meeting_records(frames, ALL)
    pdt.assert_frame_equal(result.records, expected_meeting([(1, MON, TARDY, 9001, HR, 1)]))
    assert result.unscheduled["attendance_id"].tolist() == [2]


def test_d4_existing_meeting_record_is_skipped_and_a_different_code_reported() -> None:
    result = missing_meeting_records(
        school(daily(1, 1, MON, EXCUSED), meeting(2, 1, MON, EXCUSED, 9001, HR), meeting(3, 1, MON, TARDY, 9002, P1)),
        ALL,
    )
    pdt.assert_frame_equal(result.records, expected_meeting([(1, MON, EXCUSED, 9003, P2, 1)]))
    assert result.counts["skipped_existing"] == 2
    assert result.mismatches.loc[:, ["rule", "periodid", "attendance_codeid", "existing_attendance_codeid"]].to_dict(
        "records"
    ) == [{"rule": "D4", "periodid": P1, "attendance_codeid": EXCUSED, "existing_attendance_codeid": TARDY}]


def test_d5_daily_record_of_a_student_not_scheduled_in_the_bridge_period_is_reported() -> None:
    # Student 3 has no homeroom: a tardy builds nothing, an absence still reaches P1.
    result = missing_meeting_records(school(daily(1, 3, MON, TARDY), daily(2, 3, THU, TARDY)), ALL)
    assert result.records.empty
    assert result.unscheduled.loc[:, ["rule", "attendance_id"]].to_dict("records") == [
        {"rule": "D5", "attendance_id": 1},
        {"rule": "D5", "attendance_id": 2},
    ]
    absent = missing_meeting_records(school(daily(1, 3, MON, EXCUSED)), ALL)
    pdt.assert_frame_equal(absent.records, expected_meeting([(3, MON, EXCUSED, 9007, P1, 1)]))
    assert absent.counts["unscheduled"] == 0


def test_d6_two_daily_records_for_one_meeting_record_lowest_id_wins() -> None:
    result = missing_meeting_records(school(daily(7, 1, MON, TARDY), daily(4, 1, MON, EXCUSED)), ALL)
    expected = expected_meeting(
        [(1, MON, EXCUSED, 9001, HR, 4), (1, MON, EXCUSED, 9002, P1, 4), (1, MON, EXCUSED, 9003, P2, 4)]
    )
    pdt.assert_frame_equal(result.records, expected)
    assert result.conflicts.loc[
        :, ["rule", "kept_attendance_id", "other_attendance_id", "other_attendance_codeid"]
    ].to_dict("records") == [
        {"rule": "D6", "kept_attendance_id": 4, "other_attendance_id": 7, "other_attendance_codeid": TARDY}
    ]


def test_d6_loser_builds_periods_the_winner_does_not() -> None:
    # The absence (id 9) reaches P1 and P2 that the tardy (id 2) does not; only HR is contested.
    result = missing_meeting_records(school(daily(2, 1, MON, TARDY), daily(9, 1, MON, UNEXCUSED)), ALL)
    expected = expected_meeting(
        [(1, MON, TARDY, 9001, HR, 2), (1, MON, UNEXCUSED, 9002, P1, 9), (1, MON, UNEXCUSED, 9003, P2, 9)]
    )
    pdt.assert_frame_equal(result.records, expected)
    assert result.counts["conflicts"] == 1


def test_x2_second_run_after_loading_builds_nothing() -> None:
    first = missing_meeting_records(school(daily(1, 1, MON, EXCUSED)), ALL)
    loaded_rows = [
        meeting(100 + n, 1, MON, EXCUSED, int(row.ccid), int(row.periodid))
        for n, row in enumerate(first.records.itertuples())
    ]
    second = missing_meeting_records(school(daily(1, 1, MON, EXCUSED), *loaded_rows), ALL)
    assert len(first.records) == 3
    assert second.records.empty
    assert (second.counts["skipped_existing"], second.counts["mismatches"], second.counts["conflicts"]) == (3, 0, 0)


def test_x3_daily_records_out_of_session_are_ignored() -> None:
    result = missing_meeting_records(school(daily(1, 1, WED_HOLIDAY, EXCUSED)), ALL)
    assert result.records.empty
    assert result.counts["ignored"] == 1
    assert result.counts["unscheduled"] == 0


def test_p2_range_limits_what_is_built() -> None:
    result = missing_meeting_records(
        school(daily(1, 1, MON, TARDY), daily(2, 1, THU, TARDY)), request("daily_to_meeting", start=THU, end=THU)
    )
    pdt.assert_frame_equal(result.records, expected_meeting([(1, THU, TARDY, 9001, HR, 2)]))
    assert result.counts["ignored"] == 1
