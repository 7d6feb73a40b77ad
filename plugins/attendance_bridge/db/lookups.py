"""What the tasks look up in the SIS besides the school's tables: the school and its year term
(P1, P2), the terms that end (the end-of-term DAG), and what the report page names (the school,
the attendance codes, the students' numbers, the records a run inserted per day)."""

from __future__ import annotations

from datetime import date
from typing import Any

import psycopg

from attendance_bridge.config import (
    BRIDGE_ONE_WAY,
    BRIDGE_PERIOD_ONLY,
    BRIDGE_TWO_WAY,
    DISTRICT_OFFICE_SCHOOL_NUMBER,
    FIRST_YEARID,
    MODE_DAILY,
    MODE_MEETING,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
)
from attendance_bridge.db.backup import require_own_transaction
from attendance_bridge.db.sql import fetch_all, fetch_one, load_sql, statement
from attendance_bridge.domain.request import RunParameters, school_year
from attendance_bridge.errors import PreconditionFailed

# How long the report's table of a run's records may take (per statement) before it is given up: a run of
# 729,912 records takes 3-4 s here; a plan gone wrong must not keep the run's run log open for minutes.
REPORT_QUERY_TIMEOUT = "60s"


def school_and_range(
    conn: psycopg.Connection, schema: str, parameters: RunParameters, logical_date: date
) -> tuple[int, date, date]:
    """P1 and P2 against the SIS: the school exists and has the year term; the range lies in it.

    Returns (yearid, start, end) with the defaults of SPEC section 3 filled in.
    """
    school = parameters.school_number
    found = conn.execute(statement("parameters/select_school", schema=schema), {"school_number": school}).fetchone()
    if found is None:
        raise PreconditionFailed("P1", school, f"there is no school with number {school} in the SIS")
    if parameters.yearid is None:
        term = conn.execute(
            statement("parameters/select_year_term_on", schema=schema),
            {"school_number": school, "day": logical_date},
        ).fetchone()
        if term is None:
            raise PreconditionFailed(
                "P2", school, f"no year term of this school contains {logical_date}; give the year"
            )
    else:
        term = conn.execute(
            statement("parameters/select_year_term_of", schema=schema),
            {"school_number": school, "yearid": parameters.yearid},
        ).fetchone()
        if term is None:
            raise PreconditionFailed("P2", school, f"the school has no year term for {school_year(parameters.yearid)}")
    yearid, first_day, last_day = term
    if yearid < FIRST_YEARID:
        raise PreconditionFailed(
            "P2", school, f"school years before 2004-2005 cannot be synchronized ({school_year(yearid)})"
        )
    start = parameters.start_date or first_day
    end = parameters.end_date or last_day
    if start > end:
        raise PreconditionFailed("P2", school, f"the start date {start} is after the end date {end}")
    if start < first_day or end > last_day:
        raise PreconditionFailed(
            "P2",
            school,
            f"the dates {start} to {end} are not inside the {school_year(yearid)} year term "
            f"({first_day} to {last_day})",
        )
    return yearid, start, end


def inserted_by_date_and_code(
    conn: psycopg.Connection, pipeline_schema: str, sis_schema: str, dag_id: str, run_id: str, school_number: int,
    start_date: date, end_date: date,
) -> list[dict[str, Any]]:  # fmt: skip
    """The records a run inserted, per day, mode and code, from its lineage (the report's table).

    In a transaction of its own: the run's row ids go into an analysed temporary table first, so the
    join is planned on their number whatever the lineage's and attendance's statistics say (issue 29).
    Each statement may take ``REPORT_QUERY_TIMEOUT``; then it is cancelled (``psycopg.errors.QueryCanceled``).
    """
    require_own_transaction(conn, "inserted_by_date_and_code")
    with conn.transaction():
        conn.execute(load_sql("report/set_repeatable_read"))
        conn.execute(load_sql("report/set_report_statement_timeout"), {"timeout": REPORT_QUERY_TIMEOUT})
        conn.execute(
            statement("report/create_report_inserted", pipeline_schema=pipeline_schema),
            {"dag_id": dag_id, "run_id": run_id},
        )
        conn.execute(load_sql("report/create_report_inserted_index"))
        conn.execute(load_sql("report/analyze_report_inserted"))
        rows = fetch_all(
            conn,
            statement("report/select_inserted_by_date_and_code", sis_schema=sis_schema),
            {"school_number": school_number, "start_date": start_date, "end_date": end_date},
        )
    return [{**row, "att_date": row["att_date"].isoformat()} for row in rows]


