"""Real `publisher worker` processes for the tests: start one, wait for a moment, stop it.

`start_worker` runs the real command line. `start_fast_worker` runs the same worker loop
(`publisher.workers.app.serve`, the Deployment of the home, the engine's tick) in a child
process whose pipeline clock runs `speed` times faster than the wall clock, from `fake_t0`
at wall time `wall_t0` (tests/helpers/fast_worker.py): the load test's hours of retries and
slots then pass in minutes. Only the pipeline's clock is fast: Procrastinate, PostgreSQL and
the leases' "is the holder's process alive" check run on real time.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parents[2]
WORKER_TIMEOUT_S = 90.0


def worker_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This environment without any home, database or crash point, plus `extra`."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUBLISHER_HOME", "PUBLISHER_DATABASE", "PUBLISHER_CRASH",
                                "PUBLISHER_LEASE"))}
    env["PYTHONUNBUFFERED"] = "1"
    env["NO_PROXY"] = "127.0.0.1,localhost"
    env.update(extra or {})
    return env


def start_worker(home: Path, db_url: str, log: IO[str], *, concurrency: int = 1,
                 env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """`publisher --home HOME --db URL worker --concurrency N`, its output to `log`."""
    argv = [sys.executable, "-m", "publisher", "--home", str(home), "--db", db_url,
            "worker", "--concurrency", str(concurrency)]
    return subprocess.Popen(argv, cwd=REPO, env=worker_env(env), stdout=log,
                            stderr=subprocess.STDOUT, text=True)


@dataclass(frozen=True)
class FastClock:
    """The pipeline's time in a fast worker: `fake_t0` at wall time `wall_t0`, `speed` times
    faster after. The test process's fakes use the same."""

    wall_t0: float
    fake_t0: dt.datetime
    speed: float

    def __call__(self) -> dt.datetime:
        return self.fake_t0 + dt.timedelta(seconds=(time.time() - self.wall_t0) * self.speed)

    def args(self) -> list[str]:
        return [repr(self.wall_t0), self.fake_t0.isoformat(), repr(self.speed)]


def start_fast_worker(home: Path, db_url: str, log: IO[str], clock: FastClock, *,
                      concurrency: int, tick_cron: str,
                      env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "tests.helpers.fast_worker", str(home), db_url,
            str(concurrency), tick_cron, *clock.args()]
    return subprocess.Popen(argv, cwd=REPO, env=worker_env(env), stdout=log,
                            stderr=subprocess.STDOUT, text=True)


def wait_until(ready: Callable[[], bool], what: str, *, timeout_s: float = WORKER_TIMEOUT_S,
               alive: Callable[[], str | None] = lambda: None, every_s: float = 0.2) -> float:
    """Poll `ready()` until it holds; fail if `alive()` says why the wait is vain, or after
    `timeout_s`. The seconds waited."""
    started = time.monotonic()
    while not ready():
        why = alive()
        if why is not None:
            raise AssertionError(f"{why} before {what}")
        if time.monotonic() - started > timeout_s:
            raise AssertionError(f"no {what} within {timeout_s} s")
        time.sleep(every_s)
    return time.monotonic() - started


def stop(proc: subprocess.Popen[str], timeout_s: float = WORKER_TIMEOUT_S) -> int:
    """SIGTERM, then SIGKILL if it does not end in time; its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return proc.returncode


def died_unreaped(pid: int, timeout_s: float = WORKER_TIMEOUT_S) -> bool:
    """Wait until the child `pid` has ended without reaping it (a zombie keeps its pid, so
    `kill(pid, 0)` still finds it): True if it ended within `timeout_s`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout_s:
        found = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT | os.WNOHANG)
        if found is not None:
            return True
        time.sleep(0.05)
    return False
