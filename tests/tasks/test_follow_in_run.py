"""Copies follow their sources through the real sync DAG (SPEC section 8, F1-F8), on the demo district.

Each test builds copies with one sync run, corrects the SIS as a teacher or the office would, and runs the
sync again. What it must do is written here in plain SQL on the SIS tables (never with the engine): which rows
change, to what, and that nothing else does. A dry run and a run with ``follow_sources`` off write nothing.
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.sync_sandbox import Sandbox, run_sync, snapshot
from tests.tasks.test_rollback import run_rollback

pytestmark = pytest.mark.integration

FIRST, LAST = date(2026, 2, 2), date(2026, 2, 27)  # spring: both schools switched method in January
RANGE = {"start_date": FIRST.isoformat(), "end_date": LAST.isoformat()}


def attendance(box: Sandbox) -> dict[int, dict]:
    """Every attendance row, whole, by id (ids are unique in the demo district)."""
    return {row[0]: row[1] for row in box.q("SELECT a.id, to_jsonb(a.*) FROM {sis}.attendance AS a")}


def times(box: Sandbox) -> dict[int, dict]:
    return {row[0]: row[1] for row in box.q("SELECT t.id, to_jsonb(t.*) FROM {sis}.attendance_time AS t")}


def code_ids(box: Sandbox, school: int, status: str) -> list[int]:
    """The ids of the school's codes of the year with this presence status."""
    rows = box.q(
        "SELECT id FROM {sis}.attendance_code WHERE schoolid = %(s)s AND yearid = 35 AND presence_status_cd = %(p)s "
        "ORDER BY id",
        s=school,
        p=status,
    )
    return [row[0] for row in rows]


def copies_of(box: Sandbox, source_ids: list[int]) -> dict[int, list[int]]:
    """{source id: the ids of the copies built from it that are in the SIS}."""
    rows = box.q(
        "SELECT l.source_attendance_id, l.row_id FROM {pipeline}.lineage AS l "
        "JOIN {sis}.attendance AS a ON a.id = l.row_id "
        "WHERE l.table_name = 'attendance' AND l.source_attendance_id = ANY(%(s)s) ORDER BY 1, 2",
        s=source_ids,
    )
    found: dict[int, list[int]] = {}
    for source, copy in rows:
        found.setdefault(source, []).append(copy)
    return found


def test_f3_f4_a_teachers_correction_recodes_the_daily_copy_and_a_deleted_source_withdraws_its_copy(
    sandbox: Sandbox, sync_dag, rollback_dag
) -> None:
    # School 100 records Meeting: the first run builds Daily records from the bridge period's Meeting records.
    state, built = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", **RANGE)
    assert state == "success", built["message"]
    absent = code_ids(sandbox, 100, "Absent")
    present = code_ids(sandbox, 100, "Present")
    sources = sandbox.q(
        "SELECT s.id FROM {pipeline}.lineage AS l JOIN {sis}.attendance AS s ON s.id = l.source_attendance_id "
        "WHERE l.table_name = 'attendance' AND s.attendance_codeid = ANY(%(a)s) ORDER BY s.id LIMIT 2",
        a=absent,
    )
    corrected, deleted = sources[0][0], sources[1][0]
    [corrected_copy], [deleted_copy] = (copies_of(sandbox, [source])[source] for source in (corrected, deleted))
    # The teacher corrects Absent to Present (the student was at the nurse); the office deletes a wrong record.
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = %(p)s WHERE id = %(i)s", p=present[0], i=corrected)
    sandbox.q("DELETE FROM {sis}.attendance WHERE id = %(i)s", i=deleted)
    rows, time_rows = attendance(sandbox), times(sandbox)
    before = snapshot(sandbox)

    # A dry run counts and lists the same, and writes nothing (X8, F7).
    state, dry = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", dry_run=True, **RANGE)
    assert state == "success", dry["message"]
    assert (dry["counts"]["recoded"], dry["counts"]["withdrawn"], dry["counts"]["edited_not_followed"]) == (1, 1, 0)
    assert snapshot(sandbox) == before
    # So does a run that does not follow: nothing of the copies is even counted.
    state, blind = run_sync(
        sync_dag, school_number=100, year=35, direction="meeting_to_daily", follow_sources=False, **RANGE
    )
    assert state == "success", blind["message"]
    assert "recoded" not in blind["counts"] and blind["counts"]["inserted"] == 0
    assert snapshot(sandbox) == before

    state, followed = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", **RANGE)

    assert state == "success", followed["message"]
    assert (followed["counts"]["recoded"], followed["counts"]["withdrawn"]) == (1, 1)
    # M1 builds nothing new: the student of the deleted record had one bridge-period record that day.
    assert followed["counts"]["inserted"] == 0
    expected = {key: value for key, value in rows.items() if key != deleted_copy}
    expected[corrected_copy] = {**rows[corrected_copy], "attendance_codeid": present[0]}  # F3: the code alone
    assert attendance(sandbox) == expected
    assert times(sandbox) == {
        key: value for key, value in time_rows.items() if value["attendanceid"] != deleted_copy
    }  # F4: the withdrawn copy's time goes with it; the recoded copy keeps its own
    # A night run again changes nothing (X2).
    after = snapshot(sandbox)
    state, again = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", **RANGE)
    assert state == "success" and (again["counts"]["recoded"], again["counts"]["withdrawn"]) == (0, 0)
    assert snapshot(sandbox) == after

    # The rollback of the following run restores the SIS exactly, row for row, ids included (F6).
    state, undone = run_rollback(rollback_dag, school_number=100, run_id=followed["run_id"])
    assert state == "success", undone["message"]
    assert attendance(sandbox) == rows and times(sandbox) == time_rows
    assert "1 recode undone" in undone["message"] and "1 withdrawn copy restored" in undone["message"]  # F8


