"""run_due plans from the head of the queue (pipeline/planning.py QueueSnapshot): the filled
slots must be exactly those of the plan made from the whole queue (`upcoming`), whatever the
head's length, on random queues in a real database."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from publisher.cadence import PlanEntry
from publisher.pipeline.planning import planned, read_snapshot, upcoming
from publisher.store.db import make_engine, transaction
from publisher.store.models import Interview
from tests.helpers.random_queues import NOW, context, rows
from tests.helpers.scoped import create_all


def filled(entries: list[PlanEntry]) -> list[tuple[Any, ...]]:
    return [(e.slot.at, e.slot.schedule, e.upload_at, e.interview) for e in entries
            if e.interview is not None]


@pytest.mark.parametrize("seed", range(40))
def test_the_head_of_the_queue_plans_as_the_whole_queue(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    create_all(engine)
    ctx = context(rng)
    queue = rows(rng, rng.choice((0, 3, 30, 120)))
    if queue:
        with transaction(engine, 1) as s:
            s.execute(insert(Interview), queue)
    horizon = dt.timedelta(days=rng.choice((1, 3, 9)))
    since = rng.choice((None, NOW - dt.timedelta(hours=6)))
    quota = rng.random() < 0.5
    until = NOW + horizon + dt.timedelta(days=rng.choice((0, 5)))
    with transaction(engine, 1) as s:
        whole = filled(upcoming(s, ctx, NOW, horizon, since=since, quota=quota).entries)
        limit = rng.choice((1, 2, 5))
        while True:
            snapshot = read_snapshot(s, NOW, until, limit)
            got = planned(snapshot, ctx, NOW, horizon, since=since, quota=quota)
            if got is not None:
                break
            limit *= 2
    engine.dispose()
    assert filled(got) == whole


def test_a_head_too_short_is_said_so(tmp_path: Path) -> None:
    """The first queued interview waits for a date after the coming slots; the next one may
    go: a head of one interview cannot plan the slot, and says so; the whole queue can."""
    rng = random.Random(1)
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    create_all(engine)
    ctx = context(rng)
    first, second = rows(rng, 2)
    first.update(state="queued", position=1, schedule="a", slot_at=None,
                 not_before=NOW + dt.timedelta(days=8))
    second.update(state="queued", position=2, schedule="a", slot_at=None, not_before=None)
    with transaction(engine, 1) as s:
        s.execute(insert(Interview), [first, second])
        short = read_snapshot(s, NOW, NOW + dt.timedelta(days=9), limit=1)
        whole = read_snapshot(s, NOW, NOW + dt.timedelta(days=9), limit=3)
    engine.dispose()
    assert planned(short, ctx, NOW, dt.timedelta(days=7)) is None
    got = planned(whole, ctx, NOW, dt.timedelta(days=7))
    assert got and got[0].interview is not None and got[0].interview.id == 2
