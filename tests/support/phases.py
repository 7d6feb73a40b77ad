"""Driving the sync's phases directly, as the DAG's tasks do, for tests that must pause or break
a run in the middle (locks, faults): a DAG run cannot be stopped at a chosen statement.

``SchoolRun`` stages the engine's records for one school exactly as the compute task does, then
calls ``sync.back_up_school_records`` and ``sync.load_missing_records`` with the same arguments
the tasks pass. The ``wait_for_*`` helpers poll PostgreSQL's lock tables until a session is seen
waiting: the tests synchronise on what the database reports, never on a sleep.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import psycopg
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.db import migrations
from attendance_bridge.db.extract import read_school_frames
from attendance_bridge.db.load import RECORD_KEY
from attendance_bridge.db.locks import LOAD_LOCK_CLASS
from attendance_bridge.domain.frames import source_records
from attendance_bridge.domain.request import BridgeRequest, RunScope
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.reporting.run_folders import staging_folder, write_frame
from attendance_bridge.tasks import parameters, sync
from attendance_bridge.tasks.runtime import TaskRun

from tests.support.sync_sandbox import YEAR_FIRST_DAY, YEAR_LAST_DAY, Sandbox

# An advisory lock key the tests hold to pause a load inside its insert (see pause_inserts).
PAUSE_LOCK = (4242, 1)


@dataclass
class SchoolRun:
    """One sync run of a school, its checked parameters and its staged records."""

    box: Sandbox
    school_number: int
    direction: str
    tag: str = "run"
    dag_id: str = SYNC_DAG_ID
    run: TaskRun = field(init=False)
    records: pd.DataFrame = field(init=False)

    def __post_init__(self) -> None:
        self.run = TaskRun(self.dag_id, f"{self.tag}-{uuid.uuid4().hex[:8]}", date(2026, 6, 6), "test")
        request = BridgeRequest(self.school_number, 35, self.direction, "all_periods", YEAR_FIRST_DAY, YEAR_LAST_DAY)
        # What the extract reads and the compute phase builds and stages from it.
        frames = read_school_frames(self.box.conn, self.box.schema, request, self.box.pipeline_schema)
        self.records = bridge_records(frames, request).records
        self.sources = source_records(frames.attendance, self.records)
        folder = staging_folder(self.run.dag_id, self.run.run_id) / "compute"
        folder.mkdir(parents=True, exist_ok=True)
        # Stamped as the compute task stamps them: the load refuses files another run staged (issue 29).
        stamp = sync.staged_by(self.run, self.school_number)
        self.computed = {
            "paths": {
                "records": write_frame(self.records, folder / "records.parquet", stamp),
                sync.SOURCES_FRAME: write_frame(self.sources, folder / "sources.parquet", stamp),
            }
        }
        migrations.migrate(self.box.conn, self.box.pipeline_schema)

    @property
    def checked(self) -> dict[str, Any]:
        """What check_parameters hands to the backup and load tasks: the run's scope, in its XCom form."""
        return RunScope(
            school_number=self.school_number, yearid=35, start_date=YEAR_FIRST_DAY, end_date=YEAR_LAST_DAY,
            requested_direction=self.direction, absent_periods="all_periods", dry_run=False,
            sis_schema=self.box.schema, pipeline_schema=self.box.pipeline_schema,
        ).to_xcom()  # fmt: skip

    def back_up(self) -> dict[str, Any]:
        return sync.back_up_school_records(self.run, self.checked)

    def load(self) -> dict[str, Any]:
        return sync.load_missing_records(self.run, self.checked, self.computed)

    def lineage_rows(self) -> int:
        return self.box.q("SELECT count(*) FROM {pipeline}.lineage WHERE run_id = %(run_id)s", run_id=self.run.run_id)[
            0
        ][0]


# The sync DAG's phases in the order its tasks run them (the backup after the candidate checks,
# which the DAG runs side by side), each with the upstream results it takes.
PHASE_ARGUMENTS: dict[str, tuple[str, ...]] = {
    "extract_school_tables": ("check_parameters",),
    "validate_preconditions": ("check_parameters", "extract_school_tables"),
    "compute_missing_records": ("check_parameters", "extract_school_tables", "validate_preconditions"),
    "validate_candidates": (
        "check_parameters", "extract_school_tables", "compute_missing_records", "validate_preconditions",
    ),
    "back_up_school_records": ("check_parameters",),
    "load_missing_records": ("check_parameters", "compute_missing_records"),
}  # fmt: skip


