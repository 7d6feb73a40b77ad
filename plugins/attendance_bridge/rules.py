"""The bridge rules of SPEC section 5 as pure, vectorised pandas functions.

Frames in, frames out: no Airflow, no database, no clock, no per-row Python. Every function
returns new frames and leaves its inputs untouched. ``bridge_records`` is the entry point the
DAG's compute task calls; the others are its named steps, public so tests can pin each rule.

Decided here, where SPEC section 5 is silent (see docs/decisions.md):
- A record's day is its ``att_date``; "a record of the school on d" matches on that date.
- Conflicts (M2, D6) and mismatches (D4) are reported only for records the run would build
  or skips; a second run (X2) therefore reports no conflicts, only skips.
- D4 and D6 are applied per target key (student, day, enrolment, period): the D6 winner of a
  key that already exists is skipped (D4) and counted once; a mismatch is a winner whose code
  is none of the existing records' codes for that key.
- M3 ``total_minutes`` is whole minutes, rounded down.
- Disagreements (the vendor's Attendance Reconciliation report) compare, per student and
  in-session day, the Daily record the bridge would read first (lowest id, as D6) with the
  bridge-period Meeting record it would read first (M2's choice); they are reported, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from attendance_bridge.errors import PreconditionFailed
from attendance_bridge.frames import BridgeRequest, SchoolFrames
from attendance_bridge.settings import (
    ABSENT,
    ALL_PERIODS,
    MEETING_TO_DAILY,
    MODE_DAILY,
    MODE_MEETING,
    PRESENT,
)

# The attendance rows a run inserts, in this column order. The time columns are the
# attendance_time row of an M3 Daily record and stay empty for Meeting records.
RECORD_DTYPES: dict[str, str] = {
    "studentid": "int64",
    "schoolid": "int64",
    "yearid": "int64",
    "att_date": "datetime64[s]",
    "calendar_dayid": "int64",
    "attendance_codeid": "int64",
    "att_mode_code": "str",
    "ccid": "int64",
    "periodid": "int64",
    "parent_attendanceid": "int64",
    "time_in": "Int64",
    "time_out": "Int64",
    "total_minutes": "Int64",
}
DAY_KEY = ["studentid", "att_date"]
MEETING_KEY = ["studentid", "att_date", "ccid", "periodid"]
# The columns of a bridge-period Meeting record that M1-M3 and the new records read; the
# others would only be copied by the sort and the joins.
BRIDGE_COLUMNS = [
    "id",
    "studentid",
    "att_date",
    "calendar_dayid",
    "attendance_codeid",
    "presence_status_cd",
    "time_in",
    "time_out",
]
# The columns of a Daily record that D2-D6 and the new records read; the codes, modes and
# times are left behind so the joins that multiply rows do not copy them.
TARGET_COLUMNS = [
    "id",
    "studentid",
    "att_date",
    "calendar_dayid",
    "attendance_codeid",
    "bell_schedule_id",
    "letter",
    "bridge_period_id",
]
COUNT_NAMES = (
    "source_records_read",
    "ignored",
    "candidates",
    "skipped_existing",
    "conflicts",
    "mismatches",
    "unscheduled",
    "outside_bridge_period",
    "disagreements",
)


@dataclass(frozen=True)
class BridgeResult:
    """What one run would insert, and everything its report counts."""

    direction: str
    records: pd.DataFrame
    ignored: pd.DataFrame
    conflicts: pd.DataFrame
    mismatches: pd.DataFrame
    unscheduled: pd.DataFrame
    disagreements: pd.DataFrame
    counts: dict[str, int]


def in_session_days(frames: SchoolFrames, request: BridgeRequest) -> pd.DataFrame:
    """The day context of every in-session day in range: B(d), L(d), P*(d) and its times.

    Refuses (P5) when a day has several calendar rows, no bell schedule or no cycle day, or
    when a bell schedule in use does not have exactly one bridge item with a period and
    default times in < out.
    """
    school = request.school_number
    calendar = frames.calendar_day
    days = calendar.loc[
        (calendar["schoolid"] == school)
        & _true(calendar["insession"] == 1)
        & calendar["date_value"].between(pd.Timestamp(request.start_date), pd.Timestamp(request.end_date))
    ].rename(columns={"id": "calendar_dayid", "date_value": "att_date"})

    # Checked before any merge on the day: two rows would give the day two bell schedules
    # (and a pandas MergeError further on). The quality gate refuses the same first.
    shared = calendar_rows_per_day(frames, school, request.start_date, request.end_date)
    shared = shared.loc[shared["calendar_rows"] > 1]
    if not shared.empty:
        row = shared.iloc[0]
        raise PreconditionFailed(
            "P5",
            school,
            f"the day {_day(row['date_value'])} has {row['calendar_rows']} calendar rows "
            f"({row['bell_schedules']}); it must have exactly one",
        )
    no_schedule = days.loc[days["bell_schedule_id"].isna(), "att_date"]
    if not no_schedule.empty:
        raise PreconditionFailed("P5", school, f"the in-session day {_day(no_schedule.min())} has no bell schedule")
    letters = frames.cycle_day.rename(columns={"id": "cycle_day_id"}).astype({"cycle_day_id": "Int64"})
    days = days.merge(letters, on="cycle_day_id", how="left", validate="many_to_one")
    no_letter = days.loc[days["letter"].isna(), "att_date"]
    if not no_letter.empty:
        raise PreconditionFailed(
            "P5", school, f"the in-session day {_day(no_letter.min())} has no cycle day (A/B letter)"
        )

    bridges = _bridge_items(frames, request, days)
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


def calendar_rows_per_day(frames: SchoolFrames, school_number: int, start: date, end: date) -> pd.DataFrame:
    """P5: every in-session day of the range with how many calendar rows the school has for it.

    A day counts when at least one of its rows is in session; its other rows count whether in
    session or not (which of them holds is a guess). ``bell_schedules`` names the rows of a day
    with more than one ("bell schedules 'Regular' (id 301) and 'Early Release' (id 302)") and
    is empty for the others.
    """
    calendar = frames.calendar_day
    of_range = calendar.loc[
        (calendar["schoolid"] == school_number) & calendar["date_value"].between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    session_dates = of_range.loc[_true(of_range["insession"] == 1), "date_value"]
    rows = of_range.loc[of_range["date_value"].isin(session_dates)]
    counted = rows.groupby("date_value", as_index=False).size().rename(columns={"size": "calendar_rows"})
    shared = rows.loc[rows["date_value"].duplicated(keep=False)].sort_values(["date_value", "id"])
    names = frames.bell_schedule.rename(columns={"id": "bell_schedule_id"}).astype({"bell_schedule_id": "Int64"})
    shared = shared.merge(names, on="bell_schedule_id", how="left", validate="many_to_one")
    named = "'" + shared["name"].fillna("(no name)") + "' (id " + shared["bell_schedule_id"].astype("str")
    has_schedule, in_session = shared["bell_schedule_id"].notna(), _true(shared["insession"] == 1)
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
    )


def _in_words(parts: pd.Series) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = list(parts)
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _bridge_items(frames: SchoolFrames, request: BridgeRequest, days: pd.DataFrame) -> pd.DataFrame:
    """P*(B) for every bell schedule the days use, one row each; refuses P5 otherwise."""
    school = request.school_number
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
    bridge_items = items.loc[_true(items["daily_attendance_code"] == 1)]
    per_schedule = used.merge(
        bridge_items.groupby("bell_schedule_id").size().rename("bridge_items").reset_index(),
        on="bell_schedule_id",
        how="left",
    ).fillna({"bridge_items": 0})
    wrong = per_schedule.loc[per_schedule["bridge_items"] != 1]
    if not wrong.empty:
        row = wrong.iloc[0]
        count = int(row["bridge_items"])
        problem = "has no bridge period" if count == 0 else f"has {count} bridge periods, not one"
        raise PreconditionFailed("P5", school, f"{_schedule(row)}, used on {_day(row['first_day'])}, {problem}")

    bridges = used.merge(bridge_items, on="bell_schedule_id", validate="one_to_one")
    no_period = bridges.loc[~bridges["period_id"].isin(frames.period["id"])]
    if not no_period.empty:
        row = no_period.iloc[0]
        raise PreconditionFailed(
            "P5", school, f"the bridge period of {_schedule(row)} (period id {row['period_id']}) does not exist"
        )
    times_in, times_out = bridges["daily_time_in_default"], bridges["daily_time_out_default"]
    bad_times = bridges.loc[times_in.isna() | times_out.isna() | (times_in >= times_out).fillna(True)]
    if not bad_times.empty:
        row = bad_times.iloc[0]
        raise PreconditionFailed(
            "P5",
            school,
            f"the bridge period of {_schedule(row)} needs a default time in before its default "
            f"time out (found {_clock(row['daily_time_in_default'])} to {_clock(row['daily_time_out_default'])})",
        )
    return bridges.rename(
        columns={
            "period_id": "bridge_period_id",
            "daily_time_in_default": "time_in",
            "daily_time_out_default": "time_out",
        }
    ).loc[:, ["bell_schedule_id", "bridge_period_id", "time_in", "time_out"]]


def schedule_periods(frames: SchoolFrames) -> pd.DataFrame:
    """The periods of every bell schedule (its items joined to ``period``): B -> p, number."""
    periods = frames.period.rename(columns={"id": "period_id"}).loc[:, ["period_id", "period_number"]]
    return (
        frames.bell_schedule_items.loc[:, ["bell_schedule_id", "period_id"]]
        .drop_duplicates()
        .merge(periods, on="period_id", validate="many_to_one")
        .astype({"bell_schedule_id": "Int64"})
    )


def source_records(
    frames: SchoolFrames, request: BridgeRequest, days: pd.DataFrame, mode: str
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The school's records of ``mode`` split into (usable on in-session days, ignored per X3, count read).

    Usable records carry their day context and their code's presence status; a code that is
    unknown or neither Present nor Absent is refused (P6).
    """
    attendance = frames.attendance
    read = attendance.loc[(attendance["schoolid"] == request.school_number) & (attendance["att_mode_code"] == mode)]
    placed = read.merge(days, on="att_date", how="left", validate="many_to_one", indicator=True)
    on_day = placed["_merge"] == "both"
    in_range = placed["att_date"].between(pd.Timestamp(request.start_date), pd.Timestamp(request.end_date))
    ignored = (
        placed.loc[~on_day, ["id", "studentid", "att_date", "attendance_codeid"]]
        .assign(reason=(~in_range.loc[~on_day]).map({True: "outside the range", False: "not in session"}))
        .rename(columns={"id": "attendance_id"})
        .reset_index(drop=True)
    )
    usable = placed.loc[on_day].drop(columns="_merge")
    codes = frames.attendance_code.rename(columns={"id": "attendance_codeid"}).astype({"attendance_codeid": "Int64"})
    usable = usable.merge(codes, on="attendance_codeid", how="left", validate="many_to_one")
    _refuse_bad_codes(usable, request.school_number)
    return usable.astype({"attendance_codeid": "int64"}), ignored, len(read)


