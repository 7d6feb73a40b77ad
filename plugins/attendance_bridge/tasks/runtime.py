"""What every task of the three DAGs shares: the run it belongs to, and the failure policy.

``guarded_phase`` wraps a task's work: it times and logs it, and decides what a failure means.
A refusal (``errors.Refusal``: a bad parameter, a failed precondition or candidate check, a
backup that does not verify, ...) and any other error that retrying cannot cure fail the task
at once, with the message recorded in the run log for the report; a transient database error
(a dropped connection, a database that cannot be reached, a serialisation failure) is raised as
is, so Airflow retries the task, except on the task's last try, where it fails the task with a
message that says what happened in words (which database, how many attempts).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

import psycopg
from airflow.sdk.exceptions import AirflowFailException

from attendance_bridge.config import pipeline_schema
from attendance_bridge.db import migrations, run_log
from attendance_bridge.db.connection import connect_sis, describe_transient, is_transient
from attendance_bridge.db.sis_tables import check_sis_tables
from attendance_bridge.domain.run_names import unservable_run_id
from attendance_bridge.errors import Refusal, SisTablesUnusable, UnservableRunId
from attendance_bridge.process_clock import collector_spares_imports, peak_memory_mb, since_process_start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TaskRun:
    """One try of one task: the Airflow run it belongs to, and which try it is."""

    dag_id: str
    run_id: str
    logical_date: date
    triggered_by: str | None = None
    # This task's try in its current round of tries, and how many tries the round has
    # (None when not known, e.g. a phase called outside Airflow: it then never counts as last).
    attempt: int = 1
    attempts: int | None = None

    @property
    def unservable(self) -> str | None:
        """Why the project cannot serve this run's id (``domain.run_names.unservable_run_id``), or None."""
        return unservable_run_id(self.dag_id, self.run_id)

    @property
    def last_attempt(self) -> bool:
        """Whether Airflow will not retry this try when it fails."""
        return self.attempts is not None and self.attempt >= self.attempts


@contextmanager
def guarded_phase(
    name: str, run: TaskRun, school_number: int | None = None, *, closes_run_log: bool = False
) -> Iterator[dict[str, float]]:
    """Time and log one phase; turn errors that retries cannot cure into a recorded refusal.

    A transient database error is raised as is while Airflow has tries left (the run log is
    left alone: the next try may well succeed); on the last try it becomes the run's failure,
    recorded and raised as ``AirflowFailException`` with the number of attempts.

    ``closes_run_log``: the phase is its run's only task (``attendance_bridge_finish_run``), so no report
    task follows to close the run log row: a failure closes it as ``failed`` with its message.
    """

    timing: dict[str, float] = {}
    started = time.perf_counter()
    attempt = f", attempt {run.attempt} of {run.attempts}" if run.attempts is not None else ""
    log_start(name, run, school_number, attempt)
    try:
        with collector_spares_imports():
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
            _record_message(run, message, school_number if closes_run_log else None, closes_run_log)
            raise AirflowFailException(message) from exc

        message = str(exc) if isinstance(exc, Refusal) else f"{name} stopped on an unexpected error: {exc!r}"
        log.error("%s: refused after %.2f s: %s", name, seconds, message)
        _record_message(run, message, school_number if closes_run_log else None, closes_run_log)
        # AirflowFailException: the task fails now, without its retries.
        raise AirflowFailException(message) from exc
    timing["seconds"] = round(time.perf_counter() - started, 3)
    log_done(name, timing["seconds"])


def log_start(name: str, run: TaskRun, school_number: int | None, attempt: str = "") -> None:
    """A task's first line of work: how long after its process started it came (``process_clock``)."""
    log.info(
        "%s: starting (run %s, school %s%s; %s s after its process started, Great Expectations %s)",
        name, run.run_id, school_number, attempt, since_process_start(), _gx_state(),
    )  # fmt: skip


def log_done(name: str, seconds: float) -> None:
    """A task's last line of work: how long it took and its process's peak memory."""
    log.info("%s: done in %.2f s, peak memory %d MB", name, seconds, peak_memory_mb())


