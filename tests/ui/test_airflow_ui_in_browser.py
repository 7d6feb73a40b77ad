"""The run reports inside Airflow's UI (issue 20), as a person sees them in headless Chromium.

One real Airflow for the module (api-server, scheduler, dag-processor with the project's dags/ and
plugin) on a demo district, and two real sync runs triggered through the REST API: school 100,
which succeeds, and school 200, whose SIS text is markup (every field ``test_hostile_text``
plants, plus scripts that open a dialog) and which the preconditions refuse (P4, P5, P6), so its
report page and its Data Docs name that text.

The browser logs in through Airflow's login form. Airflow 3.3 shows a plugin's external view,
the nav entry (``/plugin/<url_route>``) and the DAG run tab (``.../runs/<run>/plugin/<url_route>``)
alike, as an ``<iframe sandbox="allow-scripts allow-same-origin ...">`` of the view's href, on the
same origin. The login page stores the JWT in the cookie ``_token`` (path ``/``, SameSite Lax),
which the iframe's requests carry; the UI's own API calls send the same cookie. The plugin's app
reads the user with Airflow's ``get_user``, which takes a bearer header or else that cookie: so
the tab is the logged-in user's, and a browser that has not logged in gets 401.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.config import (
    PIPELINE_SCHEMA_ENV,
    REPORTS_BASE_ENV,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
    STAGING_BASE_ENV,
)
from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.dev.embedded_postgres import SisConnection
from attendance_bridge.reporting.run_folders import run_folder_name
from playwright.sync_api import Browser, Frame, FrameLocator, Page, expect, sync_playwright
from psycopg import sql

from tests.support.airflow_services import ADMIN_USER, AirflowServices, running_airflow
from tests.support.sync_sandbox import ROOT, SANDBOX_SEED, SANDBOX_STUDENTS, Sandbox
from tests.tasks.test_hostile_text import EXECUTED, payload, plant
from tests.ui.in_browser import ARTIFACTS, TIMEOUT_MS, VIEWPORT, Watch, launch, log_in, non_local

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCHOOL, HOSTILE_SCHOOL = 100, 200
RUN_TIMEOUT = 600
# What a script from the data does when it runs: opens a dialog (the page's own "alert").
DIALOG = "<script>alert('XSS')</script><img src=x onerror=\"alert('XSS')\">"
# The sentence the Data Docs show for the first expectation of expectations/preconditions_calendar.json.
CALENDAR_SENTENCE = "Every school day in the range has exactly one calendar entry (P5)."
NAV_VIEW, RUN_VIEW = "Attendance reports", "Report"

expect.set_options(timeout=TIMEOUT_MS)


@dataclass(frozen=True)
class Runs:
    """The running Airflow, its reports base, and its two finished sync runs."""

    airflow: AirflowServices
    reports: Path
    run_id: str
    hostile_run_id: str
    planted: dict[str, str]

    def folder(self, school: int, run_id: str) -> Path:
        return self.reports / f"school_{school}" / run_folder_name(SYNC_DAG_ID, run_id)


def hostile(field: str) -> str:
    """``test_hostile_text``'s payload for ``field``, and scripts that would open a dialog."""
    return payload(field) + DIALOG


def refuse_with_markup(box: Sandbox, school: int) -> dict[str, str]:
    """SIS text that is markup in every field, and the preconditions P4, P5 and P6 broken by it: {field: text}."""
    planted = plant(box, school)
    planted["school name"] += DIALOG
    box.q("UPDATE {sis}.schools SET name = %(v)s WHERE school_number = %(s)s", v=planted["school name"], s=school)
    # As test_hostile_text's refused run: a bridge pref and a presence status that are markup, and a
    # bell schedule (named with markup) without its bridge period.
    planted["pref"], planted["status"] = hostile("pref"), hostile("status")
    box.q(
        "UPDATE {sis}.prefs SET value = %(v)s WHERE schoolid = %(s)s AND name = 'ATT_MeetingDailyBridge'",
        v=planted["pref"], s=school,
    )  # fmt: skip
    box.q(
        "UPDATE {sis}.bell_schedule_items SET daily_attendance_code = 0 WHERE bell_schedule_id IN "
        "(SELECT id FROM {sis}.bell_schedule WHERE schoolid = %(s)s AND name LIKE '%%Early Release')",
        s=school,
    )
    box.q(
        "UPDATE {sis}.attendance_code SET presence_status_cd = %(v)s WHERE schoolid = %(s)s AND att_code LIKE '%%T'",
        v=planted["status"], s=school,
    )  # fmt: skip
    return planted


