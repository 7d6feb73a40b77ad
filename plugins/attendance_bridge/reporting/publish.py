"""The report files of the reports base: detail CSVs, run and rollback pages, district summary pages, the index.

Every page is rebuilt from the files in the reports base, never patched: a run's
``report.html`` from its ``report.json`` and the CSV files next to it (plus the rollback
reports of the same school, which say whether and when the run was rolled back); the base's
``index.html`` from every ``report.json`` under it. Rebuilding is idempotent, so the sync and
the rollback both simply rebuild what they changed. Pages are written under a temporary name
and renamed, and the index writer lists the reports again after its rename and rebuilds when
the list changed meanwhile, so concurrent runs on several workers leave a complete index.

Where each file is (the folder layout) is ``run_folders``'s; what a page says is ``pages``'s.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from airflow.sdk import ObjectStoragePath

from attendance_bridge.catalog import DETAIL_TABLES, NIGHTLY_DAG_ID, ROLLBACK_DAG_ID
from attendance_bridge.reporting.csv_cells import restore_frame, spreadsheet_safe_csv
from attendance_bridge.reporting.detail_columns import page_table
from attendance_bridge.reporting.pages import (
    DetailTable,
    detail_frame,
    district_summary_page,
    index_entries,
    index_page,
    rollback_page,
    rollback_of,
    rollbacks_by_sync_run,
    run_page,
)
from attendance_bridge.reporting.run_folders import (
    DATA_DOCS_INDEX,
    INDEX_FROM_RUN_FOLDER,
    INDEX_HTML,
    REPORT_HTML,
    REPORT_JSON,
    SUMMARY_HTML,
    district_summary_files,
    link_to_sibling_page,
    report_files,
    reports_base_of,
    run_folder_from_base,
    sibling_report_files,
    sibling_run_folder,
    summary_page_from_base,
)

log = logging.getLogger(__name__)

# The rows of a detail table the page shows; its CSV holds them all.
ROWS_SHOWN = 50
# Index rebuilds after which a writer stops chasing reports that keep arriving.
INDEX_ATTEMPTS = 5


def write_detail_csvs(
    folder: ObjectStoragePath,
    frames: Mapping[str, pd.DataFrame],
    codes: Mapping[int, Mapping[str, Any]],
    student_numbers: Mapping[int, Any] | None = None,
) -> dict[str, str]:
    """Each detail table as ``<name>.csv`` in the report folder (all rows); {name: file name}.

    ``student_numbers`` ({id: student_number}, None when they could not be read) add the column
    ``student_number`` beside ``studentid``. Text that a spreadsheet would read as a formula is written
    with a quote before it (``csv_cells``: the SIS's text must never run in an auditor's spreadsheet).
    """
    written = {}
    for name, frame in frames.items():
        _write_text(folder / f"{name}.csv", spreadsheet_safe_csv(detail_frame(frame, codes, student_numbers)))
        written[name] = f"{name}.csv"
    return written


def render_run_page(folder: ObjectStoragePath) -> ObjectStoragePath:
    """(Re)build ``report.html`` in a sync run's report folder from the files there."""
    report = json.loads((folder / REPORT_JSON).read_text())
    rollback = rollback_of(report, rollbacks_by_sync_run(_sibling_rollbacks(folder)))
    tables = [_detail_table(folder, name) for name in DETAIL_TABLES if (folder / f"{name}.csv").exists()]
    page = run_page(report, tables, rollback, _links(folder, report, rollback))
    path = folder / REPORT_HTML
    _write_text(path, page)
    return path


def render_rollback_page(folder: ObjectStoragePath) -> ObjectStoragePath:
    """(Re)build ``report.html`` in a rollback run's report folder from its ``report.json``."""
    report = json.loads((folder / REPORT_JSON).read_text())
    sync_folder = _sync_run_folder(folder, report)
    links = {
        "index": INDEX_FROM_RUN_FOLDER,
        "sync_run": link_to_sibling_page(sync_folder) if sync_folder is not None else None,
        "plan": "plan.json" if (folder / "plan.json").exists() else None,
    }
    path = folder / REPORT_HTML
    _write_text(path, rollback_page(report, links))
    return path


def publish_index(base: ObjectStoragePath) -> ObjectStoragePath:
    """(Re)build ``index.html`` at the reports base from every report under it, until the list holds still."""
    path = base / INDEX_HTML
    listed = report_files(base)
    for _ in range(INDEX_ATTEMPTS):
        reports = []
        for report_file in listed:
            try:
                reports.append((run_folder_from_base(report_file), _read(report_file)))
            except Exception:  # one unreadable report must not hide every other run
                log.warning("the index leaves out %s, which cannot be read", report_file, exc_info=True)
        _write_text(path, index_page(index_entries(reports), district_summaries(base)))
        # Another worker may have written a report after our listing, and its index before ours.
        again = report_files(base)
        if _signature(again) == _signature(listed):
            break
        listed = again
    return path


def write_district_summary_page(folder: ObjectStoragePath, summary: Mapping[str, Any]) -> ObjectStoragePath:
    """``summary.html`` in an end-of-term run's summary folder."""
    path = folder / SUMMARY_HTML
    _write_text(path, district_summary_page(summary))
    return path


