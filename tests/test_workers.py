"""`publisher worker`: the pipeline as Procrastinate jobs, on a real PostgreSQL server.

In process: the tick, the plan and the steps run by `run_worker_async(wait=False)` (which
drains the queues and returns), against the loopback YouTube and a controlled clock. Then real
`publisher worker` processes: one killed with SIGKILL mid-upload, another resuming its upload
session.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text

from publisher.home import Home
from publisher.leases import new_owner
from publisher.pipeline.run_due import Work, WorkKind
from publisher.pipeline.runtime import Runtime
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.workers import registry, tasks
from publisher.workers.app import build_app, conninfo, serve
from publisher.workers.deployment import Deployment
from tests.conftest import HomeFixture, Media, add_args
from tests.crash_harness import MIB, REPO, _env, db_state, sha256, video_sessions
from tests.helpers.clock import Clock
from tests.helpers.rows import events, interviews
from tests.helpers.run_due import START
from tests.helpers.youtube import connect

MONDAY_EVENING = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)  # in Tuesday's lead time
AFTER_TUESDAY_SLOT = dt.datetime(2027, 2, 2, 17, 1, tzinfo=dt.UTC)
AFTER_CROSSPOST_DELAY = dt.datetime(2027, 2, 2, 17, 10, tzinfo=dt.UTC)
NEVER = "0 0 1 1 *"  # the tests defer ticks themselves: no periodic one at the real time


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


class Harness:
    """A home on PostgreSQL, its Deployment on the test's clock, and the Procrastinate App."""

    def __init__(self, home: HomeFixture, clock: Clock) -> None:
        def prepare(rt: Runtime) -> None:
            rt.clock = clock
            rt.sleep = lambda s: None

        self.home = home
        self.deployment = Deployment(Home.resolve(home.path, home.db_url), prepare=prepare)
        self.app = build_app(home.db_url, tick_cron=NEVER)
        self.engine = make_engine(home.db_url)

    def jobs(self, where: str = "true") -> list[tuple[Any, ...]]:
        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(
                f"SELECT task_name, status, queueing_lock, args FROM procrastinate_jobs "
                f"WHERE {where} ORDER BY id"))]

    async def drain(self) -> None:
        """Run a worker until nothing waits (jobs defer more jobs: look again)."""
        for _ in range(10):
            await self.app.run_worker_async(
                queues=list(tasks.QUEUES), concurrency=2, wait=False, listen_notify=False,
                install_signal_handlers=False, delete_jobs="successful",
                additional_context={"deployment": self.deployment})
            if not self.jobs("status = 'todo'"):
                return
        raise AssertionError(f"jobs keep coming: {self.jobs()}")

    def run(self, *steps: Any) -> None:
        async def main() -> None:
            async with self.app.open_async():
                for step in steps:
                    await step()

        asyncio.run(main())

    async def tick(self) -> None:
        await self.app.configure_task(tasks.TICK, queueing_lock="tick").defer_async(
            timestamp=0)

    async def tick_and_drain(self) -> None:
        await self.tick()
        await self.drain()

    def close(self) -> None:
        self.deployment.close()
        self.engine.dispose()


@pytest.fixture
def harness(pg_home: HomeFixture, clock: Clock, yt: FakeYouTube,
            monkeypatch: pytest.MonkeyPatch) -> Iterator[Harness]:
    connect(pg_home, yt)
    for key, value in pg_home.env.items():
        monkeypatch.setenv(key, value)
    h = Harness(pg_home, clock)
    yield h
    h.close()


def test_the_worker_refuses_sqlite_with_a_hint(sqlite_home: HomeFixture) -> None:
    result = sqlite_home.run("worker")
    assert result.exit_code == 3
    assert "needs PostgreSQL" in result.output and "publisher run" in result.output


def test_conninfo_is_libpq() -> None:
    assert conninfo("postgresql+psycopg://u:p%40ss@db:5433/pub") == \
        "postgresql://u:p%40ss@db:5433/pub"


