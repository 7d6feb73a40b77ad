"""The report pages of real runs: a sync that loads, its rollback, a refused run, against a real PostgreSQL.

The pages' numbers are compared with the report JSON and with the database (run log and lineage),
and every link of every page must resolve to a file in the reports folder.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from attendance_bridge.reporting.run_folders import run_folder_name

from tests.support.sync_sandbox import Sandbox, run_report_folder, run_sync

pytestmark = pytest.mark.integration


class Page(HTMLParser):
    """A page's links, element ids and chart bars."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.bars: list[dict[str, str | None]] = []
        self.html = path.read_text()
        self.feed(self.html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.links += [value for name, value in attrs if name in ("href", "src") and value]
        if found.get("id"):
            self.ids.add(found["id"])
        if tag == "rect" and found.get("class") == "bar":
            self.bars.append(found)

    def counts(self) -> dict[str, int]:
        """The counts table as shown: {count name: number}."""
        found = re.findall(r'data-count="(\w+)"><th>[^<]*</th><td class="number">([\d,]+)<', self.html)
        return {name: int(value.replace(",", "")) for name, value in found}

    def assert_links_resolve(self) -> None:
        for link in self.links:
            assert "://" not in link, f"{self.path} links outside the reports folder: {link}"
            target = (self.path.parent / link).resolve()
            assert target.is_file(), f"{self.path} links to {link}, which does not exist"


def run_folder(dag_id: str, run_id: str) -> Path:
    (folder,) = Path(run_report_folder()).glob(f"*/{run_folder_name(dag_id, run_id)}")
    return folder


def run_rollback(rollback_dag, **conf: object) -> tuple[str, dict]:
    """One run of the rollback DAG: its final state and its report."""
    import json

    run = rollback_dag.test(run_conf=conf, logical_date=datetime.now(UTC))
    (report,) = Path(run_report_folder()).glob(f"*/{run_folder_name(run.dag_id, run.run_id)}/report.json")
    return str(run.state), json.loads(report.read_text())


def index_rows(base: Path) -> list[tuple[str, str, str]]:
    """The index's rows: (school, status, link)."""
    html = (base / "index.html").read_text()
    return re.findall(r'data-school="(\w+)" data-status="([\w ]+)">.*?<a href="([^"]+)">', html, flags=re.DOTALL)


def test_a_loaded_run_page_shows_the_database_counts_a_weekly_chart_and_tables_with_their_csv(
    sandbox: Sandbox, sync_dag, rollback_dag
) -> None:
    state, report = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", report["message"]
    folder = run_folder(report["dag_id"], report["run_id"])
    page = Page(folder / "report.html")

    # The counts as the page shows them are the report's, and the report's are the database's.
    assert page.counts() == report["counts"]
    ((logged,),) = sandbox.q("SELECT counts FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"])
    assert page.counts() == logged
    ((lineage,),) = sandbox.q(
        "SELECT count(*) FROM {pipeline}.lineage WHERE run_id = %(r)s AND table_name = 'attendance'",
        r=report["run_id"],
    )
    assert page.counts()["inserted"] == lineage > 0

    assert {"parameters", "preconditions", "counts", "weekly-chart", "conflicts", "timings", "validation"} <= page.ids
    assert "Attendance bridge run for school 100 (" in page.html  # the school's name from the SIS
    assert re.findall(r'data-rule="(P\d)"><td>P\d</td><td>[^<]+</td>\s*<td><span class="status status-(\w+)', page.html) == [
        (rule, "passed") for rule in ("P1", "P2", "P3", "P4", "P5", "P6")
    ]  # fmt: skip
    # The chart: one stacked bar per week and code, adding up to what was inserted.
    assert sum(int(bar["data-records"]) for bar in page.bars) == lineage
    assert len({bar["x"] for bar in page.bars}) > 1
    # The tables: every conflict in the CSV, codes described.
    with (folder / "conflicts.csv").open() as handle:
        conflicts = list(csv.DictReader(handle))
    assert len(conflicts) == report["counts"]["conflicts"] > 0
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d", row["att_date"]) for row in conflicts)
    assert all(row["kept_attendance_code"] for row in conflicts)
    # Students by the school's own student number, beside the internal id, as the students table has them.
    assert_student_numbers_match(sandbox, folder, page)
    assert {"conflicts.csv", "mismatches.csv", "unscheduled.csv", "preconditions_validation.json"} <= set(page.links)
    assert "candidates_validation.json" in page.links
    page.assert_links_resolve()

    base = Path(run_report_folder())
    school_folder = folder.parent.name
    assert ("100", "succeeded", f"{school_folder}/{folder.name}/report.html") in index_rows(base)
    Page(base / "index.html").assert_links_resolve()

    # Rolled back: the run's page and the index say so, with when and by whom.
    state, undone = run_rollback(rollback_dag, school_number=100, run_id=report["run_id"])
    assert state == "success", undone["message"]
    page = Page(folder / "report.html")
    assert "rolled-back" in page.ids
    assert "This run was rolled back" in page.html and undone["rolled_back_at"][:10] in page.html
    ((rolled_back_by,),) = sandbox.q(
        "SELECT rolled_back_by FROM {pipeline}.run_log WHERE run_id = %(r)s", r=report["run_id"]
    )
    assert rolled_back_by and f"<strong>{rolled_back_by}</strong>" in page.html
    page.assert_links_resolve()
    rollback_folder = run_folder(undone["dag_id"], undone["run_id"])
    Page(rollback_folder / "report.html").assert_links_resolve()
    rows = index_rows(base)
    assert rows[0] == ("100", "succeeded", f"{school_folder}/{rollback_folder.name}/report.html")  # newest first
    assert ("100", "rolled back", f"{school_folder}/{folder.name}/report.html") in rows
    Page(base / "index.html").assert_links_resolve()


def assert_student_numbers_match(sandbox: Sandbox, folder: Path, page: Page) -> None:
    """Every detail CSV has student_number beside studentid, equal to the students table's; the page shows them."""
    numbers = dict(sandbox.q("SELECT id, student_number FROM {sis}.students"))
    shown = 0
    for name in ("conflicts", "mismatches", "unscheduled", "ignored"):
        with (folder / f"{name}.csv").open() as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
        if not rows:
            continue
        at = reader.fieldnames.index("studentid")
        assert reader.fieldnames[at + 1] == "student_number", name
        assert all(int(row["student_number"]) == numbers[int(row["studentid"])] for row in rows), name
        table = page.html[page.html.index(f'id="{name}"') :]
        assert "<th>Student number</th>" in table.split("</table>")[0]
        assert f"<td>{rows[0]['student_number']}</td>" in table.split("</table>")[0]
        shown += 1
    assert shown > 0
    assert "Students are shown by their student number" in page.html
    assert "could not be read" not in page.html


def test_a_refused_run_has_a_page_that_says_why(sandbox: Sandbox, sync_dag) -> None:
    state, report = run_sync(sync_dag, school_number=100, year=35, **{"<b>scool</b>": 1})
    assert state == "failed"
    assert "<b>scool</b>" in report["message"]
    folder = run_folder(report["dag_id"], report["run_id"])
    page = Page(folder / "report.html")
    assert "message" in page.ids and "&lt;b&gt;scool&lt;/b&gt;" in page.html and "<b>scool" not in page.html
    assert page.counts() == {} and "weekly-chart" not in page.ids
    page.assert_links_resolve()
    base = Path(run_report_folder())
    assert ("100", "failed", f"{folder.parent.name}/{folder.name}/report.html") in index_rows(base)
