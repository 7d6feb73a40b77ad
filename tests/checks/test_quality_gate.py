"""The Great Expectations gate on the tiny school: P3-P6, the candidate checks C1-C4, suite loading."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from attendance_bridge.checks import recording_direction, validate_candidates, validate_preconditions
from attendance_bridge.checks.candidates import candidate_checks
from attendance_bridge.checks.suites import SUITES, SuiteLoadError, load_suite, suite_document
from attendance_bridge.config import DAILY_TO_MEETING, EXPECTATIONS_DIR, MEETING_TO_DAILY, MODE_DAILY, PROJECT_ROOT
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.errors import PreconditionFailed

from tests.support.tiny_school import EXCUSED, HR, MON, PRESENT_BLANK, THU, TUE, daily, meeting, request, school, tables

SOUND_PREFS = [("ATT_RecordModeDaily", "0"), ("ATT_RecordModeMeeting", "1"), ("ATT_MeetingDailyBridge", "2")]


def prefs(rows: list[tuple[str, str | None]] = SOUND_PREFS) -> pd.DataFrame:
    """The school's prefs rows (id, name, value)."""
    return pd.DataFrame([(i, n, v) for i, (n, v) in enumerate(rows, 1)], columns=["id", "name", "value"]).astype(
        {"id": "int64", "name": "str", "value": "str"}
    )


def gate(frames=None, school_prefs=None):
    """validate_preconditions over the tiny school's week."""
    frames = frames if frames is not None else school(daily(1, 1, MON, EXCUSED), meeting(2, 1, TUE, EXCUSED, 9003, 12))
    return validate_preconditions(frames, school_prefs if school_prefs is not None else prefs(), 100, MON, THU, "test")


def refusal(outcome) -> str:
    """The message the run would stop with."""
    with pytest.raises(PreconditionFailed) as raised:
        outcome.raise_for_failure(100)
    return str(raised.value)


def items_with(item_id: int, **changes: object) -> pd.DataFrame:
    """The bell schedule items with one item changed, or dropped when no change is given."""
    items = tables()["bell_schedule_items"]
    if not changes:
        return items.loc[items["id"] != item_id]
    return items.assign(**{k: items[k].where(items["id"] != item_id, v) for k, v in changes.items()})


def test_a_sound_school_passes_every_check() -> None:
    outcome = gate()
    assert outcome.success
    assert {check.rule for check in outcome.checks} >= {"P3", "P4", "P5", "P6", "DQ1"}
    assert set(outcome.results) == set(SUITES)
    outcome.raise_for_failure(100)


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [("ATT_RecordModeDaily", "0"), ("ATT_RecordModeMeeting", "0"), ("ATT_MeetingDailyBridge", "2")],
            "neither is set as current",
        ),
        (
            [("ATT_RecordModeDaily", "1"), ("ATT_RecordModeMeeting", "1"), ("ATT_MeetingDailyBridge", "2")],
            "both are set as current",
        ),
    ],
)
def test_p3_needs_exactly_one_current_recording_method(rows, expected) -> None:
    message = refusal(gate(school_prefs=prefs(rows)))
    assert message.startswith("P3 failed for school 100: school 100 must record attendance by exactly one method")
    assert expected in message
    assert recording_direction(prefs(rows)) is None


@pytest.mark.parametrize(
    ("bridge", "shown"),
    [
        ([("ATT_MeetingDailyBridge", "0")], "is set to none (0)"),
        ([], "is missing"),
        ([("ATT_MeetingDailyBridge", None)], "is missing"),
        ([("ATT_MeetingDailyBridge", " ")], "is missing"),
        ([("ATT_MeetingDailyBridge", "1"), ("ATT_MeetingDailyBridge", "2")], "is set more than once"),
        ([("ATT_MeetingDailyBridge", "yes")], "is set to 'yes'"),
    ],
    ids=["none", "deleted", "null", "blank", "twice", "not-a-setting"],
)
def test_p4_needs_the_bridge_one_way_or_two_way(bridge, shown) -> None:
    rows = [("ATT_RecordModeDaily", "0"), ("ATT_RecordModeMeeting", "1"), *bridge]
    message = refusal(gate(school_prefs=prefs(rows)))
    assert message == (
        "P4 failed for school 100: the Meeting and Daily Attendance Bridge (ATT_MeetingDailyBridge) of school 100 "
        f"{shown}; it must be one-way (1) or two-way (2)."
    )