def test_db_upgrade_gave_the_database_procrastinate_s_schema(harness: Harness) -> None:
    with harness.engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('procrastinate_jobs')")).scalar() \
            is not None
    assert harness.jobs() == []


def test_tick_plan_stage_release_crosspost(harness: Harness, clock: Clock, yt: FakeYouTube,
                                           media: Media) -> None:
    home = harness.home
    home.ok(*add_args(media.video(), "Intervista 1"))
    home.ok(*add_args(media.video(), "Intervista 2"))

    clock.now = MONDAY_EVENING
    harness.run(harness.tick_and_drain)
    assert [i.state for i in interviews(home)] == ["staged", "queued"]
    assert len(yt.videos) == 1
    assert len(events(home, "upload_session_started")) == 1

    clock.now = AFTER_TUESDAY_SLOT  # released; its posts wait 5 minutes
    harness.run(harness.tick_and_drain)
    assert [i.state for i in interviews(home)] == ["released", "queued"]

    clock.now = AFTER_CROSSPOST_DELAY  # no platform configured: each post skipped, published
    harness.run(harness.tick_and_drain)
    assert [i.state for i in interviews(home)] == ["published", "queued"]
    assert len(yt.videos) == 1
    assert harness.jobs() == [], "every job done (and deleted), none failed"
    assert all(i.lease_owner is None for i in interviews(home))
    who = {e.actor for e in events(home, "staging")} | {e.actor for e in events(home,
                                                                               "released")}
    assert who == {"worker"}


def test_a_piece_of_work_waits_once(harness: Harness, clock: Clock, media: Media) -> None:
    """The queueing locks: a second tick, plan or step for what already waits is not
    deferred again (AlreadyEnqueued, caught one job at a time)."""
    harness.home.ok(*add_args(media.video(), "Intervista 1"))
    clock.now = MONDAY_EVENING
    stage = Work(WorkKind.STAGE, 1, dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC))
    got: list[bool] = []

    async def defer_twice() -> None:
        for _ in range(2):
            got.append(await tasks.defer_once(harness.app, tasks.TICK, lock="tick",
                                              queue=tasks.PLAN_QUEUE, timestamp=0))
            got.append(await tasks.defer_once(harness.app, tasks.PLAN, lock="p1:plan",
                                              queue=tasks.PLAN_QUEUE, programme_id=1))
            got.append(await tasks.defer_once(
                harness.app, "publisher.stage", lock=tasks.queueing_lock(1, stage),
                queue=tasks.UPLOADS_QUEUE, programme_id=1, work=stage.to_json()))

    harness.run(defer_twice)
    assert got == [True, True, True, False, False, False]
    assert [(name, lock) for name, _, lock, _ in harness.jobs()] == [
        ("publisher.tick", "tick"), ("publisher.plan", "p1:plan"),
        ("publisher.stage", "p1:stage:1")]
    # A resume or a catch-up of the same interview is the same upload: the same lock.
    assert tasks.queueing_lock(1, Work(WorkKind.RESUME, 1)) == "p1:stage:1"
    # Draining: the tick's plan finds the stage already waiting and defers it no more.
    harness.run(harness.drain)
    assert [i.state for i in interviews(harness.home)] == ["staged"]
    assert harness.jobs() == []


