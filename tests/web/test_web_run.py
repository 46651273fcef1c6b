"""`publisher run --web`: the daemon and the console in one process, as a real process:
it answers /healthz and a logged-in page, the daemon beats, and SIGTERM or Ctrl-C stops
both cleanly."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import HomeFixture
from tests.helpers.web_console import PASSWORD


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start(home: HomeFixture, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **home.env}
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", "--home", str(home.path), "--db", home.db_url,
         *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_healthy(base: str, proc: subprocess.Popen[str], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[0]
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("the console never answered")


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_run_web_serves_the_console_beside_the_daemon_and_stops_cleanly(
        sqlite_home: HomeFixture, anna_account: str, stop: signal.Signals) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = start(sqlite_home, "run", "--web", "--port", str(port), "--max-sleep", "10")
    try:
        wait_healthy(base, proc)
        with httpx.Client(base_url=base, timeout=10) as browser:
            login = browser.get("/login")
            token = re.search(r'name="csrftoken" value="([^"]+)"', login.text)
            assert token
            logged = browser.post("/login", data={"csrftoken": token.group(1), "name": "anna",
                                                  "password": PASSWORD})
            assert logged.status_code == 303
            page = browser.get("/needs-you")
            assert page.status_code == 200
            # The daemon in the same process has claimed the home and beats.
            assert "Running; last heartbeat" in page.text, page.text
        proc.send_signal(stop)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, out
    assert "stopping" in out
    status = json.loads(sqlite_home.run("status", "--json").stdout)
    assert status["daemon"]["alive"] is False  # it marked its stop
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{base}/healthz", timeout=2)


def test_run_web_refuses_a_rehearsal(sqlite_home: HomeFixture) -> None:
    result = sqlite_home.run("run", "--web", "--sandbox")
    assert result.exit_code == 2 and "--web shows the real queue" in result.stderr
