"""Run ids the project cannot serve (issue 29) are refused by the first task of every DAG, before anything
else: ``.`` and ``..`` (Airflow's own XCom API cannot address them), an id with ``/``, an id whose folder name
would be longer than a folder name may be. The run log row is closed as failed with a message that says what
to do, and no folder is made. Real runs and the task functions called as their tasks call them, on a real
PostgreSQL.

``dag.test()`` takes no run id, so the tests choose it where ``dag.test()`` asks Airflow for one
(``DagRun.generate_run_id``): the runs are otherwise real, tasks, XCom API and all.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from airflow.sdk.exceptions import AirflowFailException
from attendance_bridge.catalog import (
    END_OF_TERM_DAG_ID,
    FINISH_RUN_DAG_ID,
    NIGHTLY_DAG_ID,
    ROLLBACK_DAG_ID,
    SYNC_DAG_ID,
)
from attendance_bridge.domain.run_names import unservable_run_id
from attendance_bridge.tasks import end_of_term, finish_run, nightly, parameters, rollback, sync_report
from attendance_bridge.tasks.runtime import TaskRun

from tests.support.sync_sandbox import Sandbox, snapshot

pytestmark = pytest.mark.integration


def chosen_run_id(monkeypatch: pytest.MonkeyPatch, *run_ids: str) -> None:
    """The run ids the next ``dag.test()`` calls get, in order, as if chosen by whoever triggered them."""
    from airflow.models.dagrun import DagRun

    chosen = iter(run_ids)
    monkeypatch.setattr(DagRun, "generate_run_id", staticmethod(lambda **_: next(chosen)))


def forget_dag_run(dag_id: str, run_id: str) -> None:
    """Delete an earlier test session's run with a fixed id from Airflow's metadata database (dag.test() would
    collide with it: it replaces a run of the same logical date only)."""
    from airflow.models.dagrun import DagRun
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        for run in session.scalars(select(DagRun).where(DagRun.dag_id == dag_id, DagRun.run_id == run_id)):
            session.delete(run)


def run_log_row(sandbox: Sandbox, dag_id: str, run_id: str) -> list[tuple]:
    return sandbox.q(
        "SELECT status, message FROM {pipeline}.run_log WHERE dag_id = %(d)s AND run_id = %(r)s", d=dag_id, r=run_id
    )


def assert_no_files(sandbox: Sandbox) -> None:
    """No folder or file under the sandbox's reports and staging bases (conftest puts both in one tmp_path)."""
    for base in (sandbox.reports, sandbox.reports.parent / "staging"):
        assert not base.exists() or list(base.rglob("*")) == [], base


def test_a_sync_run_with_the_id_dot_is_refused_at_once_its_run_log_closed_and_no_folder_made(
    sandbox: Sandbox, sync_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_dag_run(SYNC_DAG_ID, ".")
    chosen_run_id(monkeypatch, ".")
    before = snapshot(sandbox)

    run = sync_dag.test(run_conf={"school_number": 100, "year": 35}, logical_date=datetime.now(UTC))

    message = unservable_run_id(SYNC_DAG_ID, ".")
    assert message.startswith("The run id '.' of attendance_bridge_sync cannot be used: Airflow's own task API")
    assert (run.run_id, str(run.state)) == (".", "failed")
    instances = {ti.task_id: ti for ti in run.get_task_instances()}
    # Refused, not retried; the report task ends the run without XCom (which cannot address ".").
    assert (str(instances["check_parameters"].state), instances["check_parameters"].try_number) == ("failed", 1)
    assert str(instances["write_report"].state) == "failed"
    assert str(instances["load_missing_records"].state) == "upstream_failed"
    assert run_log_row(sandbox, SYNC_DAG_ID, ".") == [("failed", message)]
    assert snapshot(sandbox) == before
    assert_no_files(sandbox)


def test_a_rollback_with_the_id_dot_is_refused_and_its_run_log_closed(
    sandbox: Sandbox, rollback_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    forget_dag_run(ROLLBACK_DAG_ID, ".")
    chosen_run_id(monkeypatch, ".")

    run = rollback_dag.test(run_conf={"school_number": 100}, logical_date=datetime.now(UTC))

    assert (run.run_id, str(run.state)) == (".", "failed")
    states = {ti.task_id: (str(ti.state), ti.try_number) for ti in run.get_task_instances()}
    assert states["plan_rollback"] == ("failed", 1) and states["write_report"][0] == "failed"
    assert run_log_row(sandbox, ROLLBACK_DAG_ID, ".") == [("failed", unservable_run_id(ROLLBACK_DAG_ID, "."))]
    assert_no_files(sandbox)


@pytest.mark.parametrize("run_id", ["..", "manual__a/b", "x" * 240])
def test_every_first_task_refuses_a_run_id_it_cannot_serve_before_anything_else(sandbox: Sandbox, run_id) -> None:
    """The first task of each DAG, and the sync's and rollback's report tasks, called as their tasks call them."""
    tables = snapshot(sandbox)
    calls = {
        SYNC_DAG_ID: lambda run: parameters.check_parameters(run, {"school_number": 100, "year": 35}),
        ROLLBACK_DAG_ID: lambda run: rollback.plan_rollback(run, {"school_number": 100}),
        FINISH_RUN_DAG_ID: lambda run: finish_run.finish_run(run, {"school_number": 100, "run_id": "x"}),
    }
    for dag_id, call in calls.items():
        run = TaskRun(dag_id, run_id, date(2026, 6, 6), "test")
        message = unservable_run_id(dag_id, run_id)
        assert message is not None and repr(run_id) in message
        with pytest.raises(AirflowFailException, match="cannot be used"):
            call(run)
        assert run_log_row(sandbox, dag_id, run_id) == [("failed", message)]
    # The report tasks close the row again without reading XCom or writing a file.
    sandbox.q("DELETE FROM {pipeline}.run_log")
    for dag_id, report in ((SYNC_DAG_ID, sync_report.write_report), (ROLLBACK_DAG_ID, rollback.write_report)):
        with pytest.raises(AirflowFailException, match="cannot be used"):
            report(TaskRun(dag_id, run_id, date(2026, 6, 6), "test"), {"school_number": 100}, {}, {})
        assert run_log_row(sandbox, dag_id, run_id) == [("failed", unservable_run_id(dag_id, run_id))]
    # The district DAGs' plans (no run log of their own) refuse before they read the SIS.
    night = (datetime(2026, 6, 5, tzinfo=UTC), datetime(2026, 6, 6, tzinfo=UTC), "UTC", "report")
    with pytest.raises(AirflowFailException, match="cannot be used"):
        nightly.find_school_days_to_bridge(TaskRun(NIGHTLY_DAG_ID, run_id, date(2026, 6, 6)), *night)
    with pytest.raises(AirflowFailException, match="cannot be used"):
        end_of_term.find_schools_to_reconcile(TaskRun(END_OF_TERM_DAG_ID, run_id, date(2026, 6, 6)), *night)
    assert snapshot(sandbox) == tables
    assert_no_files(sandbox)
