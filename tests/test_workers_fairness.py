"""Many programmes on one PostgreSQL database, served by workers (issue 16), on a real server:

- the quota of a Google Cloud project is shared: one programme's uploads leave another
  programme's release of the day its units;
- fairness: with one worker, releases go first, then uploads, each programme's first due
  upload before any programme's second (Procrastinate priorities), so 50 uploads of one
  programme delay neither another's release nor its earliest upload;
- back-pressure: a programme whose quota is spent has its job deferred to the reset
  (`schedule_at`), tried once, not in a loop, and the other programme goes on;
- one runner per programme: `publisher run` refuses while workers serve the database, and
  workers leave alone a programme whose daemon was there first;
- `status` names the live workers, the silent ones, and which worker holds which interview
  since when.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from publisher import leases
from publisher.app import App
from publisher.credentials import write_private
from publisher.home import Home
from publisher.pipeline import state
from publisher.pipeline.run_due import Work, WorkKind, release_now
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_stage import stage
from publisher.platforms.youtube.errors import next_quota_reset
from publisher.quota import RELEASE_UNITS, UNITS, QuotaLimits, charge, release_reserve, used_today
from publisher.sandbox.platforms import SandboxPlatforms
from publisher.sandbox.youtube import FakeYouTube
from publisher.services.daemon_claim import WorkersServeThisProgramme, claim
from publisher.store.db import make_engine, transaction
from publisher.workers import registry, tasks
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock
from tests.helpers.run_due import set_schedule
from tests.helpers.workers import (
    Performed,
    WorkerHarness,
    interviews,
    programme_home,
    programme_id,
)
from tests.helpers.youtube import client_file, connect, set_youtube

MONDAY_EVENING = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)  # in Tuesday's lead time
TUESDAY_SLOT = dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC)    # 18:00 in Rome
TODAY = dt.datetime(2027, 2, 2, 10, 0, tzinfo=dt.UTC)  # Pacific reset: 2027-02-03 08:00 UTC
UPLOADS = {"stage", "resume", "catch_up"}


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_EVENING)


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


def runtime(home: HomeFixture, clock: Clock) -> Runtime:
    rt = App(Home.resolve(home.path, home.db_url)).runtime("test")
    rt.clock = clock
    rt.sleep = lambda s: None
    return rt


def ids_of(home: HomeFixture) -> list[int]:
    return [i.id for i in interviews(home)]


def use_env(monkeypatch: pytest.MonkeyPatch, *homes: HomeFixture) -> None:
    for home in homes:
        for key, value in home.env.items():
            monkeypatch.setenv(key, value)


# ---- 1. the quota of a Cloud project is shared ---------------------------------------------

def test_one_programmes_uploads_leave_another_programmes_release_its_units(
        tmp_path: Path, pg_database: str, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Programmes A and B on one Cloud project, C on another. B's interview is staged for
    today's slot. With the units left today only what B's release needs, A's upload stops
    (nothing sent) and B's release goes out; C's staged interview holds back nothing of it."""
    a, b, c = (programme_home(tmp_path, pg_database, n) for n in ("festival", "museum", "gallery"))
    for home, number in ((a, 1234), (b, 1234), (c, 999)):
        connect(home, yt)
        client_file(home, f"{number}-{home.path.name}.apps.googleusercontent.com")
    use_env(monkeypatch, a)
    b.ok(*add_args(media.video("b.mp4"), "Al museo", "--privacy", "unlisted"))
    c.ok(*add_args(media.video("c.mp4"), "In galleria"))
    a.ok(*add_args(media.video("a.mp4"), "Al festival"))
    [b_id], [c_id], [a_id] = ids_of(b), ids_of(c), ids_of(a)
    clock.now = TODAY
    for home, iid in ((b, b_id), (c, c_id)):
        assert stage(runtime(home, clock), iid, TUESDAY_SLOT).outcome == "staged"
    for video in yt.videos.values():
        yt.finish_processing(video.id)

    engine = make_engine(pg_database)
    try:
        with transaction(engine, programme_id(pg_database, "festival")) as s:
            # A has nothing staged: what it holds back is B's release, not C's.
            assert release_reserve(s, TODAY, "gcp:1234") == RELEASE_UNITS
            assert release_reserve(s, TODAY, "gcp:999") == RELEASE_UNITS  # C's, its project
            assert release_reserve(s, TODAY) == 0  # its own staged interviews: none
            used = used_today(s, TODAY, "gcp:1234")
    finally:
        engine.dispose()
    for home in (a, b):  # what is left today in the project: B's release, exactly
        set_youtube(home, daily_units=used[UNITS] + RELEASE_UNITS)

    sent = len(yt.videos)
    waiting = stage(runtime(a, clock), a_id, TUESDAY_SLOT + dt.timedelta(days=3))
    assert waiting.outcome == "waiting" and "kept for today's releases" in waiting.detail
    assert len(yt.videos) == sent, "nothing was sent for A's upload"

    clock.now = TUESDAY_SLOT + dt.timedelta(minutes=1)
    released = release_now(runtime(b, clock), b_id, clock.now)
    assert released.outcome == "released", released
    assert [i.state for i in interviews(b)] == ["released"]


