"""How the run page shows a detail table: the columns an auditor reads first come first, under headings in words.

Only the page changes: each CSV keeps every column under its own name (``kept_attendance_codeid``) for
whoever filters it in a spreadsheet. On the page:

- the student, the date and the codes in words come first, then the rule and the reason, then the
  counts and the record ids (which an auditor needs only to look a record up in the SIS);
- a code id is left out where the code in words stands beside it (a code the SIS does not describe
  reads "code id 14" there, see ``pages.code_label``);
- students are shown by their student number where it could be read (the CSV has both);
- every heading is in words, a record's kind reads Daily or Meeting, and a flag reads yes or no.

A column not listed in ``HEADINGS`` comes after the listed ones, in the CSV's order, headed by its
name in words: a new column of a detail table shows without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from attendance_bridge.config import MODE_DAILY, MODE_MEETING
from attendance_bridge.reporting.followed_copies import VERDICT_WORDS
from attendance_bridge.reporting.run_report import STUDENT_ID

# The school's own student number, shown beside (CSV) or in place of (page) the SIS's id.
STUDENT_NUMBER = "student_number"

# The columns of the detail tables, in the order the page shows them, with their headings.
HEADINGS: dict[str, str] = {
    STUDENT_NUMBER: "Student number",
    STUDENT_ID: "Student id",
    "att_date": "Date",
    "period": "Period",
    "att_mode_code": "Kind",
    "kept_attendance_code": "Kept code",
    "other_attendance_code": "Other code",
    "daily_attendance_code": "Daily code",
    "meeting_attendance_code": "Meeting code (bridge period)",
    "attendance_code": "Code",
    "existing_attendance_code": "Code of the existing record",
    "old_attendance_code": "Old code",
    "new_attendance_code": "New code",
    "verdict": "What happened",
    "problem": "What happened to it",
    "now_attendance_code": "Code now",
    "rule": "Rule",
    "reason": "Why",
    "built_by_run_id": "Built by run",
    "bridge_periodid": "Bridge period (id)",
    "ccid": "Enrolment (cc id)",
    "periodid": "Period (id)",
    "daily_records": "Daily records that day",
    "meeting_records": "Bridge-period records that day",
    "records_left_out": "Records left out",
    "kept_attendance_id": "Kept record (id)",
    "other_attendance_id": "Other record (id)",
    "daily_attendance_id": "Daily record (id)",
    "meeting_attendance_id": "Meeting record (id)",
    "source_attendance_id": "Source record (id)",
    "existing_attendance_id": "Existing record (id)",
    "attendance_id": "Record (id)",
    "now_studentid": "Student id now",
    "now_att_date": "Date now",
    "now_att_mode_code": "Kind now",
    "built_by_dag_id": "Built by DAG",
}
# Values the page says in words, by column.
_KINDS = {MODE_DAILY: "Daily", MODE_MEETING: "Meeting"}
VALUE_WORDS: dict[str, dict[str, str]] = {
    "att_mode_code": _KINDS,
    "now_att_mode_code": _KINDS,
    "problem": {
        "deleted": "deleted", "changed": "changed", "id_reused": "its id now names more than one record",
        "changed_since_recoded": "recoded by this run, changed since",
        "withdrawn_id_taken": "withdrawn by this run, its id taken since",
    },  # fmt: skip
    "verdict": VERDICT_WORDS,
}
# A flag as the CSV writes it, and as the page says it.
YES_NO = {"True": "yes", "False": "no"}
# Columns of words, which may wrap on the page (numbers, ids and dates stay on one line).
_TEXT_SUFFIXES = ("attendance_code", "problem", "reason", "verdict")


@dataclass(frozen=True)
class PageTable:
    """A detail table as the page shows it: headings, a CSS class per column ("text": may wrap), rows."""

    headings: list[str]
    classes: list[str]
    rows: list[list[str]]
    by_student_number: bool


def page_table(frame: pd.DataFrame) -> PageTable:
    """A detail table read back from its CSV (every value text) as the page shows it (see the module docstring)."""
    by_number = STUDENT_NUMBER in frame.columns and STUDENT_ID in frame.columns
    shown = frame
    if by_number:
        # In place of the internal id; a student whose number was not found is shown by id.
        numbers = frame[STUDENT_NUMBER].where(frame[STUDENT_NUMBER] != "", "id " + frame[STUDENT_ID])
        shown = frame.drop(columns=[STUDENT_NUMBER]).rename(columns={STUDENT_ID: STUDENT_NUMBER})
        shown = shown.assign(**{STUDENT_NUMBER: numbers})
    columns = page_columns(list(shown.columns))
    return PageTable(
        headings=[heading(column) for column in columns],
        classes=["text" if column.endswith(_TEXT_SUFFIXES) else "" for column in columns],
        rows=shown.loc[:, columns].apply(_in_words).to_numpy().tolist() if len(shown) else [],
        by_student_number=by_number,
    )


def page_columns(columns: list[str]) -> list[str]:
    """The columns the page shows, in its order: the listed ones first, a code id only without its code."""
    kept = [column for column in columns if not _described_elsewhere(column, columns)]
    order = {name: position for position, name in enumerate(HEADINGS)}
    return sorted(kept, key=lambda column: (order.get(column, len(order)), columns.index(column)))


def _described_elsewhere(column: str, columns: list[str]) -> bool:
    """A code id whose code in words is a column too."""
    return column.endswith("codeid") and column.removesuffix("id") in columns


def heading(column: str) -> str:
    """A column's heading in words: its own, else its name with spaces ("late_minutes" -> "Late minutes")."""
    if column in HEADINGS:
        return HEADINGS[column]
    words = column.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def _in_words(values: pd.Series) -> pd.Series:
    """A column's values as the page says them: kinds and problems in words, a flag as yes or no."""
    if values.name in VALUE_WORDS:
        return values.map(lambda value: VALUE_WORDS[str(values.name)].get(value, value))
    present = set(values.unique()) - {""}
    if present and present <= set(YES_NO):
        return values.map(lambda value: YES_NO.get(value, value))
    return values
