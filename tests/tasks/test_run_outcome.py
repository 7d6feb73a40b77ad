"""The run log and the report never lie or hang (issue 18, point 5).

Whatever stops a run, its run log row ends with a status that matches what landed, and a message
that names the path or value at fault. A run whose process died right after its load committed
is finished by ``attendance_bridge_finish_run`` from what the load recorded, and can then be
rolled back like any other.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from airflow.sdk.exceptions import AirflowFailException
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.config import REPORTS_BASE_ENV
from attendance_bridge.db import lookups
from attendance_bridge.reporting.run_folders import run_folder_name
from attendance_bridge.tasks import parameters, sync, sync_report
from attendance_bridge.tasks.runtime import TaskRun

from tests.support.phases import connect, run_phases
from tests.support.sync_sandbox import Sandbox, parsed_dag, run_report_folder, snapshot
from tests.tasks.test_rollback import run_rollback

pytestmark = pytest.mark.integration

CONF = {"school_number": 100, "year": 35, "direction": "daily_to_meeting", "end_date": "2025-10-31"}


def run_log(box: Sandbox, run_id: str) -> dict:
    names = ("status", "school_number", "message", "report_path", "counts")
    [row] = box.q(f"SELECT {', '.join(names)} FROM {{pipeline}}.run_log WHERE run_id = %(r)s", r=run_id)
    return dict(zip(names, row, strict=True))


def lineage_rows(box: Sandbox, run_id: str) -> int:
    return box.q(
        "SELECT count(*) FROM {pipeline}.lineage WHERE run_id = %(r)s AND table_name = 'attendance' "
        "AND rolled_back_at IS NULL",
        r=run_id,
    )[0][0]


def test_a_reports_base_that_cannot_be_created_fails_the_run_with_its_path_and_the_run_log_ends(
    sandbox, sync_dag, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the reports base should be")
    monkeypatch.setenv(REPORTS_BASE_ENV, f"file://{blocker}/reports")
    before = snapshot(sandbox)

    run = sync_dag.test(run_conf=CONF, logical_date=datetime.now(UTC))

    assert str(run.state) == "failed"
    row = run_log(sandbox, run.run_id)
    assert row["status"] == "failed" and row["report_path"] is None
    assert f"{blocker}/reports/school_100" in row["message"] and REPORTS_BASE_ENV in row["message"]
    assert snapshot(sandbox) == before


def test_a_school_number_too_large_for_the_database_is_refused_and_recorded(sandbox, sync_dag) -> None:
    run = sync_dag.test(run_conf={"school_number": 2**63, "year": 35}, logical_date=datetime.now(UTC))

    assert str(run.state) == "failed"
    row = run_log(sandbox, run.run_id)
    assert (row["status"], row["school_number"]) == ("failed", None)
    assert row["message"].startswith("P1 failed for school 9223372036854775808")
    report = json.loads((Path(urlsplit(row["report_path"]).path)).read_text())
    assert report["status"] == "failed" and report["parameters"]["school_number"] == 2**63


def killed_after_the_load(sandbox) -> tuple[TaskRun, dict]:
    """A run whose process died right after its load committed: every phase up to the load, no report."""
    run = TaskRun(SYNC_DAG_ID, f"manual__killed-{datetime.now(UTC):%H%M%S%f}", date(2026, 6, 6), "operator")
    upstream = run_phases(run, CONF)
    assert upstream["load_missing_records"]["load"]["inserted_attendance"] > 0
    return run, upstream


def test_a_run_killed_after_its_commit_is_finished_from_its_load_log_then_rolled_back(sandbox, rollback_dag) -> None:
    before = snapshot(sandbox)
    run, upstream = killed_after_the_load(sandbox)
    inserted = upstream["load_missing_records"]["load"]["inserted_attendance"]
    assert run_log(sandbox, run.run_id)["status"] == "running"
    # The rollback will not take a running run, and says how to finish it.
    state, refused = run_rollback(rollback_dag, school_number=100, run_id=run.run_id)
    assert state == "failed" and "attendance_bridge_finish_run" in refused["message"]

    finish_dag = parsed_dag("attendance_bridge_finish_run")
    finishing = finish_dag.test(run_conf={"school_number": 100, "run_id": run.run_id}, logical_date=datetime.now(UTC))

    assert str(finishing.state) == "success"
    row = run_log(sandbox, run.run_id)
    assert row["status"] == "succeeded" and row["counts"]["inserted"] == inserted == lineage_rows(sandbox, run.run_id)
    assert "ended after its load committed" in row["message"]
    report = json.loads(Path(urlsplit(row["report_path"]).path).read_text())
    assert (report["status"], report["counts"]["inserted"]) == ("succeeded", inserted)
    [(own,)] = sandbox.q("SELECT status FROM {pipeline}.run_log WHERE run_id = %(r)s", r=finishing.run_id)
    assert own == "succeeded"
    # Finishing again changes nothing; then the rollback works.
    again = finish_dag.test(run_conf={"school_number": 100, "run_id": run.run_id}, logical_date=datetime.now(UTC))
    assert str(again.state) == "success" and run_log(sandbox, run.run_id)["message"] == row["message"]
    state, undone = run_rollback(rollback_dag, school_number=100, run_id=run.run_id)
    assert state == "success", undone["message"]
    assert undone["deleted"]["attendance"] == inserted
    assert snapshot(sandbox) == before


def test_a_run_killed_before_any_load_committed_is_finished_as_failed(sandbox) -> None:
    run = TaskRun(SYNC_DAG_ID, "manual__killed-early", date(2026, 6, 6), "operator")
    run_phases(run, CONF, until="back_up_school_records")  # died before its load
    finish_dag = parsed_dag("attendance_bridge_finish_run")

    finishing = finish_dag.test(run_conf={"school_number": 100, "run_id": run.run_id}, logical_date=datetime.now(UTC))

    assert str(finishing.state) == "success"
    row = run_log(sandbox, run.run_id)
    assert row["status"] == "failed" and "nothing of it is in the SIS" in row["message"]


@pytest.mark.parametrize(
    ("conf", "refusal"),
    [
        ({"school_number": 100, "run_id": "manual__never-ran"}, "manual__never-ran"),
        ({"school_number": 100, "run_id": "manual__x", "force": True}, "force"),
    ],
    ids=["unknown run id", "unknown key"],
)
def test_a_refused_finish_closes_its_own_run_log_row(sandbox, conf: dict, refusal: str) -> None:
    """Issue 29: the finish DAG has one task and no report task after it; a refusal must not leave its own
    run log row at running."""
    finish_dag = parsed_dag("attendance_bridge_finish_run")

    finishing = finish_dag.test(run_conf=conf, logical_date=datetime.now(UTC))

    assert str(finishing.state) == "failed"
    row = run_log(sandbox, finishing.run_id)
    assert row["status"] == "failed" and refusal in row["message"]
    assert row["school_number"] == 100


def test_the_report_task_reads_a_load_whose_task_ended_without_a_word(sandbox) -> None:
    run, upstream = killed_after_the_load(sandbox)
    inserted = upstream["load_missing_records"]["load"]["inserted_attendance"]
    del upstream["load_missing_records"]  # the task's process was killed: Airflow has no XCom of it

    written = sync_report.write_report(run, CONF, upstream)

    assert written["status"] == "succeeded" and written["counts"]["inserted"] == inserted
    report = json.loads(Path(urlsplit(written["report_path"]).path).read_text())
    assert any("ended without reporting" in warning for warning in report["warnings"])
    assert run_log(sandbox, run.run_id)["status"] == "succeeded"


def test_a_count_by_day_and_code_the_database_gives_up_still_closes_the_run_log(sandbox, monkeypatch) -> None:
    """Issue 29: on a 20,000-student school this count once ran for minutes and the run log stayed running. A
    count that takes longer than its bound is cancelled: the report says so, the run log ends as what landed."""
    run, upstream = killed_after_the_load(sandbox)
    inserted = upstream["load_missing_records"]["load"]["inserted_attendance"]
    monkeypatch.setattr(lookups, "REPORT_QUERY_TIMEOUT", "1s")
    # Another session holds attendance: the count's join to it waits until its statement is cancelled.
    with connect(sandbox, autocommit=False) as holder:
        # Should the bound ever be lost, the lock goes after 60 s, and the warning's assertion fails, not the run.
        holder.execute("SET idle_in_transaction_session_timeout = '60s'")
        holder.execute(f'LOCK TABLE "{sandbox.schema}".attendance IN ACCESS EXCLUSIVE MODE')
        written = sync_report.write_report(run, CONF, upstream)
        holder.rollback()

    assert written["status"] == "succeeded" and written["counts"]["inserted"] == inserted
    report = json.loads(Path(urlsplit(written["report_path"]).path).read_text())
    assert report["by_date_and_code"] == []
    assert any("could not be counted by day and code (QueryCanceled" in warning for warning in report["warnings"])
    row = run_log(sandbox, run.run_id)
    assert row["status"] == "succeeded" and row["counts"]["inserted"] == inserted


def test_a_report_that_cannot_be_written_after_a_load_names_its_path_and_the_run_log_says_what_landed(
    sandbox,
) -> None:
    run, upstream = killed_after_the_load(sandbox)
    inserted = upstream["load_missing_records"]["load"]["inserted_attendance"]
    report_json = Path(run_report_folder()) / "school_100" / run_folder_name(run.dag_id, run.run_id) / "report.json"
    report_json.mkdir(parents=True)  # something in the way of the report file
    landed = snapshot(sandbox)

    with pytest.raises(AirflowFailException, match=r"could not be written to .*report\.json \(IsADirectoryError"):
        sync_report.write_report(run, CONF, upstream)

    row = run_log(sandbox, run.run_id)
    assert row["status"] == "succeeded" and row["counts"]["inserted"] == inserted
    assert row["report_path"] is None and str(report_json) in row["message"]
    # The SIS is as the load left it: nothing undone by a report that could not be written.
    assert snapshot(sandbox) == landed and lineage_rows(sandbox, run.run_id) == inserted


def test_a_load_that_comes_after_its_run_was_finished_does_not_land(sandbox) -> None:
    """The finish DAG's verdict stands: a process that was not dead after all cannot load afterwards."""
    run = TaskRun(SYNC_DAG_ID, "manual__not-dead-after-all", date(2026, 6, 6), "operator")
    upstream = run_phases(run, CONF, until="back_up_school_records")
    finish_dag = parsed_dag("attendance_bridge_finish_run")
    finish_dag.test(run_conf={"school_number": 100, "run_id": run.run_id}, logical_date=datetime.now(UTC))
    assert run_log(sandbox, run.run_id)["status"] == "failed"
    before = snapshot(sandbox)

    with pytest.raises(AirflowFailException, match="was closed by attendance_bridge_finish_run run .* Start a new"):
        sync.load_missing_records(run, upstream["check_parameters"], upstream["compute_missing_records"])

    assert snapshot(sandbox) == before and lineage_rows(sandbox, run.run_id) == 0
    assert run_log(sandbox, run.run_id)["status"] == "failed"


