"""X9: a record a run built is a copy, never the source of another record (tiny school, both directions)."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.domain.rules.records import BUILT_BY_A_RUN

from tests.support.tiny_school import (
    EIGHT,
    EXCUSED,
    HR,
    MON,
    P1,
    P2,
    TARDY,
    THREE,
    WED_HOLIDAY,
    daily,
    expected_daily,
    expected_meeting,
    frame,
    meeting,
    request,
    school,
)

M2D = request("meeting_to_daily")
D2M = request("daily_to_meeting", "all_periods")
BRIDGE_ONLY = request("daily_to_meeting", "bridge_period_only")


def built(*ids: int) -> pd.DataFrame:
    """The ids a run of the pipeline built (its lineage, not rolled back)."""
    return frame("id", [(record_id,) for record_id in ids])


def test_a_daily_record_a_run_built_spreads_into_no_period() -> None:
    # Record 1 is the Daily record a meeting_to_daily run built from homeroom's record 2: an absence
    # copied from it into every period would be a copy of a copy.
    frames = school(daily(1, 1, MON, EXCUSED), meeting(2, 1, MON, EXCUSED, 9001, HR), built_records=built(1))
    result = bridge_records(frames, D2M)
    assert result.records.empty
    assert result.counts["ignored"] == 1
    assert result.counts["ignored_built"] == 1
    assert result.ignored.to_dict("records") == [
        {"attendance_id": 1, "studentid": 1, "att_date": pd.Timestamp(MON), "attendance_codeid": EXCUSED,
         "reason": BUILT_BY_A_RUN}
    ]  # fmt: skip


def test_the_same_daily_record_entered_by_the_office_is_a_source() -> None:
    frames = school(daily(1, 1, MON, EXCUSED), meeting(2, 1, MON, EXCUSED, 9001, HR))
    result = bridge_records(frames, D2M)
    pdt.assert_frame_equal(
        result.records, expected_meeting([(1, MON, EXCUSED, 9002, P1, 1), (1, MON, EXCUSED, 9003, P2, 1)])
    )
    assert result.counts["ignored_built"] == 0


def test_a_meeting_record_a_run_built_builds_no_daily_record() -> None:
    # Record 2 is the homeroom record a daily_to_meeting run built from Daily record 1, which a
    # rollback has since removed from the SIS: the copy is not evidence of attendance taken.
    frames = school(meeting(2, 1, MON, TARDY, 9001, HR), built_records=built(2))
    result = bridge_records(frames, M2D)
    assert result.records.empty
    assert result.counts["ignored_built"] == 1
    assert result.counts["source_records_read"] == 1


def test_a_built_record_still_exists_for_the_records_that_would_repeat_it() -> None:
    # The teacher's homeroom record 3 would build a Daily record; the run-built Daily record 1 is there.
    frames = school(daily(1, 1, MON, TARDY), meeting(3, 1, MON, TARDY, 9001, HR), built_records=built(1))
    result = bridge_records(frames, M2D)
    assert result.records.empty
    assert result.counts["skipped_existing"] == 1


def test_a_built_record_on_a_day_out_of_session_is_ignored_for_that_first() -> None:
    frames = school(daily(1, 1, WED_HOLIDAY, EXCUSED), built_records=built(1))
    result = bridge_records(frames, D2M)
    assert result.ignored["reason"].tolist() == ["not in session"]
    assert result.counts["ignored_built"] == 0


def test_the_two_way_bridge_gives_the_same_records_in_either_order() -> None:
    """B3: meeting_to_daily and daily_to_meeting (bridge period only) over a day, each loading what it built."""
    teacher = meeting(1, 1, MON, TARDY, 9001, HR)  # student 1: homeroom taken, no Daily record
    office = daily(2, 2, MON, EXCUSED)  # student 2: the office's Daily record, no homeroom record

    def run_both(first, second) -> pd.DataFrame:
        rows, made, next_id = [teacher, office], [], 100
        for step in (first, second):
            frames = school(*rows, built_records=built(*made))
            for record in bridge_records(frames, step).records.itertuples():
                maker = daily if record.att_mode_code == "ATT_ModeDaily" else None
                row = (
                    maker(next_id, record.studentid, record.att_date.date(), record.attendance_codeid)
                    if maker
                    else meeting(next_id, record.studentid, record.att_date.date(), record.attendance_codeid,
                                 record.ccid, record.periodid)
                )  # fmt: skip
                rows.append(row)
                made.append(next_id)
                next_id += 1
        added = pd.DataFrame(
            [row[1:] for row in rows[2:]], columns=["studentid", "day", "code", "mode", "ccid", "periodid"]
        )
        return added.sort_values(["studentid", "mode"]).reset_index(drop=True)

    one_then_other = run_both(M2D, BRIDGE_ONLY)
    other_then_one = run_both(BRIDGE_ONLY, M2D)
    pdt.assert_frame_equal(one_then_other, other_then_one)
    # Student 1 got a Daily record, student 2 a homeroom record, and nothing was copied back.
    assert one_then_other[["studentid", "mode"]].values.tolist() == [[1, "ATT_ModeDaily"], [2, "ATT_ModeMeeting"]]


def test_m3_times_of_a_record_built_from_a_teacher_s_record_are_unchanged() -> None:
    frames = school(meeting(1, 1, MON, EXCUSED, 9001, HR), daily(5, 2, MON, TARDY), built_records=built(5))
    result = bridge_records(frames, M2D)
    pdt.assert_frame_equal(result.records, expected_daily([(1, MON, EXCUSED, 1, EIGHT, THREE)]))
