"""What a run asks for: its conf read strictly (SPEC section 3), and the request the rules receive.

Airflow accepts undeclared ``--conf`` keys silently and a JSON conf can carry any type, so
everything is checked here, once, before a single SIS row is read for the run (P1 and P2 in
part; the rest of P1/P2 needs the SIS: ``db.lookups.school_and_range``).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from attendance_bridge.config import (
    ABSENT_PERIODS_OPTIONS,
    ALL_PERIODS,
    DAILY_TO_MEETING,
    DIRECTION_AUTO,
    DIRECTIONS,
    DISTRICT_OFFICE_SCHOOL_NUMBER,
    FIRST_YEARID,
    LARGEST_SCHOOL_NUMBER,
    MEETING_TO_DAILY,
    YEARID_OFFSET,
)
from attendance_bridge.errors import InvalidParameter, PreconditionFailed


@dataclass(frozen=True)
class BridgeRequest:
    """What one run asks for, with ``auto`` already resolved to a direction (P3)."""

    school_number: int
    yearid: int
    direction: str
    absent_periods: str
    start_date: date
    end_date: date

    def __post_init__(self) -> None:
        if self.direction not in (MEETING_TO_DAILY, DAILY_TO_MEETING):
            raise ValueError(f"direction must be resolved before the rules run, got {self.direction!r}")
        if self.absent_periods not in ABSENT_PERIODS_OPTIONS:
            raise ValueError(f"absent_periods must be one of {ABSENT_PERIODS_OPTIONS}")
        if self.yearid < FIRST_YEARID:
            raise ValueError(f"yearid {self.yearid} is before 2004-2005")
        if self.start_date > self.end_date:
            raise ValueError(f"start date {self.start_date} is after end date {self.end_date}")


PARAMETER_NAMES = (
    "school_number", "year", "direction", "absent_periods", "start_date", "end_date", "dry_run", "follow_sources",
)  # fmt: skip
# PostgreSQL integer columns hold school numbers; anything larger is a typo, not a school.
# yearid 210 is 2200-2201: far enough for any real calendar, small enough to catch typos.
LARGEST_YEARID = 210
# Digits are ASCII digits: Python's int() and \d also read "３５" (full-width) or "٣٥" (Arabic-Indic) as 35,
# which nobody types for a year on purpose.
_SCHOOL_YEAR = re.compile(r"([0-9]{4})-([0-9]{4})")
# A yearid as text: what the trigger form's one-line field sends for 35.
_YEARID_TEXT = re.compile(r"[0-9]{1,3}")
_YEAR_FORMS = 'a yearid such as 35 or a school year such as "2025-2026"'
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
    # F7: the copies of the school in the range follow their sources (SPEC section 8).
    follow_sources: bool = True


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
        follow_sources=_flag("follow_sources", conf.get("follow_sources", True)),
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
    """A yearid (35, or "35" as the trigger form sends it) or a school year ("2025-2026"); P2: not before
    2004-2005. Empty text is no year, as null is (the form sends either for an empty field)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise InvalidParameter("year", f"must be {_YEAR_FORMS}, not {value!r} (asked for school {school})")
    if isinstance(value, str) and _YEARID_TEXT.fullmatch(value.strip()):
        value = int(value.strip())
    elif isinstance(value, str):
        match = _SCHOOL_YEAR.fullmatch(value.strip())
        if match is None or int(match[2]) != int(match[1]) + 1:
            raise InvalidParameter(
                "year", f"{value!r} is not a school year (asked for school {school}); write {_YEAR_FORMS}"
            )
        value = int(match[1]) - YEARID_OFFSET
    if not isinstance(value, int):
        raise InvalidParameter("year", f"must be {_YEAR_FORMS}, not {value!r} (asked for school {school})")
    if value < FIRST_YEARID:
        raise PreconditionFailed(
            "P2", school, f"school years before 2004-2005 cannot be synchronized (year {school_year(value)})"
        )
    if value > LARGEST_YEARID:
        raise InvalidParameter(
            "year",
            f"{value} would be the school year {school_year(value)} (asked for school {school}); check the number: "
            f"write {_YEAR_FORMS}",
        )
    return value


def school_year_proposals(today: date) -> list[str]:
    """The trigger form's proposals for the year: the school year ``today`` falls in (one starting on
    1 July, as most do) and the one before, newest first. Proposals only: the field takes any year."""
    first = today.year if today.month >= 7 else today.year - 1
    return [f"{first}-{first + 1}", f"{first - 1}-{first}"]


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


