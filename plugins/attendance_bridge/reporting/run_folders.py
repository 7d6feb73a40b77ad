"""Where a run keeps its files: Parquet frames between tasks, and the reports it leaves behind.

Both bases are ``ObjectStoragePath`` URLs (``file://`` by default, ``s3://`` and friends when
workers run on different machines), so tasks exchange paths through XCom, never frames.

This module is the only one that knows the folder layout under the two bases:

    <staging base>/<dag id>/<run id>/                   a run's Parquet frames (scratch)
    <reports base>/index.html                           every run, newest first
    <reports base>/school_<n>/<dag id>~<run id>/report.json
                                                        a run's report (sync or rollback), its page
                                                        report.html, detail CSVs, validation results,
                                                        their Data Docs (data_docs/index.html)
    <reports base>/no_school/<dag id>~<run id>/         a run refused before it had a school
    <reports base>/district/<dag id>~<run id>/summary.json
                                                        an end-of-term or nightly run's district summary (+ .html)

Every id is written with ``domain.run_names.encoded`` (``:`` as ``=3A``, ...), so a folder belongs to one
run of one DAG, whatever ids people choose (issue 29). A school's part of an end-of-term or nightly run
has the run id ``<DAG run id>__<key>`` (``domain.reconciliation.school_run_id``). Folders written before
(``school_<n>/<run id with every run of other characters as _>``, shared by ids that differ only there)
are still read, but only when the report in them names exactly the run asked for (``_legacy_folder``).

Every other module asks it for a folder, a file or a relative link.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
from airflow.sdk import ObjectStoragePath

from attendance_bridge.config import (
    DEFAULT_REPORTS_BASE,
    DEFAULT_STAGING_BASE,
    REPORTS_BASE_ENV,
    STAGING_BASE_ENV,
)
from attendance_bridge.domain.run_names import encoded, run_folder_name
from attendance_bridge.errors import FolderUnavailable

# How versions before issue 29 named a run's folder: every run of other characters as one "_" (not injective).
_LEGACY_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")
# The Parquet key-value metadata of a staged frame that says which run staged it, for which school.
STAGED_BY_KEY = b"attendance_bridge.staged_by"

# The files of a run's report folder, and of the reports base.
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
INDEX_HTML = "index.html"
# The district summaries' folder under the reports base, next to the schools' folders.
SUMMARY_FOLDER = "district"
SUMMARY_JSON = "summary.json"
SUMMARY_HTML = "summary.html"
# A run page's link to the index: a run folder is two levels below the base.
INDEX_FROM_RUN_FOLDER = f"../../{INDEX_HTML}"
# A run folder's Great Expectations Data Docs site (its gates' results as pages), when it was rendered.
DATA_DOCS_INDEX = "data_docs/index.html"


def legacy_folder_name(run_id: str) -> str:
    """The name versions before issue 29 gave a run's folder (one name for ``x:1``, ``x+1`` and ``x_1``)."""
    return _LEGACY_UNSAFE.sub("_", run_id).strip("_") or "_"


def _base(env: str, default: str) -> ObjectStoragePath:
    return ObjectStoragePath(os.environ.get(env) or default)


def reports_base() -> ObjectStoragePath:
    """Where every report lives (``ATTENDANCE_BRIDGE_REPORTS`` or reports/); nothing is created."""
    return _base(REPORTS_BASE_ENV, DEFAULT_REPORTS_BASE)


def staging_folder(dag_id: str, run_id: str) -> ObjectStoragePath:
    """The run's scratch folder for Parquet frames (``ATTENDANCE_BRIDGE_STAGING`` or .airflow/staging); created."""
    folder = _base(STAGING_BASE_ENV, DEFAULT_STAGING_BASE) / encoded(dag_id) / encoded(run_id)
    return _made(folder, "staging folder", STAGING_BASE_ENV)


