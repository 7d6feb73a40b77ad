"""A run's files are its own (issue 29), with real runs on a real PostgreSQL.

Airflow lets whoever may trigger a DAG choose the run id. Runs whose ids differ only in ``:`` ``+`` ``_``
once shared a report and a staging folder: a dry run replaced a loaded run's report, and a load
inserted another run's records under its own run id. Now each run has its folders, and the load refuses
records its run did not stage for its school.

The run ids are chosen as in ``test_unservable_run_ids`` (``chosen_run_id``).
"""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from airflow.sdk.exceptions import AirflowFailException
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.config import MEETING_TO_DAILY
from attendance_bridge.domain.run_names import encoded
from attendance_bridge.reporting.run_folders import staging_folder, write_frame
from attendance_bridge.tasks import sync

from tests.support.phases import SchoolRun
from tests.support.sync_sandbox import Sandbox, run_folder_name, snapshot
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


def test_the_load_refuses_records_its_run_did_not_stage_for_its_school_and_writes_nothing(sandbox: Sandbox) -> None:
    theirs = SchoolRun(sandbox, 100, MEETING_TO_DAILY, tag="x+1")
    mine = SchoolRun(sandbox, 100, MEETING_TO_DAILY, tag="x:1")
    mine.back_up()  # a verified backup: without the check, each load below would land its records
    before = snapshot(sandbox)
    own = staging_folder(mine.run.dag_id, mine.run.run_id)
    their_records = theirs.computed["paths"]["records"]
    copied = own / "copied" / "records.parquet"
    copied.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(urlsplit(their_records).path, copied.path)
    elsewhere = staging_folder(theirs.run.dag_id, theirs.run.run_id) / "moved" / "records.parquet"
    elsewhere.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(urlsplit(mine.computed["paths"]["records"]).path, elsewhere.path)
    stamp = sync.staged_by(mine.run, 100)
    other_school = write_frame(mine.records.assign(schoolid=200), own / "school_200.parquet", stamp)
    unstamped = write_frame(mine.records, own / "unstamped.parquet")

    def refusal(records: str) -> str:
        with pytest.raises(AirflowFailException) as refused:
            sync.load_missing_records(mine.run, mine.checked, {"paths": {"records": records}})
        return str(refused.value)

    who = f"not by this run ({mine.run.run_id} of {SYNC_DAG_ID}, school 100)"
    staged_by_them = f"were staged by run {theirs.run.run_id} of {SYNC_DAG_ID} for school 100, {who}"
    assert refusal(their_records) == (
        f"X7 failed for school 100: the records to add at {their_records} {staged_by_them}; a run loads only the "
        "records it staged itself; nothing was loaded"
    )
    assert staged_by_them in refusal(str(copied))  # in this run's folder, but staged by the other run
    assert f"are not in this run's own staging folder {own}" in refusal(str(elsewhere))
    assert f"records at {other_school} are of school 200, not of this run's school 100" in refusal(other_school)
    assert "do not say which run staged them" in refusal(unstamped)

    assert snapshot(sandbox) == before
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage") == [(0,)]
    assert sandbox.q("SELECT count(*) FROM {pipeline}.load_log") == [(0,)]
    # Its own records, staged by itself, still land.
    assert mine.load()["load"]["inserted_attendance"] == len(mine.records) > 0
    assert mine.lineage_rows() >= len(mine.records)
