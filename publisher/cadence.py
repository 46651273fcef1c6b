"""Cadences → dated slots, and the planner behind `publisher plan`.

Slots are wall-clock times in the schedule's IANA zone: "Tuesday 18:00 Europe/Rome" stays
18:00 on the clock across summer time. Two instants need a rule, and each has exactly one:

* a slot inside the **spring-forward gap** (e.g. 02:30 on 2026-03-29 in Rome, a time that
  does not exist) is moved forward by the length of the gap: it happens at 03:30 summer time,
  the instant a clock that was not changed would show 02:30;
* a slot inside the **autumn overlap** (02:30 on 2026-10-25 happens twice) takes the first
  of the two, in summer time, so it is never later than the organizers expect.

Weeks for `per_week` are ISO weeks (Monday to Sunday) in the schedule's zone.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from operator import attrgetter
from zoneinfo import ZoneInfo

from publisher.schedules import Blackout, Schedule, Slot, schedule_name

_PACIFIC = ZoneInfo("America/Los_Angeles")  # YouTube's quotas reset at midnight here


@dataclass(frozen=True)
class SlotTime:
    """One concrete occurrence of a weekly slot."""

    schedule: str
    at: dt.datetime          # aware, UTC
    local: dt.datetime       # aware, in the schedule's zone
    slot: Slot
    dst_note: str | None = None
    blackout: Blackout | None = None

    @property
    def week(self) -> tuple[int, int]:
        iso = self.local.isocalendar()
        return iso.year, iso.week


def resolve_wall_time(day: dt.date, time: dt.time, tz: ZoneInfo) -> tuple[dt.datetime, str | None]:
    """The instant a wall-clock time names on a day, with a note when DST made it ambiguous."""
    naive = dt.datetime.combine(day, time)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    # A time that does not exist does not survive a round trip through UTC.
    back = first.astimezone(dt.UTC).astimezone(tz).replace(tzinfo=None)
    if back != naive:
        moved = first.astimezone(dt.UTC).astimezone(tz)
        return moved, (f"{time:%H:%M} does not exist on {day} (clocks spring forward): "
                       f"moved to {moved:%H:%M %Z}")
    if first.utcoffset() != second.utcoffset():
        return first, (f"{time:%H:%M} happens twice on {day} (clocks fall back): "
                       f"the first, {first:%H:%M %Z}, is used")
    return first, None


def slot_times(schedule: Schedule, start: dt.datetime, end: dt.datetime) -> Iterator[SlotTime]:
    """Every slot occurrence with start < at <= end, in time order, blackouts flagged.

    The schedule's own start and end dates (local days) bound the result too.
    """
    tz = ZoneInfo(schedule.timezone)
    first_day = start.astimezone(tz).date() - dt.timedelta(days=1)
    last_day = end.astimezone(tz).date() + dt.timedelta(days=1)
    if schedule.start and schedule.start > first_day:
        first_day = schedule.start
    if schedule.end and schedule.end < last_day:
        last_day = schedule.end
    by_weekday: dict[int, list[Slot]] = {}
    for slot in schedule.slots:
        by_weekday.setdefault(slot.weekday, []).append(slot)
    day = first_day
    while day <= last_day:
        for slot in by_weekday.get(day.weekday(), ()):
            local, note = resolve_wall_time(day, slot.time, tz)
            at = local.astimezone(dt.UTC)
            if start < at <= end:
                blackout = next((b for b in schedule.blackouts if b.covers(day)), None)
                yield SlotTime(schedule.name, at, local, slot, note, blackout)
        day += dt.timedelta(days=1)


def lead_time_notes(schedule: Schedule) -> list[str]:
    """Lead times longer than the gap between slots are fine, and worth knowing about."""
    if len(schedule.slots) < 2 and schedule.lead_time <= dt.timedelta(days=7):
        return []
    minutes = sorted(s.weekday * 1440 + s.time.hour * 60 + s.time.minute
                     for s in schedule.slots)
    gaps = [(b - a) for a, b in zip(minutes, [*minutes[1:], minutes[0] + 7 * 1440],
                                    strict=True)]
    shortest = dt.timedelta(minutes=min(gaps))
    if schedule.lead_time > shortest:
        return [f"schedule {schedule.name}: the lead time ({_hours(schedule.lead_time)}) is "
                f"longer than the shortest gap between slots ({_hours(shortest)}): the next "
                "video is uploaded before the previous one is released; YouTube keeps both "
                "private until their publishAt"]
    return []


def _hours(delta: dt.timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h"


# --- the planner ------------------------------------------------------------------------------

# The notes of a slot that could take an interview and found none.
WAITING = "waiting: the next interview is not before"
NONE_LEFT = "no interview left in the queue"


@dataclass(frozen=True)
class PlanItem:
    """What the planner needs to know about a queued interview."""

    id: int
    title: str
    position: int
    schedule: str | None = None
    not_before: dt.datetime | None = None
    slot_at: dt.datetime | None = None  # already committed to this slot (uploading or later)


@dataclass(frozen=True)
class PlanEntry:
    slot: SlotTime
    upload_at: dt.datetime
    interview: PlanItem | None = None
    note: str | None = None


@dataclass
class Plan:
    entries: list[PlanEntry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unplaced: list[PlanItem] = field(default_factory=list)  # queued, but not within the horizon
    held: list[int] = field(default_factory=list)  # ids of held interviews: never planned

    def runs_short(self) -> bool:
        """Whether a slot that could take an interview found none waiting that may go then
        (its note says "waiting" or "no interview left")."""
        return any(e.interview is None and e.note is not None
                   and e.note.startswith((WAITING, NONE_LEFT)) for e in self.entries)

    def runs_dry(self) -> PlanEntry | None:
        """The first slot left empty because nothing was left to publish."""
        return next((e for e in self.entries if e.interview is None
                     and e.note is not None and e.note.startswith(NONE_LEFT)), None)


def schedule_of(item: PlanItem, schedules: dict[str, Schedule], default: str | None
                ) -> str | None:
    """The schedule an interview follows: its own, the campaign's default, or the only one."""
    return schedule_name(item.schedule, schedules, default)


