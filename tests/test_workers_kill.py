"""A worker killed with SIGKILL in the middle of an upload; another worker resumes that
upload session, not a new one, once the dead worker's lease expires (real processes, a real
PostgreSQL server, the loopback YouTube).

Worker A takes the stage job and SIGKILLs itself after its second 1 MiB chunk is saved
(PUBLISHER_CRASH_AT). A is left unreaped until the end: its pid still answers kill(pid, 0),
as a worker on another machine would seem alive, so nothing but the lease's expiry may free
the interview (a dead holder on this host is taken over at once: tests/test_workers.py).
Both workers take their leases for LEASE_TTL_S seconds (PUBLISHER_LEASE_TTL_S). Worker B,
started at once, is given a stage job for the interview straight away: it meets A's lease
and does nothing. At the next tick's plan after the expiry, B resumes A's session.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import shutil
import signal
import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from publisher.pipeline.run_due import Work, WorkKind
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.workers import tasks
from publisher.workers.app import build_app
from tests.conftest import HomeFixture, Media, add_args
from tests.crash_harness import MIB, db_state, sha256, video_sessions
from tests.helpers.rows import events
from tests.helpers.worker_processes import died_unreaped, start_worker, stop, wait_until
from tests.helpers.youtube import connect

LEASE_TTL_S = 8
NEVER = "0 0 1 1 *"


def defer_stage(db_url: str, slot: dt.datetime) -> None:
    """One stage job for interview 1, as a plan defers it."""
    app = build_app(db_url, tick_cron=NEVER)
    work = Work(WorkKind.STAGE, 1, slot)

    async def defer() -> None:
        async with app.open_async():
            await tasks.defer_once(app, "publisher.stage", lock="p1:stage:1",
                                   queue=tasks.UPLOADS_QUEUE, programme_id=1,
                                   work=work.to_json())

    asyncio.run(defer())


def jobs(db_url: str) -> list[tuple[str, str]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return [(r[0], r[1]) for r in conn.execute(text(
                "SELECT task_name, status FROM procrastinate_jobs ORDER BY id"))]
    finally:
        engine.dispose()


@pytest.mark.slow  # two worker processes, a 5 MB sample, a tick a minute: about 60-100 s
def test_a_killed_worker_s_upload_is_resumed_once_its_lease_expires(
        pg_home: HomeFixture, media: Media, tmp_path: Path) -> None:
    home = pg_home
    noisy = Media(tmp_path / "sample").video("noisy.mp4", seconds=3, width=640, height=480,
                                             noise=True)
    assert noisy.stat().st_size > 3 * MIB, "the sample must span several 1 MiB chunks"
    video = media.folder / "interview.mp4"
    shutil.copyfile(noisy, video)
    slot = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    short_leases = {"PUBLISHER_LEASE_TTL_S": str(LEASE_TTL_S)}
    with FakeYouTube() as yt, open(tmp_path / "a.log", "w+") as a_log, \
            open(tmp_path / "b.log", "w+") as b_log:
        connect(home, yt)
        short_leases.update(home.env)
        home.ok(*add_args(video, "Intervista"))
        defer_stage(home.db_url, slot)

        a = start_worker(home.path, home.db_url, a_log,
                         env={**short_leases, "PUBLISHER_CRASH_AT": "upload.chunk_saved@2"})
        b = None
        try:
            assert died_unreaped(a.pid), "worker A never reached its crash point"
            left = db_state(home)
            assert left.state == "staging" and left.video_progress == 2 * MIB, left
            a_owner = left.lease_owner
            assert a_owner is not None
            assert a_owner.startswith(f"worker:{socket.gethostname()}:{a.pid}:")
            expires = left.lease_expires_at
            assert expires is not None
            expires = expires.replace(tzinfo=dt.UTC) if expires.tzinfo is None else expires
            lease_s = (expires - dt.datetime.now(dt.UTC)).total_seconds()
            assert 0 < lease_s <= LEASE_TTL_S + 1, "the configured lease, not the default"
            assert len(video_sessions(yt)) == 1
            os.kill(a.pid, 0)  # A, a zombie, still "exists": it cannot be judged dead

            # B starts and finds a stage job for the interview at once: A's lease holds it.
            defer_stage(home.db_url, slot)
            b = start_worker(home.path, home.db_url, b_log, env=short_leases)

            def b_alive() -> str | None:
                return None if b.poll() is None else f"worker B ended ({b.returncode})"

            wait_until(lambda: ("publisher.stage", "todo") not in jobs(home.db_url),
                       "worker B took the stage job", alive=b_alive)
            taken_over_at = None
            started = time.monotonic()
            while taken_over_at is None:
                now = db_state(home)
                if now.lease_owner != a_owner:
                    taken_over_at = dt.datetime.now(dt.UTC)
                assert b.poll() is None, "worker B ended"
                assert time.monotonic() - started < 150, "no worker took the lease over"
                time.sleep(0.1)
            assert taken_over_at >= expires, \
                f"A's lease was taken at {taken_over_at}, before it expired at {expires}"
            b_log.seek(0)
            assert "another worker holds it" in b_log.read(), \
                "B's first stage job should have met A's lease"
            wait_until(lambda: db_state(home).state == "staged", "the interview staged",
                       alive=b_alive)
        finally:
            if b is not None:
                b_code = stop(b)
            a.wait()  # reap A at last
        assert a.returncode == -signal.SIGKILL, f"worker A: exit {a.returncode}"
        b_log.seek(0)
        assert b_code == 0, f"worker B after SIGTERM: exit {b_code}\n{b_log.read()}"

        # The session A started, resumed by B: one session, one videos.insert, the file's
        # bytes, at most one chunk sent twice.
        [session] = video_sessions(yt)
        assert yt.quota.spent_on("videos.insert") == 1
        [uploaded] = yt.videos.values()
        assert uploaded.sha256 == sha256(video)
        assert session.bytes_received - video.stat().st_size <= MIB, "resumed, not resent"
        assert len(events(home, "upload_session_started")) == 1
        done = db_state(home)
        assert (done.state, done.lease_owner) == ("staged", None), done


@pytest.mark.parametrize("raw", ["0", "-3", "soon", "86401"])
def test_the_lease_time_the_kill_test_shortens_refuses_a_bad_value(
        raw: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """PUBLISHER_LEASE_TTL_S (how long a lost holder keeps others waiting; the test above
    sets it to 8 s) takes every lease for that long, and a value out of range is refused
    naming the variable, the value and the limits rather than read as "no lease"."""
    from publisher.errors import PublisherError
    from publisher.leases import DEFAULT_TTL, ENV_TTL, lease_ttl

    monkeypatch.delenv(ENV_TTL, raising=False)
    assert lease_ttl(DEFAULT_TTL) == DEFAULT_TTL
    monkeypatch.setenv(ENV_TTL, str(LEASE_TTL_S))
    assert lease_ttl(DEFAULT_TTL) == dt.timedelta(seconds=LEASE_TTL_S)
    monkeypatch.setenv(ENV_TTL, raw)
    with pytest.raises(PublisherError) as refused:
        lease_ttl(DEFAULT_TTL)
    assert f"{ENV_TTL}={raw!r}" in str(refused.value) and "at most 86400" in str(refused.value)


@pytest.mark.slow  # three worker processes, each stopped as it starts: about 10-20 s
def test_a_worker_stopped_as_it_starts_ends_cleanly(pg_home: HomeFixture, tmp_path: Path
                                                     ) -> None:
    """SIGTERM (or Ctrl-C) the moment a worker has said it is alive — before Procrastinate's
    worker runs — stops it cleanly: exit 0 and its row marked stopped, so `status` does not
    show a worker gone silent. (The signal's default used to end it on the spot, its row
    left alive until it went SILENT.)"""
    engine = make_engine(pg_home.db_url)
    try:
        for n, signum in enumerate((signal.SIGTERM, signal.SIGINT, signal.SIGTERM)):
            with open(tmp_path / f"worker-{n}.log", "w") as log:
                proc = start_worker(pg_home.path, pg_home.db_url, log)

                def registered(pid: int = proc.pid) -> bool:
                    with engine.connect() as conn:
                        return conn.execute(text("SELECT count(*) FROM workers WHERE pid = :p"),
                                            {"p": pid}).scalar_one() > 0

                wait_until(registered, "the worker's row", every_s=0.01,
                           alive=lambda p=proc: None if p.poll() is None
                           else f"the worker ended ({p.returncode})")
                os.kill(proc.pid, signum)
                assert proc.wait(timeout=60) == 0, (tmp_path / f"worker-{n}.log").read_text()
            with engine.connect() as conn:
                stopped = conn.execute(text("SELECT stopped_at FROM workers WHERE pid = :p"),
                                       {"p": proc.pid}).scalar_one()
            assert stopped is not None, f"worker {n}'s row is left alive"
    finally:
        engine.dispose()
