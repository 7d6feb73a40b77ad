"""The end-of-term plan and summary as pure functions (issue 6): rows in, plans and summaries out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from attendance_bridge.domain.reconciliation import (
    district_summary,
    interval_days,
    nothing_to_reconcile,
    plan_nights,
    plan_reconciliations,
    school_run_id,
)
from attendance_bridge.catalog import END_OF_TERM_DAG_ID, NIGHTLY_DAG_ID
from attendance_bridge.reporting.pages import district_summary_page


def term(school: int, termid: int, name: str, first: date, last: date, **settings: object) -> dict:
    """A row as ``find_terms_ending`` returns it (bridge on and Meeting current unless told)."""
    return {
        "school_number": school, "school_name": f"School {school}", "termid": termid,
        "yearid": termid // 100, "term_name": name, "term_abbreviation": name[:2], "firstday": first,
        "lastday": last, "year_term": termid % 100 == 0,
        "recording_method_current": True, "bridge_on": True, **settings,
    }  # fmt: skip


def test_an_interval_covers_its_days_in_the_district_s_timezone_and_consecutive_ones_cover_each_day_once() -> None:
    # 02:00 in Chicago is 08:00 UTC in January: the run covers the Chicago day before.
    start, end = datetime(2026, 1, 16, 8, tzinfo=UTC), datetime(2026, 1, 17, 8, tzinfo=UTC)
    assert interval_days(start, end, ZoneInfo("America/Chicago")) == (date(2026, 1, 16), date(2026, 1, 16))
    assert interval_days(datetime(2026, 1, 17, 8, tzinfo=UTC), datetime(2026, 1, 18, 8, tzinfo=UTC), ZoneInfo("America/Chicago")) == (
        date(2026, 1, 17), date(2026, 1, 17),
    )  # fmt: skip
    # A week-long interval (a backfill by hand, say) covers its seven days.
    assert interval_days(datetime(2026, 1, 5, 2, tzinfo=UTC), datetime(2026, 1, 12, 2, tzinfo=UTC), ZoneInfo("UTC")) == (
        date(2026, 1, 5), date(2026, 1, 11),
    )  # fmt: skip
    # A zero-length interval covers the day that ended before it.
    moment = datetime(2026, 1, 17, 2, tzinfo=UTC)
    assert interval_days(moment, moment, ZoneInfo("UTC")) == (date(2026, 1, 16), date(2026, 1, 16))


def test_one_sync_per_school_covering_the_longest_term_that_ended() -> None:
    year_first, s2_first, last = date(2025, 8, 18), date(2026, 1, 20), date(2026, 6, 5)
    planned, left_out = plan_reconciliations(
        [term(100, 3500, "2025-2026", year_first, last), term(100, 3502, "Semester 2", s2_first, last),
         term(200, 3502, "Semester 2", s2_first, last)],
        "report",
    )  # fmt: skip
    assert left_out == []
    assert [(entry["key"], entry["start_date"], entry["end_date"]) for entry in planned] == [
        ("school_100", "2025-08-18", "2026-06-05"),
        ("school_200", "2026-01-20", "2026-06-05"),
    ]
    assert [t["termid"] for t in planned[0]["terms"]] == [3500, 3502]
    # The parameters a manual sync would be given: auto direction, the term's dates; report mode is a dry run.
    assert planned[1]["conf"] == {
        "school_number": 200, "year": 35, "direction": "auto", "absent_periods": "all_periods",
        "start_date": "2026-01-20", "end_date": "2026-06-05", "dry_run": True,
    }  # fmt: skip
    apply, _ = plan_reconciliations([term(200, 3502, "Semester 2", s2_first, last)], "apply")
    assert apply[0]["conf"]["dry_run"] is False and apply[0]["mode"] == "apply"


def test_schools_without_a_current_method_or_a_bridge_are_left_out_with_their_reason() -> None:
    day = date(2026, 1, 16)
    planned, left_out = plan_reconciliations(
        [term(300, 3501, "Semester 1", date(2025, 8, 18), day, recording_method_current=False),
         term(400, 3501, "Semester 1", date(2025, 8, 18), day, bridge_on=False)],
        "apply",
    )  # fmt: skip
    assert planned == []
    assert [(entry["school_number"], entry["reason"]) for entry in left_out] == [
        (300, ("P3: school 300 has no current recording method for the 2025-2026 school year "
               "(ATT_RecordModeDaily and ATT_RecordModeMeeting are off or not set)")),
        (400, ("P4: the Meeting and Daily Attendance Bridge of school 400 is off or not set for the 2025-2026 "
               "school year")),
    ]  # fmt: skip


def test_a_school_with_terms_of_two_years_ending_gets_a_sync_per_year_with_distinct_run_ids() -> None:
    planned, _ = plan_reconciliations(
        [term(100, 3402, "Semester 2", date(2025, 1, 20), date(2025, 6, 6)),
         term(100, 3501, "Summer", date(2025, 6, 2), date(2025, 6, 6))],
        "report",
    )  # fmt: skip
    assert [entry["key"] for entry in planned] == ["school_100_year_34", "school_100_year_35"]
    assert school_run_id("scheduled__2025-06-06T02:00:00+00:00", planned[0]["key"]) == (
        "scheduled__2025-06-06T02:00:00+00:00__school_100_year_34"
    )


def test_a_term_without_a_first_day_is_left_out_and_the_school_s_other_terms_still_run() -> None:
    last = date(2026, 6, 5)
    planned, left_out = plan_reconciliations(
        [term(100, 3500, "2025-2026", None, last), term(100, 3502, "Semester 2", date(2026, 1, 20), last),
         term(200, 3502, "Semester 2", None, last)],
        "report",
    )  # fmt: skip
    assert [(entry["school_number"], entry["start_date"]) for entry in planned] == [(100, "2026-01-20")]
    assert [(entry["school_number"], entry["reason"]) for entry in left_out] == [
        (100, "P2: term '2025-2026' (id 3500) of school 100 has no first day in the SIS"),
        (200, "P2: term 'Semester 2' (id 3502) of school 200 has no first day in the SIS"),
    ]


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be one of report, apply"):
        plan_reconciliations([], "dry")


def test_every_school_s_sync_gets_the_run_s_absent_periods_and_an_unknown_one_is_refused() -> None:
    planned, _ = plan_reconciliations(
        [term(100, 3500, "2025-2026", date(2025, 8, 18), date(2026, 6, 5))], "apply", "untaken_periods"
    )
    assert [entry["conf"]["absent_periods"] for entry in planned] == ["untaken_periods"]
    with pytest.raises(ValueError, match="absent_periods must be one of all_periods, bridge_period_only, untaken"):
        plan_reconciliations([], "apply", "every_period")


def test_the_summary_lists_every_school_and_each_failure_with_its_reason() -> None:
    planned, left_out = plan_reconciliations(
        [term(100, 3501, "Semester 1", date(2025, 8, 18), date(2026, 1, 16)),
         term(200, 3501, "Semester 1", date(2025, 8, 18), date(2026, 1, 16)),
         term(300, 3501, "Semester 1", date(2025, 8, 18), date(2026, 1, 16)),
         term(400, 3501, "Semester 1", date(2025, 8, 18), date(2026, 1, 16), bridge_on=False)],
        "apply",
    )  # fmt: skip
    reports = {
        "school_100": {
            "run_id": "r__school_100", "status": "succeeded", "message": None,
            "resolved": {"direction": "meeting_to_daily"},
            "counts": {"candidates": 5, "inserted": 5, "skipped_existing": 1, "disagreements": 2, "ignored": 9},
        },
        "school_200": {"run_id": "r__school_200", "status": "failed", "message": "P5 failed for school 200: ...",
                       "resolved": {}, "counts": {}},
        "school_300": None,  # its report task never ran
    }  # fmt: skip
    links = {"school_100": "../../school_100/r__school_100/report.html", "school_200": None, "school_300": None}
    interval = {"first_day": "2026-01-16", "last_day": "2026-01-16", "timezone": "UTC", "mode": "apply"}

    summary = district_summary("r", interval, planned, left_out, reports, links)

    assert summary["outcome"] == "failed" and summary["mode"] == "apply"
    assert [(row["school_number"], row["outcome"]) for row in summary["schools"]] == [
        (100, "succeeded"), (200, "failed"), (300, "failed"),
    ]  # fmt: skip
    assert summary["schools"][0]["counts"] == {
        "candidates": 5, "inserted": 5, "skipped_existing": 1, "disagreements": 2,
    }  # fmt: skip
    assert summary["schools"][0]["report"] == links["school_100"]
    assert summary["failed"] == [
        {"school_number": 200, "school_name": "School 200", "reason": "P5 failed for school 200: ..."},
        {"school_number": 300, "school_name": "School 300",
         "reason": "no run report was written for this school; its task logs say why"},
    ]  # fmt: skip
    assert [row["school_number"] for row in summary["left_out"]] == [400]
    assert summary["totals"]["inserted"] == 5 and summary["totals"]["disagreements"] == 2

    page = district_summary_page(summary)
    assert 'data-school="200" data-outcome="failed"' in page and "P5 failed for school 200" in page
    assert 'href="../../school_100/r__school_100/report.html">100 School 100</a>' in page
    assert "300 School 300 (no report)" in page
    assert "Schools not reconciled" in page and "Meeting and Daily Attendance Bridge of school 400" in page


# --------------------------------------------------------------------------- the nightly bridge (SPEC section 7)


def year(school: int, bridge: list[str], methods: int = 1, yearid: int = 35, **more: object) -> dict:
    """A row as ``find_bridge_schools`` returns it: the school's year term and its settings."""
    first, last = date(1990 + yearid, 8, 18), date(1991 + yearid, 6, 5)
    return {
        "school_number": school, "school_name": f"School {school}", "yearid": yearid, "firstday": first,
        "lastday": last, "current_methods": methods, "bridge_values": bridge, **more,
    }  # fmt: skip


