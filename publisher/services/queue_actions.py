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


@dataclasses.dataclass(frozen=True)
class Done:
    """What a change did: the interview, its title, its position afterwards (if any)."""

    action: QueueAction
    interview_id: int
    title: str
    position: int | None


def _context(app: App, actor: str) -> Context:
    return dataclasses.replace(app.queue_context(), actor=actor)


def apply(app: App, action: QueueAction, interview_id: int, actor: str) -> Done:
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


def check_removable(app: App, interview_id: int) -> str:
    """The title of an interview that may be removed; InputError saying why if not."""
    from publisher import queue as q

    with app.transaction() as session:
        item = q.get(session, interview_id)
        q.check_removable(session, item)
        return item.title

