"""The phases of the ``attendance_bridge_sync`` DAG, one function per task.

Each phase takes the run (ids and dates) and the small values earlier phases returned through
XCom, does its work against the SIS database and the run's staging folder, logs its time and
row counts, and returns small values again: paths, counts, ids. The DAG file only wires them.

Failure policy: a refusal (bad parameter, failed precondition or candidate check, backup that
does not verify) and any other error that retrying cannot cure fail the task at once, with the
message recorded in the run log for the report; a transient database error (a dropped
connection, a database that cannot be reached, a serialisation failure) is raised as is, so
Airflow retries the task, except on the task's last try, where it fails the task with a
message that says what happened in words (which database, how many attempts).
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from attendance_bridge.errors import PreconditionFailed
from attendance_bridge.report import plausible_school
from attendance_bridge.settings import (
    DAILY_TO_MEETING,
    DIRECTION_AUTO,
    MEETING_TO_DAILY,
    PIPELINE_SCHEMA,
    PIPELINE_SCHEMA_ENV,
    SIS_CONN_ID,
    SIS_SCHEMA_ENV,
)

if TYPE_CHECKING:
    import pandas as pd
    import psycopg
    from airflow.sdk import ObjectStoragePath

    from attendance_bridge.frames import BridgeRequest, SchoolFrames

log = logging.getLogger("attendance_bridge.sync")

DAG_ID = "attendance_bridge_sync"
# The frames the extract phase stages: the rules' nine tables and the school's settings.
PREFS_FRAME = "prefs"
# What the compute phase stages besides the records: their source records as read (for the load)
# and the report's detail tables.
SOURCES_FRAME = "sources"
DETAIL_FRAMES = ("conflicts", "mismatches", "unscheduled", "ignored", "disagreements")
# The load's detail table: the source records that changed after the extract (X7).
SOURCE_CHANGES_FRAME = "source_changes"


@dataclass(frozen=True)
class Run:
    """The Airflow run a phase belongs to."""

    dag_id: str
    run_id: str
    logical_date: date
    triggered_by: str | None = None
    # This task's try in its current round of tries, and how many tries the round has
    # (None when not known, e.g. a phase called outside Airflow: it then never counts as last).
    attempt: int = 1
    attempts: int | None = None

    @property
    def last_attempt(self) -> bool:
        """Whether Airflow will not retry this try when it fails."""
        return self.attempts is not None and self.attempt >= self.attempts


class Refusal(Exception):
    """A phase's verdict that retrying cannot change; the task fails without retries."""


class DatabaseUnreachable(Exception):
    """The SIS database did not accept a connection; transient (the server may be restarting)."""

    def __init__(self, database: str, reason: str) -> None:
        self.database = database  # "the SIS database sis at host:port"
        self.reason = reason
        super().__init__(f"{database} could not be reached ({reason})")


# --------------------------------------------------------------------------- connections


def connect_sis() -> psycopg.Connection:
    """The ``sis_db`` connection as psycopg 3 (``AIRFLOW_CONN_SIS_DB`` wins, as always in Airflow).

    A connection attempt that fails for a reason retrying may cure raises ``DatabaseUnreachable``
    (from psycopg's error), which names the server.
    """
    from airflow.providers.postgres.hooks.postgres import PostgresHook

    from attendance_bridge.load import is_transient

    hook = PostgresHook(postgres_conn_id=SIS_CONN_ID)
    try:
        conn = hook.get_conn()
    except Exception as exc:
        if not is_transient(exc):
            raise
        raise DatabaseUnreachable(sis_database(hook), _connect_failure(exc)) from exc
    # Transactions are explicit (``with conn.transaction()``) wherever several statements
    # must land together; everything else is a read.
    conn.autocommit = True
    return conn


def sis_database(hook: Any = None) -> str:
    """Where the ``sis_db`` connection points, as a person reads it: database and host:port, no secrets."""
    try:
        if hook is None:
            from airflow.providers.postgres.hooks.postgres import PostgresHook

            hook = PostgresHook(postgres_conn_id=SIS_CONN_ID)
        connection = hook.connection
        host, port = connection.host or "localhost", connection.port or 5432
        database = getattr(hook, "database", None) or connection.schema
    except Exception:  # the connection's own configuration is broken; connecting says more
        log.debug("could not read the %s connection", SIS_CONN_ID, exc_info=True)
        return f"the SIS database of connection {SIS_CONN_ID}"
    where = f"{host}:{port}" if not str(host).startswith("/") else f"{host} (Unix socket, port {port})"
    return f"the SIS database {database} at {where}" if database else f"the SIS database at {where}"


def _connect_failure(exc: BaseException) -> str:
    """libpq's reason for a failed connection attempt (\"Connection refused\"), without its hints."""
    return _first_line(exc).rsplit("failed: ", 1)[-1].strip()


