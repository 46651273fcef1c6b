"""The queue as the console's Queue page shows it: each interview in publishing order with
its state, speakers, the slot the plan gives it and what to know about it.

The slots come from the planner query every other view uses (`plan_ahead`, hence
publisher/pipeline/planning.py's `upcoming`), a year ahead, within YouTube's daily quota.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from publisher.services.queue_queries import QueueRow, in_state, list_queue
from publisher.store.models import State

if TYPE_CHECKING:
    from publisher.app import App

HORIZON = dt.timedelta(weeks=52)
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


def queue_board(app: App, state: str, now: dt.datetime) -> Board:
    """The interviews of `list_queue(app, state)` with their place in the plan."""
    from sqlalchemy import select

    from publisher.errors import ConfigError
    from publisher.services.planning import plan_ahead
    from publisher.store.models import Interview, Speaker

    rows = list_queue(app, state)
    with app.transaction(needs_config=False) as session:
        extra = {r.id: (r.slot_at, r.attention_reason) for r in session.execute(
            select(Interview.id, Interview.slot_at, Interview.attention_reason)
            .where(in_state(state, Interview.state)))}
        speakers: dict[int, list[tuple[str, str | None]]] = {}
        for interview_id, name, role in session.execute(
                select(Speaker.interview_id, Speaker.name, Speaker.role).join(Interview)
                .where(in_state(state, Interview.state))
                .order_by(Speaker.interview_id, Speaker.position)):
            speakers.setdefault(interview_id, []).append((name, role))
    board = Board(rows=[])
    slots: dict[int, tuple[dt.datetime, str | None]] = {}
    held: set[int] = set()
    try:
        plan = plan_ahead(app, now, HORIZON)
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
