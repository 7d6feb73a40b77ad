"""The frames the precondition suites judge (SPEC section 4, P3-P6, and the data-quality check DQ1).

The preconditions are relational ("every bell schedule used by an in-session day has exactly
one bridge item"), so each suite validates a small frame built here with one row per object
being judged (the school, a day, a bell schedule in use, an attendance code used) and a
``label`` that names it for a person. Pure pandas: the calendar is ``domain.school_days`` and
the code look-up ``domain.attendance_codes``, the same the rules engine reads; only the shaping
into rows a suite judges is here. ``checks.suites.SUITES`` says which suite judges which frame.

Every frame builder takes a ``PreconditionInput``, so a new precondition is one builder here,
one suite file and one line in ``SUITES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from attendance_bridge.config import (
    DAILY_TO_MEETING,
    MEETING_TO_DAILY,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
)
from attendance_bridge.domain.attendance_codes import with_codes
from attendance_bridge.domain.frames import SchoolFrames
from attendance_bridge.domain.school_days import (
    bridge_items_in_use,
    calendar_rows_per_day,
    clock_text,
    in_session_rows,
    items_without_period,
    schedule_labels,
)

# The text a known attendance code without a presence status is judged (and reported) with.
NO_STATUS = "(none)"
# The text an empty default time of a bridge item is reported with.
NO_TIME = "(none)"


@dataclass(frozen=True)
class PreconditionInput:
    """What the preconditions judge: one school's extracted frames and settings, and the run's range."""

    frames: SchoolFrames
    prefs: pd.DataFrame
    school_number: int
    start_date: date
    end_date: date


# --------------------------------------------------------------------------- P3 and P4


def recording_direction(prefs: pd.DataFrame) -> str | None:
    """P3: the direction ``auto`` means, or None unless exactly one method is current."""
    current = _current_methods(prefs)
    if current == [PREF_RECORD_MODE_MEETING]:
        return MEETING_TO_DAILY
    if current == [PREF_RECORD_MODE_DAILY]:
        return DAILY_TO_MEETING
    return None


def _current_methods(prefs: pd.DataFrame) -> list[str]:
    """The recording-method prefs set to '1'."""
    methods = prefs.loc[prefs["name"].isin([PREF_RECORD_MODE_DAILY, PREF_RECORD_MODE_MEETING])]
    return sorted(set(methods.loc[methods["value"].astype("str").str.strip() == "1", "name"]))


def school_settings_frame(checked: PreconditionInput) -> pd.DataFrame:
    """One row for the school: how many recording methods are current, and its bridge setting.

    ``bridge`` is the pref's value, or "none" (0), "missing" (no row, or a NULL or blank
    value: GX would skip a missing value and pass it) or "set more than once".
    """
    prefs = checked.prefs
    current = _current_methods(prefs)
    bridges = prefs.loc[prefs["name"] == PREF_BRIDGE, "value"].astype("str").str.strip().fillna("").tolist()
    value = bridges[0] if bridges else ""
    bridge = "set more than once" if len(bridges) > 1 else {"": "missing", "0": "none"}.get(value, value)
    setting = {"missing": "is missing", "none": "is set to none (0)", "set more than once": "is set more than once"}
    both = f"{PREF_RECORD_MODE_DAILY} and {PREF_RECORD_MODE_MEETING}"
    methods = {
        0: f"neither is set as current ({both} are not 1)",
        2: f"both are set as current ({both} are both 1)",
    }
    return pd.DataFrame(
        {
            "label": [f"school {checked.school_number}"],
            "current_methods": [len(current)],
            "methods": [methods.get(len(current), ", ".join(current))],
            "bridge": [bridge],
            "bridge_setting": [setting.get(bridge, f"is set to '{bridge}'")],
        }
    )


# --------------------------------------------------------------------------- P5


def calendar_days_frame(checked: PreconditionInput) -> pd.DataFrame:
    """One row per in-session day of the range: how many calendar rows, a bell schedule, a cycle day letter.

    A day with several calendar rows is one row here, named once; its bell schedule and letter
    are judged over its in-session rows.
    """
    frames, school, start, end = checked.frames, checked.school_number, checked.start_date, checked.end_date
    rows = in_session_rows(frames, school, start, end).assign(
        has_bell_schedule=lambda days: days["bell_schedule_id"].notna(),
        has_cycle_day=lambda days: days["letter"].notna(),
    )
    days = (
        rows.groupby("att_date", as_index=False)
        .agg(has_bell_schedule=("has_bell_schedule", "all"), has_cycle_day=("has_cycle_day", "all"))
        .merge(calendar_rows_per_day(frames, school, start, end), on="att_date", validate="one_to_one")
    )
    day = days["att_date"].dt.strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "label": "the in-session day " + day,
            "day": day,
            "calendar_rows": days["calendar_rows"].to_numpy(),
            "bell_schedules": days["bell_schedules"].to_numpy(),
            "has_bell_schedule": days["has_bell_schedule"].to_numpy(dtype=bool),
            "has_cycle_day": days["has_cycle_day"].to_numpy(dtype=bool),
        }
    )


def bell_schedules_frame(checked: PreconditionInput) -> pd.DataFrame:
    """One row per bell schedule an in-session day of the range uses, with its bridge item(s) and
    its other items whose period does not exist (``missing_items``, ``missing_periods``: words)."""
    frames = checked.frames
    days = in_session_rows(frames, checked.school_number, checked.start_date, checked.end_date)
    schedules = bridge_items_in_use(frames, days)
    others = items_without_period(frames, schedules)
    one_bridge = schedules["bridge_items"] == 1
    times_sound = schedules["time_in"].notna() & schedules["time_out"].notna()
    times_sound &= (schedules["time_in"] < schedules["time_out"]).fillna(False)
    return pd.DataFrame(
        {
            "label": schedule_labels(schedules),
            "bridge_items": schedules["bridge_items"].to_numpy(),
            # Times and period are judged only where there is exactly one bridge item, so a
            # schedule without one is reported once, for that.
            "default_times_sound": (times_sound | ~one_bridge).to_numpy(),
            "default_times": "time in "
            + clock_text(schedules["time_in"], NO_TIME)
            + ", time out "
            + clock_text(schedules["time_out"], NO_TIME),
            "bridge_period_exists": (schedules["period_id"].isin(frames.period["id"]) | ~one_bridge).to_numpy(),
            "bridge_period_id": schedules["period_id"].astype("Int64").astype("str").to_numpy(),
            # Every other item too (judged whatever the bridge items are, as D2 reads them all).
            "item_periods_exist": others["item_periods_exist"].to_numpy(dtype=bool),
            "missing_items": others["missing_items"].to_numpy(),
            "missing_periods": others["missing_periods"].to_numpy(),
        }
    ).astype({"default_times": "str", "missing_items": "str", "missing_periods": "str"})


# --------------------------------------------------------------------------- P6


def attendance_codes_frame(checked: PreconditionInput) -> pd.DataFrame:
    """One row per attendance code the school's Daily and Meeting records of the range refer to.

    Every record of the range counts, in session or not: a record nobody can read is a problem
    whatever day it is on, and a clear refusal beats a guess (decided here).
    """
    attendance = checked.frames.attendance
    records = attendance.loc[
        (attendance["schoolid"] == checked.school_number)
        & attendance["att_date"].between(pd.Timestamp(checked.start_date), pd.Timestamp(checked.end_date))
    ]
    used = (
        records.astype({"attendance_codeid": "Int64"})
        .sort_values(["att_date", "id"])
        .groupby("attendance_codeid", dropna=False, as_index=False)
        .agg(
            records=("id", "size"),
            first_day=("att_date", "first"),
            first_record=("id", "first"),
            first_student=("studentid", "first"),
        )
    )
    used = with_codes(used, checked.frames)
    known = used["code_exists"].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "label": [_code_label(row, is_known) for row, is_known in zip(used.itertuples(), known, strict=True)],
            "code_exists": known,
            # A known code with a NULL or blank status is judged as "(none)", which is neither
            # Present nor Absent; GX skips missing values, so an unknown code (no status) is
            # reported once, as unknown.
            "presence_status": _status(used["presence_status_cd"]).where(known),
        }
    )


def _code_label(row: Any, known: bool) -> str:
    """A code as a clerk sees it, and the records that use it.

    "the attendance code 'E' (id 13, used by 4 records from 2025-09-02 on)", "the blank
    attendance code (id 11, ...)" (the Present code); an id no code has is named with the
    first record that uses it, so the record can be found.
    """
    count = f"{row.records} record{'' if row.records == 1 else 's'}"
    if not known:
        code = "the attendance code id " + ("(empty)" if pd.isna(row.attendance_codeid) else str(row.attendance_codeid))
        return (
            f"{code} (used by {count}, the first being record {row.first_record} of student id "
            f"{row.first_student} on {row.first_day:%Y-%m-%d})"
        )
    att_code = "" if pd.isna(row.att_code) else str(row.att_code).strip()
    code = f"the attendance code '{att_code}'" if att_code else "the blank attendance code"
    return f"{code} (id {row.attendance_codeid}, used by {count} from {row.first_day:%Y-%m-%d} on)"


def _status(statuses: pd.Series) -> pd.Series:
    """presence_status_cd as judged: stripped, and "(none)" when NULL or blank."""
    text = statuses.astype("str").str.strip()
    return text.where(text.fillna("") != "", NO_STATUS)


# --------------------------------------------------------------------------- data quality


def enrolments_frame(checked: PreconditionInput) -> pd.DataFrame:
    """DQ1: one row per enrolment: does it last at least one day (dateleft is exclusive)."""
    cc = checked.frames.cc
    return pd.DataFrame(
        {
            "label": "the enrolment cc.id "
            + cc["id"].astype("str")
            + " of student "
            + cc["studentid"].astype("str")
            + " ("
            + cc["dateenrolled"].dt.strftime("%Y-%m-%d")
            + " to "
            + cc["dateleft"].dt.strftime("%Y-%m-%d")
            + ")",
            "lasts_a_day": (cc["dateleft"] > cc["dateenrolled"]).fillna(False).to_numpy(),
        }
    )
