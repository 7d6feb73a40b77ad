"""What the demo district is made of: its tables and id ranges, its codes and periods, and the
plan of each of its two schools (their methods, prefs and course catalogue).

Each table draws its ids from its own range, so a join on the wrong id column finds nothing
instead of something plausible.

A larger district (``district_plans``: the district benchmark's 20 schools) repeats the two plans
in turn under new numbers and names, with every id range widened in proportion (``id_bases``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

import numpy as np
import pandas as pd

from attendance_bridge.config import (
    ABSENT,
    MODE_DAILY,
    MODE_MEETING,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
    PRESENT,
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

# Internal attendance code keys; "P" is the Present code, whose att_code is NULL or blank.
CODES: tuple[tuple[str, str, str], ...] = (
    ("P", "Present", PRESENT),
    ("T", "Tardy", PRESENT),
    ("E", "Excused Absence", ABSENT),
    ("U", "Unexcused Absence", ABSENT),
    ("H", "Half Day", ABSENT),
)

PERIODS: tuple[tuple[int, str, str], ...] = (
    (0, "Homeroom", "HR"),
    *((number, f"Period {number}", f"P{number}") for number in range(1, 8)),
)


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


def district_plans(schools: int = len(SCHOOL_PLANS)) -> tuple[SchoolPlan, ...]:
    """The plans of a district of ``schools`` schools: the two demo schools (the default), then copies of
    them in turn, school ``n`` of the district numbered ``n * 100``: 300 is a second Lincoln High
    ("Lincoln High 2", LHS2), 400 a second Roosevelt Middle, and so on. Every school's year ends the same day.
    """
    if schools < 1:
        raise ValueError(f"a district has at least one school, not {schools}")
    plans = []
    for index in range(schools):
        plan = SCHOOL_PLANS[index % len(SCHOOL_PLANS)]
        copy = index // len(SCHOOL_PLANS)
        if copy:
            plan = replace(
                plan,
                number=(index + 1) * 100,
                name=f"{plan.name} {copy + 1}",
                abbreviation=f"{plan.abbreviation}{copy + 1}",
            )
        plans.append(plan)
    return tuple(plans)


def id_bases(schools: int = len(SCHOOL_PLANS)) -> dict[str, int]:
    """Each table's id base for a district of ``schools`` schools: ``ID_BASES`` for the demo's two, each
    base times the number of pairs of schools for more, so every range keeps room for its schools."""
    scale = max(1, math.ceil(schools / len(SCHOOL_PLANS)))
    return {table: base * scale for table, base in ID_BASES.items()}


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


class IdRange:
    """Hands out consecutive ids from one table's range."""

    def __init__(self, base: int) -> None:
        self._next = base + 1

    def take(self, count: int) -> np.ndarray:
        """The next ``count`` ids."""
        ids = np.arange(self._next, self._next + count, dtype=np.int64)
        self._next += count
        return ids


def as_day(value: date) -> np.datetime64:
    """A date as the datetime64[s] scalar the frames hold."""
    return np.datetime64(value, "s")


def sample_count(size: int, share: float) -> int:
    """How many of ``size`` items make ``share`` of them: at least one, and, below 100%, not all."""
    if share >= 1.0 or size < 2:
        return size
    return min(max(1, round(size * share)), size - 1)
