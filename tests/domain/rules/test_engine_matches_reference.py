"""Property test: the vectorised engine agrees with a plain-loop reading of SPEC section 5.

Hypothesis builds small random schools (bell schedules, A/B days, sections, enrolments with
dropped and date-bounded rows, attendance in every mode, some on holidays or out of range).
``reference_run`` below follows the SPEC's sentences one loop at a time; the engine must
return the same records and the same counts for every school and every run option.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pandas.testing as pdt
from attendance_bridge.config import MODE_DAILY, MODE_MEETING
from attendance_bridge.domain.frames import RECORD_DTYPES, SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules import bridge_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCHOOL, YEAR = 100, 35
FIRST_DAY = date(2025, 9, 1)
CODES = {1: "Present", 2: "Present", 3: "Absent", 4: "Absent"}
PERIOD_NUMBERS = [0, 1, 2]  # period id = 10 + number; few, so records collide often


@st.composite
def random_school(draw: st.DrawFn) -> tuple[dict[str, pd.DataFrame], BridgeRequest]:
    """A small random school and a run request over it."""
    n_days = draw(st.integers(1, 4))
    dates = [FIRST_DAY + timedelta(days=i) for i in range(n_days)]

    schedules, items = [], []
    for schedule_id in (1, 2):
        numbers = draw(st.lists(st.sampled_from(PERIOD_NUMBERS), min_size=1, max_size=3, unique=True))
        bridge = draw(st.sampled_from(numbers))
        time_in = draw(st.integers(6 * 3600, 9 * 3600))
        time_out = time_in + draw(st.integers(1, 8 * 3600))
        schedules.append((schedule_id, f"Schedule {schedule_id}"))
        for number in numbers:
            is_bridge = number == bridge
            items.append(
                (
                    len(items) + 1,
                    schedule_id,
                    10 + number,
                    int(is_bridge),
                    time_in if is_bridge else None,
                    time_out if is_bridge else None,
                )
            )

    calendar = []
    for day_id, day in enumerate(dates, start=500):
        in_session = draw(st.integers(0, 3)) > 0 or day_id == 500
        calendar.append(
            (
                day_id,
                SCHOOL,
                day,
                int(in_session),
                draw(st.sampled_from([1, 2])) if in_session else None,
                draw(st.sampled_from([1, 2])) if in_session else None,
            )
        )

    meetings = []
    for section_id in (1000, 1001, 1002):
        for letter in ("A", "B"):
            for number in draw(st.lists(st.sampled_from(PERIOD_NUMBERS), min_size=1, max_size=2, unique=True)):
                meetings.append((section_id, SCHOOL, YEAR, number, letter))
    # A meeting row of another year must not count.
    meetings.append((1000, SCHOOL, YEAR - 1, 2, "A"))

    cc = []
    for student in (1, 2):
        for section_id in draw(st.lists(st.sampled_from([1000, 1001, 1002]), min_size=1, max_size=3)):
            # Mostly enrolled all along; sometimes late, early-leaving or enrolled for no day.
            start = draw(st.sampled_from([0, 0, 1, n_days]))
            end = draw(st.sampled_from([n_days + 1, n_days + 1, start, start + 1]))
            dropped = draw(st.integers(0, 5)) == 0
            cc.append(
                (
                    9000 + len(cc),
                    student,
                    -section_id if dropped else section_id,
                    SCHOOL,
                    FIRST_DAY + timedelta(days=start),
                    FIRST_DAY + timedelta(days=end),
                )
            )

    first = draw(st.integers(0, n_days - 1))
    last = draw(st.integers(first, n_days - 1))
    request = BridgeRequest(
        SCHOOL,
        YEAR,
        draw(st.sampled_from(["meeting_to_daily", "daily_to_meeting"])),
        draw(st.sampled_from(["all_periods", "bridge_period_only", "untaken_periods"])),
        dates[first],
        dates[last],
    )

    attendance = []
    cc_ids = [0] + [row[0] for row in cc]
    # Mostly days in the range, so records meet; sometimes out of range or with no calendar row.
    day_offsets = st.one_of(st.integers(first, last), st.integers(first, last), st.integers(0, n_days))
    for record_id in draw(st.lists(st.integers(1, 80), min_size=6, max_size=30, unique=True)):
        # Mostly the source mode; the target mode sometimes, to meet records that exist already.
        source, target = (
            (MODE_MEETING, MODE_DAILY) if request.direction == "meeting_to_daily" else (MODE_DAILY, MODE_MEETING)
        )
        mode = draw(st.sampled_from([source, source, source, source, target, "ATT_ModeInterval"]))
        day = FIRST_DAY + timedelta(days=draw(day_offsets))
        if mode == MODE_DAILY:
            ccid, periodid = 0, 0
        else:
            ccid, periodid = draw(st.sampled_from(cc_ids)), 10 + draw(st.sampled_from(PERIOD_NUMBERS))
        attendance.append(
            (record_id, draw(st.integers(1, 2)), SCHOOL, day, draw(st.sampled_from(list(CODES))), mode, ccid, periodid)
        )

    # D7: teachers who took attendance: Meeting records of enrolments on the days of other records,
    # so a period's section is often taken on a day another student's absence is copied to.
    for extra in range(draw(st.integers(0, 6))):
        enrolment = draw(st.sampled_from(cc))
        day = draw(st.sampled_from([row[3] for row in attendance]))
        period = 10 + draw(st.sampled_from(PERIOD_NUMBERS))
        code = draw(st.sampled_from(list(CODES)))
        attendance.append((100 + extra, enrolment[1], SCHOOL, day, code, MODE_MEETING, enrolment[0], period))

    # X9: some records were built by an earlier run (in the lineage): copies, never sources.
    built = draw(st.lists(st.sampled_from([row[0] for row in attendance]), max_size=4, unique=True))

    tables = {
        "built_records": _frame("id", [(record_id,) for record_id in built]),
        "calendar_day": _frame("id schoolid date_value insession bell_schedule_id cycle_day_id", calendar),
        "cycle_day": _frame("id letter", [(1, "A"), (2, "B")]),
        "bell_schedule": _frame("id name", schedules),
        "bell_schedule_items": _frame(
            "id bell_schedule_id period_id daily_attendance_code daily_time_in_default daily_time_out_default", items
        ),
        "period": _frame("id period_number name", [(10 + n, n, f"P{n}") for n in PERIOD_NUMBERS]),
        "section_meeting": _frame("sectionid schoolid year_id period_number cycle_day_letter", meetings),
        "cc": _frame("id studentid sectionid schoolid dateenrolled dateleft", cc),
        "attendance": _frame(
            "id studentid schoolid att_date attendance_codeid att_mode_code ccid periodid", attendance
        ),
        "attendance_code": _frame(
            "id att_code presence_status_cd", [(code, f"C{code}", status) for code, status in CODES.items()]
        ),
    }
    return tables, request


def _frame(columns: str, rows: list[tuple]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=columns.split())


def _by_student_day(attendance: list[dict], days: dict, mode: str) -> dict[tuple, list[dict]]:
    """The school's records of ``mode`` on the in-session days of the range, by (student, day)."""
    found: dict[tuple, list[dict]] = {}
    for a in attendance:
        if a["att_mode_code"] == mode and a["att_date"] in days:
            found.setdefault((a["studentid"], a["att_date"]), []).append(a)
    return found


