"""The benchmark's plain-SQL reference (bench/sql_reference.py) against the rules engine.

On a fresh demo district, for each school, direction and absent_periods, over the whole year
and over a term's sub-range: the backup copies every attendance row of the school in the range
and their attendance_time rows, unchanged; the insert lands exactly the engine's records, row
for row (Daily ones with their attendance_time row); and a second insert adds nothing (X2).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import pytest
from attendance_bridge.config import (
    ALL_PERIODS,
    BRIDGE_PERIOD_ONLY,
    DAILY_TO_MEETING,
    MEETING_TO_DAILY,
    MODE_DAILY,
    UNTAKEN_PERIODS,
)
from psycopg import sql

from bench.sql_reference import back_up_school, insert_missing_records
from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    Sandbox,
    assert_landed_exactly,
    attendance_rows_in_range,
    expected_records,
    rows_before,
)

pytestmark = pytest.mark.integration

YEARID = 35
RANGES = {
    "year": (YEAR_FIRST_DAY, YEAR_LAST_DAY),
    "autumn": (date(2025, 10, 1), date(2025, 12, 19)),  # a sub-range of the autumn semester
    "spring": (date(2026, 2, 2), date(2026, 4, 30)),  # a sub-range of the spring semester
}
# School 100 took Daily in autumn and Meeting in spring; school 200 the other way round.
SOURCE_HALF = {
    (100, MEETING_TO_DAILY): "spring",
    (100, DAILY_TO_MEETING): "autumn",
    (200, MEETING_TO_DAILY): "autumn",
    (200, DAILY_TO_MEETING): "spring",
}
RUNS = [
    (100, MEETING_TO_DAILY, ALL_PERIODS),
    (200, MEETING_TO_DAILY, ALL_PERIODS),
    (100, DAILY_TO_MEETING, ALL_PERIODS),
    (100, DAILY_TO_MEETING, BRIDGE_PERIOD_ONLY),
    (200, DAILY_TO_MEETING, ALL_PERIODS),
    (200, DAILY_TO_MEETING, BRIDGE_PERIOD_ONLY),
    (100, DAILY_TO_MEETING, UNTAKEN_PERIODS),
    (200, DAILY_TO_MEETING, UNTAKEN_PERIODS),
]

# Count and checksum of the school's attendance rows of the range and of their attendance_time
# rows, whole rows, in the SIS tables or in the backup copy.
ATTENDANCE_ROWS = (
    "SELECT count(*), md5(coalesce(string_agg(a::text, '|' ORDER BY a.dcid), '')) FROM {table} AS a "
    "WHERE a.schoolid = %(school)s AND a.att_date BETWEEN %(start)s AND %(end)s"
)
ATTENDANCE_TIME_ROWS = (
    "SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.dcid), '')) FROM {table} AS t "
    "WHERE t.attendanceid IN (SELECT a.id FROM {attendance} AS a "
    "WHERE a.schoolid = %(school)s AND a.att_date BETWEEN %(start)s AND %(end)s)"
)


@pytest.fixture
def scratch_schema(sandbox: Sandbox) -> Iterator[str]:
    """A schema for the reference's backup, dropped afterwards."""
    name = f"bk_{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        sandbox.conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def rows_and_checksums(box: Sandbox, schema: str, school: int, start: date, end: date) -> tuple[tuple, tuple]:
    """Count and checksum of the school's attendance rows of the range in ``schema``, and of their times."""
    parameters = {"school": school, "start": start, "end": end}
    attendance = sql.Identifier(schema, "attendance")
    return tuple(
        box.conn.execute(
            sql.SQL(query).format(table=sql.Identifier(schema, table), attendance=attendance), parameters
        ).fetchone()
        for query, table in ((ATTENDANCE_ROWS, "attendance"), (ATTENDANCE_TIME_ROWS, "attendance_time"))
    )


@pytest.mark.parametrize("range_name", list(RANGES))
@pytest.mark.parametrize(("school", "direction", "absent_periods"), RUNS, ids=lambda value: str(value))
def test_sql_reference_lands_exactly_the_engines_records(
    sandbox: Sandbox, scratch_schema: str, school: int, direction: str, absent_periods: str, range_name: str
) -> None:
    """X6 backup, then exactly the engine's records, then nothing more (X2)."""
    start, end = RANGES[range_name]
    expected = expected_records(sandbox, school, direction, absent_periods, start, end).records
    # Each case proves something: the engine builds records over the year and over the half
    # where the school recorded the source mode, and none over the other half (nothing to build).
    assert (len(expected) > 0) == (range_name in ("year", SOURCE_HALF[school, direction]))
    before = rows_before(sandbox)
    in_sis = rows_and_checksums(sandbox, sandbox.schema, school, start, end)

    copied = back_up_school(sandbox.conn, sandbox.schema, scratch_schema, school, start, end)

    # X6: the copy holds every attendance row of the school in the range and their times, unchanged.
    assert copied == attendance_rows_in_range(sandbox, school, start, end) == in_sis[0][0] > 0
    assert rows_and_checksums(sandbox, scratch_schema, school, start, end) == in_sis

    run = (sandbox.conn, sandbox.schema, school, YEARID, direction, absent_periods, start, end)
    inserted = insert_missing_records(*run)

    daily = int((expected["att_mode_code"] == MODE_DAILY).sum())
    assert inserted == (len(expected), daily)
    assert_landed_exactly(sandbox, before, expected)
    # X2: the same run again inserts nothing.
    assert insert_missing_records(*run) == (0, 0)
    assert_landed_exactly(sandbox, before, expected)


def test_sql_reference_refuses_an_unresolved_direction() -> None:
    """The caller resolves ``auto`` (P3), as the pipeline does before its rules run."""
    with pytest.raises(ValueError, match="direction"):
        insert_missing_records(None, "public", 100, YEARID, "auto", ALL_PERIODS, YEAR_FIRST_DAY, YEAR_LAST_DAY)
