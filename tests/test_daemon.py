"""The daemon and run-due as real processes: catch-up, SIGTERM, and two workers at once."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.rows import events, interviews
from tests.helpers.youtube import connect

ROME = ZoneInfo("Europe/Rome")


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def schedule_with_slot(home: HomeFixture, slot_local: dt.datetime, *, lead: str = "48h",
                       extra_slots: list[str] | None = None, per_week: int = 1) -> None:
    day = slot_local.strftime("%A")
    slots = [f"{day} {slot_local:%H:%M}", *(extra_slots or [])]
    (home.path / "schedules" / "studi-aperti.toml").write_text(
        f'name = "studi-aperti"\ntimezone = "Europe/Rome"\nslots = {slots!r}\n'
        f'per_week = {per_week}\nlead_time = "{lead}"\n'.replace("'", '"'))


def start(home: HomeFixture, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, **home.env}
    return subprocess.Popen(
        [sys.executable, "-m", "publisher", "--home", str(home.path), "--db", home.db_url,
         *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(predicate: object, timeout: float = 30.0) -> None:
    assert callable(predicate)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out waiting")


def test_daemon_catches_up_then_stops_cleanly_on_sigterm(sqlite_home: HomeFixture,
                                                         media: Media,
                                                         yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    missed = dt.datetime.now(ROME).replace(second=0, microsecond=0) - dt.timedelta(hours=1)
    schedule_with_slot(sqlite_home, missed)
    sqlite_home.ok(*add_args(media.video(), "Uno"))
    sqlite_home.ok(*add_args(media.video(), "Due"))
    proc = start(sqlite_home, "run", "--max-sleep", "10")
    try:
        wait_for(lambda: any(i.state in ("released", "published") for i in interviews(sqlite_home)))
        time.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        out, _ = proc.communicate(timeout=15)
        assert time.monotonic() - t0 < 6
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert [i.state for i in interviews(sqlite_home)] == ["published", "queued"]
    assert len(yt.videos) == 1 and next(iter(yt.videos.values())).privacy_status == "public"
    assert "next:" in out and "stopping" in out


@pytest.mark.slow
def test_sigterm_mid_upload_stops_fast_and_the_next_run_resumes(sqlite_home: HomeFixture,
                                                                media: Media,
                                                                yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    soon = dt.datetime.now(ROME).replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    schedule_with_slot(sqlite_home, soon)
    video = media.video(seconds=3, width=640, height=480, noise=True)
    sqlite_home.ok(*add_args(video, "Lungo"))
    yt.delay_chunk(2, 30)
    proc = start(sqlite_home, "run")
    try:
        wait_for(lambda: yt.sessions and next(iter(yt.sessions.values())).data_puts >= 2)
        proc.send_signal(signal.SIGTERM)
        t0 = time.monotonic()
        out, _ = proc.communicate(timeout=20)
        assert time.monotonic() - t0 < 8, "stops within a few seconds"
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert interviews(sqlite_home)[0].state == "staging"
    assert [e.kind for e in events(sqlite_home, "upload_session_started")]
    done = sqlite_home.run("run-due")
    assert done.exit_code == 0, done.output
    assert interviews(sqlite_home)[0].state == "staged"
    size = video.stat().st_size
    got = next(iter(yt.videos.values()))
    assert len(yt.videos) == 1 and got.size == size
    assert got.bytes_received - size <= 2 * 1024 * 1024  # at most the abandoned chunk


@pytest.mark.slow
def test_two_workers_at_the_same_instant_act_once_each(home: HomeFixture, media: Media,
                                                       tmp_path: Path) -> None:
    at = dt.datetime(2027, 2, 1, 16, 0, tzinfo=dt.UTC)  # an hour before the first slot
    with FakeYouTube(clock=lambda: at) as yt:
        connect(home, yt)
        days = ["Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
        schedule_with_slot(home, dt.datetime(2027, 2, 8, 18, 0, tzinfo=ROME), lead="7d",
                           extra_slots=[f"{d} 18:00" for d in days], per_week=7)
        for i in range(1, 8):
            home.ok(*add_args(media.video(), f"Intervista {i}"))
        procs = [start(home, "run-due", "--at", at.isoformat()) for _ in range(2)]
        outs = [p.communicate(timeout=120)[0] for p in procs]
        assert all(p.returncode == 0 for p in procs), outs
        titles = sorted(v.title for v in yt.videos.values())
    assert titles == sorted(f"Intervista {i}" for i in range(1, 8)), "each exactly once"
    assert [i.state for i in interviews(home)] == ["staged"] * 7, outs
