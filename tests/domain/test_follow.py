"""Copies follow their sources (SPEC section 8): F1's verdicts, F2's edits and F5's rebuild, on the tiny school.

Monday (2025-09-01) is an A day on the Regular schedule, bridge period HR: student 1 meets HR
(cc 9001), P1 (cc 9002) and P2 (cc 9003). Thursday is a B day, Regular: student 2 meets HR (cc
9004) and the double block P1/P2 (cc 9005). A copy's id is 100 and up; its source's is below.
Every expectation is written out by hand.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import pandas as pd
import pandas.testing as pdt
import pytest
from attendance_bridge.config import (
    ALL_PERIODS,
    BRIDGE_PERIOD_ONLY,
    DAILY_TO_MEETING,
    MEETING_TO_DAILY,
    MODE_DAILY,
    UNTAKEN_PERIODS,
)
from attendance_bridge.domain.follow import (
    BRIDGE_PERIOD_CHANGED,
    CHANGED_BY_A_PERSON,
    CODE_CHANGED,
    COPY_COLUMNS,
    CURRENT,
    DAY_NOT_IN_SESSION,
    DELETED_BY_A_PERSON,
    EDITED,
    JUDGEMENT_DTYPES,
    NO_LONGER_ABSENT,
    NOT_IN_BRIDGE_PERIOD,
    NOT_SCHEDULED,
    PERIOD_NOT_IN_SCHEDULE,
    PERIOD_TAKEN,
    RECODE,
    SOURCE_DELETED,
    SOURCE_MOVED,
    WITHDRAW,
    copies_frame,
    frames_after_follow,
    judge_copies,
)
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.errors import PreconditionFailed

from tests.support.tiny_school import (
    EARLY,
    EIGHT,
    EXCUSED,
    HR,
    MON,
    NOON,
    P1,
    P2,
    PRESENT_BLANK,
    REGULAR,
    TARDY,
    THREE,
    THU,
    TUE,
    UNEXCUSED,
    attendance_rows,
    daily,
    expected_daily,
    expected_meeting,
    frame,
    meeting,
    request,
    school,
    tables,
)

# The run that follows: its own direction and absent_periods say nothing about a copy's.
FOLLOWING = request(MEETING_TO_DAILY, BRIDGE_PERIOD_ONLY)
DAG, RUN = "attendance_bridge_sync", "manual__2025-09-02"


class Copy(NamedTuple):
    """A copy: its attendance row now (``tiny_school.daily``/``meeting``), its source and its run's parameters."""

    row: tuple
    source: int
    direction: str
    absent_periods: str = ALL_PERIODS
    present: bool = True
    edited: bool = False


def daily_copy(copy_id: int, source: int, student: int, day: date, code: int, **flags: bool) -> Copy:
    """A Daily record a meeting_to_daily run built (M1)."""
    return Copy(daily(copy_id, student, day, code), source, MEETING_TO_DAILY, **flags)


def meeting_copy(
    copy_id: int,
    source: int,
    student: int,
    day: date,
    code: int,
    ccid: int,
    period: int,
    absent_periods: str = ALL_PERIODS,
) -> Copy:
    """A Meeting record a daily_to_meeting run built (D3) under ``absent_periods``."""
    return Copy(meeting(copy_id, student, day, code, ccid, period), source, DAILY_TO_MEETING, absent_periods)


def copies_table(copies: list[Copy]) -> pd.DataFrame:
    """The copies as the caller gives them: a row a person deleted has no values."""
    rows = [
        (c.row[0], c.source, *(c.row[1:] if c.present else (None,) * 6), c.present, c.edited)
        + (c.direction, c.absent_periods, DAG, RUN)
        for c in copies
    ]
    # attendance rows are (id, studentid, date, code, mode, ccid, periodid); the copies' order differs.
    table = frame("attendance_id source_attendance_id studentid att_date attendance_codeid att_mode_code ccid periodid "
                  "present edited direction absent_periods dag_id run_id", rows)  # fmt: skip
    return table.loc[:, list(COPY_COLUMNS)]


