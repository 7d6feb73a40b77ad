"""The run report's precondition summary: every rule a refusal names, and the warnings of checks that are not
critical (issue 20, point 4)."""

from __future__ import annotations

from attendance_bridge.catalog import DETAIL_TABLES, without_rule_note
from attendance_bridge.reporting.run_report import (
    load_warnings,
    precondition_summary,
    precondition_warnings,
    report_counts,
    run_report,
)

CHECKED = {"check_parameters": {"school_number": 100}}


def statuses(upstream: dict, message: str | None) -> dict[str, tuple[str, str | None]]:
    return {row["rule"]: (row["status"], row["detail"]) for row in precondition_summary(upstream, message)}


def test_a_refusal_naming_two_rules_marks_both_failed_each_with_its_own_words() -> None:
    message = (
        "P5 failed for school 100: the bell schedule 'Regular' (id 301) has no bridge period. "
        "P6 failed for school 100: the attendance code 'T' (id 12) is neither Present nor Absent."
    )
    summary = statuses(CHECKED, message)
    assert summary["P5"] == (
        "failed",
        "P5 failed for school 100: the bell schedule 'Regular' (id 301) has no bridge period.",
    )
    assert summary["P6"][0] == "failed" and summary["P6"][1].startswith(
        "P6 failed for school 100: the attendance code 'T'"
    )
    assert summary["P1"][0] == summary["P2"][0] == "passed"
    assert summary["P3"] == summary["P4"] == ("not checked", None)


def test_a_refused_school_fails_p1_and_leaves_the_rest_unchecked() -> None:
    summary = statuses({}, "P1 failed for school 0: the district office cannot be synchronized")
    assert summary["P1"][0] == "failed"
    assert {rule: state for rule, (state, _) in summary.items() if rule != "P1"} == dict.fromkeys(
        ("P2", "P3", "P4", "P5", "P6"), "not checked"
    )


def test_a_message_that_names_no_rule_fails_none() -> None:
    summary = statuses(CHECKED, "load_missing_records stopped on an unexpected error: disk full")
    assert "failed" not in {state for state, _ in summary.values()}


# DQ1 (a data-quality check, not critical) as validate_preconditions returns it, next to a passed P5 check.
DQ1_FAILED = {
    "rule": "DQ1",
    "suite": "data_quality_enrolments",
    "expectation": "expect_column_values_to_be_in_set",
    "description": "every enrolment leaves after the day it starts (dateleft is exclusive)",
    "critical": False,
    "passed": False,
    "message": "the enrolment cc.id 2002139 of student 1000194 (2025-11-14 to 2025-11-14) ends before it starts, "
    "so it schedules nobody.",
}
P5_PASSED = {"rule": "P5", "description": "every bell schedule in use has one bridge period", "critical": True,
             "passed": True, "message": ""}  # fmt: skip


def test_a_non_critical_check_that_failed_follows_p1_to_p6_as_a_warning_naming_its_object() -> None:
    upstream = {
        **CHECKED,
        "validate_preconditions": {"checks": [P5_PASSED, DQ1_FAILED, {**DQ1_FAILED, "rule": "DQ2", "passed": True}]},
    }
    report = run_report("attendance_bridge_sync", "manual__1", "dag_test", {}, upstream, None, [], None)

    rows = report["preconditions"]
    assert [row["rule"] for row in rows] == ["P1", "P2", "P3", "P4", "P5", "P6", "DQ1"]
    assert rows[-1] == {
        "rule": "DQ1",
        "status": "warning",
        "detail": DQ1_FAILED["message"],
        "description": "every enrolment leaves after the day it starts (dateleft is exclusive)",
    }
    assert {row["rule"]: row["status"] for row in rows}["P5"] == "passed"


def test_p1_and_p2_say_where_they_were_checked_in_words_not_by_task_id() -> None:
    summary = statuses(CHECKED, None)
    assert (
        summary["P1"]
        == summary["P2"]
        == (
            "passed",
            "checked in the SIS when the run started, before any record was read",
        )
    )
    assert not precondition_warnings(CHECKED)
    # A critical check that failed is the rule's failure, never a warning.
    failed = {"validate_preconditions": {"checks": [{**DQ1_FAILED, "rule": "P6", "critical": True}]}}
    assert precondition_warnings(failed) == []
    assert statuses(failed, None)["P6"][0] == "failed"


def test_a_run_that_stopped_without_a_word_names_the_step_in_words_and_its_task_for_the_log() -> None:
    report = run_report("attendance_bridge_sync", "manual__1", None, {}, CHECKED, None, [], None)
    assert (report["status"], report["stopped_at"]) == ("failed", "extract_school_tables")
    assert report["message"] == (
        "the run stopped at the step 'Read the school's tables' (task extract_school_tables); see that task's log"
    )


def test_the_report_shows_an_expectations_sentence_without_the_rule_note_the_rule_column_carries() -> None:
    checks = [
        {**P5_PASSED, "description": "Every school day in the range has a bell schedule (P5)."},
        {**P5_PASSED, "description": "Every bell schedule used in the range has one bridge period (P5)."},
        {**P5_PASSED, "description": "Every school day in the range has a bell schedule (P5)."},
    ]
    p5 = next(
        row for row in precondition_summary({"validate_preconditions": {"checks": checks}}, None) if row["rule"] == "P5"
    )
    assert p5 == {
        "rule": "P5",
        "status": "passed",
        "detail": "Every school day in the range has a bell schedule. Every bell schedule used in the range has one bridge period.",
    }
    assert without_rule_note("Every enrolment ends after the day it starts (DQ1; a warning: the run goes on).") == (
        "Every enrolment ends after the day it starts."
    )
    assert (
        without_rule_note("A sentence (with a note) that is not a rule's.")
        == "A sentence (with a note) that is not a rule's."
    )


def test_a_run_that_followed_reports_what_its_load_did_to_the_copies_and_warns_of_those_it_left() -> None:
    """F8: the load's recodes and withdrawals replace the compute's count; a copy or source that changed between
    the judgement and the load is not a person's edit the run saw: it is said in words (the load's warning), next
    to the list it is still on, and edited_not_followed stays what the run judged."""
    judged = {"candidates": 0, "recoded": 3, "withdrawn": 2, "edited_not_followed": 1}
    loaded = {"inserted_attendance": 0, "recoded": 2, "withdrawn": 2, "left_changed": 1}

    assert {name: report_counts(judged, loaded, False)[name] for name in judged if name != "candidates"} == {
        "recoded": 2, "withdrawn": 2, "edited_not_followed": 1,
    }  # fmt: skip
    assert report_counts(judged, {}, True)["recoded"] == 3  # a dry run: what a load would do
    assert "recoded" not in report_counts({"candidates": 0}, {}, False)  # a run that did not follow
    [warning] = load_warnings(loaded)
    assert warning.startswith("F2: 1 of the copies this run was to recode or withdraw were changed")
    assert "'Copies followed'" in warning and DETAIL_TABLES["followed"].startswith("Copies followed")
    assert load_warnings({**loaded, "left_changed": 0}) == []