def test_p3_auto_direction_follows_the_current_method() -> None:
    assert recording_direction(prefs()) == MEETING_TO_DAILY
    daily_now = [("ATT_RecordModeDaily", "1"), ("ATT_RecordModeMeeting", "0"), ("ATT_MeetingDailyBridge", "1")]
    assert recording_direction(prefs(daily_now)) == DAILY_TO_MEETING


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (items_with(5), "the bell schedule 'Early Release' (id 2, first used on 2025-09-02) has 0 bridge periods"),
        (
            items_with(4, daily_attendance_code=1, daily_time_in_default=1, daily_time_out_default=2),
            "'Early Release' (id 2, first used on 2025-09-02) has 2 bridge periods",
        ),
        (
            items_with(1, daily_time_in_default=None),
            "'Regular' (id 1, first used on 2025-09-01) needs a default time in",
        ),
        (
            items_with(1, daily_time_in_default=15 * 3600, daily_time_out_default=8 * 3600),
            "found time in 15:00, time out 08:00",
        ),
        (items_with(1, period_id=99), "points at period id 99, which does not exist"),
        (
            items_with(2, period_id=99),
            (
                "P5 failed for school 100: the item id 2 of the bell schedule 'Regular' (id 1, first used on 2025-09-01) "
                "points at period id 99, which does not exist."
            ),
        ),
    ],
)
def test_p5_every_bell_schedule_in_use_has_one_sound_bridge_period(items, expected) -> None:
    frames = school(daily(1, 1, MON, EXCUSED), bell_schedule_items=items)
    message = refusal(gate(frames))
    assert message.startswith("P5 failed for school 100")
    assert expected in message


def test_p5_an_unused_bell_schedule_without_a_bridge_is_fine() -> None:
    raw = tables()
    unused = pd.concat([raw["bell_schedule"], pd.DataFrame([(3, "Assembly")], columns=["id", "name"])])
    assert gate(school(daily(1, 1, MON, EXCUSED), bell_schedule=unused)).success


def test_p5_an_in_session_day_needs_a_bell_schedule_and_a_letter() -> None:
    calendar = tables()["calendar_day"]
    no_schedule = calendar.assign(bell_schedule_id=calendar["bell_schedule_id"].where(calendar["id"] != 504, None))
    assert "the in-session day 2025-09-04 has no bell schedule" in refusal(gate(school(calendar_day=no_schedule)))
    no_letter = calendar.assign(cycle_day_id=calendar["cycle_day_id"].where(calendar["id"] != 502, None))
    assert "the in-session day 2025-09-02 has no cycle day" in refusal(gate(school(calendar_day=no_letter)))


def test_p5_a_day_with_two_calendar_rows_is_named_with_both_bell_schedules() -> None:
    calendar = tables()["calendar_day"]
    second = pd.DataFrame([(599, 100, TUE, 1, 1, 2)], columns=calendar.columns)
    outcome = gate(school(daily(1, 1, MON, EXCUSED), calendar_day=pd.concat([calendar, second], ignore_index=True)))
    assert [(check.rule, check.suite) for check in outcome.failures()] == [("P5", "preconditions_calendar")]
    assert refusal(outcome) == (
        "P5 failed for school 100: the day 2025-09-02 has 2 calendar rows (bell schedules 'Early Release' (id 2) "
        "and 'Regular' (id 1)); it must have exactly one."
    )


def test_p5_the_calendar_suite_checks_one_calendar_row_per_day() -> None:
    # GX 1.x drops an expectation it cannot parse; the loaded suite must still hold this one.
    columns = [expectation.column for expectation in load_suite("preconditions_calendar").expectations]
    assert columns == ["calendar_rows", "has_bell_schedule", "has_cycle_day"]


def test_p6_an_unknown_code_is_named() -> None:
    message = refusal(gate(school(daily(1, 1, MON, 77), daily(2, 2, TUE, 77))))
    assert message.startswith(
        "P6 failed for school 100: the attendance code id 77 (used by 2 records, the first being record 1 of student "
        "id 1 on 2025-09-01) does not exist"
    )
    assert "does not exist" in message


def test_p6_a_code_neither_present_nor_absent_is_named() -> None:
    codes = tables()["attendance_code"]
    odd = codes.assign(presence_status_cd=codes["presence_status_cd"].where(codes["id"] != EXCUSED, "Tardy"))
    message = refusal(gate(school(daily(1, 1, MON, EXCUSED), attendance_code=odd)))
    assert (
        "the attendance code 'E' (id 3, used by 1 record from 2025-09-01 on)" in message
        and "presence status 'Tardy'" in message
    )


