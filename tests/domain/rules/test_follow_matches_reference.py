"""Property test: copies follow their sources (SPEC section 8) as a plain-loop reading of F1-F5 says.

Hypothesis draws a random school and run (``random_school``, the engine's property test) over its
whole calendar, adds a few enrolments and source records so that most examples build something,
and the engine builds its records as a first run would; a second run of the other direction
sometimes builds beside it, as the two-way nightly bridge does (B3). What they built is added to
the school's attendance with fresh ids as copies, a few of which a person then changed or deleted
(F2). Then the sources and the calendar are corrected at random, mostly where a copy is (a code
changed, a source deleted or moved, a day taken out of session, a bell schedule or cycle day
swapped, a bridge period moved, an enrolment ended or dropped, a period a teacher took, a record a
person added beside a copy), and a run follows: ``judge_copies``, ``frames_after_follow``, the
engine again.

``reference_verdicts`` below judges each copy by F1 and F2, one sentence at a time over plain
rows, ``followed_tables`` applies its verdicts (F3, F4), and ``reference_run`` (the engine's
property test) builds what the corrected school implies (F5). The follow must give every copy the
same verdict and new code, leave the same SIS, and build the same records with the same counts.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta

import pandas as pd
import pandas.testing as pdt
from attendance_bridge.config import (
    ABSENT,
    ABSENT_PERIODS_OPTIONS,
    BRIDGE_PERIOD_ONLY,
    DAILY_TO_MEETING,
    MEETING_TO_DAILY,
    MODE_DAILY,
    MODE_MEETING,
    UNTAKEN_PERIODS,
)
from attendance_bridge.domain.follow import (
    COPY_COLUMNS,
    CURRENT,
    EDITED,
    RECODE,
    WITHDRAW,
    frames_after_follow,
    judge_copies,
)
from attendance_bridge.domain.frames import RECORD_DTYPES, TABLE_COLUMNS, SchoolFrames
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules import bridge_records
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.domain.rules.test_engine_matches_reference import (
    CODES,
    FIRST_DAY,
    PERIOD_NUMBERS,
    SCHOOL,
    YEAR,
    random_school,
    reference_run,
)

OTHER_SCHOOL = 200
OTHER_DIRECTION = {MEETING_TO_DAILY: DAILY_TO_MEETING, DAILY_TO_MEETING: MEETING_TO_DAILY}
# What became of a copy after its run built it (F2): mostly nothing.
KEPT, CHANGED, DELETED = "kept", "changed by a person", "deleted by a person"
# The corrections drawn after the build, to the sources (and records beside them) and the calendar, with their weights:
# a code changed most often (SPEC section 8's teacher), and for a Meeting copy a teacher's record in its own section,
# day and period (D7) as often.
CORRECTIONS = {
    "code changed": 3, "source deleted": 1, "source moved": 2, "day out of session": 1, "bell schedule swapped": 1,
    "cycle day swapped": 1, "bridge period moved": 1, "enrolment ended early": 1, "enrolment dropped": 1,
    "period taken": 1, "record beside a copy": 1,
}  # fmt: skip
MEETING_COPY_CORRECTIONS = CORRECTIONS | {"period taken": 3, "record beside a copy": 2}
# The codes of the records added for the first run: Absent ones twice as often, copied beyond the bridge period (D2).
SOURCE_CODES = [code for code, status in CODES.items() for _ in range(2 if status == ABSENT else 1)]
STUDENTS = (1, 2, 3, 4)
FIRST_NEW_ID = 200  # the random school's ids are below; the SIS's sequence gives the rows added after it


@dataclass
class Copy:
    """A record a run built (F1): its id, its source's id, the run's parameters, and what a person did to it."""

    attendance_id: int
    source_attendance_id: int
    direction: str
    absent_periods: str
    built: dict  # its attendance row as the run inserted it
    fate: str = KEPT


@dataclass
class School:
    """The random school's tables as plain rows, corrected in place by the test."""

    tables: dict[str, pd.DataFrame]  # the tables no correction touches
    attendance: list[dict]  # every school's rows: a source moved to another school is still found by its id
    calendar_day: list[dict]
    bell_schedule_items: list[dict]
    cc: list[dict]
    next_id: int = FIRST_NEW_ID

    def frames(self, built: list[int]) -> dict[str, pd.DataFrame]:
        """The raw tables of the school as the extract reads them: its own attendance, and ``built`` (X9)."""
        return {
            **self.tables,
            "attendance": pd.DataFrame(
                [a for a in self.attendance if a["schoolid"] == SCHOOL], columns=list(TABLE_COLUMNS["attendance"])
            ),
            "calendar_day": pd.DataFrame(self.calendar_day, columns=list(TABLE_COLUMNS["calendar_day"])),
            "bell_schedule_items": pd.DataFrame(
                self.bell_schedule_items, columns=list(TABLE_COLUMNS["bell_schedule_items"])
            ),
            "cc": pd.DataFrame(self.cc, columns=list(TABLE_COLUMNS["cc"])),
            "built_records": pd.DataFrame({"id": pd.Series(built, dtype="int64")}),
        }

    def rows(self) -> dict[str, list[dict]]:
        """The school's tables as plain rows, as the extract reads them."""
        return {name: frame.to_dict("records") for name, frame in self.frames([]).items()}

    def new_id(self) -> int:
        """The id the SIS gives a record added after the build."""
        self.next_id += 1
        return self.next_id


