"""The run's Great Expectations Data Docs: both gates of one run in one static site, real files.

The tiny school is validated the way a run does it: the preconditions, then the candidates in
a later task (a fresh GX context), with the Airflow run id as GX's run name and one folder per
run for GX's store and site; the site is rendered once, as the run's report task does it. It
is read back as a person's browser would: index.html, its relative links, the pages they lead
to.
"""

from __future__ import annotations

import html
import logging
import re
import time
from pathlib import Path
from urllib.parse import unquote

import pytest
from airflow.sdk import ObjectStoragePath
from attendance_bridge.checks import (
    DATA_DOCS_FOLDER,
    GX_STORE_FOLDER,
    build_run_data_docs,
    validate_candidates,
    validate_preconditions,
)
from attendance_bridge.checks.suites import CANDIDATE_SUITE, SUITES
from attendance_bridge.config import DAILY_TO_MEETING
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.reporting.run_folders import local_working_copy

from tests.checks.test_quality_gate import SOUND_PREFS, prefs
from tests.support.tiny_school import EXCUSED, MON, THU, daily, request, school

RUN_ID = "manual__2026-11-28T19:30:00+00:00"
ALL_SUITES = {*SUITES, CANDIDATE_SUITE}
# Links to the site's own pages: in index.html they sit in the table's data (percent-encoded),
# in the validation pages in href attributes.
PAGE_LINK = re.compile(r"""(?:\.\./)*(?:validations|expectations)/[^'"\s<>]+?\.html""")


def run_both_gates(docs: Path, bridge: str = "2"):
    """The two gates of one run into ``docs``, then its site; the gates' outcomes and the site's index."""
    frames = school(daily(1, 1, MON, EXCUSED))
    rows = [(name, bridge if name == "ATT_MeetingDailyBridge" else value) for name, value in SOUND_PREFS]
    preconditions = validate_preconditions(frames, prefs(rows), 100, MON, THU, RUN_ID, docs_folder=docs)
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    assert not records.empty
    candidates = validate_candidates(records, frames, DAILY_TO_MEETING, RUN_ID, 100, docs_folder=docs)
    index, _ = build_run_data_docs(docs, RUN_ID)
    return preconditions, candidates, index


def links(page: Path) -> set[Path]:
    """The site pages ``page`` links to, as files (relative links resolved, %-escapes decoded)."""
    return {(page.parent / unquote(link)).resolve() for link in PAGE_LINK.findall(page.read_text())}


def text(page: Path) -> str:
    """A page's visible text, roughly: tags, scripts and styles removed."""
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", page.read_text(), flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", content)))


def validation_pages(site: Path) -> dict[str, Path]:
    """The validation pages of the site by suite (validations/<suite>/<run>/<time>/<batch>.html)."""
    pages = {page.relative_to(site / "validations").parts[0]: page for page in site.glob("validations/**/*.html")}
    assert len(pages) == len(list(site.glob("validations/**/*.html"))), "one validation page per suite"
    return pages


def test_both_gates_of_a_run_end_in_one_site_whose_links_resolve(tmp_path: Path) -> None:
    _, _, index = run_both_gates(tmp_path)

    site = tmp_path / DATA_DOCS_FOLDER
    assert index == site / "index.html"
    assert index.is_file()
    linked = links(index)
    pages = validation_pages(site)
    assert set(pages) == ALL_SUITES
    # The index links every validation page (both gates) and every suite page, all of them files.
    assert {page.resolve() for page in pages.values()} <= linked
    assert {(site / "expectations" / f"{name}.html").resolve() for name in ALL_SUITES} <= linked
    assert all(path.is_file() for path in linked), sorted(str(p) for p in linked if not p.is_file())
    for suite, page in pages.items():
        assert RUN_ID in text(page), suite
        assert (site / "index.html").resolve() in links(page) | {(page.parent / "../../../../index.html").resolve()}
        assert all(path.is_file() for path in links(page)), suite
    # GX's run name is the Airflow run id, in the store as in the site.
    assert {path.parts[-3] for path in (tmp_path / GX_STORE_FOLDER / "validations").glob("*/*/*/*.json")} == {RUN_ID}
    assert "Status: Succeeded" in text(pages[CANDIDATE_SUITE])