def _refuse_bad_codes(records: pd.DataFrame, school: int) -> None:
    """P6: every code a usable record references exists and is Present or Absent."""
    missing = records.loc[records["presence_status_cd"].isna()]
    if not missing.empty:
        row = missing.sort_values("id").iloc[0]
        raise PreconditionFailed(
            "P6",
            school,
            f"attendance record {row['id']} (student {row['studentid']}, {_day(row['att_date'])}) uses "
            f"attendance code id {_value(row['attendance_codeid'])}, which is not a known code with a presence "
            "status for this school and year",
        )
    odd = records.loc[~records["presence_status_cd"].isin([PRESENT, ABSENT])]
    if not odd.empty:
        row = odd.sort_values("id").iloc[0]
        raise PreconditionFailed(
            "P6",
            school,
            f"attendance code {_code(row['att_code'])} (id {row['attendance_codeid']}) has presence status "
            f"{row['presence_status_cd']!r}; it must be Present or Absent (first used by attendance record "
            f"{row['id']} on {_day(row['att_date'])})",
        )


def missing_daily_records(frames: SchoolFrames, request: BridgeRequest) -> BridgeResult:
    """meeting_to_daily: M1-M4, with X3 counting."""
    days = in_session_days(frames, request)
    meeting, ignored, read = source_records(frames, request, days, MODE_MEETING)

    at_bridge = _true(meeting["periodid"] == meeting["bridge_period_id"])
    bridge = meeting.loc[at_bridge, BRIDGE_COLUMNS]  # M4: other periods build nothing
    # M2: an Absent code over a Present one, then the lowest attendance id.
    chosen = (
        bridge.assign(absent_first=(bridge["presence_status_cd"] != ABSENT).astype("int64"))
        .sort_values([*DAY_KEY, "absent_first", "id"])
        .drop_duplicates(DAY_KEY, keep="first")
    )
    # M1: only where the student has no Daily record of the school that day.
    skipped = _has_key(chosen, _records_of_mode(frames, request, MODE_DAILY).loc[:, DAY_KEY].drop_duplicates())
    built = chosen.loc[~skipped]

    losers = bridge.loc[:, [*DAY_KEY, "id", "attendance_codeid"]].merge(
        built.loc[:, [*DAY_KEY, "id", "attendance_codeid"]],
        on=DAY_KEY,
        suffixes=("", "_kept"),
        validate="many_to_one",
    )
    conflicts = _conflict_report("M2", losers.loc[losers["attendance_codeid"] != losers["attendance_codeid_kept"]])

    # M3: a Daily record with the bridge item's default times.
    records = built.assign(
        ccid=0,
        periodid=0,
        att_mode_code=MODE_DAILY,
        parent_attendanceid=built["id"],
        total_minutes=(built["time_out"] - built["time_in"]) // 60,
    )
    return _result(
        request,
        records,
        ignored=ignored,
        conflicts=conflicts,
        mismatches=_empty_mismatches(),
        unscheduled=_empty_unscheduled(),
        disagreements=code_disagreements(frames, request, days),
        read=read,
        skipped=int(skipped.sum()),
        outside_bridge=int((~at_bridge).sum()),
    )