def school_of(tables: dict[str, pd.DataFrame]) -> School:
    """The random school with no copy yet: its drawn X9 ids are dropped, as a first run finds no lineage."""
    rows = {
        name: tables[name].to_dict("records") for name in ("attendance", "calendar_day", "bell_schedule_items", "cc")
    }
    kept = {name: frame for name, frame in tables.items() if name not in rows and name != "built_records"}
    return School(kept, **rows)


def add_sources(school: School, request: BridgeRequest, draw: st.DrawFn) -> None:
    """More enrolments and records for the first run to read (mostly of its source mode), so that most examples have
    copies to follow: Meeting records in the bridge period of an in-session day of the range, and Daily records of
    students scheduled in it."""
    rows = school.rows()
    days = day_context(rows, request)
    number_of = {r["id"]: r["period_number"] for r in rows["period"]}
    meets = {(m["sectionid"], m["cycle_day_letter"], m["period_number"], m["year_id"]) for m in rows["section_meeting"]}

    def in_bridge() -> list[tuple[date, dict]]:
        """(day, enrolment) where the enrolment schedules its student in the day's bridge period."""
        return [
            (day, c)
            for day, context in sorted(days.items())
            for c in school.cc
            if c["sectionid"] > 0
            and c["dateenrolled"] <= day < c["dateleft"]
            and (c["sectionid"], context["letter"], number_of[context["bridge"]], YEAR) in meets
        ]

    # More enrolments for the whole calendar, of students 3 and 4 too (the random school's two have many records):
    # one in a section meeting in a day's bridge period when nobody is scheduled in one, and one to three in any
    # section (D2 copies absences beyond the bridge period).
    sections = sorted({m[0] for m in meets if m[3] == YEAR})
    in_bridge_sections = [
        s
        for context in days.values()
        for s in sections
        if (s, context["letter"], number_of[context["bridge"]], YEAR) in meets
    ]
    added = [draw(st.sampled_from(in_bridge_sections))] if in_bridge_sections and not in_bridge() else []
    for section in added + draw(st.lists(st.sampled_from(sections), min_size=1, max_size=3)):
        school.cc.append(
            {"id": 9000 + len(school.cc), "studentid": draw(st.sampled_from(STUDENTS)), "sectionid": section,
             "schoolid": SCHOOL, "dateenrolled": FIRST_DAY, "dateleft": FIRST_DAY + timedelta(days=30)}
        )  # fmt: skip
    scheduled = in_bridge()
    source_mode = MODE_MEETING if request.direction == MEETING_TO_DAILY else MODE_DAILY
    for _ in range(draw(st.integers(4, 12)) if days else 0):
        mode = draw(st.sampled_from([source_mode, source_mode, MODE_DAILY, MODE_MEETING]))
        if mode == MODE_DAILY and scheduled:
            day, enrolment = draw(st.sampled_from(scheduled))
        else:
            day, enrolment = draw(st.sampled_from(sorted(days))), draw(st.sampled_from(school.cc))
        school.attendance.append(
            {"id": school.new_id(), "studentid": enrolment["studentid"], "schoolid": SCHOOL, "att_date": day,
             "attendance_codeid": draw(st.sampled_from(SOURCE_CODES)), "att_mode_code": mode,
             **({"ccid": enrolment["id"], "periodid": days[day]["bridge"]} if mode == MODE_MEETING
                else {"ccid": 0, "periodid": 0})}
        )  # fmt: skip