def judge(copies: list[Copy], *records: tuple, run=FOLLOWING, sources=None, **replaced: pd.DataFrame) -> pd.DataFrame:
    """The verdicts on ``copies`` in the tiny school holding ``records`` and the copies still present."""
    frames = school(
        *records,
        *(c.row for c in copies if c.present),
        built_records=frame("id", [(c.row[0],) for c in copies]),
        **replaced,
    )
    if sources is None:
        sources = frames.attendance.loc[frames.attendance["id"].isin([c.source for c in copies])]
    return judge_copies(frames, run, copies_table(copies), sources)


def expected(*verdicts: tuple) -> pd.DataFrame:
    """(copy, verdict, reason, new code) rows, in the judgement's order (day, student, period, id)."""
    rows = [
        (
            c.row[0],
            c.source,
            *((c.row[1], c.row[2], c.row[4], c.row[5], c.row[6], c.row[3]) if c.present else (None,) * 6),
            verdict,
            new_code,
            reason,
            DAG,
            RUN,
        )
        for c, verdict, reason, new_code in verdicts
    ]
    table = pd.DataFrame(rows, columns=list(JUDGEMENT_DTYPES))
    return table.assign(att_date=pd.to_datetime(table["att_date"])).astype(JUDGEMENT_DTYPES)


def current(copy: Copy) -> tuple:
    """An expected row: the copy stays as it is."""
    return (copy, CURRENT, "", None)


def recoded(copy: Copy, new_code: int) -> tuple:
    """An expected row: the copy takes its source's new code."""
    return (copy, RECODE, CODE_CHANGED, new_code)


def withdrawn(copy: Copy, reason: str) -> tuple:
    """An expected row: the copy is withdrawn for ``reason``."""
    return (copy, WITHDRAW, reason, None)


def replaced_rows(table: str, row_id: int, key: str = "id", **changes: object) -> pd.DataFrame:
    """One of the tiny school's tables with the row ``key == row_id`` changed."""
    rows = tables()[table]
    return rows.assign(**{name: rows[name].where(rows[key] != row_id, value) for name, value in changes.items()})


# Monday's absence of student 1, copied to HR, P1 and P2 by an all_periods run (D2, D3).
HR_COPY, P1_COPY, P2_COPY = (
    meeting_copy(100, 1, 1, MON, EXCUSED, 9001, HR),
    meeting_copy(101, 1, 1, MON, EXCUSED, 9002, P1),
    meeting_copy(102, 1, 1, MON, EXCUSED, 9003, P2),
)
MONDAY_COPIES = [HR_COPY, P1_COPY, P2_COPY]
# The Regular schedule's bridge moved from HR to P1 (Early Release keeps P2).
BRIDGE_AT_P1 = frame(
    "id bell_schedule_id period_id daily_attendance_code daily_time_in_default daily_time_out_default",
    [
        (1, REGULAR, HR, 0, None, None),
        (2, REGULAR, P1, 1, EIGHT, THREE),
        (3, REGULAR, P2, 0, None, None),
        (4, EARLY, P1, 0, None, None),
        (5, EARLY, P2, 1, EIGHT, NOON),
    ],
)


@pytest.mark.parametrize(
    "run", [FOLLOWING, request(DAILY_TO_MEETING, UNTAKEN_PERIODS)], ids=["m2d-bridge-only", "d2m-untaken"]
)
def test_f1_copies_whose_sources_are_unchanged_are_current_whatever_the_following_run(run) -> None:
    m2d = daily_copy(100, 1, 1, MON, EXCUSED)
    d2m = [
        meeting_copy(200 + n, 2, 2, THU, UNEXCUSED, cc, p)
        for n, (cc, p) in enumerate([(9004, HR), (9005, P1), (9005, P2)])
    ]
    judgement = judge([m2d, *d2m], meeting(1, 1, MON, EXCUSED, 9001, HR), daily(2, 2, THU, UNEXCUSED), run=run)
    pdt.assert_frame_equal(judgement, expected(*(current(c) for c in [m2d, *d2m])))