def scheduled_enrolments(targets: pd.DataFrame, frames: SchoolFrames, request: BridgeRequest) -> pd.DataFrame:
    """Each target (studentid, att_date, letter, period_number) with every enrolment through
    which the student is scheduled then (SPEC 5, "scheduled"): one row per target and ``ccid``.
    """
    cc = frames.cc
    enrolments = cc.loc[(cc["schoolid"] == request.school_number) & (cc["sectionid"] > 0)].rename(
        columns={"id": "ccid"}
    )
    meetings = frames.section_meeting
    meetings = (
        meetings.loc[(meetings["schoolid"] == request.school_number) & (meetings["year_id"] == request.yearid)]
        .rename(columns={"cycle_day_letter": "letter"})
        .loc[:, ["sectionid", "letter", "period_number"]]
        .drop_duplicates()
    )
    # Enrolment x meeting first (a few rows per student), then the targets on the full key:
    # joining targets to every enrolment of the student first multiplies rows by the schedule.
    meets = enrolments.loc[:, ["ccid", "studentid", "sectionid", "dateenrolled", "dateleft"]].merge(
        meetings, on="sectionid", validate="many_to_many"
    )
    joined = targets.merge(meets, on=["studentid", "letter", "period_number"], validate="many_to_many")
    active = joined.loc[(joined["dateenrolled"] <= joined["att_date"]) & (joined["att_date"] < joined["dateleft"])]
    return active.drop(columns=["sectionid", "dateenrolled", "dateleft"])


