"""The README's demo: one process serves the console for a simulated, monitored fleet."""

from __future__ import annotations

import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

import pytest

from tests.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, str, Path]]:
    web_port = free_port(kind=socket.SOCK_STREAM)
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env["UNMS_DATA_DIR"] = str(tmp_path)  # its own SQLite database: the embedded mode
    process = subprocess.Popen(
        [sys.executable, "manage.py", "demo", "--port", str(web_port),
         "--sim-port", str(free_port()),
         "--trap-port", str(free_port()), "--no-incidents"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    banner = ""
    assert process.stdout is not None
    for line in process.stdout:
        banner += line
        if "Ctrl-C" in line:
            break
    password = re.search(r"password '([^']+)'", banner)
    assert password, banner
    deadline = time.monotonic() + 20
    while socket.socket().connect_ex(("127.0.0.1", web_port)) != 0:
        assert time.monotonic() < deadline, "the web server did not start"
        time.sleep(0.2)
    try:
        yield process, web_port, password.group(1), tmp_path / "unms.sqlite3"
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(30)


def polled_states(database: Path) -> list[str]:
    with sqlite3.connect(database, timeout=10) as db:
        return [state for (state,) in db.execute("SELECT state FROM monitoring_upsstatus")]


def test_demo_serves_the_monitored_fleet_and_stops_on_ctrl_c(
    demo: tuple[subprocess.Popen[str], int, str, Path],
) -> None:
    process, port, password, database = demo
    base = f"http://127.0.0.1:{port}"
    browser = build_opener(HTTPCookieProcessor())
    login_page = browser.open(f"{base}/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page)
    assert token
    form = urlencode(
        {"username": "admin", "password": password, "csrfmiddlewaretoken": token.group(1)}
    ).encode()
    browser.open(Request(f"{base}/login/", data=form, headers={"Referer": f"{base}/login/"}))

    # Every UPS is polled within its first 30 s slot, and all are healthy (no incidents).
    deadline = time.monotonic() + 45
    while (states := polled_states(database)).count("ok") < 25:
        assert time.monotonic() < deadline, f"the demo fleet was not polled in time: {states}"
        time.sleep(1)

    page = browser.open(f"{base}/", timeout=10).read().decode()
    for name in ("MI-01", "TO-06", "RM-07", "NA-05"):
        assert name in page

    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "demo stopped" in output