def test_the_tick_defers_its_plans_in_batches(harness: Harness,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    """The tick's plans go in batches (not one round trip per programme), leaving out the
    programmes whose plan waits already; a batch that meets a duplicate anyway (another
    tick in between) is deferred one job at a time, and defers the rest."""
    monkeypatch.setattr(tasks, "PLAN_BATCH", 2)
    got: list[list[int]] = []
    batches: list[int] = []
    manager = harness.app.job_manager
    batch_defer = manager.batch_defer_jobs_async

    async def counted(jobs: list[Any], connection: Any = None) -> Any:
        batches.append(len(jobs))
        return await batch_defer(jobs, connection)

    monkeypatch.setattr(manager, "batch_defer_jobs_async", counted)

    async def defer() -> None:
        await tasks.defer_once(harness.app, tasks.PLAN, lock="p2:plan",
                               queue=tasks.PLAN_QUEUE, programme_id=2)
        got.append(await tasks.defer_plans(harness.app, [1, 2, 3, 4, 5]))
        # Blind to what waits (as if another tick deferred in between): the batch fails
        # whole, and one at a time defers what does not wait.
        connector = harness.app.connector
        read = connector.execute_query_all_async

        async def blind(query: Any, **arguments: Any) -> Any:
            return [] if "queueing_lock FROM" in query else await read(query, **arguments)

        monkeypatch.setattr(connector, "execute_query_all_async", blind)
        got.append(await tasks.defer_plans(harness.app, [3, 6]))

    harness.run(defer)
    assert got == [[1, 3, 4, 5], [6]]
    # p2's own deferral, [1, 3], [4, 5], then [3, 6] which met p3's plan, and 3 and 6 alone.
    assert batches == [1, 2, 2, 2, 1, 1]
    assert [(name, lock, args) for name, _, lock, args in harness.jobs()] == [
        (tasks.PLAN, f"p{pid}:plan", {"programme_id": pid}) for pid in (2, 1, 3, 4, 5, 6)]


# ---- the tick plans only the programmes that may have work (store/plan_gate.py) --------


def next_wake(harness: Harness) -> dt.datetime | None:
    with harness.engine.connect() as conn:
        value = conn.execute(text("SELECT next_wake_at FROM programmes WHERE id = 1")).scalar()
    return None if value is None else value.replace(tzinfo=dt.UTC)


def settle(harness: Harness) -> dt.datetime:
    """Tick and run what is due until a plan finds nothing to do; its wake."""
    for _ in range(4):
        harness.run(harness.tick_and_drain)
        wake = next_wake(harness)
        if wake is not None:
            return wake
    raise AssertionError("every plan found work")


def plans_now(harness: Harness) -> list[int]:
    """The programmes the tick would plan now (its own query, at the harness's clock)."""
    return harness.deployment.programmes_to_plan()


def test_a_programme_with_nothing_due_is_planned_at_its_next_event(
        harness: Harness, clock: Clock, media: Media) -> None:
    from publisher.store.plan_gate import SWEEP

    harness.home.ok(*add_args(media.video(), "Intervista 1"))
    clock.now = MONDAY_EVENING
    assert plans_now(harness) == [1], "never planned: planned at the next tick"
    harness.run(harness.tick_and_drain)
    assert [i.state for i in interviews(harness.home)] == ["staged"]
    assert next_wake(harness) is None, "its plan found work, its steps did some"
    slot = interviews(harness.home)[0].slot_at
    assert slot is not None and slot > MONDAY_EVENING + SWEEP

    harness.run(harness.tick_and_drain)  # nothing due until the release: the sweep
    assert next_wake(harness) == MONDAY_EVENING + SWEEP, "its own writes did not wake it"
    clock.now = slot - dt.timedelta(minutes=10)
    assert plans_now(harness) == [1]
    harness.run(harness.tick_and_drain)  # a new day: the day's chores
    assert next_wake(harness) is None
    clock.now = slot - dt.timedelta(minutes=9)
    harness.run(harness.tick_and_drain)
    assert next_wake(harness) == slot, "the next event, within the sweep"

    for minutes in (5, 1):  # the next ticks: nothing planned, not even deferred
        clock.now = slot - dt.timedelta(minutes=minutes)
        assert plans_now(harness) == []
        harness.run(harness.tick)
        assert harness.jobs() == [(tasks.TICK, "todo", "tick", {"timestamp": 0})]
        harness.run(harness.drain)
        assert harness.jobs() == []
    harness.home.ok("status")  # reading wakes nothing
    assert next_wake(harness) == slot

    clock.now = slot
    assert plans_now(harness) == [1]
    harness.run(harness.tick_and_drain)
    assert [i.state for i in interviews(harness.home)] == ["released"]


def test_the_sweep_plans_a_programme_whose_next_event_is_far(harness: Harness,
                                                             clock: Clock) -> None:
    from publisher.store.plan_gate import SWEEP

    assert settle(harness) == START + SWEEP  # an empty queue: no next event at all
    clock.now = START + SWEEP - dt.timedelta(seconds=1)
    assert plans_now(harness) == []
    clock.now = START + SWEEP
    assert plans_now(harness) == [1]
    harness.run(harness.tick_and_drain)
    assert next_wake(harness) == START + 2 * SWEEP


def test_a_command_a_step_or_an_edited_schedule_plans_it_at_the_next_tick(
        harness: Harness, clock: Clock, media: Media) -> None:
    from publisher.store.plan_gate import SWEEP

    def planned() -> None:
        assert settle(harness) == clock.now + SWEEP
        assert plans_now(harness) == []

    planned()
    harness.home.ok(*add_args(media.video(), "Intervista 1"))  # a command that writes
    assert next_wake(harness) is None and plans_now(harness) == [1]
    planned()
    harness.home.ok("queue", "edit", "1", "--title", "Intervista uno")  # a correction
    assert plans_now(harness) == [1]
    planned()

    async def a_step() -> None:  # one the plan did not defer: the daily chores
        await tasks.defer_once(harness.app, "publisher.chores", lock="p1:chores",
                               queue=tasks.STEPS_QUEUE, programme_id=1,
                               work=Work(WorkKind.CHORES).to_json())
        await harness.drain()

    harness.run(a_step)
    assert next_wake(harness) is None and plans_now(harness) == [1]
    planned()

    schedule = sorted((harness.home.path / "schedules").glob("*.toml"))[0]
    stamp = harness.deployment.loaded_stamp(1)
    schedule.write_text(schedule.read_text() + "\n# edited by hand\n")
    assert plans_now(harness) == [1], "the stamp of the home files changed"
    planned()  # the plan loaded the programme's files again, and recorded their stamp
    assert harness.deployment.loaded_stamp(1) not in (None, stamp)


def test_a_write_while_the_plan_decides_is_not_lost(harness: Harness, clock: Clock) -> None:
    """The plan's mark, then a write (it wakes the programme), then the plan's answer: the
    answer does not overwrite the wake."""
    from publisher.store.plan_gate import begin_plan, end_plan

    with harness.engine.begin() as conn:
        mark = begin_plan(conn, 1, START, "stamp")
    with harness.engine.begin() as conn:
        conn.execute(text("UPDATE programmes SET next_wake_at = NULL WHERE id = 1"))
    with harness.engine.begin() as conn:
        end_plan(conn, 1, mark, START + dt.timedelta(minutes=3))
    assert next_wake(harness) is None
    with harness.engine.begin() as conn:  # without a write: the answer stands
        end_plan(conn, 1, begin_plan(conn, 1, START, "stamp"),
                 START + dt.timedelta(minutes=3))
    assert next_wake(harness) == START + dt.timedelta(minutes=3)


def test_a_duplicate_job_meets_the_lease_and_answers_busy(harness: Harness, clock: Clock,
                                                          yt: FakeYouTube,
                                                          media: Media) -> None:
    """Two stage jobs for one interview (a duplicate: one waiting plus one running is what
    the queueing lock allows): while another worker holds the lease, the job does nothing
    and ends normally; the engine never retries it."""
    harness.home.ok(*add_args(media.video(), "Intervista 1"))
    clock.now = MONDAY_EVENING
    holder = new_owner("worker")  # this live process: not a dead holder to take over from
    with harness.engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET lease_owner = :o, lease_expires_at = :t"),
                     {"o": holder, "t": MONDAY_EVENING + dt.timedelta(minutes=10)})
    stage = Work(WorkKind.STAGE, 1, dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC))

    async def defer_and_drain() -> None:
        await tasks.defer_once(harness.app, "publisher.stage",
                               lock=tasks.queueing_lock(1, stage), queue=tasks.UPLOADS_QUEUE,
                               programme_id=1, work=stage.to_json())
        await harness.drain()

    harness.run(defer_and_drain)
    assert not yt.videos
    [item] = interviews(harness.home)
    assert (item.state, item.lease_owner) == ("queued", holder)
    assert harness.jobs() == [], "done (busy is a normal end), not failed nor retried"

    with harness.engine.begin() as conn:  # the holder is done: the next plan stages it
        conn.execute(text("UPDATE interviews SET lease_owner = NULL, lease_expires_at = NULL"))
    harness.run(harness.tick_and_drain)
    assert [i.state for i in interviews(harness.home)] == ["staged"]
    assert len(yt.videos) == 1


