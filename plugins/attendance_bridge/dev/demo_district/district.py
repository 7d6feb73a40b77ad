"""The whole demo district as frames: each school's setup tables, then its attendance records,
numbered in the order they were typed in, with their attendance_time rows and the prefs.

Same arguments, same rows: every random choice comes from one ``numpy.random.default_rng``
and ids are handed out in a fixed order; the order of the calls below is part of that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from attendance_bridge.config import (
    DISTRICT_OFFICE_SCHOOL_NUMBER,
    FIRST_YEARID,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
)
from attendance_bridge.dev.demo_district.attendance import (
    daily_copies_of_meeting,
    daily_entries,
    days_off_noise,
    meeting_copies_of_daily,
    meeting_entries,
    other_mode_noise,
)
from attendance_bridge.dev.demo_district.enrolments import enrolled_students, sections_and_enrolments
from attendance_bridge.dev.demo_district.plan import (
    CODES,
    MAX_STUDENTS_PER_SCHOOL,
    PERIODS,
    SCHOOL_PLANS,
    SIS_TABLES,
    IdRange,
    SchoolPlan,
    SchoolSetup,
    as_day,
    district_plans,
    id_bases,
)
from attendance_bridge.dev.demo_district.school_calendar import SchoolYear, bell_schedules, calendar_days, school_terms

OFFICE_STAFF_IDS = np.array([9101, 9102, 9103])
IP_ADDRESSES = np.array(["10.20.1.15", "10.20.1.16", "10.20.7.41", "10.20.9.3", "172.16.4.22"])
EXCUSE_COMMENTS = np.array(["Parent called", "Doctor appointment", "Illness", "Family emergency"])


def _school_setup(
    plan: SchoolPlan,
    year: SchoolYear,
    ids: dict[str, IdRange],
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
    bell_schedule, items = bell_schedules(plan, year, ids, period_ids)
    schedule_ids = dict(zip(bell_schedule["name"], bell_schedule["id"], strict=True))
    calendar = calendar_days(plan, year, ids, schedule_ids, letter_ids)
    school_days = calendar.loc[calendar["insession"] == 1, "date_value"].to_numpy()
    students, changers = enrolled_students(plan, year, school_days, ids, students_per_school, rng)
    sections, section_meeting, cc = sections_and_enrolments(plan, year, students, changers, school_days, ids, rng)
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

    mode = np.where(calendar["date_value"] < as_day(year.spring_first_day), plan.fall_mode, plan.spring_mode)
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
            "terms": school_terms(plan, year),
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
    first_id: int,
    rng: np.random.Generator,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """attendance and attendance_time (ids from ``first_id``): records first, then later copies and noise."""
    first = _numbered(
        pd.concat(
            [frame for school in schools for frame in (daily_entries(school, rng), meeting_entries(school, rng))]
        ),
        first_id,
    )
    later = []
    for school in schools:
        earlier = first.loc[first["schoolid"] == school.plan.number]
        later += [
            meeting_copies_of_daily(school, earlier, rng),
            daily_copies_of_meeting(school, earlier, rng),
            days_off_noise(school, rng),
            other_mode_noise(school, rng),
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


def _prefs(plans: Sequence[SchoolPlan], year: SchoolYear, ids: dict[str, IdRange]) -> pd.DataFrame:
    """The school settings now and last year, and the district office's (all off)."""
    rows = [
        (plan.number, yearid, name, value)
        for plan in plans
        for yearid, settings in ((year.yearid - 1, plan.prefs_last_year), (year.yearid, plan.prefs_now))
        for name, value in settings
    ] + [
        (DISTRICT_OFFICE_SCHOOL_NUMBER, year.yearid, name, "0")
        for name in (PREF_RECORD_MODE_DAILY, PREF_RECORD_MODE_MEETING, PREF_BRIDGE)
    ]
    prefs = pd.DataFrame(rows, columns=["schoolid", "yearid", "name", "value"])
    return prefs.assign(id=ids["prefs"].take(len(prefs)))


def demo_district_tables(
    students_per_school: int = 300, seed: int = 7, yearid: int = 35, schools: int = len(SCHOOL_PLANS)
) -> dict[str, pd.DataFrame]:
    """Every SIS table of the demo district as frames (COPY_COLUMNS plus helper columns); ``schools`` other
    than 2 gives a district of that many schools (``plan.district_plans``)."""
    if not 1 <= students_per_school <= MAX_STUDENTS_PER_SCHOOL:
        raise ValueError(f"students_per_school must be 1 to {MAX_STUDENTS_PER_SCHOOL}")
    if yearid < FIRST_YEARID:
        raise ValueError(f"yearid {yearid} is before 2004-2005")
    plans = district_plans(schools)
    rng = np.random.default_rng(seed)
    year = SchoolYear.for_yearid(yearid)
    bases = id_bases(schools)
    ids = {table: IdRange(base) for table, base in bases.items()}
    schools_frame = pd.DataFrame(
        {
            "id": ids["schools"].take(len(plans)),
            "school_number": [plan.number for plan in plans],
            "name": [plan.name for plan in plans],
            "abbreviation": [plan.abbreviation for plan in plans],
            "low_grade": [plan.grades[0] for plan in plans],
            "high_grade": [plan.grades[1] for plan in plans],
        }
    )
    prefs = _prefs(plans, year, ids)
    setups = [_school_setup(plan, year, ids, students_per_school, rng) for plan in plans]
    tables = {
        name: pd.concat([school.tables[name] for school in setups], ignore_index=True) for name in setups[0].tables
    }
    attendance, attendance_time = _attendance(
        setups, tables["calendar_day"], tables["attendance_code"], year, bases["attendance"] + 1, rng
    )
    tables |= {
        "schools": schools_frame,
        "prefs": prefs,
        "attendance": attendance,
        "attendance_time": attendance_time,
    }
    return {name: tables[name] for name in SIS_TABLES}
