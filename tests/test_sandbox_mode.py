"""`run --sandbox` / `run-due --sandbox`: the real pipeline on a copy of the queue against
the in-process sandbox; the wall between the sandbox and the real platforms, both ways."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publisher.guard import (
    SandboxViolation,
    protect_real_mode,
    registered,
    sandbox_mode,
    sandbox_ports,
)
from publisher.sandbox.telegram import FakeTelegram
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.sandbox import read_exports

REPO = Path(__file__).resolve().parents[1]


def first_upload_at(home: HomeFixture) -> str:
    plan = json.loads(home.ok("plan", "--json").stdout)
    return str(next(e["upload_at"] for e in plan if e["interview_id"] == 1))


def test_run_due_sandbox_stages_on_a_copy_and_leaves_the_real_queue_alone(
        home: HomeFixture, media: Media) -> None:
    """On either database: the copy is SQLite in the home, whatever the real one is."""
    home.ok(*add_args(media.video(), "Maria Rossi nel suo studio",
                             "--thumbnail", media.png()))
    creds = json.loads((home.path / "credentials.json").read_text())
    creds["notifications"] = {"urls": ["mailto://organizer:pw@mail.example.org"]}
    (home.path / "credentials.json").write_text(json.dumps(creds))
    # A real endpoint in the environment: the sandbox must win over it, never reach it.
    home.env["PUBLISHER_X_API_ROOT"] = "https://api.x.com"
    before = home.snapshot()
    at = first_upload_at(home)

    result = home.run("run-due", "--sandbox", "--at", at)
    assert result.exit_code == 0, result.output
    assert "[SANDBOX]" in result.stdout and "stage interview 1: staged" in result.stdout
    assert all(line.startswith("[SANDBOX]") for line in result.stdout.splitlines() if line)
    assert "rehearsal: 1 interview(s) copied" in result.stderr
    assert home.snapshot() == before, "the real queue changed"
    as_json = home.run("run-due", "--sandbox", "--at", at, "--json")
    data = json.loads(as_json.stdout)  # the banner stays out of the JSON
    assert data["sandbox"] is True and data["actions"][0]["outcome"] == "staged"
    assert home.snapshot() == before

    status = home.run("status", "--sandbox", "--json")
    data = json.loads(status.stdout)
    assert data["sandbox"] is True
    shown = home.run("status", "--sandbox")
    assert shown.stdout.startswith("SANDBOX:")
    assert "rehearsal copy exists" in home.run("status").stdout
    queue = json.loads(home.ok("queue", "list", "--json").stdout)
    assert [i["state"] for i in queue] == ["queued"]


def test_status_sandbox_before_any_rehearsal_is_a_clear_error(sqlite_home: HomeFixture
                                                              ) -> None:
    result = sqlite_home.run("status", "--sandbox")
    assert result.exit_code == 2 and "no rehearsal yet" in result.stderr


def test_in_sandbox_mode_nothing_but_loopback_is_reachable() -> None:
    with sandbox_mode():
        with socket.socket() as raw, pytest.raises(
                SandboxViolation, match=r"refused to connect to 192\.0\.2\.1:443"):
            raw.connect(("192.0.2.1", 443))  # no lookup: the connect itself is refused
        with pytest.raises(SandboxViolation, match="refused to look up"):
            socket.getaddrinfo("youtube.googleapis.com", 443)
        with FakeTelegram() as tg:  # loopback stays open
            socket.create_connection(("127.0.0.1", tg.port), timeout=2).close()


def test_a_real_run_refuses_endpoints_that_point_at_a_sandbox() -> None:
    with FakeTelegram() as tg, registered([tg.port]):
        port = tg.port
        assert port in sandbox_ports()
        with pytest.raises(SandboxViolation, match="PUBLISHER_TELEGRAM_API_ROOT"):
            protect_real_mode({"PUBLISHER_TELEGRAM_API_ROOT": tg.api_root})
        protect_real_mode({"PUBLISHER_TELEGRAM_API_ROOT": None})
        with pytest.raises(SandboxViolation, match="outside sandbox mode"):
            socket.create_connection(("127.0.0.1", tg.port), timeout=2)
    assert port not in sandbox_ports()


def test_run_due_refuses_exports_left_from_sandbox_serve(sqlite_home: HomeFixture,
                                                         media: Media) -> None:
    sqlite_home.ok(*add_args(media.video()))
    before = sqlite_home.snapshot()
    proc = subprocess.Popen([sys.executable, "-m", "publisher", "sandbox", "serve"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        sqlite_home.env.update(read_exports(proc))
        result = sqlite_home.run("run-due")
        assert result.exit_code == 3, result.output
        assert "the publisher sandbox" in result.stderr and "--sandbox" in result.stderr
        assert sqlite_home.snapshot() == before
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=15)


@pytest.mark.slow
def test_the_daemon_in_sandbox_mode_says_so_on_every_line(sqlite_home: HomeFixture,
                                                          media: Media) -> None:
    sqlite_home.ok(*add_args(media.video()))
    env = {**os.environ, **sqlite_home.env, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "publisher", "--home", str(sqlite_home.path),
                             "run", "--sandbox", "--max-sleep", "10"], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        box = sqlite_home.path / "sandbox" / "publisher.db"
        while time.monotonic() < deadline and proc.poll() is None:
            if box.exists() and sqlite_home.run("status", "--sandbox", "--json").stdout and \
                    json.loads(sqlite_home.run("status", "--sandbox", "--json").stdout)[
                        "daemon"]["last_heartbeat"]:
                break
            time.sleep(0.3)
        assert proc.poll() is None, proc.communicate()
        real = sqlite_home.run("status").stdout
        assert real.startswith("SANDBOX: a rehearsal daemon"), real
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [line for line in (out + err).splitlines() if line.strip()]
    bare = [line for line in lines if not line.startswith("[SANDBOX]")]
    assert lines and not bare, bare
    assert proc.returncode == 0
