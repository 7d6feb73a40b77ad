"""X6 at the phase and DAG level: no verified backup of the run, no load.

``tests/db/test_backup_load.py`` checks ``verified_backup`` and ``load_records`` themselves. Here the
refusal goes through the code the DAG runs: ``tasks.sync.load_missing_records`` (phase level, with
the same ``TaskRun`` and arguments as the task) and a whole ``dag.test()`` run, where a trigger on the
pipeline's backup table spoils the backup right after the backup task verified it. Either way
the load fails at once (``AirflowFailException``: Airflow does not retry it) with a message
naming X6, the school and the run, and inserts nothing, not even lineage. The backup runs
beside compute and candidates, so the last test checks that the load still waits for the
candidate gate.
"""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from airflow.sdk.exceptions import AirflowFailException
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.config import MEETING_TO_DAILY
from attendance_bridge.db import migrations, run_log
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.tasks import sync
from attendance_bridge.tasks import sync as sync_tasks
from psycopg import sql

from tests.support.phases import SchoolRun
from tests.support.sync_sandbox import (
    YEAR_FIRST_DAY,
    YEAR_LAST_DAY,
    assert_landed_exactly,
    expected_records,
    rows_before,
    run_report_folder,
    snapshot,
)

pytestmark = pytest.mark.integration

DELETE_MANIFEST = "DELETE FROM {pipeline}.backup WHERE run_id = %(run_id)s"
# The first row of the run's snapshot table (named in its manifest), deleted or edited.
SNAPSHOT_ROW_SPOILS = {
    "delete": "DELETE FROM %I.%I WHERE id = (SELECT min(id) FROM %I.%I)",
    "edit": "UPDATE %I.%I SET att_comment = ''edited'' WHERE id = (SELECT min(id) FROM %I.%I)",
}


def spoil_snapshot_row(sandbox, run_id: str, how: str) -> None:
    """Delete or edit one row of the run's snapshot, as somebody with access to the pipeline schema could."""
    [(table,)] = sandbox.q("SELECT attendance_table FROM {pipeline}.backup WHERE run_id = %(run_id)s", run_id=run_id)
    target = sql.Identifier(sandbox.pipeline_schema, table)
    statement = SNAPSHOT_ROW_SPOILS[how].replace("''", "'").replace("%I.%I", "{target}")
    sandbox.conn.execute(sql.SQL(statement).format(target=target))


def spoil_action(how: str) -> str:
    """The same spoiling as a PL/pgSQL statement of a trigger on the manifest table (``NEW`` is the manifest row)."""
    statement = SNAPSHOT_ROW_SPOILS[how].replace("%", "%%")
    return (
        f"EXECUTE format('{statement}', TG_TABLE_SCHEMA, NEW.attendance_table, TG_TABLE_SCHEMA, NEW.attendance_table)"
    )


# --------------------------------------------------------------------------- phase level


@pytest.mark.parametrize(
    ("spoil", "detail"),
    [
        (None, "no backup was taken for this run"),
        (DELETE_MANIFEST, "no backup was taken for this run"),
        ("delete", "the snapshot now holds {rows_less} attendance and"),
        ("edit", "the snapshot now holds {rows} attendance and"),
    ],
    ids=["never-taken", "manifest-deleted", "snapshot-row-deleted", "snapshot-row-changed"],
)
def test_x6_the_load_phase_refuses_a_missing_or_spoilt_backup_at_once(sandbox, spoil: str | None, detail: str) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "spoilt")
    assert len(run.records) > 0
    if spoil is not None:
        rows = run.back_up()["backup"]["attendance_rows"]
        if spoil in SNAPSHOT_ROW_SPOILS:
            spoil_snapshot_row(sandbox, run.run.run_id, spoil)
        else:
            sandbox.q(spoil, run_id=run.run.run_id)
        detail = detail.format(rows=rows, rows_less=rows - 1)
    before, tables = rows_before(sandbox), snapshot(sandbox)

    with pytest.raises(AirflowFailException) as refused:  # Airflow fails the task without its retries
        run.load()

    message = str(refused.value)
    assert message.startswith(f"X6 failed for school 100, run {run.run.run_id}: {detail}"), message
    assert message.endswith("; nothing was loaded")
    assert snapshot(sandbox) == tables
    assert run.lineage_rows() == 0
    assert run_log.run_message(sandbox.conn, sandbox.pipeline_schema, run.run.dag_id, run.run.run_id) == message

    # The refusal was the backup's doing: a fresh backup (what a retried backup task takes) lets it load.
    run.back_up()
    assert run.load()["load"]["inserted_attendance"] == len(run.records)
    assert_landed_exactly(sandbox, before, run.records)


