"""``make airflow`` (bin/airflow-ui) as a person runs it: it prints the address and the login, the
login works, and Ctrl-C stops every Airflow process it started; a component that does not stop is
killed after the grace period (``ATTENDANCE_BRIDGE_STOP_GRACE_SECONDS``) or at a second Ctrl-C.

It runs in an Airflow home of its own (``ATTENDANCE_BRIDGE_AIRFLOW_HOME``), never the checkout's
``.airflow``, on a free port, with the test's PostgreSQL as the SIS (so the embedded demo database
in ``.demo`` is not started either). Its processes are told apart from any other Airflow on the
machine by that home in their environment, and by the session ``airflow standalone`` runs in.

The bounds below only catch a hang: each test waits for the event itself (a line printed, the
process's exit, no process left), so a busy machine makes it slower, never red.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from attendance_bridge.config import REPORTS_BASE_ENV, SIS_CONN_ENV, STAGING_BASE_ENV
from attendance_bridge.dev.embedded_postgres import SisConnection

from tests.support.airflow_services import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
HOME_ENV = "ATTENDANCE_BRIDGE_AIRFLOW_HOME"
START_TIMEOUT_ENV = "ATTENDANCE_BRIDGE_START_TIMEOUT_SECONDS"
GRACE_ENV = "ATTENDANCE_BRIDGE_STOP_GRACE_SECONDS"
# The waits bin/airflow-ui is given. A first start (the metadata database is migrated, then four
# components start) takes 20 s on an idle machine and has taken 90 s on a loaded one; the
# components' graceful stop takes seconds idle and has taken over a minute loaded. Both are far
# beyond that, so only a hang ends them, and the test reports it.
START_WAIT = 600
GRACE = 600
# The test's own bounds are beyond those: what hangs is reported by bin/airflow-ui's own message,
# which names it (and shows the end of Airflow's log when it did not start).
START_TIMEOUT = START_WAIT + 300
STOP_TIMEOUT = GRACE + 300
# For what follows at once (the next line printed, make's exit once the script is done, the HTTP
# answers of an idle api-server): a loaded machine is slow, a hang is not.
SHORT_TIMEOUT = 120
READY = re.compile(r"Airflow is ready: (?P<url>http://\S+)")
LOGIN = re.compile(r"log in as: (?P<user>\S+) / (?P<password>\S+)\s+\(kept in (?P<kept>\S+)\)")
STOPPED = re.compile(r"^stopped after (?P<seconds>\d+)s\.$")
STILL_STOPPING = re.compile(r"still stopping after \d+s: (?P<running>.+)")
KILLED_AT_ONCE = re.compile(r"^Ctrl-C again: killing what is still running: (?P<running>.+)")
# What each component's process is called (the api-server renames itself "airflow api_server").
COMPONENTS = {
    "scheduler": r"\bairflow scheduler\b",
    "dag-processor": r"\bairflow dag-processor\b",
    "api-server": r"\bairflow api[-_]server\b",
    "triggerer": r"\bairflow triggerer\b",
}


class Output:
    """The lines a process prints, read on a thread so the test can wait for one with a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        """The first line (from here on) matching ``pattern``; fails with the output when the process ends first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no line matching {pattern.pattern!r} in {timeout:.0f}s:\n" + self.text()
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            assert line is not None, f"the output ended before {pattern.pattern!r}:\n" + self.text()
            self.lines.append(line)
            if found := pattern.search(line):
                return found

    def rest(self, timeout: float) -> str:
        """Every line still to come, once the output has ended."""
        self._thread.join(timeout)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return self.text()

    def text(self) -> str:
        return "\n".join(self.lines)


def airflow_processes(home: Path, sessions: set[int] | frozenset[int] = frozenset()) -> list[psutil.Process]:
    """The live processes of the Airflow this test started: AIRFLOW_HOME is ``home``, or in one of ``sessions``.

    The components rename themselves (setproctitle), which blanks what /proc shows of their
    environment, so their session (``make airflow`` starts airflow standalone in one of its own)
    is what finds them.
    """
    found = []
    for process in psutil.process_iter():
        try:
            if process.status() == psutil.STATUS_ZOMBIE:
                continue
            if os.getsid(process.pid) in sessions or process.environ().get("AIRFLOW_HOME") == str(home):
                found.append(process)
        except (psutil.NoSuchProcess, psutil.AccessDenied, ProcessLookupError):
            continue
    return found


def left_after(home: Path, sessions: set[int], timeout: float) -> list[psutil.Process]:
    """The test's Airflow processes still alive once none is left, or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while (left := airflow_processes(home, sessions)) and time.monotonic() < deadline:
        time.sleep(0.5)  # polling the process table: nothing to be woken by
    return left


