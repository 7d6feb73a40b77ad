"""Copies follow their sources (SPEC section 8, F1 and F2): the verdict on each copy an earlier run built.

A copy is judged against its own source alone, by the rules of section 5 applied today with the
parameters of the run that built it (F1); a copy a person changed or deleted is left alone (F2).
``judge_copies`` gives one verdict per copy; ``frames_after_follow`` gives the SIS as the verdicts
leave it, for the engine to build what the corrected sources imply (F5). Pure pandas, like the rules.

Decided here, where section 8 is silent (see docs/decisions.md):
- The reasons are judged in the order of ``REASONS``, the first that holds wins: a person's word
  (F2), then the source (gone, moved), the day, the rule of the copy's direction (M1; D2, D3, D7),
  and only then the code.
- D2's three reasons go from the day to the run's choice: a period no longer in B(d) whatever the
  code; then, beyond P*(d), "bridge period changed" under bridge_period_only and "Daily code no
  longer Absent" under all_periods and untaken_periods.
- M1's and D4's "already exists" are left out (F1); so is D7 under all_periods and
  bridge_period_only, where a person's record beside a copy leaves it current. Under
  untaken_periods a person's Meeting record in the copy's section, day and period (the student's
  own too) means attendance was taken there: the teacher's word wins and the copy is withdrawn.
- M2's and D6's choices among several sources are not revisited.
- P6 is asked of the sources the rules read today (present, not moved, on an in-session day of
  the range) and refused as the engine refuses; a source judged gone or moved is not read.
- The copies given are copies whatever ``frames.built_records`` says: none shows that attendance
  was taken (X9, D7).
- A copy whose day lies outside the range followed is refused (ValueError), never judged out of
  session. A copy a person deleted may come without its row: ``studentid`` is nullable, and it
  sorts last.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from attendance_bridge.config import (
    ABSENT,
    ABSENT_PERIODS_OPTIONS,
    BRIDGE_PERIOD_ONLY,
    DAILY_TO_MEETING,
    EVERY_PERIOD_OPTIONS,
    MEETING_TO_DAILY,
    MODE_DAILY,
    MODE_MEETING,
    UNTAKEN_PERIODS,
)
from attendance_bridge.domain.attendance_codes import with_codes
from attendance_bridge.domain.frames import SchoolFrames, normalised_frame
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules.daily_to_meeting import (
    TARGET_COLUMNS,
    scheduled_enrolments,
    taken_periods,
    target_periods,
)
from attendance_bridge.domain.rules.records import has_key, refuse_bad_codes
from attendance_bridge.domain.school_days import in_session_days, null_as_false, schedule_periods

# The verdicts (F1, F2): what the load does with a copy.
CURRENT, RECODE, WITHDRAW, EDITED = "current", "recode", "withdraw", "edited"
VERDICTS = (CURRENT, RECODE, WITHDRAW, EDITED)

# The reasons, in the order they are judged; a current copy has none ("").
DELETED_BY_A_PERSON = "deleted by a person"  # F2
CHANGED_BY_A_PERSON = "changed by a person"  # F2
SOURCE_DELETED = "source deleted"
SOURCE_MOVED = "source moved"  # another student, day, school or mode
DAY_NOT_IN_SESSION = "day no longer in session"
NOT_IN_BRIDGE_PERIOD = "source no longer in the bridge period"  # M1
PERIOD_NOT_IN_SCHEDULE = "period not in the day's bell schedule"  # D2
BRIDGE_PERIOD_CHANGED = "bridge period changed"  # D2, bridge_period_only
NO_LONGER_ABSENT = "Daily code no longer Absent"  # D2, all_periods and untaken_periods
NOT_SCHEDULED = "enrolment no longer schedules the student there"  # D3
PERIOD_TAKEN = "attendance taken in that period since"  # D7, untaken_periods
CODE_CHANGED = "code changed"
REASONS = (
    DELETED_BY_A_PERSON, CHANGED_BY_A_PERSON, SOURCE_DELETED, SOURCE_MOVED, DAY_NOT_IN_SESSION, NOT_IN_BRIDGE_PERIOD,
    PERIOD_NOT_IN_SCHEDULE, BRIDGE_PERIOD_CHANGED, NO_LONGER_ABSENT, NOT_SCHEDULED, PERIOD_TAKEN, CODE_CHANGED,
)  # fmt: skip
VERDICT_OF_REASON = {
    **dict.fromkeys(REASONS, WITHDRAW),
    DELETED_BY_A_PERSON: EDITED,
    CHANGED_BY_A_PERSON: EDITED,
    CODE_CHANGED: RECODE,
    "": CURRENT,
}

# One row per copy, as the caller reads it: the copy's row as it is now in the SIS (empty where
# ``present`` is False), whether a person changed it, and the run that built it.
COPY_COLUMNS: dict[str, str] = {
    "attendance_id": "int64",
    "source_attendance_id": "int64",
    "studentid": "Int64",
    "att_date": "date",
    "att_mode_code": "str",
    "ccid": "Int64",
    "periodid": "Int64",
    "attendance_codeid": "Int64",
    "present": "bool",
    "edited": "bool",
    "direction": "str",
    "absent_periods": "str",
    "dag_id": "str",
    "run_id": "str",
}
# The judgement: one row per copy (``attendance_codeid`` is its code now, ``new_attendance_codeid``
# its source's for a recode).
JUDGEMENT_DTYPES: dict[str, str] = {
    **{column: COPY_COLUMNS[column] for column in list(COPY_COLUMNS)[:8]},
    "att_date": "datetime64[s]",
    "verdict": "str",
    "new_attendance_codeid": "Int64",
    "reason": "str",
    "dag_id": "str",
    "run_id": "str",
}
# What D2 and D3 read of a Daily source (``TARGET_COLUMNS``, its code's status, its copy's run's choice), from the
# judged copies' columns.
_OF_SOURCE = {
    "source_attendance_id": "id",
    "studentid_source": "studentid",
    "attendance_codeid_source": "attendance_codeid",
}
_DAILY_SOURCE_COLUMNS = {
    **_OF_SOURCE,
    **{column: column for column in TARGET_COLUMNS if column not in _OF_SOURCE.values()},
    "presence_status_cd": "presence_status_cd",
    "absent_periods": "absent_periods",
}


def copies_frame(raw: pd.DataFrame) -> pd.DataFrame:
    """The copies of ``COPY_COLUMNS`` (extra columns dropped, dtypes made explicit), each once, with known run parameters."""
    copies = normalised_frame("copies", raw, COPY_COLUMNS)
    if copies["attendance_id"].duplicated().any():
        raise ValueError("the copies frame names a copy more than once")
    unknown = ~copies["direction"].isin((MEETING_TO_DAILY, DAILY_TO_MEETING)) | ~copies["absent_periods"].isin(
        ABSENT_PERIODS_OPTIONS
    )
    if unknown.any():
        raise ValueError(
            f"copy {copies.loc[unknown, 'attendance_id'].iloc[0]} has an unknown direction or absent_periods"
        )
    return copies


def judge_copies(
    frames: SchoolFrames, request: BridgeRequest, copies: pd.DataFrame, sources: pd.DataFrame
) -> pd.DataFrame:
    """F1, F2: each copy's verdict (``VERDICTS``) and reason (``REASONS``), columns of ``JUDGEMENT_DTYPES``.

    ``request`` gives the school, year and range followed, never a copy's parameters. ``sources``
    are the copies' sources as the SIS holds them now (``TABLE_COLUMNS["attendance"]``), whatever
    their school or day; a source missing from it was deleted. Refuses (P5, P6) as the engine does.
    """
    copies = copies_frame(copies)
    sources = normalised_frame("attendance", sources)
    copy_ids = copies.loc[:, ["attendance_id"]].rename(columns={"attendance_id": "id"})
    frames = replace(
        frames,
        built_records=pd.concat([frames.built_records, copy_ids]).drop_duplicates().reset_index(drop=True),
    )
    days = in_session_days(frames, request).loc[
        :, ["att_date", "calendar_dayid", "bell_schedule_id", "letter", "bridge_period_id"]
    ]
    judged = copies.merge(
        sources.add_suffix("_source"),
        left_on="source_attendance_id",
        right_on="id_source",
        how="left",
        validate="many_to_one",
        indicator="source",
    ).merge(days, on="att_date", how="left", validate="many_to_one", indicator="day")

    by_a_person = ~judged["present"] | judged["edited"]
    _refuse_copies_outside_the_range(judged.loc[~by_a_person], request)
    gone = judged["source"].eq("left_only")
    source_mode = np.where(judged["direction"] == MEETING_TO_DAILY, MODE_MEETING, MODE_DAILY)
    moved = (
        _differs(judged["studentid_source"], judged["studentid"])
        | _differs(judged["att_date_source"], judged["att_date"])
        | _differs(judged["schoolid_source"], pd.Series(request.school_number, index=judged.index))
        | _differs(judged["att_mode_code_source"], pd.Series(source_mode, index=judged.index))
    )
    off_day = judged["day"].eq("left_only")
    # The sources the rules read today: P6 holds for them, as in the engine.
    read = ~by_a_person & ~gone & ~moved & ~off_day
    read_sources = with_codes(sources.loc[sources["id"].isin(judged.loc[read, "source_attendance_id"])], frames)
    refuse_bad_codes(read_sources, request.school_number)
    absent = judged["source_attendance_id"].isin(read_sources.loc[read_sources["presence_status_cd"] == ABSENT, "id"])

    to_meeting = (judged["direction"] == DAILY_TO_MEETING).to_numpy()
    at_bridge = null_as_false(judged["periodid"] == judged["bridge_period_id"]).to_numpy()
    source_at_bridge = null_as_false(judged["periodid_source"] == judged["bridge_period_id"]).to_numpy()
    periods = schedule_periods(frames).rename(columns={"period_id": "periodid"}).astype({"periodid": "Int64"})
    in_schedule = has_key(judged, periods.loc[:, ["bell_schedule_id", "periodid"]].drop_duplicates())
    statuses = read_sources.loc[:, ["id", "presence_status_cd"]].rename(columns={"id": "source_attendance_id"})
    implied = _implied_meeting_records(
        judged.loc[read & to_meeting].merge(statuses, on="source_attendance_id", validate="many_to_one"),
        frames,
        request,
    )
    key = ["source_attendance_id", "absent_periods", "ccid", "periodid"]
    found = judged.loc[:, key].merge(implied, on=key, how="left", validate="many_to_one", indicator=True)
    scheduled = found["_merge"].eq("both").to_numpy()
    taken = null_as_false(found["taken"]).to_numpy() & (judged["absent_periods"] == UNTAKEN_PERIODS).to_numpy()
    beyond_bridge = to_meeting & ~at_bridge
    reason = np.select(
        [
            ~judged["present"].to_numpy(),
            judged["edited"].to_numpy(),
            gone.to_numpy(),
            moved.to_numpy(),
            off_day.to_numpy(),
            ~to_meeting & ~source_at_bridge,
            to_meeting & ~in_schedule,
            beyond_bridge & (judged["absent_periods"] == BRIDGE_PERIOD_ONLY).to_numpy(),
            beyond_bridge & judged["absent_periods"].isin(EVERY_PERIOD_OPTIONS).to_numpy() & ~absent.to_numpy(),
            to_meeting & ~scheduled,
            beyond_bridge & taken,
            _differs(judged["attendance_codeid_source"], judged["attendance_codeid"]).to_numpy(),
        ],
        list(REASONS),
        default="",
    )
    verdict = pd.Series(reason, index=judged.index).map(VERDICT_OF_REASON)
    return (
        judged.assign(
            verdict=verdict,
            reason=reason,
            new_attendance_codeid=judged["attendance_codeid_source"].where(verdict == RECODE),
        )
        .loc[:, list(JUDGEMENT_DTYPES)]
        .astype(JUDGEMENT_DTYPES)
        .sort_values(["att_date", "studentid", "periodid", "attendance_id"])
        .reset_index(drop=True)
    )


def _implied_meeting_records(judged: pd.DataFrame, frames: SchoolFrames, request: BridgeRequest) -> pd.DataFrame:
    """D2, D3 and D7 today for the Daily sources of ``judged`` (read, daily_to_meeting, with their code's
    ``presence_status_cd``), each under its copy's run's absent_periods: the keys (source id, absent_periods, ccid,
    periodid) they imply, and whether the period was taken.
    """
    daily = (
        judged.loc[:, list(_DAILY_SOURCE_COLUMNS)]
        .rename(columns=_DAILY_SOURCE_COLUMNS)
        .drop_duplicates(["id", "absent_periods"])
        .astype({"id": "int64", "studentid": "int64", "calendar_dayid": "int64", "bridge_period_id": "int64"})
    )
    # Three runs' worth of parameters at most, whatever the number of copies.
    implied = pd.concat(
        [
            scheduled_enrolments(target_periods(daily.loc[daily["absent_periods"] == option], frames, run), frames, run)
            .assign(absent_periods=option)
            .loc[:, ["id", "absent_periods", "ccid", "period_id", "sectionid", "att_date"]]
            for option in ABSENT_PERIODS_OPTIONS
            for run in [replace(request, direction=DAILY_TO_MEETING, absent_periods=option)]
        ],
        ignore_index=True,
    ).rename(columns={"id": "source_attendance_id", "period_id": "periodid"})
    implied = implied.astype({"ccid": "Int64", "periodid": "Int64", "absent_periods": "str"})
    taken = taken_periods(frames, request).astype({"periodid": "Int64"})
    return implied.assign(taken=has_key(implied, taken)).drop(columns=["sectionid", "att_date"]).drop_duplicates()


def frames_after_follow(frames: SchoolFrames, judgement: pd.DataFrame) -> SchoolFrames:
    """The school's frames once ``judgement`` is applied (F3, F4): withdrawn copies gone, recoded ones with their
    new code. The engine run on them builds what the corrected sources imply and does not exist yet (F5).
    """
    withdrawn = judgement.loc[judgement["verdict"] == WITHDRAW, "attendance_id"]
    recoded = judgement.loc[judgement["verdict"] == RECODE, ["attendance_id", "new_attendance_codeid"]].rename(
        columns={"attendance_id": "id"}
    )
    kept = frames.attendance.loc[~frames.attendance["id"].isin(withdrawn)].reset_index(drop=True)
    new_code = kept.loc[:, ["id"]].merge(recoded, on="id", how="left", validate="many_to_one")["new_attendance_codeid"]
    built = frames.built_records
    return replace(
        frames,
        attendance=kept.assign(attendance_codeid=new_code.astype("Int64").fillna(kept["attendance_codeid"])),
        built_records=built.loc[~built["id"].isin(withdrawn)].reset_index(drop=True),
    )


def _differs(now: pd.Series, then: pd.Series) -> pd.Series:
    """Where two values differ; a missing value differs from everything (nothing shows it equal)."""
    return (now != then).astype("boolean").fillna(True).astype(bool) | now.isna() | then.isna()


def _refuse_copies_outside_the_range(copies: pd.DataFrame, request: BridgeRequest) -> None:
    """A copy is followed by a run whose range holds its day (F7): one outside it would be withdrawn as out of session."""
    outside = ~copies["att_date"].between(pd.Timestamp(request.start_date), pd.Timestamp(request.end_date))
    if outside.any():
        row = copies.loc[outside].iloc[0]
        raise ValueError(
            f"copy {row['attendance_id']} lies on {row['att_date'].date()}, outside the range followed "
            f"({request.start_date} to {request.end_date})"
        )


def follow_counts(judgement: pd.DataFrame) -> dict[str, int]:
    """F8: how many copies a judgement recodes, withdraws, and leaves because a person changed them."""
    verdicts = judgement["verdict"]
    return {
        "recoded": int((verdicts == RECODE).sum()),
        "withdrawn": int((verdicts == WITHDRAW).sum()),
        "edited_not_followed": int((verdicts == EDITED).sum()),
    }
