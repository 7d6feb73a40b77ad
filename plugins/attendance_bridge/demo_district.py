"""A deterministic demo district whose two schools switched attendance method mid-year.

``create_sis_schema`` builds the SIS tables of SPEC section 2 in a schema;
``generate_demo_district`` fills them with one school year that exercises every rule of
SPEC section 5:

- Lincoln High (100) recorded Daily in the fall and Meeting in the spring; Roosevelt Middle
  (200) the other way round. Their prefs describe the method each uses now; the district
  office (0) and the previous year have prefs rows too.
- Two bell schedules in use with different bridge periods (Regular: homeroom; Early
  Release, one Wednesday a month: period 2) and an unused Assembly schedule with none (P5).
- A/B cycle days, holidays, homerooms, a double-block course, alternate-day courses,
  semester courses, an independent study that double-books period 6 (D3), dropped
  enrolments, mid-term section changes, late arrivals, early leavers, and students without a
  homeroom, whose Daily records on Regular days have no bridge period to go to (D5).
- Daily records with and without attendance_time rows, student-days with two Daily records
  (D6); Meeting records for whole-day absences, tardies and cut classes, student-days with
  two bridge-period Meeting records (M2); records the other direction would build already in
  place (D4, M1); and noise to ignore: records on days off (X3) and of another mode.

Same arguments, same rows: every random choice comes from one ``numpy.random.default_rng``
and ids are handed out in a fixed order. Each table draws its ids from its own range, so a
join on the wrong id column finds nothing instead of something plausible.

Command line: ``python -m attendance_bridge.demo_district --help``. This module imports
pandas and numpy, so a DAG file imports it inside a task, never at parse time.
"""

from __future__ import annotations

import argparse
import csv
import math
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd
import psycopg
from psycopg import sql

from attendance_bridge.embedded import sis_connection
from attendance_bridge.settings import (
    ABSENT,
    DEFAULT_SIS_SCHEMA,
    DISTRICT_OFFICE_SCHOOL_NUMBER,
    FIRST_YEARID,
    MODE_DAILY,
    MODE_MEETING,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
    PRESENT,
    PROJECT_ROOT,
    YEARID_OFFSET,
)
from attendance_bridge.sql import load_sql

# The DDL files of include/sql/sis/ in the order they must run (indexes after their table).
SCHEMA_STATEMENTS: tuple[str, ...] = (
    "sis/create_schools",
    "sis/create_terms",
    "sis/create_prefs",
    "sis/create_attendance_code",
    "sis/create_period",
    "sis/create_cycle_day",
    "sis/create_bell_schedule",
    "sis/create_bell_schedule_items",
    "sis/create_calendar_day",
    "sis/create_sections",
    "sis/create_section_meeting",
    "sis/create_students",
    "sis/create_cc",
    "sis/create_cc_studentid_index",
    "sis/create_attendance",
    "sis/create_attendance_schoolid_att_date_index",
    "sis/create_attendance_time",
)

# The columns the generator writes, per table, in load order. Columns left out are filled
# by their defaults: every dcid, and attendance_time.id.
COPY_COLUMNS: dict[str, tuple[str, ...]] = {
    "schools": ("id", "school_number", "name", "abbreviation", "low_grade", "high_grade"),
    "terms": (
        "id",
        "schoolid",
        "yearid",
        "name",
        "abbreviation",
        "firstday",
        "lastday",
        "isyearrec",
        "portion",
    ),
    "prefs": ("id", "schoolid", "yearid", "name", "value"),
    "attendance_code": (
        "id",
        "schoolid",
        "yearid",
        "att_code",
        "description",
        "presence_status_cd",
        "sortorder",
    ),
    "period": ("id", "schoolid", "year_id", "period_number", "name", "abbreviation", "sort_order"),
    "cycle_day": ("id", "schoolid", "year_id", "letter", "day_number", "abbreviation"),
    "bell_schedule": ("id", "schoolid", "year_id", "name"),
    "bell_schedule_items": (
        "id",
        "bell_schedule_id",
        "period_id",
        "start_time",
        "end_time",
        "daily_attendance_code",
        "daily_time_in_default",
        "daily_time_out_default",
        "ada_code",
    ),
    "calendar_day": (
        "id",
        "schoolid",
        "date_value",
        "insession",
        "bell_schedule_id",
        "cycle_day_id",
        "note",
    ),
    "sections": (
        "id",
        "schoolid",
        "termid",
        "course_number",
        "section_number",
        "att_mode_code",
        "expression",
    ),
    "section_meeting": (
        "id",
        "sectionid",
        "schoolid",
        "year_id",
        "period_number",
        "cycle_day_letter",
    ),
    "students": ("id", "student_number", "schoolid", "first_name", "last_name", "grade_level"),
    "cc": (
        "id",
        "studentid",
        "sectionid",
        "schoolid",
        "termid",
        "dateenrolled",
        "dateleft",
        "course_number",
        "section_number",
    ),
    "attendance": (
        "id",
        "studentid",
        "schoolid",
        "yearid",
        "att_date",
        "calendar_dayid",
        "attendance_codeid",
        "att_mode_code",
        "ccid",
        "periodid",
        "parent_attendanceid",
        "att_interval",
        "att_comment",
        "ip_address",
        "whomodifiedid",
        "whomodifiedtype",
    ),
    "attendance_time": (
        "attendanceid",
        "time_in",
        "time_out",
        "total_minutes",
        "ip_address",
        "whomodifiedid",
    ),
}
SIS_TABLES: tuple[str, ...] = tuple(COPY_COLUMNS)

# First id of each table is base + 1. The ranges are far apart so ids never repeat across
# tables (see the module docstring); MAX_STUDENTS_PER_SCHOOL keeps them from overlapping.
ID_BASES: dict[str, int] = {
    "schools": 0,
    "attendance_code": 10,
    "period": 100,
    "cycle_day": 200,
    "bell_schedule": 300,
    "bell_schedule_items": 400,
    "prefs": 500,
    "calendar_day": 10_000,
    "sections": 100_000,
    "section_meeting": 200_000,
    "students": 1_000_000,
    "cc": 2_000_000,
    "attendance": 10_000_000,
}
MAX_STUDENTS_PER_SCHOOL = 20_000

MODE_INTERVAL = "ATT_ModeInterval"  # a real mode the bridge must ignore
MONDAY, WEDNESDAY, THURSDAY, FRIDAY = 0, 2, 3, 4

# Internal attendance code keys; "P" is the Present code, whose att_code is NULL or blank.
CODES: tuple[tuple[str, str, str], ...] = (
    ("P", "Present", PRESENT),
    ("T", "Tardy", PRESENT),
    ("E", "Excused Absence", ABSENT),
    ("U", "Unexcused Absence", ABSENT),
    ("H", "Half Day", ABSENT),
)
ABSENT_CODES = frozenset(key for key, _, presence in CODES if presence == ABSENT)
# The code a teacher or clerk entered when the copy in the other mode disagrees.
DIFFERENT_CODE = {"P": "T", "T": "P", "E": "U", "U": "E", "H": "E"}