@pytest.fixture(scope="module")
def runs(sis_server: SisConnection, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    suffix = uuid.uuid4().hex[:10]
    schema, pipeline_schema = f"sis_{suffix}", f"ab_{suffix}"
    root = tmp_path_factory.mktemp("airflow_ui")
    reports = root / "reports"
    env = {
        SIS_CONN_ENV: sis_server.airflow_json(),
        SIS_SCHEMA_ENV: schema,
        PIPELINE_SCHEMA_ENV: pipeline_schema,
        STAGING_BASE_ENV: f"file://{root / 'staging'}",
        REPORTS_BASE_ENV: f"file://{reports}",
        "ATTENDANCE_BRIDGE_TIMEZONE": "UTC",
        "ATTENDANCE_BRIDGE_RETRY_DELAY_SECONDS": "1",
    }
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=SANDBOX_STUDENTS, seed=SANDBOX_SEED)
            planted = refuse_with_markup(Sandbox(conn, schema, pipeline_schema, reports), HOSTILE_SCHOOL)
            started = time.monotonic()
            with running_airflow(
                sis_server, ROOT / "dags", root / "home", wait_for_dag=SYNC_DAG_ID, extra_env=env
            ) as airflow:
                ready = time.monotonic()
                api = airflow.rest_client()
                assert api.call("PATCH", f"/api/v2/dags/{SYNC_DAG_ID}", {"is_paused": False})["is_paused"] is False
                run_ids = [
                    api.call(
                        "POST", f"/api/v2/dags/{SYNC_DAG_ID}/dagRuns",
                        {"logical_date": None, "conf": {"school_number": school, "year": 35}},
                    )["dag_run_id"]
                    for school in (SCHOOL, HOSTILE_SCHOOL)
                ]  # fmt: skip
                finished = {run.run_id: run.state for run in airflow.wait_for_runs(SYNC_DAG_ID, 2, RUN_TIMEOUT)}
                print(
                    f"\nAirflow ready in {ready - started:.1f}s, both runs finished {time.monotonic() - ready:.1f}s later"
                )
                states = [(finished[run_id], airflow.task_instances(SYNC_DAG_ID, run_id)) for run_id in run_ids]
                assert [state for state, _ in states] == ["success", "failed"], states
                yield Runs(airflow, reports, *run_ids, planted)
        finally:
            for name in (schema, pipeline_schema):
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def login_state(runs: Runs, browser: Browser) -> dict:
    """The browser state of the admin, logged in once through Airflow's login form."""
    context = browser.new_context(viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        log_in(page, runs.airflow.api_url, ADMIN_USER, runs.airflow.admin_password)
        state = context.storage_state()
    finally:
        context.close()
    assert [cookie["name"] for cookie in state["cookies"]] == ["_token"]
    return state


@pytest.fixture
def page(browser: Browser, login_state: dict) -> Iterator[tuple[Page, Watch]]:
    """A page of the logged-in admin, and what it does from here on."""
    context = browser.new_context(viewport=VIEWPORT, storage_state=login_state)
    context.set_default_timeout(TIMEOUT_MS)
    watch = Watch.on(context)
    try:
        yield context.new_page(), watch
    finally:
        context.close()


def run_tab_url(runs: Runs, run_id: str) -> str:
    return f"{runs.airflow.api_url}/dags/{SYNC_DAG_ID}/runs/{quote(run_id, safe='')}"


def open_report_tab(page: Page, runs: Runs, run_id: str) -> FrameLocator:
    """The DAG run's page, then its "Report" tab: the report inside Airflow's iframe."""
    page.goto(run_tab_url(runs, run_id))
    page.get_by_role("link", name=RUN_VIEW, exact=True).click()
    expect(page).to_have_url(f"{runs.airflow.api_url}/dags/{SYNC_DAG_ID}/runs/{run_id}/plugin/attendance-report")
    return page.frame_locator(f"iframe[title='{RUN_VIEW}']")


def frame_showing(page: Page, path: str) -> Frame:
    """Airflow's iframe, showing a document whose URL holds ``path``."""
    [frame] = [frame for frame in page.frames if frame != page.main_frame and path in frame.url]
    return frame


def assert_quiet_and_local(watch: Watch) -> None:
    """No console error, no uncaught exception, no dialog, and every request to this machine."""
    assert watch.requests, "no request recorded"
    assert non_local(watch.requests) == []
    assert watch.console_errors == []
    assert watch.uncaught == []
    assert watch.dialogs == []


def test_the_locality_check_flags_every_address_off_this_machine() -> None:
    local = ["http://127.0.0.1:8080/ui/config", "http://localhost:8080/", "data:image/png;base64,AAAA",
             "blob:http://127.0.0.1:8080/0b4e6c1a-0000-4000-8000-000000000000"]  # fmt: skip
    leaving = ["https://code.jquery.com/jquery-3.7.1.min.js", "http://10.0.0.5/beacon", "wss://example.org/socket",
               "blob:https://example.org/0b4e6c1a", "chrome-extension://abc/page.html", "ftp://127.0.0.1/x"]  # fmt: skip
    assert non_local(local + leaving) == leaving


def test_the_nav_entry_opens_the_index_of_every_run_inside_airflow(page, runs: Runs) -> None:
    page, watch = page
    page.goto(f"{runs.airflow.api_url}/")
    page.get_by_role("link", name=NAV_VIEW).click()

    index = page.frame_locator(f"iframe[title='{NAV_VIEW}']")
    row = index.locator("tr.run", has_text=runs.run_id)
    expect(row).to_contain_text("Lincoln High")
    expect(row).to_contain_text("succeeded")
    expect(row).to_contain_text("admin")  # who triggered it, through the REST API
    expect(index.locator("tr.run")).to_have_count(2)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "airflow_nav_attendance_reports.png")

    # Inside Airflow's page, in its frame, served by the plugin.
    assert page.url.startswith(f"{runs.airflow.api_url}/plugin/attendance-reports")
    assert frame_showing(page, "/attendance-reports/files/index.html").title() == "Attendance bridge runs"
    assert_quiet_and_local(watch)


