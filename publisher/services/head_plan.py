"""The plan of the console's pages, read from the head of the queue.

`upcoming` (publisher/pipeline/planning.py) reads and plans every queued interview: with
10,000 of them that costs more than a page may take. A page shows a year of slots at most,
and a year of slots takes at most a few hundred interviews, so this makes the same `Plan`
from a `QueueSnapshot` (the interviews holding a recent slot, and the first queued ones in
queue order that may go before the horizon's end), reading a longer head when the snapshot
cannot be sure, as run_due does. Beside the snapshot it reads, with small indexed queries,
what the whole-queue plan shows that the head may lack:

* per schedule column, the queued interview with the earliest not-before after the
  horizon's end: the "waiting: the next interview is not before …" of an empty slot names
  its date;
* every queued interview whose schedule does not exist (or that has none and no default):
  the plan's notes name each;
* the ids of the held interviews (`plan.held`).

So `entries`, `notes`, `held` and `runs_dry()` are those of `upcoming(…)` with the same
arguments (tests/test_head_plan.py compares them on random queues); `unplaced` holds only
the interviews read, not every one beyond the horizon.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import false, func, or_, select

from publisher.cadence import Plan, PlanItem, make_plan, schedule_of
from publisher.pipeline.planning import FIRST_READ, PlanningContext, read_snapshot
from publisher.store.models import Interview, State

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from publisher.app import App

_QUEUED, _HELD = State.QUEUED.value, State.HELD.value
_COLUMNS = (Interview.id, Interview.title, Interview.position, Interview.schedule,
            Interview.not_before)


def head_plan(session: Session, context: PlanningContext, now: dt.datetime,
              horizon: dt.timedelta, *, quota: bool = False, first_read: int = FIRST_READ
              ) -> Plan:
    """`upcoming(session, context, now, horizon, quota=quota)`'s plan, read from the head
    of the queue (module docstring); `first_read`: the length of the first head read."""
    until = now + horizon
    extras = [*_after(session, until), *_lost(session, context)]
    held = list(session.scalars(select(Interview.id).where(Interview.state == _HELD)
                                .order_by(Interview.position, Interview.id)))
    limit = first_read
    while True:
        snapshot = read_snapshot(session, now, until, limit)
        items = list({i.id: i for i in (*extras, *snapshot.committed, *snapshot.head)
                      }.values())
        plan = make_plan(context.schedules, items, now, horizon,
                         default_schedule=context.config.campaign.default_schedule,
                         daily_uploads=context.config.youtube.daily_uploads if quota
                         else None)
        if snapshot.whole or not plan.runs_short():
            plan.held = held
            return plan
        limit *= 4  # a head too short to be sure: read a longer one


def plan_ahead_fast(app: App, now: dt.datetime, horizon: dt.timedelta) -> Plan:
    """`services.planning.plan_ahead`'s plan (within YouTube's daily quota), from the head
    of the queue."""
    with app.transaction() as session:
        return head_plan(session, app, now, horizon, quota=True)


def _after(session: Session, until: dt.datetime) -> list[PlanItem]:
    """For each schedule column, the queued interview with the earliest not-before after
    `until` (first in queue order among equals): it is placed in no slot up to `until`,
    but an empty slot's note names its date."""
    firsts = session.execute(
        select(Interview.schedule, func.min(Interview.not_before))
        .where(Interview.state == _QUEUED, Interview.not_before > until)
        .group_by(Interview.schedule)).all()
    out = []
    for schedule, first in firsts:
        same = Interview.schedule.is_(None) if schedule is None else \
            Interview.schedule == schedule
        row = session.execute(select(*_COLUMNS).where(
            Interview.state == _QUEUED, same, Interview.not_before == first)
            .order_by(Interview.position, Interview.id).limit(1)).one()
        out.append(PlanItem(*row))
    return out


def _lost(session: Session, context: PlanningContext) -> list[PlanItem]:
    """The queued interviews that follow no existing schedule (the plan notes each)."""
    names = session.scalars(select(Interview.schedule).where(Interview.state == _QUEUED)
                            .distinct()).all()
    default = context.config.campaign.default_schedule
    bad = [n for n in names
           if schedule_of(PlanItem(0, "", 0, n), context.schedules, default)
           not in context.schedules]
    if not bad:
        return []
    named = [n for n in bad if n is not None]
    test = or_(Interview.schedule.in_(named),
               Interview.schedule.is_(None) if None in bad else false())
    return [PlanItem(*r) for r in session.execute(
        select(*_COLUMNS).where(Interview.state == _QUEUED, test))]
