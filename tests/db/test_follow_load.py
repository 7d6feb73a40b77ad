"""F3, F4, F6 against a real PostgreSQL: recodes and withdrawals of copies through the owner's function
(migration 0009), and rollbacks that restore the SIS exactly.

The changes are written by hand here (which copy, which verdict): this file tests what the database
does with them, not the judgement (tests/domain/test_follow.py). Every expectation is plain SQL on the
SIS tables, compared row for row with every column (ids included).
"""

# ruff: noqa: F811 (the fixture ``box`` is imported, and each test takes it by that name)
from __future__ import annotations

import pandas as pd
import pytest
from attendance_bridge.config import BRIDGE_PERIOD_ONLY, MEETING_TO_DAILY
from attendance_bridge.db import run_log
from attendance_bridge.db.follow import copy_changes, follow_copies, read_copies
from attendance_bridge.db.rollback import roll_back_run
from attendance_bridge.domain.rollback_plan import RollbackRefused
from psycopg import errors

# The write path's sandbox and its fixture ``box`` (imported, so pytest finds the fixture here too).
from tests.db.test_backup_load import DAG_ID, YEAR_END, YEAR_START, Sandbox, box  # noqa: F401

pytestmark = pytest.mark.integration

SCHOOL = 100


def logged_run(box: Sandbox, run_id: str, finished: bool = True) -> None:
    """The run log row a sync run leaves (the copies' parameters come from it, F1), running or finished."""
    run_log.start_run(
        box.conn, box.own, DAG_ID, run_id, school_number=SCHOOL, yearid=35, direction=MEETING_TO_DAILY,
        absent_periods=BRIDGE_PERIOD_ONLY, start_date=YEAR_START, end_date=YEAR_END, dry_run=False, parameters={},
    )  # fmt: skip
    if finished:
        run_log.finish_run(box.conn, box.own, DAG_ID, run_id, "succeeded")


def built_run(box: Sandbox, run_id: str) -> None:
    """A meeting_to_daily run of school 100 over the year: backup, load, run log."""
    logged_run(box, run_id)
    box.backup(run_id, SCHOOL)
    assert box.load(run_id, SCHOOL, box.records(MEETING_TO_DAILY)).inserted_now > 0


def follow(box: Sandbox, run_id: str, changes: pd.DataFrame):
    """A following run: its run log row (running), its backup, the changes in one transaction, its end."""
    logged_run(box, run_id, finished=False)
    box.backup(run_id, SCHOOL)
    try:
        with box.conn.transaction():
            return follow_copies(box.conn, box.own, box.sis, DAG_ID, run_id, SCHOOL, changes)
    finally:
        run_log.finish_run(box.conn, box.own, DAG_ID, run_id, "succeeded")


def sis(box: Sandbox) -> dict[str, pd.DataFrame]:
    """Both SIS tables whole, every column, in one order."""
    return {
        table: box.table(table).sort_values(["id", "dcid"]).reset_index(drop=True)
        for table in ("attendance", "attendance_time")
    }


def assert_same_sis(box: Sandbox, expected: dict[str, pd.DataFrame]) -> None:
    now = sis(box)
    for table, frame in expected.items():
        pd.testing.assert_frame_equal(now[table], frame, check_like=True)


def three_copies(box: Sandbox) -> tuple[pd.DataFrame, pd.DataFrame, list[int]]:
    """The copies and sources as read, and three copies with an attendance time each, their sources distinct."""
    copies, sources = read_copies(box.conn, box.own, box.sis, SCHOOL, YEAR_START, YEAR_END)
    timed = box.q("SELECT DISTINCT attendanceid FROM {sis}.attendance_time")
    picked = copies.loc[copies["attendance_id"].isin([row[0] for row in timed])].drop_duplicates("source_attendance_id")
    return copies, sources, [int(value) for value in picked["attendance_id"].iloc[:3]]


def source_of(box: Sandbox, copy_id: int) -> int:
    return box.q("SELECT parent_attendanceid FROM {sis}.attendance WHERE id = %(i)s", i=copy_id)[0][0]