def test_the_dag_run_s_report_tab_shows_the_run_s_report(page, runs: Runs) -> None:
    page, watch = page

    report = open_report_tab(page, runs, runs.run_id)

    expect(report.locator("h1")).to_have_text("Attendance bridge run for school 100 (Lincoln High)")
    expect(report.locator("#run-status")).to_have_text("succeeded")
    expect(report.locator("body")).to_contain_text(runs.run_id)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "airflow_dag_run_report_tab.png")
    folder = f"school_{SCHOOL}/{run_folder_name(SYNC_DAG_ID, runs.run_id)}"
    assert frame_showing(page, f"/attendance-reports/files/{folder}/report.html")
    assert_quiet_and_local(watch)


def test_the_run_s_data_docs_say_each_expectation_in_a_sentence_and_load_nothing_from_outside(page, runs) -> None:
    page, watch = page
    report = open_report_tab(page, runs, runs.run_id)

    report.get_by_role("link", name="Great Expectations Data Docs of this run").click()
    validation = report.locator("tr.clickable-row[data-href*='validations/preconditions_calendar/']")
    validation.click()

    expect(report.locator("body")).to_contain_text("Expectation Validation Result")
    expect(report.locator("body")).to_contain_text("preconditions_calendar")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "airflow_data_docs_validation.png")
    folder = f"/attendance-reports/files/school_{SCHOOL}/{run_folder_name(SYNC_DAG_ID, runs.run_id)}"
    assert frame_showing(page, f"{folder}/data_docs/validations/preconditions_calendar/")
    expect(report.locator("body")).to_contain_text(CALENDAR_SENTENCE)
    # Every page on the way (Airflow's, the report, the Data Docs with their scripts and styles).
    assert [url for url in watch.requests if "/data_docs/validations/preconditions_calendar/" in url]
    assert_quiet_and_local(watch)


