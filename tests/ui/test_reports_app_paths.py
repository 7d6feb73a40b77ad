"""The reports app's redirects and links under an Airflow with a base path (``[api] base_url`` = ``.../airflow/``).

Airflow's API server then has ``root_path="/airflow"`` and mounts the plugin's app at
``/attendance-reports`` under it: the browser (the UI's iframe) asks for
``/airflow/attendance-reports/...``, and every redirect must stay under ``/airflow``. The app is
mounted here as Airflow mounts it, with the login check replaced (the login itself is
``test_reports_plugin.py``, against a real api-server).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from attendance_bridge.config import REPORTS_BASE_ENV
from attendance_bridge.ui.reports_app import allowed_reader, create_app
from fastapi import FastAPI
from starlette.testclient import TestClient

SYNC_RUN = "manual__2026-03-02T10:15:00+00:00"
# Named as run_folders names it (issue 29): DAG id, then the run id with ":" and "+" escaped.
SYNC_PAGE = "school_100/attendance_bridge_sync~manual__2026-03-02T10=3A15=3A00=2B00=3A00/report.html"


def client(reports: Path, monkeypatch: pytest.MonkeyPatch, base_path: str) -> TestClient:
    """The app mounted at /attendance-reports in an API server whose root path is ``base_path``."""
    monkeypatch.setenv(REPORTS_BASE_ENV, f"file://{reports}")
    (reports / SYNC_PAGE).parent.mkdir(parents=True)
    (reports / SYNC_PAGE).write_text("<html><body>run page</body></html>")
    (reports / "index.html").write_text("<html><body>every run</body></html>")
    reports_app = create_app()
    reports_app.dependency_overrides[allowed_reader] = lambda: "a reader"
    server = FastAPI(root_path=base_path)
    server.mount("/attendance-reports", reports_app)
    return TestClient(server, follow_redirects=False)


@pytest.mark.parametrize("base_path", ["", "/airflow"])
def test_redirects_and_links_stay_under_the_base_path(tmp_path, monkeypatch, base_path: str) -> None:
    app = client(tmp_path / "reports", monkeypatch, base_path)
    prefix = f"{base_path}/attendance-reports"

    index = app.get(f"{prefix}/")
    assert (index.status_code, index.headers["location"]) == (302, f"{prefix}/files/index.html")
    assert app.get(index.headers["location"]).text == "<html><body>every run</body></html>"
    tab = app.get(f"{prefix}/runs/attendance_bridge_sync/{SYNC_RUN}")
    assert (tab.status_code, tab.headers["location"]) == (302, f"{prefix}/files/{SYNC_PAGE}")
    assert app.get(tab.headers["location"]).text == "<html><body>run page</body></html>"
    not_yet = app.get(f"{prefix}/runs/attendance_bridge_sync/manual__not-yet")
    assert "No report yet" in not_yet.text and f'<a href="{prefix}/">' in not_yet.text
