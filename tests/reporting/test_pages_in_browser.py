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


# The demo district's codes, the longest descriptions an auditor sees in the tables.
DEMO_CODES = {
    11: {"att_code": None, "description": "Present"},
    12: {"att_code": "T", "description": "Tardy"},
    13: {"att_code": "E", "description": "Excused Absence"},
    14: {"att_code": "U", "description": "Unexcused Absence"},
}
# Wider than the Chromium window of the other tests: what the issue measured (1,400 px); and an A4 page's
# width inside the print stylesheet's 12 mm margins, at 96 px per inch (186 mm).
SCREEN_WIDTH, PAPER_WIDTH = 1400, 703


def wide_tables(rows: int = 50) -> dict:
    """Conflicts (9 columns in the CSV) and disagreements (11) of ``rows`` rows each, with the longest codes."""
    import pandas as pd

    days = pd.date_range("2026-01-05", periods=rows, freq="D").astype("datetime64[ms]")
    students = [1000100 + n for n in range(rows)]
    return {
        "conflicts": pd.DataFrame({
            "studentid": students, "att_date": days, "kept_attendance_id": range(10013298, 10013298 + rows),
            "kept_attendance_codeid": [14] * rows, "other_attendance_id": range(10023298, 10023298 + rows),
            "other_attendance_codeid": [13] * rows, "rule": ["M2"] * rows,
        }),
        "disagreements": pd.DataFrame({
            "studentid": students, "att_date": days, "daily_attendance_id": range(10000030, 10000030 + rows),
            "daily_attendance_codeid": [14] * rows, "daily_records": [1] * rows, "bridge_periodid": [101] * rows,
            "meeting_attendance_id": range(10024495, 10024495 + rows), "meeting_attendance_codeid": [13] * rows,
            "meeting_records": [1] * rows,
        }),
    }  # fmt: skip


def test_the_wide_tables_fit_a_1400_px_window_and_the_printed_page(tmp_path) -> None:
    """Issue 20, point 5: Conflicts and Disagreements need no sideways scrolling at 1,400 px, and print within
    the page's width with their headings repeated on each page, no navigation and the collapsed list open."""
    from airflow.sdk import ObjectStoragePath
    from attendance_bridge.reporting import publish
    from playwright.sync_api import sync_playwright

    from tests.reporting.test_pages import sync_report, write_run

    folder = write_run(tmp_path, sync_report(), frames={})
    frames = wide_tables()
    publish.write_detail_csvs(folder, frames, DEMO_CODES, {n: 20240000 + n % 10000 for n in range(1000100, 1000150)})
    page_path = Path(publish.render_run_page(ObjectStoragePath(str(folder))).path)
    measure = """name => {
        const box = document.getElementById(name).parentElement.querySelector(`#${name} ~ .scroll`);
        const table = box.querySelector('table');
        return {hidden: box.scrollWidth - box.clientWidth, right: table.getBoundingClientRect().right,
                headings: [...table.tHead.rows[0].cells].map(cell => cell.textContent),
                repeated: getComputedStyle(table.tHead).display};
    }"""

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": SCREEN_WIDTH, "height": 900})
            page.goto(page_path.as_uri())
            on_screen = {name: page.evaluate(measure, name) for name in frames}
            shown_closed = page.evaluate("document.querySelector('details table').checkVisibility()")

            page.emulate_media(media="print")
            page.set_viewport_size({"width": PAPER_WIDTH, "height": 1000})
            on_paper = {name: page.evaluate(measure, name) for name in frames}
            printed_open = page.evaluate("document.querySelector('details table').checkVisibility()")
            navigation = page.evaluate("getComputedStyle(document.querySelector('nav')).display")
            page_width = page.evaluate("document.documentElement.scrollWidth")
        finally:
            browser.close()

    for name, table in on_screen.items():
        assert table["hidden"] <= 0 and table["right"] <= SCREEN_WIDTH, (name, table)
        assert table["headings"][:2] == ["Student number", "Date"] and not any("_" in h for h in table["headings"])
    assert on_screen["conflicts"]["headings"][2:4] == ["Kept code", "Other code"]
    assert on_screen["disagreements"]["headings"][2:4] == ["Daily code", "Meeting code (bridge period)"]
    for name, table in on_paper.items():
        assert table["hidden"] <= 0 and table["right"] <= PAPER_WIDTH, (name, table)
        assert table["repeated"] == "table-header-group", name
    assert page_width <= PAPER_WIDTH
    assert navigation == "none"
    assert (shown_closed, printed_open) == (False, True)  # "Every expectation checked": closed on screen, open on paper