def _first_line(exc: BaseException) -> str:
    """An error's primary message: the server's, else the first line (libpq adds hints and a LINE n: quote)."""
    primary = getattr(getattr(exc, "diag", None), "message_primary", None)
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return primary or (lines[0] if lines else type(exc).__name__)


def describe_transient(exc: BaseException) -> tuple[str, bool]:
    """A transient database error in words, and whether it is about reaching the database at all."""
    if isinstance(exc, DatabaseUnreachable):
        return str(exc), True
    sqlstate = getattr(exc, "sqlstate", None) or ""
    if not sqlstate or sqlstate.startswith("08") or sqlstate in ("57P01", "57P02", "57P03"):
        # No SQLSTATE: libpq lost the server ("server closed the connection unexpectedly").
        return f"the connection to {sis_database()} was lost ({_first_line(exc)})", True
    return f"{sis_database()} reported a transient error ({_first_line(exc)})", False


def sis_schema(conn: psycopg.Connection) -> str:
    """The SIS tables' schema: ``ATTENDANCE_BRIDGE_SIS_SCHEMA``, else the connection's default."""
    configured = os.environ.get(SIS_SCHEMA_ENV)
    if configured:
        return configured
    return conn.execute("SELECT current_schema()").fetchone()[0]


def pipeline_schema() -> str:
    """The pipeline's own schema (``attendance_bridge`` unless the environment says otherwise)."""
    return os.environ.get(PIPELINE_SCHEMA_ENV) or PIPELINE_SCHEMA


# --------------------------------------------------------------------------- phase wrapper


@contextmanager
def phase(name: str, run: Run, school_number: int | None = None) -> Iterator[dict[str, float]]:
    """Time and log one phase; turn errors that retries cannot cure into a recorded refusal.

    A transient database error is raised as is while Airflow has tries left (the run log is
    left alone: the next try may well succeed); on the last try it becomes the run's failure,
    recorded and raised as ``AirflowFailException`` with the number of attempts.
    """
    from airflow.sdk.exceptions import AirflowFailException

    timing: dict[str, float] = {}
    started = time.perf_counter()
    attempt = f", attempt {run.attempt} of {run.attempts}" if run.attempts is not None else ""
    log.info("%s: starting (run %s, school %s%s)", name, run.run_id, school_number, attempt)
    try:
        yield timing
    except Exception as exc:
        seconds = time.perf_counter() - started
        if is_transient(exc):
            what, unreachable = describe_transient(exc)
            if not run.last_attempt:
                log.warning("%s%s: %s after %.2f s; Airflow retries the task", name, attempt, what, seconds)
                raise
            message = _gave_up(name, run, what, unreachable)
            log.error("%s", message)
            _record_message(run, message)
            raise AirflowFailException(message) from exc

        message = str(exc) if _is_refusal(exc) else f"{name} stopped on an unexpected error: {exc!r}"
        log.error("%s: refused after %.2f s: %s", name, seconds, message)
        _record_message(run, message)
        # AirflowFailException: the task fails now, without its retries.
        raise AirflowFailException(message) from exc
    timing["seconds"] = round(time.perf_counter() - started, 3)
    log.info("%s: done in %.2f s", name, timing["seconds"])


def is_transient(exc: BaseException) -> bool:
    """Whether retrying may cure ``exc`` (``load.is_transient``, and a database that cannot be reached)."""
    from attendance_bridge.load import is_transient as transient_database_error

    return isinstance(exc, DatabaseUnreachable) or transient_database_error(exc)


def _gave_up(name: str, run: Run, what: str, unreachable: bool) -> str:
    """The message of a transient error on a task's last try: no retry follows."""
    tries = f"all {run.attempts} attempts" if run.attempts and run.attempts > 1 else "its only attempt"
    advice = (
        "Check that the SIS database server is running and that the Airflow workers can reach it, "
        "then run the sync again."
        if unreachable
        else "Run the sync again when the database is less busy."
    )
    return f"{name} failed on {tries}: {what}. {advice}"


def _is_refusal(exc: Exception) -> bool:
    """Errors whose message is already written for a person (rule, school, object)."""
    from attendance_bridge.backup import BackupNotVerified
    from attendance_bridge.load import LoadRefused
    from attendance_bridge.parameters import InvalidParameter
    from attendance_bridge.staging import FolderUnavailable
    from attendance_bridge.store import MigrationNeedsOwner

    refusals = (
        PreconditionFailed, InvalidParameter, BackupNotVerified, LoadRefused, FolderUnavailable, MigrationNeedsOwner,
        Refusal,
    )  # fmt: skip
    return isinstance(exc, refusals)