def first_runs(school: School, request: BridgeRequest, draw: st.DrawFn) -> list[Copy]:
    """The records the engine builds as a first run, added to the school as copies with fresh ids; sometimes a run of
    the other direction after it (B3), which finds the first run's copies built (X9) and existing (M1, D4)."""
    runs = [request]
    if draw(st.booleans()):
        runs.append(
            replace(request, direction=OTHER_DIRECTION[request.direction], absent_periods=draw(absent_periods()))
        )
    copies: list[Copy] = []
    for run in runs:
        frames = SchoolFrames.from_tables(**school.frames([c.attendance_id for c in copies]))
        for record in bridge_records(frames, run).records.to_dict("records"):
            row = {
                "id": school.new_id(),
                **{column: record[column] for column in TABLE_COLUMNS["attendance"] if column != "id"},
                "att_date": record["att_date"].date(),
            }
            school.attendance.append(row)
            copies.append(Copy(row["id"], record["parent_attendanceid"], run.direction, run.absent_periods, dict(row)))
    return copies


def absent_periods() -> st.SearchStrategy[str]:
    """A run's absent_periods (D2, D7)."""
    return st.sampled_from(ABSENT_PERIODS_OPTIONS)


def people_touch_copies(school: School, copies: list[Copy], draw: st.DrawFn) -> None:
    """F2: a person changes the code of a few copies and deletes a few."""
    for copy in copies:
        copy.fate = draw(st.sampled_from([KEPT] * 6 + [CHANGED, DELETED]))
        row = next(a for a in school.attendance if a["id"] == copy.attendance_id)
        if copy.fate == CHANGED:
            row["attendance_codeid"] = draw(st.sampled_from([c for c in CODES if c != row["attendance_codeid"]]))
        elif copy.fate == DELETED:
            school.attendance.remove(row)


def correct(school: School, copies: list[Copy], draw: st.DrawFn) -> None:
    """Corrections after the build: about two copies in three have one aimed at them (at its source, its day and that
    day's bell schedule, its enrolment or its period), and up to two more land on any record, day or enrolment."""
    # Two copies in three, and the simplest draw (0), which hypothesis makes often, aims at the copy.
    aims = [copy for copy in copies if draw(st.integers(0, 2)) < 2] + [None] * draw(st.integers(0, 2))
    for aimed in aims:
        meeting_copy = aimed is not None and aimed.built["att_mode_code"] == MODE_MEETING
        weights = MEETING_COPY_CORRECTIONS if meeting_copy else CORRECTIONS
        correction = draw(st.sampled_from([kind for kind, weight in weights.items() for _ in range(weight)]))
        if aimed:
            aim = aimed.built
            record = next((a for a in school.attendance if a["id"] == aimed.source_attendance_id), None)
            day = next(r for r in school.calendar_day if r["date_value"] == aim["att_date"])
            enrolments = [c for c in school.cc if c["id"] == aim["ccid"]] or school.cc
        else:
            aim, copy_ids = None, {c.attendance_id for c in copies}  # a person's change to a copy is its fate (F2)
            others = [a for a in school.attendance if a["id"] not in copy_ids]
            record = draw(st.sampled_from(others)) if others else None
            day, enrolments = draw(st.sampled_from(school.calendar_day)), school.cc
        enrolment = draw(st.sampled_from(enrolments))
        if correction == "code changed" and record:
            record["attendance_codeid"] = draw(st.sampled_from([c for c in CODES if c != record["attendance_codeid"]]))
        elif correction == "source deleted" and record:
            school.attendance.remove(record)
        elif correction == "source moved" and record:
            move(school, record, enrolment, draw)
        elif correction == "day out of session":
            day["insession"] = 0
        elif correction == "bell schedule swapped" and day["insession"] == 1:
            day["bell_schedule_id"] = 3 - day["bell_schedule_id"]  # schedules 1 and 2
        elif correction == "cycle day swapped" and day["insession"] == 1:
            day["cycle_day_id"] = 3 - day["cycle_day_id"]  # letters A (1) and B (2)
        elif correction == "bridge period moved" and day["insession"] == 1:
            move_bridge(school, day["bell_schedule_id"], draw)
        elif correction == "enrolment ended early":
            enrolment["dateleft"] = draw(st.sampled_from([r["date_value"] for r in school.calendar_day]))
        elif correction == "enrolment dropped":
            enrolment["sectionid"] = -abs(enrolment["sectionid"])
        elif correction == "period taken":
            take_a_period(school, aim, draw)
        elif correction == "record beside a copy" and aim:
            code = draw(st.sampled_from(list(CODES)))
            school.attendance.append(aim | {"id": school.new_id(), "attendance_codeid": code})


