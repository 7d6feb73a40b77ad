"""The records the rules read: a school's attendance records of one mode, placed on their days (X3), their codes checked (P6).

Shared by both directions (``meeting_to_daily``, ``daily_to_meeting``) and the findings.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attendance_bridge.domain.attendance_codes import USABLE_STATUSES, with_codes
from attendance_bridge.domain.frames import SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.school_days import day_text
from attendance_bridge.errors import PreconditionFailed

# A student-day (M1, M2, the disagreements) and a Meeting record's key (D3-D6).
DAY_KEY = ["studentid", "att_date"]
MEETING_KEY = ["studentid", "att_date", "ccid", "periodid"]
# X9: the reason an ignored record gives when a run built it (X3's are "not in session" and "outside the range").
BUILT_BY_A_RUN = "built by an earlier run (X9)"


def source_records(
    frames: SchoolFrames, request: BridgeRequest, days: pd.DataFrame, mode: str
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """The school's records of ``mode`` split into (usable on in-session days, ignored, count read).

    Ignored are the records on no in-session day of the range (X3) and the records a run of the
    pipeline built (X9: copies, never sources; ``frames.built_records``), each with its reason.
    Usable records carry their day context and their code's presence status; a code that is
    unknown or neither Present nor Absent is refused (P6).
    """
    attendance = frames.attendance
    read = attendance.loc[(attendance["schoolid"] == request.school_number) & (attendance["att_mode_code"] == mode)]
    placed = read.merge(days, on="att_date", how="left", validate="many_to_one", indicator=True)
    on_day = placed["_merge"].eq("both").to_numpy()
    built = placed["id"].isin(frames.built_records["id"]).to_numpy()
    in_range = placed["att_date"].between(pd.Timestamp(request.start_date), pd.Timestamp(request.end_date)).to_numpy()
    # X3 first: a built record on no in-session day of the range is ignored for that.
    reason = np.where(on_day, BUILT_BY_A_RUN, np.where(in_range, "not in session", "outside the range"))
    left_out = ~on_day | built
    ignored = (
        placed.loc[left_out, ["id", "studentid", "att_date", "attendance_codeid"]]
        .assign(reason=reason[left_out])
        .astype({"reason": "str"})
        .rename(columns={"id": "attendance_id"})
        .reset_index(drop=True)
    )
    usable = placed.loc[~left_out].drop(columns="_merge")
    usable = with_codes(usable, frames).drop(columns="code_exists")
    refuse_bad_codes(usable, request.school_number)
    return usable.astype({"attendance_codeid": "int64"}), ignored, len(read)


def refuse_bad_codes(records: pd.DataFrame, school: int) -> None:
    """P6: every code a usable record references exists and is Present or Absent.

    The gate judged the same codes first (``checks.preconditions.attendance_codes_frame``); the
    engine refuses too, so it never builds from a record it cannot read (docs/decisions.md).
    """
    missing = records.loc[records["presence_status_cd"].isna()]
    if not missing.empty:
        row = missing.sort_values("id").iloc[0]
        raise PreconditionFailed(
            "P6",
            school,
            f"attendance record {row['id']} (student {row['studentid']}, {day_text(row['att_date'])}) uses "
            f"attendance code id {_value(row['attendance_codeid'])}, which is not a known code with a presence "
            "status for this school and year",
        )
    odd = records.loc[~records["presence_status_cd"].isin(USABLE_STATUSES)]
    if not odd.empty:
        row = odd.sort_values("id").iloc[0]
        raise PreconditionFailed(
            "P6",
            school,
            f"attendance code {_code(row['att_code'])} (id {row['attendance_codeid']}) has presence status "
            f"{row['presence_status_cd']!r}; it must be Present or Absent (first used by attendance record "
            f"{row['id']} on {day_text(row['att_date'])})",
        )


def records_of_mode(frames: SchoolFrames, request: BridgeRequest, mode: str) -> pd.DataFrame:
    """Every record of the school in ``mode``, whatever its day: what already exists."""
    attendance = frames.attendance
    return attendance.loc[(attendance["schoolid"] == request.school_number) & (attendance["att_mode_code"] == mode)]


def has_key(frame: pd.DataFrame, keys: pd.DataFrame) -> np.ndarray:
    """Which rows of ``frame``, in order, have their key (the columns of ``keys``) among ``keys``' distinct rows.

    Only the key columns are joined: joining the whole frame would copy every column to add one.
    ``keys`` must be distinct (many_to_one keeps one row per row of ``frame``); whether ``frame``'s
    keys are distinct does not matter here, and checking it cost 40% of the join.
    """
    key = list(keys.columns)
    joined = frame.loc[:, key].merge(keys, on=key, how="left", indicator=True, validate="many_to_one")
    return joined["_merge"].eq("both").to_numpy()


def _code(att_code: object) -> str:
    """An attendance code as it appears on screen (the blank Present code shown as such)."""
    return "(blank)" if pd.isna(att_code) or att_code == "" else repr(att_code)


def _value(value: object) -> str:
    """A possibly missing id."""
    return "none" if pd.isna(value) else str(value)