def command_of(process: psutil.Process) -> str:
    try:
        return " ".join(process.cmdline())
    except psutil.NoSuchProcess:
        return "(gone)"


@dataclass
class MakeAirflow:
    """``make airflow`` as started, its Airflow home and port, and the sessions its Airflow runs in (once known)."""

    process: subprocess.Popen[str]
    home: Path
    port: int
    sessions: set[int] = field(default_factory=set)


def person_environment(**settings: str) -> dict[str, str]:
    """A person's shell: none of the Airflow settings pytest's conftest gives this process, and ``settings``."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AIRFLOW", "MAKE", "MFLAGS"))}
    return env | settings


@pytest.fixture
def grace() -> int:
    """The grace period ``make airflow`` runs with (a test parametrized with ``grace`` overrides it)."""
    return GRACE


@pytest.fixture
def make_airflow(sis_server: SisConnection, tmp_path: Path, grace: int) -> Iterator[MakeAirflow]:
    """``make airflow`` started in a session of its own, as a terminal's foreground job."""
    home = tmp_path / "airflow_home"
    port = free_port()
    env = person_environment(**{
        HOME_ENV: str(home),
        "AIRFLOW__API__PORT": str(port),
        SIS_CONN_ENV: sis_server.airflow_json(),
        STAGING_BASE_ENV: f"file://{tmp_path / 'staging'}",
        REPORTS_BASE_ENV: f"file://{tmp_path / 'reports'}",
        START_TIMEOUT_ENV: str(START_WAIT),
        GRACE_ENV: str(grace),
    })  # fmt: skip
    # A terminal's foreground job takes Ctrl-C; a job a script started in the background (`make test &`)
    # inherits SIGINT ignored, and a shell cannot trap a signal ignored when it started. With a handler
    # here, make starts with Ctrl-C's default action, as in a terminal (exec resets handled signals).
    ignored = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "-C", str(ROOT), "airflow"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        )  # fmt: skip
    finally:
        signal.signal(signal.SIGINT, ignored)
    started = MakeAirflow(process, home, port)
    try:
        yield started
    finally:
        # Only when the test failed half-way: whatever of its Airflow is still there.
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        for leftover in airflow_processes(home, started.sessions):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getsid(leftover.pid), signal.SIGKILL)


def components_running(make_airflow: MakeAirflow) -> list[psutil.Process]:
    """Every process of the test's Airflow, once each component runs; their sessions are recorded."""
    home, sessions = make_airflow.home, make_airflow.sessions
    sessions |= {os.getsid(member.pid) for member in airflow_processes(home)}
    running = airflow_processes(home, sessions)
    commands = [command_of(member) for member in running]
    for component, name in COMPONENTS.items():
        assert any(re.search(name, command) for command in commands), (component, *commands)
    return running


def ctrl_c(process: subprocess.Popen[str]) -> None:
    """Ctrl-C: the terminal sends SIGINT to the foreground job's process group."""
    os.killpg(process.pid, signal.SIGINT)


