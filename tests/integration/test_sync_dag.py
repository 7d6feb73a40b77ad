"""The attendance_bridge_sync DAG run for real (``dag.test()``) against a real PostgreSQL.

Every test gets a freshly generated demo district in a schema of its own, its own pipeline
schema and report folder. What lands in the SIS is compared row for row with what the rules
engine says should land, and every row that existed before the run is checked unchanged.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd
import psycopg
import pytest
from attendance_bridge.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.embedded import SisConnection
from attendance_bridge.extract import read_school_frames
from attendance_bridge.frames import BridgeRequest
from attendance_bridge.rules import RECORD_DTYPES, bridge_records
from attendance_bridge.settings import (
    MODE_DAILY,
    PIPELINE_SCHEMA_ENV,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from psycopg import sql

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SIS_TABLES = (
    "schools", "terms", "prefs", "attendance_code", "period", "cycle_day", "bell_schedule", "bell_schedule_items",
    "calendar_day", "sections", "section_meeting", "cc", "students", "attendance", "attendance_time",
)  # fmt: skip
YEAR_FIRST_DAY, YEAR_LAST_DAY = date(2025, 8, 18), date(2026, 6, 5)
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


@pytest.fixture(scope="module")
def sync_dag():
    """The DAG as Airflow parses it from the dags folder."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_sync.py"))
    assert not bag.import_errors
    return bag.dags["attendance_bridge_sync"]


@pytest.fixture(scope="module", autouse=True)
def airflow_metadata(sis_server: SisConnection) -> None:
    """Airflow's metadata database, migrated once (dag.test() records its runs there)."""
    from airflow.utils import db

    db.upgradedb()


@pytest.fixture
def sandbox(sis_server: SisConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sandbox]:
    """A fresh demo district (40 students per school), and the DAG pointed at it."""
    suffix = uuid.uuid4().hex[:10]
    schema, pipeline_schema = f"sis_{suffix}", f"ab_{suffix}"
    monkeypatch.setenv(SIS_CONN_ENV, sis_server.airflow_json())
    monkeypatch.setenv(SIS_SCHEMA_ENV, schema)
    monkeypatch.setenv(PIPELINE_SCHEMA_ENV, pipeline_schema)
    monkeypatch.setenv(STAGING_BASE_ENV, f"file://{tmp_path / 'staging'}")
    monkeypatch.setenv(REPORTS_BASE_ENV, f"file://{tmp_path / 'reports'}")
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=40, seed=5)
            yield Sandbox(conn, schema, pipeline_schema, tmp_path / "reports")
        finally:
            for name in (schema, pipeline_schema):
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def run_sync(sync_dag, **conf: object) -> tuple[str, dict]:
    """One run of the DAG: its final state and its report."""
    run = sync_dag.test(run_conf=conf, logical_date=datetime.now(UTC))
    reports = list(Path(run_report_folder()).glob(f"*/{_safe(run.run_id)}/report.json"))
    assert len(reports) == 1, f"no report for {run.run_id}"
    return str(run.state), json.loads(reports[0].read_text())


def run_report_folder() -> str:
    """The reports base of the current test (set by the sandbox fixture)."""
    import os

    return urlsplit(os.environ[REPORTS_BASE_ENV]).path


def _safe(run_id: str) -> str:
    from attendance_bridge.staging import folder_name

    return folder_name(run_id)


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
    """What the rules engine says the run should insert."""
    request = BridgeRequest(school, 35, direction, absent_periods, start, end)
    return bridge_records(read_school_frames(box.conn, box.schema, request), request)


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
    return _sorted(frame.astype(RECORD_DTYPES))


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(["studentid", "att_date", "ccid", "periodid", "parent_attendanceid"]).reset_index(
        drop=True
    )


def assert_landed_exactly(box: Sandbox, before: dict[str, int], expected: pd.DataFrame) -> None:
    """Row for row, what landed is what the engine built; Daily rows have one attendance_time each."""
    landed = new_records(box, before)
    pd.testing.assert_frame_equal(landed, _sorted(expected.astype(RECORD_DTYPES)), check_dtype=True)
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
    backed_up = box.q(
        "SELECT count(*) FROM {pipeline}.backup_attendance WHERE run_id = %(run_id)s", run_id=report["run_id"]
    )[0][0]
    assert backed_up == rows_in_range == report["backup"]["attendance_rows"]
    assert report["backup"]["verified_at"]


def attendance_rows_in_range(box: Sandbox, school: int, start: date, end: date) -> int:
    return box.q(
        "SELECT count(*) FROM {sis}.attendance WHERE schoolid = %(s)s AND att_date BETWEEN %(a)s AND %(b)s",
        s=school,
        a=start,
        b=end,
    )[0][0]


def test_meeting_to_daily_auto_lands_exactly_the_engine_records_and_a_rerun_inserts_nothing(sandbox, sync_dag) -> None:
    # School 100 records Meeting now, so auto means "From Meeting, build Daily" (P3).
    expected = expected_records(sandbox, 100, "meeting_to_daily", "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    assert len(expected.records) > 0
    before, in_range = rows_before(sandbox), attendance_rows_in_range(sandbox, 100, YEAR_FIRST_DAY, YEAR_LAST_DAY)
    untouched = {
        table: value for table, value in snapshot(sandbox).items() if table not in ("attendance", "attendance_time")
    }
    old = old_rows_checksum(sandbox, before)

    state, report = run_sync(sync_dag, school_number=100, year=35)

    assert state == "success", report["message"]
    assert report["resolved"]["direction"] == report["resolved"]["auto_direction"] == "meeting_to_daily"
    assert report["counts"]["candidates"] == report["counts"]["inserted"] == len(expected.records)
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, report, before)
    assert_backup_agrees(sandbox, report, in_range)
    assert old_rows_checksum(sandbox, before) == old  # X1
    assert {t: v for t, v in snapshot(sandbox).items() if t in untouched} == untouched
    assert [p["status"] for p in report["preconditions"]] == ["passed"] * 6

    after_first = snapshot(sandbox)
    state, rerun = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", rerun["message"]
    assert rerun["counts"]["inserted"] == 0  # X2
    assert rerun["counts"]["skipped_existing"] >= len(expected.records)
    assert snapshot(sandbox) == after_first