def school_name(conn: psycopg.Connection, sis_schema: str, school_number: int) -> str | None:
    """The school's name in the SIS (None when there is no such school)."""
    school = fetch_one(conn, statement("parameters/select_school", schema=sis_schema), {"school_number": school_number})
    return school["name"] if school else None


def attendance_code_descriptions(
    conn: psycopg.Connection, sis_schema: str, school_number: int, yearid: int
) -> dict[int, dict[str, Any]]:
    """{attendance_code.id: {att_code, description}} of the school's year, for the report page."""
    rows = conn.execute(
        statement("report/select_attendance_code_descriptions", schema=sis_schema),
        {"school_number": school_number, "yearid": yearid},
    ).fetchall()
    return {row[0]: {"att_code": row[1], "description": row[2]} for row in rows}


def student_numbers(conn: psycopg.Connection, sis_schema: str, student_ids: list[int]) -> dict[int, Any]:
    """{students.id: students.student_number} of the given students (the pipeline may read only those columns)."""
    with conn.cursor() as cursor:
        cursor.execute(statement("report/select_student_numbers", schema=sis_schema), {"student_ids": student_ids})
        return {int(row[0]): row[1] for row in cursor.fetchall()}


def find_terms_ending(conn: psycopg.Connection, schema: str, first_day: date, last_day: date) -> list[dict[str, Any]]:
    """Every term of a school (not the district office) whose last day is in [first_day, last_day], with its settings."""
    return fetch_all(
        conn,
        statement("end_of_term/select_terms_ending", schema=schema),
        {
            "first_day": first_day,
            "last_day": last_day,
            "district_office": DISTRICT_OFFICE_SCHOOL_NUMBER,
            "pref_record_mode_daily": PREF_RECORD_MODE_DAILY,
            "pref_record_mode_meeting": PREF_RECORD_MODE_MEETING,
            "pref_bridge": PREF_BRIDGE,
            "bridge_one_way": BRIDGE_ONE_WAY,
            "bridge_two_way": BRIDGE_TWO_WAY,
        },
    )


def find_bridge_schools(conn: psycopg.Connection, schema: str, first_day: date, last_day: date) -> list[dict[str, Any]]:
    """Every school (not the district office) whose year term covers a day of [first_day, last_day], with its
    current recording methods and bridge settings of that year (SPEC B1, B4)."""
    return fetch_all(
        conn,
        statement("nightly/select_bridge_schools", schema=schema),
        {
            "first_day": first_day,
            "last_day": last_day,
            "district_office": DISTRICT_OFFICE_SCHOOL_NUMBER,
            "pref_record_mode_daily": PREF_RECORD_MODE_DAILY,
            "pref_record_mode_meeting": PREF_RECORD_MODE_MEETING,
            "pref_bridge": PREF_BRIDGE,
        },
    )


def year_term_first_day(conn: psycopg.Connection, schema: str, school_number: int, yearid: int) -> date:
    """The first day of the school's year term (P2 has found it already)."""
    row = conn.execute(
        statement("parameters/select_year_term_of", schema=schema), {"school_number": school_number, "yearid": yearid}
    ).fetchone()
    return row[1]


def first_stale_copy_day(
    conn: psycopg.Connection,
    pipeline_schema: str,
    sis_schema: str,
    school_number: int,
    direction: str,
    first_day: date,
    last_day: date,
) -> date | None:
    """F7: the first day in [first_day, last_day] with a copy of the school built in ``direction`` (the copies a sync
    of that direction follows) that its source or its day no longer implies as it is (a subset of F1, judged in SQL: ``include/sql/follow/select_first_stale_copy_day.sql``), or
    None. The nightly bridge starts its range there, so corrections weeks back are followed; a quiet night costs
    this one query."""
    row = fetch_one(
        conn,
        statement("follow/select_first_stale_copy_day", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
        {
            "school_number": school_number,
            "sis_schema_name": sis_schema,
            "first_day": first_day,
            "last_day": last_day,
            "mode_daily": MODE_DAILY,
            "mode_meeting": MODE_MEETING,
            "bridge_period_only": BRIDGE_PERIOD_ONLY,
            "direction": direction,
        },
    )
    return row["first_day"] if row else None
