"""F7 for the nightly bridge on the demo district (a real PostgreSQL, ``dag.test()``): each night follows the
copies of the year term up to the night, so a teacher's correction of an earlier night's record reaches its copy.

School 200 (Roosevelt Middle) has the one-way bridge and took Meeting attendance in the autumn: each night builds
its Daily records from the bridge period's Meeting records (B2). What must change is written in plain SQL here.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from attendance_bridge.catalog import NIGHTLY_DAG_ID

from tests.support.sync_sandbox import Sandbox, parsed_dag, snapshot
from tests.tasks.test_follow_in_run import attendance, code_ids, copies_of
from tests.tasks.test_nightly import sync_report

pytestmark = pytest.mark.integration

# Runs at 02:00 UTC cover the day before: Monday 6 and Tuesday 7 October 2025, then Wednesday 8 and Thursday 9.
MONDAY_NIGHT, TUESDAY_NIGHT, WEDNESDAY_NIGHT, THURSDAY_NIGHT = (
    datetime(2025, 10, day, 2, tzinfo=UTC) for day in (7, 8, 9, 10)
)


@pytest.fixture(scope="module")
def nightly_dag():
    return parsed_dag(NIGHTLY_DAG_ID)


def test_f7_a_night_follows_a_correction_of_an_earlier_night_and_a_quiet_night_looks_no_further(
    sandbox: Sandbox, nightly_dag
) -> None:
    for night in (MONDAY_NIGHT, TUESDAY_NIGHT):
        assert str(nightly_dag.test(logical_date=night, run_conf={"mode": "apply"}).state) == "success"
    absent, present = code_ids(sandbox, 200, "Absent"), code_ids(sandbox, 200, "Present")
    [(source, copy_id)] = sandbox.q(
        "SELECT s.id, l.row_id FROM {pipeline}.lineage AS l JOIN {sis}.attendance AS s ON s.id = l.source_attendance_id "
        "WHERE l.school_number = 200 AND l.table_name = 'attendance' AND l.att_date = '2025-10-06' "
        "AND s.attendance_codeid = ANY(%(a)s) ORDER BY s.id LIMIT 1",
        a=absent,
    )
    assert copies_of(sandbox, [source]) == {source: [copy_id]}
    # Wednesday, a teacher corrects Monday's absence: the student was at the nurse.
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = %(p)s WHERE id = %(i)s", p=present[0], i=source)
    rows = attendance(sandbox)
    before = snapshot(sandbox)

    # Report mode counts and lists it, and writes nothing (F7).
    reported = nightly_dag.test(logical_date=WEDNESDAY_NIGHT, run_conf={"mode": "report"})
    assert str(reported.state) == "success"
    report = sync_report(sandbox, reported, 200, "meeting_to_daily")
    assert (report["counts"]["recoded"], report["resolved"]["looked_back_from"]) == (1, "2025-10-08")
    assert report["resolved"]["start_date"] == "2025-10-06"
    assert snapshot(sandbox) == before

    applied = nightly_dag.test(logical_date=WEDNESDAY_NIGHT, run_conf={"mode": "apply"})

    assert str(applied.state) == "success"
    report = sync_report(sandbox, applied, 200, "meeting_to_daily")
    assert (report["counts"]["recoded"], report["counts"]["withdrawn"]) == (1, 0)
    now = attendance(sandbox)
    assert now[copy_id] == {**rows[copy_id], "attendance_codeid": present[0]}
    # Nothing else of Monday or Tuesday changed; Wednesday's records were built as every night's are.
    assert {key: value for key, value in now.items() if key in rows} == {
        **rows,
        copy_id: {**rows[copy_id], "attendance_codeid": present[0]},
    }
    assert {value["att_date"] for key, value in now.items() if key not in rows} <= {"2025-10-08"}

    # A quiet night reconciles its own day only: nothing before it is left to follow.
    quiet = nightly_dag.test(logical_date=THURSDAY_NIGHT, run_conf={"mode": "apply"})
    assert str(quiet.state) == "success"
    report = sync_report(sandbox, quiet, 200, "meeting_to_daily")
    assert report["resolved"]["start_date"] == "2025-10-09" and report["resolved"]["looked_back_from"] is None
    assert (report["counts"]["recoded"], report["counts"]["withdrawn"]) == (0, 0)


def test_f2_f7_a_copy_a_person_edited_never_makes_a_night_look_back(sandbox: Sandbox, nightly_dag) -> None:
    assert str(nightly_dag.test(logical_date=MONDAY_NIGHT, run_conf={"mode": "apply"}).state) == "success"
    [(copy_id,)] = sandbox.q(
        "SELECT min(row_id) FROM {pipeline}.lineage WHERE school_number = 200 AND table_name = 'attendance'"
    )
    sandbox.q("UPDATE {sis}.attendance SET att_comment = 'called home' WHERE id = %(i)s", i=copy_id)

    night = nightly_dag.test(logical_date=TUESDAY_NIGHT, run_conf={"mode": "apply"})

    assert str(night.state) == "success"
    report = sync_report(sandbox, night, 200, "meeting_to_daily")
    assert report["resolved"]["start_date"] == "2025-10-07" and report["resolved"]["looked_back_from"] is None
    assert sandbox.q("SELECT att_comment FROM {sis}.attendance WHERE id = %(i)s", i=copy_id) == [("called home",)]


def test_f7_a_two_way_night_follows_each_copy_once_in_the_sync_of_its_direction(sandbox: Sandbox, nightly_dag) -> None:
    # Lincoln High (100) is two-way and took Daily attendance in the autumn: each night builds the bridge period's
    # Meeting copies of its Daily records (daily_to_meeting) beside its meeting_to_daily sync.
    for night in (MONDAY_NIGHT, TUESDAY_NIGHT):
        assert str(nightly_dag.test(logical_date=night, run_conf={"mode": "apply"}).state) == "success"
    [(source, copy_id, code)] = sandbox.q(
        "SELECT s.id, l.row_id, (SELECT min(c.id) FROM {sis}.attendance_code c WHERE c.schoolid = 100 "
        "AND c.yearid = 35 AND c.id <> s.attendance_codeid) FROM {pipeline}.lineage AS l "
        "JOIN {sis}.attendance AS s ON s.id = l.source_attendance_id WHERE l.school_number = 100 "
        "AND l.table_name = 'attendance' AND l.att_date = '2025-10-06' ORDER BY s.id LIMIT 1"
    )
    sandbox.q("UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=code, i=source)

    night = nightly_dag.test(logical_date=WEDNESDAY_NIGHT, run_conf={"mode": "apply"})

    assert str(night.state) == "success"
    to_meeting = sync_report(sandbox, night, 100, "daily_to_meeting")
    to_daily = sync_report(sandbox, night, 100, "meeting_to_daily")
    assert (to_meeting["counts"]["recoded"], to_meeting["resolved"]["start_date"]) == (1, "2025-10-06")
    assert (to_daily["counts"]["recoded"], to_daily["resolved"]["looked_back_from"]) == (0, None)
    assert attendance(sandbox)[copy_id]["attendance_codeid"] == code