# ---- 2. fairness ---------------------------------------------------------------------------

@pytest.mark.slow  # 51 uploads through the loopback YouTube: 70-110 s here
def test_fifty_uploads_of_one_programme_delay_neither_anothers_release_nor_its_upload(
        tmp_path: Path, pg_database: str, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker (concurrency 1). Programme A has 50 uploads due at once, four of them for
    slots before B's; programme B has a release due and one upload. The worker performs B's
    release before any upload, and B's upload among the first two (each programme's first
    upload before any second), not after A's earlier slots."""
    a, b = programme_home(tmp_path, pg_database, "festival"), programme_home(tmp_path, pg_database,
                                                                        "museum")
    for home in (a, b):
        connect(home, yt)
    use_env(monkeypatch, a)
    set_schedule(b, lead_time='"72h"')  # Friday's upload is due on Tuesday
    # A's next 50 slots are all due, three of them before B's upload's (Friday 18:00).
    set_schedule(a, lead_time='"200d"', per_week="4",
                 slots='["Tuesday 18:00", "Wednesday 12:00", "Thursday 12:00", "Friday 12:00"]')
    harness = WorkerHarness(a, clock)
    try:
        b.ok(*add_args(media.video(), "Museo 1"))
        b.ok(*add_args(media.video(), "Museo 2"))
        harness.run(harness.tick_and_drain)  # Monday evening: B's first is staged
        assert [i.state for i in interviews(b)] == ["staged", "queued"]

        for n in range(1, 51):
            a.ok(*add_args(media.video(), f"Festival {n}"))
        clock.now = TUESDAY_SLOT + dt.timedelta(minutes=1)
        performed = Performed(monkeypatch)
        harness.run(harness.tick_and_drain)
    finally:
        harness.close()

    pa, pb = programme_id(pg_database, "festival"), programme_id(pg_database, "museum")
    steps = [s for s in performed.steps if s[1] != "chores"]
    uploads = [s for s in steps if s[1] in UPLOADS]
    assert len([s for s in uploads if s[0] == pa]) == 50
    b_first, b_second = ids_of(b)
    assert steps[0] == (pb, "release", b_first), steps[:3]
    assert (pb, "stage", b_second) in uploads[:2], uploads[:3]
    # The rest alternate nothing more: A's uploads in the order of their slots.
    a_order = [iid for pid, _, iid in uploads if pid == pa]
    assert a_order == sorted(a_order)
    assert [i.state for i in interviews(b)] == ["released", "staged"]
    assert all(i.state in ("staged", "released") for i in interviews(a))


def test_an_uploads_priority_puts_rank_before_slot() -> None:
    slot = dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC)
    later = slot + dt.timedelta(days=300)
    first_later = tasks.priority(Work(WorkKind.STAGE, 1, later), rank=0)
    second_early = tasks.priority(Work(WorkKind.STAGE, 2, slot), rank=1)
    assert 0 > first_later > second_early
    assert tasks.priority(Work(WorkKind.STAGE, 3, slot), 0) > first_later
    assert tasks.priority(Work(WorkKind.RELEASE, 4)) == 0
    lowest = tasks.priority(Work(WorkKind.STAGE, 5, dt.datetime(2090, 1, 1, tzinfo=dt.UTC)),
                            rank=10_000)
    assert lowest >= -(2 ** 31)  # Procrastinate's priority is an int4