@pytest.mark.parametrize("status", [None, "", "  "], ids=["null", "empty", "blank"])
def test_p6_a_known_code_without_a_presence_status_is_named(status) -> None:
    codes = tables()["attendance_code"]
    empty = codes.assign(presence_status_cd=codes["presence_status_cd"].where(codes["id"] != EXCUSED, status))
    outcome = gate(school(daily(1, 1, MON, EXCUSED), attendance_code=empty))
    assert [check.rule for check in outcome.failures()] == ["P6"]
    message = refusal(outcome)
    assert "the attendance code 'E' (id 3, used by 1 record from 2025-09-01 on) has presence status '(none)'" in message


def test_p6_the_blank_present_code_is_named_as_blank() -> None:
    codes = tables()["attendance_code"]
    empty = codes.assign(presence_status_cd=codes["presence_status_cd"].where(codes["id"] != PRESENT_BLANK, None))
    message = refusal(gate(school(daily(1, 1, MON, PRESENT_BLANK), attendance_code=empty)))
    assert (
        "the blank attendance code (id 1, used by 1 record from 2025-09-01 on) has presence status '(none)'" in message
    )


def test_p6_an_unknown_code_is_reported_once() -> None:
    outcome = gate(school(daily(1, 1, MON, 77)))
    assert [check.expectation for check in outcome.failures()] == ["expect_column_values_to_be_in_set"]
    assert refusal(outcome).count("attendance code id 77") == 1


def test_the_refusal_names_each_failed_rule_starting_with_the_first() -> None:
    outcome = gate(school(daily(1, 1, MON, 77), bell_schedule_items=items_with(5)))
    message = refusal(outcome)
    assert message.startswith("P5 failed for school 100: the bell schedule 'Early Release'")
    assert " P6 failed for school 100: the attendance code id 77 (used by 1 record, the first being record 1" in message
    assert message.count("failed for school 100") == 2


def test_every_failed_check_is_in_the_message_and_non_critical_ones_only_warn() -> None:
    cc = tables()["cc"]
    backwards = cc.assign(dateleft=cc["dateleft"].where(cc["id"] != 9007, cc["dateenrolled"].iloc[0]))
    outcome = gate(school(daily(1, 1, MON, 77), bell_schedule_items=items_with(5), cc=backwards))
    rules = [check.rule for check in outcome.failures()]
    assert rules == ["P5", "P6"]
    warned = [check for check in outcome.checks if not check.passed and not check.critical]
    assert [check.rule for check in warned] == ["DQ1"] and "cc.id 9007" in warned[0].message
    message = refusal(outcome)
    assert message.startswith("P5 failed") and "attendance code id 77" in message


def test_candidates_the_engine_builds_pass() -> None:
    frames = school(daily(1, 1, MON, EXCUSED), meeting(2, 2, TUE, EXCUSED, 9004, 99), daily(3, 2, THU, EXCUSED))
    for direction in (MEETING_TO_DAILY, DAILY_TO_MEETING):
        records = bridge_records(frames, request(direction)).records
        assert validate_candidates(records, frames, direction, "test", 100).success


def test_no_candidates_pass() -> None:
    frames = school(daily(1, 1, MON, EXCUSED))
    records = bridge_records(frames, request(MEETING_TO_DAILY)).records
    assert records.empty
    assert validate_candidates(records, frames, MEETING_TO_DAILY, "test", 100).success


@pytest.mark.parametrize(
    ("change", "rule", "words"),
    [
        (lambda r: pd.concat([r, r.iloc[:1]]), "C1", "would be inserted 2 times"),
        (lambda r: r.assign(attendance_codeid=55), "C2", "attendance code that does not exist"),
        (lambda r: r.assign(ccid=4242), "C2", "enrolment that does not exist"),
        (lambda r: r.assign(parent_attendanceid=4242), "C2", "source record that does not exist"),
        (lambda r: r.assign(schoolid=200), "C4", "belongs to school 200, not to school 100, the school of this run"),
        (
            lambda r: r.assign(att_mode_code=MODE_DAILY),
            "C4",
            "is a record of mode ATT_ModeDaily, but this run builds ATT_ModeMeeting records only",
        ),
    ],
)
def test_candidate_checks_refuse_bad_records(change, rule, words) -> None:
    frames = school(daily(1, 1, MON, EXCUSED))
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    assert not records.empty
    outcome = validate_candidates(change(records).reset_index(drop=True), frames, DAILY_TO_MEETING, "test", 100)
    assert rule in [check.rule for check in outcome.failures()]
    assert words in refusal(outcome)


