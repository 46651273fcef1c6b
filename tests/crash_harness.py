"""Run the real `publisher upload ID` in a child process, kill it, run it again, and read
what the loopback YouTube and the database hold afterwards (used by test_upload_crash)."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from publisher.faults import ENV as CRASH_ENV
from publisher.sandbox.youtube import FakeYouTube, UploadSession
from publisher.store.db import make_engine
from publisher.store.models import Interview, Publication
from tests.conftest import HomeFixture
from tests.helpers.scoped import Session

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
#: A child that neither crashes nor finishes within this is stuck: the test fails, not hangs.
CHILD_TIMEOUT_S = 60.0


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return f"exit {self.returncode}\n--- stdout\n{self.stdout}\n--- stderr\n{self.stderr}"


def _env(home: HomeFixture, crash_at: str | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k != CRASH_ENV and not k.startswith(("PUBLISHER_HOME", "PUBLISHER_DATABASE"))}
    env.update(home.env)
    env["PYTHONUNBUFFERED"] = "1"
    if crash_at is not None:
        env[CRASH_ENV] = crash_at
    return env


def _argv(home: HomeFixture, interview_id: int) -> list[str]:
    return [sys.executable, "-m", "publisher", "--home", str(home.path), "--db", home.db_url,
            "upload", str(interview_id), "--json"]


def start_upload(home: HomeFixture, interview_id: int = 1,
                 crash_at: str | None = None) -> subprocess.Popen[str]:
    """`publisher upload ID --json` as a child process (not waited for)."""
    return subprocess.Popen(_argv(home, interview_id), cwd=REPO, env=_env(home, crash_at),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(proc: subprocess.Popen[str], started: float) -> Run:
    try:
        out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        raise AssertionError(f"`publisher upload` did not end within {CHILD_TIMEOUT_S} s:\n"
                             f"{out}\n{err}") from None
    return Run(proc.returncode, out, err, time.monotonic() - started)


def run_upload(home: HomeFixture, interview_id: int = 1, crash_at: str | None = None) -> Run:
    started = time.monotonic()
    return finish(start_upload(home, interview_id, crash_at), started)


def kill_when(proc: subprocess.Popen[str], ready: Callable[[], bool],
              timeout_s: float = 30.0) -> float:
    """SIGKILL the child from outside as soon as `ready()` holds; the seconds waited."""
    started = time.monotonic()
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the child ended (exit {proc.returncode}) before the "
                                 f"moment to kill it came:\n{out}\n{err}")
        if time.monotonic() - started > timeout_s:
            proc.kill()
            proc.communicate()
            raise AssertionError(f"the moment to kill the child never came ({timeout_s} s)")
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    return time.monotonic() - started


def video_sessions(yt: FakeYouTube) -> list[UploadSession]:
    return [s for s in yt.sessions.values() if s.kind == "video"]


def resent_bytes(yt: FakeYouTube, size: int) -> int:
    """Video bytes the fake read beyond the file's size, over every video session (a restart
    from zero in a new session counts in full)."""
    return sum(s.bytes_received for s in video_sessions(yt)) - size


@dataclass
class DbState:
    state: str
    lease_owner: str | None
    lease_expires_at: dt.datetime | None
    attention_reason: str | None
    steps: dict[str, str]
    #: The upload offset the pipeline last committed (the video step's progress).
    video_progress: int | None


def db_state(home: HomeFixture, interview_id: int = 1) -> DbState:
    engine = make_engine(home.db_url)
    try:
        with Session(engine) as s:
            item = s.get(Interview, interview_id)
            assert item is not None
            pubs = s.scalars(select(Publication).where(
                Publication.interview_id == interview_id)).all()
            video = next((p for p in pubs if p.step == "video"), None)
            return DbState(item.state, item.lease_owner, item.lease_expires_at,
                           item.attention_reason, {p.step: p.state for p in pubs},
                           video.progress if video is not None else None)
    finally:
        engine.dispose()
