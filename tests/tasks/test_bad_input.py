"""The bad-input catalogue (issue 4): the real sync DAG, run with ``dag.test()`` on a real
PostgreSQL, against every precondition P1-P6 broken in the data and every kind of malformed
parameter. Whatever the input, the run changes nothing in any SIS table, and the refusal
says which rule (or parameter) and which object, in a school administrator's words.

Who refuses what is in ``docs/bad-input.md``: Airflow itself refuses a conf that breaks the
DAG's typed params (wrong type, a value outside an enum, a date that is not a date) before any
task runs, so there is no run, no report and no run log row; everything else reaches
``check_parameters`` (P1, P2, the parameters) or the Great Expectations gate (P3-P6) and
ends as a failed run with its report.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from attendance_bridge.config import SIS_SCHEMA_ENV

from tests.support.sync_sandbox import Sandbox, run_report_folder, run_sync, snapshot

pytestmark = pytest.mark.integration

SQL_FRAGMENT = "35'; DROP TABLE attendance; --"
QUOTE = "O'Brien"
GOOD = {"school_number": 100, "year": 35}
# The items of one of school 100's bell schedules, by name.
ITEMS_OF = (
    "bell_schedule_id IN (SELECT id FROM {{sis}}.bell_schedule WHERE schoolid = 100 AND year_id = 35 "
    "AND name = '{name}')"
)
BRIDGE_ITEM_OF_REGULAR = ITEMS_OF.format(name="Regular") + " AND daily_attendance_code = 1"
PREF = "UPDATE {{sis}}.prefs SET value = {value} WHERE schoolid = 100 AND yearid = 35 AND name = '{name}'"


@dataclass(frozen=True)
class Case:
    """One bad input: the conf, the SIS edits that break a rule, and what the refusal must say."""

    conf: dict
    starts: str  # the message's first words: the rule and school, or the parameter
    words: tuple[str, ...]  # the offending object, as the message names it
    stopped_at: str = "validate_preconditions"
    setup: tuple[str, ...] = field(default=())


def data(*setup: str, starts: str, words: tuple[str, ...], **values: object) -> Case:
    """A precondition broken in the SIS data of school 100 (P3-P6: the Great Expectations gate)."""
    return Case({**GOOD, **values}, starts, words, "validate_preconditions", setup)


def conf(starts: str, *words: str, **values: object) -> Case:
    """A conf refused by check_parameters (P1, P2 or a parameter), before anything is read."""
    return Case(values, starts, words, "check_parameters")


REFUSED_BY_THE_RUN = {
    # P1: one real school.
    "P1 district office 0": conf("P1 failed for school 0", "the district office (school 0)", school_number=0, year=35),
    "P1 unknown school 999": conf("P1 failed for school 999", "no school with number 999", school_number=999, year=35),
    "P1 negative school": conf("P1 failed for school -5", "positive whole number", school_number=-5, year=35),
    "P1 huge school number": conf(
        "P1 failed for school 1000000000000", "up to 2147483647", school_number=10**12, year=35
    ),
    # P2: a year from 2004-2005 on, that the school has; a range inside its year term.
    "P2 yearid 13": conf("P2 failed for school 100", "before 2004-2005", "2003-2004", school_number=100, year=13),
    "P2 year 2003-2004": conf("P2 failed for school 100", "before 2004-2005", school_number=100, year="2003-2004"),
    "P2 yearid 13 as text": conf("P2 failed for school 100", "before 2004-2005", school_number=100, year="13"),
    "P2 negative year": conf("P2 failed for school 100", "before 2004-2005", school_number=100, year=-3),
    "P2 no year term": conf("P2 failed for school 100", "no year term for 2020-2021", school_number=100, year=30),
    "P2 start before the term": conf(
        "P2 failed for school 100",
        "the dates 2025-08-01 to 2026-06-05 are not inside the 2025-2026 year term (2025-08-18 to 2026-06-05)",
        **GOOD,
        start_date="2025-08-01",
    ),
    "P2 end after the term": conf(
        "P2 failed for school 100",
        "2025-09-01 to 2026-07-01 are not inside",
        **GOOD,
        start_date="2025-09-01",
        end_date="2026-07-01",
    ),
    "P2 reversed range": conf(
        "P2 failed for school 100",
        "the start date 2025-10-01 is after the end date 2025-09-01",
        **GOOD,
        start_date="2025-10-01",
        end_date="2025-09-01",
    ),
    # P3: exactly one current recording method.
    "P3 no current method": data(
        PREF.format(value="'0'", name="ATT_RecordModeMeeting"),
        starts="P3 failed for school 100",
        words=("must record attendance by exactly one method", "neither is set as current"),
    ),
    "P3 two current methods": data(
        PREF.format(value="'1'", name="ATT_RecordModeDaily"),
        starts="P3 failed for school 100",
        words=("both are set as current (ATT_RecordModeDaily and ATT_RecordModeMeeting are both 1)",),
    ),
    # P4: the bridge one-way or two-way.
    "P4 bridge none": data(
        PREF.format(value="'0'", name="ATT_MeetingDailyBridge"),
        starts="P4 failed for school 100",
        words=("Meeting and Daily Attendance Bridge (ATT_MeetingDailyBridge) of school 100 is set to none (0)",),
    ),
    "P4 bridge deleted": data(
        "DELETE FROM {sis}.prefs WHERE schoolid = 100 AND yearid = 35 AND name = 'ATT_MeetingDailyBridge'",
        starts="P4 failed for school 100",
        words=("(ATT_MeetingDailyBridge) of school 100 is missing",),
    ),
    "P4 bridge empty": data(
        PREF.format(value="''", name="ATT_MeetingDailyBridge"),
        starts="P4 failed for school 100",
        words=("(ATT_MeetingDailyBridge) of school 100 is missing",),
    ),
    "P4 bridge null": data(
        PREF.format(value="NULL", name="ATT_MeetingDailyBridge"),
        starts="P4 failed for school 100",
        words=("(ATT_MeetingDailyBridge) of school 100 is missing",),
    ),
    # P5: every bell schedule in use has one sound bridge period.
    "P5 no bridge period": data(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 0 WHERE " + ITEMS_OF.format(name="Early Release"),
        starts="P5 failed for school 100",
        words=("the bell schedule 'Early Release' (id ", "has 0 bridge periods", "it needs exactly one"),
    ),
    "P5 two bridge periods": data(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 1 WHERE id = (SELECT min(id) FROM "
        "{sis}.bell_schedule_items WHERE daily_attendance_code = 0 AND " + ITEMS_OF.format(name="Regular") + ")",
        starts="P5 failed for school 100",
        words=("the bell schedule 'Regular' (id ", "has 2 bridge periods"),
    ),
    "P5 missing default times": data(
        "UPDATE {sis}.bell_schedule_items SET daily_time_in_default = NULL, daily_time_out_default = NULL WHERE "
        + BRIDGE_ITEM_OF_REGULAR,
        starts="P5 failed for school 100",
        words=("the bridge period of the bell schedule 'Regular'", "(found time in (none), time out (none))"),
    ),
    "P5 missing default time out": data(
        "UPDATE {sis}.bell_schedule_items SET daily_time_out_default = NULL WHERE " + BRIDGE_ITEM_OF_REGULAR,
        starts="P5 failed for school 100",
        words=("'Regular'", "(found time in 08:00, time out (none))"),
    ),
    "P5 inverted default times": data(
        "UPDATE {sis}.bell_schedule_items SET daily_time_in_default = 54000, daily_time_out_default = 28800 WHERE "
        + BRIDGE_ITEM_OF_REGULAR,
        starts="P5 failed for school 100",
        words=(
            "'Regular'",
            "needs a default time in before its default time out (found time in 15:00, time out 08:00)",
        ),
    ),
    "P5 bridge period that does not exist": data(
        "UPDATE {sis}.bell_schedule_items SET period_id = 999999 WHERE " + BRIDGE_ITEM_OF_REGULAR,
        starts="P5 failed for school 100",
        words=("the bridge period of the bell schedule 'Regular'", "points at period id 999999, which does not exist"),
    ),
    # Issue 30: a period of the bell schedule other than its bridge period, deleted. Period 6 is
    # an item of Regular only (and of Assembly, which no day uses); under all_periods D2 targets it.
    "P5 period of the bell schedule that does not exist": data(
        "DELETE FROM {sis}.period WHERE schoolid = 100 AND year_id = 35 AND name = 'Period 6'",
        starts="P5 failed for school 100",
        words=(
            "P5 failed for school 100: the item id ",
            " of the bell schedule 'Regular' (id ",
            ", first used on 2025-08-18) points at period id ",
            ", which does not exist.",
        ),
        direction="daily_to_meeting",
        absent_periods="all_periods",
    ),
    "P5 in-session day without a bell schedule": data(
        "UPDATE {sis}.calendar_day SET bell_schedule_id = NULL WHERE schoolid = 100 AND date_value = '2025-09-03'",
        starts="P5 failed for school 100",
        words=("the in-session day 2025-09-03 has no bell schedule",),
    ),
    "P5 two calendar rows for one day": data(
        "INSERT INTO {sis}.calendar_day (id, schoolid, date_value, insession, bell_schedule_id, cycle_day_id) "
        "SELECT (SELECT max(id) + 1 FROM {sis}.calendar_day), schoolid, date_value, insession, (SELECT id FROM "
        "{sis}.bell_schedule WHERE schoolid = 100 AND year_id = 35 AND name = 'Early Release'), cycle_day_id "
        "FROM {sis}.calendar_day WHERE schoolid = 100 AND date_value = '2025-09-03'",
        starts="P5 failed for school 100",
        words=(
            "the day 2025-09-03 has 2 calendar rows (bell schedules 'Regular' (id ",
            ") and 'Early Release' (id ",
            "); it must have exactly one.",
        ),
    ),
    # P6: every code the school's records use exists and is Present or Absent.
    "P6 unknown code": data(
        "UPDATE {sis}.attendance SET attendance_codeid = 999999 WHERE id = (SELECT min(id) FROM {sis}.attendance "
        "WHERE schoolid = 100 AND att_mode_code = 'ATT_ModeMeeting')",
        starts="P6 failed for school 100",
        words=("the attendance code id 999999 (used by 1 record, the first being record ", "does not exist"),
    ),
    "P6 status Tardy": data(
        "UPDATE {sis}.attendance_code SET presence_status_cd = 'Tardy' WHERE schoolid = 100 AND att_code = 'T'",
        starts="P6 failed for school 100",
        words=("the attendance code 'T' (id ", "has presence status 'Tardy'; it must be Present or Absent"),
    ),
    "P6 status null": data(
        "UPDATE {sis}.attendance_code SET presence_status_cd = NULL WHERE schoolid = 100 AND att_code = 'T'",
        starts="P6 failed for school 100",
        words=("the attendance code 'T' (id ", "has presence status '(none)'; it must be Present or Absent"),
    ),
    "P6 status empty": data(
        "UPDATE {sis}.attendance_code SET presence_status_cd = '' WHERE schoolid = 100 AND att_code IS NULL",
        starts="P6 failed for school 100",
        words=("the blank attendance code (id ", "has presence status '(none)'"),
    ),
    # Two rules at once: the refusal names both, the first first.
    "P5 and P6 together": data(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 0 WHERE " + ITEMS_OF.format(name="Early Release"),
        "UPDATE {sis}.attendance_code SET presence_status_cd = 'Tardy' WHERE schoolid = 100 AND att_code = 'T'",
        starts="P5 failed for school 100",
        words=("'Early Release'", "P6 failed for school 100: the attendance code 'T'"),
    ),
    # Malformed parameters that Airflow's params let through.
    "unknown key": conf("Run parameter 'scool'", "does not know the parameter(s) 'scool'", **GOOD, scool="typo"),
    "unknown key with SQL": conf(
        'Run parameter "x\'; DROP TABLE attendance; --"',
        "does not know",
        **GOOD,
        **{"x'; DROP TABLE attendance; --": 1},
    ),
    "year 2025-2027": conf(
        "Run parameter 'year'", "'2025-2027' is not a school year", school_number=100, year="2025-2027"
    ),
    "year not a year": conf(
        "Run parameter 'year'",
        "'last year' is not a school year (asked for school 100)",
        school_number=100,
        year="last year",
    ),
    "year 2025": conf(
        "Run parameter 'year'", "'2025' is not a school year", "yearid such as 35", school_number=100, year="2025"
    ),
    "huge year": conf("Run parameter 'year'", "1000000000 would be the school year", school_number=100, year=10**9),
    "year with SQL": conf(
        "Run parameter 'year'", f'"{SQL_FRAGMENT}" is not a school year', school_number=100, year=SQL_FRAGMENT
    ),
    "year with a quote": conf("Run parameter 'year'", f'"{QUOTE}" is not a school year', school_number=100, year=QUOTE),
    # Text PostgreSQL cannot hold (a NUL) or that only looks like a number: refused in words, never sent to the SIS.
    "unknown key with a NUL": conf(
        "Run parameter 'scool\\x00'", "does not know the parameter(s) 'scool\\x00'", **GOOD, **{"scool\x00": 1}
    ),
    "year with a NUL": conf(
        "Run parameter 'year'",
        "'35\\x00' is not a school year (asked for school 100)",
        school_number=100,
        year="35\x00",
    ),
    "year in full-width digits": conf(
        "Run parameter 'year'",
        "'\uff13\uff15' is not a school year (asked for school 100); write a yearid such as 35",
        school_number=100,
        year="\uff13\uff15",
    ),
    # The SIS as the load needs it: checked in the catalog by check_parameters, before a SIS table is read.
    "a vendor column the load does not fill": Case(
        GOOD,
        "The SIS table attendance has a column that must be filled",
        ("vendor_flag (NOT NULL, without a default)", "school 100", "give vendor_flag a default"),
        "check_parameters",
        (
            "ALTER TABLE {sis}.attendance ADD COLUMN vendor_flag integer NOT NULL DEFAULT 0",
            "ALTER TABLE {sis}.attendance ALTER COLUMN vendor_flag DROP DEFAULT",
        ),
    ),
}

# Refused by Airflow before any task runs (the DAG's typed params): parameter -> conf.
REFUSED_BY_AIRFLOW = {
    "school_number missing": ("school_number", {"year": 35}),
    "school_number as text": ("school_number", {"school_number": "100", "year": 35}),
    "school_number true": ("school_number", {"school_number": True, "year": 35}),
    "school_number with SQL": ("school_number", {"school_number": "100; DROP TABLE attendance", "year": 35}),
    "year 35.5": ("year", {**GOOD, "year": 35.5}),
    "year true": ("year", {**GOOD, "year": True}),
    "year as a list": ("year", {**GOOD, "year": [35]}),
    "start_date 2025-02-30": ("start_date", {**GOOD, "start_date": "2025-02-30"}),
    "start_date yesterday": ("start_date", {**GOOD, "start_date": "yesterday"}),
    "start_date with SQL": ("start_date", {**GOOD, "start_date": "2025-09-01'; DROP TABLE attendance; --"}),
    "start_date with a quote": ("start_date", {**GOOD, "start_date": QUOTE}),
    "end_date 20250901": ("end_date", {**GOOD, "end_date": 20250901}),
    "end_date with SQL": ("end_date", {**GOOD, "end_date": SQL_FRAGMENT}),
    "end_date with a quote": ("end_date", {**GOOD, "end_date": QUOTE}),
    "direction both": ("direction", {**GOOD, "direction": "both"}),
    "direction with SQL": ("direction", {**GOOD, "direction": "auto'; DROP TABLE attendance; --"}),
    "direction with a quote": ("direction", {**GOOD, "direction": QUOTE}),
    "absent_periods with SQL": ("absent_periods", {**GOOD, "absent_periods": SQL_FRAGMENT}),
    "absent_periods with a quote": ("absent_periods", {**GOOD, "absent_periods": QUOTE}),
    "dry_run yes": ("dry_run", {**GOOD, "dry_run": "yes"}),
    "dry_run null": ("dry_run", {**GOOD, "dry_run": None}),
    "follow_sources yes": ("follow_sources", {**GOOD, "follow_sources": "yes"}),
    "follow_sources 1": ("follow_sources", {**GOOD, "follow_sources": 1}),
}


def lineage_rows(box: Sandbox) -> int:
    """Rows in the pipeline's lineage table (0 when the pipeline schema was never created)."""
    exists = box.q("SELECT to_regclass(%(t)s) IS NOT NULL", t=f'"{box.pipeline_schema}".lineage')[0][0]
    return box.q("SELECT count(*) FROM {pipeline}.lineage")[0][0] if exists else 0


