"""What the planner is given from the database: queued interviews, and committed slots."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from publisher.cadence import PlanItem
from publisher.store.models import Interview, State

# Slots committed this long ago still count toward their week's limit.
LOOKBACK = dt.timedelta(days=8)


def plan_items(session: Session, now: dt.datetime) -> tuple[list[PlanItem], list[int]]:
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
