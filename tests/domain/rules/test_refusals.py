"""The engine refuses (P5, P6) rather than guess, naming the rule, school and object."""

from __future__ import annotations

import pandas as pd
import pytest
from attendance_bridge.domain.frames import SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.errors import PreconditionFailed

from tests.support.tiny_school import (
    EXCUSED,
    HR,
    MON,
    P1,
    THU,
    TUE,
    WED_HOLIDAY,
    daily,
    meeting,
    request,
    school,
    tables,
)

BOTH = ("meeting_to_daily", "daily_to_meeting")


def items_without(item_id: int, **changes: object) -> pd.DataFrame:
    """The tiny school's bell schedule items with one item changed (or dropped when no change)."""
    items = tables()["bell_schedule_items"]
    if not changes:
        return items.loc[items["id"] != item_id]
    return items.assign(**{k: items[k].where(items["id"] != item_id, v) for k, v in changes.items()})


@pytest.mark.parametrize("direction", BOTH)
@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            items_without(5),
            r"P5 failed for school 100: bell schedule 'Early Release' \(id 2\), used on 2025-09-02, has no bridge period",
        ),
        (
            items_without(4, daily_attendance_code=1, daily_time_in_default=1, daily_time_out_default=2),
            r"has 2 bridge periods",
        ),
        (
            items_without(1, daily_time_in_default=None),
            r"Regular.*needs a default time in before its default time out \(found none to 15:00\)",
        ),
        (items_without(1, daily_time_in_default=15 * 3600, daily_time_out_default=8 * 3600), r"found 15:00 to 08:00"),
        (
            items_without(1, period_id=99),
            r"bridge period of bell schedule 'Regular' \(id 1\) \(period id 99\) does not exist",
        ),
    ],
    ids=["no-bridge", "two-bridges", "missing-time-in", "inverted-times", "unknown-period"],
)
def test_p5_bell_schedule_in_use_needs_exactly_one_sound_bridge(
    direction: str, items: pd.DataFrame, expected: str
) -> None:
    frames = school(daily(1, 1, MON, EXCUSED), bell_schedule_items=items)
    with pytest.raises(PreconditionFailed, match=expected) as refused:
        bridge_records(frames, request(direction))
    assert (refused.value.rule, refused.value.school_number) == ("P5", 100)


def periods_without(*period_ids: int) -> pd.DataFrame:
    """The tiny school's periods with some deleted."""
    periods = tables()["period"]
    return periods.loc[~periods["id"].isin(period_ids)]


def items_pointing_at(periods: dict[int, int]) -> pd.DataFrame:
    """The tiny school's bell schedule items, some pointing at other period ids ({item id: period id})."""
    items = tables()["bell_schedule_items"]
    return items.assign(period_id=items["id"].map(periods).fillna(items["period_id"]).astype("int64"))


@pytest.mark.parametrize("direction", BOTH)
@pytest.mark.parametrize(
    ("changed", "expected"),
    [
        (
            # P1 is an item of Regular (item 2) and of Early Release (item 4), the bridge period of neither.
            {"period": periods_without(P1)},
            (
                "the item id 2 of the bell schedule 'Regular' (id 1, first used on 2025-09-01) points at period id 11, "
                "which does not exist"
            ),
        ),
        (
            {"bell_schedule_items": items_pointing_at({2: 98, 3: 99})},
            (
                "the items id 2 and 3 of the bell schedule 'Regular' (id 1, first used on 2025-09-01) point at period "
                "ids 98 and 99, which do not exist"
            ),
        ),
    ],
    ids=["deleted-period", "two-items"],
)
def test_p5_every_item_of_a_bell_schedule_in_use_names_a_period_that_exists(direction, changed, expected) -> None:
    # Issue 30: a deleted period other than the bridge period was read as "no such period that
    # day", so the run went on without a word. The engine refuses in the gate's words.
    frames = school(daily(1, 1, MON, EXCUSED), **changed)
    with pytest.raises(PreconditionFailed) as refused:
        bridge_records(frames, request(direction))
    assert (refused.value.rule, refused.value.school_number) == ("P5", 100)
    assert str(refused.value) == f"P5 failed for school 100: {expected}"


def test_p5_unused_bell_schedule_without_bridge_does_not_matter() -> None:
    # Early Release is only used on Tuesday; a Thursday-only run does not need its bridge.
    frames = school(daily(1, 1, THU, EXCUSED), bell_schedule_items=items_without(5))
    result = bridge_records(frames, request("daily_to_meeting", start=THU, end=THU))
    assert result.counts["candidates"] == 2