def test_a_failed_expectation_shows_as_failed_in_its_page_in_words(tmp_path: Path) -> None:
    preconditions, _, _ = run_both_gates(tmp_path, bridge="0")
    assert [check.rule for check in preconditions.failures()] == ["P4"]

    pages = validation_pages(tmp_path / DATA_DOCS_FOLDER)
    failed = text(pages["preconditions_school_settings"])
    assert "Status: Failed" in failed
    assert "Unsuccessful Expectations 1" in failed
    # The expectation is its sentence (GX's description), its offender the school by its label with
    # the suite's sentence for it, not GX's derived values ("values must belong to this set", EMPTY).
    assert re.search(
        r"The school's Meeting and Daily Attendance Bridge setting is one-way or two-way, not none or empty \(P4\)\. "
        r".*1 object failed School What is wrong school 100 the Meeting and Daily Attendance Bridge "
        r"\(ATT_MeetingDailyBridge\) of school 100 is set to none \(0\)",
        failed,
    ), failed
    assert "values must belong to this set" not in failed and "EMPTY" not in failed
    # The data asset in words: the SIS table, what a row is, the school and the run.
    assert f"Data asset: prefs: the school's settings of the year, school 100, run {RUN_ID}" in failed
    assert "Status: Succeeded" in text(pages["preconditions_calendar"])
    assert "Every school day in the range has exactly one calendar entry (P5)." in text(pages["preconditions_calendar"])
    # The index's table (data for a script) marks that validation as failed, the sound ones not.
    marked = index_statuses(tmp_path / DATA_DOCS_FOLDER / "index.html")
    assert set(marked) == ALL_SUITES
    assert marked["preconditions_school_settings"] == "failed"
    assert marked["preconditions_calendar"] == "success"


def test_a_failed_warning_shows_as_a_warning_in_its_page_and_the_index(tmp_path: Path) -> None:
    # DQ1 (severity warning): the tiny school has an enrolment that ends the day it starts.
    preconditions, _, _ = run_both_gates(tmp_path)
    assert preconditions.success
    assert [(check.rule, check.critical) for check in preconditions.checks if not check.passed] == [("DQ1", False)]

    page = validation_pages(tmp_path / DATA_DOCS_FOLDER)["data_quality_enrolments"]
    warned = text(page)
    assert "Status: Passed with warnings" in warned and "Status: Failed" not in warned
    assert "fa-exclamation-triangle text-warning" in page.read_text()
    assert "fa-times text-danger" not in page.read_text()
    assert re.search(r"Enrolment What is wrong the enrolment cc\.id 9006 of student 2 .*ends before it starts", warned)
    marked = index_statuses(tmp_path / DATA_DOCS_FOLDER / "index.html")
    assert marked["data_quality_enrolments"] == "warning"
    assert (
        "'_validation_success_text': 'Passed with warnings'" in (tmp_path / DATA_DOCS_FOLDER / "index.html").read_text()
    )
    assert marked["candidates"] == "success"


def test_a_failed_candidate_check_names_the_record_in_its_page(tmp_path: Path) -> None:
    # The candidates' frame has no label (up to a million rows): GX finds offenders by row number,
    # the gate names the first 20 and keeps the named result in the run's store for the site (C2).
    frames = school(daily(1, 1, MON, EXCUSED))
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    bad = records.assign(attendance_codeid=55)
    outcome = validate_candidates(bad, frames, DAILY_TO_MEETING, RUN_ID, 100, docs_folder=tmp_path)
    assert [check.rule for check in outcome.failures()] == ["C2"]
    build_run_data_docs(tmp_path, RUN_ID)

    page = text(validation_pages(tmp_path / DATA_DOCS_FOLDER)[CANDIDATE_SUITE])
    row = bad.iloc[0]
    label = f"the record for student {row.studentid} on 2025-09-01 (period id {row.periodid}, enrolment {row.ccid})"
    assert f"Record to insert What is wrong {label} {label} refers to an attendance code that does not exist" in page
    assert "row 0" not in page


def test_the_site_names_nothing_on_the_internet(tmp_path: Path) -> None:
    # No remote logo, newsletter banner or link to GX's website: the site is read offline.
    run_both_gates(tmp_path, bridge="0")
    for page in (tmp_path / DATA_DOCS_FOLDER).rglob("*.html"):
        content = page.read_text()
        assert not re.search(r"(?:src|href)=[\"']?(?:https?:)?//", content), page
        assert "newsletter" not in content.lower() and "greatexpectations.io" not in content, page
        # Every file a page loads (scripts, styles, the favicon) is in the site.
        for target in re.findall(r"<(?:link|script|img)\b[^>]*?(?:href|src)=\"([^\"#]+)\"", content):
            assert (page.parent / unquote(target)).resolve().is_file(), (page.name, target)


def index_statuses(index: Path) -> dict[str, str]:
    """{suite: success | failed | warning} as the index's table marks each validation (its icon's class)."""
    content = index.read_text()
    rows = re.findall(r"ge-(success|failed|warning)-icon.*?'_expectation_suite_name_sort': '(\w+)'", content)
    statuses = {suite: status for status, suite in rows}
    assert len(statuses) == len(rows), "one validation per suite"
    return statuses


