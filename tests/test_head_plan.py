"""The console plans from the head of the queue (services/head_plan.py): its plan must be
the whole queue's (`upcoming`) — every slot, filled or empty with the same note, the plan's
notes, the held interviews, the day the queue runs dry — whatever the head's first length,
on random queues in a real database."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import pytest
from sqlalchemy import insert

from publisher.cadence import Plan
from publisher.pipeline.planning import upcoming
from publisher.services.head_plan import head_plan
from publisher.store.db import make_engine, transaction
from publisher.store.models import Interview
from tests.helpers.random_queues import NOW, context, rows
from tests.helpers.scoped import create_all


def shown(plan: Plan) -> tuple[object, ...]:
    dry = plan.runs_dry()
    return ([(e.slot.at, e.slot.schedule, e.upload_at, e.interview, e.note)
             for e in plan.entries], plan.notes, plan.held, dry and dry.slot.at)


@pytest.mark.parametrize("seed", range(40))
def test_the_head_plan_is_the_whole_queues_plan(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    create_all(engine)
    ctx = context(rng)
    queue = rows(rng, rng.choice((0, 3, 30, 120)))
    if queue:
        with transaction(engine, 1) as s:
            s.execute(insert(Interview), queue)
    horizon = dt.timedelta(days=rng.choice((1, 3, 9, 30)))
    quota = rng.random() < 0.5
    with transaction(engine, 1) as s:
        whole = upcoming(s, ctx, NOW, horizon, quota=quota)
        got = head_plan(s, ctx, NOW, horizon, quota=quota, first_read=rng.choice((1, 2, 5)))
    engine.dispose()
    assert shown(got) == shown(whole)
