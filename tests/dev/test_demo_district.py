"""The demo district in a real PostgreSQL: its schema, its determinism, and every SPEC case.

One district of 60 students per school is built once for the module, in a schema of its
own; the tests read it with SQL, the way the pipeline will.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from itertools import pairwise

import psycopg
import pytest
from attendance_bridge.config import SIS_CONN_ENV, SQL_DIR
from attendance_bridge.dev.demo_district import (
    SCHEMA_STATEMENTS,
    SIS_TABLES,
    DemoDistrict,
    create_sis_schema,
    demo_district_tables,
    existing_sis_tables,
    generate_demo_district,
)
from attendance_bridge.dev.demo_district.__main__ import main
from attendance_bridge.dev.embedded_postgres import SisConnection
from psycopg import sql

pytestmark = pytest.mark.integration

STUDENTS = 60
SEED = 7
SWITCH = date(2026, 1, 20)  # first day of the spring semester of 2025-2026
YEAR_FIRST_DAY, YEAR_AFTER_LAST_DAY = date(2025, 8, 18), date(2026, 6, 6)

District = tuple[psycopg.Connection, DemoDistrict]

# The bridge period of every in-session day: (schoolid, date_value, period_id, period_number).
BRIDGE = """
    SELECT d.schoolid, d.date_value, i.period_id, p.period_number
    FROM calendar_day d
    JOIN bell_schedule_items i ON i.bell_schedule_id = d.bell_schedule_id
                              AND i.daily_attendance_code = 1
    JOIN period p ON p.id = i.period_id
    WHERE d.insession = 1
"""


@pytest.fixture(scope="module")
def district(sis_server: SisConnection) -> Iterator[District]:
    """The module's district, and a connection whose search_path is its schema."""
    schema = f"test_demo_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            built = generate_demo_district(conn, schema, students_per_school=STUDENTS, seed=SEED)
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            yield conn, built
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


def scalar(conn: psycopg.Connection, query: str, params: dict[str, object] | None = None) -> object:
    """The single value a query returns."""
    row = conn.execute(query, params).fetchone()
    assert row is not None
    return row[0]


def table_dump(conn: psycopg.Connection, schema: str, table: str) -> list[str]:
    """Every row of a table as text, sorted: two equal dumps mean equal contents."""
    query = sql.SQL("SELECT t::text FROM {} AS t ORDER BY 1").format(sql.Identifier(schema, table))
    return [row[0] for row in conn.execute(query).fetchall()]


# --- schema -------------------------------------------------------------------------------


def test_create_sis_schema_creates_every_table_from_every_ddl_file(
    sis_conn: psycopg.Connection, sis_schema: str
) -> None:
    assert existing_sis_tables(sis_conn, sis_schema) == []
    create_sis_schema(sis_conn, sis_schema)
    assert existing_sis_tables(sis_conn, sis_schema) == sorted(SIS_TABLES)
    ddl_files = {f"dev/sis/{path.stem}" for path in (SQL_DIR / "dev" / "sis").glob("*.sql")}
    assert ddl_files == set(SCHEMA_STATEMENTS)


def test_attendance_tables_have_no_key_or_unique_constraint(district: District) -> None:
    conn, _ = district
    unique_indexes = """
        SELECT c.relname, count(*) FILTER (WHERE i.indisunique)
        FROM pg_class c
        LEFT JOIN pg_index i ON i.indrelid = c.oid
        WHERE c.relnamespace = current_schema()::regnamespace
          AND c.relname IN ('attendance', 'attendance_time', 'schools')
        GROUP BY c.relname
    """
    counts = dict(conn.execute(unique_indexes).fetchall())
    assert counts == {"attendance": 0, "attendance_time": 0, "schools": 2}  # schools: id, number


def test_id_defaults_continue_after_the_demo_rows_and_allow_duplicates(district: District) -> None:
    conn, built = district
    last_id = scalar(conn, "SELECT max(id) FROM attendance")
    with conn.transaction(force_rollback=True):
        copy_twice = """
            INSERT INTO attendance (studentid, schoolid, yearid, att_date, calendar_dayid,
                                    attendance_codeid, att_mode_code, ccid, periodid)
            SELECT studentid, schoolid, yearid, att_date, calendar_dayid, attendance_codeid,
                   att_mode_code, ccid, periodid
            FROM attendance WHERE id = %(id)s
            RETURNING dcid, id, ip_address, whomodifiedid
        """
        first = conn.execute(copy_twice, {"id": last_id}).fetchone()
        second = conn.execute(copy_twice, {"id": last_id}).fetchone()
        assert first is not None and second is not None
        assert first[1] == last_id + 1 and second[1] == last_id + 2
        assert first[0] == built.row_counts["attendance"] + 1
        assert first[2:] == ("", 0)  # the unknown columns took their defaults
        time_id = scalar(
            conn,
            "INSERT INTO attendance_time (attendanceid) VALUES (%(id)s) RETURNING id",
            {"id": first[1]},
        )
        assert time_id == built.row_counts["attendance_time"] + 1


