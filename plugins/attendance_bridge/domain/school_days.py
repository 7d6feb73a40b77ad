"""The school calendar of a run (SPEC section 5, P5): its in-session days, each day's bridge period, the periods of a day.

One calendar for the rules engine and the Great Expectations gate. ``in_session_rows``,
``calendar_rows_per_day``, ``bridge_items_in_use`` and ``items_without_period`` compute it, and
``schedule_labels`` names a bell schedule in use for both; the gate shapes their rows into
the frames its P5 suites judge (``checks.preconditions``), and ``in_session_days`` gives the
engine each day's context, refusing (P5) a calendar the rules cannot read. The gate runs first
and names every offender; the engine refuses too (docs/decisions.md), with the first one.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from attendance_bridge.domain.frames import SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.errors import PreconditionFailed


def in_session_rows(frames: SchoolFrames, school_number: int, start: date, end: date) -> pd.DataFrame:
    """Every calendar row of the school in session on a day of the range, with its cycle day letter.

    The calendar's columns, ``id`` as ``calendar_dayid`` and ``date_value`` as ``att_date``, plus
    ``letter`` (empty without a cycle day). A day has one row unless the calendar gives it
    several, which P5 refuses (``calendar_rows_per_day``).
    """
    calendar = frames.calendar_day
    rows = calendar.loc[
        (calendar["schoolid"] == school_number)
        & null_as_false(calendar["insession"] == 1)
        & calendar["date_value"].between(pd.Timestamp(start), pd.Timestamp(end))
    ].rename(columns={"id": "calendar_dayid", "date_value": "att_date"})
    letters = frames.cycle_day.rename(columns={"id": "cycle_day_id"}).astype({"cycle_day_id": "Int64"})
    return rows.merge(letters, on="cycle_day_id", how="left", validate="many_to_one")


def calendar_rows_per_day(frames: SchoolFrames, school_number: int, start: date, end: date) -> pd.DataFrame:
    """P5: every in-session day of the range (``att_date``) with how many calendar rows the school has for it.

    A day counts when at least one of its rows is in session; its other rows count whether in
    session or not (which of them holds is a guess). ``bell_schedules`` names the rows of a day
    with more than one ("bell schedules 'Regular' (id 301) and 'Early Release' (id 302)") and
    is empty for the others.
    """
    calendar = frames.calendar_day
    of_range = calendar.loc[
        (calendar["schoolid"] == school_number) & calendar["date_value"].between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    session_dates = of_range.loc[null_as_false(of_range["insession"] == 1), "date_value"]
    rows = of_range.loc[of_range["date_value"].isin(session_dates)]
    counted = rows.groupby("date_value", as_index=False).size().rename(columns={"size": "calendar_rows"})
    shared = rows.loc[rows["date_value"].duplicated(keep=False)].sort_values(["date_value", "id"])
    names = frames.bell_schedule.rename(columns={"id": "bell_schedule_id"}).astype({"bell_schedule_id": "Int64"})
    shared = shared.merge(names, on="bell_schedule_id", how="left", validate="many_to_one")
    named = "'" + shared["name"].fillna("(no name)") + "' (id " + shared["bell_schedule_id"].astype("str")
    has_schedule, in_session = shared["bell_schedule_id"].notna(), null_as_false(shared["insession"] == 1)
    described = pd.Series(
        np.select(
            [has_schedule & in_session, has_schedule, in_session],
            [named + ")", named + ", not in session)", "none"],
            "none (not in session)",
        ),
        index=shared.index,
    )
    text = described.groupby(shared["date_value"]).agg(_in_words).rename("bell_schedules").reset_index()
    return (
        counted.merge(text, on="date_value", how="left", validate="one_to_one")
        .assign(bell_schedules=lambda days: "bell schedules " + days["bell_schedules"])
        .fillna({"bell_schedules": ""})
        .astype({"calendar_rows": "int64", "bell_schedules": "str"})
        .rename(columns={"date_value": "att_date"})
    )


def bridge_items_in_use(frames: SchoolFrames, days: pd.DataFrame) -> pd.DataFrame:
    """One row per bell schedule the ``days`` (``in_session_rows``) use, with its bridge item(s): P*(B).

    Columns: ``bell_schedule_id``, ``first_day`` (the first day using it), ``name``,
    ``bridge_items`` (how many of its items are the bridge period, daily_attendance_code = 1;
    P5 wants exactly one), and that item's ``period_id``, ``time_in`` and ``time_out`` (its
    default times, seconds since midnight; the first item's when there are several, empty
    when there is none).
    """
    used = (
        days.groupby("bell_schedule_id", as_index=False)["att_date"]
        .min()
        .rename(columns={"att_date": "first_day"})
        .merge(
            frames.bell_schedule.rename(columns={"id": "bell_schedule_id"}).astype({"bell_schedule_id": "Int64"}),
            on="bell_schedule_id",
            how="left",
            validate="one_to_one",
        )
    )
    items = frames.bell_schedule_items.astype({"bell_schedule_id": "Int64"})
    bridge_items = items.loc[null_as_false(items["daily_attendance_code"] == 1)]
    per_schedule = bridge_items.groupby("bell_schedule_id").agg(
        bridge_items=("id", "size"),
        period_id=("period_id", "first"),
        time_in=("daily_time_in_default", "first"),
        time_out=("daily_time_out_default", "first"),
    )
    return (
        used.merge(per_schedule, left_on="bell_schedule_id", right_index=True, how="left", validate="one_to_one")
        .fillna({"bridge_items": 0})
        .astype({"bridge_items": "int64"})
    )


def items_without_period(frames: SchoolFrames, schedules: pd.DataFrame) -> pd.DataFrame:
    """P5: for every bell schedule of ``schedules`` (``bridge_items_in_use``), its other items whose period does not exist.

    Every item of B(d) names a period that exists, not only the bridge period: under all_periods
    D2 targets every period of B(d). A bridge item is judged as the bridge period (its
    ``period_id`` in ``bridge_items_in_use``), so only the others are here. One row per schedule, in the order of
    ``schedules``: ``item_periods_exist`` (False when one of them points at a missing period) and
    the words naming them, ``missing_items`` ("the item id 3", "the items id 3 and 4") and
    ``missing_periods`` ("points at period id 99, which does not exist", "point at period ids 98
    and 99, which do not exist"), empty for a sound schedule.
    """
    items = frames.bell_schedule_items.astype({"bell_schedule_id": "Int64"})
    missing = items.loc[
        items["bell_schedule_id"].isin(schedules["bell_schedule_id"])
        & ~null_as_false(items["daily_attendance_code"] == 1)
        & ~items["period_id"].isin(frames.period["id"])
    ].sort_values("id")
    # A handful of rows at most (only the unsound items), named per schedule.
    words = pd.DataFrame(
        [
            (schedule, *_missing_words(group["id"].tolist(), sorted(set(group["period_id"]))))
            for schedule, group in missing.groupby("bell_schedule_id")
        ],
        columns=["bell_schedule_id", "missing_items", "missing_periods"],
    ).astype({"bell_schedule_id": "Int64", "missing_items": "str", "missing_periods": "str"})
    return (
        schedules.loc[:, ["bell_schedule_id"]]
        .merge(words, on="bell_schedule_id", how="left", validate="one_to_one")
        .assign(item_periods_exist=lambda rows: rows["missing_items"].isna())
        .fillna({"missing_items": "", "missing_periods": ""})
        .loc[:, ["bell_schedule_id", "item_periods_exist", "missing_items", "missing_periods"]]
    )


def _missing_words(items: list[int], periods: list[int]) -> tuple[str, str]:
    """Items of one bell schedule that point at missing periods, and those periods, in words."""
    one_item, one_period = len(items) == 1, len(periods) == 1
    item_ids, period_ids = _in_words(pd.Series(items, dtype="str")), _in_words(pd.Series(periods, dtype="str"))
    point_at = f"{'points' if one_item else 'point'} at period id{'' if one_period else 's'} {period_ids}"
    return (
        f"the item{'' if one_item else 's'} id {item_ids}",
        f"{point_at}, which do{'es' if one_period else ''} not exist",
    )


def schedule_labels(schedules: pd.DataFrame) -> pd.Series:
    """Each bell schedule in use (``bridge_items_in_use``) as a person reads it.

    "the bell schedule 'Regular' (id 301, first used on 2025-08-18)": the gate's label of a row
    and the engine's words for P5, the same in both.
    """
    return (
        "the bell schedule '"
        + schedules["name"].fillna("(no name)")
        + "' (id "
        + schedules["bell_schedule_id"].astype("str")
        + ", first used on "
        + schedules["first_day"].dt.strftime("%Y-%m-%d")
        + ")"
    )


def in_session_days(frames: SchoolFrames, request: BridgeRequest) -> pd.DataFrame:
    """The day context of every in-session day in range: B(d), L(d), P*(d) and its times.

    Refuses (P5) when a day has several calendar rows, no bell schedule or no cycle day, or
    when a bell schedule in use does not have exactly one bridge item with a period and
    default times in < out, or has another item whose period does not exist.
    """
    school = request.school_number
    days = in_session_rows(frames, school, request.start_date, request.end_date)

    # Checked before any merge on the day: two rows would give the day two bell schedules
    # (and a pandas MergeError further on). The quality gate refuses the same first.
    shared = calendar_rows_per_day(frames, school, request.start_date, request.end_date)
    shared = shared.loc[shared["calendar_rows"] > 1]
    if not shared.empty:
        row = shared.iloc[0]
        raise PreconditionFailed(
            "P5",
            school,
            f"the day {day_text(row['att_date'])} has {row['calendar_rows']} calendar rows "
            f"({row['bell_schedules']}); it must have exactly one",
        )
    no_schedule = days.loc[days["bell_schedule_id"].isna(), "att_date"]
    if not no_schedule.empty:
        raise PreconditionFailed("P5", school, f"the in-session day {day_text(no_schedule.min())} has no bell schedule")
    no_letter = days.loc[days["letter"].isna(), "att_date"]
    if not no_letter.empty:
        raise PreconditionFailed(
            "P5", school, f"the in-session day {day_text(no_letter.min())} has no cycle day (A/B letter)"
        )

    bridges = _bridge_periods(frames, school, days)
    return days.merge(bridges, on="bell_schedule_id", how="left", validate="many_to_one").loc[
        :,
        [
            "calendar_dayid",
            "att_date",
            "bell_schedule_id",
            "letter",
            "bridge_period_id",
            "time_in",
            "time_out",
        ],
    ]


def _bridge_periods(frames: SchoolFrames, school: int, days: pd.DataFrame) -> pd.DataFrame:
    """P*(B) for every bell schedule the days use, one row each; refuses P5 otherwise."""
    bridges = bridge_items_in_use(frames, days)
    wrong = bridges.loc[bridges["bridge_items"] != 1]
    if not wrong.empty:
        row = wrong.iloc[0]
        count = int(row["bridge_items"])
        problem = "has no bridge period" if count == 0 else f"has {count} bridge periods, not one"
        raise PreconditionFailed("P5", school, f"{_schedule(row)}, used on {day_text(row['first_day'])}, {problem}")

    no_period = bridges.loc[~bridges["period_id"].isin(frames.period["id"])]
    if not no_period.empty:
        row = no_period.iloc[0]
        raise PreconditionFailed(
            "P5", school, f"the bridge period of {_schedule(row)} (period id {row['period_id']}) does not exist"
        )
    # Every other item of B(d) too: D2 would build a Meeting record for its period (issue 30).
    # In the gate's words, so the refusal reads the same whichever of the two stops the run.
    others = items_without_period(frames, bridges)
    unsound = ~others["item_periods_exist"].to_numpy(dtype=bool)
    if unsound.any():
        row = others.loc[unsound].iloc[0]
        label = schedule_labels(bridges.loc[unsound]).iloc[0]
        raise PreconditionFailed("P5", school, f"{row['missing_items']} of {label} {row['missing_periods']}")
    times_in, times_out = bridges["time_in"], bridges["time_out"]
    bad_times = bridges.loc[times_in.isna() | times_out.isna() | (times_in >= times_out).fillna(True)]
    if not bad_times.empty:
        row = bad_times.iloc[0]
        found = clock_text(bad_times["time_in"], "none").iloc[0], clock_text(bad_times["time_out"], "none").iloc[0]
        raise PreconditionFailed(
            "P5",
            school,
            f"the bridge period of {_schedule(row)} needs a default time in before its default "
            f"time out (found {found[0]} to {found[1]})",
        )
    return bridges.rename(columns={"period_id": "bridge_period_id"}).loc[
        :, ["bell_schedule_id", "bridge_period_id", "time_in", "time_out"]
    ]


def schedule_periods(frames: SchoolFrames) -> pd.DataFrame:
    """The periods of every bell schedule (its items joined to ``period``): B -> p, number."""
    periods = frames.period.rename(columns={"id": "period_id"}).loc[:, ["period_id", "period_number"]]
    return (
        frames.bell_schedule_items.loc[:, ["bell_schedule_id", "period_id"]]
        .drop_duplicates()
        .merge(periods, on="period_id", validate="many_to_one")
        .astype({"bell_schedule_id": "Int64"})
    )


def clock_text(seconds: pd.Series, missing: str) -> pd.Series:
    """Seconds since midnight as HH:MM, ``missing`` where empty.

    The engine's refusal writes "none" and the gate's frame "(none)": both texts are pinned by
    tests and shown to people, so each caller names its own.
    """
    values = pd.to_numeric(seconds, errors="coerce")
    text = (
        (values // 3600).astype("Int64").astype("str").str.zfill(2)
        + ":"
        + (values % 3600 // 60).astype("Int64").astype("str").str.zfill(2)
    )
    return text.where(values.notna(), missing)


def null_as_false(mask: pd.Series) -> pd.Series:
    """A comparison with NULLs in it as a plain boolean mask (NULL counts as False)."""
    return mask.fillna(False).astype(bool)


def day_text(value: object) -> str:
    """A date as an administrator reads it (2025-09-03)."""
    return pd.Timestamp(value).date().isoformat()


def _in_words(parts: pd.Series) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(parts)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _schedule(row: pd.Series) -> str:
    """A bell schedule named for the message."""
    name = row.get("name")
    label = f"bell schedule {name!r}" if isinstance(name, str) and name else "bell schedule"
    return f"{label} (id {row['bell_schedule_id']})"
