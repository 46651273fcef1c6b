"""Editing an interview in any state, and bringing YouTube in line with it (`sync`): what
`queue edit`, `sync`, `status` (and later the console) call.

Before anything is on YouTube, an edit changes the queue (publisher.queue.apply_edit). Once
something is (lifecycle.reached_youtube), it is validated the same way and recorded as a
correction (publisher.corrections), which the daemon's next tick, or `publisher sync ID` at
once, applies (publisher.pipeline.correct).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from publisher.lifecycle import reached_youtube

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from publisher.app import App
    from publisher.pipeline.correct import SyncReport as SyncReport  # for the console
    from publisher.queue import InterviewSpec
    from publisher.store.models import Interview


@dataclass(frozen=True)
class EditResult:
    item: Interview
    warnings: list[str]
    #: The correction the edit was recorded on; None before the upload, or when nothing
    #: changes on YouTube.
    correction_id: int | None = None
    #: YouTube field → {"old", "new"}, for an interview on YouTube.
    changes: dict[str, dict[str, Any]] | None = None

    @property
    def on_youtube(self) -> bool:
        return self.changes is not None


def edit_interview(app: App, item_id: int, spec: InterviewSpec, *,
                   allow_duplicate: bool = False) -> EditResult:
    """Edit an interview in any state (see the module docstring)."""
    from publisher import corrections
    from publisher import queue as q

    ctx = app.queue_context()
    with app.transaction() as session:
        current = q.get(session, item_id)
        on_youtube = reached_youtube(session, current)
        if on_youtube:
            corrections.check_correctable(item_id, spec.given())
            if current.state == "cancelled":
                q.check_editable(session, current)  # says why, in the queue's words
        else:
            q.check_editable(session, current)
    prepared = q.prepare(ctx, spec, base=current)
    with app.transaction() as session:
        if not on_youtube and reached_youtube(session, q.get(session, item_id)):
            from publisher.errors import InputError

            raise InputError(f"interview {item_id}'s upload to YouTube started while this "
                             "edit was being checked; run the command again: it will be "
                             "recorded as a correction")
        if not on_youtube:
            item = q.apply_edit(session, ctx, item_id, prepared,
                                seen_updated_at=current.updated_at,
                                allow_duplicate=allow_duplicate)
            session.flush()
            return EditResult(item, prepared.warnings)
        recorded = corrections.record_edit(session, ctx, item_id, prepared,
                                           seen_updated_at=current.updated_at)
        session.flush()
        warnings = list(prepared.warnings)
        if recorded.correction_id is None:
            warnings.append("nothing changes on YouTube")
        warnings += [change.note(item_id) for change in recorded.posts]
        return EditResult(recorded.item, warnings, recorded.correction_id, recorded.changes)


def sync_interview(app: App, item_id: int, *, dry_run: bool = False, force: bool = False,
                   replace: tuple[str, ...] = (), actor: str | None = None) -> SyncReport:
    """`publisher sync ID`: compare with YouTube, and (unless dry_run) apply; `replace`:
    the platforms (X, Bluesky) whose post out is deleted and posted again corrected;
    `actor`: who the journal names (the console's `web:NAME`; else "sync")."""
    from publisher.pipeline.correct import sync
    from publisher.pipeline.correct_posts import sync_posts

    rt = app.runtime("sync", actor=actor)
    report = sync(rt, item_id, dry_run=dry_run, force=force)
    report.posts = sync_posts(rt, item_id, dry_run=dry_run, replace=replace)
    return report


def replaceable(platform: str) -> str | None:
    """The label of a platform whose posts cannot be edited, so that a correction of one
    out is carried by replacing it (`sync --replace`: X, Bluesky); None for any other."""
    from publisher.platforms.spec import crossposters

    for spec in crossposters():
        if spec.name == platform and not spec.can_edit:
            return spec.label
    return None


def replacement_of(app: App, interview_id: int, platform: str) -> str | None:
    """What the console's confirmation before a replacement names: the platform's label (None
    when its posts are edited, not replaced); NotFoundError for an interview this programme
    does not have."""
    from publisher import queue as q

    with app.transaction() as session:
        q.get(session, interview_id)
    return replaceable(platform)


def corrections_status(session: Session, now: dt.datetime) -> tuple[list[dict[str, Any]],
                                                                     list[dict[str, Any]]]:
    """The open corrections (for `status`), and those that need a person (with the reason
    and the fix)."""
    from sqlalchemy import select

    from publisher.corrections import label
    from publisher.lifecycle import OPEN_CORRECTION
    from publisher.store.models import Correction, CorrectionState, Interview

    rows = session.execute(
        select(Correction, Interview.title).join(Interview)
        .where(Correction.state.in_([s.value for s in OPEN_CORRECTION]))
        .order_by(Correction.interview_id, Correction.id)).all()
    pending, needs = [], []
    for row, title in rows:
        names = [label(f) for f in row.fields or []]
        pending.append({"interview_id": row.interview_id, "title": title,
                        "correction": row.id, "platform": row.platform,
                        "state": row.state, "fields": names,
                        "next_attempt": row.next_attempt_at.isoformat()
                        if row.next_attempt_at else None,
                        "waiting": row.last_error if row.state == CorrectionState.WAITING
                        else None})
        if row.state in (CorrectionState.CONFLICT, CorrectionState.NEEDS_ATTENTION):
            reason = row.last_error or ""
            fix = (f"publisher sync {row.interview_id} --dry-run"
                   if row.state == CorrectionState.CONFLICT
                   else f"publisher sync {row.interview_id}")
            if row.platform != "youtube" and "`publisher resolve" in reason:
                # The post is gone: syncing again cannot edit it (the reason says what can).
                fix = (f"publisher resolve {row.interview_id} --platform {row.platform} "
                       "--url URL")
            needs.append({"interview_id": row.interview_id, "title": title,
                          "platform": row.platform,
                          "reason": f"correction of {', '.join(names)}: {reason}",
                          "fix": fix})
    return pending, needs


def field_text(value: Any) -> str:
    """A YouTube field's value in one line, as `sync` shows it (for the console)."""
    from publisher.platforms.youtube.fields import shown

    return shown(value)