PERIODS: tuple[tuple[int, str, str], ...] = (
    (0, "Homeroom", "HR"),
    *((number, f"Period {number}", f"P{number}") for number in range(1, 8)),
)

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

# Chance per enrolled student-day of each event, on the days the school used that mode.
DAILY_EVENTS: dict[str, float] = {
    "E": 0.020,
    "U": 0.015,
    "T": 0.025,
    "H": 0.008,
    "P": 0.015,
    "pair": 0.002,
}
DAILY_PAIRS: tuple[tuple[str, str], ...] = (("E", "H"), ("H", "E"), ("U", "T"), ("T", "E"))
MEETING_EVENTS: dict[str, float] = {
    "absent_E": 0.018,
    "absent_U": 0.022,
    "tardy": 0.025,
    "cut": 0.010,
    "pair": 0.002,
}
# Bridge-period pairs: Present first, so M2's "Absent over Present" beats "lowest id", and
# one pair of two Absent codes, where the lowest id decides.
MEETING_PAIRS: tuple[tuple[str, str], ...] = (("P", "U"), ("T", "E"), ("U", "P"), ("E", "U"))
TIMED_DAILY_SHARE = 0.75  # of Tardy and Half Day records that carry an attendance_time row
COPY_SHARE = 0.05  # of records that already have their copy in the other mode
SAME_CODE_SHARE = 0.5  # of those copies that agree with their source
DAYS_OFF_NOISE = 3  # records per school and mode on days not in session
OTHER_MODE_NOISE = 4  # ATT_ModeInterval records per school

FIRST_NAMES = (
    "Ava",
    "Liam",
    "Mia",
    "Noah",
    "Zoe",
    "Ethan",
    "Lily",
    "Mateo",
    "Aria",
    "Lucas",
    "Chloe",
    "Elijah",
    "Nora",
    "Mason",
    "Isla",
    "Logan",
    "Maya",
    "Owen",
    "Leah",
    "Caleb",
    "Sofia",
    "Jack",
    "Emma",
    "Diego",
    "Hana",
    "Ravi",
    "Amara",
    "Tomas",
    "Ines",
    "Kofi",
)
LAST_NAMES = (
    "Garcia",
    "Smith",
    "Nguyen",
    "Johnson",
    "Patel",
    "Brown",
    "Kim",
    "Lopez",
    "Davis",
    "Chen",
    "Wilson",
    "O'Neil",
    "Martin",
    "Okafor",
    "Silva",
    "Anderson",
    "Novak",
    "Rossi",
    "Haddad",
    "Murphy",
    "Tanaka",
    "Clark",
    "Moreno",
    "Walker",
    "Singh",
    "Young",
    "Diaz",
    "Schmidt",
)
OFFICE_STAFF_IDS = np.array([9101, 9102, 9103])
IP_ADDRESSES = np.array(["10.20.1.15", "10.20.1.16", "10.20.7.41", "10.20.9.3", "172.16.4.22"])
EXCUSE_COMMENTS = np.array(["Parent called", "Doctor appointment", "Illness", "Family emergency"])


@dataclass(frozen=True)
class Course:
    """A course of a school's catalogue: when its sections meet and who takes it."""

    number: str
    name: str
    term: str  # "year", "fall" or "spring"
    meetings: tuple[tuple[int, str], ...]  # (period_number, cycle day letter)
    share: float = 1.0  # fraction of the students enrolled
    capacity: int = 28


@dataclass(frozen=True)
class SchoolPlan:
    """Everything that differs between the two demo schools."""

    number: int
    name: str
    abbreviation: str
    grades: tuple[int, int]
    fall_mode: str
    spring_mode: str
    prefs_now: tuple[tuple[str, str], ...]
    prefs_last_year: tuple[tuple[str, str], ...]
    present_att_code: str | None  # NULL at one school, '' at the other: both mean Present
    early_release_wednesday: int  # Early Release is the n-th school Wednesday of each month
    courses: tuple[Course, ...]


def _catalogue(names: Sequence[tuple[str, str]]) -> tuple[Course, ...]:
    """One school's courses in the fixed grid shape; ``names`` are (number, name) in slot order."""
    both = ("A", "B")
    meetings: tuple[tuple[str, tuple[tuple[int, str], ...], float, int], ...] = (
        ("year", tuple((0, letter) for letter in both), 0.98, 25),  # homeroom; 2% have none
        ("year", tuple((1, letter) for letter in both), 1.0, 28),
        ("year", tuple((2, letter) for letter in both), 1.0, 28),
        ("year", ((3, "A"), (4, "A")), 1.0, 28),  # the double block
        ("year", ((3, "B"),), 1.0, 28),
        ("year", ((4, "B"),), 1.0, 28),
        ("year", tuple((5, letter) for letter in both), 1.0, 28),
        ("year", ((6, "A"),), 1.0, 28),
        ("year", ((6, "B"),), 1.0, 28),
        ("fall", tuple((7, letter) for letter in both), 1.0, 28),
        ("spring", tuple((7, letter) for letter in both), 1.0, 28),
        ("year", ((6, "A"),), 0.03, 28),  # independent study, double-booked with period 6 A
    )
    return tuple(
        Course(number, name, term, slots, share, capacity)
        for (number, name), (term, slots, share, capacity) in zip(names, meetings, strict=True)
    )


SCHOOL_PLANS: tuple[SchoolPlan, ...] = (
    SchoolPlan(
        number=100,
        name="Lincoln High",
        abbreviation="LHS",
        grades=(9, 12),
        fall_mode=MODE_DAILY,
        spring_mode=MODE_MEETING,
        prefs_now=(
            (PREF_RECORD_MODE_DAILY, "0"),
            (PREF_RECORD_MODE_MEETING, "1"),
            (PREF_BRIDGE, "2"),
        ),
        prefs_last_year=(
            (PREF_RECORD_MODE_DAILY, "1"),
            (PREF_RECORD_MODE_MEETING, "0"),
            (PREF_BRIDGE, "0"),
        ),
        present_att_code=None,
        early_release_wednesday=2,
        courses=_catalogue(
            (
                ("HR", "Homeroom"),
                ("ENG9", "English 9"),
                ("ALG1", "Algebra I"),
                ("BIOL", "Biology with Lab"),
                ("WHIS", "World History"),
                ("SPAN1", "Spanish I"),
                ("PE9", "Physical Education"),
                ("ART1", "Art I"),
                ("MUS1", "Concert Choir"),
                ("HLTH", "Health"),
                ("CSCI", "Computer Science"),
                ("ISTD", "Independent Study"),
            )
        ),
    ),
    SchoolPlan(
        number=200,
        name="Roosevelt Middle",
        abbreviation="RMS",
        grades=(6, 8),
        fall_mode=MODE_MEETING,
        spring_mode=MODE_DAILY,
        prefs_now=(
            (PREF_RECORD_MODE_DAILY, "1"),
            (PREF_RECORD_MODE_MEETING, "0"),
            (PREF_BRIDGE, "1"),
        ),
        prefs_last_year=(
            (PREF_RECORD_MODE_DAILY, "0"),
            (PREF_RECORD_MODE_MEETING, "1"),
            (PREF_BRIDGE, "1"),
        ),
        present_att_code="",
        early_release_wednesday=3,
        courses=_catalogue(
            (
                ("HR", "Homeroom"),
                ("ELA7", "English Language Arts 7"),
                ("MATH7", "Math 7"),
                ("SCI7", "Science 7 with Lab"),
                ("SOC7", "Social Studies 7"),
                ("FRE1", "French I"),
                ("PE7", "Physical Education 7"),
                ("ART7", "Art 7"),
                ("BAND", "Band"),
                ("HLTH7", "Health 7"),
                ("TECH7", "Technology 7"),
                ("ISTD", "Independent Study"),
            )
        ),
    ),
)


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