def other_code(box: Sandbox, source_id: int) -> int:
    """A code of the school's year other than the source's."""
    return box.q(
        "SELECT min(c.id) FROM {sis}.attendance_code c JOIN {sis}.attendance a ON a.id = %(i)s "
        "WHERE c.schoolid = a.schoolid AND c.yearid = a.yearid AND c.id <> a.attendance_codeid",
        i=source_id,
    )[0][0]


def judged(
    copies: pd.DataFrame, sources: pd.DataFrame, verdicts: dict[int, tuple[str, int | None, str]]
) -> pd.DataFrame:
    """The judgement of ``verdicts`` {copy id: (verdict, new code, reason)}, every other copy current."""
    rows = copies.loc[:, ["attendance_id", "source_attendance_id"]].copy()
    rows["verdict"] = [verdicts.get(int(i), ("current", None, ""))[0] for i in rows["attendance_id"]]
    rows["new_attendance_codeid"] = pd.array(
        [verdicts.get(int(i), ("current", None, ""))[1] for i in rows["attendance_id"]], dtype="Int64"
    )
    rows["reason"] = [verdicts.get(int(i), ("current", None, ""))[2] for i in rows["attendance_id"]]
    return copy_changes(rows, sources, copies)


def test_f3_f4_f6_a_recode_and_a_withdrawal_land_and_their_rollback_restores_the_sis_row_for_row(box: Sandbox) -> None:
    built_run(box, "built")
    _, _, (recoded, withdrawn, edited) = three_copies(box)
    new_code = other_code(box, source_of(box, recoded))
    box.q(
        "UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=new_code, i=source_of(box, recoded)
    )
    box.q("DELETE FROM {sis}.attendance WHERE id = %(i)s", i=source_of(box, withdrawn))
    box.q("UPDATE {sis}.attendance SET att_comment = 'nurse' WHERE id = %(i)s", i=edited)
    copies, sources = read_copies(box.conn, box.own, box.sis, SCHOOL, YEAR_START, YEAR_END)
    assert copies.set_index("attendance_id").loc[[recoded, withdrawn, edited], "edited"].tolist() == [
        False,
        False,
        True,
    ]
    before = sis(box)
    before_row = box.q("SELECT to_jsonb(a.*) FROM {sis}.attendance a WHERE id = %(i)s", i=recoded)[0][0]
    time_rows = box.count("SELECT count(*) FROM {sis}.attendance_time WHERE attendanceid = %(i)s", i=withdrawn)

    result = follow(
        box,
        "follower",
        judged(
            copies,
            sources,
            {
                recoded: ("recode", new_code, "code changed"),
                withdrawn: ("withdraw", None, "source deleted"),
                edited: ("withdraw", None, "source deleted"),  # a person's edit stands (F2): left
            },
        ),
    )

    assert (result.recoded, result.withdrawn, result.withdrawn_attendance_time, result.left_changed) == (
        1, 1, time_rows, 1,
    )  # fmt: skip
    after_row = box.q("SELECT to_jsonb(a.*) FROM {sis}.attendance a WHERE id = %(i)s", i=recoded)[0][0]
    assert after_row == {**before_row, "attendance_codeid": new_code}  # F3: the code alone; id and dcid stay
    assert box.count("SELECT count(*) FROM {sis}.attendance WHERE id = %(i)s", i=withdrawn) == 0
    assert box.count("SELECT count(*) FROM {sis}.attendance_time WHERE attendanceid = %(i)s", i=withdrawn) == 0
    assert box.q("SELECT att_comment FROM {sis}.attendance WHERE id = %(i)s", i=edited) == [("nurse",)]
    marks = box.q(
        "SELECT table_name, withdrawn_by_run_id, withdrawn_row ->> 'id' FROM {own}.lineage "
        "WHERE attendance_id = %(i)s ORDER BY table_name",
        i=withdrawn,
    )
    assert [(table, run) for table, run, _ in marks] == [("attendance", "follower")] + [
        ("attendance_time", "follower")
    ] * time_rows
    assert box.q("SELECT action, reason FROM {own}.followed ORDER BY action") == [
        ("recode", "code changed"),
        ("withdraw", "source deleted"),
    ]

    rolled = roll_back_run(box.conn, box.own, SCHOOL, "follower", "undo-follower", "auditor")

    assert rolled.outcome == "rolled_back"
    assert_same_sis(box, before)  # F6: the previous code and the withdrawn copy, ids included, exactly
    counts = box.q("SELECT rollback_counts FROM {own}.run_log WHERE run_id = 'follower'")[0][0]
    assert (counts["recodes_undone"], counts["withdrawals_undone"], counts["attendance_time_restored"]) == (
        1, 1, time_rows,
    )  # fmt: skip
    assert rolled.restored == {
        key: value for key, value in counts.items() if key not in ("attendance", "attendance_time")
    }
    # The copies are copies again, as their building run left them: once the person's edit is taken back, the
    # building run's rollback removes every one of them.
    box.q("UPDATE {sis}.attendance SET att_comment = NULL WHERE id = %(i)s", i=edited)
    roll_back_run(box.conn, box.own, SCHOOL, "built", "undo-built", "auditor")
    assert (
        box.count(
            "SELECT count(*) FROM {sis}.attendance WHERE id IN (%(a)s, %(b)s, %(c)s)", a=recoded, b=withdrawn, c=edited
        )
        == 0
    )