def test_a_gate_keeps_its_results_in_the_store_and_renders_no_site(tmp_path: Path) -> None:
    # The site is rendered once per run, by the report task: a gate's render cost 0.65 s each.
    frames = school(daily(1, 1, MON, EXCUSED))
    validate_preconditions(frames, prefs(), 100, MON, THU, RUN_ID, docs_folder=tmp_path)
    stored = {path.parts[-4] for path in (tmp_path / GX_STORE_FOLDER / "validations").glob("*/*/*/*.json")}
    assert stored == set(SUITES)
    assert not (tmp_path / DATA_DOCS_FOLDER).exists()


def test_a_run_that_stopped_at_its_first_gate_gets_a_site_of_that_gate(tmp_path: Path) -> None:
    frames = school(daily(1, 1, MON, EXCUSED))
    validate_preconditions(frames, prefs(), 100, MON, THU, RUN_ID, docs_folder=tmp_path)
    index, _ = build_run_data_docs(tmp_path, RUN_ID)
    assert set(validation_pages(tmp_path / DATA_DOCS_FOLDER)) == set(SUITES)
    assert all(path.is_file() for path in links(index))


def test_a_retried_gate_adds_its_try_to_the_same_site(tmp_path: Path) -> None:
    run_both_gates(tmp_path)
    run_both_gates(tmp_path)
    pages = list((tmp_path / DATA_DOCS_FOLDER).glob(f"validations/{CANDIDATE_SUITE}/**/*.html"))
    assert len(pages) == 2  # one per try, each with its own run time
    assert all(path.is_file() for path in links(tmp_path / DATA_DOCS_FOLDER / "index.html"))


def test_the_site_is_small_and_gx_logs_nothing_while_building_it(tmp_path: Path, caplog) -> None:
    with caplog.at_level(logging.INFO):
        run_both_gates(tmp_path)
    assert [r.getMessage() for r in caplog.records if r.name.startswith("great_expectations")] == []
    size = sum(path.stat().st_size for path in (tmp_path / DATA_DOCS_FOLDER).rglob("*") if path.is_file())
    # GX copies 4 MB of static files and the unused ones are removed; the site carries its own
    # jQuery, Bootstrap and icons (about 0.85 MB) so it works offline.
    assert size < 2_000_000


def test_a_non_local_reports_base_gets_the_same_site_through_a_local_copy(tmp_path: Path) -> None:
    # memory:// stands in for s3://: each gate, and the report task that renders the site, works
    # on a temporary local copy of the run's store and site; its files are copied back.
    folder = ObjectStoragePath(f"memory://reports/{tmp_path.name}/school_100/run")
    frames = school(daily(1, 1, MON, EXCUSED))
    names = (GX_STORE_FOLDER, DATA_DOCS_FOLDER)
    with local_working_copy(folder, names) as docs:
        assert not str(docs).startswith(str(tmp_path))
        validate_preconditions(frames, prefs(), 100, MON, THU, RUN_ID, docs_folder=docs)
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    with local_working_copy(folder, names) as docs:  # a later task, maybe on another worker
        assert (docs / GX_STORE_FOLDER / "validations" / "preconditions_calendar").is_dir()
        validate_candidates(records, frames, DAILY_TO_MEETING, RUN_ID, 100, docs_folder=docs)
    with local_working_copy(folder, names) as docs:  # the report task
        build_run_data_docs(docs, RUN_ID)
    assert not docs.exists()

    site = folder / DATA_DOCS_FOLDER
    index = (site / "index.html").read_text()
    stored = {item.path[len(site.path) + 1 :] for item in site.rglob("*.html")}
    targets = {unquote(link) for link in PAGE_LINK.findall(index)}
    assert targets <= stored
    assert {link.split("/")[1] for link in targets if link.startswith("validations/")} == ALL_SUITES


@pytest.mark.parametrize("with_docs", [False, True])
def test_seconds_the_gates_and_the_site_take(tmp_path: Path, with_docs: bool, capsys) -> None:
    # Not a limit: prints what the gates and the site cost (pytest -s shows it).
    frames = school(daily(1, 1, MON, EXCUSED))
    records = bridge_records(frames, request(DAILY_TO_MEETING)).records
    docs = tmp_path if with_docs else None
    validate_preconditions(frames, prefs(), 100, MON, THU, "warm-up")  # GX's import and first use
    started = time.perf_counter()
    preconditions = validate_preconditions(frames, prefs(), 100, MON, THU, RUN_ID, docs_folder=docs)
    middle = time.perf_counter()
    candidates = validate_candidates(records, frames, DAILY_TO_MEETING, RUN_ID, 100, docs_folder=docs)
    ended = time.perf_counter()
    assert preconditions.success and candidates.success
    site = build_run_data_docs(tmp_path, RUN_ID)[1] if with_docs else 0.0
    with capsys.disabled():
        print(
            f"\n[store={with_docs}] preconditions gate {middle - started:.2f} s, "
            f"candidates gate {ended - middle:.2f} s, site {site:.2f} s"
        )
