"""P1 and P2 against the demo district in a real PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from attendance_bridge.db.lookups import school_and_range
from attendance_bridge.domain.request import parse_run_parameters
from attendance_bridge.errors import PreconditionFailed

pytestmark = pytest.mark.integration
IN_THE_YEAR = date(2025, 11, 3)


def check(district, conf: dict, logical_date: date = IN_THE_YEAR) -> tuple:
    """Parse a conf and check it against the SIS."""
    conn, schema = district
    return school_and_range(conn, schema, parse_run_parameters(conf), logical_date)


def test_defaults_come_from_the_year_term_of_the_logical_date(district) -> None:
    assert check(district, {"school_number": 100}) == (35, date(2025, 8, 18), date(2026, 6, 5))


def test_an_open_end_runs_to_the_last_day_of_the_term(district) -> None:
    conf = {"school_number": 100, "start_date": "2026-06-01", "end_date": None}
    assert check(district, conf, date(2026, 1, 5)) == (35, date(2026, 6, 1), date(2026, 6, 5))


def test_explicit_year_and_range(district) -> None:
    conf = {"school_number": 200, "year": "2025-2026", "start_date": "2026-01-20", "end_date": "2026-03-31"}
    assert check(district, conf, date(2030, 1, 1)) == (35, date(2026, 1, 20), date(2026, 3, 31))


@pytest.mark.parametrize(
    ("conf", "logical_date", "message"),
    [
        ({"school_number": 300}, IN_THE_YEAR, r"P1 failed for school 300: there is no school with number 300"),
        (
            {"school_number": 100, "year": 36},
            IN_THE_YEAR,
            r"P2 failed for school 100: the school has no year term for 2026-2027",
        ),
        (
            {"school_number": 100},
            date(2027, 1, 4),
            r"P2 failed for school 100: no year term of this school contains 2027-01-04",
        ),
        (
            {"school_number": 100, "start_date": "2025-08-01"},
            IN_THE_YEAR,
            r"the dates 2025-08-01 to 2026-06-05 are not inside the 2025-2026 year term \(2025-08-18 to 2026-06-05\)",
        ),
        ({"school_number": 100, "end_date": "2026-07-01"}, IN_THE_YEAR, "not inside the 2025-2026 year term"),
    ],
    ids=["unknown-school", "no-year-term", "logical-date-outside", "start-before-term", "end-after-term"],
)
def test_p1_p2_against_the_sis(district, conf: dict, logical_date: date, message: str) -> None:
    with pytest.raises(PreconditionFailed, match=message):
        check(district, conf, logical_date)