def _gx_state() -> str:
    """Whether Great Expectations was already imported when the task started (a Celery worker's preload)."""
    return "already imported" if "great_expectations" in sys.modules else "not imported"


def _gave_up(name: str, run: TaskRun, what: str, unreachable: bool) -> str:
    """The message of a transient error on a task's last try: no retry follows."""
    tries = f"all {run.attempts} attempts" if run.attempts and run.attempts > 1 else "its only attempt"
    advice = (
        "Check that the SIS database server is running and that the Airflow workers can reach it, "
        "then run the sync again."
        if unreachable
        else "Run the sync again when the database is less busy."
    )
    return f"{name} failed on {tries}: {what}. {advice}"


def _record_message(run: TaskRun, message: str, school_number: int | None = None, close: bool = False) -> None:
    """Keep a phase's failure in the run log so the report can say why, or close the row as failed with it
    (``close``: no later task will); best effort."""
    try:
        with connect_sis() as conn:
            if close:
                run_log.finish_run(
                    conn, pipeline_schema(), run.dag_id, run.run_id, status="failed", message=message,
                    school_number=school_number,
                )  # fmt: skip
            else:
                run_log.record_message(conn, pipeline_schema(), run.dag_id, run.run_id, message)
    except Exception as exc:  # the database may be what failed; the task log and the report have it
        if not is_transient(exc):
            log.warning("could not record the failure in the run log", exc_info=True)
        else:
            log.warning("could not record the failure in the run log: %s", describe_transient(exc)[0])


def open_run_log(
    conn: psycopg.Connection, own_schema: str, run: TaskRun, school: int | None, conf: Mapping[str, Any]
) -> None:
    """The run's log row, migrated and written first, so even a refused conf leaves a trace for the auditor.

    A run whose id the project cannot serve (``domain.run_names.unservable_run_id``) is refused here, before
    anything else: its row is closed as failed with the message, and ``UnservableRunId`` raised.
    """
    migrations.migrate(conn, own_schema)
    run_log.start_run(
        conn, own_schema, run.dag_id, run.run_id,
        school_number=school, parameters=dict(conf), triggered_by=run.triggered_by,
    )  # fmt: skip
    refused = run.unservable
    if refused is not None:
        run_log.finish_run(conn, own_schema, run.dag_id, run.run_id, status="failed", message=refused)
        raise UnservableRunId(refused)


def refuse_unservable_run(run: TaskRun, school: int | None = None, *, run_log_row: bool = True) -> None:
    """Fail the task at once, before it reads XCom or writes a file, when the project cannot serve the run's id.

    For the last task of a sync or a rollback, which runs whatever happened (the first task refused the run,
    and Airflow's XCom API cannot address a run id such as "."): the run's log row (``run_log_row``) is
    closed as failed with the message (best effort: the task's failure says it all the same). For the
    district DAGs' first task, which has no run log row, the failure alone.
    """
    refused = run.unservable
    if refused is None:
        return
    log.error("%s", refused)
    if run_log_row:
        try:
            with connect_sis() as conn:
                migrations.migrate(conn, pipeline_schema())
                run_log.finish_run(
                    conn, pipeline_schema(), run.dag_id, run.run_id, status="failed", message=refused,
                    school_number=school,
                )  # fmt: skip
        except Exception:  # the database may be what failed; the task's failure names the run id all the same
            log.warning("could not close the run log row of the refused run", exc_info=True)
    raise AirflowFailException(refused)


def refuse_unusable_sis(conn: psycopg.Connection, schema: str | None, task: str, asked_for: str) -> None:
    """A district DAG's first task (no guarded phase, no run log row): fail it at once, with the sentence a sync's
    ``check_parameters`` says, when the SIS schema does not exist or lacks a SIS table (retries would not make it
    appear). The columns the load must fill are each school's sync's to check."""
    try:
        check_sis_tables(conn, schema, asked_for, columns=False)
    except SisTablesUnusable as exc:
        log.error("%s: %s", task, exc)
        raise AirflowFailException(str(exc)) from exc


def plain(document: dict[str, Any]) -> dict[str, Any]:
    """Dates and datetimes as ISO text, so the value is XCom- and JSON-safe."""
    return {key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in document.items()}
