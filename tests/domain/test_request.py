"""Run parameters (SPEC section 3): strict parsing, with P1/P2 refusals that name the object."""

from __future__ import annotations

from datetime import date

import pytest
from attendance_bridge.config import RETRIES_ENV, whole_number
from attendance_bridge.domain.request import (
    RunParameters,
    parse_finish_request,
    parse_run_parameters,
    school_year_proposals,
)
from attendance_bridge.domain.rollback_plan import parse_request
from attendance_bridge.errors import InvalidParameter, PreconditionFailed


def test_defaults_of_spec_section_3() -> None:
    assert parse_run_parameters({"school_number": 100}) == RunParameters(
        school_number=100,
        yearid=None,
        direction="auto",
        absent_periods="all_periods",
        start_date=None,
        end_date=None,
        dry_run=False,
    )


def test_every_parameter_given() -> None:
    parsed = parse_run_parameters(
        {
            "school_number": 200,
            "year": "2025-2026",
            "direction": "daily_to_meeting",
            "absent_periods": "bridge_period_only",
            "start_date": "2025-09-01",
            "end_date": "2025-12-19",
            "dry_run": True,
        }
    )
    assert parsed == RunParameters(
        200, 35, "daily_to_meeting", "bridge_period_only", date(2025, 9, 1), date(2025, 12, 19), True
    )


@pytest.mark.parametrize(
    ("conf", "name", "message"),
    [
        ({"school_number": 100, "schol": 1}, "schol", r"does not know the parameter\(s\) 'schol'"),
        ({}, "school_number", "is required"),
        ({"school_number": "100"}, "school_number", "must be a whole number, not '100'"),
        ({"school_number": 100.0}, "school_number", "must be a whole number"),
        ({"school_number": True}, "school_number", "must be a whole number"),
        ({"school_number": "100; DROP TABLE attendance"}, "school_number", "must be a whole number"),
        ({"school_number": 100, "year": "2025-2027"}, "year", "not a school year"),
        ({"school_number": 100, "year": "2025/2026"}, "year", "not a school year"),
        ({"school_number": 100, "year": "35' OR '1'='1"}, "year", "not a school year"),
        ({"school_number": 100, "year": 35.5}, "year", "must be a yearid"),
        ({"school_number": 100, "year": 10**12}, "year", "check the number"),
        ({"school_number": 100, "direction": "both"}, "direction", "must be one of auto, meeting_to_daily"),
        ({"school_number": 100, "direction": "auto'--"}, "direction", "must be one of"),
        ({"school_number": 100, "absent_periods": "some"}, "absent_periods", "must be one of all_periods"),
        ({"school_number": 100, "start_date": "2025-02-30"}, "start_date", "YYYY-MM-DD, not '2025-02-30'"),
        ({"school_number": 100, "end_date": "next friday"}, "end_date", "YYYY-MM-DD"),
        ({"school_number": 100, "end_date": "20250901"}, "end_date", "YYYY-MM-DD"),
        ({"school_number": 100, "start_date": 20250901}, "start_date", "YYYY-MM-DD"),
        ({"school_number": 100, "dry_run": "yes"}, "dry_run", "true or false, not 'yes'"),
        ({"school_number": 100, "dry_run": 1}, "dry_run", "true or false"),
    ],
)
def test_malformed_parameters_are_refused_by_name(conf: dict, name: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message) as refused:
        parse_run_parameters(conf)
    assert refused.value.name == name
    assert str(refused.value).startswith(f"Run parameter {name!r}")


@pytest.mark.parametrize(
    ("conf", "rule", "message"),
    [
        (
            {"school_number": 0},
            "P1",
            r"P1 failed for school 0: the district office \(school 0\) cannot be synchronized",
        ),
        ({"school_number": -4}, "P1", "a school number is a positive whole number"),
        ({"school_number": 2**40}, "P1", "a school number is a positive whole number"),
        (
            {"school_number": 100, "year": 13},
            "P2",
            r"P2 failed for school 100: school years before 2004-2005 .*2003-2004",
        ),
        ({"school_number": 100, "year": "2003-2004"}, "P2", "before 2004-2005"),
        (
            {"school_number": 100, "start_date": "2025-10-01", "end_date": "2025-09-01"},
            "P2",
            "the start date 2025-10-01 is after the end date 2025-09-01",
        ),
    ],
)
def test_precondition_refusals_without_the_database(conf: dict, rule: str, message: str) -> None:
    with pytest.raises(PreconditionFailed, match=message) as refused:
        parse_run_parameters(conf)
    assert refused.value.rule == rule