# ---- 3. back-pressure ----------------------------------------------------------------------

def test_a_programme_whose_quota_is_spent_waits_for_the_reset_in_one_job(
        tmp_path: Path, pg_database: str, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A's project has spent today's uploads. A's upload is tried once: its job is deferred
    to the quota's reset (schedule_at), and later ticks do not try it again; B's upload goes
    on. Once the reset comes, the deferred job uploads A's interview."""
    a, b = programme_home(tmp_path, pg_database, "festival"), programme_home(tmp_path, pg_database,
                                                                        "museum")
    for home, number in ((a, 1111), (b, 2222)):
        connect(home, yt)
        client_file(home, f"{number}-{home.path.name}.apps.googleusercontent.com")
        set_youtube(home, daily_uploads=1)
    use_env(monkeypatch, a)
    a.ok(*add_args(media.video(), "Festival"))
    b.ok(*add_args(media.video(), "Museo"))
    [a_id], [b_id] = ids_of(a), ids_of(b)
    pa, pb = programme_id(pg_database, "festival"), programme_id(pg_database, "museum")
    engine = make_engine(pg_database)
    with transaction(engine, pa) as s:
        charge(s, MONDAY_EVENING, QuotaLimits(uploads=1), "videos.insert", project="gcp:1111")
    engine.dispose()
    reset = next_quota_reset(MONDAY_EVENING)

    harness = WorkerHarness(a, clock)
    performed = Performed(monkeypatch)
    try:
        for minute in range(4):  # four ticks, a minute apart
            clock.now = MONDAY_EVENING + dt.timedelta(minutes=minute)
            harness.run(harness.tick_and_drain)
        assert performed.of(pa, "stage") == [(pa, "stage", a_id)], "tried once, no loop"
        assert performed.of(pb, "stage") == [(pb, "stage", b_id)]
        assert [v.title for v in yt.videos.values()] == ["Museo"]
        assert [i.state for i in interviews(b)] == ["staged"]
        [waiting] = harness.jobs("status = 'todo'")
        assert waiting["queueing_lock"] == f"p{pa}:stage:{a_id}"
        assert waiting["scheduled_at"] == reset

        clock.now = reset + dt.timedelta(minutes=1)  # the database's clock reaches it too
        with harness.engine.begin() as conn:
            conn.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() "
                              "WHERE id = :id"), {"id": waiting["id"]})
        harness.run(harness.drain)
    finally:
        harness.close()
    assert performed.of(pa, "stage") == [(pa, "stage", a_id)] * 2
    assert [i.state for i in interviews(a)] == ["staged"]
    assert sorted(v.title for v in yt.videos.values()) == ["Festival", "Museo"]
    assert yt.quota.spent_on("videos.insert") == 2


