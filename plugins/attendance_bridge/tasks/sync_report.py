"""The sync's last task: the run report (JSON and page) and the run log's final row, whatever happened.

It reads what the other tasks returned through XCom (``upstream``, by task id) and the messages
the failed ones left, decides the run's outcome (``reporting.run_report``), looks up what the page
names in the SIS (``db.lookups``), and publishes the pages (``reporting.publish``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import psycopg
from airflow.sdk import ObjectStoragePath
from airflow.sdk.exceptions import AirflowFailException

from attendance_bridge import checks
from attendance_bridge.catalog import COMPUTED_DETAIL_TABLES, FOLLOWED_TABLE, SOURCE_CHANGES_TABLE
from attendance_bridge.config import pipeline_schema
from attendance_bridge.db import lookups, migrations, run_log
from attendance_bridge.db.connection import connect_sis, describe_transient, is_transient
from attendance_bridge.domain.request import RunScope, plausible_school
from attendance_bridge.domain.task_results import Loaded, SyncResults
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.followed_copies import followed_by_reason, followed_table
from attendance_bridge.reporting.records_by_date import candidates_by_date_and_code, with_descriptions
from attendance_bridge.reporting.run_folders import (
    REPORT_JSON,
    local_working_copy,
    read_frame,
    report_folder,
    reports_base_of,
    write_json,
)
from attendance_bridge.reporting.run_report import run_outcome, run_report, student_ids
from attendance_bridge.tasks.runtime import TaskRun, log_done, log_start, refuse_unservable_run
from attendance_bridge.tasks.sync import FOLLOWED_FRAME, staged_records

log = logging.getLogger(__name__)


def write_report(
    run: TaskRun, conf: Mapping[str, Any], upstream: Mapping[str, Any], failures: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The run report next to the validation results, and the run log's final row.

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
    checked = upstream.get("check_parameters") or {}
    school = checked.get("school_number", plausible_school(conf.get("school_number")))
    # A run id the project cannot serve (".", say): the first task refused it; no file is written for it.
    refuse_unservable_run(run, school)
    started = time.perf_counter()
    log_start("write_report", run, school)
    own_schema = checked.get("pipeline_schema") or pipeline_schema()
    upstream = dict(upstream)
    failures = failures or {}
    path, unwritten = None, None
    try:
        path = report_folder(school, run.dag_id, run.run_id) / REPORT_JSON
    except Exception as exc:  # noqa: BLE001 (the run log still gets the run's outcome, then the task fails)
        unwritten = f"the report of this run could not be written: {exc}"
    by_date: list[dict[str, Any]] = []
    school_name, codes = None, {}
    student_numbers: dict[int, Any] | None = None
    followed = _followed_by_reason(upstream)

    def report_of(message: str | None, by_date: list[dict[str, Any]]) -> dict[str, Any]:
        document = run_report(
            run.dag_id, run.run_id, run.triggered_by, conf, upstream, message, by_date, str(path) if path else None
        )
        document["timings"]["write_report"] = round(time.perf_counter() - started, 3)
        # For the report page: the school's name, and when the report was written (the index's order).
        document["school_name"] = school_name
        document["written_at"] = datetime.now(UTC).isoformat()
        if followed is not None:  # the run followed its copies (F7): what it did to them, by reason (F8)
            document["followed_by_reason"] = followed
        return document

    def first_message() -> str | None:
        stopped_at = run_outcome(upstream)[1]
        message = failures.get(stopped_at) if stopped_at else None
        return message or next(iter(failures.values()), None)

    report, error = None, None
    try:
        with connect_sis() as conn:
            migrations.migrate(conn, own_schema)
            _recover_committed_load(conn, run, checked, upstream, own_schema)
            message = first_message() or run_log.run_message(conn, own_schema, run.dag_id, run.run_id)
            school_name, codes = _school_name_and_codes(conn, checked)
            student_numbers = _student_numbers(conn, checked, upstream)
            loaded = run_outcome(upstream)[0] == "succeeded"
            by_date, uncounted = [], None
            if loaded:
                by_date, uncounted = _by_date_and_code(conn, run, RunScope.from_xcom(checked), upstream)
            by_date = with_descriptions(by_date, codes)
            report = report_of(message, by_date)
            if uncounted is not None:
                report["warnings"].append(uncounted)
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
    page = None
    if unwritten is None:
        log.info("write_report: the report of this run is %s", path)
        _render_data_docs(run, path.parent)
        page = _publish_pages(path.parent, upstream, codes, student_numbers)
    else:
        log.error("write_report: %s", unwritten)
    if error is not None:
        log.error("write_report: %s; the report file is this run's only record", report["run_log"]["detail"])
        if not is_transient(error):
            raise error
    log_done("write_report", time.perf_counter() - started)
    # A failure points at what a person reads: the run's page, else (not drawn) its JSON report.
    where = unwritten or (f"report page: {page}" if page is not None else f"report: {path}")
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
    conn: psycopg.Connection, run: TaskRun, checked: Mapping[str, Any], upstream: dict[str, Any], own_schema: str
) -> None:
    """A load task that left nothing in XCom although its load committed (its process died after the commit,
    say) is read back from the load log: the run is a loaded run, with the counts its load recorded."""
    if not checked or checked.get("dry_run") or upstream.get("load_missing_records"):
        return

    committed = run_log.committed_load(conn, own_schema, run.dag_id, run.run_id)
    if committed is None:
        return
    log.warning(
        "write_report: the load task did not report, but its load committed at %s (load log): %d records of the "
        "run are in the SIS; the run is reported as loaded",
        committed["loaded_at"], committed["inserted_attendance"],
    )  # fmt: skip
    upstream["load_missing_records"] = Loaded({**committed, "from_load_log": True}).to_xcom()


def _record_report_unwritten(run: TaskRun, own_schema: str, message: str, run_log_written: bool) -> None:
    """The run log keeps no path to a report that was not written, and says why (best effort)."""
    if not run_log_written:
        return

    try:
        with connect_sis() as conn:
            run_log.record_report_unwritten(conn, own_schema, run.dag_id, run.run_id, message)
    except Exception:  # the task's failure says it all the same
        log.warning("write_report: could not record in the run log that the report was not written", exc_info=True)


def _render_data_docs(run: TaskRun, folder: Any) -> None:
    """The run's Great Expectations Data Docs site, once, from what its gates kept in the store.

    Only for a run that reached a gate (it has a store). A site that cannot be rendered is
    logged, not raised: the gates' full results are in the report folder as JSON all the same.
    """

    if not (folder / checks.GX_STORE_FOLDER).exists():
        return
    try:
        with local_working_copy(folder, (checks.GX_STORE_FOLDER, checks.DATA_DOCS_FOLDER)) as docs:
            checks.build_run_data_docs(docs, run.run_id)
    except Exception:  # the report stands without its Data Docs pages
        log.exception("write_report: the Great Expectations Data Docs of run %s could not be rendered", run.run_id)


def _finish_run_log(
    conn: psycopg.Connection, run: TaskRun, checked: Mapping[str, Any], report: Mapping[str, Any], own_schema: str,
    path: str | None,
) -> None:  # fmt: skip
    """The run log's final row."""

    run_log.finish_run(
        conn, own_schema, run.dag_id, run.run_id,
        status=report["status"], counts=report["counts"], timings=report["timings"],
        message=report["message"], report_path=path, school_number=report["school_number"],
        yearid=checked.get("yearid"), start_date=checked.get("start_date"), end_date=checked.get("end_date"),
        direction=report["resolved"]["direction"], requested_direction=checked.get("requested_direction"),
        absent_periods=checked.get("absent_periods"), dry_run=report["dry_run"],
    )  # fmt: skip