def _record_message(run: Run, message: str) -> None:
    """Keep a phase's failure in the run log so the report can say why (best effort)."""
    from attendance_bridge import store

    try:
        with connect_sis() as conn:
            store.record_message(conn, pipeline_schema(), run.dag_id, run.run_id, message)
    except Exception as exc:  # the database may be what failed; the task log and the report have it
        if not is_transient(exc):
            log.warning("could not record the failure in the run log", exc_info=True)
        else:
            log.warning("could not record the failure in the run log: %s", describe_transient(exc)[0])


def open_run_log(
    conn: psycopg.Connection, own_schema: str, run: Run, school: int | None, conf: Mapping[str, Any]
) -> None:
    """The run's log row, migrated and written first, so even a refused conf leaves a trace for the auditor."""
    from attendance_bridge import store

    store.migrate(conn, own_schema)
    store.start_run(
        conn, own_schema, run.dag_id, run.run_id,
        school_number=school, parameters=dict(conf), triggered_by=run.triggered_by,
    )  # fmt: skip


# --------------------------------------------------------------------------- phases


def check_parameters(run: Run, conf: Mapping[str, Any]) -> dict[str, Any]:
    """Task 1: the run's conf checked strictly (types, unknown keys), then P1 and P2 in the SIS."""
    from attendance_bridge.parameters import parse_run_parameters, school_and_range

    school = plausible_school(conf.get("school_number"))
    with phase("check_parameters", run, school) as timing, connect_sis() as conn:
        schema, own_schema = sis_schema(conn), pipeline_schema()
        open_run_log(conn, own_schema, run, school, conf)
        parameters = parse_run_parameters(conf)
        yearid, start, end = school_and_range(conn, schema, parameters, run.logical_date)
    checked = {
        "school_number": parameters.school_number,
        "yearid": yearid,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "requested_direction": parameters.direction,
        "absent_periods": parameters.absent_periods,
        "dry_run": parameters.dry_run,
        "sis_schema": schema,
        "pipeline_schema": own_schema,
        "seconds": timing["seconds"],
    }
    log.info("check_parameters: %s", checked)
    return checked


def extract_school_tables(run: Run, checked: Mapping[str, Any]) -> dict[str, Any]:
    """Task 2: one school's tables for the range, bounded by school and dates, staged as Parquet."""
    from attendance_bridge.extract import read_prefs, read_school_frames
    from attendance_bridge.staging import staging_folder, write_frame

    scope = _scope(checked)
    with phase("extract_school_tables", run, scope.school_number) as timing:
        folder = staging_folder(run.dag_id, run.run_id) / "extract"
        folder.mkdir(parents=True, exist_ok=True)
        with connect_sis() as conn:
            frames = read_school_frames(conn, checked["sis_schema"], scope)
            prefs = read_prefs(conn, checked["sis_schema"], scope)
        tables = {**_frames_as_dict(frames), PREFS_FRAME: prefs}
        paths = {name: write_frame(frame, folder / f"{name}.parquet") for name, frame in tables.items()}
        rows = {name: len(frame) for name, frame in tables.items()}
    log.info("extract_school_tables: rows per table %s", rows)
    return {"paths": paths, "rows": rows, "seconds": timing["seconds"]}


def validate_preconditions(run: Run, checked: Mapping[str, Any], extracted: Mapping[str, Any]) -> dict[str, Any]:
    """Task 3: P3-P6 and the data-quality checks with Great Expectations; P3 resolves ``auto``."""
    from attendance_bridge import quality_gate as validation
    from attendance_bridge.staging import local_working_copy, report_folder, write_json

    school = checked["school_number"]
    with phase("validate_preconditions", run, school) as timing:
        frames, prefs = _staged_frames(extracted)
        folder = report_folder(school, run.run_id)
        # The run's GX store and Data Docs site live in its report folder (see docs/decisions.md).
        with local_working_copy(folder, (validation.GX_STORE_FOLDER, validation.DATA_DOCS_FOLDER)) as docs:
            outcome = validation.validate_preconditions(
                frames, prefs, school, date.fromisoformat(checked["start_date"]),
                date.fromisoformat(checked["end_date"]), run.run_id, docs_folder=docs,
            )  # fmt: skip
        results_path = write_json(outcome.results, folder / "preconditions_validation.json")
        data_docs_path = str(folder / validation.DATA_DOCS_FOLDER / "index.html")
        log.info(
            "validate_preconditions: Great Expectations Data Docs of the run (rendered by write_report): %s",
            data_docs_path,
        )
        checks = [asdict(check) for check in outcome.checks]
        _log_checks("validate_preconditions", outcome)
        outcome.raise_for_failure(school)
        auto_direction = validation.recording_direction(prefs)
        requested = checked["requested_direction"]
        direction = auto_direction if requested == DIRECTION_AUTO else requested
        if direction not in (MEETING_TO_DAILY, DAILY_TO_MEETING):  # P3 passed, so this cannot happen
            raise PreconditionFailed("P3", school, "the school's current recording method could not be read")
    if requested != DIRECTION_AUTO and requested != auto_direction:
        log.warning(
            "validate_preconditions: direction %s was asked for; the school's current method implies %s (P3)",
            requested,
            auto_direction,
        )
    return {
        "direction": direction,
        "auto_direction": auto_direction,
        "checks": checks,
        "results_path": results_path,
        "data_docs_path": data_docs_path,
        "seconds": timing["seconds"],
    }