# --- determinism and size -----------------------------------------------------------------


def test_same_seed_gives_identical_tables(district: District, sis_conn: psycopg.Connection, sis_schema: str) -> None:
    conn, built = district
    create_sis_schema(sis_conn, sis_schema)
    again = generate_demo_district(sis_conn, sis_schema, students_per_school=STUDENTS, seed=SEED)
    assert again.row_counts == built.row_counts
    for table in SIS_TABLES:
        dump = table_dump(sis_conn, sis_schema, table)
        assert dump, table
        assert dump == table_dump(conn, built.schema, table), table


def test_another_seed_gives_another_district() -> None:
    first = demo_district_tables(20, seed=SEED)["attendance"]
    other = demo_district_tables(20, seed=SEED + 1)["attendance"]
    columns = ["studentid", "att_date", "attendance_codeid", "periodid"]
    assert not first[columns].equals(other[columns])


def test_row_counts_match_the_database(district: District) -> None:
    conn, built = district
    for table in SIS_TABLES:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
        assert scalar(conn, query) == built.row_counts[table] > 0, table
    assert built.school_numbers == (100, 200)
    assert (built.yearid, built.switch_date) == (35, SWITCH)


def test_size_follows_students_per_school() -> None:
    small = {name: len(frame) for name, frame in demo_district_tables(30, seed=SEED).items()}
    large = {name: len(frame) for name, frame in demo_district_tables(90, seed=SEED).items()}
    assert (small["students"], large["students"]) == (60, 180)
    for table in ("cc", "attendance", "attendance_time"):
        assert 2.4 < large[table] / small[table] < 3.6, table
    for table in ("calendar_day", "period", "bell_schedule_items", "attendance_code", "prefs"):
        assert large[table] == small[table], table


def test_a_larger_district_repeats_the_two_schools_under_new_numbers_with_ranges_that_never_meet() -> None:
    # The district benchmark's shape (bench/district.py), small: the two plans in turn, numbered n * 100.
    tables = demo_district_tables(8, seed=SEED, schools=5)
    schools = tables["schools"]
    assert schools["school_number"].tolist() == [100, 200, 300, 400, 500]
    assert schools["name"].tolist()[2:] == ["Lincoln High 2", "Roosevelt Middle 2", "Lincoln High 3"]
    assert schools["abbreviation"].is_unique
    # Every school's year ends the same day: one end-of-term run reconciles them all.
    year_terms = tables["terms"].loc[tables["terms"]["isyearrec"] == 1]
    assert len(year_terms) == 5 and year_terms["lastday"].nunique() == 1
    now = tables["prefs"].loc[(tables["prefs"]["yearid"] == 35) & (tables["prefs"]["schoolid"] > 0)]
    assert sorted(now["schoolid"].unique()) == [100, 200, 300, 400, 500]
    assert set(tables["attendance"]["schoolid"]) == {100, 200, 300, 400, 500}
    # Each table's ids are unique and in a range of its own, as in the two-school district.
    # (terms repeat their ids in every school; attendance_time's come from the database)
    numbered = {name: frame["id"] for name, frame in tables.items() if name not in ("terms", "attendance_time")}
    assert all(ids.is_unique for ids in numbered.values())
    spans = sorted((ids.min(), ids.max(), name) for name, ids in numbered.items())
    assert all(high < next_low for (_, high, _), (next_low, _, _) in pairwise(spans))


def test_year_follows_yearid() -> None:
    terms = demo_district_tables(10, yearid=36)["terms"]
    year_term = terms.loc[terms["isyearrec"] == 1].iloc[0]
    assert year_term["id"] == 3600
    assert year_term["firstday"].date() == date(2026, 8, 17)  # Monday after August 15
    assert year_term["lastday"].date() == date(2027, 6, 4)  # first Friday of June


