"""The engine on the demo district in a real PostgreSQL, checked by SQL against the database.

The demo district is generated once per module (tests/conftest.py), one school's tables are read back with
the extract queries, the engine runs both ways, and independent SQL (written here, from the
SPEC's sentences) checks every produced record against the tables it came from.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import psycopg
import pytest
from attendance_bridge.db.extract import read_school_frames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules import BridgeResult, bridge_records

pytestmark = pytest.mark.integration

YEAR_START, YEAR_END = date(2025, 8, 18), date(2026, 6, 5)

# Every Meeting record built must be scheduled (SPEC 5): active enrolment, section meeting on
# the day's letter in that period, the period in the day's bell schedule; and come from a
# Daily record of the same student, day and code.
UNSCHEDULED_MEETING_RECORDS = """
SELECT count(*) FROM candidates AS c
WHERE NOT EXISTS (
    SELECT 1
    FROM cc
    JOIN section_meeting AS sm ON sm.sectionid = cc.sectionid AND sm.schoolid = cc.schoolid
    JOIN calendar_day AS d ON d.id = c.calendar_dayid
    JOIN cycle_day AS cd ON cd.id = d.cycle_day_id
    JOIN period AS p ON p.id = c.periodid
    JOIN bell_schedule_items AS i ON i.bell_schedule_id = d.bell_schedule_id AND i.period_id = c.periodid
    WHERE cc.id = c.ccid AND cc.studentid = c.studentid AND cc.sectionid > 0
      AND cc.dateenrolled <= c.att_date AND c.att_date < cc.dateleft
      AND sm.cycle_day_letter = cd.letter AND sm.period_number = p.period_number AND sm.year_id = 35
      AND d.insession = 1 AND d.date_value = c.att_date AND d.schoolid = c.schoolid
) OR NOT EXISTS (
    SELECT 1 FROM attendance AS a
    WHERE a.id = c.parent_attendanceid AND a.att_mode_code = 'ATT_ModeDaily'
      AND a.studentid = c.studentid AND a.att_date = c.att_date
      AND a.attendance_codeid = c.attendance_codeid
) OR EXISTS (
    SELECT 1 FROM attendance AS a
    WHERE a.att_mode_code = 'ATT_ModeMeeting' AND a.studentid = c.studentid
      AND a.att_date = c.att_date AND a.ccid = c.ccid AND a.periodid = c.periodid
)
"""

# A Present code only ever reaches the bridge period of the day (D2).
PRESENT_OUTSIDE_BRIDGE = """
SELECT count(*) FROM candidates AS c
JOIN attendance_code AS k ON k.id = c.attendance_codeid
JOIN calendar_day AS d ON d.id = c.calendar_dayid
JOIN bell_schedule_items AS i ON i.bell_schedule_id = d.bell_schedule_id AND i.daily_attendance_code = 1
WHERE k.presence_status_cd = 'Present' AND i.period_id <> c.periodid
"""

# Every Daily record built comes from a bridge-period Meeting record of the same student, day
# and code, carries the bridge's default times, and no Daily record existed (M1-M3).
WRONG_DAILY_RECORDS = """
SELECT count(*) FROM candidates AS c
WHERE c.ccid <> 0 OR c.periodid <> 0 OR NOT EXISTS (
    SELECT 1
    FROM attendance AS a
    JOIN calendar_day AS d ON d.schoolid = a.schoolid AND d.date_value = a.att_date
    JOIN bell_schedule_items AS i ON i.bell_schedule_id = d.bell_schedule_id AND i.daily_attendance_code = 1
    WHERE a.id = c.parent_attendanceid AND a.att_mode_code = 'ATT_ModeMeeting'
      AND a.studentid = c.studentid AND a.att_date = c.att_date
      AND a.attendance_codeid = c.attendance_codeid AND a.periodid = i.period_id
      AND d.id = c.calendar_dayid AND d.insession = 1
      AND c.time_in = i.daily_time_in_default AND c.time_out = i.daily_time_out_default
) OR EXISTS (
    SELECT 1 FROM attendance AS a
    WHERE a.att_mode_code = 'ATT_ModeDaily' AND a.studentid = c.studentid AND a.att_date = c.att_date
)
"""

# Student-days with a bridge-period Meeting record and no Daily record: M1 must build one each.
STUDENT_DAYS_NEEDING_DAILY = """
SELECT count(DISTINCT (a.studentid, a.att_date))
FROM attendance AS a
JOIN calendar_day AS d ON d.schoolid = a.schoolid AND d.date_value = a.att_date AND d.insession = 1
JOIN bell_schedule_items AS i ON i.bell_schedule_id = d.bell_schedule_id AND i.daily_attendance_code = 1
WHERE a.schoolid = %(school)s AND a.att_mode_code = 'ATT_ModeMeeting' AND a.periodid = i.period_id
  AND NOT EXISTS (
      SELECT 1 FROM attendance AS x
      WHERE x.schoolid = a.schoolid AND x.att_mode_code = 'ATT_ModeDaily'
        AND x.studentid = a.studentid AND x.att_date = a.att_date
  )