def test_x6_the_load_phase_refuses_a_backup_that_does_not_cover_the_records_days(sandbox) -> None:
    run = SchoolRun(sandbox, 100, MEETING_TO_DAILY, "short")
    last_day = run.records["att_date"].max().date()
    sync.back_up_school_records(run.run, {**run.checked, "end_date": YEAR_FIRST_DAY.isoformat()})
    tables = snapshot(sandbox)

    with pytest.raises(AirflowFailException) as refused:
        run.load()

    assert str(refused.value) == (
        f"X6 failed for school 100, run {run.run.run_id}: the records run from "
        f"{run.records['att_date'].min().date()} to {last_day} but the backup covers {YEAR_FIRST_DAY} to "
        f"{YEAR_FIRST_DAY}; nothing was loaded"
    )
    assert snapshot(sandbox) == tables
    assert run.lineage_rows() == 0


# --------------------------------------------------------------------------- DAG level


def spoil_every_backup_once_verified(sandbox, action: str) -> None:
    """A trigger that runs ``action`` in the backup's own transaction, right after its manifest is written.

    ``take_backup`` writes the manifest after it compared the snapshot with the SIS, so the
    backup task succeeds; what the load then finds is the spoilt backup.
    """
    migrations.migrate(
        sandbox.conn, sandbox.pipeline_schema
    )  # the tables the trigger needs; the run finds them current
    sandbox.q(
        "CREATE FUNCTION {pipeline}.spoil_backup() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + action
        + "; RETURN NULL; END $$"
    )
    sandbox.q(
        "CREATE TRIGGER spoil_backup AFTER INSERT ON {pipeline}.backup FOR EACH ROW "
        "EXECUTE FUNCTION {pipeline}.spoil_backup()"
    )


@pytest.mark.parametrize(
    ("action", "detail"),
    [
        (DELETE_MANIFEST.replace("%(run_id)s", "NEW.run_id"), "no backup was taken for this run"),
        (spoil_action("edit"), "the snapshot now holds"),
    ],
    ids=["manifest-gone", "snapshot-row-changed"],
)
def test_x6_a_dag_run_whose_backup_is_spoilt_after_verification_fails_in_the_load_and_inserts_nothing(
    sandbox, sync_dag, action: str, detail: str
) -> None:
    expected = expected_records(sandbox, 100, MEETING_TO_DAILY, "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    assert len(expected.records) > 0
    spoil_every_backup_once_verified(sandbox, action)
    tables = snapshot(sandbox)

    dag_run = sync_dag.test(run_conf={"school_number": 100, "year": 35}, logical_date=datetime.now(UTC))

    instances = {ti.task_id: ti for ti in dag_run.get_task_instances()}
    assert str(dag_run.state) == "failed"
    assert (str(instances["back_up_school_records"].state), instances["back_up_school_records"].try_number) == (
        "success",
        1,
    )
    # Refused at once: one try, although the task has retries for transient errors.
    load = instances["load_missing_records"]
    assert (str(load.state), load.try_number) == ("failed", 1) and load.max_tries >= 2
    report = json.loads(_report_path(dag_run.run_id).read_text())
    assert (report["status"], report["stopped_at"]) == ("failed", "load_missing_records")
    assert re.fullmatch(
        rf"X6 failed for school 100, run {re.escape(dag_run.run_id)}: {detail}.*; nothing was loaded", report["message"]
    ), report["message"]
    assert report["backup"]["verified_at"]  # the backup task did verify what it took
    assert report["counts"]["inserted"] == 0
    assert snapshot(sandbox) == tables
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage") == [(0,)]
    assert sandbox.q("SELECT status, message FROM {pipeline}.run_log WHERE run_id = %(r)s", r=dag_run.run_id) == [
        ("failed", report["message"])
    ]


def _report_path(run_id: str) -> Path:
    from attendance_bridge.reporting.run_folders import run_folder_name

    (path,) = Path(run_report_folder()).glob(f"*/{run_folder_name(SYNC_DAG_ID, run_id)}/report.json")
    return path


def test_a_failed_candidate_check_stops_the_load_although_the_backup_beside_it_succeeded(
    sandbox, sync_dag, monkeypatch
) -> None:
    """The backup runs beside compute and candidates; the load still waits for the candidate gate."""
    build = bridge_records

    def build_one_record_twice(frames, request):  # an engine bug the gate is there to catch (C1)
        result = build(frames, request)
        return dataclasses.replace(result, records=pd.concat([result.records, result.records.head(1)]))

    monkeypatch.setattr(sync_tasks, "bridge_records", build_one_record_twice)
    tables = snapshot(sandbox)

    dag_run = sync_dag.test(run_conf={"school_number": 100, "year": 35}, logical_date=datetime.now(UTC))

    states = {ti.task_id: str(ti.state) for ti in dag_run.get_task_instances()}
    assert str(dag_run.state) == "failed"
    assert (states["validate_candidates"], states["back_up_school_records"]) == ("failed", "success")
    assert states["load_missing_records"] == "upstream_failed"
    report = json.loads(_report_path(dag_run.run_id).read_text())
    assert (report["status"], report["stopped_at"]) == ("failed", "validate_candidates")
    assert report["message"].startswith("C1"), report["message"]
    assert snapshot(sandbox) == tables
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage") == [(0,)]
