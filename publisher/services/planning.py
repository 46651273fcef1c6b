"""The plan as `publisher plan` and `publisher upload` ask for it (the query itself is
publisher/pipeline/planning.py's `upcoming`, which the pipeline shares)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.cadence import Plan


def plan_ahead(app: App, now: dt.datetime, horizon: dt.timedelta) -> Plan:
    """The slots from now to now + horizon and the interview each gets, within YouTube's
    daily upload quota, as the daemon will follow them."""
    from publisher.pipeline.planning import upcoming

    with app.transaction() as session:
        return upcoming(session, app, now, horizon, quota=True)


def unconfigured_platforms(app: App) -> list[str]:
    """Platforms a schedule posts to that credentials.json does not configure (their posts
    are skipped), sorted."""
    used = {p for sched in app.schedules.values() for p in sched.platforms if p != "youtube"}
    return sorted(p for p in used if not app.credentials.configured(p))


def planned_slot(app: App, interview_id: int, now: dt.datetime) -> dt.datetime | None:
    """The slot the plan gives this interview (searching a year ahead); an interview whose
    upload already started keeps the slot it started with."""
    from publisher.errors import InputError
    from publisher.services.head_plan import head_plan
    from publisher.store.models import Interview, State

    with app.transaction() as session:
        item = session.get(Interview, interview_id)
        if item is None:
            raise InputError(f"there is no interview {interview_id} (see `publisher queue "
                             "list`)")
        if item.state == State.STAGING.value:
            return item.slot_at  # resuming: keep the slot it started with
        if item.state != State.QUEUED.value:
            raise InputError(f"interview {interview_id} is {item.state}: only queued "
                             "interviews can be uploaded")
        plan = head_plan(session, app, now, dt.timedelta(weeks=52), quota=True)
    for entry in plan.entries:
        if entry.interview is not None and entry.interview.id == interview_id:
            return entry.slot.at
    raise InputError(f"interview {interview_id} has no slot in the coming year (see "
                     "`publisher plan --weeks 52`); nothing was uploaded")