def publish_rollback(folder: ObjectStoragePath) -> ObjectStoragePath | None:
    """After a rollback: its own page, the page of the sync run it undid, the index (best effort: logged);
    the rollback's page, or None when it could not be written."""
    page = None
    try:
        page = render_rollback_page(folder)
        sync_folder = _sync_run_folder(folder, json.loads((folder / REPORT_JSON).read_text()))
        if sync_folder is not None:
            render_run_page(sync_folder)
        publish_index(reports_base_of(folder))
        log.info("the report page of this rollback is %s", page)
    except Exception:
        # The JSON report and the run log are the record; a page that cannot be drawn must not fail the run.
        log.exception("the report pages could not be written")
    return page


def _sync_run_folder(folder: ObjectStoragePath, rollback: Mapping[str, Any]) -> ObjectStoragePath | None:
    """The report folder of the sync run a rollback report names (its DAG id from the plan), when it has one."""
    sync_run_id = rollback.get("sync_run_id")
    sync_dag_id = rollback.get("sync_dag_id") or (rollback.get("sync_run") or {}).get("dag_id")
    if not sync_run_id or not sync_dag_id:
        return None
    return sibling_run_folder(folder, sync_dag_id, sync_run_id)


def _detail_table(folder: ObjectStoragePath, name: str) -> DetailTable:
    """A detail table's first rows from its CSV, as the page shows them (``detail_columns``): the text as
    the SIS holds it, without the quote the CSV puts before a would-be formula (``csv_cells``)."""
    with (folder / f"{name}.csv").open("r", newline="") as handle:  # a CR in a field is the SIS's
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    shown = page_table(restore_frame(frame.head(ROWS_SHOWN)))
    return DetailTable(
        name=name,
        title=DETAIL_TABLES.get(name, name),
        columns=shown.headings,
        rows=shown.rows,
        total=len(frame),
        csv=f"{name}.csv",
        by_student_number=shown.by_student_number,
        classes=shown.classes,
    )


def _links(folder: ObjectStoragePath, report: Mapping[str, Any], rollback: Mapping[str, Any] | None) -> dict:
    """Relative links of a run page, only to files that exist."""

    def existing(name: str) -> str | None:
        return name if (folder / name).exists() else None

    return {
        "index": INDEX_FROM_RUN_FOLDER,
        "report_json": REPORT_JSON,
        "preconditions": existing("preconditions_validation.json"),
        "candidates": existing("candidates_validation.json"),
        "data_docs": existing(DATA_DOCS_INDEX),
        "rollback": link_to_sibling_page(rollback["folder"]) if rollback is not None else None,
    }


def _sibling_rollbacks(folder: ObjectStoragePath) -> list[dict[str, Any]]:
    """The rollback reports of the same school (the folder's siblings), each with its ``folder``."""
    found = []
    for report_file in sibling_report_files(folder):
        try:
            document = _read(report_file)
        except Exception:
            log.warning("cannot read %s", report_file, exc_info=True)
            continue
        if document.get("dag_id") == ROLLBACK_DAG_ID:
            found.append({**document, "folder": report_file.parent})
    return found


def district_summaries(base: ObjectStoragePath) -> list[dict[str, Any]]:
    """One row per district summary (end of term or nightly bridge) under the reports base, for the index."""
    rows = []
    for path in district_summary_files(base):
        try:
            summary = _read(path)
        except Exception:  # one unreadable summary must not hide the rest
            log.warning("the index leaves out %s, which cannot be read", path, exc_info=True)
            continue
        interval = summary.get("interval") or {}
        rows.append(
            {
                "when": summary.get("written_at"),
                "href": summary_page_from_base(path),
                "run_id": summary.get("run_id"),
                # Which DAG's run: the two district DAGs share the summary's layout (issue 29's newcomer check).
                "kind": "nightly bridge" if summary.get("dag_id") == NIGHTLY_DAG_ID else "end of term",
                "days": interval.get("first_day")
                if interval.get("first_day") == interval.get("last_day")
                else f"{interval.get('first_day')} to {interval.get('last_day')}",
                "mode": summary.get("mode"),
                "outcome": summary.get("outcome"),
                "schools": len(summary.get("schools") or []),
                "failed": len(summary.get("failed") or []),
            }
        )
    return rows


def _signature(files: list[ObjectStoragePath]) -> list[tuple[str, Any]]:
    """What changes when a report is added or rewritten."""
    signature = []
    for path in files:
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        info = info if isinstance(info, Mapping) else {}
        signature.append((str(path), info.get("mtime") or info.get("LastModified") or info.get("size")))
    return signature


def _read(path: ObjectStoragePath) -> dict[str, Any]:
    document = json.loads(path.read_text())
    if not isinstance(document, dict):
        raise TypeError("not a report document")
    if not document.get("written_at"):
        # Reports from before written_at existed: the file's time orders them.
        document["written_at"] = _file_time(path)
    return document


def _file_time(path: ObjectStoragePath) -> str | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    mtime = info.get("mtime") if isinstance(info, Mapping) else None
    if isinstance(mtime, (int, float)):
        return datetime.fromtimestamp(mtime, UTC).isoformat()
    return str(mtime) if mtime else None


def _write_text(path: ObjectStoragePath, text: str) -> None:
    """Write under a temporary name, then rename: readers and other writers never see half a file."""
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(text)
    try:
        temporary.rename(path)
    except Exception:
        temporary.unlink(missing_ok=True)
        raise