def test_f4_the_office_deleting_a_daily_absence_withdraws_its_meeting_copies_in_every_period(
    sandbox: Sandbox, sync_dag
) -> None:
    # School 200 records Daily: the first run copies each Daily absence into every period of the day.
    state, built = run_sync(sync_dag, school_number=200, year=35, direction="daily_to_meeting", **RANGE)
    assert state == "success", built["message"]
    [(source, copies)] = sandbox.q(
        "SELECT l.source_attendance_id, count(*) FROM {pipeline}.lineage AS l WHERE l.table_name = 'attendance' "
        "GROUP BY 1 HAVING count(*) > 1 ORDER BY 2 DESC, 1 LIMIT 1"
    )
    copy_ids = copies_of(sandbox, [source])[source]
    assert len(copy_ids) == copies > 1
    sandbox.q("DELETE FROM {sis}.attendance WHERE id = %(i)s", i=source)
    rows = attendance(sandbox)

    state, followed = run_sync(sync_dag, school_number=200, year=35, direction="daily_to_meeting", **RANGE)

    assert state == "success", followed["message"]
    assert (followed["counts"]["withdrawn"], followed["counts"]["recoded"], followed["counts"]["inserted"]) == (
        copies, 0, 0,
    )  # fmt: skip
    assert attendance(sandbox) == {key: value for key, value in rows.items() if key not in copy_ids}
    withdrawn = sandbox.q(
        "SELECT count(*) FROM {pipeline}.lineage WHERE withdrawn_by_run_id = %(r)s AND table_name = 'attendance'",
        r=followed["run_id"],
    )
    assert withdrawn == [(copies,)]


