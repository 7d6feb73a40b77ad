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


def test_a_failed_expectation_shows_as_failed_in_its_page(tmp_path: Path) -> None:
    preconditions, _, _ = run_both_gates(tmp_path, bridge="0")
    assert [check.rule for check in preconditions.failures()] == ["P4"]

    pages = validation_pages(tmp_path / DATA_DOCS_FOLDER)
    failed = text(pages["preconditions_school_settings"])
    assert "Status: Failed" in failed
    assert "Unsuccessful Expectations 1" in failed
    # The failed expectation's row: its value set and the value found, 100% unexpected.
    assert re.search(r"bridge .*values must belong to this set: 1 2 .*none.* 100% unexpected", failed), failed
    assert "Status: Succeeded" in text(pages["preconditions_calendar"])
    # The index's table (data for a script) marks that validation as failed, the sound ones not.
    index = (tmp_path / DATA_DOCS_FOLDER / "index.html").read_text()
    marked = {
        suite: status
        for status, suite in re.findall(r"'_validation_success_text': '(\w+)', 'asset_name': '(\w+)'", index)
    }
    failed_suites = {suite for suite, status in marked.items() if status == "Failed"}
    assert set(marked) == ALL_SUITES
    assert "preconditions_school_settings" in failed_suites
    assert "preconditions_calendar" not in failed_suites


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