def target_periods(daily: pd.DataFrame, frames: SchoolFrames, request: BridgeRequest) -> pd.DataFrame:
    """D2: each Daily record once per target period (``period_id``, ``period_number``): the
    bridge period, and every period of B(d) for an Absent code under all_periods.
    """
    periods = schedule_periods(frames)
    every_period = (daily["presence_status_cd"] == ABSENT) & (request.absent_periods == ALL_PERIODS)
    sources = daily.loc[:, TARGET_COLUMNS]
    # Only the records that take every period meet all of B(d)'s periods; the others meet their
    # bridge period alone. Joining every record to every period and filtering afterwards built
    # 3.6M rows to keep 0.5M at 2,500 students. The rows come out grouped the other way; nothing
    # depends on it, as D6 and every report sort on a full key.
    every = sources.loc[every_period].merge(periods, on="bell_schedule_id", validate="many_to_many")
    bridge_only = sources.loc[~every_period].merge(
        periods,
        left_on=["bell_schedule_id", "bridge_period_id"],
        right_on=["bell_schedule_id", "period_id"],
        validate="many_to_one",
    )
    return pd.concat([every, bridge_only], ignore_index=True)


def missing_meeting_records(frames: SchoolFrames, request: BridgeRequest) -> BridgeResult:
    """daily_to_meeting: D1-D6, with X3 counting."""
    days = in_session_days(frames, request)
    daily, ignored, read = source_records(frames, request, days, MODE_DAILY)  # D1
    daily = daily.drop(columns=["ccid", "periodid"])  # a Daily record's are 0; D3 sets them

    # D3: one Meeting record per target period (D2) and scheduled enrolment.
    would_be = (
        scheduled_enrolments(target_periods(daily, frames, request), frames, request)
        .rename(columns={"period_id": "periodid"})
        .loc[:, [*MEETING_KEY, "id", "calendar_dayid", "attendance_codeid"]]  # what D4-D6 and the records read
        .drop_duplicates(["id", "ccid", "periodid"])
    )

    # D5: Daily records that produce nothing because the student is not scheduled.
    unscheduled = (
        daily.loc[~daily["id"].isin(would_be["id"]), ["id", "studentid", "att_date", "attendance_codeid"]]
        .rename(columns={"id": "attendance_id"})
        .assign(rule="D5")
        .sort_values(["att_date", "studentid", "attendance_id"])
        .reset_index(drop=True)
    )

    # D6: per target key the lowest source attendance id wins (one hashing of the keys for both sides).
    ordered = would_be.sort_values([*MEETING_KEY, "id"])
    lost = ordered.duplicated(MEETING_KEY, keep="first")
    winners, losers = ordered.loc[~lost], ordered.loc[lost]

    # D4: skip keys that already hold a Meeting record, whatever its code.
    existing = _records_of_mode(frames, request, MODE_MEETING).loc[:, [*MEETING_KEY, "id", "attendance_codeid"]]
    exists = _has_key(winners, existing.loc[:, MEETING_KEY].drop_duplicates())
    built, skipped = winners.loc[~exists], winners.loc[exists]
    mismatches = _mismatch_report(skipped, existing)

    kept = built.loc[:, [*MEETING_KEY, "id", "attendance_codeid"]]
    conflicts = _conflict_report(
        "D6", losers.merge(kept, on=MEETING_KEY, suffixes=("", "_kept"), validate="many_to_one")
    )

    # A Meeting record has no attendance_time row: the time columns stay empty (TARGET_COLUMNS).
    records = built.assign(att_mode_code=MODE_MEETING, parent_attendanceid=built["id"])
    return _result(
        request,
        records,
        ignored=ignored,
        conflicts=conflicts,
        mismatches=mismatches,
        unscheduled=unscheduled,
        disagreements=code_disagreements(frames, request, days),
        read=read,
        skipped=len(skipped),
        outside_bridge=0,
    )