@dataclass(frozen=True)
class DemoDistrict:
    """What ``generate_demo_district`` loaded: enough to point a run or a test at it."""

    schema: str
    school_numbers: tuple[int, ...]
    yearid: int
    switch_date: date  # first day of the spring semester, when both schools changed method
    row_counts: Mapping[str, int]


@dataclass(frozen=True)
class SchoolSetup:
    """One school's setup tables plus the day and schedule context its records are drawn from."""

    plan: SchoolPlan
    tables: dict[str, pd.DataFrame]
    students: pd.DataFrame  # id, entry, exit (exclusive): when the student is enrolled
    days: pd.DataFrame  # in-session days: att_date, letter, mode, bridge times
    day_periods: pd.DataFrame  # att_date, period_number, periodid, sort_order, is_bridge
    slots: pd.DataFrame  # ccid, studentid, letter, period_number, dateenrolled, dateleft
    days_off: pd.DataFrame  # att_date, mode of the days not in session


class _IdRange:
    """Hands out consecutive ids from one table's range."""

    def __init__(self, base: int) -> None:
        self._next = base + 1

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` ids."""
        ids = np.arange(self._next, self._next + count, dtype=np.int64)
        self._next += count
        return ids


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


def _day(value: date) -> np.datetime64:
    """A date as the datetime64[s] scalar the frames hold."""
    return np.datetime64(value, "s")


def _sample_count(size: int, share: float) -> int:
    """How many of ``size`` items make ``share`` of them: at least one, and, below 100%, not all."""
    if share >= 1.0 or size < 2:
        return size
    return min(max(1, round(size * share)), size - 1)


def _calendar_day(
    plan: SchoolPlan,
    year: SchoolYear,
    ids: dict[str, _IdRange],
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


def _bell_schedules(
    plan: SchoolPlan, year: SchoolYear, ids: dict[str, _IdRange], period_ids: dict[int, int]
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


def _students(
    plan: SchoolPlan,
    year: SchoolYear,
    school_days: np.ndarray,
    ids: dict[str, _IdRange],
    count: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Students with their enrolment window, and the ones allowed a mid-term section change."""
    student_ids = ids["students"].take(count)
    entry = np.full(count, _day(year.first_day))
    exit_ = np.full(count, _day(year.last_day + timedelta(days=1)))
    # Late arrivals, early leavers and section changers are disjoint, so a change always
    # falls inside its student's enrolment.
    order = rng.permutation(count)
    late_count = early_count = _sample_count(count, 0.02) if count >= 3 else 0
    late, early = order[:late_count], order[late_count : late_count + early_count]
    changers = order[late_count + early_count :][: _sample_count(count, 0.03)]
    arrivals = school_days[
        (school_days >= _day(year.first_day + timedelta(days=28)))
        & (school_days < _day(date(year.first_day.year, 12, 1)))
    ]
    departures = school_days[
        (school_days >= _day(date(year.last_day.year, 2, 1))) & (school_days < _day(date(year.last_day.year, 5, 1)))
    ]
    entry[late] = rng.choice(arrivals, size=len(late))
    exit_[early] = rng.choice(departures, size=len(early))
    students = pd.DataFrame(
        {
            "id": student_ids,
            "student_number": plan.number * 10_000 + np.arange(1, count + 1),
            "schoolid": plan.number,
            "first_name": rng.choice(FIRST_NAMES, size=count),
            "last_name": rng.choice(LAST_NAMES, size=count),
            "grade_level": rng.integers(plan.grades[0], plan.grades[1] + 1, size=count),
            "entry": entry,
            "exit": exit_,
        }
    )
    return students, changers


def _term_spans(year: SchoolYear) -> dict[str, tuple[int, np.datetime64, np.datetime64]]:
    """Each term kind's id and its first day and day after the last (cc.dateleft is exclusive)."""
    after_last = year.last_day + timedelta(days=1)
    after_fall = year.fall_last_day + timedelta(days=1)
    return {
        "year": (year.year_term_id, _day(year.first_day), _day(after_last)),
        "fall": (year.year_term_id + 1, _day(year.first_day), _day(after_fall)),
        "spring": (year.year_term_id + 2, _day(year.spring_first_day), _day(after_last)),
    }


def _terms(plan: SchoolPlan, year: SchoolYear) -> pd.DataFrame:
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


def _sections_and_enrolments(
    plan: SchoolPlan,
    year: SchoolYear,
    students: pd.DataFrame,
    changers: np.ndarray,
    school_days: np.ndarray,
    ids: dict[str, _IdRange],
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """sections, section_meeting and cc: a full schedule per student, then changes and drops."""
    spans = _term_spans(year)
    sections, meetings, enrolments = [], [], []
    for course_index, course in enumerate(plan.courses):
        termid, term_start, term_end = spans[course.term]
        takers = rng.permutation(len(students))[: _sample_count(len(students), course.share)]
        takers.sort()
        section_count = max(1, math.ceil(len(takers) / course.capacity))
        section_ids = ids["sections"].take(section_count)
        periods = "-".join(str(p) for p in sorted({p for p, _ in course.meetings}))
        letters = "-".join(sorted({letter for _, letter in course.meetings}))
        sections.append(
            pd.DataFrame(
                {
                    "id": section_ids,
                    "schoolid": plan.number,
                    "termid": termid,
                    "course_number": course.number,
                    "section_number": [str(n) for n in range(1, section_count + 1)],
                    "att_mode_code": MODE_MEETING,
                    "expression": f"{periods}({letters})",
                    "course_index": course_index,
                    "section_index": np.arange(section_count),
                }
            )
        )
        meetings.append(
            pd.DataFrame(
                {
                    "sectionid": np.repeat(section_ids, len(course.meetings)),
                    "period_number": np.tile([p for p, _ in course.meetings], section_count),
                    "cycle_day_letter": np.tile([letter for _, letter in course.meetings], section_count),
                }
            )
        )
        # Balanced sections: the i-th taker of a random order goes to section i mod n.
        section_index = np.empty(len(takers), dtype=np.int64)
        section_index[rng.permutation(len(takers))] = np.arange(len(takers)) % section_count
        enrolled = students.iloc[takers]
        enrolments.append(
            pd.DataFrame(
                {
                    "studentid": enrolled["id"].to_numpy(),
                    "course_index": course_index,
                    "section_index": section_index,
                    "dateenrolled": np.maximum(enrolled["entry"].to_numpy(), term_start),
                    "dateleft": np.minimum(enrolled["exit"].to_numpy(), term_end),
                }
            )
        )
    section_frame = pd.concat(sections, ignore_index=True)
    meeting_frame = pd.concat(meetings, ignore_index=True)
    cc = pd.concat(enrolments, ignore_index=True).loc[lambda f: f["dateenrolled"] < f["dateleft"]]
    cc = pd.concat(
        [
            *_section_changes(plan, cc, section_frame, students, changers, school_days, year, rng),
            _dropped_enrolments(plan, cc, section_frame, students, rng),
        ],
        ignore_index=True,
    )
    section_of = section_frame[["id", "course_index", "section_index", "termid", "course_number", "section_number"]]
    cc = (
        cc.merge(section_of, on=["course_index", "section_index"], validate="many_to_one")
        .assign(
            sectionid=lambda f: np.where(f["dropped"], -f["id"], f["id"]),
            schoolid=plan.number,
        )
        .drop(columns="id")
        .sort_values(["studentid", "course_index", "dateenrolled", "sectionid"], kind="stable")
        .reset_index(drop=True)
    )
    cc = cc.assign(id=ids["cc"].take(len(cc)))
    meeting_frame = meeting_frame.assign(
        id=ids["section_meeting"].take(len(meeting_frame)),
        schoolid=plan.number,
        year_id=year.yearid,
    )
    return section_frame, meeting_frame, cc


def _changeable_courses(plan: SchoolPlan, sections: pd.DataFrame) -> np.ndarray:
    """Year-long courses other than homeroom that have a second section to move to."""
    counts = sections.groupby("course_index")["section_index"].size()
    return np.array(
        [
            index
            for index, course in enumerate(plan.courses)
            if course.term == "year" and course.number != "HR" and course.share >= 1.0 and counts.get(index, 0) >= 2
        ],
        dtype=np.int64,
    )


def _other_section(section_index: np.ndarray, section_counts: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A different section of the same course for each row (needs at least two sections)."""
    shift = 1 + (rng.random(len(section_index)) * (section_counts - 1)).astype(np.int64)
    return (section_index + shift) % section_counts


def _section_changes(
    plan: SchoolPlan,
    cc: pd.DataFrame,
    sections: pd.DataFrame,
    students: pd.DataFrame,
    changers: np.ndarray,
    school_days: np.ndarray,
    year: SchoolYear,
    rng: np.random.Generator,
) -> list[pd.DataFrame]:
    """cc with mid-term changes: the old enrolment leaves on the day the new one starts."""
    courses = _changeable_courses(plan, sections)
    if len(courses) == 0 or len(changers) == 0:
        return [cc.assign(dropped=False)]
    window = school_days[
        (school_days > _day(year.first_day + timedelta(days=20))) & (school_days < _day(date(year.last_day.year, 5, 1)))
    ]
    moves = pd.DataFrame(
        {
            "studentid": students["id"].to_numpy()[changers],
            "course_index": rng.choice(courses, size=len(changers)),
            "change_date": rng.choice(window, size=len(changers)),
        }
    )
    counts = sections.groupby("course_index")["section_index"].size().rename("section_count")
    flagged = cc.merge(moves, on=["studentid", "course_index"], how="left", validate="many_to_one")
    moved = flagged["change_date"].notna()
    before = flagged.assign(dateleft=flagged["change_date"].where(moved, flagged["dateleft"]).astype("datetime64[s]"))
    after = flagged.loc[moved].merge(counts, left_on="course_index", right_index=True)
    after = after.assign(
        section_index=_other_section(after["section_index"].to_numpy(), after["section_count"].to_numpy(), rng),
        dateenrolled=after["change_date"].astype("datetime64[s]"),
    )
    keep = ["studentid", "course_index", "section_index", "dateenrolled", "dateleft"]
    return [before[keep].assign(dropped=False), after[keep].assign(dropped=False)]


def _dropped_enrolments(
    plan: SchoolPlan,
    cc: pd.DataFrame,
    sections: pd.DataFrame,
    students: pd.DataFrame,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Enrolments dropped on the day they began: negative sectionid, dateleft = dateenrolled."""
    courses = _changeable_courses(plan, sections)
    if len(courses) == 0:
        return cc.iloc[:0].assign(dropped=True)
    count = _sample_count(len(students), 0.03)
    chosen = np.sort(rng.choice(len(students), size=count, replace=False))
    picks = pd.DataFrame(
        {
            "studentid": students["id"].to_numpy()[chosen],
            "course_index": rng.choice(courses, size=len(chosen)),
        }
    )
    counts = sections.groupby("course_index")["section_index"].size().rename("section_count")
    first_enrolment = cc.sort_values(["studentid", "course_index", "dateenrolled"], kind="stable").drop_duplicates(
        ["studentid", "course_index"]
    )
    dropped = picks.merge(first_enrolment, on=["studentid", "course_index"]).merge(
        counts, left_on="course_index", right_index=True
    )
    return dropped.assign(
        section_index=_other_section(dropped["section_index"].to_numpy(), dropped["section_count"].to_numpy(), rng),
        dateleft=dropped["dateenrolled"],
        dropped=True,
    )[["studentid", "course_index", "section_index", "dateenrolled", "dateleft", "dropped"]]


def _school_setup(
    plan: SchoolPlan,
    year: SchoolYear,
    ids: dict[str, _IdRange],
    students_per_school: int,
    rng: np.random.Generator,
) -> SchoolSetup:
    """All setup tables of one school and the context its attendance is drawn from."""
    period = pd.DataFrame(
        {
            "id": ids["period"].take(len(PERIODS)),
            "schoolid": plan.number,
            "year_id": year.yearid,
            "period_number": [number for number, _, _ in PERIODS],
            "name": [name for _, name, _ in PERIODS],
            "abbreviation": [abbreviation for _, _, abbreviation in PERIODS],
            "sort_order": [number + 1 for number, _, _ in PERIODS],
        }
    )
    period_ids = dict(zip(period["period_number"], period["id"], strict=True))
    cycle_day = pd.DataFrame(
        {
            "id": ids["cycle_day"].take(2),
            "schoolid": plan.number,
            "year_id": year.yearid,
            "letter": ["A", "B"],
            "day_number": [1, 2],
            "abbreviation": ["A", "B"],
        }
    )
    letter_ids = dict(zip(cycle_day["letter"], cycle_day["id"], strict=True))
    bell_schedule, items = _bell_schedules(plan, year, ids, period_ids)
    schedule_ids = dict(zip(bell_schedule["name"], bell_schedule["id"], strict=True))
    calendar = _calendar_day(plan, year, ids, schedule_ids, letter_ids)
    school_days = calendar.loc[calendar["insession"] == 1, "date_value"].to_numpy()
    students, changers = _students(plan, year, school_days, ids, students_per_school, rng)
    sections, section_meeting, cc = _sections_and_enrolments(plan, year, students, changers, school_days, ids, rng)
    codes = pd.DataFrame(
        {
            "id": ids["attendance_code"].take(len(CODES)),
            "schoolid": plan.number,
            "yearid": year.yearid,
            "att_code": pd.array([plan.present_att_code if key == "P" else key for key, _, _ in CODES], dtype="str"),
            "description": [description for _, description, _ in CODES],
            "presence_status_cd": [presence for _, _, presence in CODES],
            "sortorder": np.arange(1, len(CODES) + 1),
            "code_key": [key for key, _, _ in CODES],
        }
    )

    mode = np.where(calendar["date_value"] < _day(year.spring_first_day), plan.fall_mode, plan.spring_mode)
    bridges = items.loc[items["daily_attendance_code"] == 1].rename(
        columns={
            "period_id": "bridge_period_id",
            "daily_time_in_default": "time_in_default",
            "daily_time_out_default": "time_out_default",
        }
    )[["bell_schedule_id", "bridge_period_id", "time_in_default", "time_out_default"]]
    days = (
        calendar.assign(mode=mode)
        .loc[lambda f: f["insession"] == 1]
        .rename(columns={"date_value": "att_date", "id": "calendar_dayid"})
        .astype({"bell_schedule_id": "int64"})
        .merge(bridges, on="bell_schedule_id", how="left", validate="many_to_one")[
            [
                "att_date",
                "calendar_dayid",
                "bell_schedule_id",
                "letter",
                "mode",
                "bridge_period_id",
                "time_in_default",
                "time_out_default",
            ]
        ]
        .reset_index(drop=True)
    )
    day_periods = (
        days[["att_date", "bell_schedule_id"]]
        .merge(items[["bell_schedule_id", "period_id", "daily_attendance_code"]], on="bell_schedule_id")
        .merge(
            period[["id", "period_number", "sort_order"]].rename(columns={"id": "period_id"}),
            on="period_id",
            validate="many_to_one",
        )
        .assign(is_bridge=lambda f: f["daily_attendance_code"] == 1)
        .rename(columns={"period_id": "periodid"})[["att_date", "period_number", "periodid", "sort_order", "is_bridge"]]
    )
    slots = (
        cc.loc[cc["sectionid"] > 0, ["id", "studentid", "sectionid", "dateenrolled", "dateleft"]]
        .merge(section_meeting[["sectionid", "period_number", "cycle_day_letter"]], on="sectionid")
        .rename(columns={"id": "ccid", "cycle_day_letter": "letter"})
        .drop(columns="sectionid")
    )
    days_off = (
        calendar.assign(mode=mode)
        .loc[lambda f: f["insession"] == 0]
        .rename(columns={"date_value": "att_date"})[["att_date", "mode"]]
        .reset_index(drop=True)
    )
    return SchoolSetup(
        plan=plan,
        tables={
            "terms": _terms(plan, year),
            "attendance_code": codes,
            "period": period,
            "cycle_day": cycle_day,
            "bell_schedule": bell_schedule,
            "bell_schedule_items": items,
            "calendar_day": calendar,
            "sections": sections,
            "section_meeting": section_meeting,
            "students": students,
            "cc": cc,
        },
        students=students[["id", "entry", "exit"]],
        days=days,
        day_periods=day_periods,
        slots=slots,
        days_off=days_off,
    )


def _scheduled(student_days: pd.DataFrame, school: SchoolSetup) -> pd.DataFrame:
    """Every (enrolment, period) through which each student-day's student is scheduled (SPEC 5).

    Extra columns of ``student_days`` ride along, repeated for each scheduled period.
    """
    return (
        student_days.merge(school.days[["att_date", "letter"]], on="att_date", validate="many_to_one")
        .merge(school.day_periods, on="att_date")
        .merge(school.slots, on=["studentid", "letter", "period_number"])
        .loc[lambda f: (f["dateenrolled"] <= f["att_date"]) & (f["att_date"] < f["dateleft"])]
        .drop(columns=["letter", "dateenrolled", "dateleft"])
        .sort_values(["studentid", "att_date", "sort_order", "ccid"], kind="stable")
        .reset_index(drop=True)
    )


def _draws(school: SchoolSetup, mode: str, events: Mapping[str, float], rng: np.random.Generator) -> pd.DataFrame:
    """The enrolled student-days of ``mode``'s days that drew an event, with its name."""
    days = school.days.loc[school.days["mode"] == mode, "att_date"].to_numpy()
    entry = school.students["entry"].to_numpy()[:, None]
    exit_ = school.students["exit"].to_numpy()[:, None]
    # One draw per cell of the full grid, enrolled or not, so the stream stays aligned.
    draw = rng.random((len(entry), len(days)))
    event = np.searchsorted(np.cumsum(list(events.values())), draw, side="right")
    enrolled = (entry <= days[None, :]) & (days[None, :] < exit_)
    rows, cols = np.nonzero(enrolled & (event < len(events)))
    return pd.DataFrame(
        {
            "studentid": school.students["id"].to_numpy()[rows],
            "att_date": days[cols],
            "event": np.asarray(list(events))[event[rows, cols]],
        }
    )


def _entries(frame: pd.DataFrame, school: SchoolSetup, **values: object) -> pd.DataFrame:
    """Attendance entries in the one internal shape every builder returns."""
    defaults: dict[str, object] = {
        "schoolid": school.plan.number,
        "ccid": 0,
        "periodid": 0,
        "sort_order": 0,
        "is_bridge": False,
        "entry_order": 0,
        "paired": False,
        "parent_attendanceid": 0,
        "att_interval": 0,
        "time_in": pd.NA,
        "time_out": pd.NA,
    }
    # A default fills only a column the frame lacks; an explicit value always wins.
    missing = {name: value for name, value in defaults.items() if name not in frame}
    shaped = frame.assign(**{**missing, **values})
    return shaped[
        [
            "schoolid",
            "studentid",
            "att_date",
            "code",
            "att_mode_code",
            "ccid",
            "periodid",
            "sort_order",
            "is_bridge",
            "entry_order",
            "paired",
            "parent_attendanceid",
            "att_interval",
            "source",
            "time_in",
            "time_out",
        ]
    ].astype(
        {
            "ccid": "int64",
            "periodid": "int64",
            "sort_order": "int64",
            "is_bridge": "bool",
            "entry_order": "int64",
            "paired": "bool",
            "parent_attendanceid": "int64",
            "att_interval": "int64",
            "time_in": "Int64",
            "time_out": "Int64",
        }
    )


def _pairs(frame: pd.DataFrame, pairs: tuple[tuple[str, str], ...], rng: np.random.Generator) -> list[pd.DataFrame]:
    """Two rows per row of ``frame``, coded with a randomly chosen pair, in entry order."""
    choice = rng.integers(len(pairs), size=len(frame))
    firsts = np.array([first for first, _ in pairs])[choice]
    seconds = np.array([second for _, second in pairs])[choice]
    return [
        frame.assign(code=firsts, entry_order=0, paired=True),
        frame.assign(code=seconds, entry_order=1, paired=True),
    ]


def _daily_entries(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """The Daily records of the days the school took Daily attendance."""
    draws = _draws(school, MODE_DAILY, DAILY_EVENTS, rng)
    single = draws.loc[draws["event"] != "pair"].assign(code=lambda f: f["event"], entry_order=0, paired=False)
    records = (
        pd.concat([single, *_pairs(draws.loc[draws["event"] == "pair"], DAILY_PAIRS, rng)])
        .sort_values(["studentid", "att_date", "entry_order"], kind="stable")
        .reset_index(drop=True)
        .merge(school.days[["att_date", "time_in_default", "time_out_default"]], on="att_date", validate="many_to_one")
    )
    # Tardy arrivals at a five-minute step after the bell; half days morning or afternoon.
    timed = records["code"].isin(["T", "H"]).to_numpy() & (rng.random(len(records)) < TIMED_DAILY_SHARE)
    arrival_steps = rng.integers(1, 10, size=len(records))
    morning = rng.random(len(records)) < 0.5
    bell_in = records["time_in_default"].to_numpy(dtype=np.int64)
    bell_out = records["time_out_default"].to_numpy(dtype=np.int64)
    midday = bell_in + (bell_out - bell_in) // 2 // 300 * 300
    tardy = (records["code"] == "T").to_numpy()
    time_in = np.where(tardy, bell_in + 300 * arrival_steps, np.where(morning, bell_in, midday))
    time_out = np.where(tardy, bell_out, np.where(morning, midday, bell_out))
    return _entries(
        records,
        school,
        att_mode_code=MODE_DAILY,
        source="office",
        time_in=pd.Series(time_in, index=records.index, dtype="Int64").where(timed),
        time_out=pd.Series(time_out, index=records.index, dtype="Int64").where(timed),
    )


def _meeting_entries(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """The Meeting records of the days the school took Meeting attendance."""
    scheduled = _scheduled(_draws(school, MODE_MEETING, MEETING_EVENTS, rng), school)
    scheduled = scheduled.assign(key=rng.random(len(scheduled)))
    event = scheduled["event"]
    absent = scheduled.loc[event.isin(["absent_E", "absent_U"])].assign(
        code=lambda f: f["event"].str[-1], entry_order=0, paired=False
    )
    # Tardies: about half in the bridge period, the rest in one other period of the day.
    tardy = (
        scheduled.loc[event == "tardy"]
        .assign(key=lambda f: f["key"] * np.where(f["is_bridge"], 0.12, 1.0))
        .sort_values(["studentid", "att_date", "key"], kind="stable")
        .drop_duplicates(["studentid", "att_date"])
        .assign(code="T", entry_order=0, paired=False)
    )
    # Cut classes: one or two periods other than the bridge period.
    cut = (
        scheduled.loc[(event == "cut") & ~scheduled["is_bridge"]]
        .sort_values(["studentid", "att_date", "key"], kind="stable")
        .loc[lambda f: f.groupby(["studentid", "att_date"]).cumcount() < np.where(f["key"] < 0.4, 2, 1)]
        .assign(code="U", entry_order=0, paired=False)
    )
    pairs = _pairs(scheduled.loc[(event == "pair") & scheduled["is_bridge"]], MEETING_PAIRS, rng)
    records = pd.concat([absent, tardy, cut, *pairs]).sort_values(
        ["studentid", "att_date", "sort_order", "ccid", "entry_order"], kind="stable"
    )
    return _entries(records, school, att_mode_code=MODE_MEETING, source="teacher")


def _meeting_copies_of_daily(school: SchoolSetup, earlier: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Meeting records that daily_to_meeting would build, already there (D4)."""
    sources = earlier.loc[(earlier["att_mode_code"] == MODE_DAILY) & ~earlier["paired"]]
    sources = sources.loc[rng.random(len(sources)) < COPY_SHARE]
    sources = sources.assign(
        same_code=rng.random(len(sources)) < SAME_CODE_SHARE,
        # Some absences were also copied into one period other than the bridge period.
        also_other_period=sources["code"].isin(ABSENT_CODES).to_numpy() & (rng.random(len(sources)) < 0.3),
    )[["studentid", "att_date", "id", "code", "same_code", "also_other_period"]]
    targets = _scheduled(sources.rename(columns={"id": "source_id"}), school)
    other = targets.loc[~targets["is_bridge"] & targets["also_other_period"]].drop_duplicates(["studentid", "att_date"])
    copies = pd.concat([targets.loc[targets["is_bridge"]], other]).sort_values(
        ["studentid", "att_date", "sort_order"], kind="stable"
    )
    return _copies(copies, school, MODE_MEETING)


def _daily_copies_of_meeting(school: SchoolSetup, earlier: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Daily records that meeting_to_daily would build, already there (M1)."""
    sources = earlier.loc[(earlier["att_mode_code"] == MODE_MEETING) & earlier["is_bridge"] & ~earlier["paired"]]
    sources = sources.loc[rng.random(len(sources)) < COPY_SHARE]
    sources = sources.assign(same_code=rng.random(len(sources)) < SAME_CODE_SHARE).rename(columns={"id": "source_id"})[
        ["studentid", "att_date", "source_id", "code", "same_code"]
    ]
    copies = sources.merge(
        school.days[["att_date", "time_in_default", "time_out_default"]],
        on="att_date",
        validate="many_to_one",
    ).assign(ccid=0, periodid=0, sort_order=0, is_bridge=False)
    return _copies(copies, school, MODE_DAILY)


def _copies(copies: pd.DataFrame, school: SchoolSetup, mode: str) -> pd.DataFrame:
    """Copies of source records: same code as a bridge would write it, or a different one.

    A same-code copy looks bridge-built (parent_attendanceid set; a Daily one has the bridge
    times as in M3); a different-code copy was typed in by hand.
    """
    same = copies["same_code"].to_numpy()
    timed = same & (mode == MODE_DAILY)
    time_in = copies.get("time_in_default", pd.Series(pd.NA, index=copies.index, dtype="Int64"))
    time_out = copies.get("time_out_default", pd.Series(pd.NA, index=copies.index, dtype="Int64"))
    by_hand = "office" if mode == MODE_DAILY else "teacher"
    return _entries(
        copies,
        school,
        code=np.where(same, copies["code"], copies["code"].map(DIFFERENT_CODE)),
        att_mode_code=mode,
        parent_attendanceid=np.where(same, copies["source_id"], 0),
        source=np.where(same, "bridge", by_hand),
        time_in=time_in.astype("Int64").where(timed, pd.NA),
        time_out=time_out.astype("Int64").where(timed, pd.NA),
    )


def _days_off_noise(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """A few records on weekends and holidays, in the mode of their half of the year (X3)."""
    noise = []
    for mode, code in ((MODE_DAILY, "U"), (MODE_MEETING, "E")):
        dates = school.days_off.loc[school.days_off["mode"] == mode, "att_date"].to_numpy()
        count = min(DAYS_OFF_NOISE, len(dates))
        picked = pd.DataFrame(
            {
                "att_date": np.sort(rng.choice(dates, size=count, replace=False)),
                "studentid": school.students["id"].to_numpy()[rng.integers(len(school.students), size=count)],
            }
        )
        if mode == MODE_DAILY:
            enrolled = picked.merge(school.students, left_on="studentid", right_on="id")
            enrolled = enrolled.loc[
                (enrolled["entry"] <= enrolled["att_date"]) & (enrolled["att_date"] < enrolled["exit"])
            ]
            noise.append(_entries(enrolled.assign(code=code), school, att_mode_code=mode, source="office"))
            continue
        # A Meeting record needs a real enrolment and period: period 1 as on an A day.
        periods, slots = school.day_periods, school.slots
        first_period = periods.loc[periods["period_number"] == 1, "periodid"].iloc[0]
        slots = slots.loc[(slots["letter"] == "A") & (slots["period_number"] == 1)]
        enrolled = picked.merge(slots, on="studentid")
        enrolled = enrolled.loc[
            (enrolled["dateenrolled"] <= enrolled["att_date"]) & (enrolled["att_date"] < enrolled["dateleft"])
        ]
        noise.append(
            _entries(
                enrolled.assign(code=code),
                school,
                att_mode_code=mode,
                periodid=first_period,
                sort_order=2,
                source="teacher",
            )
        )
    return pd.concat(noise, ignore_index=True)


def _other_mode_noise(school: SchoolSetup, rng: np.random.Generator) -> pd.DataFrame:
    """A few ATT_ModeInterval records on school days, which the bridge must ignore."""
    student_days = pd.DataFrame(
        {
            "studentid": school.students["id"].to_numpy()[rng.integers(len(school.students), size=OTHER_MODE_NOISE)],
            "att_date": school.days["att_date"].to_numpy()[rng.integers(len(school.days), size=OTHER_MODE_NOISE)],
        }
    ).drop_duplicates()
    picked = _scheduled(student_days, school).drop_duplicates(["studentid", "att_date"])
    return _entries(
        picked.assign(code="T"),
        school,
        att_mode_code=MODE_INTERVAL,
        att_interval=1,
        source="teacher",
    )


def _numbered(entries: pd.DataFrame, first_id: int) -> pd.DataFrame:
    """Entries in the order they were typed in (by date), numbered from ``first_id``."""
    ordered = entries.sort_values(
        ["att_date", "schoolid", "studentid", "att_mode_code", "sort_order", "ccid", "entry_order"],
        kind="stable",
    ).reset_index(drop=True)
    return ordered.assign(id=np.arange(first_id, first_id + len(ordered), dtype=np.int64))


def _attendance(
    schools: Sequence[SchoolSetup],
    calendar_day: pd.DataFrame,
    codes: pd.DataFrame,
    year: SchoolYear,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """attendance and attendance_time: records first, then later copies and noise."""
    first = _numbered(
        pd.concat(
            [frame for school in schools for frame in (_daily_entries(school, rng), _meeting_entries(school, rng))]
        ),
        ID_BASES["attendance"] + 1,
    )
    later = []
    for school in schools:
        earlier = first.loc[first["schoolid"] == school.plan.number]
        later += [
            _meeting_copies_of_daily(school, earlier, rng),
            _daily_copies_of_meeting(school, earlier, rng),
            _days_off_noise(school, rng),
            _other_mode_noise(school, rng),
        ]
    records = pd.concat([first, _numbered(pd.concat(later), int(first["id"].max()) + 1)], ignore_index=True)
    calendar_ids = calendar_day[["schoolid", "date_value", "id"]].rename(
        columns={"date_value": "att_date", "id": "calendar_dayid"}
    )
    code_ids = codes[["schoolid", "code_key", "id"]].rename(columns={"code_key": "code", "id": "attendance_codeid"})
    records = records.merge(calendar_ids, on=["schoolid", "att_date"], how="left", validate="many_to_one").merge(
        code_ids, on=["schoolid", "code"], how="left", validate="many_to_one"
    )
    if records[["calendar_dayid", "attendance_codeid"]].isna().any().any():
        raise AssertionError("a demo attendance record has no calendar day or code")
    source = records["source"].to_numpy()
    bridge = source == "bridge"
    staff = np.where(
        source == "teacher",
        rng.integers(5001, 5061, size=len(records)),
        OFFICE_STAFF_IDS[rng.integers(len(OFFICE_STAFF_IDS), size=len(records))],
    )
    excused_by_office = (records["code"] == "E").to_numpy() & (source == "office")
    commented = excused_by_office & (rng.random(len(records)) < 0.25)
    comment = EXCUSE_COMMENTS[rng.integers(len(EXCUSE_COMMENTS), size=len(records))]
    attendance = (
        records.assign(
            yearid=year.yearid,
            att_comment=pd.Series(comment, index=records.index, dtype="str").where(commented),
            ip_address=np.where(bridge, "", IP_ADDRESSES[rng.integers(len(IP_ADDRESSES), size=len(records))]),
            whomodifiedid=np.where(bridge, 0, staff),
            whomodifiedtype=np.where(source == "teacher", "T", "S"),
        )
        .sort_values("id")
        .reset_index(drop=True)
    )
    timed = attendance.loc[attendance["time_in"].notna()]
    attendance_time = pd.DataFrame(
        {
            "attendanceid": timed["id"].to_numpy(),
            "time_in": timed["time_in"].to_numpy(dtype=np.int64),
            "time_out": timed["time_out"].to_numpy(dtype=np.int64),
            "total_minutes": (timed["time_out"] - timed["time_in"]).to_numpy(dtype=np.int64) // 60,
            "ip_address": timed["ip_address"].to_numpy(),
            "whomodifiedid": timed["whomodifiedid"].to_numpy(),
        }
    )
    return attendance, attendance_time


def _prefs(year: SchoolYear, ids: dict[str, _IdRange]) -> pd.DataFrame:
    """The school settings now and last year, and the district office's (all off)."""
    rows = [
        (plan.number, yearid, name, value)
        for plan in SCHOOL_PLANS
        for yearid, settings in ((year.yearid - 1, plan.prefs_last_year), (year.yearid, plan.prefs_now))
        for name, value in settings
    ] + [
        (DISTRICT_OFFICE_SCHOOL_NUMBER, year.yearid, name, "0")
        for name in (PREF_RECORD_MODE_DAILY, PREF_RECORD_MODE_MEETING, PREF_BRIDGE)
    ]
    prefs = pd.DataFrame(rows, columns=["schoolid", "yearid", "name", "value"])
    return prefs.assign(id=ids["prefs"].take(len(prefs)))


def demo_district_tables(students_per_school: int = 300, seed: int = 7, yearid: int = 35) -> dict[str, pd.DataFrame]:
    """Every SIS table of the demo district as frames (COPY_COLUMNS plus helper columns)."""
    if not 1 <= students_per_school <= MAX_STUDENTS_PER_SCHOOL:
        raise ValueError(f"students_per_school must be 1 to {MAX_STUDENTS_PER_SCHOOL}")
    if yearid < FIRST_YEARID:
        raise ValueError(f"yearid {yearid} is before 2004-2005")
    rng = np.random.default_rng(seed)
    year = SchoolYear.for_yearid(yearid)
    ids = {table: _IdRange(base) for table, base in ID_BASES.items()}
    schools_frame = pd.DataFrame(
        {
            "id": ids["schools"].take(len(SCHOOL_PLANS)),
            "school_number": [plan.number for plan in SCHOOL_PLANS],
            "name": [plan.name for plan in SCHOOL_PLANS],
            "abbreviation": [plan.abbreviation for plan in SCHOOL_PLANS],
            "low_grade": [plan.grades[0] for plan in SCHOOL_PLANS],
            "high_grade": [plan.grades[1] for plan in SCHOOL_PLANS],
        }
    )
    prefs = _prefs(year, ids)
    schools = [_school_setup(plan, year, ids, students_per_school, rng) for plan in SCHOOL_PLANS]
    tables = {
        name: pd.concat([school.tables[name] for school in schools], ignore_index=True) for name in schools[0].tables
    }
    attendance, attendance_time = _attendance(schools, tables["calendar_day"], tables["attendance_code"], year, rng)
    tables |= {
        "schools": schools_frame,
        "prefs": prefs,
        "attendance": attendance,
        "attendance_time": attendance_time,
    }
    return {name: tables[name] for name in SIS_TABLES}


def _use_schema(conn: psycopg.Connection, schema: str) -> None:
    """Point unqualified table names at ``schema`` until the transaction ends."""
    conn.execute(sql.SQL(load_sql("demo/set_search_path")).format(schema=sql.Identifier(schema)))


def _copy_text(frame: pd.DataFrame) -> str:
    """The rows of ``frame`` in COPY's text format (tab-separated, \\N for NULL)."""
    text_columns = [
        name
        for name in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_datetime64_any_dtype(frame[name])
    ]
    for name in text_columns:
        if frame[name].str.contains(r"[\t\n\r\\]", regex=True, na=False).any():
            raise ValueError(f"column {name} holds a character that COPY's text format escapes")
    return frame.to_csv(
        sep="\t",
        header=False,
        index=False,
        na_rep="\\N",
        date_format="%Y-%m-%d",
        lineterminator="\n",
        quoting=csv.QUOTE_NONE,
    )


def _copy_rows(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-load ``frame`` into ``table`` with COPY FROM STDIN."""
    columns = COPY_COLUMNS[table]
    statement = sql.SQL(load_sql("demo/copy_rows")).format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(sql.Identifier(column) for column in columns),
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(_copy_text(frame.loc[:, list(columns)]))


def existing_sis_tables(conn: psycopg.Connection, schema: str) -> list[str]:
    """The SIS tables that ``schema`` already holds (empty when the schema is free)."""
    rows = conn.execute(
        load_sql("demo/select_existing_tables"), {"schema": schema, "tables": list(SIS_TABLES)}
    ).fetchall()
    return [row[0] for row in rows]


def create_sis_schema(conn: psycopg.Connection, schema: str) -> None:
    """Create every SIS table of SPEC section 2 in the existing schema ``schema``."""
    with conn.transaction():
        _use_schema(conn, schema)
        for statement in SCHEMA_STATEMENTS:
            conn.execute(load_sql(statement))


def generate_demo_district(
    conn: psycopg.Connection,
    schema: str,
    *,
    students_per_school: int = 300,
    seed: int = 7,
    yearid: int = 35,
) -> DemoDistrict:
    """Fill the empty SIS tables of ``schema`` with the demo district, in one transaction."""
    tables = demo_district_tables(students_per_school, seed, yearid)
    with conn.transaction():
        _use_schema(conn, schema)
        for table, frame in tables.items():
            _copy_rows(conn, table, frame)
        # Ids were given explicitly so attendance_time could point at them; the identity
        # must continue after them for the bridge's inserts.
        conn.execute(
            load_sql("demo/set_identity_after"),
            {
                "table": "attendance",
                "column": "id",
                "last_value": int(tables["attendance"]["id"].max()),
            },
        )
    return DemoDistrict(
        schema=schema,
        school_numbers=tuple(plan.number for plan in SCHOOL_PLANS),
        yearid=yearid,
        switch_date=SchoolYear.for_yearid(yearid).spring_first_day,
        row_counts=MappingProxyType({table: len(frame) for table, frame in tables.items()}),
    )


def build_demo_district(
    conn: psycopg.Connection, schema: str, *, students_per_school: int = 300, seed: int = 7
) -> DemoDistrict:
    """Create ``schema`` if needed, its SIS tables and the demo district, in one transaction."""
    with conn.transaction():
        conn.execute(sql.SQL(load_sql("demo/create_schema")).format(schema=sql.Identifier(schema)))
        create_sis_schema(conn, schema)
        return generate_demo_district(conn, schema, students_per_school=students_per_school, seed=seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: build the demo district in a new or empty schema and print its counts."""
    parser = argparse.ArgumentParser(
        prog="python -m attendance_bridge.demo_district",
        description="Build the demo district in the SIS database (AIRFLOW_CONN_SIS_DB, or an "
        "embedded PostgreSQL when it is unset).",
    )
    parser.add_argument("--students", type=int, default=300, help="students per school (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    parser.add_argument("--schema", default=DEFAULT_SIS_SCHEMA, help="target schema (default public)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=PROJECT_ROOT / ".demo" / "pgdata",
        help="data folder of the embedded PostgreSQL (default .demo/pgdata)",
    )
    args = parser.parse_args(argv)
    if not 1 <= args.students <= MAX_STUDENTS_PER_SCHOOL:
        parser.error(f"--students must be 1 to {MAX_STUDENTS_PER_SCHOOL}")

    connection = sis_connection(args.data_dir)
    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        existing = existing_sis_tables(conn, args.schema)
        if existing:
            print(
                f"Schema {args.schema!r} already holds SIS tables ({', '.join(existing)}); nothing "
                "was changed. Choose another --schema, or drop that schema first.",
                file=sys.stderr,
            )
            return 2
        district = build_demo_district(conn, args.schema, students_per_school=args.students, seed=args.seed)
    print(
        f"Demo district in schema {district.schema!r}: schools "
        f"{', '.join(map(str, district.school_numbers))}, yearid {district.yearid}, "
        f"method switched on {district.switch_date.isoformat()}."
    )
    width = max(map(len, district.row_counts))
    for table, count in district.row_counts.items():
        print(f"  {table:<{width}}  {count:>9,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