def test_a_candidate_already_in_the_sis_is_refused() -> None:
    frames = school(daily(1, 1, MON, EXCUSED))
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    existing = school(daily(1, 1, MON, EXCUSED), meeting(2, 1, MON, EXCUSED, 9001, HR))
    outcome = validate_candidates(records, existing, DAILY_TO_MEETING, "test", 100)
    assert [check.rule for check in outcome.failures()] == ["C3"]
    assert "is already in the SIS" in refusal(outcome)


def test_candidates_ignore_existing_records_with_empty_key_parts() -> None:
    # A Meeting row with NULL ccid and periodid is in the SIS: it cannot be a record the run
    # builds, and it must not crash the existence check (C3).
    frames = school(daily(1, 1, MON, EXCUSED))
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    odd = school(daily(1, 1, MON, EXCUSED), meeting(2, 1, MON, EXCUSED, None, None), meeting(3, 1, TUE, 1, 9001, None))
    assert validate_candidates(records, odd, DAILY_TO_MEETING, "test", 100).success


def test_candidate_offenders_are_found_by_row_number_and_named_afterwards() -> None:
    frames = school(daily(1, 1, MON, EXCUSED))
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    checked = candidate_checks(records, frames, DAILY_TO_MEETING, 100)
    # No per-row text for GX; the frame's index is the row number that points back into the records.
    assert "label" not in checked.columns and checked.index.tolist() == list(range(len(records)))
    bad = records.assign(attendance_codeid=records["attendance_codeid"].where(records.index != 2, 55))
    outcome = validate_candidates(bad.set_axis(range(10, 10 + len(bad))), frames, DAILY_TO_MEETING, "test", 100)
    row = bad.iloc[2]
    words = (
        f"the record for student {row.studentid} on 2025-09-01 (period id {row.periodid}, enrolment {row.ccid}) "
        "refers to an attendance code that does not exist."
    )
    assert [check.message for check in outcome.failures()] == [words]
    failed = next(r for r in outcome.results["candidates"]["results"] if not r["success"])["result"]
    assert "unexpected_index_column_names" not in failed
    label = words.removesuffix(" refers to an attendance code that does not exist.")
    assert failed["partial_unexpected_index_list"] == [{"row": 2, "code_exists": False, "label": label}]


def test_great_expectations_logs_nothing_below_warning() -> None:
    # A fresh interpreter: GX logs ~200 INFO lines while it is imported, which Airflow's task
    # log would show; the gate quiets GX's loggers before importing it.
    script = (
        "import logging, sys; logging.basicConfig(level=logging.INFO, stream=sys.stdout, format='%(name)s %(message)s')\n"
        "from tests.checks.test_quality_gate import gate\n"
        "assert gate().success\n"
        "print('done')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
        env={**os.environ, "PYTHONPATH": f"{PROJECT_ROOT / 'plugins'}:{PROJECT_ROOT}"},
    )  # fmt: skip
    lines = done.stdout.splitlines()
    assert lines[-1] == "done"
    assert [line for line in lines if line.startswith("great_expectations")] == []


@pytest.mark.parametrize("name", [path.stem for path in EXPECTATIONS_DIR.glob("*.json")])
def test_every_suite_loads_in_full_with_its_sentences_severity_and_rule(name) -> None:
    document = suite_document(name)
    suite = load_suite(name)
    assert len(suite.expectations) == len(document["expectations"]) > 0
    assert {"table", "rows"} <= set(document["meta"])
    for written, loaded in zip(document["expectations"], suite.expectations, strict=True):
        assert {"rule", "objects", "message"} <= set(written["meta"])
        # GX's own fields: the sentence Data Docs show, and whether a failure stops the run.
        assert loaded.description == written["description"] and written["description"].endswith(").")
        assert f"({written['meta']['rule']}" in written["description"]
        assert loaded.severity.value == written["severity"] in ("critical", "warning")
        assert (written["severity"] == "warning") == written["meta"]["rule"].startswith("DQ")


def test_a_suite_with_an_invalid_expectation_is_refused(tmp_path: Path) -> None:
    document = suite_document("preconditions_calendar")
    document["expectations"][0]["kwargs"]["no_such_argument"] = 1
    (tmp_path / "broken.json").write_text(json.dumps(document))
    with pytest.raises(SuiteLoadError, match="broken.json"):
        load_suite("broken", tmp_path)
    document["expectations"] = []
    (tmp_path / "empty.json").write_text(json.dumps(document))
    with pytest.raises(SuiteLoadError, match="holds 0 expectations"):
        load_suite("empty", tmp_path)