def run_log_rows(box: Sandbox) -> list[tuple]:
    """The run log's (status, message) rows ([] when the pipeline schema was never created)."""
    exists = box.q("SELECT to_regclass(%(t)s) IS NOT NULL", t=f'"{box.pipeline_schema}".run_log')[0][0]
    return box.q("SELECT status, message FROM {pipeline}.run_log") if exists else []


def attendance_table_exists(box: Sandbox) -> bool:
    return box.q("SELECT to_regclass(%(t)s) IS NOT NULL", t=f'"{box.schema}".attendance')[0][0]


@pytest.mark.parametrize("case", REFUSED_BY_THE_RUN.values(), ids=REFUSED_BY_THE_RUN.keys())
def test_bad_input_fails_the_run_with_a_clear_message_and_changes_nothing(sandbox, sync_dag, case: Case) -> None:
    for statement in case.setup:
        sandbox.q(statement)
    before = snapshot(sandbox)

    state, report = run_sync(sync_dag, **case.conf)

    assert state == "failed" and report["status"] == "failed"
    message = report["message"]
    assert message.startswith(case.starts), message
    for words in case.words:
        assert words in message, message
    assert report["stopped_at"] == case.stopped_at
    rule = case.starts.split()[0]
    if rule in ("P1", "P2", "P3", "P4", "P5", "P6"):
        assert {p["rule"]: p["status"] for p in report["preconditions"]}[rule] == "failed"
    # The run log says the same, in the same words; nothing landed anywhere.
    assert sandbox.q("SELECT status, message FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"]) == [
        ("failed", message)
    ]
    assert snapshot(sandbox) == before
    assert lineage_rows(sandbox) == 0
    assert attendance_table_exists(sandbox)