def test_a_stalled_job_is_retried_and_finds_its_work(harness: Harness, clock: Clock,
                                                     yt: FakeYouTube, media: Media) -> None:
    """A job left `doing` by a worker that died (no heartbeat) goes back to the queue at the
    next `retry_stalled`, and is performed by a live worker."""
    harness.home.ok(*add_args(media.video(), "Intervista 1"))
    clock.now = MONDAY_EVENING
    stage = Work(WorkKind.STAGE, 1, dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC))

    async def strand() -> None:
        await tasks.defer_once(harness.app, "publisher.stage",
                               lock=tasks.queueing_lock(1, stage), queue=tasks.UPLOADS_QUEUE,
                               programme_id=1, work=stage.to_json())

    harness.run(strand)
    with harness.engine.begin() as conn:  # taken by a worker that then vanished
        dead = conn.execute(text(
            "INSERT INTO procrastinate_workers (last_heartbeat) "
            "VALUES (now() - interval '10 minutes') RETURNING id")).scalar()
        conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing', worker_id = :w "
                          "WHERE task_name = 'publisher.stage'"), {"w": dead})

    async def still_stalled_then_retry() -> None:
        await harness.drain()  # nothing waits: a stalled job stays stalled by itself
        assert [s for _, s, _, _ in harness.jobs()] == ["doing"]
        await harness.app.configure_task(tasks.RETRY_STALLED).defer_async(timestamp=0)
        await harness.drain()

    harness.run(still_stalled_then_retry)
    assert [i.state for i in interviews(harness.home)] == ["staged"]
    assert len(yt.videos) == 1
    assert harness.jobs() == []


