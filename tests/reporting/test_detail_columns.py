"""The detail tables as the run page shows them (issue 20, point 5): the student, the date and the codes in words
first, headings in words, flags as yes or no; the CSV keeps every column under its machine name."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.detail_columns import heading, page_columns, page_table

from tests.reporting.test_pages import CODES, sync_report, write_run

# A conflict (M2) and a disagreement as the compute task stages them.
CONFLICTS = pd.DataFrame(
    {
        "studentid": [1000110],
        "att_date": pd.to_datetime(["2026-01-26"]).astype("datetime64[ms]"),
        "kept_attendance_id": [10013298],
        "kept_attendance_codeid": [12],
        "other_attendance_id": [10013299],
        "other_attendance_codeid": [99],
        "rule": ["M2"],
    }
)
DISAGREEMENTS = pd.DataFrame(
    {
        "studentid": [1000281],
        "att_date": pd.to_datetime(["2025-08-18"]).astype("datetime64[ms]"),
        "daily_attendance_id": [10000030],
        "daily_attendance_codeid": [11],
        "daily_records": [1],
        "bridge_periodid": [101],
        "meeting_attendance_id": [10024495],
        "meeting_attendance_codeid": [12],
        "meeting_records": [1],
    }
)


def shown_table(html: str, name: str) -> tuple[list[str], list[str]]:
    """A detail table of a page: its headings and its first row's cells."""
    table = html[html.index(f'id="{name}"') :].split("</table>")[0]
    headings = re.findall(r"<th>([^<]*)</th>", table)
    first_row = re.findall(r"<td[^>]*>([^<]*)</td>", table.split("</thead>")[1])[: len(headings)]
    return headings, first_row


def test_the_conflicts_show_student_date_and_codes_first_in_words_and_the_csv_keeps_its_names(tmp_path) -> None:
    folder = write_run(tmp_path, sync_report(), {"conflicts": CONFLICTS, "disagreements": DISAGREEMENTS})
    publish.write_detail_csvs(folder, {"conflicts": CONFLICTS}, CODES, {1000110: 20240110})
    html = Path(publish.render_run_page(folder).path).read_text()

    headings, row = shown_table(html, "conflicts")
    assert headings == [
        "Student number", "Date", "Kept code", "Other code", "Rule", "Kept record (id)", "Other record (id)",
    ]  # fmt: skip
    # M2's codes in words (an id the SIS does not describe says so), the code ids only in the CSV.
    assert row == ["20240110", "2026-01-26", "T (Tardy)", "code id 99", "M2", "10013298", "10013299"]
    assert not [name for name in headings if "_" in name]
    csv_header = Path((folder / "conflicts.csv").path).read_text().splitlines()[0]
    assert csv_header == (
        "studentid,student_number,att_date,kept_attendance_id,kept_attendance_codeid,kept_attendance_code,"
        "other_attendance_id,other_attendance_codeid,other_attendance_code,rule"
    )


def test_the_disagreements_put_both_codes_before_the_bridge_period_counts_and_ids(tmp_path) -> None:
    folder = write_run(tmp_path, sync_report(), {"disagreements": DISAGREEMENTS})
    html = Path(publish.render_run_page(folder).path).read_text()

    headings, row = shown_table(html, "disagreements")
    assert headings[:4] == ["Student id", "Date", "Daily code", "Meeting code (bridge period)"]
    assert "Bridge period (id)" in headings and "bridge_periodid" not in html.split('id="disagreements"')[1]
    assert headings[-2:] == ["Daily record (id)", "Meeting record (id)"]
    assert row[:4] == ["1000281", "2025-08-18", "Present (no code)", "T (Tardy)"]
    # Words may wrap; numbers, dates and ids stay on one line.
    cells = re.findall(r"<td( class=\"text\")?>", html.split('id="disagreements"')[1].split("</tr>")[1])
    assert [bool(found) for found in cells[:4]] == [False, False, True, True]


def test_a_flag_reads_yes_or_no_and_a_kind_daily_or_meeting() -> None:
    frame = pd.DataFrame(
        {
            "att_mode_code": ["ATT_ModeDaily", "ATT_ModeMeeting"],
            "late_minutes": ["5", "10"],
            "excused": ["True", "False"],
            "problem": ["id_reused", "deleted"],
        }
    )
    shown = page_table(frame)
    assert shown.headings == ["Kind", "What happened to it", "Late minutes", "Excused"]
    assert shown.rows == [
        ["Daily", "its id now names more than one record", "5", "yes"],
        ["Meeting", "deleted", "10", "no"],
    ]
    assert shown.classes == ["", "text", "", ""]


def test_a_code_id_is_left_out_only_where_its_code_in_words_stands_beside_it() -> None:
    assert page_columns(["attendance_codeid", "attendance_code", "existing_attendance_codeid"]) == [
        "attendance_code", "existing_attendance_codeid",
    ]  # fmt: skip
    assert heading("existing_attendance_codeid") == "Existing attendance codeid"  # unlisted: its name, spaced


def test_an_empty_table_keeps_its_headings() -> None:
    shown = page_table(pd.DataFrame({"studentid": pd.Series(dtype=str), "student_number": pd.Series(dtype=str)}))
    assert (shown.headings, shown.rows, shown.by_student_number) == (["Student number"], [], True)