# --- setup tables -------------------------------------------------------------------------


def test_prefs_describe_the_switch_and_the_district_office(district: District) -> None:
    conn, _ = district
    rows = conn.execute("SELECT schoolid, name, value FROM prefs WHERE yearid = 35 ORDER BY schoolid, name").fetchall()
    assert rows == [
        (0, "ATT_MeetingDailyBridge", "0"),
        (0, "ATT_RecordModeDaily", "0"),
        (0, "ATT_RecordModeMeeting", "0"),
        (100, "ATT_MeetingDailyBridge", "2"),
        (100, "ATT_RecordModeDaily", "0"),
        (100, "ATT_RecordModeMeeting", "1"),
        (200, "ATT_MeetingDailyBridge", "1"),
        (200, "ATT_RecordModeDaily", "1"),
        (200, "ATT_RecordModeMeeting", "0"),
    ]


def test_terms_are_the_year_and_two_semesters(district: District) -> None:
    conn, _ = district
    rows = conn.execute(
        "SELECT id, firstday, lastday, isyearrec FROM terms WHERE schoolid = 100 ORDER BY id"
    ).fetchall()
    assert rows == [
        (3500, YEAR_FIRST_DAY, date(2026, 6, 5), 1),
        (3501, YEAR_FIRST_DAY, date(2026, 1, 16), 0),
        (3502, SWITCH, date(2026, 6, 5), 0),
    ]


@pytest.mark.parametrize(
    "day",
    [date(2025, 9, 1), date(2025, 11, 27), date(2025, 12, 24), date(2026, 1, 19), date(2026, 3, 25)],
    ids=["labor-day", "thanksgiving", "winter-break", "mlk-day", "spring-break"],
)
def test_holidays_are_weekdays_off(district: District, day: date) -> None:
    conn, _ = district
    query = "SELECT insession, note FROM calendar_day WHERE date_value = %(day)s ORDER BY schoolid"
    rows = conn.execute(query, {"day": day}).fetchall()
    assert len(rows) == 2 and all(insession == 0 and note for insession, note in rows)


def test_every_date_of_the_year_term_has_a_calendar_day(district: District) -> None:
    conn, _ = district
    query = """
        SELECT schoolid, count(*), min(date_value), max(date_value),
               count(*) FILTER (WHERE insession = 1 AND extract(isodow FROM date_value) > 5)
        FROM calendar_day GROUP BY schoolid ORDER BY schoolid
    """
    days = (YEAR_AFTER_LAST_DAY - YEAR_FIRST_DAY).days
    assert conn.execute(query).fetchall() == [
        (100, days, YEAR_FIRST_DAY, date(2026, 6, 5), 0),
        (200, days, YEAR_FIRST_DAY, date(2026, 6, 5), 0),
    ]


def test_school_days_alternate_a_and_b(district: District) -> None:
    conn, _ = district
    query = """
        SELECT count(*) AS days,
               count(*) FILTER (WHERE letter = previous_letter) AS repeats,
               count(DISTINCT letter) AS letters
        FROM (
            SELECT c.letter, lag(c.letter) OVER (PARTITION BY d.schoolid ORDER BY d.date_value)
                   AS previous_letter
            FROM calendar_day d JOIN cycle_day c ON c.id = d.cycle_day_id
            WHERE d.insession = 1
        ) AS ordered
    """
    days, repeats, letters = conn.execute(query).fetchone()
    assert days > 300 and repeats == 0 and letters == 2


@pytest.mark.parametrize("school", [100, 200])
def test_two_schedules_in_use_with_different_bridge_periods(district: District, school: int) -> None:
    conn, _ = district
    query = f"""
        SELECT b.name, bridge.period_number, count(*)
        FROM ({BRIDGE}) AS bridge
        JOIN calendar_day d ON d.schoolid = bridge.schoolid AND d.date_value = bridge.date_value
        JOIN bell_schedule b ON b.id = d.bell_schedule_id
        WHERE bridge.schoolid = %(school)s
        GROUP BY b.name, bridge.period_number ORDER BY b.name
    """
    (early, early_bridge, early_days), (regular, regular_bridge, regular_days) = conn.execute(
        query, {"school": school}
    ).fetchall()
    assert (early, early_bridge, regular, regular_bridge) == ("Early Release", 2, "Regular", 0)
    assert 5 <= early_days <= 12 < regular_days  # about one Wednesday a month


