"""Playwright driving Debian's chromium, for the tests of the reports inside Airflow's UI.

Playwright's own browser builds are never downloaded (``playwright install`` cannot reach its
servers here): it launches the chromium that ``make browser`` installs, found as the other
browser tests find it. A ``Watch`` records what the pages of a browser context did: every
request (of every frame, Airflow's iframes included), the console errors, the uncaught
exceptions, and any dialog a script opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Dialog, Page, Playwright, Request

from tests.reporting.test_pages_in_browser import ARTIFACTS, chromium

__all__ = ["ARTIFACTS", "Watch", "launch", "log_in", "non_local"]

# Headless, and nothing of Chromium's own traffic (updates, sync, first-run pages) on the wire.
ARGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
)  # fmt: skip
VIEWPORT = {"width": 1400, "height": 1000}
# Milliseconds Playwright waits for a page, an element or an expectation: a loaded machine is slow
# (four to five times as slow as idle for Airflow's start), and Airflow's UI is a large React app.
# Every wait ends as soon as what it waits for is there, so only a hang, or a failing check, waits
# this long.
TIMEOUT_MS = 120_000
LOCAL_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


def launch(playwright: Playwright) -> Browser:
    """Debian's chromium, headless, through Playwright."""
    return playwright.chromium.launch(executable_path=chromium(), args=list(ARGS))


@dataclass
class Watch:
    """What the pages of one browser context did."""

    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    uncaught: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    @classmethod
    def on(cls, context: BrowserContext) -> Watch:
        watch = cls()
        context.on("request", watch._request)
        context.on("console", watch._console)
        context.on("weberror", lambda error: watch.uncaught.append(str(error.error)))
        context.on("dialog", watch._dialog)
        return watch

    def _request(self, request: Request) -> None:
        self.requests.append(request.url)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} ({message.location.get('url')})")

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def forget(self) -> None:
        """Start afresh (after the login, whose page logs Airflow's own 401 before anyone is logged in)."""
        for found in (self.requests, self.console_errors, self.uncaught, self.dialogs):
            found.clear()


def non_local(urls: list[str]) -> list[str]:
    """The URLs that would leave this machine: any scheme but data:, and blob: of a local page, off 127.0.0.1/localhost."""
    leaving = []
    for url in urls:
        scheme = urlsplit(url).scheme
        if scheme == "data":
            continue  # inline, never a request on the network
        inner = urlsplit(url.removeprefix("blob:")) if scheme == "blob" else urlsplit(url)
        if inner.scheme not in ("http", "https", "ws", "wss") or inner.hostname not in LOCAL_HOSTS:
            leaving.append(url)
    return leaving


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through Airflow's login form, as a person does, and land on the home page."""
    page.goto(f"{base_url}/")
    # Not logged in: Airflow sends the browser to its login page.
    page.wait_for_url(f"{base_url}/auth/login**")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base_url}/")
    page.get_by_role("link", name="Attendance reports").wait_for()