def make_plan(schedules: dict[str, Schedule], items: Sequence[PlanItem], now: dt.datetime,
              horizon: dt.timedelta, *, default_schedule: str | None = None,
              since: dt.datetime | None = None, daily_uploads: int | None = None) -> Plan:
    """Assign queued interviews (in queue order) to the slots of their schedule after `since`
    (default: now) and up to now + horizon.

    Items with `slot_at` already hold that slot (they are being uploaded or are out) and
    count toward its week. Respects not-before dates (an interview waits, the next one may go
    first), blackouts, each schedule's per-week limit and its start and end dates.
    """
    plan = Plan()
    end = now + horizon
    start = since or now
    uploads: dict[dt.date, int] = {}  # planned uploads per Pacific day (YouTube's quota day)
    groups: dict[str, list[PlanItem]] = {name: [] for name in schedules}
    names: dict[str | None, str | None] = {}  # an interview's schedule → the one it follows
    for item in sorted(items, key=attrgetter("position", "id")):
        if item.schedule not in names:
            names[item.schedule] = schedule_of(item, schedules, default_schedule)
        name = names[item.schedule]
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
        plan.entries += _plan_schedule(schedule, groups[name], start, now, end, plan,
                                       uploads, daily_uploads)
    plan.entries.sort(key=lambda e: (e.slot.at, e.slot.schedule))
    return plan


def _plan_schedule(schedule: Schedule, queue: list[PlanItem], start: dt.datetime,
                   now: dt.datetime, end: dt.datetime, plan: Plan,
                   uploads: dict[dt.date, int], daily_uploads: int | None
                   ) -> Iterable[PlanEntry]:
    taken = {item.slot_at: item for item in queue if item.slot_at is not None}
    waiting = WaitingLine([item for item in queue if item.slot_at is None])
    per_week: dict[tuple[int, int], int] = {}
    out = []
    slots = list(slot_times(schedule, start - dt.timedelta(days=7), end))
    for slot in slots:  # committed slots of the current weeks count toward their limit
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
        pick = waiting.first_ready(slot.at)
        if pick is None:
            first = waiting.earliest_not_before()
            if first is not None:
                local = first.astimezone(slot.local.tzinfo)
                out.append(PlanEntry(slot, upload_at, None, f"{WAITING} {local:%Y-%m-%d %H:%M}"))
            else:
                out.append(PlanEntry(slot, upload_at, None, NONE_LEFT))
            continue
        quota_day = upload_at.astimezone(_PACIFIC).date()
        if daily_uploads is not None and uploads.get(quota_day, 0) >= daily_uploads:
            out.append(PlanEntry(slot, upload_at, None,
                                 f"YouTube's upload quota for {quota_day} is already planned "
                                 f"full ({daily_uploads} a day)"))
            continue
        uploads[quota_day] = uploads.get(quota_day, 0) + 1
        item = waiting.take(pick)
        per_week[slot.week] = used + 1
        out.append(PlanEntry(slot, upload_at, item, slot.dst_note))
    plan.unplaced += waiting.remaining()
    return out


