"""Airflow plugin: the attendance bridge's run reports inside the Airflow UI, behind its login (issue 20).

- a FastAPI app on the API server at ``/attendance-reports`` (``attendance_bridge.ui.reports_app``),
  which serves the reports base only to a logged-in user allowed to read the attendance DAGs;
- a nav entry "Attendance reports" (the index of every run) and a "Report" tab on each DAG run.

Airflow's plugin loader imports this file in every process (each task included), so it imports
nothing of the library: the app is built on the API server's first request to it.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

URL_PREFIX = "/attendance-reports"


class _ReportsApp:
    """The reports app, imported and built when the API server first sends it a request (ASGI)."""

    def __init__(self) -> None:
        self._app = None

    async def __call__(self, scope, receive, send) -> None:
        if self._app is None:
            from attendance_bridge.ui.reports_app import create_app

            self._app = create_app()
        await self._app(scope, receive, send)

    def __repr__(self) -> str:
        return "attendance_bridge.ui.reports_app"


class AttendanceReportsPlugin(AirflowPlugin):
    name = "attendance_reports"
    # Airflow's plugin API is these class attributes.
    fastapi_apps = [{"app": _ReportsApp(), "url_prefix": URL_PREFIX, "name": "Attendance reports"}]  # noqa: RUF012
    # Relative hrefs, so a deployment under a base path keeps working.
    external_views = [  # noqa: RUF012
        {
            "name": "Attendance reports",
            "href": f"{URL_PREFIX.lstrip('/')}/",
            "destination": "nav",
            "url_route": "attendance-reports",
        },
        {
            "name": "Report",
            "href": f"{URL_PREFIX.lstrip('/')}/runs/{{DAG_ID}}/{{RUN_ID}}",
            "destination": "dag_run",
            "url_route": "attendance-report",
        },
    ]