def compute_missing_records(
    run: Run, checked: Mapping[str, Any], extracted: Mapping[str, Any], preconditions: Mapping[str, Any]
) -> dict[str, Any]:
    """Task 4: the rules of SPEC section 5 over the staged frames; the records staged as Parquet."""
    from attendance_bridge.frames import source_records
    from attendance_bridge.rules import bridge_records
    from attendance_bridge.staging import staging_folder, write_frame

    request = _request(checked, preconditions["direction"])
    with phase("compute_missing_records", run, request.school_number) as timing:
        frames, _ = _staged_frames(extracted)
        result = bridge_records(frames, request)
        folder = staging_folder(run.dag_id, run.run_id) / "compute"
        folder.mkdir(parents=True, exist_ok=True)
        paths = {"records": write_frame(result.records, folder / "records.parquet")}
        # The load checks each record's source against the SIS before it inserts it (X7).
        paths[SOURCES_FRAME] = write_frame(
            source_records(frames.attendance, result.records), folder / "sources.parquet"
        )
        paths |= {name: write_frame(getattr(result, name), folder / f"{name}.parquet") for name in DETAIL_FRAMES}
    log.info("compute_missing_records: %s %s", request.direction, result.counts)
    return {"paths": paths, "counts": dict(result.counts), "seconds": timing["seconds"]}