def run_phases(run: TaskRun, conf: dict[str, Any], until: str = "load_missing_records") -> dict[str, Any]:
    """The sync DAG's task functions called in order, as its tasks call them, up to and including ``until``.

    What write_report would read from XCom comes back; the caller may change the SIS before the next
    phase, or call ``sync_report.write_report`` itself (or never: a process that died).
    """
    upstream: dict[str, Any] = {"check_parameters": parameters.check_parameters(run, conf)}
    for name, arguments in PHASE_ARGUMENTS.items():
        if "check_parameters" == until:
            break
        upstream[name] = getattr(sync, name)(run, *(upstream[argument] for argument in arguments))
        if name == until:
            break
    return upstream


def key_count(box: Sandbox, record: pd.Series) -> int:
    """How many attendance rows have this record's key (X2: one after any number of loads)."""
    values = {column: record[column] for column in RECORD_KEY}
    values["att_date"] = values["att_date"].date()
    return box.q(
        "SELECT count(*) FROM {sis}.attendance WHERE studentid = %(studentid)s AND att_date = %(att_date)s "
        "AND att_mode_code = %(att_mode_code)s AND ccid = %(ccid)s AND periodid = %(periodid)s",
        **{key: int(value) if not isinstance(value, (str, date)) else value for key, value in values.items()},
    )[0][0]


def pause_inserts(box: Sandbox) -> None:
    """Every INSERT into attendance first takes PAUSE_LOCK shared: held by a test, it stops a load
    inside its insert, with the load's locks held."""
    box.q(
        "CREATE FUNCTION {sis}.pause_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        f"PERFORM pg_advisory_xact_lock_shared({PAUSE_LOCK[0]}, {PAUSE_LOCK[1]}); RETURN NULL; END $$"
    )
    box.q("CREATE TRIGGER pause_insert BEFORE INSERT ON {sis}.attendance EXECUTE FUNCTION {sis}.pause_insert()")


def wait_for(conn: psycopg.Connection, query: str, params: dict[str, Any], count: int, what: str) -> None:
    """Poll until ``query`` counts ``count`` sessions (60 s at most)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if conn.execute(query, params).fetchone()[0] >= count:
            return
        time.sleep(0.02)
    raise AssertionError(f"no {count} session(s) {what} within 60 s")


def wait_for_advisory_waiters(conn: psycopg.Connection, key: tuple[int, int], count: int = 1) -> None:
    """Until ``count`` sessions wait for the two-key advisory lock ``key``."""
    wait_for(
        conn,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = %(a)s AND objid = %(b)s AND objsubid = 2",
        {"a": key[0], "b": key[1]},
        count,
        f"waiting for the advisory lock {key}",
    )


def wait_for_table_waiters(conn: psycopg.Connection, schema: str, table: str, count: int = 1) -> None:
    """Until ``count`` sessions wait for a lock on ``schema.table``."""
    wait_for(
        conn,
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE l.locktype = 'relation' AND NOT l.granted AND n.nspname = %(schema)s AND c.relname = %(table)s",
        {"schema": schema, "table": table},
        count,
        f"waiting for a lock on {schema}.{table}",
    )


def school_lock(school_number: int) -> tuple[int, int]:
    """The X5 lock key of a school's load."""
    return (LOAD_LOCK_CLASS, school_number)


class Background:
    """A call in a thread that keeps its result, its error and when it finished."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.result: Any = None
        self.error: Exception | None = None
        self.finished: float | None = None
        self._thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self._thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            self.result = call()
        except Exception as exc:  # noqa: BLE001 (handed to the test by join())
            self.error = exc
        finally:
            self.finished = time.monotonic()

    def join(self) -> Any:
        self._thread.join(120)
        assert not self._thread.is_alive(), "the background call did not finish within 120 s"
        if self.error is not None:
            raise self.error
        return self.result


def connect(box: Sandbox, autocommit: bool) -> psycopg.Connection:
    info = box.conn.info
    return psycopg.connect(host=info.host, port=info.port, user=info.user, dbname=info.dbname, autocommit=autocommit)