class WaitingLine:
    """The interviews waiting for a slot, in queue order, some with a not-before date.

    A slot takes the first interview in queue order whose not-before has come. Asked slot
    after slot, that costs O(log n) each, not a scan of the whole line (a season imported
    ahead, every interview with a date, made planning grow as slots × interviews):

    * Only the head of the line is looked at (`seen`), as far as the answers need: it grows
      by doubling when the head holds no interview ready, so a plan that fills its slots
      from the first few hundred interviews never sorts the other tens of thousands.
    * Within the head, `ready` is a heap of the queue indexes whose not-before had come at
      the latest instant asked so far; `pending` the others, by not-before, moved into
      `ready` as the instants asked pass their dates.
    * Slots come in time order, except rarely (a slot moved forward by a DST gap past the
      next one): an instant before the latest one asked may find in `ready` interviews whose
      date is still ahead of it; those are set aside while looking and put back, so the
      answer is exactly the first interview ready at that instant.
    """

    FIRST_LOOK = 256  # interviews in the first head looked at

    def __init__(self, items: list[PlanItem]) -> None:
        self.items = items
        self.seen = 0  # items[:seen] are in `ready`, in `pending` or taken
        self.latest: dt.datetime | None = None  # the latest instant asked
        self.ready: list[int] = []
        self.pending: list[int] = []
        self.pending_dates: list[dt.datetime] = []
        self.next_pending = 0  # pending[:next_pending] have been moved into `ready`
        self.taken: set[int] = set()

    def first_ready(self, at: dt.datetime) -> int | None:
        """The queue index of the first interview whose not-before is not after `at`."""
        latest = self.latest = at if self.latest is None else max(self.latest, at)
        while True:
            found = self._first_ready_seen(at, latest)
            if found is not None or not self._look_further():
                return found

    def _look_further(self) -> bool:
        """Bring the next stretch of the line (as long as the head, at least FIRST_LOOK)
        into the head; False when the whole line already is."""
        start, items, latest = self.seen, self.items, self.latest
        if start >= len(items):
            return False
        self.seen = stop = min(len(items), max(self.FIRST_LOOK, 2 * start))
        come: list[int] = []
        dates: dict[int, dt.datetime] = {}
        for index in range(start, stop):
            not_before = items[index].not_before
            if not_before is None or (latest is not None and not_before <= latest):
                come.append(index)
            else:
                dates[index] = not_before
        # Every index in `come` is above all those in the heap: appended in order, a heap.
        self.ready += come
        if dates:
            dates.update(zip(self.pending[self.next_pending:],
                             self.pending_dates[self.next_pending:], strict=True))
            self.pending = sorted(dates, key=dates.__getitem__)
            self.pending_dates = [dates[i] for i in self.pending]
            self.next_pending = 0
        return True

    def _first_ready_seen(self, at: dt.datetime, latest: dt.datetime) -> int | None:
        """`first_ready` within the head."""
        pending, ready, taken, items = self.pending, self.ready, self.taken, self.items
        n = self.next_pending
        come = bisect.bisect_right(self.pending_dates, latest, lo=n)
        for index in pending[n:come]:
            heapq.heappush(ready, index)
        self.next_pending = come
        set_aside = []
        found = None
        while ready:
            index = ready[0]
            if index in taken:  # take() leaves it in the heap: dropped when it comes up
                heapq.heappop(ready)
                continue
            not_before = items[index].not_before
            if not_before is None or not_before <= at:
                found = index
                break
            set_aside.append(heapq.heappop(ready))
        for index in set_aside:
            heapq.heappush(ready, index)
        return found

    def take(self, index: int) -> PlanItem:
        """Take the interview `first_ready` gave out of the line."""
        self.taken.add(index)
        return self.items[index]

    def earliest_not_before(self) -> dt.datetime | None:
        """The earliest not-before among the interviews still waiting (None if none). Asked
        after `first_ready` found none: the whole line is in the head then."""
        dates = [self.items[i].not_before for i in self.ready if i not in self.taken]
        if self.next_pending < len(self.pending):
            dates.append(self.pending_dates[self.next_pending])
        return min((d for d in dates if d is not None), default=None)

    def remaining(self) -> list[PlanItem]:
        """The interviews no slot took, in queue order."""
        return [item for index, item in enumerate(self.items) if index not in self.taken]