def validate_candidates(
    run: Run, checked: Mapping[str, Any], extracted: Mapping[str, Any], computed: Mapping[str, Any],
    preconditions: Mapping[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Task 5: the records to insert have unique keys, existing foreign keys, and none is in the SIS."""
    from attendance_bridge import quality_gate as validation
    from attendance_bridge.staging import local_working_copy, report_folder, write_json

    school = checked["school_number"]
    with phase("validate_candidates", run, school) as timing:
        frames, _ = _staged_frames(extracted)
        records = _staged_records(computed["paths"]["records"])
        folder = report_folder(school, run.run_id)
        # The store holds the preconditions' results too, so the rebuilt site lists both gates.
        with local_working_copy(folder, (validation.GX_STORE_FOLDER, validation.DATA_DOCS_FOLDER)) as docs:
            outcome = validation.validate_candidates(
                records, frames, preconditions["direction"], run.run_id, school_number=school, docs_folder=docs
            )
        results_path = write_json(outcome.results, folder / "candidates_validation.json")
        data_docs_path = str(folder / validation.DATA_DOCS_FOLDER / "index.html")
        log.info(
            "validate_candidates: Great Expectations Data Docs of the run (rendered by write_report): %s",
            data_docs_path,
        )
        _log_checks("validate_candidates", outcome)
        outcome.raise_for_failure(school)
    return {
        "checks": [asdict(check) for check in outcome.checks],
        "results_path": results_path,
        "data_docs_path": data_docs_path,
        "records": len(records),
        "seconds": timing["seconds"],
    }


def back_up_school_records(run: Run, checked: Mapping[str, Any]) -> dict[str, Any]:
    """Task 6 (X6): snapshot the school's attendance of the range, both modes, and verify it."""
    from attendance_bridge.backup import take_backup

    school = checked["school_number"]
    with phase("back_up_school_records", run, school) as timing, connect_sis() as conn:
        manifest = take_backup(
            conn, checked["pipeline_schema"], checked["sis_schema"], run.dag_id, run.run_id, school,
            date.fromisoformat(checked["start_date"]), date.fromisoformat(checked["end_date"]),
        )  # fmt: skip
    backup = _plain(asdict(manifest))
    log.info("back_up_school_records: %s", backup)
    return {"backup": backup, "seconds": timing["seconds"]}


def load_missing_records(run: Run, checked: Mapping[str, Any], computed: Mapping[str, Any]) -> dict[str, Any]:
    """Task 7 (X1, X2, X4, X5, X7): one transaction under the school's lock, after a verified backup.

    Records whose source record was deleted or changed after the extract are left out (X7); they
    are counted, logged with a warning, and listed in ``source_changes.parquet`` for the report.
    """
    import pandas as pd

    from attendance_bridge.backup import BackupNotVerified
    from attendance_bridge.load import load_records
    from attendance_bridge.report import load_warnings
    from attendance_bridge.staging import read_frame, staging_folder, write_frame

    school = checked["school_number"]
    with phase("load_missing_records", run, school) as timing:
        records = _staged_records(computed["paths"]["records"])
        source_path = computed["paths"].get(SOURCES_FRAME)
        sources = read_frame(source_path) if source_path else None
        with connect_sis() as conn:
            try:
                loaded = load_records(
                    conn, checked["pipeline_schema"], checked["sis_schema"], run.dag_id, run.run_id, school,
                    records, sources,
                )  # fmt: skip
            except BackupNotVerified as exc:
                if exc.school_number is not None:
                    raise
                # No backup row to read the school from: the refusal names the run's school.
                raise BackupNotVerified(school, exc.run_id, exc.detail) from exc
        paths = {}
        if loaded.source_changes:
            folder = staging_folder(run.dag_id, run.run_id) / "load"
            folder.mkdir(parents=True, exist_ok=True)
            changes = pd.DataFrame(loaded.source_changes)
            paths[SOURCE_CHANGES_FRAME] = write_frame(changes, folder / f"{SOURCE_CHANGES_FRAME}.parquet")
    result = _plain(asdict(loaded))
    result.pop("source_changes")  # staged above; XCom carries small things
    # What the report warns about (records left out or not kept, an earlier try's rows), said in the task log too.
    for warning in load_warnings(result):
        log.warning("load_missing_records: %s", warning)
    log.info("load_missing_records: %s", result)
    return {"load": result, "paths": paths, "seconds": timing["seconds"]}


# --------------------------------------------------------------------------- helpers


def _scope(checked: Mapping[str, Any]) -> Any:
    """The extraction bounds of a checked run."""
    from types import SimpleNamespace

    return SimpleNamespace(
        school_number=checked["school_number"],
        yearid=checked["yearid"],
        start_date=date.fromisoformat(checked["start_date"]),
        end_date=date.fromisoformat(checked["end_date"]),
    )


def _request(checked: Mapping[str, Any], direction: str) -> BridgeRequest:
    """The rules' request once P3 has resolved the direction."""
    from attendance_bridge.frames import BridgeRequest

    return BridgeRequest(
        checked["school_number"],
        checked["yearid"],
        direction,
        checked["absent_periods"],
        date.fromisoformat(checked["start_date"]),
        date.fromisoformat(checked["end_date"]),
    )


def _frames_as_dict(frames: SchoolFrames) -> dict[str, pd.DataFrame]:
    """SchoolFrames as {table: frame}."""
    from dataclasses import fields

    return {field.name: getattr(frames, field.name) for field in fields(frames)}


def _staged_frames(extracted: Mapping[str, Any]) -> tuple[SchoolFrames, pd.DataFrame]:
    """The extract phase's Parquet files back as the rules' frames and the prefs frame."""
    from dataclasses import fields

    from attendance_bridge.extract import PREFS_COLUMNS
    from attendance_bridge.frames import SchoolFrames
    from attendance_bridge.staging import read_frame

    paths = extracted["paths"]
    # Parquet keeps dtypes except datetime resolution; from_tables restores the declared ones.
    frames = SchoolFrames.from_tables(**{field.name: read_frame(paths[field.name]) for field in fields(SchoolFrames)})
    prefs = read_frame(paths[PREFS_FRAME]).astype(PREFS_COLUMNS)
    return frames, prefs


def _staged_records(url: str) -> pd.DataFrame:
    """The compute phase's records with the rules' dtypes."""
    from attendance_bridge.rules import RECORD_DTYPES
    from attendance_bridge.staging import read_frame

    return read_frame(url).astype(RECORD_DTYPES)


def _log_checks(name: str, outcome: Any) -> None:
    """One log line per failed check, one summary line."""
    failed = [check for check in outcome.checks if not check.passed]
    for check in failed:
        level = logging.ERROR if check.critical else logging.WARNING
        log.log(level, "%s: %s %s: %s", name, check.rule, check.expectation, check.message)
    log.info("%s: %d checks, %d failed", name, len(outcome.checks), len(failed))


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    """Dates and datetimes as ISO text, so the value is XCom- and JSON-safe."""
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in document.items()}


# --------------------------------------------------------------------------- report


def write_report(
    run: Run, conf: Mapping[str, Any], upstream: Mapping[str, Any], failures: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Task 8: the run report next to the validation results, and the run log's final row.

    Runs whatever happened upstream (trigger rule ``all_done``) and fails when the run failed,
    so the DAG run's state is the run's outcome. ``failures`` are the messages failed tasks
    left in XCom; the run's message is the one of the task where the run stopped, else the run
    log's. The report is written even when the SIS database cannot be reached: it then says
    that the run log's row could not be written (best effort, as is the run log itself).

    The run log says what landed: a load whose task ended without a word after its commit (its
    process was killed, say) is read back from the load log, so the run is a loaded run. A
    report that cannot be written leaves the run log without a report path, and its message
    and the task's failure name the path and the reason.
    """
    from airflow.sdk.exceptions import AirflowFailException

    from attendance_bridge.report import run_outcome, run_report
    from attendance_bridge.staging import report_folder, write_json

    checked = upstream.get("check_parameters") or {}
    school = checked.get("school_number", plausible_school(conf.get("school_number")))
    started = time.perf_counter()
    own_schema = checked.get("pipeline_schema") or pipeline_schema()
    upstream = dict(upstream)
    failures = failures or {}
    path, unwritten = None, None
    try:
        path = report_folder(school, run.run_id) / "report.json"
    except Exception as exc:  # noqa: BLE001 (the run log still gets the run's outcome, then the task fails)
        unwritten = f"the report of this run could not be written: {exc}"
    by_date: list[dict[str, Any]] = []
    school_name, codes = None, {}
    student_numbers: dict[int, Any] | None = None

    def report_of(message: str | None, by_date: list[dict[str, Any]]) -> dict[str, Any]:
        document = run_report(
            run.dag_id, run.run_id, run.triggered_by, conf, upstream, message, by_date, str(path) if path else None
        )
        document["timings"]["write_report"] = round(time.perf_counter() - started, 3)
        # For the report page: the school's name, and when the report was written (the index's order).
        document["school_name"] = school_name
        document["written_at"] = datetime.now(UTC).isoformat()
        return document

    def first_message() -> str | None:
        stopped_at = run_outcome(upstream)[1]
        message = failures.get(stopped_at) if stopped_at else None
        return message or next(iter(failures.values()), None)

    report, error = None, None
    try:
        with connect_sis() as conn:
            from attendance_bridge import store

            store.migrate(conn, own_schema)
            _recover_committed_load(conn, run, checked, upstream, own_schema)
            message = first_message() or store.run_message(conn, own_schema, run.dag_id, run.run_id)
            school_name, codes = _school_name_and_codes(conn, checked)
            student_numbers = _student_numbers(conn, checked, upstream)
            loaded = run_outcome(upstream)[0] == "succeeded"
            by_date = _by_date_and_code(conn, run, checked, upstream) if loaded else []
            by_date = _with_descriptions(by_date, codes)
            report = report_of(message, by_date)
            if unwritten is not None:
                report["message"] = _joined(report["message"], unwritten)
            _finish_run_log(conn, run, checked, report, own_schema, str(path) if unwritten is None else None)
    except Exception as exc:  # noqa: BLE001 (the report is written all the same, then the error raised)
        error = exc
    report = report or report_of(first_message(), by_date)
    if error is None:
        report["run_log"] = {"written": True, "detail": f"table {own_schema}.run_log of the SIS database"}
    else:
        why = describe_transient(error)[0] if is_transient(error) else f"{type(error).__name__}: {error}"
        report["run_log"] = {"written": False, "detail": f"the run log row of this run could not be written: {why}"}
    if unwritten is None:
        try:
            write_json(report, path)
        except Exception as exc:  # noqa: BLE001 (said in the run log and the task's failure, with the path)
            unwritten = f"the report of this run could not be written to {path} ({type(exc).__name__}: {exc})"
            _record_report_unwritten(run, own_schema, _joined(report["message"], unwritten), error is None)
    log.info("write_report: %s, counts %s", report["status"], report["counts"])
    if unwritten is None:
        log.info("write_report: the report of this run is %s", path)
        _render_data_docs(run, path.parent)
        _publish_pages(path.parent, upstream, codes, student_numbers)
    else:
        log.error("write_report: %s", unwritten)
    if error is not None:
        log.error("write_report: %s; the report file is this run's only record", report["run_log"]["detail"])
        if not is_transient(error):
            raise error
    where = f"report: {path}" if unwritten is None else unwritten
    if report["status"] == "failed":
        raise AirflowFailException(f"The run failed: {report['message']} ({where})")
    if error is not None:
        # Loaded and reported, but the run log (which the rollback reads) does not say so.
        raise AirflowFailException(f"The run loaded its records, but {report['run_log']['detail']} ({where})")
    if unwritten is not None:
        raise AirflowFailException(
            f"The run succeeded (the run log says what landed: {report['counts'].get('inserted', 0)} records added), "
            f"but {unwritten}"
        )
    return {"report_path": str(path), "status": report["status"], "counts": report["counts"]}


def _joined(message: str | None, more: str) -> str:
    """Two sentences of a run's message."""
    return f"{message.rstrip('. ')}. {more[0].upper()}{more[1:]}" if message else f"{more[0].upper()}{more[1:]}"


def _recover_committed_load(
    conn: psycopg.Connection, run: Run, checked: Mapping[str, Any], upstream: dict[str, Any], own_schema: str
) -> None:
    """A load task that left nothing in XCom although its load committed (its process died after the commit,
    say) is read back from the load log: the run is a loaded run, with the counts its load recorded."""
    if not checked or checked.get("dry_run") or upstream.get("load_missing_records"):
        return
    from attendance_bridge import store

    committed = store.committed_load(conn, own_schema, run.dag_id, run.run_id)
    if committed is None:
        return
    log.warning(
        "write_report: the load task did not report, but its load committed at %s (load log): %d records of the "
        "run are in the SIS; the run is reported as loaded",
        committed["loaded_at"], committed["inserted_attendance"],
    )  # fmt: skip
    upstream["load_missing_records"] = {"load": {**committed, "from_load_log": True}, "paths": {}, "seconds": None}


def _record_report_unwritten(run: Run, own_schema: str, message: str, run_log_written: bool) -> None:
    """The run log keeps no path to a report that was not written, and says why (best effort)."""
    if not run_log_written:
        return
    from attendance_bridge import store

    try:
        with connect_sis() as conn:
            store.record_report_unwritten(conn, own_schema, run.dag_id, run.run_id, message)
    except Exception:  # the task's failure says it all the same
        log.warning("write_report: could not record in the run log that the report was not written", exc_info=True)


def _render_data_docs(run: Run, folder: Any) -> None:
    """The run's Great Expectations Data Docs site, once, from what its gates kept in the store.

    Only for a run that reached a gate (it has a store). A site that cannot be rendered is
    logged, not raised: the gates' full results are in the report folder as JSON all the same.
    """
    from attendance_bridge import quality_gate as validation
    from attendance_bridge.staging import local_working_copy

    if not (folder / validation.GX_STORE_FOLDER).exists():
        return
    try:
        with local_working_copy(folder, (validation.GX_STORE_FOLDER, validation.DATA_DOCS_FOLDER)) as docs:
            validation.build_run_data_docs(docs, run.run_id)
    except Exception:  # the report stands without its Data Docs pages
        log.exception("write_report: the Great Expectations Data Docs of run %s could not be rendered", run.run_id)


def _finish_run_log(
    conn: psycopg.Connection, run: Run, checked: Mapping[str, Any], report: Mapping[str, Any], own_schema: str,
    path: str | None,
) -> None:  # fmt: skip
    """The run log's final row."""
    from attendance_bridge import store

    store.finish_run(
        conn, own_schema, run.dag_id, run.run_id,
        status=report["status"], counts=report["counts"], timings=report["timings"],
        message=report["message"], report_path=path, school_number=report["school_number"],
        yearid=checked.get("yearid"), start_date=checked.get("start_date"), end_date=checked.get("end_date"),
        direction=report["resolved"]["direction"], requested_direction=checked.get("requested_direction"),
        absent_periods=checked.get("absent_periods"), dry_run=report["dry_run"],
    )  # fmt: skip


def _by_date_and_code(
    conn: psycopg.Connection, run: Run, checked: Mapping[str, Any], upstream: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Inserted records per day, mode and code: from the lineage after a load, the candidates on a dry run."""
    if checked["dry_run"]:
        return _candidates_by_date_and_code(upstream)
    from psycopg import sql

    from attendance_bridge.sql import load_sql

    statement = sql.SQL(load_sql("report/select_inserted_by_date_and_code")).format(
        pipeline_schema=sql.Identifier(checked["pipeline_schema"]), sis_schema=sql.Identifier(checked["sis_schema"])
    )
    with conn.cursor() as cursor:
        cursor.execute(
            statement,
            {
                "dag_id": run.dag_id,
                "run_id": run.run_id,
                "school_number": checked["school_number"],
                "start_date": date.fromisoformat(checked["start_date"]),
                "end_date": date.fromisoformat(checked["end_date"]),
            },
        )
        names = [column.name for column in cursor.description]
        rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    return [{**row, "att_date": row["att_date"].isoformat()} for row in rows]


def _candidates_by_date_and_code(upstream: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What a dry run would insert, per day, mode and code (X8: the same numbers as a load)."""
    from attendance_bridge.staging import read_frame

    records = _staged_records(upstream["compute_missing_records"]["paths"]["records"])
    codes = read_frame(upstream["extract_school_tables"]["paths"]["attendance_code"])
    descriptions = codes.rename(columns={"id": "attendance_codeid"}).reindex(
        columns=["attendance_codeid", "att_code", "description"]
    )
    counted = (
        records.groupby(["att_date", "att_mode_code", "attendance_codeid"], as_index=False)
        .size()
        .rename(columns={"size": "records"})
        .merge(descriptions, on="attendance_codeid", how="left")
    )
    return [
        {
            "att_date": row.att_date.date().isoformat(),
            "att_mode_code": row.att_mode_code,
            "attendance_codeid": int(row.attendance_codeid),
            "att_code": None if _missing(row.att_code) else row.att_code,
            "description": None if _missing(row.description) else row.description,
            "records": int(row.records),
        }
        for row in counted.itertuples(index=False)
    ]


def _missing(value: Any) -> bool:
    """pandas' missing markers."""
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _school_name_and_codes(
    conn: psycopg.Connection, checked: Mapping[str, Any]
) -> tuple[str | None, dict[int, dict[str, Any]]]:
    """The school's name and its attendance codes of the year with descriptions, for the report page."""
    if not checked:
        return None, {}
    from psycopg import sql

    from attendance_bridge.sql import load_sql

    schema = sql.Identifier(checked["sis_schema"])
    with conn.cursor() as cursor:
        cursor.execute(
            sql.SQL(load_sql("parameters/select_school")).format(schema=schema),
            {"school_number": checked["school_number"]},
        )
        school = cursor.fetchone()
        cursor.execute(
            sql.SQL(load_sql("report/select_attendance_code_descriptions")).format(schema=schema),
            {"school_number": checked["school_number"], "yearid": checked["yearid"]},
        )
        codes = {row[0]: {"att_code": row[1], "description": row[2]} for row in cursor.fetchall()}
    return (school[1] if school else None), codes


def _student_numbers(
    conn: psycopg.Connection, checked: Mapping[str, Any], upstream: Mapping[str, Any]
) -> dict[int, Any] | None:
    """{students.id: students.student_number} of the students in the detail tables, for the report page.

    The pipeline's role may read only those two columns of ``students``. When they cannot be read
    (a role from before that grant, say), a warning is logged and None returned: the page then
    shows the ids, and the run goes on (the connection is in autocommit, so it stays usable).
    """
    staged = _staged_details(upstream)
    if not checked or not staged:
        return None
    from psycopg import sql

    from attendance_bridge.report_html import student_ids
    from attendance_bridge.sql import load_sql
    from attendance_bridge.staging import read_frame

    try:
        ids = student_ids(read_frame(path) for path in staged.values())
        if not ids:
            return {}
        statement = sql.SQL(load_sql("report/select_student_numbers")).format(
            schema=sql.Identifier(checked["sis_schema"])
        )
        with conn.cursor() as cursor:
            cursor.execute(statement, {"student_ids": ids})
            return {int(row[0]): row[1] for row in cursor.fetchall()}
    except Exception as exc:  # noqa: BLE001 (the numbers are a courtesy of the page, never a reason to fail)
        log.warning(
            "write_report: the student numbers could not be read (%s: %s); the report shows student ids instead",
            type(exc).__name__, exc,
        )  # fmt: skip
        return None


def _staged_details(upstream: Mapping[str, Any]) -> dict[str, str]:
    """The run's detail tables as staged: the compute phase's, then the load's ({name: path})."""
    computed = (upstream.get("compute_missing_records") or {}).get("paths") or {}
    loaded = (upstream.get("load_missing_records") or {}).get("paths") or {}
    staged = {name: computed[name] for name in DETAIL_FRAMES if name in computed}
    return staged | ({SOURCE_CHANGES_FRAME: loaded[SOURCE_CHANGES_FRAME]} if SOURCE_CHANGES_FRAME in loaded else {})


def _with_descriptions(by_date: list[dict[str, Any]], codes: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records by date and code with each code's description (a dry run counts staged codes, which have none)."""
    return [
        {**row, "description": row.get("description") or (codes.get(row["attendance_codeid"]) or {}).get("description")}
        for row in by_date
    ]


def _publish_pages(
    folder: ObjectStoragePath,
    upstream: Mapping[str, Any],
    codes: Mapping[int, Any],
    student_numbers: Mapping[int, Any] | None = None,
) -> None:
    """The run's report.html with its detail tables as CSV, and the index of all runs (best effort: logged)."""
    from attendance_bridge import report_html
    from attendance_bridge.staging import read_frame

    try:
        started = time.perf_counter()
        frames = {name: read_frame(path) for name, path in _staged_details(upstream).items()}
        report_html.write_detail_csvs(folder, frames, codes, student_numbers)
        page = report_html.render_run_page(folder)
        report_html.publish_index(folder.parent.parent)  # <base>/school_<n>/<run id>
        log.info("write_report: report page written in %.2f s", time.perf_counter() - started)
        log.info("write_report: the report page of this run is %s", page)
    except Exception:
        # The JSON report and the run log are the record; a page that cannot be drawn must not fail the run.
        log.exception("write_report: the report page could not be written")