def test_f1_m2_a_daily_copy_is_recoded_when_its_bridge_period_record_s_code_changed() -> None:
    copy = daily_copy(100, 1, 1, MON, EXCUSED)
    judgement = judge([copy], meeting(1, 1, MON, TARDY, 9001, HR))
    pdt.assert_frame_equal(judgement, expected(recoded(copy, TARDY)))


def test_f1_d2_meeting_copies_are_recoded_when_the_daily_code_changed_and_still_reaches_them() -> None:
    judgement = judge(MONDAY_COPIES, daily(1, 1, MON, UNEXCUSED))  # Excused became Unexcused: still Absent
    pdt.assert_frame_equal(judgement, expected(*(recoded(c, UNEXCUSED) for c in MONDAY_COPIES)))


def test_f1_d2_a_bridge_period_copy_follows_a_present_code_too() -> None:
    copy = meeting_copy(100, 1, 1, MON, PRESENT_BLANK, 9001, HR, BRIDGE_PERIOD_ONLY)
    pdt.assert_frame_equal(judge([copy], daily(1, 1, MON, TARDY)), expected(recoded(copy, TARDY)))


@pytest.mark.parametrize("copy", [daily_copy(100, 1, 1, MON, EXCUSED), HR_COPY], ids=["m2d", "d2m"])
def test_f1_a_copy_whose_source_was_deleted_is_withdrawn(copy) -> None:
    pdt.assert_frame_equal(judge([copy]), expected(withdrawn(copy, SOURCE_DELETED)))


@pytest.mark.parametrize(
    ("copy", "source"),
    [
        (daily_copy(100, 1, 1, MON, EXCUSED), meeting(1, 2, MON, EXCUSED, 9004, HR)),
        (daily_copy(100, 1, 1, MON, EXCUSED), meeting(1, 1, THU, EXCUSED, 9001, HR)),
        (daily_copy(100, 1, 1, MON, EXCUSED), daily(1, 1, MON, EXCUSED)),
        (HR_COPY, meeting(1, 1, MON, EXCUSED, 9001, HR)),
        (HR_COPY, daily(1, 2, MON, EXCUSED)),
    ],
    ids=["other-student", "other-day", "m2d-other-mode", "d2m-other-mode", "d2m-other-student"],
)
def test_f1_a_copy_whose_source_moved_is_withdrawn(copy, source) -> None:
    pdt.assert_frame_equal(judge([copy], source), expected(withdrawn(copy, SOURCE_MOVED)))


def test_f1_a_source_moved_to_another_school_is_withdrawn_and_its_code_not_read() -> None:
    # The other school's code 99 is none of this school's: a moved source is not read (no P6 refusal).
    elsewhere = attendance_rows([meeting(1, 1, MON, 99, 9001, HR)]).assign(schoolid=200)
    copy = daily_copy(100, 1, 1, MON, EXCUSED)
    pdt.assert_frame_equal(judge([copy], sources=elsewhere), expected(withdrawn(copy, SOURCE_MOVED)))


def test_f1_x3_a_copy_on_a_day_no_longer_in_session_is_withdrawn() -> None:
    snow_day = replaced_rows("calendar_day", 501, insession=0)
    judgement = judge([HR_COPY, daily_copy(110, 2, 1, MON, EXCUSED)], daily(1, 1, MON, EXCUSED),
                      meeting(2, 1, MON, EXCUSED, 9001, HR), calendar_day=snow_day)  # fmt: skip
    pdt.assert_frame_equal(
        judgement,
        expected(
            withdrawn(daily_copy(110, 2, 1, MON, EXCUSED), DAY_NOT_IN_SESSION), withdrawn(HR_COPY, DAY_NOT_IN_SESSION)
        ),
    )


