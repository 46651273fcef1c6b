"""Leases on both databases, including two processes racing for the same interviews."""

from __future__ import annotations

import datetime as dt
import multiprocessing

import pytest

from publisher.leases import LeaseLost, claim, guarded_update, release, renew
from publisher.store.db import make_engine
from publisher.store.migrate import upgrade
from publisher.store.models import Interview
from tests.helpers.scoped import Session

T0 = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)


def _seed(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        for i in range(1, n + 1):
            session.add(Interview(
                position=i, state="queued", video_path=f"/v/{i}.mp4", video_size=1,
                video_sha256=f"{i:064x}", video_duration_s=1.0, video_width=1,
                video_height=1, video_codec="h264", container_format="mp4", title=f"t{i}",
                description="", hashtags=[], language="it"))
    engine.dispose()


def test_claim_renew_release_and_takeover(db_url: str) -> None:
    _seed(db_url, 1)
    engine = make_engine(db_url)
    ttl = dt.timedelta(minutes=5)
    with Session(engine) as s, s.begin():
        assert claim(s, 1, "a", T0, ttl)
        assert claim(s, 1, "a", T0, ttl)  # re-entrant for the holder
    with Session(engine) as s, s.begin():
        assert not claim(s, 1, "b", T0 + dt.timedelta(minutes=1), ttl)
    with Session(engine) as s, s.begin():
        renew(s, 1, "a", T0 + dt.timedelta(minutes=4), ttl)
    with Session(engine) as s, s.begin():  # renewed: still not expired at +6 min
        assert not claim(s, 1, "b", T0 + dt.timedelta(minutes=6), ttl)
    with Session(engine) as s, s.begin():  # expired at +10 min: b takes over
        assert claim(s, 1, "b", T0 + dt.timedelta(minutes=10), ttl)
    with Session(engine) as s, s.begin(), pytest.raises(LeaseLost):
        guarded_update(s, 1, "a", state="staging")
    with Session(engine) as s, s.begin():
        release(s, 1, "a")  # not ours any more: changes nothing
        assert s.get(Interview, 1).lease_owner == "b"  # type: ignore[union-attr]
        release(s, 1, "b")
        assert s.get(Interview, 1).lease_owner is None  # type: ignore[union-attr]
    engine.dispose()


def _race(url: str, owner: str, n: int, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    engine = make_engine(url)
    won = []
    for i in range(1, n + 1):
        with Session(engine) as s, s.begin():
            if claim(s, i, owner, T0):
                won.append(i)
    engine.dispose()
    queue.put((owner, won))


@pytest.mark.slow
def test_two_processes_never_claim_the_same_interview(db_url: str) -> None:
    n = 40
    _seed(db_url, n)
    ctx = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_race, args=(db_url, f"w{k}", n, results)) for k in range(2)]
    for p in procs:
        p.start()
    got = dict(results.get(timeout=60) for _ in procs)
    for p in procs:
        p.join(timeout=30)
    claimed = got["w0"] + got["w1"]
    assert sorted(claimed) == list(range(1, n + 1)), "each interview claimed exactly once"



def test_a_dead_holder_on_this_host_is_taken_over(db_url: str) -> None:
    import subprocess
    import sys

    from publisher.leases import holder_is_dead, new_owner

    _seed(db_url, 1)
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = new_owner("worker").rsplit(":", 2)[0] + f":{proc.stdout.strip()}:deadbeef"
    assert holder_is_dead(dead)
    assert not holder_is_dead(new_owner("worker"))  # ourselves
    assert not holder_is_dead("worker:another-host:1:abc")
    engine = make_engine(db_url)
    later = T0 + dt.timedelta(minutes=1)
    with Session(engine) as s, s.begin():
        assert claim(s, 1, dead, T0, dt.timedelta(hours=1))
    with Session(engine) as s, s.begin():  # unexpired, but its process is gone: taken over
        assert claim(s, 1, new_owner("worker"), later)
    with Session(engine) as s, s.begin():  # a live holder elsewhere keeps its lease
        assert claim(s, 1, "worker:another-host:1:abc", later, dt.timedelta(hours=1)) is False
    engine.dispose()
