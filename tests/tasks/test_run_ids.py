"""A run's files are its own (issue 29), with real runs on a real PostgreSQL.

Airflow lets whoever may trigger a DAG choose the run id. Runs whose ids differ only in ``:`` ``+`` ``_``
once shared a report and a staging folder: a dry run replaced a loaded run's report, and a load
inserted another run's records under its own run id. Now each run has its folders.

The run ids are chosen as in ``test_unservable_run_ids`` (``chosen_run_id``).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.domain.run_names import encoded

from tests.support.sync_sandbox import Sandbox, run_folder_name
from tests.tasks.test_unservable_run_ids import chosen_run_id

pytestmark = pytest.mark.integration


def report_of(sandbox: Sandbox, school: int, dag_id: str, run_id: str) -> dict:
    folder = sandbox.reports / f"school_{school}" / run_folder_name(dag_id, run_id)
    return json.loads((folder / "report.json").read_text())


def test_runs_whose_ids_differ_only_in_colon_plus_or_underscore_keep_their_own_reports_and_staging(
    sandbox: Sandbox, sync_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    tag = uuid.uuid4().hex[:8]  # Airflow's metadata database outlives the test session
    loaded, dry, other = f"x:{tag}", f"x_{tag}", f"x+{tag}"
    chosen_run_id(monkeypatch, loaded, dry, other)
    moment = datetime.now(UTC)

    runs = [
        sync_dag.test(run_conf={"school_number": 100, "year": 35}, logical_date=moment),
        # Before issue 29 this dry run's report replaced the loaded run's (one folder, x_<tag>).
        sync_dag.test(run_conf={"school_number": 100, "year": 35, "dry_run": True}, logical_date=moment + timedelta(1)),
        sync_dag.test(run_conf={"school_number": 200, "year": 35, "dry_run": True}, logical_date=moment + timedelta(2)),
    ]

    assert [(run.run_id, str(run.state)) for run in runs] == [(loaded, "success"), (dry, "success"), (other, "success")]
    first, second, third = (report_of(sandbox, s, SYNC_DAG_ID, r) for s, r in ((100, loaded), (100, dry), (200, other)))
    assert (first["run_id"], first["dry_run"]) == (loaded, False) and first["counts"]["inserted"] > 0
    assert (second["run_id"], second["dry_run"]) == (dry, True) and second["counts"]["inserted"] == 0
    assert (third["run_id"], third["school_number"]) == (other, 200)
    school_100 = sorted(path.name for path in (sandbox.reports / "school_100").iterdir())
    assert school_100 == sorted(run_folder_name(SYNC_DAG_ID, run_id) for run_id in (loaded, dry))
    staged = sandbox.reports.parent / "staging" / SYNC_DAG_ID  # the sandbox's staging base (conftest)
    assert sorted(path.name for path in staged.iterdir()) == sorted(encoded(run_id) for run_id in (loaded, dry, other))
    # Every record the loaded run inserted is its own, and the run log has the three runs apart.
    rows = sandbox.q("SELECT run_id, status, dry_run FROM {pipeline}.run_log ORDER BY run_id")
    assert sorted(rows) == sorted([(loaded, "succeeded", False), (dry, "succeeded", True), (other, "succeeded", True)])
    assert sandbox.q("SELECT DISTINCT run_id FROM {pipeline}.lineage") == [(loaded,)]