@pytest.mark.parametrize(
    ("given", "yearid"),
    [(35, 35), ("35", 35), (" 35 ", 35), ("2025-2026", 35), (" 2025-2026 ", 35), ("", None), (None, None)],
)
def test_the_year_is_a_yearid_as_a_number_or_as_the_form_s_text_or_a_school_year(given: object, yearid) -> None:
    """SPEC section 3: yearid (int) or "2025-2026"; the trigger form's one-line field sends "35" as text (issue 20)."""
    assert parse_run_parameters({"school_number": 100, "year": given}).yearid == yearid


def test_a_yearid_given_as_text_meets_p2_as_the_number_does() -> None:
    with pytest.raises(PreconditionFailed, match=r"^P2 failed for school 100: school years before 2004-2005") as p2:
        parse_run_parameters({"school_number": 100, "year": "13"})
    assert p2.value.rule == "P2" and p2.value.school_number == 100


@pytest.mark.parametrize("junk", ["last year", "2025", "35a", "35.0", "-3", "2025/2026"])
def test_a_year_that_is_neither_form_is_refused_naming_the_parameter_the_school_and_the_value(junk: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_run_parameters({"school_number": 200, "year": junk})
    assert refused.value.name == "year"
    assert str(refused.value) == (
        f"Run parameter 'year': {junk!r} is not a school year (asked for school 200); "
        'write a yearid such as 35 or a school year such as "2025-2026"'
    )


@pytest.mark.parametrize(
    ("today", "proposals"),
    [(date(2026, 1, 15), ["2025-2026", "2024-2025"]), (date(2026, 7, 1), ["2026-2027", "2025-2026"])],
)
def test_the_form_proposes_this_school_year_and_the_one_before(today: date, proposals: list[str]) -> None:
    assert school_year_proposals(today) == proposals
    assert [parse_run_parameters({"school_number": 100, "year": year}).yearid for year in proposals] == [
        int(year[:4]) - 1990 for year in proposals
    ]


@pytest.mark.parametrize("year", ["３５", "٣٥", "２０２５-２０２６", "2025-２０２６", "3５"])
def test_a_year_in_digits_that_are_not_ascii_is_refused_as_the_other_years_are(year: str) -> None:
    """Python's int() and \\d read "３５" (full-width) and "٣٥" (Arabic-Indic) as 35 (issue 30)."""
    with pytest.raises(InvalidParameter) as refused:
        parse_run_parameters({"school_number": 100, "year": year})
    assert str(refused.value) == (
        f"Run parameter 'year': {year!r} is not a school year (asked for school 100); "
        'write a yearid such as 35 or a school year such as "2025-2026"'
    )


@pytest.mark.parametrize("date_text", ["２０２５-０９-０１", "2025-09-0١"])
def test_a_date_in_digits_that_are_not_ascii_is_refused(date_text: str) -> None:
    with pytest.raises(InvalidParameter, match=r"^Run parameter 'start_date': must be a date written as YYYY-MM-DD"):
        parse_run_parameters({"school_number": 100, "start_date": date_text})


@pytest.mark.parametrize("text", ["", "3", " 12 "])
def test_a_setting_s_whole_number_is_in_ascii_digits(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RETRIES_ENV, text)
    assert whole_number(RETRIES_ENV, 7) == (int(text) if text.strip() else 7)
    monkeypatch.setenv(RETRIES_ENV, "３")
    with pytest.raises(ValueError, match=f"^{RETRIES_ENV} must be a whole number of 0 or more, not '３'$"):
        whole_number(RETRIES_ENV, 7)


def test_a_key_with_a_nul_is_named_with_the_nul_escaped() -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse_run_parameters({"school_number": 100, "scool\x00\n": 1})
    assert str(refused.value).startswith("Run parameter 'scool\\x00\\n': this run does not know the parameter(s) ")
    assert "\x00" not in str(refused.value)


@pytest.mark.parametrize(("parse", "what"), [(parse_finish_request, "finish"), (parse_request, "undo")])
@pytest.mark.parametrize("run_id", ["manual__2025\x00", "manual\n__2025", "\x1b[31mmanual"])
def test_a_run_id_with_a_control_character_is_refused_before_it_reaches_the_database(parse, what, run_id) -> None:
    with pytest.raises(InvalidParameter) as refused:
        parse({"school_number": 100, "run_id": run_id})
    assert str(refused.value) == (
        f"Run parameter 'run_id': {run_id!r} has a control character, so it cannot be the id of the sync run to "
        f"{what}{', as in its run log row' if what == 'finish' else ''}; copy it again without it"
    )
