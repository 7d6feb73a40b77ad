"""Where a run keeps its files: Parquet frames between tasks, and the reports it leaves behind.

Both bases are ``ObjectStoragePath`` URLs (``file://`` by default, ``s3://`` and friends when
workers run on different machines), so tasks exchange paths through XCom, never frames.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attendance_bridge.settings import (
    DEFAULT_REPORTS_BASE,
    DEFAULT_STAGING_BASE,
    REPORTS_BASE_ENV,
    STAGING_BASE_ENV,
)

if TYPE_CHECKING:
    import pandas as pd
    from airflow.sdk import ObjectStoragePath

# Run ids carry ':' and '+' (manual__2026-11-28T19:30:00+00:00); object stores and shells
# are happier without them.
_UNSAFE = re.compile(r"[^A-Za-z0-9._=-]+")


class FolderUnavailable(Exception):
    """A run folder could not be made under its base: the message names the folder, the base's setting and why."""

    def __init__(self, what: str, folder: Any, setting: str, exc: BaseException) -> None:
        self.folder = str(folder)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        super().__init__(
            f"the {what} {self.folder} could not be created ({type(exc).__name__}: {reason}); "
            f"check {setting} ({os.environ.get(setting) or 'not set: the default'}) and that the folder can be written"
        )


def folder_name(text: str) -> str:
    """A run id or DAG id as one safe path segment."""
    return _UNSAFE.sub("_", text).strip("_") or "_"


def _base(env: str, default: str) -> ObjectStoragePath:
    from airflow.sdk import ObjectStoragePath

    return ObjectStoragePath(os.environ.get(env) or default)


def reports_base() -> ObjectStoragePath:
    """Where every report lives (``ATTENDANCE_BRIDGE_REPORTS`` or reports/); nothing is created."""
    return _base(REPORTS_BASE_ENV, DEFAULT_REPORTS_BASE)


def staging_folder(dag_id: str, run_id: str) -> ObjectStoragePath:
    """The run's scratch folder for Parquet frames (``ATTENDANCE_BRIDGE_STAGING`` or .airflow/staging)."""
    folder = _base(STAGING_BASE_ENV, DEFAULT_STAGING_BASE) / folder_name(dag_id) / folder_name(run_id)
    return _made(folder, "staging folder", STAGING_BASE_ENV)


def report_folder(school_number: int | None, run_id: str) -> ObjectStoragePath:
    """The run's report folder (``ATTENDANCE_BRIDGE_REPORTS`` or reports/): school, then run id."""
    school = f"school_{school_number}" if school_number is not None else "no_school"
    folder = reports_base() / school / folder_name(run_id)
    return _made(folder, "report folder", REPORTS_BASE_ENV)


def _made(folder: ObjectStoragePath, what: str, setting: str) -> ObjectStoragePath:
    """``folder``, created with its parents; a folder that cannot be made is refused in words."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if not folder.is_dir():
            raise NotADirectoryError(20, "Not a directory")
    except OSError as exc:
        raise FolderUnavailable(what, folder, setting, exc) from exc
    return folder


def write_frame(frame: pd.DataFrame, path: ObjectStoragePath) -> str:
    """Write ``frame`` as Parquet (dtypes kept) and return its URL for XCom."""
    with path.open("wb") as handle:
        frame.to_parquet(handle, index=False)
    return str(path)


def read_frame(url: str) -> pd.DataFrame:
    """A frame written by ``write_frame``."""
    import pandas as pd
    from airflow.sdk import ObjectStoragePath

    with ObjectStoragePath(url).open("rb") as handle:
        return pd.read_parquet(handle)


def write_json(document: Any, path: ObjectStoragePath) -> str:
    """Write a JSON document (dates and numpy numbers as text/plain numbers) and return its URL."""
    path.write_text(json.dumps(document, indent=2, sort_keys=False, default=_plain) + "\n")
    return str(path)


def read_json(url: str) -> Any:
    """A JSON document written by ``write_json``."""
    from airflow.sdk import ObjectStoragePath

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
