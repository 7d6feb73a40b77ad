"""Counts that tell the truth (issue 18): what the run log, report.json and the page say a load did is what it did.

Every record a load is handed is counted once: inserted, skipped because it existed, left out
because its source changed (test_source_races.py), or declined by the database. ``inserted`` is
what the run's lineage and the SIS hold, also when a retry follows a commit whose answer was lost.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from attendance_bridge.catalog import SOURCE_CHANGES_TABLE
from attendance_bridge.config import ALL_PERIODS, MEETING_TO_DAILY

from tests.support.phases import SchoolRun
from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    assert_lineage_agrees,
    expected_records,
    rows_before,
    run_report_folder,
    run_sync,
)

pytestmark = pytest.mark.integration


def drop_inserts(sandbox, table: str, condition: str) -> None:
    """A BEFORE INSERT row trigger on ``table`` that keeps rows matching ``condition`` from landing (returns NULL)."""
    sandbox.q(
        "CREATE FUNCTION {sis}.drop_some() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"IF {condition} THEN RETURN NULL; END IF; RETURN NEW; END $$"
    )
    sandbox.q(
        f"CREATE TRIGGER drop_some BEFORE INSERT ON {{sis}}.{table} FOR EACH ROW EXECUTE FUNCTION {{sis}}.drop_some()"
    )


def test_rows_the_database_declines_are_their_own_count_not_skipped_existing(sandbox, sync_dag) -> None:
    before = rows_before(sandbox)
    engine = expected_records(sandbox, 100, MEETING_TO_DAILY, ALL_PERIODS, YEAR_FIRST_DAY, YEAR_LAST_DAY)
    drop_inserts(sandbox, "attendance", "NEW.att_mode_code = 'ATT_ModeDaily' AND NEW.studentid %% 4 = 0")

    state, report = run_sync(sync_dag, school_number=100, year=35)

    assert state == "success", report["message"]
    counts = report["counts"]
    landed = sandbox.q("SELECT count(*) FROM {sis}.attendance WHERE dcid > %(d)s", d=before["attendance"])[0][0]
    assert counts["inserted"] == landed > 0
    assert counts["declined_by_database"] > 0
    # Only what existed before the run is "already there" (M1's skips); the records built are inserted or declined.
    assert counts["skipped_existing"] == engine.counts["skipped_existing"]
    assert counts["inserted"] + counts["declined_by_database"] == counts["candidates"]
    assert_lineage_agrees(sandbox, report, before)
    [(logged,)] = sandbox.q("SELECT counts FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"])
    assert logged == counts
    assert any("did not keep" in warning for warning in report["warnings"])
    page = Path(run_report_folder()) / "school_100" / sync_folder(report["dag_id"], report["run_id"]) / "report.html"
    assert "Not kept by the database" in page.read_text(encoding="utf-8")


def sync_folder(dag_id: str, run_id: str) -> str:
    from attendance_bridge.reporting.run_folders import run_folder_name

    return run_folder_name(dag_id, run_id)


def test_x4_attendance_times_the_database_declines_refuse_the_whole_load(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "times-declined")
    run.back_up()
    before = rows_before(sandbox)
    drop_inserts(sandbox, "attendance_time", "NEW.time_in IS NOT NULL AND NEW.attendanceid %% 5 = 0")

    with pytest.raises(Exception, match=r"X4 failed for school 100: the database kept \d+ of the \d+ attendance times"):
        run.load()

    assert rows_before(sandbox) == before and run.lineage_rows() == 0


def test_a_retry_after_a_commit_whose_answer_was_lost_reports_what_the_run_inserted(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "lost-answer")
    run.back_up()
    before = rows_before(sandbox)
    first = run.load()["load"]  # committed; say its answer never reached the worker
    retried = run.load()["load"]  # what Airflow's retry of the task does

    assert retried["inserted_attendance"] == first["inserted_attendance"] == len(run.records) > 0
    assert retried["inserted_attendance_time"] == first["inserted_attendance_time"] > 0
    assert (retried["inserted_now"], retried["inserted_before"], retried["skipped_existing"]) == (
        0, len(run.records), 0,
    )  # fmt: skip
    assert rows_before(sandbox)["attendance"] == before["attendance"] + len(run.records)
    logged = sandbox.q(
        "SELECT counts ->> 'inserted' FROM {pipeline}.load_log WHERE run_id = %(r)s ORDER BY loaded_at",
        r=run.run.run_id,
    )
    assert [int(row[0]) for row in logged] == [len(run.records), 0]
    assert SOURCE_CHANGES_TABLE not in run.load()["paths"]


def test_a_retry_that_lands_what_the_first_try_could_not_counts_each_record_once(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "second-try-lands-more")
    run.back_up()
    before = rows_before(sandbox)
    drop_inserts(sandbox, "attendance", "NEW.att_mode_code = 'ATT_ModeDaily' AND NEW.studentid %% 3 = 0")
    first = run.load()["load"]
    assert first["declined_by_database"] > 0
    sandbox.q("DROP TRIGGER drop_some ON {sis}.attendance")
    # A clerk deletes one of the rows the first try inserted before the retry runs.
    [(deleted,)] = sandbox.q(
        "SELECT min(row_id) FROM {pipeline}.lineage WHERE run_id = %(r)s AND table_name = 'attendance'",
        r=run.run.run_id,
    )
    sandbox.q("DELETE FROM {sis}.attendance_time WHERE attendanceid = %(id)s", id=deleted)
    sandbox.q("DELETE FROM {sis}.attendance WHERE id = %(id)s", id=deleted)

    retried = run.load()["load"]

    landed = sandbox.q("SELECT count(*) FROM {sis}.attendance WHERE dcid > %(d)s", d=before["attendance"])[0][0]
    assert retried["inserted_attendance"] == landed == len(run.records)
    # Rows of the run still in the SIS from the first try (the clerk's delete not among them) ...
    assert retried["inserted_before"] == first["inserted_attendance"] - 1
    # ... and now what the trigger kept out and what the clerk deleted: every record counted once.
    assert retried["inserted_now"] == first["declined_by_database"] + 1
    assert (retried["skipped_existing"], retried["declined_by_database"], retried["skipped_source_changed"]) == (
        0,
        0,
        0,
    )