def move(school: School, record: dict, enrolment: dict, draw: st.DrawFn) -> None:
    """A record moved to another student, day, period (Meeting), mode or school."""
    where = draw(st.sampled_from(["student", "day", "period", "mode", "school"]))
    if where == "student":
        record["studentid"] = draw(st.sampled_from([s for s in STUDENTS if s != record["studentid"]]))
    elif where == "day":  # any day of the calendar, or the day after it, which has no calendar row (X3)
        dates = [r["date_value"] for r in school.calendar_day]
        record["att_date"] = draw(st.sampled_from([*dates, dates[-1] + timedelta(days=1)]))
    elif where == "period" and record["att_mode_code"] == MODE_MEETING:
        record["periodid"] = 10 + draw(st.sampled_from(PERIOD_NUMBERS))
    elif where == "mode" and record["att_mode_code"] == MODE_DAILY:
        period = 10 + draw(st.sampled_from(PERIOD_NUMBERS))
        record |= {"att_mode_code": MODE_MEETING, "ccid": enrolment["id"], "periodid": period}
    elif where == "mode":
        record |= {"att_mode_code": MODE_DAILY, "ccid": 0, "periodid": 0}
    elif where == "school":
        record["schoolid"] = OTHER_SCHOOL


def move_bridge(school: School, schedule: int, draw: st.DrawFn) -> None:
    """The bridge period of a bell schedule moves to another of its items, with the same default times (P5 holds)."""
    items = [i for i in school.bell_schedule_items if i["bell_schedule_id"] == schedule]
    if len(items) < 2:
        return
    bridge = next(i for i in items if i["daily_attendance_code"] == 1)
    new = draw(st.sampled_from([i for i in items if i is not bridge]))
    times = {name: bridge[name] for name in ("daily_time_in_default", "daily_time_out_default")}
    new |= {"daily_attendance_code": 1, **times}
    bridge |= {"daily_attendance_code": 0, "daily_time_in_default": None, "daily_time_out_default": None}


def take_a_period(school: School, aim: dict | None, draw: st.DrawFn) -> None:
    """D7: a teacher takes attendance in a period: in the section, day and period of the Meeting copy aimed at (any
    student of the section, the copy's own included), or anywhere."""
    if aim and aim["att_mode_code"] == MODE_MEETING:
        section = next(c["sectionid"] for c in school.cc if c["id"] == aim["ccid"])
        enrolment = draw(st.sampled_from([c for c in school.cc if c["sectionid"] == section]))
        day, period = aim["att_date"], aim["periodid"]
    else:
        enrolment = draw(st.sampled_from(school.cc))
        day = draw(st.sampled_from([r["date_value"] for r in school.calendar_day]))
        period = 10 + draw(st.sampled_from(PERIOD_NUMBERS))
    school.attendance.append(
        {"id": school.new_id(), "studentid": enrolment["studentid"], "schoolid": SCHOOL, "att_date": day,
         "attendance_codeid": draw(st.sampled_from(list(CODES))), "att_mode_code": MODE_MEETING,
         "ccid": enrolment["id"], "periodid": period}
    )  # fmt: skip


def copies_table(school: School, copies: list[Copy]) -> pd.DataFrame:
    """The copies as ``db.follow.read_copies`` gives them: each row as it is now; a deleted one keeps only the student
    and the day its lineage holds."""
    now = {a["id"]: a for a in school.attendance}
    rows = []
    for copy in copies:
        row = now.get(copy.attendance_id, {"studentid": copy.built["studentid"], "att_date": copy.built["att_date"]})
        rows.append(
            {
                **{column: row.get(column) for column in COPY_COLUMNS},
                "attendance_id": copy.attendance_id,
                "source_attendance_id": copy.source_attendance_id,
                "present": copy.fate != DELETED,
                "edited": copy.fate == CHANGED,
                "direction": copy.direction,
                "absent_periods": copy.absent_periods,
                "dag_id": "attendance_bridge_sync",
                "run_id": "manual__first",
            }
        )
    return pd.DataFrame(rows, columns=list(COPY_COLUMNS))