def test_make_airflow_prints_a_login_that_works_and_ctrl_c_stops_every_process_it_started(
    make_airflow: MakeAirflow,
) -> None:
    process, home, port = make_airflow.process, make_airflow.home, make_airflow.port
    output = Output(process)
    started = time.monotonic()

    url = output.wait_for(READY, START_TIMEOUT)["url"]
    login = output.wait_for(LOGIN, SHORT_TIMEOUT)
    ready = time.monotonic()

    assert url == f"http://localhost:{port}"
    assert login["user"] == "admin"
    # The login is the password Airflow generated in the test's home, and it is kept there.
    generated = home / "simple_auth_manager_passwords.json.generated"
    assert json.loads(generated.read_text()) == {"admin": login["password"]}
    assert login["kept"] == str(generated)
    # Logging in through the API with what was printed gives a token the API accepts.
    request = urllib.request.Request(
        f"{url}/auth/token",
        data=json.dumps({"username": login["user"], "password": login["password"]}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=SHORT_TIMEOUT) as response:
        assert response.status == 201
        token = json.load(response)["access_token"]
    plugins = urllib.request.Request(f"{url}/api/v2/plugins", headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(plugins, timeout=SHORT_TIMEOUT) as response:
        assert "attendance_reports" in [plugin["name"] for plugin in json.load(response)["plugins"]]
    wrong = urllib.request.Request(
        f"{url}/auth/token", data=json.dumps({"username": "admin", "password": "not it"}).encode(),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(wrong, timeout=SHORT_TIMEOUT)
    assert refused.value.code == 401

    # Every component runs, in the test's home, and the tasks would reach this api-server's port.
    running = components_running(make_airflow)
    scheduler = next(member for member in running if re.search(COMPONENTS["scheduler"], command_of(member)))
    assert scheduler.environ()["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == f"{url}/execution/"

    ctrl_c(process)
    interrupted = time.monotonic()
    said = output.wait_for(STOPPED, STOP_TIMEOUT)
    returncode = process.wait(timeout=SHORT_TIMEOUT)
    stopped = time.monotonic()
    printed = output.rest(timeout=SHORT_TIMEOUT)

    # Each component shut down on its own, none was killed: the grace is far beyond a slow stop.
    assert "did not stop" not in printed and "killing" not in printed, printed
    # make waited for bin/airflow-ui to stop everything, then ended itself by the same signal.
    assert returncode == -signal.SIGINT
    left = left_after(home, make_airflow.sessions, SHORT_TIMEOUT)
    assert not left, [command_of(member) for member in left]
    # Information, not an assertion: how long this machine took, and what bin/airflow-ui said meanwhile.
    stopping = printed[printed.index("stopping Airflow") :]
    print(
        f"\nmake airflow: ready after {ready - started:.1f}s, stopped {stopped - interrupted:.1f}s after Ctrl-C"
        f" (bin/airflow-ui: {said['seconds']}s; exit {returncode})\n{stopping}"
    )


@pytest.mark.parametrize(
    ("grace", "second_ctrl_c"),
    [pytest.param(5, False, id="after the grace period"), pytest.param(GRACE, True, id="at a second Ctrl-C")],
)
def test_a_component_that_does_not_stop_is_named_while_it_is_waited_for_then_killed_with_everything_else(
    make_airflow: MakeAirflow, grace: int, second_ctrl_c: bool
) -> None:
    process, home = make_airflow.process, make_airflow.home
    output = Output(process)
    output.wait_for(READY, START_TIMEOUT)
    running = components_running(make_airflow)
    # A scheduler that hangs in its shutdown, whatever the machine's speed: frozen, it cannot act on
    # SIGTERM (the signal waits), and SIGKILL still ends it.
    schedulers = [member for member in running if re.search(COMPONENTS["scheduler"], command_of(member))]
    (scheduler,) = [member for member in schedulers if member.ppid() not in {other.pid for other in schedulers}]
    os.kill(scheduler.pid, signal.SIGSTOP)

    ctrl_c(process)
    if second_ctrl_c:
        # While it waits, bin/airflow-ui says which components are still stopping.
        assert "scheduler" in output.wait_for(STILL_STOPPING, STOP_TIMEOUT)["running"]
        ctrl_c(process)
        killed = output.wait_for(KILLED_AT_ONCE, SHORT_TIMEOUT)
    else:
        killed = output.wait_for(
            re.compile(rf"did not stop within {grace}s \({GRACE_ENV}\); killing them: (?P<running>.+)"), STOP_TIMEOUT
        )
    assert "scheduler" in killed["running"], killed.string
    said = output.wait_for(STOPPED, STOP_TIMEOUT)
    returncode = process.wait(timeout=SHORT_TIMEOUT)

    if not second_ctrl_c:
        assert int(said["seconds"]) >= grace  # nothing was killed before the grace period was over
    assert returncode == -signal.SIGINT
    left = left_after(home, make_airflow.sessions, SHORT_TIMEOUT)
    assert not left, [command_of(member) for member in left]


@pytest.mark.parametrize("setting", [START_TIMEOUT_ENV, GRACE_ENV])
def test_a_wait_that_is_not_a_whole_number_of_seconds_is_refused_before_anything_starts(
    setting: str, tmp_path: Path
) -> None:
    home = tmp_path / "airflow_home"
    # Were it not refused, what starts is this home's Airflow, never the checkout's demo database.
    nowhere = "postgresql://nobody@127.0.0.1:9/none"
    env = person_environment(**{HOME_ENV: str(home), SIS_CONN_ENV: nowhere, setting: "2m"})
    try:
        refused = subprocess.run(
            [str(ROOT / "bin" / "airflow-ui")], env=env, capture_output=True, text=True, timeout=SHORT_TIMEOUT,
            check=False,
        )  # fmt: skip
    finally:
        for leftover in airflow_processes(home):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(os.getsid(leftover.pid), signal.SIGKILL)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert f"{setting} must be a whole number of seconds, not '2m'" in refused.stderr
    assert not home.exists()  # nothing was started, not even its home made
