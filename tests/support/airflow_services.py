"""The real Airflow components (api-server, scheduler, dag-processor) as local processes, for tests.

``running_airflow(server, dags_folder, wait_for_dag=...)`` gives an ``AirflowServices`` whose
metadata database is a fresh one in the given PostgreSQL (never SQLite, never the project's
``.airflow``), whose ``AIRFLOW_HOME`` is a temporary folder, and whose components share one
environment. Tests run ``airflow`` commands with ``cli()`` (``backfill create`` for instance)
and read the outcome straight from the metadata database, or act as a client of the REST API
with ``rest_client()``, logged in as the admin user whose password the test wrote.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple, TypeVar

import psycopg
from attendance_bridge.dev.embedded_postgres import SisConnection
from psycopg import sql
from sqlalchemy.engine import URL

ROOT = Path(__file__).resolve().parents[2]
FINISHED_RUN_STATES = ("success", "failed")
DEFAULT_COMPONENTS = ("api-server", "scheduler", "dag-processor")
# Seconds between two checks of a condition that is being waited for.
POLL_INTERVAL = 0.5
# Bounds on events, which only catch a hang: every wait ends as soon as its event happens, so a
# bound costs nothing while the test passes. On a loaded 2-core machine things take four to five
# times as long as idle (make airflow's first start: 20 s idle, 93 s loaded; the start-up here took
# 66 s loaded, against the 180 s it was allowed), so a bound near the idle time fails on a busy machine.
# The components' start: each of db migrate, a healthy api-server, a DAG serialized.
STARTUP_TIMEOUT = 600
# Runs to finish (callers with heavier runs pass their own).
RUN_TIMEOUT = 900
# One HTTP request to the api-server.
REQUEST_TIMEOUT = 120
LOG_TAIL_LINES = 40
ADMIN_USER = "admin"
PASSWORDS_FILE = "simple_auth_manager_passwords.json"

T = TypeVar("T")


class DagRunRow(NamedTuple):
    """One DAG run as the metadata database holds it."""

    run_id: str
    logical_date: datetime | None
    state: str
    run_type: str


class TaskInstanceRow(NamedTuple):
    """One task instance of a run as the metadata database holds it."""

    task_id: str
    map_index: int
    state: str | None
    hostname: str | None


class AirflowServicesError(RuntimeError):
    """A component or command failed, or a condition was not met in time; the message holds the logs."""


@dataclass
class AirflowServices:
    """Airflow components running against a metadata database of their own."""

    home: Path
    env: dict[str, str]
    api_port: int
    metadata_conninfo: dict[str, str | int]
    admin_password: str
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        """The api-server's base URL."""
        return f"http://127.0.0.1:{self.api_port}"

    def cli(self, *args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """Run ``airflow <args>`` with the components' environment; raise with its output when it fails."""
        finished = subprocess.run(
            [sys.executable, "-m", "airflow", *args],
            env=self.env, cwd=self.home, capture_output=True, text=True, timeout=timeout, check=False,
        )  # fmt: skip
        if check and finished.returncode != 0:
            raise AirflowServicesError(
                f"airflow {' '.join(args)} exited {finished.returncode}\n"
                f"--- stdout ---\n{finished.stdout[-4000:]}\n--- stderr ---\n{finished.stderr[-4000:]}"
            )
        return finished

    def start_component(self, name: str, *args: str, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
        """Start ``airflow <args>`` (default: ``airflow <name>``) in its own process group, logging to a file.

        ``env`` adds to (or overrides) the shared environment for this component only.
        """
        command = args or (name,)
        log_file = (self.home / "components" / f"{name}.log").open("ab")
        # A session of its own, so stop() can signal the component and every child it forks.
        process = subprocess.Popen(
            [sys.executable, "-m", "airflow", *command],
            env={**self.env, **(env or {})}, cwd=self.home, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        log_file.close()
        self.processes[name] = process
        return process

    def stop(self, grace: float = 30) -> None:
        """SIGTERM every component's process group, then SIGKILL what is still there after ``grace`` seconds.

        Clean-up only: no test checks how the components stopped, so a slow machine reaching the
        SIGKILL costs no assertion (the database is dropped WITH (FORCE) after it).
        """
        for process in self.processes.values():
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
            # The leader may be gone while its task workers are not: the group gets SIGKILL either way.
            _signal_group(process, signal.SIGKILL)
            process.wait()

    def log_tails(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last lines of every component's log, for a failure message."""
        parts = []
        for path in sorted((self.home / "components").glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name} (last {len(tail)} lines) ---\n" + "\n".join(tail))
        return "\n".join(parts)

    def check_alive(self) -> None:
        """Raise with the logs when a component has exited."""
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AirflowServicesError(f"{name} exited with {process.returncode}\n{self.log_tails()}")

    def wait_until(self, what: str, condition: Callable[[], T | None], timeout: float) -> T:
        """Poll ``condition`` until it returns something truthy; raise with the logs after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_alive()
            result = condition()
            if result:
                return result
            if time.monotonic() > deadline:
                raise AirflowServicesError(f"timed out after {timeout:.0f}s waiting for {what}\n{self.log_tails()}")
            time.sleep(POLL_INTERVAL)

    def query(self, statement: str, params: Sequence[object] = ()) -> list[tuple]:
        """Rows of one query on the metadata database."""
        with psycopg.connect(**self.metadata_conninfo, autocommit=True) as conn:
            return conn.execute(statement, params).fetchall()

    def health(self) -> dict | None:
        """The api-server's health document, or None while it does not answer."""
        try:
            with urllib.request.urlopen(f"{self.api_url}/api/v2/monitor/health", timeout=5) as response:
                return json.load(response)
        except (urllib.error.URLError, ConnectionError, TimeoutError, json.JSONDecodeError):
            return None

    def wait_for_health(self, timeout: float = STARTUP_TIMEOUT) -> dict:
        """Wait until the api-server answers and reports the database, scheduler and dag-processor healthy."""

        def healthy() -> dict | None:
            document = self.health()
            if document is None:
                return None
            started = [name for name in ("scheduler", "dag_processor") if name.replace("_", "-") in self.processes]
            wanted = ["metadatabase", *started]
            return document if all(document.get(name, {}).get("status") == "healthy" for name in wanted) else None

        return self.wait_until("the api-server's health endpoint to report healthy components", healthy, timeout)

    def wait_for_dag(self, dag_id: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until the dag-processor has serialized ``dag_id``; raise at once on an import error."""

        def serialized() -> bool:
            errors = self.query("SELECT filename, stacktrace FROM import_error")
            if errors:
                details = "\n".join(f"{filename}:\n{stacktrace}" for filename, stacktrace in errors)
                raise AirflowServicesError(f"the dag-processor could not import a DAG file:\n{details}")
            return bool(
                self.query(
                    "SELECT 1 FROM serialized_dag JOIN dag USING (dag_id) WHERE dag_id = %s AND NOT dag.is_stale",
                    (dag_id,),
                )
            )

        self.wait_until(f"DAG {dag_id} to be serialized", serialized, timeout)

    def unpause(self, dag_id: str) -> None:
        """Unpause ``dag_id``: the scheduler queues no task of a paused DAG, backfill runs included."""
        self.cli("dags", "unpause", dag_id)

    def dag_runs(self, dag_id: str, run_type: str | None = None) -> list[DagRunRow]:
        """Every run of ``dag_id`` (of ``run_type`` when given), by logical date."""
        rows = self.query(
            "SELECT run_id, logical_date, state, run_type FROM dag_run"
            " WHERE dag_id = %s AND (%s::text IS NULL OR run_type = %s::text) ORDER BY logical_date, run_id",
            (dag_id, run_type, run_type),
        )
        return [DagRunRow(*row) for row in rows]

    def wait_for_runs(
        self, dag_id: str, count: int, timeout: float = RUN_TIMEOUT, run_type: str | None = None
    ) -> list[DagRunRow]:
        """Wait until ``count`` runs of ``dag_id`` (of ``run_type`` if given) are finished; return those."""

        def finished() -> list[DagRunRow] | None:
            runs = [run for run in self.dag_runs(dag_id, run_type) if run.state in FINISHED_RUN_STATES]
            return runs if len(runs) >= count else None

        try:
            return self.wait_until(f"{count} finished runs of {dag_id}", finished, timeout)
        except AirflowServicesError as error:
            raise AirflowServicesError(f"runs so far: {self.dag_runs(dag_id)}\n{error}") from None

    def task_instances(self, dag_id: str, run_id: str) -> list[TaskInstanceRow]:
        """The task instances of one run: task id, map index, state and the host that ran it."""
        rows = self.query(
            "SELECT task_id, map_index, state, hostname FROM task_instance"
            " WHERE dag_id = %s AND run_id = %s ORDER BY task_id, map_index",
            (dag_id, run_id),
        )
        return [TaskInstanceRow(*row) for row in rows]

    def rest_client(self, username: str = ADMIN_USER) -> RestClient:
        """A client of the REST API with a token from ``POST /auth/token``, as a script would log in."""
        anonymous = RestClient(self.api_url, token=None)
        reply = anonymous.call("POST", "/auth/token", {"username": username, "password": self.admin_password})
        return RestClient(self.api_url, token=reply["access_token"])

    def memory_rss(self) -> dict[str, int]:
        """Resident memory in bytes of each component with every process it started."""
        import psutil  # an Airflow dependency; only this diagnostic needs it

        usage = {}
        for name, process in self.processes.items():
            try:
                parent = psutil.Process(process.pid)
                tree = [parent, *parent.children(recursive=True)]
            except psutil.NoSuchProcess:
                continue
            total = 0
            for member in tree:
                try:
                    total += member.memory_info().rss
                except psutil.NoSuchProcess:
                    continue
            usage[name] = total
        return usage


@dataclass(frozen=True)
class RestClient:
    """Calls to Airflow's REST API (``/api/v2``, ``/auth``) with a bearer token, JSON in and out."""

    base_url: str
    token: str | None

    def call(self, method: str, path: str, body: object | None = None) -> dict:
        """One request; the decoded JSON answer. An HTTP error raises with the API's own message."""
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(f"{self.base_url}{path}", data=data, headers=headers, method=method)
        try:
            with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise AirflowServicesError(f"{method} {path} answered {error.code}: {detail}") from None


@contextmanager
def running_airflow(
    server: SisConnection,
    dags_folder: Path,
    home: Path,
    *,
    wait_for_dag: str | None = None,
    extra_env: Mapping[str, str] | None = None,
    components: Sequence[str] = DEFAULT_COMPONENTS,
    executor: str = "LocalExecutor",
    create_scheduled_runs: bool = False,
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Iterator[AirflowServices]:
    """Airflow's components against a fresh metadata database in ``server``, stopped and dropped on exit.

    ``create_scheduled_runs=False`` keeps the scheduler from creating runs on the DAGs' schedules
    (``[scheduler] use_job_schedule``), so that the only runs are the ones a test asks for.
    """
    database = f"airflow_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    try:
        home.mkdir(parents=True, exist_ok=True)
        (home / "components").mkdir(exist_ok=True)
        port = free_port()
        # The simple auth manager's login: the admin user, with a password only this test knows.
        admin_password = secrets.token_urlsafe(16)
        (home / PASSWORDS_FILE).write_text(json.dumps({ADMIN_USER: admin_password}))
        services = AirflowServices(
            home=home,
            env=airflow_environment(
                server, database, home, dags_folder, port, executor, create_scheduled_runs, extra_env or {}
            ),
            api_port=port,
            metadata_conninfo={**server.conninfo_kwargs(), "dbname": database},
            admin_password=admin_password,
        )
        try:
            migrated = services.cli("db", "migrate", timeout=startup_timeout)
            (home / "components" / "db-migrate.log").write_text(migrated.stdout + migrated.stderr)
            for name in components:
                if name == "api-server":
                    services.start_component(name, "api-server", "--host", "127.0.0.1", "--port", str(port))
                else:
                    services.start_component(name)
            if "api-server" in components:
                services.wait_for_health(startup_timeout)
            if wait_for_dag is not None:
                services.wait_for_dag(wait_for_dag, startup_timeout)
            yield services
        finally:
            services.stop()
    finally:
        with psycopg.connect(**server.conninfo_kwargs(), autocommit=True) as conn:
            # FORCE: a task killed mid-query may leave a backend that PostgreSQL has not reaped yet.
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database)))


def airflow_environment(
    server: SisConnection,
    database: str,
    home: Path,
    dags_folder: Path,
    api_port: int,
    executor: str,
    create_scheduled_runs: bool,
    extra_env: Mapping[str, str],
) -> dict[str, str]:
    """The environment every component and ``cli()`` command runs with."""
    from cryptography.fernet import Fernet

    # Nothing of the calling process's Airflow settings (tests/conftest.py points them at the
    # project's .airflow): only what is set here and what the caller passes.
    inherited = {key: value for key, value in os.environ.items() if not key.startswith("AIRFLOW")}
    return {
        **inherited,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": sqlalchemy_url(server, database),
        "AIRFLOW__CORE__EXECUTOR": executor,
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_folder),
        "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        # Few task processes at once: enough for a test, and the machine is shared.
        "AIRFLOW__CORE__PARALLELISM": "4",
        "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"http://127.0.0.1:{api_port}/execution/",
        "AIRFLOW__API__BASE_URL": f"http://127.0.0.1:{api_port}",
        "AIRFLOW__API__PORT": str(api_port),
        "AIRFLOW__API__WORKERS": "1",
        # One set of keys for every process: the scheduler signs the tasks' tokens that the
        # api-server checks, and no process should generate its own into an airflow.cfg.
        # 64 bytes: the tokens are signed with HS512, which wants a key at least that long.
        "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
        "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(32),
        "AIRFLOW__CORE__FERNET_KEY": Fernet.generate_key().decode(),
        # Parse new and changed DAG files within seconds instead of minutes.
        "AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL": "2",
        "AIRFLOW__DAG_PROCESSOR__MIN_FILE_PROCESS_INTERVAL": "5",
        "AIRFLOW__DAG_PROCESSOR__BUNDLE_REFRESH_CHECK_INTERVAL": "1",
        "AIRFLOW__DAG_PROCESSOR__PARSING_PROCESSES": "1",
        "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": str(create_scheduled_runs),
        # As docker-compose.yml sets it: a worker sees a finished task's process gone within 1 s, not 5.
        "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / PASSWORDS_FILE),
        **extra_env,
    }


def sqlalchemy_url(server: SisConnection, database: str) -> str:
    """``postgresql+psycopg://`` URL of ``database`` on ``server`` (a socket folder goes in the query)."""
    query = dict(server.options)
    host, port = server.host, server.port
    if host and host.startswith("/"):
        query["host"] = host
        if port is not None:
            query["port"] = str(port)
        host, port = None, None
    url = URL.create(
        "postgresql+psycopg",
        username=server.login,
        password=server.password,
        host=host,
        port=port,
        database=database,
        query=query,
    )
    return url.render_as_string(hide_password=False)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _signal_group(process: subprocess.Popen[bytes], signum: signal.Signals) -> None:
    """Send ``signum`` to the process group ``process`` leads, if it still exists."""
    try:
        os.killpg(process.pid, signum)
    except ProcessLookupError:
        pass
