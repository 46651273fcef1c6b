"""The queue as the console's Queue page shows it: each interview in publishing order with
its state, speakers, the slot the plan gives it and what to know about it, a page
(PAGE_SIZE rows) at a time.

The slots come from the plan every other view sees (`upcoming`'s, over the whole queue, a
year ahead, within YouTube's daily quota), read from the head of the queue by
publisher/services/head_plan.py; only the page's rows and speakers are read.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from publisher.services.queue_queries import QueueRow, count_queue, list_queue
from publisher.store.models import State

if TYPE_CHECKING:
    from publisher.app import App

HORIZON = dt.timedelta(weeks=52)
PAGE_SIZE = 100
# States that keep the slot their upload started with.
_COMMITTED = frozenset({State.STAGING.value, State.STAGED.value, State.RELEASED.value})


class Placement(enum.StrEnum):
    """Where an interview stands in the plan."""

    SLOT = "slot"              # the plan gives it a slot (or it holds the one it started with)
    HELD = "held"              # held: not planned until released
    BEYOND = "beyond"          # queued, but no slot within the horizon
    NONE = "none"              # out of the plan: published, cancelled, needs attention


@dataclass(frozen=True)
class BoardRow:
    row: QueueRow
    speakers: tuple[tuple[str, str | None], ...]
    placement: Placement
    slot: dt.datetime | None
    slot_note: str | None       # e.g. the daylight-saving note of its slot
    attention: str | None       # why it needs attention


@dataclass
class Board:
    rows: list[BoardRow]
    notes: list[str] = field(default_factory=list)   # the plan's own notes
    runs_dry: dt.datetime | None = None   # the first slot left empty for want of interviews
    problem: str | None = None            # why there is no plan (publisher.toml, schedules)
    total: int = 0                        # rows in the whole list (every page)
    page: int = 1                         # this page, from 1
    pages: int = 1                        # how many pages the list has (at least 1)
    first: int = 0                        # the number of this page's first row, from 1

    @property
    def last(self) -> int:
        """The number of this page's last row."""
        return self.first + len(self.rows) - 1 if self.rows else self.first


def page_of(index: int) -> int:
    """The page (from 1) that shows the row at `index` (from 0)."""
    return index // PAGE_SIZE + 1


def queue_board(app: App, state: str, now: dt.datetime, page: int = 1) -> Board:
    """Page `page` (from 1; one beyond the last shows the last) of the interviews of
    `list_queue(app, state)`, with their place in the plan."""
    from sqlalchemy import select

    from publisher.errors import ConfigError
    from publisher.services.head_plan import plan_ahead_fast
    from publisher.store.models import Interview, Speaker

    total = count_queue(app, state)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    rows = list_queue(app, state, offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    ids = [r.id for r in rows]
    with app.transaction(needs_config=False) as session:
        extra = {r.id: (r.slot_at, r.attention_reason) for r in session.execute(
            select(Interview.id, Interview.slot_at, Interview.attention_reason)
            .where(Interview.id.in_(ids)))}
        speakers: dict[int, list[tuple[str, str | None]]] = {}
        for interview_id, name, role in session.execute(
                select(Speaker.interview_id, Speaker.name, Speaker.role)
                .where(Speaker.interview_id.in_(ids))
                .order_by(Speaker.interview_id, Speaker.position)):
            speakers.setdefault(interview_id, []).append((name, role))
    board = Board(rows=[], total=total, page=page, pages=pages,
                  first=(page - 1) * PAGE_SIZE + 1 if rows else 0)
    slots: dict[int, tuple[dt.datetime, str | None]] = {}
    held: set[int] = set()
    try:
        plan = plan_ahead_fast(app, now, HORIZON)
    except ConfigError as exc:
        board.problem = str(exc)
    else:
        for entry in plan.entries:
            if entry.interview is not None:
                note = None if entry.note == "committed" else entry.note
                slots[entry.interview.id] = (entry.slot.at, note)
        held = set(plan.held)
        board.notes = list(plan.notes)
        dry = plan.runs_dry()
        board.runs_dry = dry.slot.at if dry is not None else None
    for r in rows:
        slot_at, reason = extra.get(r.id, (None, None))
        slot, note = slots.get(r.id, (None, None))
        if slot is not None:
            placement = Placement.SLOT
        elif r.id in held:
            placement = Placement.HELD
        elif r.state == State.QUEUED.value and board.problem is None:
            placement = Placement.BEYOND
        elif slot_at is not None and r.state in _COMMITTED:
            placement, slot = Placement.SLOT, slot_at
        else:
            placement = Placement.NONE
        if placement is Placement.NONE and slot_at is not None:
            slot = slot_at  # the slot it had, for the record
        board.rows.append(BoardRow(r, tuple(speakers.get(r.id, ())), placement, slot, note,
                                   reason if r.state == State.NEEDS_ATTENTION.value else None))
    return board
