"""The sync DAG's trigger form in Airflow's own UI (issue 20, point 6): the real api-server and dag-processor,
the form opened in Debian's headless Chromium.

The School year field is one line of text with the school years as proposals (not the six-line JSON box
Airflow draws for a field of several types), and what the form sends for "35" is read as the yearid 35
(SPEC section 3: a yearid or "2025-2026").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from attendance_bridge.catalog import SYNC_DAG_ID
from attendance_bridge.domain.request import parse_run_parameters

from tests.reporting.test_pages_in_browser import chromium
from tests.support.airflow_services import ADMIN_USER, running_airflow
from tests.ui.in_browser import TIMEOUT_MS

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
YEAR_FIELD = """() => {
    const field = document.getElementById('element_year');
    return {tag: field.tagName, height: field.getBoundingClientRect().height,
            proposals: [...document.querySelectorAll('#list_year option')].map(option => option.value)};
}"""


def test_the_school_year_is_one_line_of_text_and_the_form_s_35_is_the_yearid_35(sis_server, tmp_path) -> None:
    from playwright.sync_api import sync_playwright

    components = ("api-server", "dag-processor")
    with (
        running_airflow(sis_server, ROOT / "dags", tmp_path / "home", wait_for_dag=SYNC_DAG_ID, components=components)
        as airflow,
        sync_playwright() as playwright,
    ):  # fmt: skip
        browser = playwright.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            # Not Playwright's 30 s: Airflow's UI on a loaded machine can take longer to draw the form.
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(f"{airflow.api_url}/dags/{SYNC_DAG_ID}")  # the login first, then back to the DAG
            page.fill("input[name=username]", ADMIN_USER)
            page.fill("input[name=password]", airflow.admin_password)
            page.keyboard.press("Enter")
            page.get_by_role("button", name="Trigger").first.click()
            page.wait_for_selector("#element_year")
            year = page.evaluate(YEAR_FIELD)
            page.fill("input[name=element_school_number]", "100")
            page.fill("#element_year", "35")
            page.get_by_role("dialog").get_by_role("button", name="Trigger").click()
            (conf,) = airflow.wait_until(
                "the triggered run", lambda: airflow.query("SELECT conf FROM dag_run WHERE dag_id = %s", [SYNC_DAG_ID]),
                timeout=300,  # the form's request reaching the api-server: seconds; only a hang reaches this
            )[0]  # fmt: skip
        finally:
            browser.close()

    assert year["tag"] == "INPUT" and year["height"] < 60, year  # a textarea of six rows is over 100 px
    assert len(year["proposals"]) == 2 and all(parse_run_parameters({"school_number": 100, "year": p}).yearid
                                                for p in year["proposals"])  # fmt: skip
    conf = json.loads(conf) if isinstance(conf, str) else conf
    assert conf["year"] == "35" and conf["school_number"] == 100
    assert parse_run_parameters(conf).yearid == 35  # the whole conf the form sends, as check_parameters reads it
