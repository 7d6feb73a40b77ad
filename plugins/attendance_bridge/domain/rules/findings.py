"""What a run reports besides the records it builds (SPEC section 6): the conflicts (M2, D6), the
mismatches (D4), the unscheduled records (D5), the disagreements, their empty forms for the
direction without them, and the counts of ``BridgeResult``.

The counts' names, order and labels are ``catalog.COUNTS``: a new count is computed in
``bridge_result`` and gets its entry there.

Decided here, where SPEC section 5 is silent (see docs/decisions.md):
- Conflicts (M2, D6) and mismatches (D4) are reported only for records the run would build
  or skips; a second run (X2) therefore reports no conflicts, only skips.
- Disagreements (the vendor's Attendance Reconciliation report) compare, per student and
  in-session day, the Daily record the bridge would read first (lowest id, as D6) with the
  bridge-period Meeting record it would read first (M2's choice); they are reported, never changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from attendance_bridge.config import ABSENT, MODE_DAILY, MODE_MEETING
from attendance_bridge.domain.attendance_codes import attendance_codes
from attendance_bridge.domain.frames import RECORD_DTYPES, SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules.records import BUILT_BY_A_RUN, DAY_KEY, MEETING_KEY, records_of_mode
from attendance_bridge.domain.school_days import null_as_false


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
    possible_false_absences: pd.DataFrame = field(default_factory=lambda: false_absence_report(None))


def code_disagreements(frames: SchoolFrames, request: BridgeRequest, days: pd.DataFrame) -> pd.DataFrame:
    """Student-days of the range where the Daily code and the bridge-period Meeting code differ.

    Like the vendor's Attendance Reconciliation report, whichever direction the run goes: a day
    counts only where both records exist (a missing one is what the rules build). The Daily side
    is the lowest attendance id (as D6); the Meeting side is M2's choice among the bridge-period
    records (an Absent code over a Present one, then the lowest id). Nothing is changed.
    """
    context = days.loc[:, ["att_date", "bridge_period_id"]]
    statuses = attendance_codes(frames).loc[:, ["attendance_codeid", "presence_status_cd"]]
    daily = records_of_mode(frames, request, MODE_DAILY).merge(context, on="att_date", validate="many_to_one")
    daily_side = (
        daily.sort_values([*DAY_KEY, "id"])
        .assign(daily_records=lambda frame: frame.groupby(DAY_KEY)["id"].transform("size"))
        .drop_duplicates(DAY_KEY, keep="first")
        .loc[:, [*DAY_KEY, "id", "attendance_codeid", "daily_records"]]
        .rename(columns={"id": "daily_attendance_id", "attendance_codeid": "daily_attendance_codeid"})
    )
    meeting = records_of_mode(frames, request, MODE_MEETING).merge(context, on="att_date", validate="many_to_one")
    bridge = meeting.loc[null_as_false(meeting["periodid"] == meeting["bridge_period_id"])].merge(
        statuses, on="attendance_codeid", how="left", validate="many_to_one"
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
    differ = null_as_false(both["daily_attendance_codeid"] != both["meeting_attendance_codeid"]) | (
        both["daily_attendance_codeid"].isna() != both["meeting_attendance_codeid"].isna()
    )
    return (
        both.loc[differ]
        .astype({"bridge_periodid": "int64", "daily_records": "int64", "meeting_records": "int64"})
        .sort_values(["att_date", "studentid"])
        .reset_index(drop=True)
    )


def conflict_report(rule: str, losers: pd.DataFrame) -> pd.DataFrame:
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


def mismatch_report(skipped: pd.DataFrame, existing: pd.DataFrame) -> pd.DataFrame:
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


# D7: the columns of a possible false absence, with their dtypes.
FALSE_ABSENCE_DTYPES = {
    "studentid": "int64",
    "att_date": "datetime64[s]",
    "ccid": "int64",
    "periodid": "int64",
    "sectionid": "int64",
    "source_attendance_id": "int64",
    "attendance_codeid": "int64",
    "rule": "str",
}


def false_absence_report(records: pd.DataFrame | None) -> pd.DataFrame:
    """D7: records built into a period whose teacher took attendance that day (None: an empty report).

    In Meeting attendance a period without a record means present, so each contradicts the teacher
    unless the student really missed that class.
    """
    if records is None or records.empty:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in FALSE_ABSENCE_DTYPES.items()})
    return (
        records.rename(columns={"id": "source_attendance_id"})
        .assign(rule="D7")
        .loc[:, list(FALSE_ABSENCE_DTYPES)]
        .astype(FALSE_ABSENCE_DTYPES)
        .sort_values(["att_date", "studentid", "periodid", "ccid"])
        .reset_index(drop=True)
    )


def empty_mismatches() -> pd.DataFrame:
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


def empty_unscheduled() -> pd.DataFrame:
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


def bridge_result(
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
    possible_false_absences: pd.DataFrame | None = None,
    skipped_taken: int = 0,
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
        "ignored_built": int((ignored["reason"] == BUILT_BY_A_RUN).sum()),
        "candidates": len(records),
        "skipped_existing": skipped,
        "conflicts": len(conflicts),
        "mismatches": len(mismatches),
        "unscheduled": len(unscheduled),
        "outside_bridge_period": outside_bridge,
        "disagreements": len(disagreements),
        "possible_false_absences": 0 if possible_false_absences is None else len(possible_false_absences),
        "skipped_taken": skipped_taken,
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
        possible_false_absences=(
            false_absence_report(None) if possible_false_absences is None else possible_false_absences
        ),
    )
