"""A worker killed with SIGKILL in the middle of an upload: another worker resumes that
upload session, not a new one (real `publisher worker` processes, PostgreSQL, the loopback
YouTube).

Worker A takes the stage job and dies after its second chunk (PUBLISHER_CRASH_AT). Worker B,
started after, plans at its first tick: the interview is still staging, so it defers the
resume, takes over the lease of the dead holder on this host at once, asks YouTube for the
offset of the saved session and finishes it. A's job, left `doing`, is put back later by
`retry_stalled` and finds the interview staged.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from publisher.home import Home
from publisher.pipeline.run_due import Work, WorkKind
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.workers import tasks
from publisher.workers.app import build_app
from publisher.workers.deployment import Deployment
from tests.conftest import HomeFixture, Media, _fresh_pg_database, add_args, invoke
from tests.crash_harness import MIB, REPO, _env, db_state, sha256, video_sessions
from tests.helpers.rows import events
from tests.helpers.youtube import connect

TIMEOUT_S = 90.0


@pytest.fixture
def pg_home(tmp_path: Path, postgres_server: str) -> Iterator[HomeFixture]:
    url, drop = _fresh_pg_database(postgres_server)
    path = tmp_path / "home"
    result = invoke("--db", url, "init", str(path))
    assert result.exit_code == 0, result.output
    try:
        yield HomeFixture(path, url)
    finally:
        drop()


def start_worker(home: HomeFixture, crash_at: str | None = None) -> subprocess.Popen[str]:
    argv = [sys.executable, "-m", "publisher", "--home", str(home.path), "--db", home.db_url,
            "worker", "--concurrency", "1"]
    return subprocess.Popen(argv, cwd=REPO, env=_env(home, crash_at), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def wait_until(proc: subprocess.Popen[str], ready: Callable[[], bool], what: str) -> None:
    started = time.monotonic()
    while not ready():
        if proc.poll() is not None:
            out, err = proc.communicate()
            raise AssertionError(f"the worker ended (exit {proc.returncode}) before {what}:"
                                 f"\n{out}\n{err}")
        if time.monotonic() - started > TIMEOUT_S:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"no {what} within {TIMEOUT_S} s:\n{out}\n{err}")
        time.sleep(0.2)


@pytest.mark.slow  # two worker processes and a 5 MB sample to encode: 40-75 s here
def test_a_killed_worker_s_upload_is_resumed_by_another(pg_home: HomeFixture, media: Media,
                                                        tmp_path: Path) -> None:
    home = pg_home
    noisy = Media(tmp_path / "sample").video("noisy.mp4", seconds=3, width=640, height=480,
                                             noise=True)
    assert noisy.stat().st_size > 3 * MIB, "the sample must span several 1 MiB chunks"
    video = media.folder / "interview.mp4"
    shutil.copyfile(noisy, video)
    slot = (dt.datetime.now(dt.UTC) + dt.timedelta(days=3)).replace(second=0, microsecond=0)
    with FakeYouTube() as yt:
        connect(home, yt)
        home.ok(*add_args(video, "Intervista"))
        app = build_app(home.db_url, tick_cron="0 0 1 1 *")
        stage = Work(WorkKind.STAGE, 1, slot)

        async def defer_stage() -> None:
            async with app.open_async():
                await tasks.defer_once(app, "publisher.stage", lock="p1:stage:1",
                                       queue=tasks.UPLOADS_QUEUE, programme_id=1,
                                       work=stage.to_json())

        asyncio.run(defer_stage())

        a = start_worker(home, crash_at="upload.chunk_saved@2")
        try:
            out, err = a.communicate(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            a.kill()
            out, err = a.communicate()
            raise AssertionError(f"worker A did not reach its crash point:\n{out}\n{err}"
                                 ) from None
        assert a.returncode == -signal.SIGKILL, f"worker A: exit {a.returncode}\n{err}"
        left = db_state(home)
        assert left.state == "staging" and left.lease_owner is not None, left
        assert left.lease_owner.startswith(f"worker:{_host()}:{a.pid}:")
        assert left.video_progress == 2 * MIB, left
        assert len(video_sessions(yt)) == 1

        b = start_worker(home)
        try:
            wait_until(b, lambda: db_state(home).state == "staged", "staged interview")
        finally:
            b.send_signal(signal.SIGTERM)
            try:
                _, b_err = b.communicate(timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                b.kill()
                _, b_err = b.communicate()
        assert b.returncode == 0, f"worker B after SIGTERM: exit {b.returncode}\n{b_err}"

        # One upload session, resumed (not a new one), one videos.insert, the file's bytes.
        [session] = video_sessions(yt)
        assert yt.quota.spent_on("videos.insert") == 1
        [uploaded] = yt.videos.values()
        assert uploaded.sha256 == sha256(video)
        assert session.bytes_received - video.stat().st_size <= MIB, "resumed, not resent"
        assert len(events(home, "upload_session_started")) == 1
        done = db_state(home)
        assert (done.state, done.lease_owner) == ("staged", None), done

        # A's job is still `doing` (its worker vanished): retry_stalled puts it back, and it
        # finds the interview staged. Nothing is uploaded again, no job is left.
        engine = make_engine(home.db_url)
        deployment = Deployment(Home.resolve(home.path, home.db_url))

        async def retry_and_drain() -> list[int]:
            async with app.open_async():
                stalled = await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=0)
                for job in stalled:
                    await app.job_manager.retry_job(job)
                await app.run_worker_async(
                    queues=list(tasks.QUEUES), wait=False, listen_notify=False,
                    install_signal_handlers=False, delete_jobs="successful",
                    additional_context={"deployment": deployment})
                return [job.id for job in stalled if job.id is not None]

        try:
            assert len(asyncio.run(retry_and_drain())) == 1
            with engine.connect() as conn:
                left_jobs = conn.execute(text(
                    "SELECT task_name, status FROM procrastinate_jobs")).all()
                workers = conn.execute(text(
                    "SELECT pid, stopped_at IS NOT NULL FROM workers ORDER BY id")).all()
        finally:
            deployment.close()
            engine.dispose()
        assert left_jobs == [], f"A:\n{err}\nB:\n{b_err}"
        assert [tuple(w) for w in workers] == [(a.pid, False), (b.pid, True)]
        assert len(video_sessions(yt)) == 1 and len(yt.videos) == 1


def _host() -> str:
    import socket

    return socket.gethostname()
