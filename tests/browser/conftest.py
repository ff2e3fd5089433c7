"""Browser tests: Debian's Chromium through Playwright, against the real ASGI app.

The server under test speaks WebSocket, so it is uvicorn running `unms.asgi` in a
background thread; the monitor loop runs in the SAME thread and event loop (as in the
demo), so the in-memory channel layer carries its pushes to the browser. The UPSs are a
`SimulatorThread` fleet on loopback.

Database: the server thread must see what the test writes and the other way round, so
these tests commit for real. On PostgreSQL they use the test database and flush it when
the module ends; on SQLite they switch to a file database of their own for the module
(the default in-memory test database allows one writer connection only in practice).

Never a browser download: `UNMS_CHROMIUM` (default /usr/bin/chromium). Without it the
module is skipped, unless `UNMS_REQUIRE_BROWSER` is set (CI), where it fails.
"""

from __future__ import annotations

import asyncio
import os
import random
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from django.core.management import call_command
from django.db import connection, connections
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from django.test.utils import override_settings

CHROMIUM = os.environ.get("UNMS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Keep timers and frames running in a tab the window manager thinks is hidden.
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
]
ARTIFACTS = Path(os.environ.get("UNMS_ARTIFACTS", "artifacts"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module", autouse=True)
def _chromium_available() -> None:
    if Path(CHROMIUM).exists():
        return
    message = f"Chromium not found at {CHROMIUM} (set UNMS_CHROMIUM; apt-get install chromium)"
    if os.environ.get("UNMS_REQUIRE_BROWSER"):
        pytest.fail(message + "; UNMS_REQUIRE_BROWSER is set, so this is a failure")
    pytest.skip(message)


@pytest.fixture(scope="module")
def live_db(
    django_db_setup: None, django_db_blocker: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Committed data visible to every thread, cleaned when the module ends.

    These tests carry no `django_db` mark (it would flush between the tests of a shift),
    so pytest-django sets up a test database only when other tests of the session need
    one; otherwise this fixture creates (and destroys) it.
    """
    with django_db_blocker.unblock():
        if connection.vendor == "sqlite":
            yield from _sqlite_file_db(tmp_path_factory)
            return
        created = None
        if not connection.settings_dict["NAME"].startswith(TEST_DATABASE_PREFIX):
            created = connection.settings_dict["NAME"]
            connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            yield
        finally:
            if created is not None:
                # The server's per-request threads keep their connections (CONN_MAX_AGE)
                # after the threads are gone; DROP DATABASE refuses while they exist.
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
            connections.close_all()
            if created is not None:
                connection.creation.destroy_test_db(created, verbosity=0)
            else:
                call_command("flush", verbosity=0, interactive=False)


def _sqlite_file_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    saved_name = connection.settings_dict["NAME"]
    # Keep the in-memory test database alive (closing its last connection would drop
    # it) while this module works on a file of its own.
    saved_raw, connection.connection = connection.connection, None
    path = tmp_path_factory.mktemp("browser-db") / "db.sqlite3"
    connection.settings_dict["NAME"] = str(path)
    call_command("migrate", verbosity=0, interactive=False)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = saved_name
        connection.connection = saved_raw


def free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class LiveServer(threading.Thread):
    """uvicorn + MonitorLoop on one event loop in a background thread."""

    def __init__(self) -> None:
        super().__init__(name="live-server", daemon=True)
        self.sock = free_socket()
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.ready = threading.Event()
        self.error: BaseException | None = None
        self.loop: asyncio.AbstractEventLoop | None = None

    def run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to the test thread by start()
            self.error = exc
            self.ready.set()

    async def _main(self) -> None:
        from monitoring.loop import MonitorLoop

        self.loop = asyncio.get_running_loop()
        self.stop_event = asyncio.Event()
        await self.start_web()
        monitor = asyncio.create_task(MonitorLoop(tick_s=0.2).run(self.stop_event))
        self.ready.set()
        await self.stop_event.wait()
        await self.stop_web()
        await monitor
        # Connections opened by the sync threads of this loop: closed here, or the test
        # database could not be dropped at the end of the session.
        await sync_to_async(connections.close_all)()

    async def start_web(self) -> None:
        import uvicorn

        from unms.asgi import application

        if self.sock.fileno() == -1:
            self.sock = free_socket_on(self.port)
        config = uvicorn.Config(application, lifespan="off", log_level="warning")
        self.server = uvicorn.Server(config)
        self.web = asyncio.create_task(self.server.serve(sockets=[self.sock]))
        while not self.server.started:
            if self.web.done():
                self.web.result()
                raise RuntimeError("uvicorn stopped while starting")
            await asyncio.sleep(0.02)

    async def stop_web(self) -> None:
        self.server.should_exit = True
        await self.web
        self.sock.close()

    def call(self, coro_fn: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro_fn(), self.loop).result(30)

    def start(self) -> None:  # type: ignore[override]
        super().start()
        self.ready.wait(30)
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.stop_event.set)
        self.join(30)


def free_socket_on(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@pytest.fixture(scope="module")
def live_server_ws(live_db: None) -> Iterator[LiveServer]:
    # The embedded mode's layer, whatever REDIS_URL says: this is the path that only
    # works when web server and monitor loop share one loop.
    layers = override_settings(
        CHANNEL_LAYERS={"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    )
    layers.enable()
    server = LiveServer()
    try:
        server.start()
        yield server
    finally:
        server.stop()
        layers.disable()


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    from simulator import SimulatorThread, make_fleet

    base = f"127.{random.randrange(100, 200)}.{random.randrange(1, 250)}.2"
    with SimulatorThread(make_fleet(4, base, port=0, three_phase_every=4), tick_s=0.05) as fleet:
        yield fleet


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, which Django takes for an
    # async context and refuses the ORM there; these tests are plain sync code.
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def screenshot(page: Any, name: str) -> Path:
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def watched_page(context: Any, timeout_ms: float) -> Any:
    """A page that collects script errors and Content Security Policy violations.

    Chromium reports what the CSP blocked on the console ("Refused to apply inline style
    ... violates the following Content Security Policy directive"); the injected listener
    says where each one comes from (file, line, column) for the failure message.
    """
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    page.csp_violations = []
    page.on(
        "console",
        lambda msg: (
            page.csp_violations.append(f"{page.url}: {msg.text}")
            if "Content Security Policy" in msg.text
            else None
        ),
    )
    page.add_init_script(
        "window.__csp = [];"
        "document.addEventListener('securitypolicyviolation', (e) => window.__csp.push("
        "`${e.effectiveDirective} ${e.sourceFile}:${e.lineNumber}:${e.columnNumber} ${e.sample}`));"
    )
    return page


def assert_csp_clean(*pages: Any) -> None:
    """No CSP violation and no script error on any of `pages` so far."""
    for page in pages:
        where = page.evaluate("window.__csp")
        assert not page.csp_violations, "\n".join(page.csp_violations + where)
        assert not where, "\n".join(where)
        assert page.errors == []