def _staged_details(upstream: Mapping[str, Any]) -> dict[str, str]:
    """The run's detail tables as staged: the compute task's (the copies it followed, F8, among them), then the
    load's ({name: path})."""
    results = SyncResults.from_xcom(upstream)
    computed = results.computed.paths if results.computed else {}
    loaded = results.loaded.paths if results.loaded else {}
    staged = {name: computed[name] for name in COMPUTED_DETAIL_TABLES if name in computed}
    staged |= {FOLLOWED_TABLE: computed[FOLLOWED_FRAME]} if FOLLOWED_FRAME in computed else {}
    return staged | ({SOURCE_CHANGES_TABLE: loaded[SOURCE_CHANGES_TABLE]} if SOURCE_CHANGES_TABLE in loaded else {})


def _detail_frames(upstream: Mapping[str, Any]) -> dict[str, Any]:
    """The run's detail tables as the report lists them: as staged, the followed copies with their periods named."""
    frames = {name: read_frame(path) for name, path in _staged_details(upstream).items()}
    if FOLLOWED_TABLE in frames:
        extracted = SyncResults.from_xcom(upstream).extracted
        period_path = extracted.paths.get("period") if extracted else None
        frames[FOLLOWED_TABLE] = followed_table(
            frames[FOLLOWED_TABLE], read_frame(period_path) if period_path else None
        )
    return frames


