"""meeting_to_daily (SPEC section 5, M1-M4): the Daily records the school's Meeting records imply.

Decided here, where SPEC section 5 is silent (see docs/decisions.md):
- M3 ``total_minutes`` is whole minutes, rounded down.
"""

from __future__ import annotations

from attendance_bridge.config import ABSENT, MODE_DAILY, MODE_MEETING
from attendance_bridge.domain.frames import SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules.findings import (
    BridgeResult,
    bridge_result,
    code_disagreements,
    conflict_report,
    empty_mismatches,
    empty_unscheduled,
)
from attendance_bridge.domain.rules.records import DAY_KEY, has_key, records_of_mode, source_records
from attendance_bridge.domain.school_days import in_session_days, null_as_false

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


def missing_daily_records(frames: SchoolFrames, request: BridgeRequest) -> BridgeResult:
    """meeting_to_daily: M1-M4, with X3 counting."""
    days = in_session_days(frames, request)
    meeting, ignored, read = source_records(frames, request, days, MODE_MEETING)

    at_bridge = null_as_false(meeting["periodid"] == meeting["bridge_period_id"])
    bridge = meeting.loc[at_bridge, BRIDGE_COLUMNS]  # M4: other periods build nothing
    # M2: an Absent code over a Present one, then the lowest attendance id.
    chosen = (
        bridge.assign(absent_first=(bridge["presence_status_cd"] != ABSENT).astype("int64"))
        .sort_values([*DAY_KEY, "absent_first", "id"])
        .drop_duplicates(DAY_KEY, keep="first")
    )
    # M1: only where the student has no Daily record of the school that day.
    skipped = has_key(chosen, records_of_mode(frames, request, MODE_DAILY).loc[:, DAY_KEY].drop_duplicates())
    built = chosen.loc[~skipped]

    losers = bridge.loc[:, [*DAY_KEY, "id", "attendance_codeid"]].merge(
        built.loc[:, [*DAY_KEY, "id", "attendance_codeid"]],
        on=DAY_KEY,
        suffixes=("", "_kept"),
        validate="many_to_one",
    )
    conflicts = conflict_report("M2", losers.loc[losers["attendance_codeid"] != losers["attendance_codeid_kept"]])

    # M3: a Daily record with the bridge item's default times.
    records = built.assign(
        ccid=0,
        periodid=0,
        att_mode_code=MODE_DAILY,
        parent_attendanceid=built["id"],
        total_minutes=(built["time_out"] - built["time_in"]) // 60,
    )
    return bridge_result(
        request,
        records,
        ignored=ignored,
        conflicts=conflicts,
        mismatches=empty_mismatches(),
        unscheduled=empty_unscheduled(),
        disagreements=code_disagreements(frames, request, days),
        read=read,
        skipped=int(skipped.sum()),
        outside_bridge=int((~at_bridge).sum()),
    )