def bridge_records(frames: SchoolFrames, request: BridgeRequest) -> BridgeResult:
    """The records one run inserts, in the direction the request names."""
    if request.direction == MEETING_TO_DAILY:
        return missing_daily_records(frames, request)
    return missing_meeting_records(frames, request)


def code_disagreements(frames: SchoolFrames, request: BridgeRequest, days: pd.DataFrame) -> pd.DataFrame:
    """Student-days of the range where the Daily code and the bridge-period Meeting code differ.

    Like the vendor's Attendance Reconciliation report, whichever direction the run goes: a day
    counts only where both records exist (a missing one is what the rules build). The Daily side
    is the lowest attendance id (as D6); the Meeting side is M2's choice among the bridge-period
    records (an Absent code over a Present one, then the lowest id). Nothing is changed.
    """
    context = days.loc[:, ["att_date", "bridge_period_id"]]
    statuses = frames.attendance_code.rename(columns={"id": "attendance_codeid"}).loc[
        :, ["attendance_codeid", "presence_status_cd"]
    ]
    daily = _records_of_mode(frames, request, MODE_DAILY).merge(context, on="att_date", validate="many_to_one")
    daily_side = (
        daily.sort_values([*DAY_KEY, "id"])
        .assign(daily_records=lambda frame: frame.groupby(DAY_KEY)["id"].transform("size"))
        .drop_duplicates(DAY_KEY, keep="first")
        .loc[:, [*DAY_KEY, "id", "attendance_codeid", "daily_records"]]
        .rename(columns={"id": "daily_attendance_id", "attendance_codeid": "daily_attendance_codeid"})
    )
    meeting = _records_of_mode(frames, request, MODE_MEETING).merge(context, on="att_date", validate="many_to_one")
    bridge = meeting.loc[_true(meeting["periodid"] == meeting["bridge_period_id"])].merge(
        statuses.astype({"attendance_codeid": "Int64"}), on="attendance_codeid", how="left", validate="many_to_one"
    )
    meeting_side = (
        bridge.assign(absent_first=(bridge["presence_status_cd"] != ABSENT).astype("int64"))
        .sort_values([*DAY_KEY, "absent_first", "id"])
        .assign(meeting_records=lambda frame: frame.groupby(DAY_KEY)["id"].transform("size"))
        .drop_duplicates(DAY_KEY, keep="first")
        .loc[:, [*DAY_KEY, "periodid", "id", "attendance_codeid", "meeting_records"]]
        .rename(
            columns={
                "periodid": "bridge_periodid",
                "id": "meeting_attendance_id",
                "attendance_codeid": "meeting_attendance_codeid",
            }
        )
    )
    both = daily_side.merge(meeting_side, on=DAY_KEY, validate="one_to_one")
    differ = _true(both["daily_attendance_codeid"] != both["meeting_attendance_codeid"]) | (
        both["daily_attendance_codeid"].isna() != both["meeting_attendance_codeid"].isna()
    )
    return (
        both.loc[differ]
        .astype({"bridge_periodid": "int64", "daily_records": "int64", "meeting_records": "int64"})
        .sort_values(["att_date", "studentid"])
        .reset_index(drop=True)
    )


