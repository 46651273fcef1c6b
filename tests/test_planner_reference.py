"""The planner gives exactly the plan of its first, simple version, on random queues.

`reference_plan` below is `make_plan` as it was before the waiting line (cadence.WaitingLine):
every slot scanned the waiting list for the first interview whose not-before had come, and
an empty slot took a min() over it. Slow (slots × interviews), obviously right: the fast
planner must agree with it on every entry, note and unplaced interview.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from publisher.cadence import (
    _PACIFIC,
    Plan,
    PlanEntry,
    PlanItem,
    WaitingLine,
    lead_time_notes,
    make_plan,
    schedule_of,
    slot_times,
)
from publisher.schedules import Blackout, Schedule, Slot

UTC = dt.UTC


def reference_plan(schedules: dict[str, Schedule], items: Sequence[PlanItem],
                   now: dt.datetime, horizon: dt.timedelta, *,
                   default_schedule: str | None = None, since: dt.datetime | None = None,
                   daily_uploads: int | None = None) -> Plan:
    plan = Plan()
    end = now + horizon
    start = since or now
    uploads: dict[dt.date, int] = {}
    groups: dict[str, list[PlanItem]] = {name: [] for name in schedules}
    for item in sorted(items, key=lambda i: (i.position, i.id)):
        name = schedule_of(item, schedules, default_schedule)
        if name is None or name not in groups:
            plan.notes.append(f"interview {item.id} follows schedule {name!r}, which does not "
                              "exist in schedules/" if name else
                              f"interview {item.id} has no schedule and there is no "
                              "default_schedule in publisher.toml")
            plan.unplaced.append(item)
            continue
        groups[name].append(item)
    for name, schedule in sorted(schedules.items()):
        plan.notes += lead_time_notes(schedule)
        plan.entries += _reference_schedule(schedule, groups[name], start, now, end, plan,
                                            uploads, daily_uploads)
    plan.entries.sort(key=lambda e: (e.slot.at, e.slot.schedule))
    return plan


def _reference_schedule(schedule: Schedule, queue: list[PlanItem], start: dt.datetime,
                        now: dt.datetime, end: dt.datetime, plan: Plan,
                        uploads: dict[dt.date, int], daily_uploads: int | None
                        ) -> Iterable[PlanEntry]:
    taken = {item.slot_at: item for item in queue if item.slot_at is not None}
    waiting = [item for item in queue if item.slot_at is None]
    per_week: dict[tuple[int, int], int] = {}
    out = []
    slots = list(slot_times(schedule, start - dt.timedelta(days=7), end))
    for slot in slots:
        if slot.at in taken and slot.at <= start:
            per_week[slot.week] = per_week.get(slot.week, 0) + 1
    for slot in (s for s in slots if s.at > start):
        upload_at = max(now, slot.at - schedule.lead_time)
        if slot.at in taken:
            per_week[slot.week] = per_week.get(slot.week, 0) + 1
            out.append(PlanEntry(slot, upload_at, taken[slot.at], "committed"))
            continue
        if slot.blackout is not None:
            out.append(PlanEntry(slot, upload_at, None, "blackout"))
            continue
        used = per_week.get(slot.week, 0)
        if used >= schedule.per_week:
            out.append(PlanEntry(slot, upload_at, None,
                                 f"weekly limit reached ({schedule.per_week} a week)"))
            continue
        pick = next((i for i, item in enumerate(waiting)
                     if item.not_before is None or item.not_before <= slot.at), None)
        if pick is None:
            if waiting:
                first = min(w.not_before for w in waiting if w.not_before is not None)
                out.append(PlanEntry(slot, upload_at, None,
                                     f"waiting: the next interview is not before "
                                     f"{first.astimezone(slot.local.tzinfo):%Y-%m-%d %H:%M}"))
            else:
                out.append(PlanEntry(slot, upload_at, None, "no interview left in the queue"))
            continue
        quota_day = upload_at.astimezone(_PACIFIC).date()
        if daily_uploads is not None and uploads.get(quota_day, 0) >= daily_uploads:
            out.append(PlanEntry(slot, upload_at, None,
                                 f"YouTube's upload quota for {quota_day} is already planned "
                                 f"full ({daily_uploads} a day)"))
            continue
        uploads[quota_day] = uploads.get(quota_day, 0) + 1
        item = waiting.pop(pick)
        per_week[slot.week] = used + 1
        out.append(PlanEntry(slot, upload_at, item, slot.dst_note))
    plan.unplaced += waiting
    return out


# --- random cases ------------------------------------------------------------------------------

# Around the spring-forward night in Rome (2026-03-29): a 02:30 slot is moved to 03:30, after
# a 03:15 slot of the same night, so slots do not always come in time order.
NOW = dt.datetime(2026, 3, 20, 9, 0, tzinfo=UTC)
TIMES = (dt.time(2, 30), dt.time(3, 15), dt.time(9, 0), dt.time(18, 0), dt.time(20, 0))


def random_schedule(rng: random.Random, name: str) -> Schedule:
    days = [6, *rng.sample(range(6), 2)]  # Sunday: the night clocks spring forward
    slots = rng.sample([Slot(day, t) for day in days for t in TIMES], rng.randint(1, 6))
    if rng.random() < 0.3:
        slots.sort(key=lambda s: (s.weekday, s.time))  # as schedules.py gives them
    blackouts = ()
    if rng.random() < 0.4:
        first = (NOW + dt.timedelta(days=rng.randint(0, 40))).date()
        blackouts = (Blackout(first, first + dt.timedelta(days=rng.randint(0, 10))),)
    return Schedule(name=name, path=Path(f"{name}.toml"),
                    timezone=rng.choice(("Europe/Rome", "America/New_York", "UTC")),
                    slots=tuple(slots), per_week=rng.randint(1, len(slots)),
                    blackouts=blackouts, lead_time=dt.timedelta(hours=rng.choice((1, 24, 200))))


def random_items(rng: random.Random, n: int, names: list[str],
                 slot_ats: list[dt.datetime]) -> list[PlanItem]:
    out = []
    for i in range(1, n + 1):
        not_before = None
        if rng.random() < 0.3:
            not_before = NOW + dt.timedelta(hours=rng.randint(-48, 24 * 60))
        elif slot_ats and rng.random() < 0.5:  # between two slots of a day, or just at one
            not_before = rng.choice(slot_ats) - dt.timedelta(minutes=rng.choice((0, 30, 60)))
        slot_at = None
        if slot_ats and rng.random() < 0.1:
            slot_at = rng.choice(slot_ats)
        schedule = rng.choice([None, None, *names, "gone"])
        out.append(PlanItem(i, f"Intervista {i}", rng.randint(1, n // 2 + 1), schedule,
                            not_before, slot_at))
    rng.shuffle(out)
    return out


@pytest.mark.parametrize("seed", range(400))
def test_the_plan_is_the_reference_plan(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    # The waiting line looks further down the queue by doubling its head: from one interview
    # (so that it grows at nearly every slot), or as in production.
    monkeypatch.setattr(WaitingLine, "FIRST_LOOK", rng.choice((1, 2, 3, 256)))
    names = [f"s{k}" for k in range(rng.randint(1, 3))]
    schedules = {name: random_schedule(rng, name) for name in names}
    horizon = dt.timedelta(days=rng.choice((3, 14, 60)))
    since = NOW - dt.timedelta(hours=rng.choice((0, 6, 100))) if rng.random() < 0.5 else None
    slot_ats = [s.at for sched in schedules.values()
                for s in slot_times(sched, NOW - dt.timedelta(days=8), NOW + horizon)]
    items = random_items(rng, rng.choice((0, 1, 5, 40, 200)), names, slot_ats)
    kwargs = {"default_schedule": rng.choice([None, *names]), "since": since,
              "daily_uploads": rng.choice((None, 1, 2, 100))}
    fast = make_plan(schedules, items, NOW, horizon, **kwargs)  # type: ignore[arg-type]
    slow = reference_plan(schedules, items, NOW, horizon, **kwargs)  # type: ignore[arg-type]
    assert fast.entries == slow.entries
    assert fast.notes == slow.notes
    assert fast.unplaced == slow.unplaced


def test_the_random_cases_include_slots_out_of_time_order() -> None:
    """Out-of-order slots (the rare path of WaitingLine) are among the cases compared."""
    out_of_order = 0
    for seed in range(400):
        rng = random.Random(seed)
        names = [f"s{k}" for k in range(rng.randint(1, 3))]
        for sched in (random_schedule(rng, name) for name in names):
            times = [s.at for s in slot_times(sched, NOW, NOW + dt.timedelta(days=60))]
            out_of_order += times != sorted(times)
    assert out_of_order >= 100


def test_slots_out_of_time_order_take_the_first_ready_interview() -> None:
    """A later slot asked first moves a dated interview into the ready heap; an earlier slot
    asked next must not take it, but the first interview ready at its own time."""
    early, late = NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=2)
    line = WaitingLine([PlanItem(1, "a", 1, not_before=late),
                        PlanItem(2, "b", 2, not_before=early),
                        PlanItem(3, "c", 3)])
    assert line.first_ready(late) == 0
    assert line.first_ready(early) == 1
    assert line.take(1).id == 2
    assert line.first_ready(NOW) == 2
    assert line.take(2).id == 3
    assert line.first_ready(NOW) is None
    assert line.earliest_not_before() == late
    assert [i.id for i in line.remaining()] == [1]


def test_the_waiting_line_looks_only_as_far_down_the_queue_as_it_needs() -> None:
    """Slots filled from the head of a long line never look at its tail; a slot that the
    head cannot fill looks further, down to the whole line."""
    soon, later = NOW + dt.timedelta(days=1), NOW + dt.timedelta(days=30)
    items = [PlanItem(i, "x", i, not_before=later if i < 900 else soon)
             for i in range(1, 1001)]
    items[3] = PlanItem(4, "x", 4)
    line = WaitingLine(items)
    assert line.first_ready(NOW) == 3
    assert line.seen == WaitingLine.FIRST_LOOK
    line.take(3)
    assert line.first_ready(NOW) is None
    assert line.seen == len(items)
    assert line.earliest_not_before() == soon
    assert line.first_ready(soon) == 899
    assert line.first_ready(later) == 0
