"""What the tests that run the sync DAG share: a sandboxed demo district and the checks on it.

Fixtures (``sync_dag``, ``airflow_metadata``, ``sandbox``) are in ``conftest.py``; the helpers
here compare what landed with the rules engine and snapshot every SIS table.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import psycopg
import pytest
from attendance_bridge.config import (
    MODE_DAILY,
    PIPELINE_SCHEMA_ENV,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from attendance_bridge.db.extract import read_school_frames
from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.domain.frames import RECORD_DTYPES
from attendance_bridge.domain.request import BridgeRequest
# A run's report folder's name under its school's folder (``reporting.run_folders`` lays the folders out).
from attendance_bridge.domain.run_names import run_folder_name
from attendance_bridge.domain.rules import bridge_records
from psycopg import sql

ROOT = Path(__file__).resolve().parents[2]
SIS_TABLES = (
    "schools", "terms", "prefs", "attendance_code", "period", "cycle_day", "bell_schedule", "bell_schedule_items",
    "calendar_day", "sections", "section_meeting", "cc", "students", "attendance", "attendance_time",
)  # fmt: skip
YEAR_FIRST_DAY, YEAR_LAST_DAY = date(2025, 8, 18), date(2026, 6, 5)
# The sandbox's demo district: students per school and generator seed.
SANDBOX_STUDENTS, SANDBOX_SEED = 40, 5
RECORD_COLUMNS = [column for column in RECORD_DTYPES if column not in ("time_in", "time_out", "total_minutes")]


@dataclass
class Sandbox:
    """One test's SIS schema, pipeline schema and folders."""

    conn: psycopg.Connection
    schema: str
    pipeline_schema: str
    reports: Path

    def q(self, statement: str, **params: object) -> list[tuple]:
        """Run one statement with {sis} and {pipeline} schema placeholders."""
        query = sql.SQL(statement).format(
            sis=sql.Identifier(self.schema), pipeline=sql.Identifier(self.pipeline_schema)
        )
        cursor = self.conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def run_sync(sync_dag, **conf: object) -> tuple[str, dict]:
    """One run of the DAG: its final state and its report."""
    run = sync_dag.test(run_conf=conf, logical_date=datetime.now(UTC))
    reports = list(Path(run_report_folder()).glob(f"*/{run_folder_name(run.dag_id, run.run_id)}/report.json"))
    assert len(reports) == 1, f"no report for {run.run_id}"
    return str(run.state), json.loads(reports[0].read_text())


@contextmanager
def twin_district(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, suffix: str = "manual") -> Iterator[Sandbox]:
    """The sandbox's district again, freshly generated in a schema of its own, with the tasks pointed at it;
    dropped afterwards, and the tasks' SIS schema set back to the sandbox's."""
    twin = Sandbox(sandbox.conn, f"{sandbox.schema}_{suffix}", sandbox.pipeline_schema, sandbox.reports)
    sandbox.q(f"CREATE SCHEMA {twin.schema}")
    try:
        create_sis_schema(sandbox.conn, twin.schema)
        generate_demo_district(sandbox.conn, twin.schema, students_per_school=SANDBOX_STUDENTS, seed=SANDBOX_SEED)
        monkeypatch.setenv(SIS_SCHEMA_ENV, twin.schema)
        yield twin
    finally:
        sandbox.q(f"DROP SCHEMA IF EXISTS {twin.schema} CASCADE")
        monkeypatch.setenv(SIS_SCHEMA_ENV, sandbox.schema)


def reconcile_by_hand(sandbox: Sandbox, sync_dag, monkeypatch: pytest.MonkeyPatch) -> pd.DataFrame:
    """What manual runs write: the sandbox's district again in a twin schema, one manual sync per school.

    Each school is synced over the whole year with ``direction=auto``, the parameters an end-of-term
    run at the year's end gives it. Returns the twin's new records (``new_records``).
    """
    with twin_district(sandbox, monkeypatch) as twin:
        twin_before = rows_before(twin)
        for school in (100, 200):
            state, report = run_sync(
                sync_dag, school_number=school, year=35, direction="auto",
                start_date=YEAR_FIRST_DAY.isoformat(), end_date=YEAR_LAST_DAY.isoformat(),
            )  # fmt: skip
            assert state == "success" and report["counts"]["inserted"] > 0
        return new_records(twin, twin_before)


def task_environment() -> dict[str, str]:
    """What the tasks of Airflow components started by a test need, as the sandbox fixture set it."""
    names = (SIS_CONN_ENV, SIS_SCHEMA_ENV, PIPELINE_SCHEMA_ENV, STAGING_BASE_ENV, REPORTS_BASE_ENV)
    return {
        **{name: os.environ[name] for name in names},
        "ATTENDANCE_BRIDGE_TIMEZONE": "UTC",
        "ATTENDANCE_BRIDGE_RETRY_DELAY_SECONDS": "1",
        # Report mode by default: apply comes from a run's conf only.
        "ATTENDANCE_BRIDGE_END_OF_TERM_MODE": "report",
    }


def run_report_folder() -> str:
    """The reports base of the current test (set by the sandbox fixture)."""
    return urlsplit(os.environ[REPORTS_BASE_ENV]).path