def test_f5_a_daily_tardy_turned_absent_recodes_the_bridge_copy_and_builds_the_other_periods(
    sandbox: Sandbox, sync_dag
) -> None:
    state, built = run_sync(sync_dag, school_number=200, year=35, direction="daily_to_meeting", **RANGE)
    assert state == "success", built["message"]
    present, absent = code_ids(sandbox, 200, "Present"), code_ids(sandbox, 200, "Absent")
    # A Daily record with a Present code has one copy: in the bridge period.
    [(source, copy_id, student, day)] = sandbox.q(
        "SELECT s.id, l.row_id, s.studentid, s.att_date FROM {pipeline}.lineage AS l "
        "JOIN {sis}.attendance AS s ON s.id = l.source_attendance_id "
        "WHERE l.table_name = 'attendance' AND s.attendance_codeid = ANY(%(p)s) ORDER BY s.id LIMIT 1",
        p=present,
    )
    # The periods the student is scheduled in that day (SPEC 5, "scheduled"), in plain SQL.
    scheduled = sandbox.q(
        "SELECT DISTINCT c.id, i.period_id FROM {sis}.calendar_day AS d "
        "JOIN {sis}.cycle_day AS y ON y.id = d.cycle_day_id "
        "JOIN {sis}.bell_schedule_items AS i ON i.bell_schedule_id = d.bell_schedule_id "
        "JOIN {sis}.period AS p ON p.id = i.period_id "
        "JOIN {sis}.cc AS c ON c.studentid = %(s)s AND c.schoolid = 200 AND c.sectionid > 0 "
        " AND c.dateenrolled <= d.date_value AND d.date_value < c.dateleft "
        "JOIN {sis}.section_meeting AS m ON m.sectionid = c.sectionid AND m.cycle_day_letter = y.letter "
        " AND m.period_number = p.period_number AND m.year_id = 35 "
        "WHERE d.schoolid = 200 AND d.date_value = %(d)s",
        s=student,
        d=day,
    )
    existing = sandbox.q(
        "SELECT ccid, periodid FROM {sis}.attendance WHERE studentid = %(s)s AND att_date = %(d)s "
        "AND att_mode_code = 'ATT_ModeMeeting'",
        s=student,
        d=day,
    )
    to_build = set(scheduled) - set(existing)
    assert to_build, "the student has other scheduled periods that day"
    rows = attendance(sandbox)
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = %(a)s WHERE id = %(i)s", a=absent[0], i=source)

    state, followed = run_sync(sync_dag, school_number=200, year=35, direction="daily_to_meeting", **RANGE)

    assert state == "success", followed["message"]
    assert followed["counts"]["recoded"] == 1
    assert followed["counts"]["inserted"] == len(to_build)
    now = attendance(sandbox)
    assert now[copy_id] == {**rows[copy_id], "attendance_codeid": absent[0]}
    new = [row for key, row in now.items() if key not in rows]
    assert sorted((row["ccid"], row["periodid"]) for row in new) == sorted(to_build)
    assert {(row["parent_attendanceid"], row["attendance_codeid"], row["studentid"]) for row in new} == {
        (source, absent[0], student)
    }


def test_f4_a_day_taken_out_of_session_withdraws_its_copies_and_touches_no_source(sandbox: Sandbox, sync_dag) -> None:
    state, built = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", **RANGE)
    assert state == "success", built["message"]
    [(day, copies)] = sandbox.q(
        "SELECT att_date, count(*) FROM {pipeline}.lineage WHERE table_name = 'attendance' "
        "GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    )
    copy_ids = {row[0] for row in sandbox.q(
        "SELECT row_id FROM {pipeline}.lineage WHERE table_name = 'attendance' AND att_date = %(d)s", d=day
    )}  # fmt: skip
    rows = attendance(sandbox)
    sandbox.q("UPDATE {sis}.calendar_day SET insession = 0 WHERE schoolid = 100 AND date_value = %(d)s", d=day)

    state, followed = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", **RANGE)

    assert state == "success", followed["message"]
    assert (followed["counts"]["withdrawn"], followed["counts"]["recoded"]) == (copies, 0)
    assert attendance(sandbox) == {key: value for key, value in rows.items() if key not in copy_ids}


def test_f2_x1_a_copy_a_person_edited_is_left_and_listed_and_a_record_no_run_built_is_never_touched(
    sandbox: Sandbox, sync_dag
) -> None:
    state, built = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", **RANGE)
    assert state == "success", built["message"]
    present = code_ids(sandbox, 100, "Present")
    [(copy_id, source)] = sandbox.q(
        "SELECT row_id, source_attendance_id FROM {pipeline}.lineage WHERE table_name = 'attendance' "
        "ORDER BY row_id LIMIT 1"
    )
    other = [
        code
        for code in present + code_ids(sandbox, 100, "Absent")
        if code != attendance(sandbox)[source]["attendance_codeid"]
    ]
    # The office types a comment on the copy; then the teacher changes the source.
    sandbox.q("UPDATE {sis}.attendance SET att_comment = 'called home' WHERE id = %(i)s", i=copy_id)
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=other[0], i=source)
    rows = attendance(sandbox)

    state, followed = run_sync(sync_dag, school_number=100, year=35, direction="meeting_to_daily", **RANGE)

    assert state == "success", followed["message"]
    assert (followed["counts"]["edited_not_followed"], followed["counts"]["recoded"]) == (1, 0)
    assert attendance(sandbox) == rows  # the person's word stands; the teachers' records are as they were
    # F8: the report lists it, with what happened and why.
    with (Path(urlsplit(followed["report_path"]).path).parent / "followed.csv").open(newline="") as listed:
        assert [(row["attendance_id"], row["verdict"], row["reason"]) for row in csv.DictReader(listed)] == [
            (str(copy_id), "edited", "changed by a person")
        ]
