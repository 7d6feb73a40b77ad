"""daily_to_meeting (SPEC section 5, D1-D6): the Meeting records the school's Daily records imply.

Decided here, where SPEC section 5 is silent (see docs/decisions.md):
- D4 and D6 are applied per target key (student, day, enrolment, period): the D6 winner of a
  key that already exists is skipped (D4) and counted once; a mismatch is a winner whose code
  is none of the existing records' codes for that key.
- D7 judges what D4 left to build, beyond the bridge period: a record for a period whose section
  has a Meeting record that day (not one a run built, X9) is a possible false absence under
  ``all_periods`` (built, and listed) and is not built under ``untaken_periods`` (counted).
"""

from __future__ import annotations

import pandas as pd

from attendance_bridge.config import ABSENT, EVERY_PERIOD_OPTIONS, MODE_DAILY, MODE_MEETING, UNTAKEN_PERIODS
from attendance_bridge.domain.frames import SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules.findings import (
    BridgeResult,
    bridge_result,
    code_disagreements,
    conflict_report,
    false_absence_report,
    mismatch_report,
)
from attendance_bridge.domain.rules.records import MEETING_KEY, has_key, records_of_mode, source_records
from attendance_bridge.domain.school_days import in_session_days, schedule_periods

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
    return active.drop(columns=["dateenrolled", "dateleft"])


def target_periods(daily: pd.DataFrame, frames: SchoolFrames, request: BridgeRequest) -> pd.DataFrame:
    """D2: each Daily record once per target period (``period_id``, ``period_number``): the
    bridge period, and every period of B(d) for an Absent code under all_periods (and under
    untaken_periods, whose taken periods D7 takes out afterwards).
    """
    periods = schedule_periods(frames)
    every_period = (daily["presence_status_cd"] == ABSENT) & (request.absent_periods in EVERY_PERIOD_OPTIONS)
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
        # what D4-D7 and the records read
        .loc[:, [*MEETING_KEY, "id", "calendar_dayid", "attendance_codeid", "sectionid", "bridge_period_id"]]
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
    existing = records_of_mode(frames, request, MODE_MEETING).loc[:, [*MEETING_KEY, "id", "attendance_codeid"]]
    exists = has_key(winners, existing.loc[:, MEETING_KEY].drop_duplicates())
    built, skipped = winners.loc[~exists], winners.loc[exists]
    mismatches = mismatch_report(skipped, existing)

    # D7: beyond the bridge period, a period whose section's teacher took attendance that day.
    # Under all_periods they are built and listed; under untaken_periods they are not built.
    taken = (built["periodid"] != built["bridge_period_id"]).to_numpy(copy=True)
    if taken.any():  # none under bridge_period_only: no need to read whose attendance was taken
        taken &= has_key(built, taken_periods(frames, request))
    if request.absent_periods == UNTAKEN_PERIODS:
        possible_false_absences, skipped_taken = false_absence_report(None), int(taken.sum())
        built = built.loc[~taken]
    else:
        possible_false_absences, skipped_taken = false_absence_report(built.loc[taken]), 0

    kept = built.loc[:, [*MEETING_KEY, "id", "attendance_codeid"]]
    conflicts = conflict_report(
        "D6", losers.merge(kept, on=MEETING_KEY, suffixes=("", "_kept"), validate="many_to_one")
    )

    # A Meeting record has no attendance_time row: the time columns stay empty (TARGET_COLUMNS).
    records = built.assign(att_mode_code=MODE_MEETING, parent_attendanceid=built["id"])
    return bridge_result(
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
        possible_false_absences=possible_false_absences,
        skipped_taken=skipped_taken,
    )


def taken_periods(frames: SchoolFrames, request: BridgeRequest) -> pd.DataFrame:
    """D7: the (section, day, period) in which the school's Meeting records show attendance was taken.

    A Meeting record a run built (X9) shows nothing of the kind. Distinct keys, for ``has_key``.
    """
    meeting = records_of_mode(frames, request, MODE_MEETING)
    meeting = (
        meeting.loc[~meeting["id"].isin(frames.built_records["id"]), ["ccid", "att_date", "periodid"]]
        .dropna()
        .astype({"ccid": "int64", "periodid": "int64"})
    )
    sections = frames.cc.loc[:, ["id", "sectionid"]].rename(columns={"id": "ccid"})
    return (
        meeting.merge(sections, on="ccid", validate="many_to_one")
        .loc[:, ["sectionid", "att_date", "periodid"]]
        .drop_duplicates()
    )
