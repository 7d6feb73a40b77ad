"""What a person sees: the run report, the index and the Data Docs of a real run, in a real
headless Chromium (Debian's ``chromium``, which ``make test`` installs when it is missing).

Chromium renders each page from its ``file://`` URL, runs its scripts, and hands back the DOM
as it stands afterwards; its console goes to stderr, where a script error shows as
"Uncaught ...". Screenshots are kept in ``test-artifacts/`` for a person to look at.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.sync_sandbox import ROOT, run_sync

pytestmark = pytest.mark.integration

ARTIFACTS = ROOT / "test-artifacts"


def chromium() -> str:
    """The browser: ``ATTENDANCE_BRIDGE_CHROMIUM``, else ``chromium`` on the PATH (never skipped)."""
    found = os.environ.get("ATTENDANCE_BRIDGE_CHROMIUM") or shutil.which("chromium")
    assert found, "no chromium on the PATH: run `make browser` (Debian's chromium package)"
    return found


def open_in_browser(page: Path, profile: Path, screenshot: Path | None = None) -> tuple[str, list[str]]:
    """The page's DOM after its scripts ran, and the console lines Chromium logged."""
    common = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
              "--enable-logging=stderr", "--v=0", "--window-size=1280,1600"]  # fmt: skip
    finished = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    console = [line for line in finished.stderr.splitlines() if ":CONSOLE" in line]
    if screenshot is not None:
        shot = subprocess.run(
            [*common, f"--screenshot={screenshot}", page.as_uri()], capture_output=True, text=True, timeout=120,
            check=False,
        )  # fmt: skip
        assert shot.returncode == 0 and screenshot.stat().st_size > 10_000, shot.stderr[-2000:]
    return finished.stdout, console


def title(dom: str) -> str:
    found = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    return found[1].strip() if found else ""


def test_a_person_opening_the_run_report_sees_the_title_the_counts_and_the_chart(sandbox, sync_dag, tmp_path) -> None:
    state, report = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", report["message"]
    pages = list(sandbox.reports.glob("school_100/*/report.html"))
    assert len(pages) == 1
    folder = pages[0].parent
    ARTIFACTS.mkdir(exist_ok=True)

    dom, console = open_in_browser(pages[0], tmp_path / "profile", ARTIFACTS / "run_report.png")

    assert "school 100" in title(dom) and "succeeded" in title(dom)
    assert not [line for line in console if "Uncaught" in line or "Error" in line], console
    inserted = report["counts"]["inserted"]
    assert inserted > 0 and f"{inserted:,}" in dom
    chart = re.search(r"<svg\b.*?</svg>", dom, re.DOTALL)
    assert chart and chart[0].count("<rect") >= 2, "the weekly chart has no bars"
    saved = json.loads((folder / "report.json").read_text())
    assert saved["counts"] == report["counts"]

    index, index_console = open_in_browser(sandbox.reports / "index.html", tmp_path / "profile")
    assert not [line for line in index_console if "Uncaught" in line], index_console
    assert report["run_id"] in index or pages[0].parent.name in index

    docs = folder / "data_docs" / "index.html"
    assert docs.exists() and 'href="data_docs/index.html"' in dom  # the report links to its Data Docs
    docs_dom, docs_console = open_in_browser(docs, tmp_path / "profile", ARTIFACTS / "data_docs_index.png")
    assert title(docs_dom), "the Data Docs index has no title"
    assert report["run_id"] in docs_dom
    # Offline too (this machine reaches no CDN): its scripts and styles come with the site.
    assert docs_console == [], docs_console
    assert 'class="bootstrap-table' in docs_dom  # the results table was built by its script
    page = next((folder / "data_docs" / "validations").rglob("*.html"))
    _, page_console = open_in_browser(page, tmp_path / "profile")
    assert page_console == [], page_console
