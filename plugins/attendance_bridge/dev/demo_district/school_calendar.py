"""The demo school year: its dates and holidays, the calendar days with their A/B cycle and
bell schedule, the bell schedules with their bridge periods, and the terms."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from attendance_bridge.config import YEARID_OFFSET
from attendance_bridge.dev.demo_district.plan import IdRange, SchoolPlan, as_day

MONDAY, WEDNESDAY, THURSDAY, FRIDAY = 0, 2, 3, 4

REGULAR, EARLY_RELEASE, ASSEMBLY = "Regular", "Early Release", "Assembly"

# (schedule, period_number, start, end); Assembly is defined but no calendar day uses it.
BELL_ITEMS: tuple[tuple[str, int, str, str], ...] = (
    (REGULAR, 0, "08:00", "08:10"),
    (REGULAR, 1, "08:15", "09:05"),
    (REGULAR, 2, "09:10", "10:00"),
    (REGULAR, 3, "10:05", "10:55"),
    (REGULAR, 4, "11:00", "11:50"),
    (REGULAR, 5, "12:25", "13:15"),
    (REGULAR, 6, "13:20", "14:10"),
    (REGULAR, 7, "14:15", "15:00"),
    (EARLY_RELEASE, 1, "08:00", "08:55"),
    (EARLY_RELEASE, 2, "09:00", "09:55"),
    (EARLY_RELEASE, 3, "10:00", "10:55"),
    (EARLY_RELEASE, 4, "11:05", "12:00"),
    (ASSEMBLY, 0, "08:00", "08:10"),
    (ASSEMBLY, 1, "08:15", "08:55"),
    (ASSEMBLY, 2, "09:00", "09:40"),
    (ASSEMBLY, 3, "09:45", "10:25"),
    (ASSEMBLY, 4, "11:35", "12:15"),
    (ASSEMBLY, 5, "12:50", "13:30"),
    (ASSEMBLY, 6, "13:35", "14:15"),
    (ASSEMBLY, 7, "14:20", "15:00"),
)

# The bridge item of each schedule: (period_number, daily time in, daily time out). The
# Assembly schedule has none on purpose: an unused schedule must not fail P5.
BRIDGE_ITEMS: dict[str, tuple[int, str, str]] = {
    REGULAR: (0, "08:00", "15:00"),
    EARLY_RELEASE: (2, "08:00", "12:00"),
}


@dataclass(frozen=True)
class SchoolYear:
    """The dates of one school year, planned from its yearid the way a US district plans them."""

    yearid: int
    first_day: date
    last_day: date
    fall_last_day: date
    spring_first_day: date
    holidays: tuple[tuple[date, str], ...]

    @classmethod
    def for_yearid(cls, yearid: int) -> SchoolYear:
        """The year starting in August of yearid + 1990 (35 gives 2025-08-18 .. 2026-06-05)."""
        fall, spring = yearid + YEARID_OFFSET, yearid + YEARID_OFFSET + 1
        thanksgiving = _nth_weekday(fall, 11, THURSDAY, 4)
        mlk_day = _nth_weekday(spring, 1, MONDAY, 3)
        spring_break = date(spring, 3, 25) - timedelta(days=date(spring, 3, 25).weekday())
        winter_break = pd.bdate_range(date(fall, 12, 22), date(spring, 1, 2)).date
        holidays = [
            (_nth_weekday(fall, 9, MONDAY, 1), "Labor Day"),
            *((thanksgiving + timedelta(days=k), "Thanksgiving Break") for k in (-1, 0, 1)),
            *((day, "Winter Break") for day in winter_break),
            (mlk_day, "Martin Luther King Jr. Day"),
            *((spring_break + timedelta(days=offset), "Spring Break") for offset in range(5)),
            (_last_weekday(spring, 5, MONDAY), "Memorial Day"),
        ]
        first_day = date(fall, 8, 15) + timedelta(days=(MONDAY - date(fall, 8, 15).weekday()) % 7)
        return cls(
            yearid=yearid,
            first_day=first_day,
            last_day=_nth_weekday(spring, 6, FRIDAY, 1),
            # The fall semester ends the Friday before MLK day; spring starts the day after it.
            fall_last_day=mlk_day - timedelta(days=3),
            spring_first_day=mlk_day + timedelta(days=1),
            holidays=tuple(sorted(holidays)),
        )

    @property
    def year_term_id(self) -> int:
        """The id of the year-long term (SPEC: yearid * 100); the semesters follow it."""
        return self.yearid * 100


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The n-th given weekday of a month (Monday = 0)."""
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))


def _last_weekday(year: int, month: int, weekday: int) -> date:
    """The last given weekday of a month."""
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _seconds(clock: str) -> int:
    """Seconds since midnight of an "HH:MM" time."""
    hours, minutes = clock.split(":")
    return int(hours) * 3600 + int(minutes) * 60