def test_f6_the_building_runs_rollback_takes_a_later_recode_and_withdrawal_as_the_pipelines_own(box: Sandbox) -> None:
    before_any = sis(box)
    built_run(box, "built")
    _, _, (recoded, withdrawn, _) = three_copies(box)
    new_code = other_code(box, source_of(box, recoded))
    box.q(
        "UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=new_code, i=source_of(box, recoded)
    )
    box.q("UPDATE {sis}.attendance SET studentid = studentid + 100000 WHERE id = %(i)s", i=source_of(box, withdrawn))
    copies, sources = read_copies(box.conn, box.own, box.sis, SCHOOL, YEAR_START, YEAR_END)
    follow(
        box,
        "follower",
        judged(
            copies,
            sources,
            {recoded: ("recode", new_code, "code changed"), withdrawn: ("withdraw", None, "source moved")},
        ),
    )

    rolled = roll_back_run(box.conn, box.own, SCHOOL, "built", "undo-built", "auditor")

    assert rolled.outcome == "rolled_back"
    # Every copy is gone, the recoded one too; the teachers' corrections stay as they made them.
    now = sis(box)
    assert len(now["attendance"]) == len(before_any["attendance"])
    assert set(now["attendance"]["id"]) == set(before_any["attendance"]["id"])
    assert len(now["attendance_time"]) == len(before_any["attendance_time"])
    # The follower's changes have nothing left to restore: its rollback says so and changes nothing.
    moot = roll_back_run(box.conn, box.own, SCHOOL, "follower", "undo-follower", "auditor")
    assert moot.restored["nothing_to_undo"] == 2 and moot.restored["recodes_undone"] == 0  # F8: said in its report
    assert_same_sis(box, now)
    assert {row[0] for row in box.q("SELECT undone_how FROM {own}.followed")} == {
        "nothing to restore: run built that built the copy was rolled back first"
    }


def test_x1_f3_the_follow_function_changes_no_record_a_run_did_not_build_and_recodes_only_to_the_source_code(
    box: Sandbox,
) -> None:
    built_run(box, "built")
    copies, sources, (copy_id, _, _) = three_copies(box)
    teacher = box.q(
        "SELECT min(id) FROM {sis}.attendance WHERE id NOT IN (SELECT row_id FROM {own}.lineage) AND schoolid = 100"
    )[0][0]
    before = sis(box)
    forged = pd.DataFrame(
        {
            "attendance_id": [teacher],
            "verdict": ["withdraw"],
            "new_attendance_codeid": pd.array([None], dtype="Int64"),
            "reason": ["source deleted"],
            "copy_md5": [None],
            "source_md5": [None],
        }
    )
    with pytest.raises(errors.InsufficientPrivilege, match="X1: 1 change"):
        follow(box, "forger", forged)
    wrong_code = judged(
        copies, sources, {copy_id: ("recode", other_code(box, source_of(box, copy_id)), "code changed")}
    )
    with pytest.raises(errors.InsufficientPrivilege, match="F3: 1 recode"):
        follow(box, "forger2", wrong_code)
    assert_same_sis(box, before)
    assert box.count("SELECT count(*) FROM {own}.followed") == 0