@pytest.mark.parametrize(
    ("source", "items"),
    [(meeting(1, 1, MON, EXCUSED, 9001, HR), BRIDGE_AT_P1), (meeting(1, 1, MON, EXCUSED, 9002, P1), None)],
    ids=["bridge-moved-to-p1", "record-moved-to-p1"],
)
def test_f1_m1_a_daily_copy_whose_source_is_no_longer_in_the_bridge_period_is_withdrawn(source, items) -> None:
    copy = daily_copy(100, 1, 1, MON, EXCUSED)
    replaced = {} if items is None else {"bell_schedule_items": items}
    pdt.assert_frame_equal(judge([copy], source, **replaced), expected(withdrawn(copy, NOT_IN_BRIDGE_PERIOD)))


def test_f1_d2_bridge_period_only_copy_is_withdrawn_when_the_bridge_period_changed_and_f5_builds_the_new_one() -> None:
    copy = meeting_copy(100, 1, 1, MON, TARDY, 9001, HR, BRIDGE_PERIOD_ONLY)
    frames = school(
        daily(1, 1, MON, TARDY), copy.row, built_records=frame("id", [(100,)]), bell_schedule_items=BRIDGE_AT_P1
    )
    judgement = judge_copies(
        frames, FOLLOWING, copies_table([copy]), frames.attendance.loc[frames.attendance["id"] == 1]
    )
    pdt.assert_frame_equal(judgement, expected(withdrawn(copy, BRIDGE_PERIOD_CHANGED)))
    rebuilt = bridge_records(frames_after_follow(frames, judgement), request(DAILY_TO_MEETING, BRIDGE_PERIOD_ONLY))
    pdt.assert_frame_equal(rebuilt.records, expected_meeting([(1, MON, TARDY, 9002, P1, 1)]))


def test_f1_d2_under_all_periods_an_absence_stays_in_a_period_that_is_no_longer_the_bridge() -> None:
    pdt.assert_frame_equal(
        judge(MONDAY_COPIES, daily(1, 1, MON, EXCUSED), bell_schedule_items=BRIDGE_AT_P1),
        expected(*(current(c) for c in MONDAY_COPIES)),
    )


def test_f1_d2_a_copy_in_a_period_the_day_s_bell_schedule_no_longer_has_is_withdrawn() -> None:
    # Monday now runs Early Release (P1, P2; bridge P2): HR is gone, P1 still meets on an A day.
    early_monday = replaced_rows("calendar_day", 501, bell_schedule_id=2)
    judgement = judge(MONDAY_COPIES, daily(1, 1, MON, EXCUSED), calendar_day=early_monday)
    pdt.assert_frame_equal(
        judgement, expected(withdrawn(HR_COPY, PERIOD_NOT_IN_SCHEDULE), current(P1_COPY), current(P2_COPY))
    )


@pytest.mark.parametrize("absent_periods", [ALL_PERIODS, UNTAKEN_PERIODS])
def test_f1_d2_copies_beyond_the_bridge_are_withdrawn_when_the_daily_code_is_no_longer_absent(absent_periods) -> None:
    copies = [c._replace(absent_periods=absent_periods) for c in MONDAY_COPIES]
    judgement = judge(copies, daily(1, 1, MON, TARDY))
    pdt.assert_frame_equal(
        judgement,
        expected(
            recoded(copies[0], TARDY), withdrawn(copies[1], NO_LONGER_ABSENT), withdrawn(copies[2], NO_LONGER_ABSENT)
        ),
    )


def test_f1_d3_a_copy_whose_enrolment_no_longer_schedules_the_student_is_withdrawn() -> None:
    left_early = replaced_rows("cc", 9002, dateleft=date(2025, 8, 30))
    judgement = judge(MONDAY_COPIES, daily(1, 1, MON, EXCUSED), cc=left_early)
    pdt.assert_frame_equal(judgement, expected(current(HR_COPY), withdrawn(P1_COPY, NOT_SCHEDULED), current(P2_COPY)))