def _records_of_mode(frames: SchoolFrames, request: BridgeRequest, mode: str) -> pd.DataFrame:
    """Every record of the school in ``mode``, whatever its day: what already exists."""
    attendance = frames.attendance
    return attendance.loc[(attendance["schoolid"] == request.school_number) & (attendance["att_mode_code"] == mode)]


def _conflict_report(rule: str, losers: pd.DataFrame) -> pd.DataFrame:
    """One row per source record that lost to another for the same new record."""
    columns = {
        "studentid": "studentid",
        "att_date": "att_date",
        "id_kept": "kept_attendance_id",
        "attendance_codeid_kept": "kept_attendance_codeid",
        "id": "other_attendance_id",
        "attendance_codeid": "other_attendance_codeid",
    }
    return (
        losers.loc[:, list(columns)]
        .rename(columns=columns)
        .assign(rule=rule)
        .astype({"kept_attendance_id": "int64", "other_attendance_id": "int64"})
        .sort_values(["att_date", "studentid", "other_attendance_id"])
        .reset_index(drop=True)
    )


def _mismatch_report(skipped: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
    """D4: skipped records whose code is none of the existing records' codes for the key."""
    same_code = skipped.merge(
        existing.loc[:, [*MEETING_KEY, "attendance_codeid"]].drop_duplicates(),
        on=[*MEETING_KEY, "attendance_codeid"],
        how="left",
        indicator=True,
    )
    differing = same_code.loc[same_code["_merge"] == "left_only", [*MEETING_KEY, "id", "attendance_codeid"]]
    first_existing = existing.sort_values("id").drop_duplicates(MEETING_KEY, keep="first")
    return (
        differing.merge(first_existing, on=MEETING_KEY, suffixes=("", "_existing"), validate="one_to_one")
        .rename(
            columns={
                "id": "source_attendance_id",
                "id_existing": "existing_attendance_id",
                "attendance_codeid_existing": "existing_attendance_codeid",
            }
        )
        .assign(rule="D4")
        .sort_values(["att_date", "studentid", "ccid", "periodid"])
        .reset_index(drop=True)
    )


def _empty_mismatches() -> pd.DataFrame:
    """The mismatch report of a direction that has none (meeting_to_daily)."""
    return pd.DataFrame(
        {
            column: pd.Series(dtype=dtype)
            for column, dtype in {
                **{key: RECORD_DTYPES[key] for key in MEETING_KEY},
                "source_attendance_id": "int64",
                "attendance_codeid": "int64",
                "existing_attendance_id": "int64",
                "existing_attendance_codeid": "Int64",
                "rule": "str",
            }.items()
        }
    )


def _empty_unscheduled() -> pd.DataFrame:
    """The D5 report of a direction that has none (meeting_to_daily)."""
    return pd.DataFrame(
        {
            "attendance_id": pd.Series(dtype="int64"),
            "studentid": pd.Series(dtype="int64"),
            "att_date": pd.Series(dtype="datetime64[s]"),
            "attendance_codeid": pd.Series(dtype="int64"),
            "rule": pd.Series(dtype="str"),
        }
    )


def _result(
    request: BridgeRequest,
    built: pd.DataFrame,
    *,
    ignored: pd.DataFrame,
    conflicts: pd.DataFrame,
    mismatches: pd.DataFrame,
    unscheduled: pd.DataFrame,
    disagreements: pd.DataFrame,
    read: int,
    skipped: int,
    outside_bridge: int,
) -> BridgeResult:
    """Shape the new records (column order, dtypes, sort) and count everything."""
    records = (
        built.assign(schoolid=request.school_number, yearid=request.yearid)
        .reindex(columns=list(RECORD_DTYPES))
        .astype(RECORD_DTYPES)
        .sort_values(["att_date", "studentid", "periodid", "ccid"])
        .reset_index(drop=True)
    )
    counts = {
        "source_records_read": read,
        "ignored": len(ignored),
        "candidates": len(records),
        "skipped_existing": skipped,
        "conflicts": len(conflicts),
        "mismatches": len(mismatches),
        "unscheduled": len(unscheduled),
        "outside_bridge_period": outside_bridge,
        "disagreements": len(disagreements),
    }
    return BridgeResult(
        direction=request.direction,
        records=records,
        ignored=ignored,
        conflicts=conflicts,
        mismatches=mismatches,
        unscheduled=unscheduled,
        disagreements=disagreements,
        counts=counts,
    )


def _has_key(frame: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Which rows of ``frame``, in order, have their key (the columns of ``keys``) among ``keys``' distinct rows.

    Only the key columns are joined: joining the whole frame would copy every column to add one.
    ``keys`` must be distinct (many_to_one keeps one row per row of ``frame``); whether ``frame``'s
    keys are distinct does not matter here, and checking it cost 40% of the join.
    """
    key = list(keys.columns)
    joined = frame.loc[:, key].merge(keys, on=key, how="left", indicator=True, validate="many_to_one")
    return joined["_merge"].eq("both").to_numpy()


def _true(mask: pd.Series) -> pd.Series:
    """A comparison with NULLs in it as a plain boolean mask (NULL counts as False)."""
    return mask.fillna(False).astype(bool)


def _day(value: object) -> str:
    """A date as an administrator reads it (2025-09-03)."""
    return pd.Timestamp(value).date().isoformat()


def _schedule(row: pd.Series) -> str:
    """A bell schedule named for the message."""
    name = row.get("name")
    label = f"bell schedule {name!r}" if isinstance(name, str) and name else "bell schedule"
    return f"{label} (id {row['bell_schedule_id']})"


def _clock(seconds: object) -> str:
    """Seconds since midnight as HH:MM, or 'none'."""
    if pd.isna(seconds):
        return "none"
    minutes = int(seconds) // 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _code(att_code: object) -> str:
    """An attendance code as it appears on screen (the blank Present code shown as such)."""
    return "(blank)" if pd.isna(att_code) or att_code == "" else repr(att_code)


def _value(value: object) -> str:
    """A possibly missing id."""
    return "none" if pd.isna(value) else str(value)