"""

# D1-D4 counted in SQL: the distinct Meeting records the Daily records call for, split into
# those that are new (candidates) and those that exist already (skipped).
MEETING_RECORDS_CALLED_FOR = """
WITH days AS (
    SELECT d.date_value, d.bell_schedule_id, cd.letter, i.period_id AS bridge_period_id
    FROM calendar_day AS d
    JOIN cycle_day AS cd ON cd.id = d.cycle_day_id
    JOIN bell_schedule_items AS i ON i.bell_schedule_id = d.bell_schedule_id AND i.daily_attendance_code = 1
    WHERE d.schoolid = %(school)s AND d.insession = 1
), targets AS (
    SELECT a.studentid, a.att_date, days.letter, i.period_id
    FROM attendance AS a
    JOIN days ON days.date_value = a.att_date
    JOIN attendance_code AS k ON k.id = a.attendance_codeid
    JOIN bell_schedule_items AS i ON i.bell_schedule_id = days.bell_schedule_id
    WHERE a.schoolid = %(school)s AND a.att_mode_code = 'ATT_ModeDaily'
      AND (i.period_id = days.bridge_period_id OR (k.presence_status_cd = 'Absent' AND %(all_periods)s))
), called_for AS (
    SELECT DISTINCT t.studentid, t.att_date, cc.id AS ccid, t.period_id
    FROM targets AS t
    JOIN period AS p ON p.id = t.period_id
    JOIN cc ON cc.studentid = t.studentid AND cc.schoolid = %(school)s AND cc.sectionid > 0
           AND cc.dateenrolled <= t.att_date AND t.att_date < cc.dateleft
    JOIN section_meeting AS sm ON sm.sectionid = cc.sectionid AND sm.schoolid = %(school)s
           AND sm.cycle_day_letter = t.letter AND sm.period_number = p.period_number AND sm.year_id = 35
), marked AS (
    SELECT EXISTS (
        SELECT 1 FROM attendance AS a
        WHERE a.schoolid = %(school)s AND a.att_mode_code = 'ATT_ModeMeeting' AND a.studentid = c.studentid
          AND a.att_date = c.att_date AND a.ccid = c.ccid AND a.periodid = c.period_id
    ) AS exists_already
    FROM called_for AS c
)
SELECT count(*) FILTER (WHERE NOT exists_already), count(*) FILTER (WHERE exists_already) FROM marked
"""


def run(
    district: tuple[psycopg.Connection, str], school: int, direction: str, absent_periods: str = "all_periods"
) -> BridgeResult:
    """Read the school's tables back and run the engine over the whole year."""
    conn, schema = district
    request = BridgeRequest(school, 35, direction, absent_periods, YEAR_START, YEAR_END)
    return bridge_records(read_school_frames(conn, schema, request), request)


