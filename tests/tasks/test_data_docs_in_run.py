"""A real run of the sync DAG leaves the Great Expectations Data Docs of both its gates.

The preconditions and the candidates are validated in two tasks (two GX contexts); the site in
the run's report folder lists both, under the Airflow run id as GX's run name.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

import pytest
from attendance_bridge.checks import DATA_DOCS_FOLDER
from attendance_bridge.checks.suites import CANDIDATE_SUITE
from attendance_bridge.checks.suites import SUITES as PRECONDITION_SUITES
from attendance_bridge.reporting.run_folders import run_folder_name

from tests.support.sync_sandbox import run_sync

pytestmark = pytest.mark.integration

PAGE_LINK = re.compile(r"""(?:validations|expectations)/[^'"\s<>]+?\.html""")


def test_a_run_leaves_one_data_docs_site_with_both_gates_under_its_run_id(sandbox, sync_dag) -> None:
    state, report = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", report["message"]

    run_id = report["run_id"]
    site = sandbox.reports / "school_100" / run_folder_name(report["dag_id"], run_id) / DATA_DOCS_FOLDER
    index = site / "index.html"
    assert index.is_file()
    content = index.read_text()
    assert run_id in content
    targets = {unquote(link) for link in PAGE_LINK.findall(content)}
    validated = {link.split("/")[1] for link in targets if link.startswith("validations/")}
    assert validated == {*PRECONDITION_SUITES, CANDIDATE_SUITE}
    missing = sorted(link for link in targets if not (site / link).is_file())
    assert not missing
    for link in targets:
        if link.startswith("validations/"):
            # validations/<suite>/<run name>/<run time>/<batch>.html: GX's run name is the run id.
            assert link.split("/")[2] == run_id
            assert run_id in (site / link).read_text()
    seconds = {name: report.get("timings", {}).get(name) for name in ("validate_preconditions", "validate_candidates")}
    print(f"\n[data docs] phase seconds in the run report: {seconds}")


def test_a_run_refused_at_its_preconditions_gets_the_site_of_that_gate(sandbox, sync_dag) -> None:
    # The site is rendered once, by write_report, which runs whatever happened upstream.
    sandbox.q("UPDATE {sis}.prefs SET value = '0' WHERE name = 'ATT_MeetingDailyBridge' AND schoolid = 100")
    state, report = run_sync(sync_dag, school_number=100, year=35)
    assert state == "failed" and report["message"].startswith("P4 failed for school 100"), report["message"]

    site = sandbox.reports / "school_100" / run_folder_name(report["dag_id"], report["run_id"]) / DATA_DOCS_FOLDER
    content = (site / "index.html").read_text()
    targets = {unquote(link) for link in PAGE_LINK.findall(content)}
    assert {link.split("/")[1] for link in targets if link.startswith("validations/")} == set(PRECONDITION_SUITES)
    assert all((site / link).is_file() for link in targets)
    assert "Failed" in content