def day_context(rows: dict[str, list[dict]], request: BridgeRequest) -> dict[date, dict]:
    """SPEC section 5's day context: each in-session day of the range with L(d), P*(d) and the periods of B(d)."""
    letter_of = {r["id"]: r["letter"] for r in rows["cycle_day"]}
    days = {}
    for r in rows["calendar_day"]:
        if r["insession"] == 1 and request.start_date <= r["date_value"] <= request.end_date:
            items = [i for i in rows["bell_schedule_items"] if i["bell_schedule_id"] == r["bell_schedule_id"]]
            days[r["date_value"]] = {
                "letter": letter_of[r["cycle_day_id"]],
                "bridge": next(i["period_id"] for i in items if i["daily_attendance_code"] == 1),
                "periods": [i["period_id"] for i in items],
            }
    return days


def reference_verdicts(
    tables: dict[str, pd.DataFrame], anywhere: list[dict], copies: list[Copy], request: BridgeRequest
) -> dict[int, tuple[str, int | None]]:
    """F1, F2 one sentence at a time: each copy's verdict and, for a recode, its new code.

    ``tables`` is the school after the corrections, ``anywhere`` every attendance row wherever it went.
    """
    rows = {name: frame.to_dict("records") for name, frame in tables.items()}
    days = day_context(rows, request)
    number_of = {r["id"]: r["period_number"] for r in rows["period"]}
    section_of = {c["id"]: c["sectionid"] for c in rows["cc"]}
    presence = {r["id"]: r["presence_status_cd"] for r in rows["attendance_code"]}
    now = {a["id"]: a for a in anywhere}
    copy_ids = {c.attendance_id for c in copies}
    # D7: a section's period is taken on a day when it has a Meeting record no run built: a person's beside a copy
    # too (F1 leaves out only M1's and D4's "already exists", not D7).
    taken = {
        (section_of[a["ccid"]], a["att_date"], a["periodid"])
        for a in rows["attendance"]
        if a["att_mode_code"] == MODE_MEETING and a["id"] not in copy_ids and a["ccid"] in section_of
    }

    def scheduled(student: int, period_id: int, day: date) -> set[int]:
        """SPEC 5's "scheduled": the enrolments through which the student is scheduled in the period that day."""
        return {
            c["id"]
            for c in rows["cc"]
            if c["studentid"] == student
            and c["sectionid"] > 0
            and c["dateenrolled"] <= day < c["dateleft"]
            and period_id in days[day]["periods"]
            and any(
                (m["sectionid"], m["cycle_day_letter"], m["period_number"], m["year_id"])
                == (c["sectionid"], days[day]["letter"], number_of[period_id], request.yearid)
                for m in rows["section_meeting"]
            )
        }

    def implied(source: dict, copy: Copy) -> set[tuple]:
        """The keys (student, day, enrolment, period) the rules imply today from the source alone, with the
        parameters of the run that built the copy; M1's and D4's "already exists" left out, M2 not revisited."""
        student, day = source["studentid"], source["att_date"]
        bridge = days[day]["bridge"]
        if copy.direction == MEETING_TO_DAILY:  # M1, M3: a bridge-period Meeting record implies the Daily record
            return {(student, day, 0, 0)} if source["periodid"] == bridge else set()
        targets = {bridge}  # D2
        if presence[source["attendance_codeid"]] == ABSENT and copy.absent_periods != BRIDGE_PERIOD_ONLY:
            targets |= set(days[day]["periods"])
        keys = set()
        for period_id in targets:  # D3
            for ccid in scheduled(student, period_id, day):
                untaken = period_id == bridge or (section_of[ccid], day, period_id) not in taken
                if copy.absent_periods != UNTAKEN_PERIODS or untaken:  # D7
                    keys.add((student, day, ccid, period_id))
        return keys

    verdicts: dict[int, tuple[str, int | None]] = {}
    for copy in copies:
        if copy.fate != KEPT:  # F2: a person's word stands
            verdicts[copy.attendance_id] = (EDITED, None)
            continue
        row, source = now[copy.attendance_id], now.get(copy.source_attendance_id)
        source_mode = MODE_MEETING if copy.direction == MEETING_TO_DAILY else MODE_DAILY
        if (
            source is None  # the source is gone
            # or moved to another student, day, school or mode
            or (source["studentid"], source["att_date"], source["schoolid"], source["att_mode_code"])
            != (row["studentid"], row["att_date"], SCHOOL, source_mode)
            or row["att_date"] not in days  # its day is no longer in session
            or (row["studentid"], row["att_date"], row["ccid"], row["periodid"]) not in implied(source, copy)
        ):
            verdicts[copy.attendance_id] = (WITHDRAW, None)
        elif source["attendance_codeid"] != row["attendance_codeid"]:  # the rules imply its key with another code
            verdicts[copy.attendance_id] = (RECODE, source["attendance_codeid"])
        else:
            verdicts[copy.attendance_id] = (CURRENT, None)
    return verdicts


