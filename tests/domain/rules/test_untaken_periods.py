"""D7 on the tiny school: an absence copied into a period whose teacher took attendance.

Monday is an A day on the Regular schedule (bridge HR): student 1 meets HR (cc 9001, section
1000), P1 (cc 9002, section 1001) and P2 (cc 9003, section 1002). Student 3 is in section 1001
(cc 9007), so a Meeting record of student 3 in P1 on Monday means the P1 teacher took attendance.
"""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.domain.rules.findings import FALSE_ABSENCE_DTYPES

from tests.support.tiny_school import (
    EXCUSED,
    HR,
    MON,
    P1,
    P2,
    TARDY,
    daily,
    expected_meeting,
    frame,
    meeting,
    request,
    school,
)

ALL = request("daily_to_meeting", "all_periods")
UNTAKEN = request("daily_to_meeting", "untaken_periods")
BRIDGE_ONLY = request("daily_to_meeting", "bridge_period_only")
ABSENT_ALL_DAY = daily(1, 1, MON, EXCUSED)
P1_TAKEN = meeting(2, 3, MON, TARDY, 9007, P1)  # the P1 teacher marked student 3 tardy


def test_all_periods_builds_the_absence_where_the_teacher_took_attendance_and_lists_it() -> None:
    result = bridge_records(school(ABSENT_ALL_DAY, P1_TAKEN), ALL)
    pdt.assert_frame_equal(
        result.records,
        expected_meeting(
            [(1, MON, EXCUSED, 9001, HR, 1), (1, MON, EXCUSED, 9002, P1, 1), (1, MON, EXCUSED, 9003, P2, 1)]
        ),
    )
    assert result.counts["possible_false_absences"] == 1
    assert result.counts["skipped_taken"] == 0
    expected = pd.DataFrame(
        [(1, pd.Timestamp(MON), 9002, P1, 1001, 1, EXCUSED, "D7")], columns=list(FALSE_ABSENCE_DTYPES)
    ).astype(FALSE_ABSENCE_DTYPES)
    pdt.assert_frame_equal(result.possible_false_absences, expected)


def test_untaken_periods_leaves_out_the_period_whose_teacher_took_attendance() -> None:
    result = bridge_records(school(ABSENT_ALL_DAY, P1_TAKEN), UNTAKEN)
    pdt.assert_frame_equal(
        result.records, expected_meeting([(1, MON, EXCUSED, 9001, HR, 1), (1, MON, EXCUSED, 9003, P2, 1)])
    )
    assert result.counts["skipped_taken"] == 1
    assert result.counts["possible_false_absences"] == 0
    assert result.possible_false_absences.empty


def test_untaken_periods_is_all_periods_where_no_teacher_took_attendance() -> None:
    untaken, every = (bridge_records(school(ABSENT_ALL_DAY), run) for run in (UNTAKEN, ALL))
    pdt.assert_frame_equal(untaken.records, every.records)
    assert len(untaken.records) == 3
    assert untaken.counts["skipped_taken"] == every.counts["possible_false_absences"] == 0


def test_the_bridge_period_takes_the_absence_even_when_its_teacher_took_attendance() -> None:
    hr_taken = meeting(3, 2, MON, TARDY, 9004, HR)  # student 2's homeroom record: HR attendance was taken
    for run in (ALL, UNTAKEN, BRIDGE_ONLY):
        result = bridge_records(school(ABSENT_ALL_DAY, hr_taken), run)
        assert (1, HR) in set(zip(result.records["studentid"], result.records["periodid"], strict=True))
        assert result.counts["possible_false_absences"] == result.counts["skipped_taken"] == 0


def test_a_record_a_run_built_does_not_show_that_attendance_was_taken() -> None:
    frames = school(ABSENT_ALL_DAY, P1_TAKEN, built_records=frame("id", [(2,)]))
    result = bridge_records(frames, UNTAKEN)
    assert len(result.records) == 3
    assert result.counts["skipped_taken"] == 0


def test_a_present_code_is_not_an_absence_to_copy_or_to_warn_about() -> None:
    result = bridge_records(school(daily(1, 1, MON, TARDY), P1_TAKEN), ALL)
    pdt.assert_frame_equal(result.records, expected_meeting([(1, MON, TARDY, 9001, HR, 1)]))
    assert result.counts["possible_false_absences"] == 0


def test_the_student_s_own_record_in_the_period_is_d4_not_d7() -> None:
    own = meeting(2, 1, MON, TARDY, 9002, P1)
    result = bridge_records(school(ABSENT_ALL_DAY, own), UNTAKEN)
    assert result.counts["skipped_existing"] == 1
    assert result.counts["skipped_taken"] == 0
    assert result.counts["mismatches"] == 1


@pytest.mark.parametrize("run", [ALL, UNTAKEN, BRIDGE_ONLY], ids=lambda run: run.absent_periods)
def test_meeting_to_daily_knows_no_d7(run) -> None:
    result = bridge_records(
        school(meeting(1, 1, MON, EXCUSED, 9001, HR), P1_TAKEN), request("meeting_to_daily", run.absent_periods)
    )
    assert result.counts["possible_false_absences"] == result.counts["skipped_taken"] == 0
    assert list(result.possible_false_absences.columns) == list(FALSE_ABSENCE_DTYPES)