def is_inside(url: str, folder: ObjectStoragePath) -> bool:
    """Whether the file at ``url`` is under ``folder`` (a path with ``.`` or ``..`` segments never is)."""
    path = ObjectStoragePath(url)
    if any(part in (".", "..") for part in path.path.split("/")):
        return False
    return path.protocol == folder.protocol and path.path.startswith(folder.path.rstrip("/") + "/")


# --------------------------------------------------------------------------- a run's report folder


def school_folder_name(school_number: int | None) -> str:
    """A school's folder under the reports base: ``school_<n>``, or ``no_school`` for a run refused before."""
    return f"school_{school_number}" if school_number is not None else "no_school"


def _run_folder(school_number: int | None, dag_id: str, run_id: str) -> ObjectStoragePath:
    return reports_base() / school_folder_name(school_number) / run_folder_name(dag_id, run_id)


def report_folder(school_number: int | None, dag_id: str, run_id: str) -> ObjectStoragePath:
    """The run's report folder (``ATTENDANCE_BRIDGE_REPORTS`` or reports/): school, then DAG and run id; created."""
    return _made(_run_folder(school_number, dag_id, run_id), "report folder", REPORTS_BASE_ENV)


def report_file(school_number: int | None, dag_id: str, run_id: str) -> ObjectStoragePath:
    """The run's ``report.json`` under the reports base (it may not exist; nothing is created)."""
    return _run_folder(school_number, dag_id, run_id) / REPORT_JSON


def run_page_file(school_number: int | None, dag_id: str, run_id: str) -> ObjectStoragePath:
    """The run's ``report.html`` under the reports base (it may not exist; nothing is created)."""
    return _run_folder(school_number, dag_id, run_id) / REPORT_HTML


def existing_report_folder(school_number: int | None, dag_id: str, run_id: str) -> ObjectStoragePath | None:
    """The run's report folder when it holds its ``report.json``: named as now, else as before issue 29 (checked)."""
    folder = _run_folder(school_number, dag_id, run_id)
    if (folder / REPORT_JSON).exists():
        return folder
    return _legacy_folder(folder.parent, dag_id, run_id, REPORT_JSON)


def reports_base_of(folder: ObjectStoragePath) -> ObjectStoragePath:
    """The reports base a run's report folder is in (``<base>/school_<n>/<run folder>``)."""
    return folder.parent.parent


def sibling_run_folder(folder: ObjectStoragePath, dag_id: str, run_id: str) -> ObjectStoragePath | None:
    """Another run's report folder of the same school when it holds its ``report.json`` (a rollback's sync run):
    named as now, else as before issue 29 (checked); None when there is none."""
    sibling = folder.parent / run_folder_name(dag_id, run_id)
    if (sibling / REPORT_JSON).exists():
        return sibling
    return _legacy_folder(folder.parent, dag_id, run_id, REPORT_JSON)


def sibling_report_files(folder: ObjectStoragePath) -> Iterable[ObjectStoragePath]:
    """The ``report.json`` of every run of the folder's school, its own included."""
    return folder.parent.glob(f"*/{REPORT_JSON}")


def link_to_sibling_page(sibling: ObjectStoragePath) -> str:
    """From a run page, the relative link to the page in another run's folder of the same school."""
    return f"../{sibling.name}/{REPORT_HTML}"


def _legacy_folder(
    parent: ObjectStoragePath, dag_id: str, run_id: str, document: str
) -> ObjectStoragePath | None:
    """The run's folder under ``parent`` as versions before issue 29 named it, only when its ``document``
    (``report.json``, ``summary.json``) names exactly this DAG id and run id: ``x:1`` and ``x+1`` shared
    that name, and one run's page must never be shown as another's."""
    name = legacy_folder_name(run_id)
    if name in (".", ".."):
        return None
    folder = parent / name
    return folder if _names_run(folder / document, dag_id, run_id) else None


