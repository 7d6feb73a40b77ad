"""The run report's precondition summary reads every rule a refusal names."""

from __future__ import annotations

from attendance_bridge.reporting.run_report import precondition_summary

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