def test_p5_in_session_day_without_cycle_day_is_refused() -> None:
    calendar = tables()["calendar_day"]
    calendar = calendar.assign(cycle_day_id=calendar["cycle_day_id"].where(calendar["id"] != 502, None))
    with pytest.raises(
        PreconditionFailed, match=r"P5 failed for school 100: the in-session day 2025-09-02 has no cycle day"
    ):
        bridge_records(school(calendar_day=calendar), request("daily_to_meeting"))


@pytest.mark.parametrize("direction", BOTH)
def test_p6_unknown_code_is_refused(direction: str) -> None:
    frames = school(daily(7, 1, TUE, 42), meeting(8, 1, TUE, 42, 9003, 12))
    with pytest.raises(
        PreconditionFailed,
        match=r"P6 failed for school 100: attendance record \d \(student 1, 2025-09-02\) uses attendance code id 42",
    ):
        bridge_records(frames, request(direction))


def test_p6_code_neither_present_nor_absent_is_refused() -> None:
    codes = tables()["attendance_code"]
    codes = codes.assign(presence_status_cd=codes["presence_status_cd"].where(codes["id"] != EXCUSED, "Other"))
    with pytest.raises(
        PreconditionFailed,
        match=r"P6 .* attendance code 'E' \(id 3\) has presence status 'Other'; it must be Present or Absent",
    ):
        bridge_records(
            school(meeting(1, 1, MON, EXCUSED, 9001, HR), attendance_code=codes), request("meeting_to_daily")
        )


def test_request_refuses_unresolved_direction_and_reversed_range() -> None:
    with pytest.raises(ValueError, match="direction must be resolved"):
        BridgeRequest(100, 35, "auto", "all_periods", MON, THU)
    with pytest.raises(ValueError, match="after end date"):
        BridgeRequest(100, 35, "daily_to_meeting", "all_periods", THU, MON)


def test_frames_refuse_a_missing_column_by_name() -> None:
    raw = tables()
    raw["cc"] = raw["cc"].drop(columns="dateleft")
    with pytest.raises(ValueError, match="the cc frame lacks the column"):
        SchoolFrames.from_tables(**raw)


def calendar_with_second_row(date_value, insession: int, bell_schedule_id) -> pd.DataFrame:
    """The tiny school's calendar with a second row for one date (id 599)."""
    calendar = tables()["calendar_day"]
    extra = pd.DataFrame([(599, 100, date_value, insession, bell_schedule_id, 1)], columns=calendar.columns)
    return pd.concat([calendar, extra], ignore_index=True)


@pytest.mark.parametrize("direction", BOTH)
@pytest.mark.parametrize(
    ("second_row", "schedules"),
    [
        ((TUE, 1, 1), "bell schedules 'Early Release' (id 2) and 'Regular' (id 1)"),
        ((TUE, 0, None), "bell schedules 'Early Release' (id 2) and none (not in session)"),
        ((THU, 1, None), "bell schedules 'Regular' (id 1) and none"),
    ],
    ids=["two-schedules", "second-row-not-in-session", "second-row-without-schedule"],
)
def test_p5_a_day_with_two_calendar_rows_is_refused_not_a_merge_error(direction, second_row, schedules) -> None:
    # Before issue 18 this raised pandas' MergeError from the day-context join.
    day = second_row[0]
    frames = school(daily(1, 1, MON, EXCUSED), calendar_day=calendar_with_second_row(*second_row))
    with pytest.raises(PreconditionFailed) as refused:
        bridge_records(frames, request(direction))
    assert (refused.value.rule, refused.value.school_number) == ("P5", 100)
    assert str(refused.value) == (
        f"P5 failed for school 100: the day {day.isoformat()} has 2 calendar rows ({schedules}); it must have exactly one"
    )


def test_p5_two_calendar_rows_of_a_day_off_do_not_matter() -> None:
    # Neither row is in session: the day yields nothing either way (X3), so nothing is ambiguous.
    frames = school(daily(1, 1, MON, EXCUSED), calendar_day=calendar_with_second_row(WED_HOLIDAY, 0, None))
    built = bridge_records(frames, request("daily_to_meeting")).records
    assert len(built) == 3
    pd.testing.assert_frame_equal(
        built, bridge_records(school(daily(1, 1, MON, EXCUSED)), request("daily_to_meeting")).records
    )
