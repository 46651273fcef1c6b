"""The planner query: the plan for a horizon, from the database, the schedules and `now`.

Everything that asks "which interview goes out in which slot" (`plan`, `status`, `upload`,
`doctor`, run_due, the daily chores) asks `upcoming`, so they all see the same plan.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from publisher.cadence import Plan, PlanItem, make_plan
from publisher.store.models import Interview, State

if TYPE_CHECKING:
    from publisher.config import Config
    from publisher.schedules import Schedule

# Slots committed this long ago still count toward their week's limit.
LOOKBACK = dt.timedelta(days=8)


class PlanningContext(Protocol):
    """What the planner needs besides the database: the schedules and publisher.toml (an
    App or a Runtime)."""

    @property
    def schedules(self) -> dict[str, Schedule]: ...

    @property
    def config(self) -> Config: ...


def upcoming(session: Session, context: PlanningContext, now: dt.datetime,
             horizon: dt.timedelta, *, since: dt.datetime | None = None,
             quota: bool = False) -> Plan:
    """The slots after `since` (default: now) up to now + horizon, and the queued interview
    each gets, in queue order; interviews already uploading or out keep the slot they were
    committed to. With `quota`, no Pacific day is planned more uploads than [youtube]
    daily_uploads. Held interviews are not planned: their ids are in `plan.held`."""
    items, held = _plan_items(session, now)
    plan = make_plan(context.schedules, items, now, horizon,
                     default_schedule=context.config.campaign.default_schedule, since=since,
                     daily_uploads=context.config.youtube.daily_uploads if quota else None)
    plan.held = held
    return plan


def _plan_items(session: Session, now: dt.datetime) -> tuple[list[PlanItem], list[int]]:
    """(items to plan, ids of held interviews). Queued items wait for a slot; items already
    uploading or out hold the slot they were committed to."""
    rows = session.execute(
        select(Interview.id, Interview.title, Interview.position, Interview.schedule,
               Interview.not_before, Interview.state, Interview.slot_at)
        .where(or_(Interview.state.in_([State.QUEUED.value, State.HELD.value]),
                   Interview.slot_at >= now - LOOKBACK))
        .where(Interview.state != State.CANCELLED.value)
        .order_by(Interview.position, Interview.id)).all()
    items = []
    held = []
    for r in rows:
        if r.state == State.HELD.value:
            held.append(r.id)
        elif r.state == State.QUEUED.value:
            items.append(PlanItem(r.id, r.title, r.position, r.schedule, r.not_before))
        else:
            items.append(PlanItem(r.id, r.title, r.position, r.schedule, r.not_before,
                                  slot_at=r.slot_at))
    return items, held