class RateLimited:
    """Programmes A and B, each an interview released on YouTube at Tuesday's slot; then
    Mastodon answers A's post 429 with a reset an hour ahead, and B's goes out; four ticks
    a minute apart follow."""

    def __init__(self, tmp_path: Path, pg_database: str, media: Media, clock: Clock,
                 monkeypatch: pytest.MonkeyPatch, platforms: SandboxPlatforms) -> None:
        a, b = (programme_home(tmp_path, pg_database, n) for n in ("festival", "museum"))
        for home in (a, b):
            schedule = home.path / "schedules" / "studi-aperti.toml"
            schedule.write_text("\n".join(
                'platforms = ["youtube", "mastodon"]' if line.startswith("platforms =") else
                'crosspost_delay = "0m"' if line.startswith("crosspost_delay =") else line
                for line in schedule.read_text().splitlines()) + "\n")
            write_private(home.path / "credentials.json",
                          json.dumps(platforms.credentials(home.path)).encode())
            home.env.update(platforms.endpoints())
        use_env(monkeypatch, a)
        a.ok(*add_args(media.video(), "Festival"))
        b.ok(*add_args(media.video(), "Museo"))
        self.a, self.b, self.clock = a, b, clock
        self.pa = programme_id(pg_database, "festival")
        self.pb = programme_id(pg_database, "museum")
        [self.a_id], [self.b_id] = ids_of(a), ids_of(b)
        self.mastodon = platforms.by_name["mastodon"]
        self.harness = WorkerHarness(a, clock)
        self.performed = Performed(monkeypatch)

    def attempts(self) -> int:
        return sum(1 for r in self.mastodon.requests
                   if r.method == "POST" and r.path == "/api/v1/statuses")

    def refused_and_ticked(self) -> dict[str, Any]:
        """A's post refused, four ticks: the job that waits for Mastodon's reset."""
        h, pa = self.harness, self.pa
        h.run(h.tick_and_drain)  # Monday evening: both staged
        self.clock.now = TUESDAY_SLOT + dt.timedelta(minutes=1)
        h.run(h.tick_and_drain)  # both released
        assert [i.state for i in interviews(self.a) + interviews(self.b)] == ["released"] * 2
        self.mastodon.rate_limit_next_post(3600)  # A's post comes first (A's plan first)
        for minute in range(2, 6):  # four ticks, a minute apart
            self.clock.now = TUESDAY_SLOT + dt.timedelta(minutes=minute)
            h.run(h.tick_and_drain)
        assert self.performed.of(pa, "crosspost") == [(pa, "crosspost", self.a_id)], \
            "tried once, no loop"
        assert self.attempts() == 2  # A's refused, B's posted
        assert [i.state for i in interviews(self.b)] == ["published"]
        assert [i.state for i in interviews(self.a)] == ["released"]
        [waiting] = h.jobs("status = 'todo'")
        assert waiting["queueing_lock"] == f"p{pa}:crosspost:{self.a_id}"
        assert TUESDAY_SLOT + dt.timedelta(minutes=55) <= waiting["scheduled_at"] \
            <= TUESDAY_SLOT + dt.timedelta(minutes=65)
        return waiting


@pytest.fixture
def rate_limited(tmp_path: Path, pg_database: str, media: Media, clock: Clock,
                 monkeypatch: pytest.MonkeyPatch) -> Iterator[RateLimited]:
    with SandboxPlatforms(clock=clock) as platforms:
        world = RateLimited(tmp_path, pg_database, media, clock, monkeypatch, platforms)
        try:
            yield world
        finally:
            world.harness.close()


def test_a_programme_rate_limited_by_its_platform_waits_for_the_reset_in_one_job(
        rate_limited: RateLimited, clock: Clock) -> None:
    """A's cross-post job is deferred to Mastodon's reset: the ticks meanwhile neither
    perform it nor send anything more for A, and B's post goes out. At the reset the same
    job posts A's, once."""
    w = rate_limited
    waiting = w.refused_and_ticked()
    clock.now = waiting["scheduled_at"] + dt.timedelta(seconds=1)  # the database's clock
    with w.harness.engine.begin() as conn:                          # reaches it too
        conn.execute(text("UPDATE procrastinate_jobs SET scheduled_at = now() "
                          "WHERE id = :id"), {"id": waiting["id"]})
    w.harness.run(w.harness.drain)
    assert w.performed.of(w.pa, "crosspost") == [(w.pa, "crosspost", w.a_id)] * 2
    assert w.performed.of(w.pb, "crosspost") == [(w.pb, "crosspost", w.b_id)]
    assert w.attempts() == 3
    assert [i.state for i in interviews(w.a)] == ["published"]


def test_publisher_retry_brings_a_waiting_job_forward(rate_limited: RateLimited,
                                                      clock: Clock) -> None:
    """`publisher retry` clears the wait: the next plan runs the job deferred to the reset
    at once (not at the reset), and the post goes out."""
    w = rate_limited
    w.refused_and_ticked()
    plans = w.harness.deployment.programmes_to_plan
    assert plans() == [], "both sleep: A until Mastodon's reset (or the sweep), B idle"
    w.a.ok("retry", w.a_id, "--platform", "mastodon")
    assert plans() == [w.pa], "the retry wakes A: planned at the next tick"
    clock.now = TUESDAY_SLOT + dt.timedelta(minutes=6)
    w.harness.run(w.harness.tick_and_drain)
    assert w.performed.of(w.pa, "crosspost") == [(w.pa, "crosspost", w.a_id)] * 2
    assert w.attempts() == 3
    assert [i.state for i in interviews(w.a)] == ["published"]
    assert w.harness.jobs() == []