def _names_run(path: ObjectStoragePath, dag_id: str, run_id: str) -> bool:
    """Whether the JSON document at ``path`` exists and is the one of run ``run_id`` of ``dag_id``."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):  # missing, unreadable or not JSON: not that run's
        return False
    return isinstance(document, dict) and document.get("dag_id") == dag_id and document.get("run_id") == run_id


# --------------------------------------------------------------------------- the reports base


def report_files(base: ObjectStoragePath) -> list[ObjectStoragePath]:
    """Every run's ``report.json`` under the base, in path order."""
    if not base.exists():
        return []
    return sorted(base.glob(f"*/*/{REPORT_JSON}"), key=str)


def run_folder_from_base(report: ObjectStoragePath) -> str:
    """A ``report.json``'s folder relative to the reports base: ``school_<n>/<run id>`` (the index's links)."""
    return f"{report.parent.parent.name}/{report.parent.name}"


def index_url(report_url: str) -> str:
    """The URL of the index of every run, from the URL of any run's ``report.json``."""
    return report_url.rsplit("/", 3)[0] + "/" + INDEX_HTML


def run_page_url(report_url: str) -> str:
    """The URL of the page next to a run's ``report.json``."""
    return report_url.rsplit("/", 1)[0] + "/" + REPORT_HTML


def data_docs_url(report_url: str) -> str:
    """The URL of the Data Docs index in the folder of a run's ``report.json``."""
    return report_url.rsplit("/", 1)[0] + "/" + DATA_DOCS_INDEX


# --------------------------------------------------------------------------- district summaries


def district_summary_folder(dag_id: str, run_id: str) -> ObjectStoragePath:
    """An end-of-term or nightly run's district summary folder (``<reports base>/district/<run folder>``); created."""
    folder = reports_base() / SUMMARY_FOLDER / run_folder_name(dag_id, run_id)
    return _made(folder, "district summary folder", REPORTS_BASE_ENV)


def run_page_of(base: ObjectStoragePath, dag_id: str, run_id: str, district: bool) -> str | None:
    """The page of a run relative to the reports base, when it has one: an end-of-term or nightly run's district
    summary (``district``), else the run's report page in its school's folder (a sync or a rollback).

    A run reported before issue 29 is found in its folder of then, only when the report (or summary)
    there names exactly this DAG id and run id.
    """
    name = run_folder_name(dag_id, run_id)
    if district:
        parents, page, document = [base / SUMMARY_FOLDER], SUMMARY_HTML, SUMMARY_JSON
    else:  # the school is not known here: every school's folder is looked in
        schools = [child for child in base.iterdir() if child.is_dir()] if base.exists() else []
        parents, page, document = schools, REPORT_HTML, REPORT_JSON
    folders = [parent / name for parent in parents if (parent / name / page).exists()]
    folders = folders or [found for parent in parents if (found := _legacy_folder(parent, dag_id, run_id, document))]
    folders = sorted((folder for folder in folders if (folder / page).exists()), key=str)
    return f"{folders[0].parent.name}/{folders[0].name}/{page}" if folders else None


def district_summary_files(base: ObjectStoragePath) -> list[ObjectStoragePath]:
    """Every district summary's ``summary.json`` under the reports base, in path order."""
    folder = base / SUMMARY_FOLDER
    return sorted(folder.glob(f"*/{SUMMARY_JSON}"), key=str) if folder.exists() else []


def summary_page_from_base(summary: ObjectStoragePath) -> str:
    """A ``summary.json``'s page relative to the reports base (the index's links)."""
    return f"{SUMMARY_FOLDER}/{summary.parent.name}/{SUMMARY_HTML}"


def run_page_from_summary(school_number: int | None, dag_id: str, run_id: str) -> str:
    """From a district summary page, the relative link to a school run's page."""
    return f"../../{school_folder_name(school_number)}/{run_folder_name(dag_id, run_id)}/{REPORT_HTML}"


