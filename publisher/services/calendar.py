"""The calendar as the console shows it: for each day of a range, every cadence's slots with
the interview each gets (or why it stays empty), the blackout days, today, and the day the
queue runs dry.

Slots from now on come from the plan every other view sees (`upcoming`'s, read from the
head of the queue by publisher/services/head_plan.py, a year ahead or to the range's end); slots
already past are the interviews that held them (their `slot_at`). Days are the campaign's
time zone's days.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from publisher.store.models import State

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.cadence import PlanEntry

HORIZON = dt.timedelta(weeks=52)


class SlotKind(enum.StrEnum):
    PLANNED = "planned"          # a queued interview the plan gives this slot
    COMMITTED = "committed"      # an interview uploading, uploaded or out for this slot
    PAST = "past"                # a slot gone by, and the interview that had it
    BLACKOUT = "blackout"        # a blackout day of its cadence: nothing goes out
    RUNS_DRY = "runs_dry"        # empty: no interview left in the queue
    WAITING = "waiting"          # empty: the next interviews are not before a later date
    WEEK_FULL = "week_full"      # empty: the cadence's weekly limit is reached
    QUOTA = "quota"              # empty: YouTube's daily upload quota is planned full


#: The states whose interview can still be moved from the calendar (queue.py decides).
MOVABLE = frozenset({State.QUEUED.value, State.HELD.value, State.STAGING.value,
                     State.NEEDS_ATTENTION.value})


@dataclass(frozen=True)
class CalendarSlot:
    at: dt.datetime              # UTC
    schedule: str
    kind: SlotKind
    interview_id: int | None = None
    title: str | None = None
    state: str | None = None
    note: str | None = None      # the planner's words (a DST note, why it is empty)

    @property
    def movable(self) -> bool:
        return self.interview_id is not None and self.state in MOVABLE


@dataclass
class CalendarDay:
    day: dt.date
    slots: list[CalendarSlot] = field(default_factory=list)
    blackouts: list[tuple[str, str | None]] = field(default_factory=list)  # (schedule, why)
    today: bool = False
    runs_dry: bool = False       # the first slot left empty for want of interviews is today


@dataclass
class Calendar:
    first: dt.date
    last: dt.date
    days: list[CalendarDay]
    today: dt.date
    runs_dry: dt.datetime | None = None
    problem: str | None = None   # why there is no plan (publisher.toml, schedules)


def _kind(entry: PlanEntry) -> SlotKind:
    if entry.interview is not None:
        return SlotKind.COMMITTED if entry.note == "committed" else SlotKind.PLANNED
    note = entry.note or ""
    if note == "blackout":
        return SlotKind.BLACKOUT
    if note.startswith("no interview"):
        return SlotKind.RUNS_DRY
    if note.startswith("waiting"):
        return SlotKind.WAITING
    if note.startswith("weekly limit"):
        return SlotKind.WEEK_FULL
    return SlotKind.QUOTA


def calendar(app: App, first: dt.date, last: dt.date, now: dt.datetime) -> Calendar:
    """Each day from `first` to `last` (in the campaign's time zone) with its slots."""
    from sqlalchemy import select

    from publisher.errors import ConfigError
    from publisher.services.head_plan import plan_ahead_fast
    from publisher.store.models import Interview

    zone = app.zone
    start = dt.datetime.combine(first, dt.time(0, 0), tzinfo=zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(0, 0),
                              tzinfo=zone).astimezone(dt.UTC)
    today = now.astimezone(zone).date()
    days = {first + dt.timedelta(days=i): CalendarDay(first + dt.timedelta(days=i))
            for i in range((last - first).days + 1)}
    cal = Calendar(first, last, list(days.values()), today)
    if today in days:
        days[today].today = True

    def place(slot: CalendarSlot) -> None:
        day = days.get(slot.at.astimezone(zone).date())
        if day is not None:
            day.slots.append(slot)

    if start < now:  # the slots gone by: the interviews that held them
        with app.transaction(needs_config=False) as session:
            for r in session.execute(
                    select(Interview.id, Interview.title, Interview.state, Interview.slot_at,
                           Interview.schedule)
                    .where(Interview.slot_at >= start, Interview.slot_at < min(end, now),
                           Interview.state != State.CANCELLED.value)):
                place(CalendarSlot(r.slot_at, r.schedule or "", SlotKind.PAST, r.id, r.title,
                                   r.state))
    try:
        plan = plan_ahead_fast(app, now, max(HORIZON, end - now))
        schedules = app.schedules
    except ConfigError as exc:
        cal.problem = str(exc)
    else:
        states: dict[int, str] = {}
        ids = {e.interview.id for e in plan.entries if e.interview is not None
               and start <= e.slot.at < end}
        if ids:
            with app.transaction(needs_config=False) as session:
                states = {r.id: r.state for r in session.execute(
                    select(Interview.id, Interview.state).where(Interview.id.in_(ids)))}
        dry = plan.runs_dry()
        cal.runs_dry = dry.slot.at if dry is not None else None
        for entry in plan.entries:
            if not start <= entry.slot.at < end:
                continue
            item = entry.interview
            kind = _kind(entry)
            place(CalendarSlot(
                entry.slot.at, entry.slot.schedule, kind,
                item.id if item else None, item.title if item else None,
                states.get(item.id, State.QUEUED.value) if item else None,
                None if entry.note == "committed" else entry.note))
        if cal.runs_dry is not None:
            dry_day = days.get(cal.runs_dry.astimezone(zone).date())
            if dry_day is not None:
                dry_day.runs_dry = True
        for day in cal.days:
            for name, schedule in sorted(schedules.items()):
                found = next((b for b in schedule.blackouts if b.covers(day.day)), None)
                if found is not None:
                    day.blackouts.append((name, found.reason))
    for day in cal.days:
        day.slots.sort(key=lambda s: (s.at, s.schedule))
    return cal
