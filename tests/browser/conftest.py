"""Browser fixtures: the real server started as `make run` starts it, and headless Chromium.

Without Chromium (/usr/bin/chromium) or the playwright package the browser tests are skipped
with the reason shown; under CI=true they fail instead.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_PASSWORD = "nachtwacht-demo"
TWILIO_AUTH_TOKEN = "browser-test-twilio-token"
# What the app will send; added here (when the server sends none yet) so an inline script or
# inline event handler breaks the tests now rather than in production.
CSP = "script-src 'self'; object-src 'none'; base-uri 'none'"
SERVER_ENV_DROP = (
    "REDIS_URL",
    "GEOCODER_URL",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "BLIND_INDEX_KEY",
    "AUDIT_KEY",
)


def _playwright_importable() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def chromium_ready() -> None:
    """Skip (or fail under CI=true) when Chromium or playwright is missing."""
    require_service(os.access(CHROMIUM, os.X_OK), f"browser tests need Chromium at {CHROMIUM}")
    require_service(_playwright_importable(), "browser tests need the playwright package")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_env(instance: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SERVER_ENV_DROP}
    env = {k: v for k, v in env.items() if not k.startswith("TWILIO_")}  # never send real SMS
    return env | {
        "NACHTWACHT_ENV": "development",
        "NACHTWACHT_INSTANCE": str(instance),
        "DATABASE_URL": f"sqlite:///{instance / 'nw.db'}",
        "PORT": str(port),
        "HOST": "127.0.0.1",
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "SCHEDULER_ENABLED": "0",
        "GEOCODER": "offline",
        "PYTHONUNBUFFERED": "1",
        # The suite opens many consoles of the same demo users one after another; a closed tab's
        # socket may count until its ping times out. The limit itself is tested in
        # tests/app/test_hardening.py.
        "MAX_SOCKETS_PER_USER": "25",
        # Signs test webhooks; with no account SID the SMS still go to the local outbox.
        "TWILIO_AUTH_TOKEN": TWILIO_AUTH_TOKEN,
    }


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
            return response.status == 200
    except OSError:
        return False


def _wait_until_up(url: str, process: subprocess.Popen, log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        if _healthy(url):
            return
        time.sleep(0.1)
    pytest.fail(f"server not healthy within {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def live_instance(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The live server's instance folder: its database, generated keys and server.log."""
    return tmp_path_factory.mktemp("live")