def calendar_days(
    plan: SchoolPlan,
    year: SchoolYear,
    ids: dict[str, IdRange],
    schedule_ids: dict[str, int],
    letter_ids: dict[str, int],
) -> pd.DataFrame:
    """Every date of the year term; helper columns ``letter`` and ``schedule`` ride along."""
    dates = pd.date_range(year.first_day, year.last_day, freq="D").astype("datetime64[s]")
    holidays = pd.DataFrame(
        {
            "date_value": pd.to_datetime([day for day, _ in year.holidays]).astype("datetime64[s]"),
            "note": pd.array([name for _, name in year.holidays], dtype="str"),
        }
    )
    calendar = pd.DataFrame({"date_value": dates}).merge(holidays, on="date_value", how="left")
    weekday = calendar["date_value"].dt.day_of_week
    insession = (weekday < 5) & calendar["note"].isna()
    # Cycle days continue across weekends and breaks: A, B, A, B... over the school days.
    letter = np.where((insession.cumsum() - 1) % 2 == 0, "A", "B")
    school_wednesday = insession & (weekday == WEDNESDAY)
    nth_in_month = school_wednesday.groupby(calendar["date_value"].dt.month).cumsum()
    early = school_wednesday & (nth_in_month == plan.early_release_wednesday)
    # Holidays keep the default (Regular) schedule, as the calendar setup page stamps it;
    # only insession says whether the day counts.
    schedule = np.where(early, EARLY_RELEASE, np.where(weekday < 5, REGULAR, ""))
    return calendar.assign(
        id=ids["calendar_day"].take(len(calendar)),
        schoolid=plan.number,
        insession=insession.astype("int64"),
        schedule=schedule,
        letter=np.where(insession, letter, ""),
        bell_schedule_id=pd.Series(schedule).map(schedule_ids).astype("Int64"),
        cycle_day_id=pd.Series(letter).map(letter_ids).astype("Int64").where(insession),
    )


def bell_schedules(
    plan: SchoolPlan, year: SchoolYear, ids: dict[str, IdRange], period_ids: dict[int, int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The school's bell_schedule and bell_schedule_items rows."""
    names = (REGULAR, EARLY_RELEASE, ASSEMBLY)
    schedules = pd.DataFrame(
        {
            "id": ids["bell_schedule"].take(len(names)),
            "schoolid": plan.number,
            "year_id": year.yearid,
            "name": list(names),
        }
    )
    schedule_ids = dict(zip(schedules["name"], schedules["id"], strict=True))
    rows = []
    for name, period_number, start, end in BELL_ITEMS:
        bridge = BRIDGE_ITEMS.get(name)
        is_bridge = bridge is not None and bridge[0] == period_number
        rows.append(
            {
                "bell_schedule_id": schedule_ids[name],
                "period_id": period_ids[period_number],
                "start_time": _seconds(start),
                "end_time": _seconds(end),
                "daily_attendance_code": int(is_bridge),
                "daily_time_in_default": _seconds(bridge[1]) if is_bridge else None,
                "daily_time_out_default": _seconds(bridge[2]) if is_bridge else None,
                "ada_code": 1,
            }
        )
    items = pd.DataFrame(rows).astype({"daily_time_in_default": "Int64", "daily_time_out_default": "Int64"})
    return schedules, items.assign(id=ids["bell_schedule_items"].take(len(items)))


def term_spans(year: SchoolYear) -> dict[str, tuple[int, np.datetime64, np.datetime64]]:
    """Each term kind's id and its first day and day after the last (cc.dateleft is exclusive)."""
    after_last = year.last_day + timedelta(days=1)
    after_fall = year.fall_last_day + timedelta(days=1)
    return {
        "year": (year.year_term_id, as_day(year.first_day), as_day(after_last)),
        "fall": (year.year_term_id + 1, as_day(year.first_day), as_day(after_fall)),
        "spring": (year.year_term_id + 2, as_day(year.spring_first_day), as_day(after_last)),
    }


def school_terms(plan: SchoolPlan, year: SchoolYear) -> pd.DataFrame:
    """The year term (isyearrec = 1) and its two semesters."""
    start = year.first_day.year
    return pd.DataFrame(
        {
            "id": [year.year_term_id, year.year_term_id + 1, year.year_term_id + 2],
            "schoolid": plan.number,
            "yearid": year.yearid,
            "name": [f"{start}-{start + 1}", "Semester 1", "Semester 2"],
            "abbreviation": [f"{start % 100:02d}-{(start + 1) % 100:02d}", "S1", "S2"],
            "firstday": pd.to_datetime([year.first_day, year.first_day, year.spring_first_day]),
            "lastday": pd.to_datetime([year.last_day, year.fall_last_day, year.last_day]),
            "isyearrec": [1, 0, 0],
            "portion": [1, 2, 2],
        }
    ).astype({"firstday": "datetime64[s]", "lastday": "datetime64[s]"})