def test_a_browser_that_has_not_logged_in_gets_no_report(browser: Browser, runs: Runs) -> None:
    context = browser.new_context()
    try:
        anonymous = context.new_page()
        for path in (f"/attendance-reports/runs/{SYNC_DAG_ID}/{quote(runs.run_id, safe='')}", "/attendance-reports/"):
            response = anonymous.goto(f"{runs.airflow.api_url}{path}")
            assert response is not None and response.status == 401, path
            assert "Lincoln High" not in anonymous.content()
        # A cookie that is not Airflow's token is refused too.
        context.add_cookies([{"name": "_token", "value": "not-a-token", "url": runs.airflow.api_url}])
        response = anonymous.goto(f"{runs.airflow.api_url}/attendance-reports/")
        assert response is not None and response.status in (401, 403)
    finally:
        context.close()


def test_the_ui_s_cookie_alone_is_a_login_for_the_plugin(runs: Runs) -> None:
    """The credential an iframe carries: the ``_token`` cookie, no Authorization header."""
    token = runs.airflow.rest_client().token
    url = f"{runs.airflow.api_url}/attendance-reports/files/school_{SCHOOL}/{run_folder_name(SYNC_DAG_ID, runs.run_id)}/report.json"
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": f"_token={token}"}), timeout=120) as got:
        assert json.load(got)["run_id"] == runs.run_id
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(urllib.request.Request(url, headers={"Cookie": "_token="}), timeout=120)
    assert refused.value.code == 401


def test_sis_text_served_through_the_plugin_runs_no_script_in_a_logged_in_browser(page, runs: Runs) -> None:
    page, watch = page
    base = runs.airflow.api_url
    # The detector: the same markup written raw into a page of the reports base does run when served.
    control = runs.reports / "control" / "raw.html"
    control.parent.mkdir(exist_ok=True)
    control.write_text(f"<!DOCTYPE html><html><body><p>{hostile('raw')}</p></body></html>")
    page.goto(f"{base}/attendance-reports/files/control/raw.html")
    expect(page.locator("body")).to_contain_text(EXECUTED)
    assert watch.dialogs, "the raw page's alert did not open a dialog"
    watch.forget()

    # The refused run's page in its Report tab, and the index from the nav entry.
    report = open_report_tab(page, runs, runs.hostile_run_id)
    expect(report.locator("#run-status")).to_have_text("failed")
    expect(report.locator("h1")).to_contain_text(runs.planted["school name"])
    expect(report.locator("body")).to_contain_text(f"the bell schedule '{runs.planted['bell schedule']}Early Release'")
    expect(report.locator("body")).to_contain_text(runs.planted["pref"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "airflow_hostile_report_tab.png")
    assert EXECUTED not in frame_showing(page, "/report.html").content()
    page.goto(f"{base}/")
    page.get_by_role("link", name=NAV_VIEW).click()
    index = page.frame_locator(f"iframe[title='{NAV_VIEW}']")
    expect(index.locator("tr.run", has_text=runs.hostile_run_id)).to_contain_text(runs.planted["school name"])
    assert EXECUTED not in frame_showing(page, "/index.html").content()

    # Its Data Docs: the index and each validation page, where Great Expectations writes the offending rows.
    site = runs.folder(HOSTILE_SCHOOL, runs.hostile_run_id) / "data_docs"
    pages = sorted(site.glob("validations/**/*.html"))
    assert len(pages) >= 3
    shown = ""
    for path in (site / "index.html", *pages):
        relative = "/".join(quote(part, safe="") for part in path.relative_to(runs.reports).parts)
        response = page.goto(f"{base}/attendance-reports/files/{relative}")
        assert response is not None and response.status == 200, relative
        page.wait_for_load_state("load")
        assert EXECUTED not in page.content(), relative
        shown += page.locator("body").inner_text()
    # The text as the SIS holds it, shown as text.
    assert f"the bell schedule '{runs.planted['bell schedule']}Early Release'" in shown
    assert runs.planted["pref"] in shown and runs.planted["status"] in shown

    assert watch.dialogs == []
    assert not [url for url in watch.requests if url.endswith("/x")]  # no <img src=x> was markup
    assert_quiet_and_local(watch)