def test_f1_d7_under_untaken_periods_a_copy_in_a_period_taken_since_is_withdrawn() -> None:
    copies = [c._replace(absent_periods=UNTAKEN_PERIODS) for c in MONDAY_COPIES]
    p1_taken = meeting(2, 3, MON, TARDY, 9007, P1)  # the P1 teacher marked student 3 tardy
    hr_taken = meeting(3, 2, MON, TARDY, 9004, HR)  # the bridge period takes the absence all the same
    judgement = judge(copies, daily(1, 1, MON, EXCUSED), p1_taken, hr_taken)
    pdt.assert_frame_equal(
        judgement, expected(current(copies[0]), withdrawn(copies[1], PERIOD_TAKEN), current(copies[2]))
    )


def test_x9_d7_a_copy_never_shows_attendance_taken_in_its_own_period_even_unlisted_as_built() -> None:
    copies = [c._replace(absent_periods=UNTAKEN_PERIODS) for c in MONDAY_COPIES]
    frames = school(daily(1, 1, MON, EXCUSED), *(c.row for c in copies))  # built_records left empty
    judgement = judge_copies(
        frames, FOLLOWING, copies_table(copies), frames.attendance.loc[frames.attendance["id"] == 1]
    )
    pdt.assert_frame_equal(judgement, expected(*(current(c) for c in copies)))


def test_f1_d7_under_all_periods_a_period_taken_since_leaves_the_copy_current() -> None:
    judgement = judge(MONDAY_COPIES, daily(1, 1, MON, EXCUSED), meeting(2, 3, MON, TARDY, 9007, P1))
    pdt.assert_frame_equal(judgement, expected(*(current(c) for c in MONDAY_COPIES)))


@pytest.mark.parametrize(
    ("absent_periods", "verdict"),
    [(ALL_PERIODS, current), (UNTAKEN_PERIODS, lambda c: withdrawn(c, PERIOD_TAKEN))],
    ids=[ALL_PERIODS, UNTAKEN_PERIODS],
)
def test_f1_a_person_s_record_beside_the_copy_leaves_it_current_except_under_untaken_periods(
    absent_periods, verdict
) -> None:
    # The student's own P1 record: D4 would have skipped it, F1 leaves that check out; D7 does not.
    copy = P1_COPY._replace(absent_periods=absent_periods)
    beside = meeting(2, 1, MON, TARDY, 9002, P1)
    pdt.assert_frame_equal(judge([copy], daily(1, 1, MON, EXCUSED), beside), expected(verdict(copy)))


@pytest.mark.parametrize("absent_periods", [ALL_PERIODS, BRIDGE_PERIOD_ONLY, UNTAKEN_PERIODS])
def test_f1_a_person_s_record_beside_a_bridge_period_copy_leaves_it_current(absent_periods) -> None:
    copy = HR_COPY._replace(absent_periods=absent_periods)
    beside = meeting(2, 1, MON, TARDY, 9001, HR)
    pdt.assert_frame_equal(judge([copy], daily(1, 1, MON, EXCUSED), beside), expected(current(copy)))


def test_f2_a_copy_a_person_changed_is_never_touched_even_when_its_source_is_gone() -> None:
    copy = HR_COPY._replace(row=meeting(100, 1, MON, UNEXCUSED, 9001, HR), edited=True)
    pdt.assert_frame_equal(judge([copy]), expected((copy, EDITED, CHANGED_BY_A_PERSON, None)))


def test_f2_a_copy_a_person_deleted_is_reported_and_sorted_last() -> None:
    deleted = daily_copy(100, 1, 1, MON, EXCUSED, present=False)
    kept = daily_copy(101, 2, 2, MON, EXCUSED)
    judgement = judge([deleted, kept], meeting(1, 1, MON, TARDY, 9001, HR), meeting(2, 2, MON, EXCUSED, 9004, HR))
    pdt.assert_frame_equal(judgement, expected(current(kept), (deleted, EDITED, DELETED_BY_A_PERSON, None)))


