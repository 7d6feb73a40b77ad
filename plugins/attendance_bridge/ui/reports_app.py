"""The run reports, served by Airflow's API server behind its login (issue 20).

``plugins/attendance_reports_plugin.py`` mounts this app at ``/attendance-reports``. Every request
is checked by Airflow's own auth manager (SimpleAuthManager here, whatever a district configures):
the user must be logged in (the UI's session cookie, or a bearer token) and allowed to read every
attendance DAG (``catalog.ATTENDANCE_DAG_IDS``), because the reports name students. Anonymous
requests get 401, others 403; never a page.

- ``/attendance-reports/``: the index of every run (``index.html`` of the reports base);
- ``/attendance-reports/files/<path>``: any file under the reports base (pages, CSVs, JSON, Data
  Docs), so the pages' relative links work as they do on disk; nothing outside it can be read;
- ``/attendance-reports/runs/<dag id>/<run id>``: the DAG run's tab (the plugin's external view):
  a redirect to the run's report page, or to an end-of-term run's district summary, or a plain
  page saying there is no report yet.

Airflow's UI shows both external views in a same-origin iframe, whose requests carry the UI's
login, the ``_token`` cookie, which ``get_user`` reads when there is no bearer header. The
redirects and links start from where the app is mounted as the browser sees it (the ASGI
``root_path``), so under an Airflow ``[api] base_url`` with a path (``/airflow/``) they keep it.
"""

from __future__ import annotations

import html
import logging
import mimetypes
from pathlib import Path, PurePosixPath
from typing import Annotated

from airflow.api_fastapi.app import get_auth_manager
from airflow.api_fastapi.auth.managers.models.resource_details import DagAccessEntity, DagDetails
from airflow.api_fastapi.core_api.security import get_user
from airflow.sdk import ObjectStoragePath
from fastapi import Depends, FastAPI, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from attendance_bridge.catalog import DISTRICT_DAG_IDS, LOADING_DAG_IDS, ROLLBACK_DAG_ID
from attendance_bridge.reporting.run_folders import INDEX_HTML, reports_base, run_page_of

log = logging.getLogger(__name__)

URL_PREFIX = "/attendance-reports"
# The DAGs whose reports these are: a user who may read them may read the reports.
ATTENDANCE_DAG_IDS = (*LOADING_DAG_IDS, ROLLBACK_DAG_ID)
# Every response: the pages carry their own Content-Security-Policy; this keeps them in their frame.
HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def allowed_reader(request: Request, user: Annotated[object, Depends(get_user)]) -> object:
    """The logged-in user, when the auth manager lets them read every attendance DAG and its runs."""
    manager = get_auth_manager()
    for dag_id in ATTENDANCE_DAG_IDS:
        if not manager.is_authorized_dag(
            method="GET", access_entity=DagAccessEntity.RUN, details=DagDetails(id=dag_id), user=user
        ):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"not allowed to read the runs of {dag_id}")
    return user


Reader = Annotated[object, Depends(allowed_reader)]


def inside_base(base: ObjectStoragePath, relative: str) -> ObjectStoragePath:
    """The file at ``relative`` under ``base``, refusing anything that could leave it.

    Refused: an empty or absolute path, ``..`` or ``.`` segments, backslashes, NUL, and (for a
    local base) a path that resolves outside the base through a symbolic link.
    """
    parts = PurePosixPath(relative).parts
    if (
        not relative
        or relative.startswith("/")
        or "\\" in relative
        or "\x00" in relative
        or any(part in ("..", ".") for part in relative.split("/"))
        or not parts
    ):
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report file")
    path = base.joinpath(*parts)
    if base.protocol in ("", "file", "local"):
        resolved, resolved_root = Path(path.path).resolve(), Path(base.path).resolve()
        if resolved != resolved_root and resolved_root not in resolved.parents:
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report file")
    return path


def mounted_at(request: Request) -> str:
    """This app's path as the browser sees it: ``/attendance-reports``, after Airflow's base path if it has one."""
    return request.scope.get("root_path", "").rstrip("/") or URL_PREFIX


def create_app() -> FastAPI:
    """The app the plugin mounts (built on the API server's first request to it)."""
    app = FastAPI(title="Attendance reports", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", response_class=RedirectResponse)
    def index(request: Request, _: Reader) -> RedirectResponse:
        return RedirectResponse(f"{mounted_at(request)}/files/{INDEX_HTML}", status_code=status.HTTP_302_FOUND)

    @app.get("/files/{relative:path}")
    def report_file(relative: str, request: Request, _: Reader) -> Response:
        # The raw path: an encoded slash or dot (%2F, %2E) must not become a separator or "..".
        raw = request.scope.get("raw_path", b"").decode("latin-1")
        if "%2f" in raw.lower() or "%2e" in raw.lower() or "%5c" in raw.lower():
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report file")
        path = inside_base(reports_base(), relative)
        if not path.is_file():
            raise HTTPException(status.HTTP_404_NOT_FOUND, "no such report file")
        kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return Response(path.read_bytes(), media_type=kind, headers=HEADERS)

    @app.get("/runs/{dag_id}/{run_id:path}")
    def run_tab(dag_id: str, run_id: str, request: Request, _: Reader) -> Response:
        home = mounted_at(request)
        if dag_id not in ATTENDANCE_DAG_IDS:
            return _plain_page("Not an attendance bridge DAG", f"The DAG {dag_id} writes no attendance reports.", home)
        page = run_page_of(reports_base(), dag_id, run_id, district=dag_id in DISTRICT_DAG_IDS)
        if page is None:
            return _plain_page(
                "No report yet",
                f"Run {run_id} of {dag_id} has no report yet: its last task writes it. Look again when the run "
                "has ended, or open the task logs.",
                home,
            )
        return RedirectResponse(f"{home}/files/{page}", status_code=status.HTTP_302_FOUND)

    return app


def _plain_page(title: str, text: str, home: str) -> HTMLResponse:
    """A small page of text, escaped, with the same no-script policy as the report pages; ``home`` is the app's path."""
    body = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        f'<title>{html.escape(title)}</title></head><body style="font-family: sans-serif; margin: 2em">'
        f"<h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>"
        f'<p><a href="{html.escape(home)}/">Every run\'s report</a></p></body></html>'
    )
    return HTMLResponse(body, headers=HEADERS)