def count_violations(conn: psycopg.Connection, records: pd.DataFrame, query: str) -> int:
    """Load the candidates into a temporary table and count the rows ``query`` flags."""
    conn.execute(
        "CREATE TEMPORARY TABLE candidates (studentid bigint, schoolid bigint, att_date date,"
        " calendar_dayid bigint, attendance_codeid bigint, ccid bigint, periodid bigint,"
        " parent_attendanceid bigint, time_in integer, time_out integer)"
    )
    try:
        columns = [
            "studentid",
            "schoolid",
            "att_date",
            "calendar_dayid",
            "attendance_codeid",
            "ccid",
            "periodid",
            "parent_attendanceid",
            "time_in",
            "time_out",
        ]
        rows = records.loc[:, columns].astype(object).where(records.loc[:, columns].notna(), None)
        rows = rows.assign(att_date=records["att_date"].dt.date)
        with conn.cursor() as cursor, cursor.copy(f"COPY candidates ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows.itertuples(index=False):
                copy.write_row(row)
        return conn.execute(query).fetchone()[0]
    finally:
        conn.execute("DROP TABLE candidates")


@pytest.mark.parametrize("school", [100, 200])
@pytest.mark.parametrize("absent_periods", ["all_periods", "bridge_period_only"])
def test_every_meeting_record_built_is_scheduled_and_new(district, school: int, absent_periods: str) -> None:
    result = run(district, school, "daily_to_meeting", absent_periods)
    conn, _ = district
    assert len(result.records) > 100
    assert count_violations(conn, result.records, UNSCHEDULED_MEETING_RECORDS) == 0
    flagged = count_violations(conn, result.records, PRESENT_OUTSIDE_BRIDGE)
    assert flagged == 0
    # The demo district holds duplicates, existing copies and students without homeroom.
    assert result.counts["skipped_existing"] > 0
    assert result.counts["conflicts"] > 0
    assert result.counts["unscheduled"] > 0


@pytest.mark.parametrize("school", [100, 200])
@pytest.mark.parametrize("absent_periods", ["all_periods", "bridge_period_only"])
def test_meeting_record_counts_agree_with_sql(district, school: int, absent_periods: str) -> None:
    result = run(district, school, "daily_to_meeting", absent_periods)
    conn, _ = district
    parameters = {"school": school, "all_periods": absent_periods == "all_periods"}
    new, existing = conn.execute(MEETING_RECORDS_CALLED_FOR, parameters).fetchone()
    assert (result.counts["candidates"], result.counts["skipped_existing"]) == (new, existing)


def test_bridge_period_only_builds_fewer_records_than_all_periods(district) -> None:
    every = run(district, 100, "daily_to_meeting", "all_periods")
    bridge_only = run(district, 100, "daily_to_meeting", "bridge_period_only")
    assert 0 < len(bridge_only.records) < len(every.records)
    assert bridge_only.records["parent_attendanceid"].isin(every.records["parent_attendanceid"]).all()


@pytest.mark.parametrize("school", [100, 200])
def test_every_daily_record_built_comes_from_a_bridge_period_meeting_record(district, school: int) -> None:
    result = run(district, school, "meeting_to_daily")
    conn, _ = district
    assert len(result.records) > 50
    assert count_violations(conn, result.records, WRONG_DAILY_RECORDS) == 0
    needed = conn.execute(STUDENT_DAYS_NEEDING_DAILY, {"school": school}).fetchone()[0]
    assert len(result.records) == needed
    assert result.counts["conflicts"] > 0
    assert result.counts["skipped_existing"] > 0


def test_the_two_schools_do_not_see_each_other(district) -> None:
    hundred = run(district, 100, "daily_to_meeting")
    two_hundred = run(district, 200, "daily_to_meeting")
    assert set(hundred.records["schoolid"]) == {100}
    assert set(two_hundred.records["schoolid"]) == {200}
    assert not set(hundred.records["parent_attendanceid"]) & set(two_hundred.records["parent_attendanceid"])