NIGHT = date(2026, 3, 2)


def test_b2_b3_a_one_way_school_gets_meeting_to_daily_and_a_two_way_school_both_syncs() -> None:
    planned, left_out = plan_nights([year(100, ["2"]), year(200, ["1"])], NIGHT, NIGHT, "apply")
    assert left_out == []
    assert [(entry["key"], entry["conf"]["direction"]) for entry in planned] == [
        ("school_100_meeting_to_daily", "meeting_to_daily"),
        ("school_100_daily_to_meeting", "daily_to_meeting"),
        ("school_200_meeting_to_daily", "meeting_to_daily"),
    ]
    # Each a sync of its own over the night, the bridge period only (B3); apply mode loads.
    assert planned[1]["conf"] == {
        "school_number": 100, "year": 35, "direction": "daily_to_meeting", "absent_periods": "bridge_period_only",
        "start_date": "2026-03-02", "end_date": "2026-03-02", "dry_run": False,
    }  # fmt: skip
    assert len({school_run_id("run", entry["key"]) for entry in planned}) == 3


def test_b1_b4_schools_whose_bridge_is_off_or_unclear_or_whose_method_is_not_one_are_left_out_with_the_reason() -> None:
    planned, left_out = plan_nights(
        [year(100, ["0"]), year(200, []), year(300, ["1", "2"]), year(400, ["1"], methods=0),
         year(500, ["2"], methods=2), year(600, ["1"]), year(700, ["3"])],
        NIGHT, NIGHT, "report",
    )  # fmt: skip
    assert [entry["school_number"] for entry in planned] == [600]
    assert planned[0]["conf"]["dry_run"] is True  # report mode: dry runs (B5)
    reasons = {entry["school_number"]: entry["reason"] for entry in left_out}
    assert reasons[100].startswith("B1:") and "is off (ATT_MeetingDailyBridge = '0')" in reasons[100]
    assert reasons[200].startswith("B1:") and "not set" in reasons[200]
    assert reasons[700].startswith("B1:") and "unknown setting '3'" in reasons[700]
    assert reasons[300].startswith("B1:") and "several settings" in reasons[300]
    assert reasons[400].startswith("P3:") and "no current recording method" in reasons[400]
    assert reasons[500].startswith("P3:") and "both recording methods current" in reasons[500]