def test_an_unused_schedule_has_no_bridge_item(district: District) -> None:
    conn, _ = district
    query = """
        SELECT b.schoolid, b.name, count(i.id),
               count(i.id) FILTER (WHERE i.daily_attendance_code = 1)
        FROM bell_schedule b JOIN bell_schedule_items i ON i.bell_schedule_id = b.id
        WHERE NOT EXISTS (SELECT 1 FROM calendar_day d WHERE d.bell_schedule_id = b.id)
        GROUP BY b.schoolid, b.name ORDER BY b.schoolid
    """
    assert conn.execute(query).fetchall() == [(100, "Assembly", 8, 0), (200, "Assembly", 8, 0)]


# Each query counts one feature of the schedule; every one must be present.
SCHEDULE_FEATURES = {
    "double-block-section": """
        SELECT count(*) FROM (
            SELECT sectionid FROM section_meeting
            GROUP BY sectionid, cycle_day_letter HAVING count(DISTINCT period_number) > 1
        ) AS double_blocks""",
    "a-day-only-section": """
        SELECT count(*) FROM (
            SELECT sectionid FROM section_meeting WHERE period_number > 0
            GROUP BY sectionid HAVING max(cycle_day_letter) = 'A'
        ) AS a_only""",
    "fall-semester-section": "SELECT count(*) FROM sections WHERE termid = 3501",
    "spring-semester-section": "SELECT count(*) FROM sections WHERE termid = 3502",
    "dropped-enrolment": """
        SELECT count(*) FROM cc JOIN sections s ON s.id = -cc.sectionid
        WHERE cc.sectionid < 0 AND cc.dateleft = cc.dateenrolled""",
    "mid-term-change": """
        SELECT count(*) FROM cc AS old
        JOIN cc AS new ON new.studentid = old.studentid AND new.course_number = old.course_number
                      AND new.dateenrolled = old.dateleft AND new.sectionid <> old.sectionid
        JOIN calendar_day d ON d.schoolid = old.schoolid AND d.date_value = old.dateleft
        WHERE old.sectionid > 0 AND new.sectionid > 0 AND d.insession = 1""",
    "semester-boundary": """
        SELECT count(*) FROM cc JOIN terms t ON t.id = cc.termid AND t.schoolid = cc.schoolid
        WHERE t.id = 3501 AND cc.dateleft = t.lastday + 1""",
    "late-arrival": f"""
        SELECT count(*) FROM (SELECT studentid FROM cc WHERE sectionid > 0 GROUP BY studentid
                              HAVING min(dateenrolled) > DATE '{YEAR_FIRST_DAY}') AS late""",
    "early-leaver": f"""
        SELECT count(*) FROM (SELECT studentid FROM cc WHERE sectionid > 0 GROUP BY studentid
                              HAVING max(dateleft) < DATE '{YEAR_AFTER_LAST_DAY}') AS early""",
    "student-without-homeroom": """
        SELECT count(*) FROM students s WHERE NOT EXISTS (
            SELECT 1 FROM cc JOIN sections x ON x.id = cc.sectionid
            WHERE cc.studentid = s.id AND x.course_number = 'HR')""",
    "double-booked-period": """
        SELECT count(*) FROM cc a
        JOIN cc b ON b.studentid = a.studentid AND b.id > a.id AND b.sectionid > 0
                 AND a.dateenrolled < b.dateleft AND b.dateenrolled < a.dateleft
        JOIN section_meeting ma ON ma.sectionid = a.sectionid
        JOIN section_meeting mb ON mb.sectionid = b.sectionid
                               AND mb.period_number = ma.period_number
                               AND mb.cycle_day_letter = ma.cycle_day_letter
        WHERE a.sectionid > 0""",
}


@pytest.mark.parametrize("query", SCHEDULE_FEATURES.values(), ids=SCHEDULE_FEATURES.keys())
def test_schedule_feature_is_present(district: District, query: str) -> None:
    conn, _ = district
    assert scalar(conn, query) > 0


def test_every_active_enrolment_is_a_real_section(district: District) -> None:
    conn, _ = district
    query = """
        SELECT count(*) FILTER (WHERE s.id IS NULL OR s.schoolid <> cc.schoolid
                                      OR s.termid <> cc.termid OR cc.dateenrolled >= cc.dateleft),
               count(*)
        FROM cc LEFT JOIN sections s ON s.id = cc.sectionid WHERE cc.sectionid > 0
    """
    broken, total = conn.execute(query).fetchone()
    assert broken == 0 and total > 10 * 2 * STUDENTS