@pytest.mark.parametrize(
    ("code", "codes", "message"),
    [
        (99, None, r"P6 failed for school 100: attendance record 1 \(student 1, 2025-09-01\) uses attendance code id 99"),
        (5, frame("id att_code presence_status_cd", [(EXCUSED, "E", "Absent"), (5, "X", "Other")]),
         r"P6 failed for school 100: attendance code 'X' \(id 5\) has presence status 'Other'"),
    ],
    ids=["unknown-code", "neither-present-nor-absent"],
)  # fmt: skip
def test_p6_a_source_whose_new_code_cannot_be_read_is_refused(code, codes, message) -> None:
    replaced = {} if codes is None else {"attendance_code": codes}
    with pytest.raises(PreconditionFailed, match=message):
        judge([daily_copy(100, 1, 1, MON, EXCUSED)], meeting(1, 1, MON, code, 9001, HR), **replaced)


def test_f7_a_copy_outside_the_range_followed_is_refused() -> None:
    with pytest.raises(ValueError, match=r"copy 100 lies on 2025-09-04, outside the range followed"):
        judge(
            [daily_copy(100, 1, 1, THU, EXCUSED)],
            meeting(1, 1, THU, EXCUSED, 9001, HR),
            run=request(MEETING_TO_DAILY, end=MON),
        )


def test_f5_a_daily_tardy_become_absent_recodes_its_bridge_copy_and_the_engine_builds_the_other_periods() -> None:
    copy = meeting_copy(100, 1, 1, MON, TARDY, 9001, HR)
    frames = school(daily(1, 1, MON, EXCUSED), copy.row, built_records=frame("id", [(100,)]))
    judgement = judge_copies(
        frames, FOLLOWING, copies_table([copy]), frames.attendance.loc[frames.attendance["id"] == 1]
    )
    pdt.assert_frame_equal(judgement, expected(recoded(copy, EXCUSED)))
    after = frames_after_follow(frames, judgement)
    pdt.assert_frame_equal(
        after.attendance, school(daily(1, 1, MON, EXCUSED), meeting(100, 1, MON, EXCUSED, 9001, HR)).attendance
    )
    rebuilt = bridge_records(after, request(DAILY_TO_MEETING, ALL_PERIODS))
    pdt.assert_frame_equal(
        rebuilt.records, expected_meeting([(1, MON, EXCUSED, 9002, P1, 1), (1, MON, EXCUSED, 9003, P2, 1)])
    )
    assert rebuilt.counts["skipped_existing"] == 1  # the recoded copy itself (D4)


def test_f5_a_daily_copy_withdrawn_because_its_source_moved_lets_m1_build_from_the_other_bridge_record() -> None:
    # M2 chose record 1 (Absent) over record 2 (Tardy); record 1 was then moved to student 2.
    copy = daily_copy(100, 1, 1, MON, EXCUSED)
    records = (meeting(1, 2, MON, EXCUSED, 9004, HR), meeting(2, 1, MON, TARDY, 9001, HR))
    frames = school(*records, copy.row, built_records=frame("id", [(100,)]))
    judgement = judge_copies(
        frames, FOLLOWING, copies_table([copy]), frames.attendance.loc[frames.attendance["id"] == 1]
    )
    pdt.assert_frame_equal(judgement, expected(withdrawn(copy, SOURCE_MOVED)))
    after = frames_after_follow(frames, judgement)
    pdt.assert_frame_equal(after.attendance, school(*records).attendance)
    assert after.built_records.empty
    rebuilt = bridge_records(after, request(MEETING_TO_DAILY))
    pdt.assert_frame_equal(
        rebuilt.records, expected_daily([(1, MON, TARDY, 2, EIGHT, THREE), (2, MON, EXCUSED, 1, EIGHT, THREE)])
    )


def test_no_copy_gives_an_empty_judgement_with_its_columns() -> None:
    judgement = judge([], daily(1, 1, MON, EXCUSED))
    pdt.assert_frame_equal(judgement, expected())