def test_f6_a_copy_changed_after_a_run_recoded_it_stops_that_runs_rollback_by_name_and_nothing_changes(
    box: Sandbox,
) -> None:
    built_run(box, "built")
    _, _, (recoded, _, _) = three_copies(box)
    new_code = other_code(box, source_of(box, recoded))
    box.q(
        "UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=new_code, i=source_of(box, recoded)
    )
    copies, sources = read_copies(box.conn, box.own, box.sis, SCHOOL, YEAR_START, YEAR_END)
    follow(box, "follower", judged(copies, sources, {recoded: ("recode", new_code, "code changed")}))
    # The office adds a comment to the recoded copy afterwards.
    box.q("UPDATE {sis}.attendance SET att_comment = 'called home' WHERE id = %(i)s", i=recoded)
    before = sis(box)

    with pytest.raises(RollbackRefused) as refused:
        roll_back_run(box.conn, box.own, SCHOOL, "follower", "undo-follower", "auditor")

    [problem] = refused.value.problems
    assert (problem.row_id, problem.problem) == (recoded, "changed_since_recoded")
    assert "roll that run back first" in problem.describe()
    assert_same_sis(box, before)
    assert box.q("SELECT status FROM {own}.run_log WHERE run_id = 'follower'") == [("succeeded",)]


def test_f3_f4_a_copy_another_run_followed_first_is_left_for_the_next_run_and_not_refused(box: Sandbox) -> None:
    built_run(box, "built")
    _, _, (recoded, withdrawn, _) = three_copies(box)
    new_code = other_code(box, source_of(box, recoded))
    box.q(
        "UPDATE {sis}.attendance SET attendance_codeid = %(c)s WHERE id = %(i)s", c=new_code, i=source_of(box, recoded)
    )
    box.q("DELETE FROM {sis}.attendance WHERE id = %(i)s", i=source_of(box, withdrawn))
    copies, sources = read_copies(box.conn, box.own, box.sis, SCHOOL, YEAR_START, YEAR_END)
    verdicts = {recoded: ("recode", new_code, "code changed"), withdrawn: ("withdraw", None, "source deleted")}
    # Two runs judged the same copies (two syncs of one school at once); the first to load follows them.
    first = follow(box, "first", judged(copies, sources, verdicts))
    after_first = sis(box)

    second = follow(box, "second", judged(copies, sources, verdicts))

    assert (first.recoded, first.withdrawn) == (1, 1)
    assert (second.recoded, second.withdrawn, second.left_changed) == (0, 0, 2)
    assert_same_sis(box, after_first)


def test_x7_the_follow_function_changes_nothing_under_a_run_that_is_not_running(box: Sandbox) -> None:
    built_run(box, "built")
    copies, sources, (copy_id, _, _) = three_copies(box)
    logged_run(box, "finished")  # its run log says it ended: changes made now could never be undone
    box.backup("finished", SCHOOL)
    before = sis(box)
    changes = judged(copies, sources, {copy_id: ("withdraw", None, "source deleted")})
    with pytest.raises(errors.InsufficientPrivilege, match="not a running run"), box.conn.transaction():
        follow_copies(box.conn, box.own, box.sis, DAG_ID, "finished", SCHOOL, changes)
    assert_same_sis(box, before)


def test_f2_a_copy_whose_attendance_time_a_person_changed_or_that_a_record_was_built_on_is_edited(box: Sandbox) -> None:
    built_run(box, "built")
    _, _, (timed, built_on, untouched) = three_copies(box)
    box.q("UPDATE {sis}.attendance_time SET time_out = time_out - 600 WHERE attendanceid = %(i)s", i=timed)
    box.q(
        "INSERT INTO {sis}.attendance (studentid, schoolid, yearid, att_date, attendance_codeid, att_mode_code, "
        "parent_attendanceid) SELECT studentid, schoolid, yearid, att_date, attendance_codeid, 'ATT_ModeMeeting', id "
        "FROM {sis}.attendance WHERE id = %(i)s",
        i=built_on,
    )

    copies, _ = read_copies(box.conn, box.own, box.sis, SCHOOL, YEAR_START, YEAR_END)

    assert copies.set_index("attendance_id").loc[[timed, built_on, untouched], "edited"].tolist() == [
        True, True, False,
    ]  # fmt: skip