def snapshot(box: Sandbox) -> dict[str, tuple[int, str]]:
    """Every SIS table's row count and a checksum of its rows."""
    return {
        table: box.q(f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM {{sis}}.{table} t")[0]
        for table in SIS_TABLES
    }  # fmt: skip


def rows_before(box: Sandbox) -> dict[str, int]:
    """The largest dcid of attendance and attendance_time: rows up to it existed before the run."""
    return {
        table: box.q(f"SELECT coalesce(max(dcid), 0) FROM {{sis}}.{table}")[0][0]
        for table in ("attendance", "attendance_time")
    }


def old_rows_checksum(box: Sandbox, before: dict[str, int]) -> dict[str, tuple[int, str]]:
    """Count and checksum of the rows that existed before the run (X1: they never change)."""
    return {
        table: box.q(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t.dcid), '')) FROM {{sis}}.{table} t "
            "WHERE t.dcid <= %(last)s",
            last=last,
        )[0]
        for table, last in before.items()
    }


def expected_records(box: Sandbox, school: int, direction: str, absent_periods: str, start: date, end: date):
    """What the rules engine says the run should insert (what earlier runs built is no source: X9)."""
    request = BridgeRequest(school, 35, direction, absent_periods, start, end)
    return bridge_records(read_school_frames(box.conn, box.schema, request, box.pipeline_schema), request)


def new_records(box: Sandbox, before: dict[str, int]) -> pd.DataFrame:
    """The attendance rows the run inserted, with their attendance_time, in the engine's shape."""
    columns = ", ".join(f"a.{column}" for column in RECORD_COLUMNS)
    rows = box.q(
        f"SELECT {columns}, t.time_in, t.time_out, t.total_minutes FROM {{sis}}.attendance a "
        "LEFT JOIN {sis}.attendance_time t ON t.attendanceid = a.id WHERE a.dcid > %(last)s",
        last=before["attendance"],
    )
    frame = pd.DataFrame(rows, columns=list(RECORD_DTYPES))
    frame["att_date"] = pd.to_datetime(frame["att_date"])
    return sorted_records(frame.astype(RECORD_DTYPES))


def sorted_records(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["studentid", "att_date", "ccid", "periodid", "parent_attendanceid"]).reset_index(
        drop=True
    )


def assert_landed_exactly(box: Sandbox, before: dict[str, int], expected: pd.DataFrame) -> None:
    """Row for row, what landed is what the engine built; Daily rows have one attendance_time each."""
    landed = new_records(box, before)
    pd.testing.assert_frame_equal(landed, sorted_records(expected.astype(RECORD_DTYPES)), check_dtype=True)
    new_times = box.q(
        "SELECT count(*) FROM {sis}.attendance_time WHERE dcid > %(last)s", last=before["attendance_time"]
    )
    assert new_times[0][0] == int((expected["att_mode_code"] == MODE_DAILY).sum())


def assert_lineage_agrees(box: Sandbox, report: dict, before: dict[str, int]) -> None:
    """X7: every inserted row has its lineage row, with its run and source record; the run log agrees."""
    run_id = report["run_id"]
    lineage = box.q(
        "SELECT table_name, count(*) FROM {pipeline}.lineage WHERE run_id = %(run_id)s GROUP BY table_name",
        run_id=run_id,
    )
    inserted_attendance = box.q("SELECT count(*) FROM {sis}.attendance WHERE dcid > %(d)s", d=before["attendance"])
    inserted_time = box.q("SELECT count(*) FROM {sis}.attendance_time WHERE dcid > %(d)s", d=before["attendance_time"])
    assert dict(lineage).get("attendance", 0) == inserted_attendance[0][0] == report["counts"]["inserted"]
    assert (
        dict(lineage).get("attendance_time", 0) == inserted_time[0][0] == report["counts"]["inserted_attendance_time"]
    )
    unmatched = box.q(
        "SELECT count(*) FROM {sis}.attendance a LEFT JOIN {pipeline}.lineage l "
        "ON l.row_id = a.id AND l.table_name = 'attendance' AND l.run_id = %(run_id)s "
        "AND l.source_attendance_id = a.parent_attendanceid WHERE a.dcid > %(d)s AND l.row_id IS NULL",
        run_id=run_id,
        d=before["attendance"],
    )
    assert unmatched[0][0] == 0
    status, counts = box.q("SELECT status, counts FROM {pipeline}.run_log WHERE run_id = %(run_id)s", run_id=run_id)[0]
    assert status == "succeeded"
    assert counts["inserted"] == report["counts"]["inserted"]


def assert_backup_agrees(box: Sandbox, report: dict, rows_in_range: int) -> None:
    """X6: the run's verified snapshot holds every attendance row of the school in the range."""
    table = sql.Identifier(box.pipeline_schema, report["backup"]["attendance_table"])
    backed_up = box.conn.execute(sql.SQL("SELECT count(*) FROM {}").format(table)).fetchone()[0]
    assert backed_up == rows_in_range == report["backup"]["attendance_rows"]
    assert report["backup"]["verified_at"]


def attendance_rows_in_range(box: Sandbox, school: int, start: date, end: date) -> int:
    return box.q(
        "SELECT count(*) FROM {sis}.attendance WHERE schoolid = %(s)s AND att_date BETWEEN %(a)s AND %(b)s",
        s=school,
        a=start,
        b=end,
    )[0][0]


def parsed_dag(dag_id: str):
    """A DAG as Airflow parses it from its file in the dags folder."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / f"{dag_id}.py"))
    assert not bag.import_errors
    return bag.dags[dag_id]
