"""The frame the candidates' suite judges (C1-C4): one row per record the run would insert.

It can hold a million rows, so it has no ``label`` column: GX lists the offenders by row
number and ``candidate_labels`` names the few a refusal reports (``checks.gx.run_suites``
explains why).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from attendance_bridge.config import MEETING_TO_DAILY, MODE_DAILY, MODE_MEETING
from attendance_bridge.domain.frames import SchoolFrames


def candidate_checks(records: pd.DataFrame, frames: SchoolFrames, direction: str, school_number: int) -> pd.DataFrame:
    """One row per record to insert, with a boolean per candidate check (C1-C4).

    The frame's index is the record's position in ``records``; GX lists offenders by it and
    ``candidate_labels`` names the few that are reported (see ``checks.gx.run_suites`` for why).
    """
    target_mode = MODE_DAILY if direction == MEETING_TO_DAILY else MODE_MEETING
    key = ["studentid", "att_date"] if target_mode == MODE_DAILY else ["studentid", "att_date", "ccid", "periodid"]
    sizes = records.groupby(key)["studentid"].transform("size") if not records.empty else pd.Series(dtype="int64")
    # An existing row with an empty key part (a Meeting row without enrolment or period) is
    # never a record the run builds, and cannot take the records' integer dtypes.
    existing = frames.attendance.loc[frames.attendance["att_mode_code"] == target_mode, key].dropna().drop_duplicates()
    exists = records.loc[:, key].merge(existing.astype(records.dtypes[key].to_dict()), on=key, how="left",
                                       indicator=True)["_merge"].eq("both")  # fmt: skip
    daily = records["att_mode_code"] == MODE_DAILY
    return pd.DataFrame(
        {
            "key_count": sizes.to_numpy(dtype="int64"),
            "mode": records["att_mode_code"].astype("str").to_numpy(),
            "schoolid": records["schoolid"].to_numpy(),
            "calendar_day_exists": records["calendar_dayid"].isin(frames.calendar_day["id"]).to_numpy(),
            "code_exists": records["attendance_codeid"].isin(frames.attendance_code["id"]).to_numpy(),
            "enrolment_exists": (
                daily & records["ccid"].eq(0) | ~daily & records["ccid"].isin(frames.cc["id"])
            ).to_numpy(),
            "period_exists": (
                daily & records["periodid"].eq(0) | ~daily & records["periodid"].isin(frames.period["id"])
            ).to_numpy(),
            "source_exists": records["parent_attendanceid"].isin(frames.attendance["id"]).to_numpy(),
            "already_in_sis": exists.to_numpy(),
        }
    )


def candidate_labels(records: pd.DataFrame, rows: Sequence[int]) -> list[str]:
    """Names for the records at these positions, for a person reading the refusal."""
    picked = records.iloc[list(rows)]
    return [
        f"the record for student {record.studentid} on {record.att_date:%Y-%m-%d} "
        f"(period id {record.periodid}, enrolment {record.ccid})"
        for record in picked.itertuples(index=False)
    ]