@pytest.fixture(scope="session")
def live_server(chromium_ready: None, live_instance: Path) -> Iterator[str]:
    """Migrate, seed and serve a fresh instance as `make run` does; yield its base URL."""
    instance = live_instance
    port = _free_port()
    env = _server_env(instance, port)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for command in (["db", "upgrade"], ["demo", "seed"]):
        done = subprocess.run(
            flask + command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, f"flask {' '.join(command)} failed:\n{done.stderr[-3000:]}"
    log = instance / "server.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "wsgi.py"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def live_flask(instance: Path, url: str, *args: str, **env: str) -> str:
    """Run `flask --app wsgi ARGS` on the live server's instance (extra env vars); its stdout."""
    port = int(url.rsplit(":", 1)[1])
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    done = subprocess.run(
        command,
        cwd=ROOT,
        env=_server_env(instance, port) | env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"flask {' '.join(args)} failed:\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="session")
def browser(chromium_ready: None) -> Iterator[Any]:
    """One headless Chromium for the session."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS, env=_browser_env()
    )
    try:
        yield chromium
    finally:
        chromium.close()
        playwright.stop()


def _under_faketime() -> bool:
    return "faketime" in os.environ.get("LD_PRELOAD", "")


def _browser_env() -> dict[str, str]:
    """Chromium's environment: without libfaketime, which slows a page load from 0.2 s to 6 s.

    Under faketime (CI's run a year ahead) each browser context is given the faked wall clock
    instead (`match_clock`), so page and server still agree on what time it is.
    """
    return {
        k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")
    }


def match_clock(context: Any) -> None:
    """Under faketime, start the context's clock at this process's (faked) wall clock."""
    if _under_faketime():
        context.clock.set_system_time(time.time())  # clock-ok: the faked wall clock itself


def _with_csp(route: Any) -> None:
    if route.request.resource_type != "document":
        route.continue_()
        return
    response = route.fetch(max_redirects=0)  # the browser follows redirects itself
    headers = dict(response.headers)
    if "text/html" in headers.get("content-type", ""):
        headers.setdefault("content-security-policy", CSP)
    route.fulfill(response=response, headers=headers)


class PageWatch:
    """What a page did that a user would notice: dialogs, script errors, CSP refusals."""

    def __init__(self) -> None:
        self.dialogs: list[str] = []
        self.errors: list[str] = []

    def on_dialog(self, dialog: Any) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        with contextlib.suppress(Exception):
            dialog.dismiss()

    def on_console(self, message: Any) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.errors.append(message.text)


@pytest.fixture
def watch() -> PageWatch:
    """Dialogs and script errors seen by the `page` fixture."""
    return PageWatch()


def _open_tab(browser: Any, live_server: str, watch: PageWatch) -> Any:
    """A page in a fresh browser context (Dutch, Brussels time) with the app's CSP."""
    context = browser.new_context(
        base_url=live_server,
        locale="nl-BE",
        timezone_id="Europe/Brussels",
        viewport={"width": 1280, "height": 900},
    )
    context.set_default_timeout(5000)
    match_clock(context)
    context.route(lambda url: url.startswith(live_server) and "/api/" not in url, _with_csp)
    # Pages fulfilled by the route above have no known address, so Chromium's local-network
    # checks would block their websocket to 127.0.0.1 (Socket.IO then falls back to polling).
    with contextlib.suppress(Exception):  # browsers without the permission
        context.grant_permissions(["local-network-access"])
    tab = context.new_page()
    tab.on("dialog", watch.on_dialog)
    tab.on("pageerror", lambda exc: watch.errors.append(f"page error: {exc}"))
    tab.on("console", watch.on_console)
    return tab


def _close(tab: Any) -> None:
    """Close a tab as a person closes a console: the live connection says goodbye first (over
    long polling the server would otherwise count it until its ping times out, and the demo
    dispatcher's MAX_SOCKETS_PER_USER would refuse the next test's console)."""
    with contextlib.suppress(Exception):
        tab.evaluate("() => window.NWConsole && window.NWConsole.socket.disconnect()")
        tab.wait_for_timeout(50)
    tab.context.close()


@pytest.fixture
def page(browser: Any, live_server: str, watch: PageWatch) -> Iterator[Any]:
    """A fresh browser context (Dutch, Brussels time) with the app's CSP on every page."""
    tab = _open_tab(browser, live_server, watch)
    try:
        yield tab
    finally:
        _close(tab)
    assert watch.errors == [], watch.errors


@pytest.fixture
def another_page(browser: Any, live_server: str) -> Iterator[Any]:
    """Open more pages like `page`, each in its own context (another user, another console)."""
    opened: list[tuple[Any, PageWatch]] = []

    def open_page() -> Any:
        watch = PageWatch()
        tab = _open_tab(browser, live_server, watch)
        opened.append((tab, watch))
        return tab

    try:
        yield open_page
    finally:
        for tab, _ in opened:
            _close(tab)
    problems = [p for _, w in opened for p in w.errors + w.dialogs]
    assert problems == [], problems


def login(page: Any, username: str = "dispatcher") -> None:
    """Log in through the real form (demo account)."""
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", DEMO_PASSWORD)
    page.press("#password", "Enter")
    page.wait_for_url("**/console")


def screenshot(page: Any, name: str) -> Path:
    """Save a full-page screenshot under tests/artifacts/ (gitignored) for a human to look at."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path


def pytest_collection_modifyitems(items: list[Any]) -> None:
    """The accessibility walk runs after the other browser tests: it builds the morning packets
    on the shared demo server, and a date's packet is built once, so a test that builds them
    later for its own note (test_xss) would find them built without it."""
    items.sort(key=lambda item: "test_accessibility" in item.nodeid)