def test_present_code_is_null_at_one_school_and_blank_at_the_other(district: District) -> None:
    conn, _ = district
    query = """
        SELECT schoolid, att_code FROM attendance_code
        WHERE description = 'Present' AND presence_status_cd = 'Present' ORDER BY schoolid
    """
    assert conn.execute(query).fetchall() == [(100, None), (200, "")]


# --- attendance ---------------------------------------------------------------------------


def test_each_school_recorded_one_method_per_semester(district: District) -> None:
    conn, _ = district
    query = """
        SELECT a.schoolid, a.att_date >= %(switch)s AS spring, a.att_mode_code, count(*)
        FROM attendance a
        JOIN calendar_day d ON d.schoolid = a.schoolid AND d.date_value = a.att_date
        WHERE d.insession = 1 AND a.att_mode_code IN ('ATT_ModeDaily', 'ATT_ModeMeeting')
        GROUP BY 1, 2, 3
    """
    count = {
        (school, spring, mode[8:]): n for school, spring, mode, n in conn.execute(query, {"switch": SWITCH}).fetchall()
    }
    # The other mode holds only the few copies a bridge or a person made.
    assert count[100, False, "Daily"] > 5 * count[100, True, "Daily"]
    assert count[100, True, "Meeting"] > 20 * count[100, False, "Meeting"]
    assert count[200, True, "Daily"] > 5 * count[200, False, "Daily"]
    assert count[200, False, "Meeting"] > 20 * count[200, True, "Meeting"]


def test_records_point_at_their_school_day_year_and_code(district: District) -> None:
    conn, _ = district
    query = """
        SELECT count(*) FILTER (
                   WHERE d.id IS NULL OR d.schoolid <> a.schoolid OR d.date_value <> a.att_date
                      OR a.yearid <> 35 OR c.id IS NULL OR c.schoolid <> a.schoolid
                      OR c.yearid <> a.yearid OR s.id IS NULL OR s.schoolid <> a.schoolid),
               count(*) FILTER (WHERE a.att_mode_code = 'ATT_ModeDaily'
                                  AND (a.ccid <> 0 OR a.periodid <> 0)),
               count(*) FILTER (WHERE a.schoolid NOT IN (SELECT school_number FROM schools)),
               count(*)
        FROM attendance a
        LEFT JOIN calendar_day d ON d.id = a.calendar_dayid
        LEFT JOIN attendance_code c ON c.id = a.attendance_codeid
        LEFT JOIN students s ON s.id = a.studentid
    """
    bad_reference, bad_daily, bad_school, total = conn.execute(query).fetchone()
    assert (bad_reference, bad_daily, bad_school) == (0, 0, 0) and total > 1000


def test_every_meeting_record_on_a_school_day_is_scheduled(district: District) -> None:
    conn, _ = district
    query = """
        SELECT count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1
                   FROM cc
                   JOIN section_meeting m ON m.sectionid = cc.sectionid AND m.year_id = a.yearid
                   JOIN cycle_day l ON l.id = d.cycle_day_id AND l.letter = m.cycle_day_letter
                   JOIN period p ON p.id = a.periodid AND p.schoolid = a.schoolid
                                AND p.period_number = m.period_number
                   JOIN bell_schedule_items i ON i.bell_schedule_id = d.bell_schedule_id
                                             AND i.period_id = p.id
                   WHERE cc.id = a.ccid AND cc.studentid = a.studentid AND cc.schoolid = a.schoolid
                     AND cc.sectionid > 0 AND cc.dateenrolled <= a.att_date
                     AND a.att_date < cc.dateleft)),
               count(*)
        FROM attendance a
        JOIN calendar_day d ON d.schoolid = a.schoolid AND d.date_value = a.att_date
        WHERE a.att_mode_code = 'ATT_ModeMeeting' AND d.insession = 1
    """
    unscheduled, total = conn.execute(query).fetchone()
    assert unscheduled == 0 and total > 1000