def followed_tables(
    tables: dict[str, pd.DataFrame], verdicts: dict[int, tuple[str, int | None]]
) -> dict[str, pd.DataFrame]:
    """F3, F4 by the reference's verdicts: withdrawn copies gone (from the lineage too), recoded ones in their new
    code; the others stay copies (X9)."""
    attendance = []
    for a in tables["attendance"].to_dict("records"):
        verdict, new_code = verdicts.get(a["id"], (None, None))
        if verdict != WITHDRAW:
            attendance.append(a | {"attendance_codeid": new_code} if verdict == RECODE else a)
    built = [copy_id for copy_id, (verdict, _) in verdicts.items() if verdict != WITHDRAW]
    return {
        **tables,
        "attendance": pd.DataFrame(attendance, columns=tables["attendance"].columns),
        "built_records": pd.DataFrame({"id": pd.Series(built, dtype="int64")}),
    }


def verdicts_of(judgement: pd.DataFrame) -> dict[int, tuple[str, int | None]]:
    """``judge_copies``' verdict and new code per copy id, as ``reference_verdicts`` gives them."""
    return {
        row["attendance_id"]: (
            row["verdict"],
            None if pd.isna(row["new_attendance_codeid"]) else row["new_attendance_codeid"],
        )
        for row in judgement.to_dict("records")
    }


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_school(), st.data())
def test_copies_follow_their_sources_as_the_plain_loop_reference_says(
    drawn: tuple[dict[str, pd.DataFrame], BridgeRequest], data: st.DataObject
) -> None:
    tables, request = drawn
    school = school_of(tables)
    # The whole calendar (its first day is always in session), for copies on several days.
    request = replace(request, start_date=FIRST_DAY, end_date=max(r["date_value"] for r in school.calendar_day))
    add_sources(school, request, data.draw)
    copies = first_runs(school, request, data.draw)
    people_touch_copies(school, copies, data.draw)
    correct(school, copies, data.draw)
    # The run that follows: the same range, its own direction and absent_periods (they judge no copy, F1).
    following = replace(
        request, direction=data.draw(st.sampled_from(list(OTHER_DIRECTION))), absent_periods=data.draw(absent_periods())
    )
    corrected = school.frames([c.attendance_id for c in copies])
    frames = SchoolFrames.from_tables(**corrected)
    source_ids = {c.source_attendance_id for c in copies}
    sources = pd.DataFrame(
        [a for a in school.attendance if a["id"] in source_ids], columns=list(TABLE_COLUMNS["attendance"])
    )

    judgement = judge_copies(frames, following, copies_table(school, copies), sources)
    after = frames_after_follow(frames, judgement)
    rebuilt = bridge_records(after, following)

    verdicts = reference_verdicts(corrected, school.attendance, copies, following)
    assert verdicts_of(judgement) == verdicts, judgement.to_string()
    followed = followed_tables(corrected, verdicts)
    assert sorted(zip(after.attendance["id"], after.attendance["attendance_codeid"])) == sorted(
        zip(followed["attendance"]["id"], followed["attendance"]["attendance_codeid"])
    )
    assert sorted(after.built_records["id"]) == sorted(followed["built_records"]["id"])
    expected_rows, expected_counts = reference_run(followed, following)
    expected = pd.DataFrame(expected_rows, columns=list(RECORD_DTYPES))
    expected["att_date"] = pd.to_datetime(expected["att_date"])
    expected = (
        expected.astype(RECORD_DTYPES).sort_values(["att_date", "studentid", "periodid", "ccid"]).reset_index(drop=True)
    )
    pdt.assert_frame_equal(rebuilt.records, expected)
    assert rebuilt.counts == expected_counts