def _followed_by_reason(upstream: Mapping[str, Any]) -> list[dict[str, Any]] | None:
    """How many copies the run recoded, withdrew and left, per reason, with what each reason means (F8); None when
    the run did not follow its copies, or their list cannot be read (a warning: the CSV and page say the rest)."""
    computed = SyncResults.from_xcom(upstream).computed
    if computed is None or FOLLOWED_FRAME not in computed.paths:
        return None
    try:
        return followed_by_reason(read_frame(computed.paths[FOLLOWED_FRAME]))
    except Exception as exc:  # noqa: BLE001 (the counts are in the report all the same)
        log.warning("write_report: the copies followed could not be read: %s: %s", type(exc).__name__, exc)
        return None


def _publish_pages(
    folder: ObjectStoragePath,
    upstream: Mapping[str, Any],
    codes: Mapping[int, Any],
    student_numbers: Mapping[int, Any] | None = None,
) -> ObjectStoragePath | None:
    """The run's report.html with its detail tables as CSV, and the index of all runs (best effort: logged);
    the page, or None when it could not be written."""
    page = None
    try:
        started = time.perf_counter()
        publish.write_detail_csvs(folder, _detail_frames(upstream), codes, student_numbers)
        page = publish.render_run_page(folder)
        publish.publish_index(reports_base_of(folder))
        log.info("write_report: report page written in %.2f s", time.perf_counter() - started)
        log.info("write_report: the report page of this run is %s", page)
    except Exception:
        # The JSON report and the run log are the record; a page that cannot be drawn must not fail the run.
        log.exception("write_report: the report page could not be written")
    return page


def _by_date_and_code(
    conn: psycopg.Connection, run: TaskRun, scope: RunScope, upstream: Mapping[str, Any]
) -> tuple[list[dict[str, Any]], str | None]:
    """Inserted records per day, mode and code: from the lineage after a load, the candidates on a dry run;
    with a warning instead of the table when the database gave up counting them.

    The table is a courtesy: the run's counts and its lineage are the record. A count that was cancelled
    (``lookups.REPORT_QUERY_TIMEOUT``) or refused must not keep the run log open (issue 29: a run of a
    20,000-student school stayed ``running`` while this count ran for minutes); a lost connection still
    fails the report task, since the run log cannot be written either.
    """
    if scope.dry_run:
        results = SyncResults.from_xcom(upstream)
        records = staged_records(results.computed.paths["records"])
        codes = read_frame(results.extracted.paths["attendance_code"])
        return candidates_by_date_and_code(records, codes), None
    try:
        return lookups.inserted_by_date_and_code(
            conn, scope.pipeline_schema, scope.sis_schema, run.dag_id, run.run_id, scope.school_number,
            scope.start_date, scope.end_date,
        ), None  # fmt: skip
    except psycopg.Error as exc:
        if conn.broken:
            raise
        log.warning("write_report: the records added could not be counted by day and code: %r", exc)
        return [], (
            f"The records added could not be counted by day and code ({type(exc).__name__}: {str(exc).strip()}); "
            "the counts above and the run's lineage are complete."
        )


def _school_name_and_codes(
    conn: psycopg.Connection, checked: Mapping[str, Any]
) -> tuple[str | None, dict[int, dict[str, Any]]]:
    """The school's name and its attendance codes of the year with descriptions, for the report page."""
    if not checked:
        return None, {}
    scope = RunScope.from_xcom(checked)
    name = lookups.school_name(conn, scope.sis_schema, scope.school_number)
    return name, lookups.attendance_code_descriptions(conn, scope.sis_schema, scope.school_number, scope.yearid)


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
    try:
        ids = student_ids(read_frame(path) for path in staged.values())
        return lookups.student_numbers(conn, RunScope.from_xcom(checked).sis_schema, ids) if ids else {}
    except Exception as exc:  # noqa: BLE001 (the numbers are a courtesy of the page, never a reason to fail)
        log.warning(
            "write_report: the student numbers could not be read (%s: %s); the report shows student ids instead",
            type(exc).__name__, exc,
        )  # fmt: skip
        return None
