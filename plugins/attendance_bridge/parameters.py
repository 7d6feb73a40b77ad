"""Run parameters (SPEC section 3): read a DAG run's conf strictly, then check P1 and P2.

Airflow accepts undeclared ``--conf`` keys silently and a JSON conf can carry any type, so
everything is checked here, once, before a single SIS row is read for the run.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import psycopg
from psycopg import sql

from attendance_bridge.errors import PreconditionFailed
from attendance_bridge.frames import BridgeRequest
from attendance_bridge.settings import (
    ABSENT_PERIODS_OPTIONS,
    ALL_PERIODS,
    DIRECTION_AUTO,
    DIRECTIONS,
    DISTRICT_OFFICE_SCHOOL_NUMBER,
    FIRST_YEARID,
    LARGEST_SCHOOL_NUMBER,
    YEARID_OFFSET,
)
from attendance_bridge.sql import load_sql

PARAMETER_NAMES = ("school_number", "year", "direction", "absent_periods", "start_date", "end_date", "dry_run")
# PostgreSQL integer columns hold school numbers; anything larger is a typo, not a school.
# yearid 210 is 2200-2201: far enough for any real calendar, small enough to catch typos.
LARGEST_YEARID = 210
_SCHOOL_YEAR = re.compile(r"(\d{4})-(\d{4})")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class InvalidParameter(ValueError):
    """A run parameter that is missing, of the wrong type or out of its range."""

    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        super().__init__(f"Run parameter {name!r}: {detail}")


@dataclass(frozen=True)
class RunParameters:
    """A run's conf, typed and checked; ``yearid`` None means "the year of the logical date"."""

    school_number: int
    yearid: int | None
    direction: str
    absent_periods: str
    start_date: date | None
    end_date: date | None
    dry_run: bool


def refuse_unknown(conf: Mapping[str, object], known: Sequence[str], what: str) -> None:
    """Refuse, by name, the keys of a conf that ``what`` does not know: Airflow accepts any key silently,
    and a typo (``runid``) must never fall back to a default."""
    unknown = sorted(set(conf) - set(known))
    if unknown:
        raise InvalidParameter(
            unknown[0],
            f"{what} does not know the parameter(s) {', '.join(map(repr, unknown))}; "
            f"the parameters are {', '.join(known)}",
        )


def parse_run_parameters(conf: Mapping[str, object]) -> RunParameters:
    """Check a conf's keys and types and the rules that need no database (P1, P2 in part)."""
    refuse_unknown(conf, PARAMETER_NAMES, "this run")
    school = _school_number(conf.get("school_number"))
    yearid = _yearid(conf.get("year"), school)
    start, end = _date("start_date", conf.get("start_date")), _date("end_date", conf.get("end_date"))
    if start is not None and end is not None and start > end:
        raise PreconditionFailed("P2", school, f"the start date {start} is after the end date {end}")
    return RunParameters(
        school_number=school,
        yearid=yearid,
        direction=_choice("direction", conf.get("direction", DIRECTION_AUTO), DIRECTIONS),
        absent_periods=_choice("absent_periods", conf.get("absent_periods", ALL_PERIODS), ABSENT_PERIODS_OPTIONS),
        start_date=start,
        end_date=end,
        dry_run=_flag("dry_run", conf.get("dry_run", False)),
    )