def test_retry_stalled_lets_another_worker_put_a_job_back_first(
        harness: Harness, clock: Clock, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two workers' retry_stalled may list the same stalled job: the second to put it back
    finds it no longer `doing`, and goes on (it must not fail, nor stop at that job)."""
    harness.home.ok(*add_args(media.video(), "Intervista 1"))
    stage = Work(WorkKind.STAGE, 1, dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC))
    answered: list[list[int]] = []

    async def race() -> None:
        await tasks.defer_once(harness.app, "publisher.stage",
                               lock=tasks.queueing_lock(1, stage), queue=tasks.UPLOADS_QUEUE,
                               programme_id=1, work=stage.to_json())
        with harness.engine.begin() as conn:
            conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing'"))
        manager = harness.app.job_manager
        listed = list(await manager.get_stalled_jobs(seconds_since_heartbeat=0))
        assert len(listed) == 1
        await manager.retry_job(listed[0])  # the other worker

        async def same_list(**_: Any) -> list[Any]:
            return listed

        monkeypatch.setattr(manager, "get_stalled_jobs", same_list)
        answered.append(await tasks.retry_stalled(SimpleNamespace(app=harness.app),  # type: ignore[arg-type]
                                                  timestamp=0))

    harness.run(race)
    assert answered == [[]]
    assert [s for _, s, _, _ in harness.jobs()] == ["todo"]


def test_a_stalled_job_whose_duplicate_waits_is_put_back_after_it(
        harness: Harness, clock: Clock, yt: FakeYouTube, media: Media) -> None:
    """A dead worker's stage job, while the next plan already deferred the resume (same
    queueing lock, waiting): putting the stalled job back would make two waiting, which the
    engine refuses. retry_stalled goes on; once the waiting one ran, the next retry_stalled
    puts the stalled job back, and it finds the work done."""
    harness.home.ok(*add_args(media.video(), "Intervista 1"))
    clock.now = MONDAY_EVENING
    stage = Work(WorkKind.STAGE, 1, dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC))
    answers: list[list[int]] = []

    async def defer_stage() -> None:
        await tasks.defer_once(harness.app, "publisher.stage",
                               lock=tasks.queueing_lock(1, stage), queue=tasks.UPLOADS_QUEUE,
                               programme_id=1, work=stage.to_json())

    async def retry_stalled() -> None:
        answers.append(await tasks.retry_stalled(
            SimpleNamespace(app=harness.app), timestamp=0))  # type: ignore[arg-type]

    async def scenario() -> None:
        await defer_stage()
        with harness.engine.begin() as conn:  # taken by a worker that vanished
            conn.execute(text("UPDATE procrastinate_jobs SET status = 'doing'"))
        await defer_stage()  # the next plan's resume: waiting
        await retry_stalled()
        assert sorted(s for _, s, _, _ in harness.jobs()) == ["doing", "todo"]
        await harness.drain()  # the waiting one stages the interview
        await retry_stalled()
        await harness.drain()  # the stalled one, put back, finds it staged

    harness.run(scenario)
    assert answers[0] == [] and len(answers[1]) == 1
    assert [i.state for i in interviews(harness.home)] == ["staged"]
    assert len(yt.videos) == 1
    assert harness.jobs() == []


def test_serve_says_who_works_in_the_workers_table(harness: Harness) -> None:
    async def once() -> None:
        await serve(harness.app, harness.deployment, 2, name="worker:test:1:abc",
                    wait=False, listen_notify=False, install_signal_handlers=False)

    asyncio.run(once())
    with harness.engine.connect() as conn:
        row = conn.execute(text("SELECT name, concurrency, stopped_at IS NOT NULL "
                                "FROM workers")).one()
    assert tuple(row) == ("worker:test:1:abc", 2, True)
    assert registry.alive(harness.engine, dt.datetime.now(dt.UTC)) == []


# ---- a worker killed with SIGKILL mid-upload (real processes) ---------------------------
# Worker A takes the stage job and dies after its second chunk (PUBLISHER_CRASH_AT). Worker B,
# started after, plans at its first tick: the interview is still staging, so it defers the
# resume, takes over the lease of the dead holder on this host at once, asks YouTube for the
# offset of the saved session and finishes it. A's job, left `doing`, is put back by
# `retry_stalled` and finds the interview staged.

WORKER_TIMEOUT_S = 90.0


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
        if time.monotonic() - started > WORKER_TIMEOUT_S:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"no {what} within {WORKER_TIMEOUT_S} s:\n{out}\n{err}")
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
            out, err = a.communicate(timeout=WORKER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            a.kill()
            out, err = a.communicate()
            raise AssertionError(f"worker A did not reach its crash point:\n{out}\n{err}"
                                 ) from None
        assert a.returncode == -signal.SIGKILL, f"worker A: exit {a.returncode}\n{err}"
        left = db_state(home)
        assert left.state == "staging" and left.lease_owner is not None, left
        assert left.lease_owner.startswith(f"worker:{socket.gethostname()}:{a.pid}:")
        assert left.video_progress == 2 * MIB, left
        assert len(video_sessions(yt)) == 1

        b = start_worker(home)
        try:
            wait_until(b, lambda: db_state(home).state == "staged", "staged interview")
        finally:
            b.send_signal(signal.SIGTERM)
            try:
                _, b_err = b.communicate(timeout=WORKER_TIMEOUT_S)
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