def test_whole_day_meeting_absences_cover_every_scheduled_period(district: District) -> None:
    conn, _ = district
    # On the days a school took Meeting attendance, Excused records in more than one period
    # come only from whole-day absences (pairs and noise have one), so each such student-day
    # must have one in every period the student is scheduled in that day.
    query = """
        SELECT count(*) FILTER (WHERE absent.periods = scheduled.periods), count(*)
        FROM (
            SELECT a.schoolid, a.studentid, a.att_date, count(DISTINCT a.periodid) AS periods
            FROM attendance a JOIN attendance_code c ON c.id = a.attendance_codeid
            WHERE a.att_mode_code = 'ATT_ModeMeeting' AND c.att_code = 'E'
              AND (a.schoolid = 100) = (a.att_date >= %(switch)s)
            GROUP BY a.schoolid, a.studentid, a.att_date
            HAVING count(DISTINCT a.periodid) > 1
        ) AS absent
        CROSS JOIN LATERAL (
            SELECT count(DISTINCT p.id) AS periods
            FROM calendar_day d
            JOIN cycle_day l ON l.id = d.cycle_day_id
            JOIN bell_schedule_items i ON i.bell_schedule_id = d.bell_schedule_id
            JOIN period p ON p.id = i.period_id
            JOIN section_meeting m ON m.schoolid = d.schoolid AND m.cycle_day_letter = l.letter
                                  AND m.period_number = p.period_number
            JOIN cc ON cc.sectionid = m.sectionid AND cc.dateenrolled <= d.date_value
                   AND d.date_value < cc.dateleft
            WHERE d.schoolid = absent.schoolid AND d.date_value = absent.att_date
              AND cc.studentid = absent.studentid
        ) AS scheduled
    """
    complete, days = conn.execute(query, {"switch": SWITCH}).fetchone()
    assert days > 20 and complete == days


# Each query counts one case of SPEC section 5 in the attendance; all must be present.
ATTENDANCE_CASES = {
    "daily-with-attendance-time": """
        SELECT count(*) FROM attendance_time t JOIN attendance a ON a.id = t.attendanceid
        WHERE a.att_mode_code = 'ATT_ModeDaily'
          AND t.total_minutes = (t.time_out - t.time_in) / 60""",
    "daily-present-record": """
        SELECT count(*) FROM attendance a JOIN attendance_code c ON c.id = a.attendance_codeid
        WHERE a.att_mode_code = 'ATT_ModeDaily' AND coalesce(c.att_code, '') = ''""",
    "two-daily-records-with-different-codes (D6)": """
        SELECT count(*) FROM (
            SELECT 1 FROM attendance a
            JOIN calendar_day d ON d.schoolid = a.schoolid AND d.date_value = a.att_date
            WHERE a.att_mode_code = 'ATT_ModeDaily' AND d.insession = 1
            GROUP BY a.schoolid, a.studentid, a.att_date
            HAVING count(DISTINCT a.attendance_codeid) = 2) AS doubles""",
    "two-bridge-meeting-records-present-and-absent (M2)": f"""
        SELECT count(*) FROM (
            SELECT 1 FROM attendance a
            JOIN ({BRIDGE}) AS bridge ON bridge.schoolid = a.schoolid
                 AND bridge.date_value = a.att_date AND bridge.period_id = a.periodid
            JOIN attendance_code c ON c.id = a.attendance_codeid
            WHERE a.att_mode_code = 'ATT_ModeMeeting'
            GROUP BY a.studentid, a.att_date
            HAVING count(DISTINCT c.presence_status_cd) = 2) AS doubles""",
    "meeting-tardy-outside-the-bridge-period-only (M4)": f"""
        SELECT count(*) FROM attendance a
        JOIN attendance_code c ON c.id = a.attendance_codeid AND c.att_code = 'T'
        WHERE a.att_mode_code = 'ATT_ModeMeeting' AND NOT EXISTS (
            SELECT 1 FROM attendance b
            JOIN ({BRIDGE}) AS bridge ON bridge.schoolid = b.schoolid
                 AND bridge.date_value = b.att_date AND bridge.period_id = b.periodid
            WHERE b.studentid = a.studentid AND b.att_date = a.att_date
              AND b.att_mode_code = 'ATT_ModeMeeting')""",
    "daily-record-of-a-student-without-bridge-period (D5)": f"""
        SELECT count(*) FROM attendance a
        JOIN ({BRIDGE}) AS bridge ON bridge.schoolid = a.schoolid AND bridge.date_value = a.att_date
        WHERE a.att_mode_code = 'ATT_ModeDaily' AND bridge.period_number = 0
          AND NOT EXISTS (SELECT 1 FROM cc JOIN sections s ON s.id = cc.sectionid
                          WHERE cc.studentid = a.studentid AND s.course_number = 'HR')""",
    "record-on-a-day-off-daily (X3)": """
        SELECT count(*) FROM attendance a
        JOIN calendar_day d ON d.schoolid = a.schoolid AND d.date_value = a.att_date
        WHERE d.insession = 0 AND a.att_mode_code = 'ATT_ModeDaily'""",
    "record-on-a-day-off-meeting (X3)": """
        SELECT count(*) FROM attendance a
        JOIN calendar_day d ON d.schoolid = a.schoolid AND d.date_value = a.att_date
        WHERE d.insession = 0 AND a.att_mode_code = 'ATT_ModeMeeting'""",
    "record-of-another-mode": """
        SELECT count(*) FROM attendance
        WHERE att_mode_code NOT IN ('ATT_ModeDaily', 'ATT_ModeMeeting')""",
}