# ---- 4. one runner per programme -------------------------------------------------------------

def test_publisher_run_refuses_while_workers_serve_the_database(
        tmp_path: Path, pg_database: str) -> None:
    home = programme_home(tmp_path, pg_database, "festival")
    engine = make_engine(pg_database)
    now = dt.datetime.now(dt.UTC)
    registry.register(engine, "worker:elsewhere:4242:abcd1234", 2, now)
    try:
        run = subprocess.run(
            [sys.executable, "-m", "publisher", "--home", str(home.path), "--db", pg_database,
             "run"], env={**os.environ, **home.env}, capture_output=True, text=True,
            timeout=120)
        assert run.returncode == 4, run.stdout + run.stderr
        said = run.stdout + run.stderr
        assert "worker` processes serve this home's database" in said
        assert "by workers or by one" in said and "never both" in said
        assert f"pid {os.getpid()} on {socket.gethostname()}" in said  # registered here
        pid = programme_id(pg_database, "festival")
        with pytest.raises(WorkersServeThisProgramme), transaction(engine, pid) as s:
            claim(s, "daemon:here:1:aaaa0000", now)
        registry.stopped(engine, "worker:elsewhere:4242:abcd1234", now)  # a clean stop
        with transaction(engine, pid) as s:
            claim(s, "daemon:here:1:aaaa0000", now)  # now a daemon may run it
        with transaction(engine, pid) as s:
            assert state.get(s, "daemon")["owner"] == "daemon:here:1:aaaa0000"
    finally:
        engine.dispose()


def test_workers_leave_alone_a_programme_whose_daemon_is_alive(
        tmp_path: Path, pg_database: str, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = programme_home(tmp_path, pg_database, "festival"), programme_home(tmp_path, pg_database,
                                                                        "museum")
    for home in (a, b):
        connect(home, yt)
    use_env(monkeypatch, a)
    a.ok(*add_args(media.video(), "Festival"))
    b.ok(*add_args(media.video(), "Museo"))
    [a_id] = ids_of(a)
    pa = programme_id(pg_database, "festival")
    engine = make_engine(pg_database)
    daemon = f"daemon:{socket.gethostname()}:{os.getpid()}:d43m0n00"  # a live process
    with transaction(engine, pa) as s:
        state.put(s, "daemon", {"owner": daemon, "started_at": MONDAY_EVENING.isoformat(),
                                "heartbeat": MONDAY_EVENING.isoformat(), "next_wake": None},
                  MONDAY_EVENING)
    harness = WorkerHarness(a, clock)
    performed = Performed(monkeypatch)
    stage_a = Work(WorkKind.STAGE, a_id, dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC))

    async def defer_a_step() -> None:  # deferred before the daemon started, say
        await tasks.defer_once(harness.app, "publisher.stage",
                               lock=tasks.queueing_lock(pa, stage_a),
                               queue=tasks.UPLOADS_QUEUE, programme_id=pa,
                               work=stage_a.to_json())

    try:
        harness.run(harness.tick_and_drain, defer_a_step, harness.drain)
        assert performed.of(pa) == [], "neither planned nor performed for A"
        assert [i.state for i in interviews(a)] == ["queued"]
        assert [i.state for i in interviews(b)] == ["staged"]  # B is served
        assert [v.title for v in yt.videos.values()] == ["Museo"]

        with transaction(engine, pa) as s:  # the daemon stops: the workers take A over
            state.put(s, "daemon", {**state.get(s, "daemon"),
                                    "stopped_at": MONDAY_EVENING.isoformat()}, MONDAY_EVENING)
        harness.run(harness.tick_and_drain)
    finally:
        harness.close()
        engine.dispose()
    assert [i.state for i in interviews(a)] == ["staged"]


# ---- 5. status: who holds what -------------------------------------------------------------