def test_a_refusal_points_at_the_run_s_report_page_not_at_its_json(sandbox) -> None:
    """Issue 20, point 5: P2 refuses a year before 2004-2005; the task's failure names the rule, the school and
    the page a person opens (report.html), not report.json."""
    run = TaskRun(SYNC_DAG_ID, "manual__p2-refused", date(2026, 6, 6), "operator")
    conf = {"school_number": 100, "year": "2003-2004"}
    with pytest.raises(AirflowFailException) as refused:
        parameters.check_parameters(run, conf)

    with pytest.raises(AirflowFailException) as failed:
        sync_report.write_report(run, conf, {}, {"check_parameters": str(refused.value)})

    page = Path(run_report_folder()) / "school_100" / run_folder_name(run.dag_id, run.run_id) / "report.html"
    assert page.is_file()
    assert str(failed.value) == (
        "The run failed: P2 failed for school 100: school years before 2004-2005 cannot be synchronized "
        f"(year 2003-2004) (report page: file://{page})"
    )
    assert run_log(sandbox, run.run_id)["report_path"].endswith("report.json")  # the record keeps the JSON


def test_a_refused_rollback_points_at_its_report_page(sandbox) -> None:
    from attendance_bridge.catalog import ROLLBACK_DAG_ID
    from attendance_bridge.tasks import rollback

    run = TaskRun(ROLLBACK_DAG_ID, "manual__rollback-refused", date(2026, 6, 6), "operator")
    refusal = "the run no-such-run has no records of school 100 in the SIS; nothing was deleted"
    with pytest.raises(AirflowFailException) as failed:
        rollback.write_report(run, {"school_number": 100, "run_id": "no-such-run"}, {}, {"plan_rollback": refusal})

    page = Path(run_report_folder()) / "school_100" / run_folder_name(run.dag_id, run.run_id) / "report.html"
    assert page.is_file()
    assert str(failed.value).startswith("The rollback failed: ") and refusal in str(failed.value)
    assert str(failed.value).endswith(f"(report page: file://{page})")