def test_inputs_are_not_mutated() -> None:
    frames = school(
        daily(1, 1, MON, EXCUSED), *(c.row for c in MONDAY_COPIES), built_records=frame("id", [(100,), (101,)])
    )
    copies, sources = copies_table(MONDAY_COPIES), frames.attendance.loc[frames.attendance["id"] == 1]
    before = (frames.attendance.copy(), frames.built_records.copy(), copies.copy(), sources.copy())
    judge_copies(frames, FOLLOWING, copies, sources)
    for now, then in zip((frames.attendance, frames.built_records, copies, sources), before, strict=True):
        pdt.assert_frame_equal(now, then)
    assert frames.built_records["id"].tolist() == [100, 101]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"attendance_id": [100, 100]}, "names a copy more than once"),
        ({"direction": ["auto", MEETING_TO_DAILY]}, "copy 100 has an unknown direction or absent_periods"),
        ({"present": [None, True]}, "the copies frame has empty values in present"),
    ],
    ids=["duplicate", "unknown-direction", "no-present-flag"],
)
def test_copies_frame_refuses_what_it_cannot_judge(change, message) -> None:
    raw = copies_table([daily_copy(100, 1, 1, MON, EXCUSED), daily_copy(101, 2, 2, MON, EXCUSED)]).astype(object)
    with pytest.raises(ValueError, match=message):
        copies_frame(raw.assign(**change))


def test_copies_frame_keeps_its_columns_with_their_dtypes() -> None:
    raw = copies_table([daily_copy(100, 1, 1, MON, EXCUSED)]).assign(extra="dropped")
    copies = copies_frame(raw)
    assert list(copies.columns) == list(COPY_COLUMNS)
    assert copies.loc[0, "att_mode_code"] == MODE_DAILY
    assert str(copies["att_date"].dtype) == "datetime64[s]"
    assert str(copies["ccid"].dtype) == "Int64"


# A week of the tiny school's records, both modes: absences, a tardy, M2's and D6's choices, a taken P1.
WEEK = (
    daily(1, 1, MON, EXCUSED), daily(2, 2, THU, UNEXCUSED), daily(3, 1, TUE, TARDY), daily(4, 3, MON, EXCUSED),
    daily(5, 1, THU, TARDY), daily(6, 1, THU, UNEXCUSED), meeting(7, 3, MON, TARDY, 9007, P1),
    meeting(8, 2, MON, PRESENT_BLANK, 9004, HR), meeting(9, 2, MON, EXCUSED, 9004, HR), meeting(10, 2, TUE, TARDY, 9005, P2),
)  # fmt: skip
# What a run builds from WEEK (tests/domain/rules pin the engine): M1 for student 2 on Monday and Tuesday; D2-D7
# from Daily 1 (HR, P1, P2; P1 taken), 2 (HR, P1, P2), 3 (P2, Tuesday's bridge), 5 (HR, winning D6) and 6 (P2).
BUILT_FROM_WEEK = {
    (MEETING_TO_DAILY, ALL_PERIODS): 2, (MEETING_TO_DAILY, BRIDGE_PERIOD_ONLY): 2, (MEETING_TO_DAILY, UNTAKEN_PERIODS): 2,
    (DAILY_TO_MEETING, ALL_PERIODS): 9, (DAILY_TO_MEETING, BRIDGE_PERIOD_ONLY): 4, (DAILY_TO_MEETING, UNTAKEN_PERIODS): 8,
}  # fmt: skip


@pytest.mark.parametrize(("direction", "absent_periods"), list(BUILT_FROM_WEEK))
def test_f1_everything_a_run_built_from_unchanged_sources_is_current(direction, absent_periods) -> None:
    built = bridge_records(school(*WEEK), request(direction, absent_periods)).records
    copies = [
        Copy((1000 + n, r.studentid, r.att_date.date(), r.attendance_codeid, r.att_mode_code, r.ccid, r.periodid),
             r.parent_attendanceid, direction, absent_periods)
        for n, r in enumerate(built.itertuples())
    ]  # fmt: skip
    judgement = judge(copies, *WEEK)
    assert len(judgement) == BUILT_FROM_WEEK[(direction, absent_periods)]
    assert judgement["verdict"].tolist() == [CURRENT] * len(judgement)