def reference_run(tables: dict[str, pd.DataFrame], request: BridgeRequest) -> tuple[list[tuple], dict[str, int]]:
    """SPEC section 5, one sentence at a time, with plain loops over plain rows."""
    rows = {name: frame.to_dict("records") for name, frame in tables.items()}
    letter_of = {r["id"]: r["letter"] for r in rows["cycle_day"]}
    number_of = {r["id"]: r["period_number"] for r in rows["period"]}
    presence = {r["id"]: r["presence_status_cd"] for r in rows["attendance_code"]}

    # Day context: in-session days of the range with B(d), L(d), P*(d) and the periods of B(d).
    days = {}
    for r in rows["calendar_day"]:
        if r["insession"] == 1 and request.start_date <= r["date_value"] <= request.end_date:
            schedule_items = [i for i in rows["bell_schedule_items"] if i["bell_schedule_id"] == r["bell_schedule_id"]]
            bridge = next(i for i in schedule_items if i["daily_attendance_code"] == 1)
            days[r["date_value"]] = {
                "id": r["id"],
                "letter": letter_of[r["cycle_day_id"]],
                "bridge": bridge,
                "periods": [i["period_id"] for i in schedule_items],
            }

    def scheduled(student: int, period_id: int, day: date) -> list[int]:
        """The enrolments through which the student is scheduled in the period that day."""
        found = []
        for c in rows["cc"]:
            if c["studentid"] == student and c["sectionid"] > 0 and c["dateenrolled"] <= day < c["dateleft"]:
                if period_id in days[day]["periods"] and any(
                    m["sectionid"] == c["sectionid"]
                    and m["cycle_day_letter"] == days[day]["letter"]
                    and m["period_number"] == number_of[period_id]
                    and m["year_id"] == request.yearid
                    for m in rows["section_meeting"]
                ):
                    found.append(c["id"])
        return found

    source_mode = MODE_MEETING if request.direction == "meeting_to_daily" else MODE_DAILY
    read = [a for a in rows["attendance"] if a["att_mode_code"] == source_mode]
    built = {r["id"] for r in rows["built_records"]}
    on_day = [a for a in read if a["att_date"] in days]  # X3
    used = [a for a in on_day if a["id"] not in built]  # X9: a record a run built is never a source
    counts = dict.fromkeys(
        ["skipped_existing", "conflicts", "mismatches", "unscheduled", "outside_bridge_period", "possible_false_absences",
         "skipped_taken"],
        0,
    )  # fmt: skip
    # D7: the (section, day, period) where a teacher took attendance: a Meeting record no run built.
    section_of = {c["id"]: c["sectionid"] for c in rows["cc"]}
    taken = {
        (section_of[a["ccid"]], a["att_date"], a["periodid"])
        for a in rows["attendance"]
        if a["att_mode_code"] == MODE_MEETING and a["id"] not in built and a["ccid"] in section_of
    }
    records = []
    if request.direction == "meeting_to_daily":
        by_student_day: dict[tuple, list[dict]] = {}
        for a in used:
            if a["periodid"] == days[a["att_date"]]["bridge"]["period_id"]:
                by_student_day.setdefault((a["studentid"], a["att_date"]), []).append(a)
            else:
                counts["outside_bridge_period"] += 1  # M4
        for (student, day), candidates in by_student_day.items():
            has_daily = any(
                a["att_mode_code"] == MODE_DAILY and a["studentid"] == student and a["att_date"] == day
                for a in rows["attendance"]
            )
            if has_daily:  # M1
                counts["skipped_existing"] += 1
                continue
            chosen = min(candidates, key=lambda a: (presence[a["attendance_codeid"]] != "Absent", a["id"]))  # M2
            counts["conflicts"] += sum(a["attendance_codeid"] != chosen["attendance_codeid"] for a in candidates)
            bridge = days[day]["bridge"]
            tin, tout = bridge["daily_time_in_default"], bridge["daily_time_out_default"]
            records.append(
                (
                    student,
                    SCHOOL,
                    YEAR,
                    day,
                    days[day]["id"],
                    chosen["attendance_codeid"],
                    MODE_DAILY,
                    0,
                    0,
                    chosen["id"],
                    tin,
                    tout,
                    (tout - tin) // 60,
                )
            )  # M3
    else:
        would_be: dict[tuple, list[dict]] = {}
        for x in sorted(used, key=lambda a: a["id"]):  # D1
            day = days[x["att_date"]]
            targets = {day["bridge"]["period_id"]}  # D2
            if presence[x["attendance_codeid"]] == "Absent" and request.absent_periods != "bridge_period_only":
                targets |= set(day["periods"])
            produced = 0
            for period_id in targets:  # D3
                for ccid in set(scheduled(x["studentid"], period_id, x["att_date"])):
                    would_be.setdefault((x["studentid"], x["att_date"], ccid, period_id), []).append(x)
                    produced += 1
            if produced == 0:  # D5
                counts["unscheduled"] += 1
        for (student, day, ccid, period_id), sources in would_be.items():
            winner = sources[0]  # D6: lowest attendance id (sources are in id order)
            existing_codes = [
                a["attendance_codeid"]
                for a in rows["attendance"]
                if a["att_mode_code"] == MODE_MEETING
                and (a["studentid"], a["att_date"], a["ccid"], a["periodid"]) == (student, day, ccid, period_id)
            ]
            if existing_codes:  # D4
                counts["skipped_existing"] += 1
                counts["mismatches"] += winner["attendance_codeid"] not in existing_codes
                continue
            if period_id != days[day]["bridge"]["period_id"] and (section_of[ccid], day, period_id) in taken:  # D7
                if request.absent_periods == "untaken_periods":
                    counts["skipped_taken"] += 1
                    continue
                counts["possible_false_absences"] += 1
            counts["conflicts"] += len(sources) - 1
            records.append(
                (
                    student,
                    SCHOOL,
                    YEAR,
                    day,
                    days[day]["id"],
                    winner["attendance_codeid"],
                    MODE_MEETING,
                    ccid,
                    period_id,
                    winner["id"],
                    None,
                    None,
                    None,
                )
            )
    # Disagreements: per student-day with both, the first Daily record's code (lowest id) against
    # M2's choice among the bridge-period Meeting records.
    disagreements = 0
    for (student, day), daily in _by_student_day(rows["attendance"], days, MODE_DAILY).items():
        bridge_period = days[day]["bridge"]["period_id"]
        meeting = [
            a
            for a in _by_student_day(rows["attendance"], days, MODE_MEETING).get((student, day), [])
            if a["periodid"] == bridge_period
        ]
        if meeting:
            first_daily = min(daily, key=lambda a: a["id"])
            chosen = min(meeting, key=lambda a: (presence[a["attendance_codeid"]] != "Absent", a["id"]))
            disagreements += first_daily["attendance_codeid"] != chosen["attendance_codeid"]
    counts |= {
        "disagreements": disagreements,
        "source_records_read": len(read),
        "ignored": len(read) - len(used),
        "ignored_built": len(on_day) - len(used),
        "candidates": len(records),
    }
    return records, counts


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_school())
def test_engine_matches_the_plain_loop_reference(school: tuple[dict[str, pd.DataFrame], BridgeRequest]) -> None:
    tables, request = school
    result = bridge_records(SchoolFrames.from_tables(**tables), request)
    expected_rows, expected_counts = reference_run(tables, request)

    expected = pd.DataFrame(expected_rows, columns=list(RECORD_DTYPES))
    expected["att_date"] = pd.to_datetime(expected["att_date"])
    expected = (
        expected.astype(RECORD_DTYPES).sort_values(["att_date", "studentid", "periodid", "ccid"]).reset_index(drop=True)
    )
    pdt.assert_frame_equal(result.records, expected)
    assert result.counts == expected_counts