@pytest.mark.parametrize("missing", ["schema", "table"])
def test_a_sis_schema_or_table_that_is_not_there_is_named_with_the_setting_that_names_it(
    sandbox, sync_dag, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    before = snapshot(sandbox)
    if missing == "schema":
        # A typo in the setting, or a SIS not yet restored into its schema.
        monkeypatch.setenv(SIS_SCHEMA_ENV, f"{sandbox.schema}_typo")
        words = (f"the SIS schema '{sandbox.schema}_typo' does not exist in the SIS database", "school 100")
    else:
        sandbox.q("ALTER TABLE {sis}.cc RENAME TO cc_renamed")
        words = (f"the SIS schema '{sandbox.schema}' has no table cc (asked for school 100)",)
    try:
        state, report = run_sync(sync_dag, **GOOD)
    finally:
        if missing == "table":
            sandbox.q("ALTER TABLE {sis}.cc_renamed RENAME TO cc")

    assert state == "failed" and report["status"] == "failed"
    message = report["message"]
    assert message.startswith(f"Setting {SIS_SCHEMA_ENV}: "), message
    for expected in (*words, f"set {SIS_SCHEMA_ENV} to the schema that holds the SIS tables", "nothing was changed"):
        assert expected in message, message
    assert report["stopped_at"] == "check_parameters"
    assert sandbox.q("SELECT status, message FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"]) == [
        ("failed", message)
    ]
    assert snapshot(sandbox) == before
    assert lineage_rows(sandbox) == 0


@pytest.mark.parametrize(("name", "bad_conf"), REFUSED_BY_AIRFLOW.values(), ids=REFUSED_BY_AIRFLOW.keys())
def test_a_conf_that_breaks_the_dag_params_is_refused_by_airflow_before_any_task(
    sandbox, sync_dag, name: str, bad_conf: dict
) -> None:
    from airflow.sdk.exceptions import ParamValidationError

    before = snapshot(sandbox)

    with pytest.raises(ParamValidationError) as refused:
        sync_dag.test(run_conf=bad_conf, logical_date=datetime.now(UTC))

    assert str(refused.value).startswith(f"Invalid input for param {name}:")
    # No task ran: no report, no run log row, nothing written.
    assert list(Path(run_report_folder()).glob("**/report.json")) == []
    assert run_log_rows(sandbox) == []
    assert snapshot(sandbox) == before
    assert lineage_rows(sandbox) == 0
