"""A hand-written school small enough to reason about row by row.

School 100, year 35 (2025-2026). Periods HR (0), P1 (1), P2 (2). Two bell schedules:
Regular (HR, P1, P2; bridge HR, 08:00-15:00) and Early Release (P1, P2; bridge P2,
08:00-12:00). The calendar:

| day id | date       | in session | bell schedule | letter |
|--------|------------|------------|---------------|--------|
| 501    | 2025-09-01 | yes        | Regular       | A      |
| 502    | 2025-09-02 | yes        | Early Release | B      |
| 503    | 2025-09-03 | no         | -             | -      |
| 504    | 2025-09-04 | yes        | Regular       | B      |

Sections: 1000 homeroom (HR on A and B), 1001 (P1 on A), 1002 (P2 on A and B),
1003 double block (P1 and P2 on B). Student 1 is in 1000, 1001, 1002; student 2 in 1000
and 1003 and was dropped from 1002 (cc 9006, negative sectionid). Student 3 is enrolled in
1001 only. Codes: 1 blank (Present), 2 T (Present), 3 E (Absent), 4 U (Absent).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from attendance_bridge.config import MODE_DAILY, MODE_MEETING
from attendance_bridge.domain.frames import RECORD_DTYPES, SchoolFrames
from attendance_bridge.domain.request import BridgeRequest

SCHOOL = 100
YEAR = 35
HR, P1, P2 = 10, 11, 12  # period ids
REGULAR, EARLY = 1, 2  # bell schedule ids
MON, TUE, WED_HOLIDAY, THU = (date(2025, 9, d) for d in (1, 2, 3, 4))
DAY_ID = {MON: 501, TUE: 502, WED_HOLIDAY: 503, THU: 504}
PRESENT_BLANK, TARDY, EXCUSED, UNEXCUSED = 1, 2, 3, 4
EIGHT, NOON, THREE = 8 * 3600, 12 * 3600, 15 * 3600


def frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    """A frame from a space-separated header and row tuples."""
    return pd.DataFrame(rows, columns=columns.split())


def tables(attendance: pd.DataFrame | None = None) -> dict[str, pd.DataFrame]:
    """The raw tables of the tiny school (before normalisation), with ``attendance``."""
    return {
        "calendar_day": frame(
            "id schoolid date_value insession bell_schedule_id cycle_day_id",
            [
                (501, SCHOOL, MON, 1, REGULAR, 1),
                (502, SCHOOL, TUE, 1, EARLY, 2),
                (503, SCHOOL, WED_HOLIDAY, 0, None, None),
                (504, SCHOOL, THU, 1, REGULAR, 2),
            ],
        ),
        "cycle_day": frame("id letter", [(1, "A"), (2, "B")]),
        "bell_schedule": frame("id name", [(REGULAR, "Regular"), (EARLY, "Early Release")]),
        "bell_schedule_items": frame(
            "id bell_schedule_id period_id daily_attendance_code daily_time_in_default daily_time_out_default",
            [
                (1, REGULAR, HR, 1, EIGHT, THREE),
                (2, REGULAR, P1, 0, None, None),
                (3, REGULAR, P2, 0, None, None),
                (4, EARLY, P1, 0, None, None),
                (5, EARLY, P2, 1, EIGHT, NOON),
            ],
        ),
        "period": frame("id period_number name", [(HR, 0, "HR"), (P1, 1, "P1"), (P2, 2, "P2")]),
        "section_meeting": frame(
            "sectionid schoolid year_id period_number cycle_day_letter",
            [
                (1000, SCHOOL, YEAR, 0, "A"),
                (1000, SCHOOL, YEAR, 0, "B"),
                (1001, SCHOOL, YEAR, 1, "A"),
                (1002, SCHOOL, YEAR, 2, "A"),
                (1002, SCHOOL, YEAR, 2, "B"),
                (1003, SCHOOL, YEAR, 1, "B"),
                (1003, SCHOOL, YEAR, 2, "B"),
            ],
        ),
        "cc": frame(
            "id studentid sectionid schoolid dateenrolled dateleft",
            [
                (9001, 1, 1000, SCHOOL, date(2025, 8, 18), date(2026, 6, 6)),
                (9002, 1, 1001, SCHOOL, date(2025, 8, 18), date(2026, 6, 6)),
                (9003, 1, 1002, SCHOOL, date(2025, 8, 18), date(2026, 6, 6)),
                (9004, 2, 1000, SCHOOL, date(2025, 8, 18), date(2026, 6, 6)),
                (9005, 2, 1003, SCHOOL, date(2025, 8, 18), date(2026, 6, 6)),
                (9006, 2, -1002, SCHOOL, date(2025, 8, 18), date(2025, 8, 18)),
                (9007, 3, 1001, SCHOOL, date(2025, 8, 18), date(2026, 6, 6)),
            ],
        ),
        "attendance": attendance if attendance is not None else attendance_rows([]),
        "attendance_code": frame(
            "id att_code presence_status_cd",
            [
                (PRESENT_BLANK, None, "Present"),
                (TARDY, "T", "Present"),
                (EXCUSED, "E", "Absent"),
                (UNEXCUSED, "U", "Absent"),
            ],
        ),
    }


def attendance_rows(rows: list[tuple]) -> pd.DataFrame:
    """Attendance rows given as (id, studentid, date, codeid, mode, ccid, periodid)."""
    return frame(
        "id studentid schoolid att_date attendance_codeid att_mode_code ccid periodid",
        [(i, s, SCHOOL, d, code, mode, cc, p) for i, s, d, code, mode, cc, p in rows],
    )


def daily(record_id: int, student: int, day: date, code: int) -> tuple:
    """A Daily attendance row."""
    return (record_id, student, day, code, MODE_DAILY, 0, 0)


def meeting(record_id: int, student: int, day: date, code: int, ccid: int, period: int) -> tuple:
    """A Meeting attendance row."""
    return (record_id, student, day, code, MODE_MEETING, ccid, period)


def school(*rows: tuple, **replaced: pd.DataFrame) -> SchoolFrames:
    """The tiny school holding these attendance rows (and any table replaced)."""
    return SchoolFrames.from_tables(**{**tables(attendance_rows(list(rows))), **replaced})


def request(direction: str, absent_periods: str = "all_periods", start=MON, end=THU) -> BridgeRequest:
    """A run over the tiny school's first week."""
    return BridgeRequest(SCHOOL, YEAR, direction, absent_periods, start, end)


def expected_daily(rows: list[tuple]) -> pd.DataFrame:
    """New Daily records as (studentid, date, codeid, parent id, time in, time out)."""
    return _records(
        [
            (s, SCHOOL, YEAR, d, DAY_ID[d], code, MODE_DAILY, 0, 0, parent, tin, tout, (tout - tin) // 60)
            for s, d, code, parent, tin, tout in rows
        ]
    )


def expected_meeting(rows: list[tuple]) -> pd.DataFrame:
    """New Meeting records as (studentid, date, codeid, ccid, periodid, parent id)."""
    return _records(
        [
            (s, SCHOOL, YEAR, d, DAY_ID[d], code, MODE_MEETING, cc, p, parent, None, None, None)
            for s, d, code, cc, p, parent in rows
        ]
    )


def _records(rows: list[tuple]) -> pd.DataFrame:
    """Rows in the engine's record layout, sorted as the engine sorts them."""
    records = pd.DataFrame(rows, columns=list(RECORD_DTYPES))
    records["att_date"] = pd.to_datetime(records["att_date"])
    return (
        records.astype(RECORD_DTYPES).sort_values(["att_date", "studentid", "periodid", "ccid"]).reset_index(drop=True)
    )
