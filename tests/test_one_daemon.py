"""One daemon per home: a second `publisher run` refuses at once, naming the first; a daemon
that is gone (stopped, killed, silent too long) is taken over. Real processes, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from typing import Any

from publisher.pipeline import state
from publisher.store.db import make_engine
from tests.conftest import HomeFixture
from tests.helpers.scoped import Session


def start(home: HomeFixture, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **home.env}
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", "--home", str(home.path), "--db", home.db_url,
         *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def claim_row(home: HomeFixture) -> dict[str, Any]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        row = state.get(s, "daemon")
    engine.dispose()
    return row


def put_claim(home: HomeFixture, row: dict[str, Any]) -> None:
    engine = make_engine(home.db_url)
    with Session(engine) as s, s.begin():
        state.put(s, "daemon", row, dt.datetime.now(dt.UTC))
    engine.dispose()


def wait_for_owner(home: HomeFixture, pid: int, timeout: float = 30.0) -> dict[str, Any]:
    """The claim of daemon `pid`, once its first tick has beaten (it is running)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = claim_row(home)
        if f":{pid}:" in row.get("owner", "") and not row.get("stopped_at") \
                and row["heartbeat"] != row["started_at"]:
            return row
        time.sleep(0.1)
    raise AssertionError(f"the daemon {pid} never claimed the home: {claim_row(home)}")


def stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0, out
    return out


def test_a_second_daemon_on_the_same_home_is_refused_naming_the_first(
        home: HomeFixture) -> None:
    first = start(home, "run", "--max-sleep", "10")
    try:
        row = wait_for_owner(home, first.pid)
        t0 = time.monotonic()
        second = start(home, "run", "--max-sleep", "10")
        out, _ = second.communicate(timeout=30)
        assert time.monotonic() - t0 < 20, "refused quickly"
        assert second.returncode == 4, out
        assert "another daemon is already running on this home" in out
        assert f"pid {first.pid} on {socket.gethostname()}" in out
        since = dt.datetime.fromisoformat(row["started_at"])
        assert f"since {since:%Y-%m-%d %H:%M:%S} UTC" in out
        assert claim_row(home)["owner"] == row["owner"], "the first keeps its home"
        status = home.run("status")  # exit 4: the home's YouTube is not authorised
        assert "Daemon: running" in status.stdout, status.output
    finally:
        if first.poll() is None:
            stop(first)
    assert claim_row(home).get("stopped_at"), "a clean stop lets the next one start"
    assert "Daemon: not running" in home.run("status").stdout
    third = start(home, "run", "--max-sleep", "10")
    try:
        wait_for_owner(home, third.pid)
    finally:
        stop(third)


def test_a_daemon_whose_process_is_gone_is_taken_over(home: HomeFixture) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    now = dt.datetime.now(dt.UTC)
    put_claim(home, {"owner": f"daemon:{socket.gethostname()}:{gone.pid}:deadbeef",
                     "started_at": now.isoformat(), "heartbeat": now.isoformat(),
                     "next_wake": None})
    proc = start(home, "run", "--max-sleep", "10")
    try:
        wait_for_owner(home, proc.pid)
    finally:
        stop(proc)


def test_a_daemon_silent_too_long_is_taken_over_a_live_one_elsewhere_is_not(
        sqlite_home: HomeFixture) -> None:
    home = sqlite_home
    now = dt.datetime.now(dt.UTC)
    elsewhere = {"owner": "daemon:studio-pc:4242:0badf00d",
                 "started_at": (now - dt.timedelta(days=1)).isoformat(),
                 "heartbeat": (now - dt.timedelta(seconds=30)).isoformat(), "next_wake": None}
    put_claim(home, elsewhere)
    refused = start(home, "run", "--max-sleep", "10")
    out, _ = refused.communicate(timeout=30)
    assert refused.returncode == 4, out
    assert "pid 4242 on studio-pc" in out
    put_claim(home, {**elsewhere, "heartbeat": (now - dt.timedelta(minutes=16)).isoformat()})
    proc = start(home, "run", "--max-sleep", "10")
    try:
        wait_for_owner(home, proc.pid)
    finally:
        stop(proc)


def test_a_rehearsal_daemon_runs_beside_the_real_one(sqlite_home: HomeFixture) -> None:
    """`run --sandbox` works on a copy of the database: the real daemon's claim is not
    copied into it, so the rehearsal is not refused (nor the real daemon disturbed)."""
    home = sqlite_home
    real = start(home, "run", "--max-sleep", "10")
    box = None
    try:
        owner = wait_for_owner(home, real.pid)["owner"]
        box = start(home, "run", "--sandbox", "--max-sleep", "10")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and box.poll() is None:
            shown = home.run("status", "--sandbox", "--json")
            if shown.exit_code in (0, 4) and json.loads(shown.stdout)["daemon"]["alive"]:
                break
            time.sleep(0.3)
        assert box.poll() is None, box.communicate()
        assert claim_row(home)["owner"] == owner
    finally:
        if box is not None and box.poll() is None:
            stop(box)
        if real.poll() is None:
            stop(real)
