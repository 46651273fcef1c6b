"""Adding and editing an interview, for the console: the same steps as `publisher queue add`
and `queue edit` (publisher/queue.py's `prepare`, then `add` or `apply_edit`, each checked
as thoroughly), journaled under `actor` (e.g. `web:anna`).

Each raises InputError with every problem found (NotFoundError for an unknown id) and then
writes nothing.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.queue import InterviewSpec


@dataclass(frozen=True)
class Saved:
    interview_id: int
    title: str
    warnings: tuple[str, ...]


def add_interview(app: App, spec: InterviewSpec, actor: str, *,
                  allow_duplicate: bool = False) -> Saved:
    """`queue add`: probe and check everything, then queue it at the end."""
    from publisher import queue as q

    ctx = dataclasses.replace(app.queue_context(), actor=actor)
    app.check_ready()
    prepared = q.prepare(ctx, spec)  # outside the transaction: probing takes a while
    with app.transaction() as session:
        item = q.add(session, ctx, prepared, allow_duplicate=allow_duplicate)
        session.flush()
        return Saved(item.id, item.title, tuple(prepared.warnings))


def editable(app: App, interview_id: int) -> dict[str, Any]:
    """The interview's fields as an edit starts from (`queue show --json`'s shape, with
    `updated_at` exact); InputError when it can no longer be edited, saying why."""
    from publisher import queue as q
    from publisher.services.queue_queries import interview_dict
    from publisher.services.times import entered

    with app.transaction() as session:
        item = q.get(session, interview_id)
        q.check_editable(session, item)
        data = interview_dict(item, app.zones, full=True)
        data["updated_at_exact"] = item.updated_at.isoformat()
        data["not_before_entered"] = entered(item.not_before,
                                             app.zones.of_schedule(item.schedule)) or ""
    return data


def edit_interview(app: App, interview_id: int, spec: InterviewSpec, actor: str, *,
                   seen_updated_at: dt.datetime, allow_duplicate: bool = False) -> Saved:
    """`queue edit` of the interview as it was at `seen_updated_at` (when the form was
    made): refused if it changed since, or can no longer be edited."""
    from publisher import queue as q

    ctx = dataclasses.replace(app.queue_context(), actor=actor)
    with app.transaction() as session:
        current = q.get(session, interview_id)
        q.check_editable(session, current)
        if current.updated_at != seen_updated_at:
            from publisher.errors import InputError

            raise InputError(f"interview {interview_id} was changed by someone else since "
                             "this form was opened; open it again to see the change")
    prepared = q.prepare(ctx, spec, base=current)
    with app.transaction() as session:
        item = q.apply_edit(session, ctx, interview_id, prepared,
                            seen_updated_at=seen_updated_at, allow_duplicate=allow_duplicate)
        session.flush()
        return Saved(item.id, item.title, tuple(prepared.warnings))


def problems_of(app: App, spec: InterviewSpec, interview_id: int | None = None) -> list[str]:
    """Every problem `queue add` (or `queue edit` of `interview_id`) would find in `spec`,
    without writing anything."""
    from publisher import queue as q
    from publisher.errors import InputError

    ctx = app.queue_context()
    base = None
    if interview_id is not None:
        with app.transaction() as session:
            base = q.get(session, interview_id)
    try:
        q.prepare(ctx, spec, base=base)
    except InputError as exc:
        return str(exc).splitlines()
    return []
