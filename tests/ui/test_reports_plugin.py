"""The reports inside Airflow (issue 20): the real API server with the project's plugin, behind its login.

A reports base with a sync run's page, CSV and Data Docs, a district summary, and a file outside the base
(plus a symbolic link to it from inside): a logged-in user reads the pages through the plugin; an anonymous
request or a forged token gets no page; no path leaves the base.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from attendance_bridge.config import REPORTS_BASE_ENV

from tests.support.airflow_services import AirflowServices, running_airflow

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SYNC_RUN = "manual__2026-03-02T10:15:00+00:00"
# Named as run_folders names them (issue 29): DAG id, then the run id with ":" and "+" escaped.
SYNC_FOLDER = "school_100/attendance_bridge_sync~manual__2026-03-02T10=3A15=3A00=2B00=3A00"
SUMMARY_FOLDER = "district/attendance_bridge_end_of_term~scheduled__2026-06-05T02=3A00=3A00=2B00=3A00"
TERM_RUN = "scheduled__2026-06-05T02:00:00+00:00"
SECRET = "a file outside the reports base"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def get(services: AirflowServices, path: str, token: str | None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one GET, redirects not followed."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = urllib.request.Request(f"{services.api_url}{path}", headers=headers)
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=120) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ui")
    base = root / "reports"
    run = base / SYNC_FOLDER
    (run / "data_docs").mkdir(parents=True)
    (base / "index.html").write_text("<html><body>every run</body></html>")
    (run / "report.html").write_text('<html><body>run page <a href="conflicts.csv">csv</a></body></html>')
    (run / "conflicts.csv").write_text("studentid,att_date\n1000110,2025-09-01\n")
    (run / "report.json").write_text(json.dumps({"status": "succeeded"}))
    (run / "data_docs" / "index.html").write_text("<html><body>data docs</body></html>")
    summary = base / SUMMARY_FOLDER
    summary.mkdir(parents=True)
    (summary / "summary.html").write_text("<html><body>district summary</body></html>")
    (root / "secret.txt").write_text(SECRET)
    (base / "link.txt").symlink_to(root / "secret.txt")
    return base


@pytest.fixture(scope="module")
def api_server(sis_server, reports: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AirflowServices]:
    dags = tmp_path_factory.mktemp("no_dags")
    env = {REPORTS_BASE_ENV: f"file://{reports}"}
    with running_airflow(
        sis_server, dags, tmp_path_factory.mktemp("airflow_home"), extra_env=env, components=("api-server",)
    ) as services:
        yield services


@pytest.fixture(scope="module")
def token(api_server: AirflowServices) -> str:
    return api_server.rest_client().token


def test_an_anonymous_request_or_a_forged_token_gets_no_page(api_server: AirflowServices) -> None:
    for path in ("/attendance-reports/", f"/attendance-reports/files/{SYNC_FOLDER}/report.html"):
        status, _, body = get(api_server, path, None)
        assert status == 401, (path, body[:200])
        assert b"run page" not in body
        status, _, body = get(api_server, path, "not-a-token")
        assert status in (401, 403) and b"run page" not in body


def test_a_logged_in_user_reads_the_index_a_run_s_page_its_csv_and_data_docs(api_server, token: str) -> None:
    status, headers, _ = get(api_server, "/attendance-reports/", token)
    assert status == 302 and headers["location"] == "/attendance-reports/files/index.html"
    assert get(api_server, "/attendance-reports/files/index.html", token)[2] == b"<html><body>every run</body></html>"
    status, headers, body = get(api_server, f"/attendance-reports/files/{SYNC_FOLDER}/report.html", token)
    assert (status, headers["content-type"].split(";")[0]) == (200, "text/html") and b"run page" in body
    status, headers, body = get(api_server, f"/attendance-reports/files/{SYNC_FOLDER}/conflicts.csv", token)
    assert (status, headers["content-type"].split(";")[0]) == (200, "text/csv") and b"1000110" in body
    assert b"data docs" in get(api_server, f"/attendance-reports/files/{SYNC_FOLDER}/data_docs/index.html", token)[2]


@pytest.mark.parametrize(
    "path",
    [
        "/attendance-reports/files/../secret.txt",
        "/attendance-reports/files/%2e%2e/secret.txt",
        "/attendance-reports/files/school_100%2F..%2F..%2Fsecret.txt",
        "/attendance-reports/files/%2Fetc%2Fpasswd",
        "/attendance-reports/files//etc/passwd",
        "/attendance-reports/files/link.txt",
        "/attendance-reports/files/school_100/..%5C..%5Csecret.txt",
        "/attendance-reports/files/nothing_here.html",
    ],
)
def test_no_path_leaves_the_reports_base(api_server, token: str, path: str) -> None:
    status, _, body = get(api_server, path, token)
    assert status == 404, (status, body[:200])
    assert SECRET.encode() not in body and b"root:" not in body


def test_a_dag_run_s_tab_opens_its_report_the_district_summary_or_says_there_is_none(api_server, token) -> None:
    status, headers, _ = get(api_server, f"/attendance-reports/runs/attendance_bridge_sync/{SYNC_RUN}", token)
    assert status == 302 and headers["location"] == f"/attendance-reports/files/{SYNC_FOLDER}/report.html"
    status, headers, _ = get(api_server, f"/attendance-reports/runs/attendance_bridge_end_of_term/{TERM_RUN}", token)
    assert (status, headers["location"]) == (
        302,
        f"/attendance-reports/files/{SUMMARY_FOLDER}/summary.html",
    )
    status, _, body = get(api_server, "/attendance-reports/runs/attendance_bridge_sync/manual__not-yet", token)
    assert status == 200 and b"No report yet" in body and b"manual__not-yet" in body
    status, _, body = get(api_server, "/attendance-reports/runs/some_other_dag/manual__x", token)
    assert status == 200 and b"Not an attendance bridge DAG" in body


def test_the_plugin_s_views_are_in_airflow_s_plugin_list(api_server: AirflowServices) -> None:
    plugins = api_server.rest_client().call("GET", "/api/v2/plugins")["plugins"]
    [plugin] = [plugin for plugin in plugins if plugin["name"] == "attendance_reports"]
    views = {view["destination"]: view for view in plugin["external_views"]}
    assert views["nav"]["name"] == "Attendance reports" and views["nav"]["href"] == "attendance-reports/"
    assert views["dag_run"]["href"] == "attendance-reports/runs/{DAG_ID}/{RUN_ID}"
    assert [app["url_prefix"] for app in plugin["fastapi_apps"]] == ["/attendance-reports"]