@pytest.mark.parametrize("query", ATTENDANCE_CASES.values(), ids=ATTENDANCE_CASES.keys())
def test_attendance_case_is_present(district: District, query: str) -> None:
    conn, _ = district
    assert scalar(conn, query) > 0


# The records the other direction would build that already exist, per school and half of
# the year: a Meeting copy of a Daily record in the bridge period (D4) on Daily days, a
# Daily record beside a bridge-period Meeting record (M1) on Meeting days.
EXISTING_COPY = f"""
    SELECT count(*) FILTER (WHERE x.attendance_codeid = y.attendance_codeid),
           count(*) FILTER (WHERE x.attendance_codeid <> y.attendance_codeid)
    FROM attendance x
    JOIN ({BRIDGE}) AS bridge ON bridge.schoolid = x.schoolid AND bridge.date_value = x.att_date
    JOIN attendance y ON y.schoolid = x.schoolid AND y.studentid = x.studentid
                     AND y.att_date = x.att_date AND y.att_mode_code = 'ATT_ModeMeeting'
                     AND y.periodid = bridge.period_id
    WHERE x.att_mode_code = 'ATT_ModeDaily' AND x.schoolid = %(school)s
      AND (x.att_date >= %(switch)s) = %(spring)s
"""


@pytest.mark.parametrize(
    ("school", "spring"),
    [(100, False), (100, True), (200, False), (200, True)],
    ids=["100-fall-daily", "100-spring-meeting", "200-fall-meeting", "200-spring-daily"],
)
def test_some_records_already_exist_in_the_other_mode(district: District, school: int, spring: bool) -> None:
    conn, _ = district
    same, different = conn.execute(EXISTING_COPY, {"school": school, "switch": SWITCH, "spring": spring}).fetchone()
    assert same > 0 and different > 0


def test_bridge_made_copies_name_their_parent(district: District) -> None:
    conn, _ = district
    query = """
        SELECT count(*) FILTER (WHERE p.id IS NULL OR p.att_mode_code = a.att_mode_code
                                   OR p.studentid <> a.studentid OR p.att_date <> a.att_date
                                   OR p.attendance_codeid <> a.attendance_codeid),
               count(*)
        FROM attendance a LEFT JOIN attendance p ON p.id = a.parent_attendanceid
        WHERE a.parent_attendanceid <> 0
    """
    broken, total = conn.execute(query).fetchone()
    assert broken == 0 and total > 0


# --- command line -------------------------------------------------------------------------


@pytest.fixture
def fresh_schema_name(sis_conn: psycopg.Connection) -> Iterator[str]:
    """A schema name nobody uses yet, dropped afterwards if something created it."""
    name = f"test_cli_{uuid.uuid4().hex[:12]}"
    yield name
    sis_conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def test_command_line_builds_a_district_then_refuses_to_overwrite_it(
    sis_server: SisConnection,
    fresh_schema_name: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(SIS_CONN_ENV, sis_server.airflow_json())
    arguments = ["--students", "20", "--seed", "3", "--schema", fresh_schema_name]

    assert main(arguments) == 0
    built = capsys.readouterr().out
    assert f"schema '{fresh_schema_name}'" in built and "attendance" in built

    assert main(arguments) == 2
    refused = capsys.readouterr()
    assert "already holds SIS tables" in refused.err and refused.out == ""
    with psycopg.connect(**sis_server.conninfo_kwargs()) as conn:
        query = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(fresh_schema_name, "students"))
        assert scalar(conn, query) == 40
