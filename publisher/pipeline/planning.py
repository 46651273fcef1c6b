"""The planner query: the plan for a horizon, from the database, the schedules and `now`.

Everything that asks "which interview goes out in which slot" (`plan`, `status`, `upload`,
`doctor`, the daily chores) asks `upcoming`, so they all see the same plan. run_due, at every
wake-up of the daemon, asks `planned` of a `QueueSnapshot`: the same filled slots, from a
read of the head of the queue only (below).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from publisher.cadence import Plan, PlanEntry, PlanItem, make_plan
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


_QUEUED, _HELD, _CANCELLED = State.QUEUED.value, State.HELD.value, State.CANCELLED.value


def _plan_items(session: Session, now: dt.datetime) -> tuple[list[PlanItem], list[int]]:
    """(items to plan, ids of held interviews). Queued items wait for a slot; items already
    uploading or out hold the slot they were committed to."""
    rows = session.execute(
        select(Interview.id, Interview.title, Interview.position, Interview.schedule,
               Interview.not_before, Interview.state, Interview.slot_at)
        .where(or_(Interview.state.in_([_QUEUED, _HELD]),
                   Interview.slot_at >= now - LOOKBACK))
        .where(Interview.state != _CANCELLED)
        .order_by(Interview.position, Interview.id)).all()
    items = []
    held = []
    for r in rows:
        if r.state == _HELD:
            held.append(r.id)
        elif r.state == _QUEUED:
            items.append(PlanItem(r.id, r.title, r.position, r.schedule, r.not_before))
        else:
            items.append(PlanItem(r.id, r.title, r.position, r.schedule, r.not_before,
                                  slot_at=r.slot_at))
    return items, held


# --- the head of the queue, for run_due ---------------------------------------------------------

#: Queued interviews read at first by a snapshot; four times more each time that is too few.
FIRST_READ = 256


@dataclass(frozen=True)
class QueueSnapshot:
    """What the planner needs for slots up to `until`, read with two indexed queries instead
    of the whole queue: the interviews holding a slot of the last LOOKBACK or later, and the
    first `limit` queued interviews (queue order) whose not-before is not after `until`.

    A slot takes the first interview in queue order that may go then, so a plan made from
    that head of the queue fills every slot exactly as one made from the whole queue, as long
    as no slot that could take an interview found none in the head while more were left
    behind it (an interview dated after `until` never goes before it). `planned` checks
    that, and says when a longer head must be read.
    """

    until: dt.datetime
    limit: int
    committed: tuple[PlanItem, ...]
    head: tuple[PlanItem, ...]

    @property
    def whole(self) -> bool:
        """Every queued interview dated no later than `until` is in the head."""
        return len(self.head) < self.limit


def read_snapshot(session: Session, now: dt.datetime, until: dt.datetime,
                  limit: int = FIRST_READ) -> QueueSnapshot:
    committed = session.execute(
        select(Interview.id, Interview.title, Interview.position, Interview.schedule,
               Interview.not_before, Interview.slot_at)
        .where(Interview.slot_at >= now - LOOKBACK,
               Interview.state.not_in([_QUEUED, _HELD, _CANCELLED]))).all()
    head = session.execute(
        select(Interview.id, Interview.title, Interview.position, Interview.schedule,
               Interview.not_before)
        .where(Interview.state == _QUEUED,
               or_(Interview.not_before.is_(None), Interview.not_before <= until))
        .order_by(Interview.position, Interview.id).limit(limit)).all()
    return QueueSnapshot(until, limit,
                         tuple(PlanItem(*r[:5], slot_at=r.slot_at) for r in committed),
                         tuple(PlanItem(*r) for r in head))


def planned(snapshot: QueueSnapshot, context: PlanningContext, now: dt.datetime,
            horizon: dt.timedelta, *, since: dt.datetime | None = None,
            quota: bool = False) -> list[PlanEntry] | None:
    """The filled slots of `upcoming(…)` with the same arguments (same slots, same
    interviews, same upload times), in time order; None when the snapshot's head of the
    queue is too short to be sure (read a longer one)."""
    if now + horizon > snapshot.until:
        raise ValueError("the snapshot was read for a shorter horizon")
    plan = make_plan(context.schedules, [*snapshot.committed, *snapshot.head], now, horizon,
                     default_schedule=context.config.campaign.default_schedule, since=since,
                     daily_uploads=context.config.youtube.daily_uploads if quota else None)
    if not snapshot.whole and plan.runs_short():
        return None
    return [e for e in plan.entries if e.interview is not None]