def _school_number(value: object) -> int:
    """P1 without the database: a whole number, not the district office."""
    if value is None:
        raise InvalidParameter("school_number", "is required (the school's number, e.g. 100)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidParameter("school_number", f"must be a whole number, not {value!r}")
    if value == DISTRICT_OFFICE_SCHOOL_NUMBER:
        raise PreconditionFailed(
            "P1", value, "the district office (school 0) cannot be synchronized; choose one school"
        )
    if not 0 < value <= LARGEST_SCHOOL_NUMBER:
        raise PreconditionFailed(
            "P1",
            value,
            f"a school number is a positive whole number up to {LARGEST_SCHOOL_NUMBER}; no school has the number {value}",
        )
    return value


def _yearid(value: object, school: int) -> int | None:
    """A yearid (35) or a school year ("2025-2026"); P2: not before 2004-2005."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise InvalidParameter(
            "year", f'must be a yearid such as 35 or a school year such as "2025-2026", not {value!r}'
        )
    if isinstance(value, str):
        match = _SCHOOL_YEAR.fullmatch(value.strip())
        if match is None or int(match[2]) != int(match[1]) + 1:
            raise InvalidParameter(
                "year", f'{value!r} is not a school year; write two consecutive years, such as "2025-2026"'
            )
        value = int(match[1]) - YEARID_OFFSET
    if not isinstance(value, int):
        raise InvalidParameter(
            "year", f'must be a yearid such as 35 or a school year such as "2025-2026", not {value!r}'
        )
    if value < FIRST_YEARID:
        raise PreconditionFailed(
            "P2", school, f"school years before 2004-2005 cannot be synchronized (year {_school_year(value)})"
        )
    if value > LARGEST_YEARID:
        raise InvalidParameter("year", f"{value} would be the school year {_school_year(value)}; check the number")
    return value


def _date(name: str, value: object) -> date | None:
    """An ISO date (2025-09-01) or nothing."""
    if value is None or value == "":
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise InvalidParameter(name, f"must be a date written as YYYY-MM-DD, not {value!r}")


def _choice(name: str, value: object, options: tuple[str, ...]) -> str:
    """One of the allowed words."""
    if value not in options:
        raise InvalidParameter(name, f"must be one of {', '.join(options)}, not {value!r}")
    return str(value)


def _flag(name: str, value: object) -> bool:
    """true or false, nothing else."""
    if not isinstance(value, bool):
        raise InvalidParameter(name, f"must be true or false, not {value!r}")
    return value


def _school_year(yearid: int) -> str:
    """35 -> 2025-2026."""
    first = yearid + YEARID_OFFSET
    return f"{first}-{first + 1}"


def school_and_range(
    conn: psycopg.Connection, schema: str, parameters: RunParameters, logical_date: date
) -> tuple[int, date, date]:
    """P1 and P2 against the SIS: the school exists and has the year term; the range lies in it.

    Returns (yearid, start, end) with the defaults of SPEC section 3 filled in.
    """
    school = parameters.school_number
    identifier = sql.Identifier(schema)
    found = conn.execute(
        sql.SQL(load_sql("parameters/select_school")).format(schema=identifier), {"school_number": school}
    ).fetchone()
    if found is None:
        raise PreconditionFailed("P1", school, f"there is no school with number {school} in the SIS")
    if parameters.yearid is None:
        term = conn.execute(
            sql.SQL(load_sql("parameters/select_year_term_on")).format(schema=identifier),
            {"school_number": school, "day": logical_date},
        ).fetchone()
        if term is None:
            raise PreconditionFailed(
                "P2", school, f"no year term of this school contains {logical_date}; give the year"
            )
    else:
        term = conn.execute(
            sql.SQL(load_sql("parameters/select_year_term_of")).format(schema=identifier),
            {"school_number": school, "yearid": parameters.yearid},
        ).fetchone()
        if term is None:
            raise PreconditionFailed("P2", school, f"the school has no year term for {_school_year(parameters.yearid)}")
    yearid, first_day, last_day = term
    if yearid < FIRST_YEARID:
        raise PreconditionFailed(
            "P2", school, f"school years before 2004-2005 cannot be synchronized ({_school_year(yearid)})"
        )
    start = parameters.start_date or first_day
    end = parameters.end_date or last_day
    if start > end:
        raise PreconditionFailed("P2", school, f"the start date {start} is after the end date {end}")
    if start < first_day or end > last_day:
        raise PreconditionFailed(
            "P2",
            school,
            f"the dates {start} to {end} are not inside the {_school_year(yearid)} year term "
            f"({first_day} to {last_day})",
        )
    return yearid, start, end


def bridge_request(parameters: RunParameters, yearid: int, start: date, end: date, direction: str) -> BridgeRequest:
    """The rules' request once the direction is resolved (P3)."""
    return BridgeRequest(parameters.school_number, yearid, direction, parameters.absent_periods, start, end)