def school_year(yearid: int) -> str:
    """35 -> 2025-2026."""
    first = yearid + YEARID_OFFSET
    return f"{first}-{first + 1}"


@dataclass(frozen=True)
class RunScope:
    """What ``check_parameters`` settled for a sync run, and every later task reads: the school, its year and
    range (defaults filled in, P1 and P2 checked), what was asked for, and where the tables are.

    It travels between tasks as ``to_xcom()`` (plain JSON: dates as ISO text), read back with ``from_xcom``;
    the run report reads the same keys.
    """

    school_number: int
    yearid: int
    start_date: date
    end_date: date
    requested_direction: str
    absent_periods: str
    dry_run: bool
    sis_schema: str
    pipeline_schema: str
    # F7: whether the run makes the school's copies in its range follow their sources.
    follow_sources: bool = True
    # F7, the nightly bridge: the night's first day, when the range starts earlier because a copy of the year term
    # before the night no longer follows from its source (``db.lookups.first_stale_copy_day``); else None.
    looked_back_from: date | None = None

    def to_xcom(self) -> dict[str, Any]:
        value = {field.name: getattr(self, field.name) for field in fields(self)}
        looked_back = self.looked_back_from.isoformat() if self.looked_back_from else None
        return value | {
            "start_date": self.start_date.isoformat(), "end_date": self.end_date.isoformat(),
            "looked_back_from": looked_back,
        }  # fmt: skip

    @classmethod
    def from_xcom(cls, value: Mapping[str, Any]) -> RunScope:
        """The scope from its XCom form (other keys, such as the task's ``seconds``, are not part of it)."""
        # A scope written before issue 31 has no follow_sources: such a run did not follow (its tasks never read copies).
        later = ("follow_sources", "looked_back_from")
        known = {field.name: value[field.name] for field in fields(cls) if field.name not in later}
        known["follow_sources"] = bool(value.get("follow_sources", False))
        looked_back = value.get("looked_back_from")
        known["looked_back_from"] = date.fromisoformat(looked_back) if looked_back else None
        return cls(
            **known
            | {"start_date": date.fromisoformat(known["start_date"]), "end_date": date.fromisoformat(known["end_date"])}
        )

    def bridge_request(self, direction: str) -> BridgeRequest:
        """The rules' request once P3 has resolved the direction."""
        return BridgeRequest(
            self.school_number, self.yearid, direction, self.absent_periods, self.start_date, self.end_date
        )


# The finish DAG's conf (attendance_bridge_finish_run): the sync run to close.
FINISH_PARAMETER_NAMES = ("school_number", "run_id")


def parse_finish_request(conf: Mapping[str, Any]) -> tuple[int, str]:
    """(school, run id) from the conf, strictly: both are required, nothing else is known."""
    refuse_unknown(conf, FINISH_PARAMETER_NAMES, "finishing a run")
    school, run_id = conf.get("school_number"), conf.get("run_id")
    if isinstance(school, bool) or not isinstance(school, int):
        raise InvalidParameter("school_number", f"must be a whole number, not {school!r}")
    if school == DISTRICT_OFFICE_SCHOOL_NUMBER or not 0 < school <= LARGEST_SCHOOL_NUMBER:
        raise InvalidParameter("school_number", f"{school} is not a school's number (a positive whole number)")
    if not isinstance(run_id, str) or not run_id.strip():
        raise InvalidParameter("run_id", "is required: the id of the sync run to finish, as in its run log row")
    refuse_control_characters("run_id", run_id, "the id of the sync run to finish, as in its run log row")
    return school, run_id.strip()


def refuse_control_characters(name: str, value: str, what: str) -> None:
    """Refuse a text parameter with a control character (a NUL, a line break...): no run id has one, and PostgreSQL
    cannot hold a NUL; the message shows them escaped, and the value is never sent to the database."""
    if any(unicodedata.category(character) == "Cc" for character in value):
        raise InvalidParameter(
            name, f"{value!r} has a control character, so it cannot be {what}; copy it again without it"
        )


def plausible_school(value: Any) -> int | None:
    """A conf's school number when it could be one (a whole number within P1's range), else None.

    A refused conf keeps its value in ``parameters``; the report's and run log's school column must
    not carry a number the database cannot hold (2**63, say).
    """
    plausible = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= LARGEST_SCHOOL_NUMBER
    return value if plausible else None