def _made(folder: ObjectStoragePath, what: str, setting: str) -> ObjectStoragePath:
    """``folder``, created with its parents; a folder that cannot be made is refused in words."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise NotADirectoryError(20, "Not a directory")
    except OSError as exc:
        raise FolderUnavailable(what, folder, setting, exc) from exc
    return folder


# --------------------------------------------------------------------------- frames and documents


def write_frame(frame: pd.DataFrame, path: ObjectStoragePath, staged_by: Mapping[str, Any] | None = None) -> str:
    """Write ``frame`` as Parquet (dtypes kept) and return its URL for XCom; ``staged_by`` (the run and school
    that staged it) goes into the file's key-value metadata, where ``staged_by_of`` reads it back."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if staged_by is not None:
        stamp = json.dumps(dict(staged_by), sort_keys=True).encode()
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), STAGED_BY_KEY: stamp})
    with path.open("wb") as handle:
        pq.write_table(table, handle)
    return str(path)


def read_frame(url: str) -> pd.DataFrame:
    """A frame written by ``write_frame``."""
    with ObjectStoragePath(url).open("rb") as handle:
        return pd.read_parquet(handle)


def staged_by_of(url: str) -> dict[str, Any] | None:
    """What ``write_frame`` recorded as the run and school that staged the file (None: nothing recorded)."""
    import pyarrow.parquet as pq

    with ObjectStoragePath(url).open("rb") as handle:
        stamp = (pq.ParquetFile(handle).schema_arrow.metadata or {}).get(STAGED_BY_KEY)
    document = json.loads(stamp) if stamp else None
    return document if isinstance(document, dict) else None


def write_json(document: Any, path: ObjectStoragePath) -> str:
    """Write a JSON document (dates and numpy numbers as text/plain numbers) and return its URL."""
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=_plain) + "\n")
    return str(path)


def read_json(url: str) -> Any:
    """A JSON document written by ``write_json``."""
    return json.loads(ObjectStoragePath(url).read_text())


def _plain(value: Any) -> Any:
    """json.dumps fallback: numpy scalars become numbers, everything else its text."""
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


# --------------------------------------------------------------------------- local working copies

# The protocols whose paths are folders of this machine.
_LOCAL_PROTOCOLS = ("", "file", "local")


def local_path(folder: ObjectStoragePath) -> Path | None:
    """The folder as a local path when it is one (``file://``), else None."""
    return Path(folder.path) if (folder.protocol or "") in _LOCAL_PROTOCOLS else None


@contextmanager
def local_working_copy(folder: ObjectStoragePath, names: Sequence[str]) -> Iterator[Path]:
    """A local folder holding ``folder/<name>`` for each of ``names``, for tools that write files.

    A ``file://`` folder is used in place. Any other (``s3://`` and friends) is copied into a
    temporary local folder, and when the block ends without an exception those subfolders are
    copied back, file by file, over what is there; the temporary folder is then removed.
    """
    local = local_path(folder)
    if local is not None:
        local.mkdir(parents=True, exist_ok=True)
        yield local
        return
    with tempfile.TemporaryDirectory(prefix="attendance_bridge_") as scratch:
        work = Path(scratch)
        for name in names:
            download_folder(folder / name, work / name)
        yield work
        for name in names:
            upload_folder(work / name, folder / name)


def download_folder(source: ObjectStoragePath, target: Path) -> int:
    """Copy every file under ``source`` to the same place under ``target``; how many were copied."""
    if not source.exists():
        return 0
    prefix = source.path.rstrip("/") + "/"
    copied = 0
    for item in source.rglob("*"):
        if not item.is_file():
            continue
        local = target.joinpath(*item.path[len(prefix) :].split("/"))
        local.parent.mkdir(parents=True, exist_ok=True)
        local.write_bytes(item.read_bytes())
        copied += 1
    return copied


def upload_folder(source: Path, target: ObjectStoragePath) -> int:
    """Copy every file under the local ``source`` to the same place under ``target``; how many."""
    if not source.is_dir():
        return 0
    copied = 0
    for item in sorted(source.rglob("*")):
        if not item.is_file():
            continue
        remote = target.joinpath(*item.relative_to(source).parts)
        remote.parent.mkdir(parents=True, exist_ok=True)
        remote.write_bytes(item.read_bytes())
        copied += 1
    return copied
