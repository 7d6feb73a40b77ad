"""The copies a run followed (SPEC section 8, F8) as the run report lists them, and why each was followed.

The compute task stages the copies it did not find current (``db.follow.copy_changes``): the judgement
of ``domain.follow`` with each source's md5. The report lists, for each, the student, the day, the period,
the kind of record, its code before the run and the code it gets, what happened to it and why, and the
run that built it; the ids follow, to look a record up in the SIS. ``followed_by_reason`` says per reason
how many copies it concerns and what it means, for report.json and the run page.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from attendance_bridge.domain.follow import (
    BRIDGE_PERIOD_CHANGED,
    CHANGED_BY_A_PERSON,
    CODE_CHANGED,
    DAY_NOT_IN_SESSION,
    DELETED_BY_A_PERSON,
    EDITED,
    NO_LONGER_ABSENT,
    NOT_IN_BRIDGE_PERIOD,
    NOT_SCHEDULED,
    PERIOD_NOT_IN_SCHEDULE,
    PERIOD_TAKEN,
    REASONS,
    RECODE,
    SOURCE_DELETED,
    SOURCE_MOVED,
    WITHDRAW,
)

# What happened to a copy, by its verdict, as the page says it.
VERDICT_WORDS: dict[str, str] = {RECODE: "recoded", WITHDRAW: "withdrawn", EDITED: "left as a person edited it"}

# What each reason means and what the run did about it, in one sentence, for an administrator.
REASON_SENTENCES: dict[str, str] = {
    DELETED_BY_A_PERSON: (
        "someone deleted this copy in the SIS after a run built it; the follow does not put it back (F2), but the "
        "rules, finding no record there, may build one again, among the records added"
    ),
    CHANGED_BY_A_PERSON: (
        "someone changed this copy in the SIS (its code, a comment, ...) after a run built it; a person's word "
        "stands, so the run no longer follows its source and leaves it as it is (F2)"
    ),
    SOURCE_DELETED: (
        "the record this copy was built from was deleted, so nothing implies the copy any more; it is withdrawn "
        "with its attendance times (F4)"
    ),
    SOURCE_MOVED: (
        "the record this copy was built from now belongs to another student, day, school or kind of attendance, "
        "so it no longer implies this copy; the copy is withdrawn (F4)"
    ),
    DAY_NOT_IN_SESSION: (
        "the copy's day was taken out of session (a snow day, say) after the copy was built, and no attendance is "
        "kept on such a day; the copy is withdrawn (F4)"
    ),
    NOT_IN_BRIDGE_PERIOD: (
        "the Meeting record this Daily copy was built from is no longer in the day's bridge period, and only the "
        "bridge period sets the Daily code (M1); the copy is withdrawn (F4)"
    ),
    PERIOD_NOT_IN_SCHEDULE: (
        "the day's bell schedule no longer has this copy's period (D2), so nothing is copied into it; the copy is "
        "withdrawn (F4)"
    ),
    BRIDGE_PERIOD_CHANGED: (
        "the day's bridge period is now another period, and the run that built this copy copied into the bridge "
        "period only (D2); the copy is withdrawn (F4)"
    ),
    NO_LONGER_ABSENT: (
        "the Daily record this Meeting copy was built from is no longer an absence, and only an absence is copied "
        "beyond the bridge period (D2); the copy is withdrawn (F4)"
    ),
    NOT_SCHEDULED: (
        "the student's enrolment no longer places them in this period on this day (a schedule change or a drop, "
        "D3); the copy is withdrawn (F4)"
    ),
    PERIOD_TAKEN: (
        "the period's teacher took attendance that day after the copy was built, and the run that built it copied "
        "absences only into periods whose attendance was not taken (D7); the teacher's word wins and the copy is "
        "withdrawn (F4)"
    ),
    CODE_CHANGED: (
        "the teacher or the office changed the code of the record this copy was built from, so the copy now "
        "carries that code; its id and time stay (F3)"
    ),
}

# The staged judgement's columns the report lists, under the names its CSV gives them: the code of the copy
# before the run, and the run that built it (not to be taken for the run of the report).
_RENAMED = {
    "attendance_codeid": "old_attendance_codeid",
    "dag_id": "built_by_dag_id",
    "run_id": "built_by_run_id",
}
_LISTED = [
    "studentid", "att_date", "period", "att_mode_code", "old_attendance_codeid", "new_attendance_codeid", "verdict",
    "reason", "built_by_run_id", "attendance_id", "source_attendance_id", "ccid", "periodid", "built_by_dag_id",
]  # fmt: skip


def followed_table(followed: pd.DataFrame, periods: pd.DataFrame | None) -> pd.DataFrame:
    """The followed copies as the report lists them (``_LISTED``), by day, student and period.

    ``followed`` is the compute task's staged frame; ``periods`` the school's ``period`` table as the run read
    it (id, period_number, name), which names each copy's period ("" for a Daily record, which has none); without
    it the period is left out and only its id is listed.
    """
    table = followed.rename(columns=_RENAMED)
    listed = list(_LISTED)
    if periods is None:
        listed.remove("period")
    else:
        table = table.assign(period=_period_names(table["periodid"], periods))
    return (
        table.loc[:, listed].sort_values(["att_date", "studentid", "periodid", "attendance_id"]).reset_index(drop=True)
    )


def _period_names(period_ids: pd.Series, periods: pd.DataFrame) -> list[str]:
    """Each period id's name as the school gives it (its number where it has no name); "" for none."""
    names: dict[int, str] = {}
    for period_id, number, name in periods.loc[:, ["id", "period_number", "name"]].itertuples(index=False):
        text = "" if pd.isna(name) else str(name).strip()
        names[int(period_id)] = text or f"period {number}"
    return ["" if pd.isna(value) else names.get(int(value), "") for value in period_ids.astype(object)]


def followed_by_reason(followed: pd.DataFrame) -> list[dict[str, Any]]:
    """Per verdict and reason (in the order of ``REASONS``): how many copies, what happened, and what it means."""
    if followed.empty:
        return []
    counts = followed.groupby(["reason", "verdict"]).size()
    order = {reason: position for position, reason in enumerate(REASONS)}
    return [
        {
            "reason": reason,
            "verdict": verdict,
            "what_happened": VERDICT_WORDS.get(verdict, verdict),
            "copies": int(copies),
            "explanation": REASON_SENTENCES.get(reason, ""),
        }
        for (reason, verdict), copies in sorted(counts.items(), key=lambda item: (order.get(item[0][0], len(order)),))
    ]