def test_a_night_s_range_stays_inside_the_school_s_year_and_a_school_with_two_years_is_keyed_by_year() -> None:
    first, last = date(2026, 6, 1), date(2026, 8, 20)  # a long interval across the summer
    planned, _ = plan_nights([year(100, ["1"], yearid=35), year(100, ["1"], yearid=36)], first, last, "apply")
    assert [(entry["key"], entry["start_date"], entry["end_date"]) for entry in planned] == [
        ("school_100_year_35_meeting_to_daily", "2026-06-01", "2026-06-05"),
        ("school_100_year_36_meeting_to_daily", "2026-08-18", "2026-08-20"),
    ]


def test_an_unknown_nightly_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="mode must be one of report, apply"):
        plan_nights([], NIGHT, NIGHT, "dry")


def test_a_district_run_with_nothing_to_reconcile_has_a_summary_that_says_so_in_its_dag_s_words() -> None:
    """Issue 29: a quiet night and a day without a term end write a summary, so the Report tab has one."""
    one_day = {"first_day": "2026-07-15", "last_day": "2026-07-15", "timezone": "UTC", "mode": "report"}
    nightly = district_summary("scheduled__q", one_day, [], [], {}, {}, NIGHTLY_DAG_ID)
    assert nightly["outcome"] == "succeeded" and nightly["schools"] == []
    assert nightly["nothing_to_reconcile"] == "nothing to reconcile on 2026-07-15: no school's year covers that day"
    end_of_term = district_summary("scheduled__q", one_day, [], [], {}, {}, END_OF_TERM_DAG_ID)
    assert end_of_term["nothing_to_reconcile"] == (
        "nothing to reconcile on 2026-07-15: no school's term ended that day"
    )
    days = {**one_day, "last_day": "2026-07-17"}
    assert nothing_to_reconcile(NIGHTLY_DAG_ID, days) == (
        "nothing to reconcile on 2026-07-15 to 2026-07-17: no school's year covers those days"
    )
    page = district_summary_page(nightly)
    assert "Nothing to reconcile on 2026-07-15: no school&#39;s year covers that day." in page
    assert 'id="school-rows"' not in page
    # A run with a school left out reconciled nothing, but had something to say: its list, not this sentence.
    left_out = [{"school_number": 300, "school_name": "S", "reason": "B1: the bridge is off"}]
    assert district_summary("r", one_day, [], left_out, {}, {}, NIGHTLY_DAG_ID)["nothing_to_reconcile"] is None