def test_status_names_the_workers_and_who_holds_what_since_when(
        tmp_path: Path, pg_database: str, media: Media) -> None:
    home = programme_home(tmp_path, pg_database, "festival")
    home.ok(*add_args(media.video(), "Festival"))
    home.ok(*add_args(media.video(), "Seconda"))
    iid, other = ids_of(home)
    engine = make_engine(pg_database)
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    live = registry.new_name()
    registry.register(engine, live, 3, now - dt.timedelta(minutes=30))
    registry.beat(engine, live, now - dt.timedelta(seconds=20))
    with engine.begin() as conn:  # killed on another machine: it beat 10 minutes ago
        conn.execute(text(
            "INSERT INTO workers (name, host, pid, concurrency, started_at, heartbeat_at) "
            "VALUES ('worker:lost-host:999:deadbeef', 'lost-host', 999, 2, :s, :b)"),
            {"s": (now - dt.timedelta(hours=1)).replace(tzinfo=None),
             "b": (now - dt.timedelta(minutes=10)).replace(tzinfo=None)})
    registry.register(engine, "worker:old:7:cafe0000", 1, now - dt.timedelta(hours=2))
    registry.stopped(engine, "worker:old:7:cafe0000", now - dt.timedelta(hours=1))
    taken = now - dt.timedelta(minutes=4)
    owner = leases.new_owner("worker")  # a job of the live worker (this process)
    with transaction(engine, programme_id(pg_database, "festival")) as s:
        assert leases.claim(s, iid, owner, taken, ttl=dt.timedelta(minutes=10))
        leases.renew(s, iid, owner, now, ttl=dt.timedelta(minutes=10))  # since: unchanged
        assert leases.claim(s, other, "daemon:elsewhere:77:abcdabcd", now)  # not a worker
    engine.dispose()

    doc = json.loads(home.run("status", "--json").stdout)
    workers = {w["name"]: w for w in doc["workers"]}
    assert set(workers) == {live, "worker:lost-host:999:deadbeef"}  # not the stopped one
    assert workers[live]["alive"] is True
    assert (workers[live]["host"], workers[live]["pid"]) == (socket.gethostname(),
                                                             os.getpid())
    assert 20 <= workers[live]["heartbeat_age_s"] < 120
    lost = workers["worker:lost-host:999:deadbeef"]
    assert lost["alive"] is False and lost["heartbeat_age_s"] >= 600
    held, by_daemon = doc["leases"]
    assert (by_daemon["interview_id"], by_daemon["worker"]) == (other, None)
    assert (held["interview_id"], held["worker"], held["holder"]) == (iid, live, owner)
    assert dt.datetime.fromisoformat(held["since"]) == taken
    assert held["doing"] == "starting its upload"

    shown = home.run("status").stdout
    assert "Workers: 1 alive, 1 silent" in shown
    assert f"pid {os.getpid()} on {socket.gethostname()} ({live}): last heartbeat" in shown
    assert "pid 999 on lost-host" in shown and "SILENT: no heartbeat for" in shown
    assert (f"{iid} Festival: starting its upload, held by pid {os.getpid()} on "
            f"{socket.gethostname()} since") in shown
    assert f"{other} Seconda: starting its upload, held by daemon pid 77 on elsewhere" in shown


def test_a_rehearsal_copy_leaves_the_real_workers_out(tmp_path: Path, pg_database: str) -> None:
    """`run --sandbox` copies the programme's rows into a database of its own: not the real
    workers, or its rehearsal daemon would refuse to start while they serve the real one."""
    from publisher.sandbox.run import copy_queue

    home = programme_home(tmp_path, pg_database, "festival")
    engine = make_engine(pg_database)
    now = dt.datetime.now(dt.UTC)
    registry.register(engine, registry.new_name(), 2, now)
    engine.dispose()
    box = f"sqlite:///{tmp_path / 'box' / 'publisher.db'}"
    copy_queue(home.db_url, box, programme_id(pg_database, "festival"), "festival")
    copy = make_engine(box)
    try:
        with copy.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM workers")).scalar() == 0
            copy_id = conn.execute(text("SELECT id FROM programmes")).scalar_one()
        with transaction(copy, copy_id) as s:
            claim(s, "daemon:here:1:aaaa0000", now)  # the rehearsal daemon may run
    finally:
        copy.dispose()