def test_daily_to_meeting_bridge_period_only_over_a_date_range(sandbox, sync_dag) -> None:
    start, end = date(2025, 9, 1), date(2025, 12, 19)
    expected = expected_records(sandbox, 100, "daily_to_meeting", "bridge_period_only", start, end)
    assert len(expected.records) > 0
    before, in_range = rows_before(sandbox), attendance_rows_in_range(sandbox, 100, start, end)
    old = old_rows_checksum(sandbox, before)

    state, report = run_sync(
        sync_dag, school_number=100, year="2025-2026", direction="daily_to_meeting",
        absent_periods="bridge_period_only", start_date=start.isoformat(), end_date=end.isoformat(),
    )  # fmt: skip

    assert state == "success", report["message"]
    # P3: an explicit direction other than the current method's is allowed and noted.
    assert report["resolved"]["direction_differs_from_auto"] is True
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, report, before)
    assert_backup_agrees(sandbox, report, in_range)
    assert old_rows_checksum(sandbox, before) == old
    dates = {row["att_date"] for row in report["by_date_and_code"]}
    assert min(dates) >= start.isoformat() and max(dates) <= end.isoformat()
    assert sum(row["records"] for row in report["by_date_and_code"]) == report["counts"]["inserted"]


def test_daily_to_meeting_all_periods_with_a_unique_index_on_attendance(sandbox, sync_dag) -> None:
    # School 200 records Daily now: auto means "From Daily, build Meeting". The target may carry
    # a unique index; the load must not depend on it either way.
    # The demo district has duplicate records on purpose (M2, D6); a district with a unique
    # index has none, so this test's copy drops them before creating the index.
    sandbox.q(
        "DELETE FROM {sis}.attendance a USING {sis}.attendance b WHERE a.studentid = b.studentid "
        "AND a.att_date = b.att_date AND a.att_mode_code = b.att_mode_code AND a.ccid = b.ccid "
        "AND a.periodid = b.periodid AND a.dcid > b.dcid"
    )
    sandbox.q("CREATE UNIQUE INDEX ON {sis}.attendance (studentid, att_date, att_mode_code, ccid, periodid)")
    expected = expected_records(sandbox, 200, "daily_to_meeting", "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
    before = rows_before(sandbox)

    state, report = run_sync(sync_dag, school_number=200, year=35)

    assert state == "success", report["message"]
    assert report["resolved"]["direction"] == "daily_to_meeting"
    assert_landed_exactly(sandbox, before, expected.records)
    assert_lineage_agrees(sandbox, report, before)
    state, rerun = run_sync(sync_dag, school_number=200, year=35)
    assert state == "success" and rerun["counts"]["inserted"] == 0


def test_a_dry_run_reports_the_same_counts_and_writes_nothing(sandbox, sync_dag) -> None:
    before = snapshot(sandbox)
    state, dry = run_sync(sync_dag, school_number=200, year=35, dry_run=True)
    assert state == "success", dry["message"]
    assert snapshot(sandbox) == before  # X8
    assert dry["dry_run"] is True and dry["backup"] is None
    assert dry["counts"]["inserted"] == 0 and dry["counts"]["candidates"] > 0

    state, real = run_sync(sync_dag, school_number=200, year=35)
    assert state == "success", real["message"]
    assert real["counts"]["inserted"] == dry["counts"]["candidates"]
    assert {k: v for k, v in dry["counts"].items() if not k.startswith("inserted")} == {
        k: v for k, v in real["counts"].items() if not k.startswith("inserted")
    }
    assert sum(row["records"] for row in dry["by_date_and_code"]) == dry["counts"]["candidates"]


def test_a_failed_precondition_stops_the_run_and_writes_nothing(sandbox, sync_dag) -> None:
    # P5: take the bridge period away from the Regular bell schedule, which the school uses daily.
    sandbox.q(
        "UPDATE {sis}.bell_schedule_items i SET daily_attendance_code = 0 FROM {sis}.bell_schedule b "
        "WHERE b.id = i.bell_schedule_id AND b.schoolid = 100 AND b.name = 'Regular'"
    )
    before = snapshot(sandbox)

    state, report = run_sync(sync_dag, school_number=100, year=35)

    assert state == "failed"
    assert report["status"] == "failed"
    assert report["message"].startswith("P5 failed for school 100")
    assert "Regular" in report["message"]
    assert {p["rule"]: p["status"] for p in report["preconditions"]}["P5"] == "failed"
    assert snapshot(sandbox) == before
    assert sandbox.q("SELECT count(*) FROM {pipeline}.lineage")[0][0] == 0
    status = sandbox.q("SELECT status, message FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"])
    assert status[0][0] == "failed" and status[0][1].startswith("P5")


def test_an_unknown_parameter_is_refused_by_name_and_writes_nothing(sandbox, sync_dag) -> None:
    before = snapshot(sandbox)
    state, report = run_sync(sync_dag, school_number=100, year=35, scool="typo")
    assert state == "failed"
    assert "scool" in report["message"]
    assert report["stopped_at"] == "check_parameters"
    assert snapshot(sandbox) == before
