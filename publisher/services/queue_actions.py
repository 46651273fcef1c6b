"""The queue's changes as one call each, for the console: the same functions of
publisher/queue.py the CLI's `queue hold|release|cancel|restore|remove|move` call, each in
its own transaction, journaled under `actor` (e.g. `web:anna`).

Each raises InputError (NotFoundError for an unknown id) with the app layer's reason when
the change is refused, and then writes nothing.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING

from publisher.errors import InputError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from publisher.app import App
    from publisher.queue import Context
    from publisher.store.models import Interview


class QueueAction(enum.StrEnum):
    HOLD = "hold"
    RELEASE = "release"
    CANCEL = "cancel"
    RESTORE = "restore"
    REMOVE = "remove"
    UP = "up"        # one place earlier in the queue
    DOWN = "down"    # one place later
    MOVE = "move"    # just before or just after another (the Queue page's drag and drop)


@dataclasses.dataclass(frozen=True)
class Done:
    """What a change did: the interview, its title, its position afterwards (if any)."""

    action: QueueAction
    interview_id: int
    title: str
    position: int | None


def _context(app: App, actor: str) -> Context:
    return dataclasses.replace(app.queue_context(), actor=actor)


def apply(app: App, action: QueueAction, interview_id: int, actor: str, *,
          before: int | None = None, after: int | None = None) -> Done:
    """Do `action`; MOVE takes exactly one of `before` and `after` (another interview's
    id: the place it is dropped next to)."""
    from publisher import queue as q

    ctx = _context(app, actor)
    with app.transaction() as session:
        if action is QueueAction.HOLD:
            item = q.set_held(session, ctx, interview_id, True)
        elif action is QueueAction.RELEASE:
            item = q.set_held(session, ctx, interview_id, False)
        elif action is QueueAction.CANCEL:
            item = q.cancel(session, ctx, interview_id)
        elif action is QueueAction.RESTORE:
            item = q.restore(session, ctx, interview_id)
        elif action is QueueAction.REMOVE:
            item = q.remove(session, ctx, interview_id)
            return Done(action, interview_id, item.title, None)
        elif action is QueueAction.MOVE:
            item = _move_next_to(session, ctx, interview_id, before=before, after=after)
        else:
            item = _move_one(session, ctx, interview_id, up=action is QueueAction.UP)
        session.flush()
        return Done(action, interview_id, item.title, item.position)


def _move_one(session: Session, ctx: Context, interview_id: int, *, up: bool) -> Interview:
    """One place earlier (up) or later in publishing order, through `queue.move`."""
    from publisher import queue as q

    order = [i.id for i in q.active_order(session)]
    if interview_id not in order:
        return q.move(session, ctx, interview_id, to=1)  # refused, saying why
    index = order.index(interview_id)
    if up and index == 0:
        raise InputError(f"interview {interview_id} is already the next to go out")
    if not up and index == len(order) - 1:
        raise InputError(f"interview {interview_id} is already the last in the queue")
    return q.move(session, ctx, interview_id, to=index if up else index + 2)


def _move_next_to(session: Session, ctx: Context, interview_id: int, *,
                  before: int | None, after: int | None) -> Interview:
    """Just before `before`, or just after `after`, through `queue.move` (`queue move
    --before`; after one is before the one that follows it, or the last place)."""
    from publisher import queue as q

    if (before is None) == (after is None):
        raise InputError("say where to move it: before or after another interview")
    if before is not None:
        return q.move(session, ctx, interview_id, before=before)
    assert after is not None
    if after == interview_id:
        raise InputError("an interview cannot be moved after itself")
    order = [i.id for i in q.active_order(session) if i.id != interview_id]
    if after not in order:
        q.get(session, after)  # NotFoundError for an unknown id
        raise InputError(f"interview {after} has no place in the queue to move after")
    return q.move(session, ctx, interview_id, to=order.index(after) + 2)


def check_removable(app: App, interview_id: int) -> str:
    """The title of an interview that may be removed; InputError saying why if not."""
    from publisher import queue as q

    with app.transaction() as session:
        item = q.get(session, interview_id)
        q.check_removable(session, item)
        return item.title

