"""Corrections: an edit of an interview that is already on YouTube.

The edit is validated exactly like `queue add` (publisher.queue.prepare) and written to the
interview, whose columns always hold what the organizers want. What YouTube must change is
decided by comparing what YouTube should hold before and after the edit (the same function
the upload uses, `wanted_fields`): each field that differs is recorded as pending on an open
correction, with the value publisher last set there (`known`), so that a later change made
by hand in YouTube Studio can be told apart. `pipeline/correct.py` applies it. The thumbnail,
the caption tracks and the playlist are recorded on the same correction, by name
(publisher/asset_corrections.py).

One open correction per interview gathers the edits (fields are merged, the oldest known
value of a field is kept: it is what YouTube last received from us); one being sent right
now (in flight) is left alone and a new one is opened beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher import asset_corrections as assets
from publisher.errors import InputError
from publisher.lifecycle import (
    OPEN_CORRECTION,
    EventKind,
    Step,
    is_settled,
    journal,
    reached_youtube,
    set_correction,
)
from publisher.platforms.youtube.fields import SPEC, Field, wanted
from publisher.post_corrections import PostChange, posted_texts
from publisher.post_corrections import record as record_post_changes
from publisher.store.models import (
    Correction,
    CorrectionState,
    Interview,
    Publication,
    State,
)
from publisher.store.types import utcnow

if TYPE_CHECKING:
    from publisher.config import Config
    from publisher.queue import Context, Prepared
    from publisher.schedules import Schedule

#: What an edit may not change once the interview is on YouTube, and why.
NOT_CORRECTABLE: dict[str, str] = {
    "video": "the video file cannot be replaced once uploaded (YouTube keeps the video it "
             "received); queue the new file as another interview",
    "schedule": "its slot was fixed when its upload started; to move a slot not yet "
                "passed, use --publish-at",
    "not_before": "its slot was fixed when its upload started; to move a slot not yet "
                  "passed, use --publish-at",
}

#: Open corrections an edit may add its fields to (one in flight is being sent now).
_MERGEABLE = frozenset(OPEN_CORRECTION - {CorrectionState.IN_FLIGHT})


def check_correctable(interview_id: int, given: Iterable[str]) -> None:
    """Refuse (InputError, every reason at once) an edit of what a correction cannot
    change."""
    problems = [f"{name.replace('_', '-')}: {NOT_CORRECTABLE[name]}" for name in given
                if name in NOT_CORRECTABLE]
    if problems:
        raise InputError(f"interview {interview_id} is on YouTube, so this edit would be a "
                         "correction, but:\n" + "\n".join(problems))


def released(session: Session, item: Interview) -> bool:
    """Whether it went public (or its release was recorded): its privacy is its own now."""
    if item.state in (State.RELEASED.value, State.PUBLISHED.value):
        return True
    pub = session.scalars(select(Publication).where(
        Publication.interview_id == item.id, Publication.platform == "youtube",
        Publication.step == Step.RELEASE.value)).first()
    return pub is not None and is_settled(pub)


def wanted_fields(config: Config, schedules: dict[str, Schedule], session: Session,
                  item: Interview, now: dt.datetime) -> dict[Field, Any]:
    """What YouTube should hold for the interview now: before its release, private with
    publishAt = its slot (as uploaded); after it, its own privacy."""
    from publisher.pipeline.video_meta import video_meta

    slot = item.slot_at
    publish_at = slot if (slot is not None and slot > now
                          and not released(session, item)) else None
    fields = wanted(video_meta(config, schedules, item), publish_at)
    if item.state == State.WITHDRAWN.value:  # taken down: private until `republish`
        fields.update({Field.PRIVACY: "private", Field.PUBLISH_AT: None})
    return fields


def open_corrections(session: Session, interview_id: int) -> list[Correction]:
    """The interview's open corrections of YouTube (those of posts: post_corrections.py)."""
    return list(session.scalars(select(Correction).where(
        Correction.interview_id == interview_id, Correction.platform == "youtube",
        Correction.state.in_([s.value for s in OPEN_CORRECTION])).order_by(Correction.id)))


@dataclass(frozen=True)
class Recorded:
    """What an edit of an interview on YouTube did."""

    item: Interview
    correction_id: int | None  # None: nothing changes on YouTube
    changes: dict[str, dict[str, Any]]  # field → {"old", "new"} on YouTube
    posts: list[PostChange] = field(default_factory=list)  # what changes in the posts out


def record_edit(session: Session, ctx: Context, item_id: int, prepared: Prepared, *,
                seen_updated_at: dt.datetime) -> Recorded:
    """Write an edit of an interview already on YouTube and record what YouTube must
    change as a (pending) correction, all in the caller's transaction."""
    from publisher.queue import _apply, _locked, get

    _locked(session, item_id)
    item = get(session, item_id)
    if item.state == State.CANCELLED.value:
        raise InputError(f"interview {item_id} is cancelled: it can no longer be edited")
    if not reached_youtube(session, item):  # an upload that never started: a plain edit
        raise InputError(f"interview {item_id} is not on YouTube: run the edit again")
    if item.updated_at != seen_updated_at:
        raise InputError(f"interview {item_id} was changed by someone else while this edit "
                         "was being checked; run the command again")
    now = utcnow()
    config, schedules = ctx.config, ctx.schedules
    before = wanted_fields(config, schedules, session, item, now)
    assets_before = assets.wanted_assets(item)
    decorated = assets.decoration_over(session, item)
    posts_before = posted_texts(session, config, schedules, item)
    _apply(item, prepared)
    item.updated_at = now
    session.flush()
    after = wanted_fields(config, schedules, session, item, now)
    assets_after = assets.wanted_assets(item)
    posts_after = posted_texts(session, config, schedules, item)
    changed_assets = assets.changed_assets(assets_before, assets_after)
    problems = assets.check_recordable(item_id, assets_before, assets_after, changed_assets,
                                       decorated)
    if problems:
        raise InputError(f"interview {item_id} is on YouTube, so this edit would be a "
                         "correction, but:\n" + "\n".join(problems))
    changed_fields = [f for f in Field if before[f] != after[f]]
    changes = {f.value: {"old": before[f], "new": after[f]} for f in changed_fields}
    changes.update({name: {"old": assets.shown(assets_before.get(name)),
                           "new": assets.shown(assets_after.get(name))}
                    for name in changed_assets})
    changed = [f.value for f in changed_fields] + changed_assets
    known_before: dict[str, Any] = {f.value: before[f] for f in changed_fields}
    known_before.update({name: assets_before.get(name) for name in changed_assets})
    edited = sorted(set(prepared.values) | {k for k in ("speakers", "captions",
                                                         "localizations")
                                             if getattr(prepared, k) is not None})
    journal(session, item.id, EventKind.EDITED, ctx.actor, fields=edited, youtube=changes)
    posts = record_post_changes(session, item.id, ctx.actor, posts_before, posts_after)
    if not changed:
        return Recorded(item, None, {}, posts)
    correction = _merge(session, ctx, item.id, known_before, changed)
    journal(session, item.id, EventKind.CORRECTION_RECORDED, ctx.actor,
            correction=correction.id, fields=changed)
    return Recorded(item, correction.id, changes, posts)


def _merge(session: Session, ctx: Context, interview_id: int, before: Mapping[str, Any],
           changed: list[str]) -> Correction:
    """Add the changed fields to the interview's open correction (or a new one)."""
    found = next((c for c in open_corrections(session, interview_id)
                  if CorrectionState(c.state) in _MERGEABLE), None)
    if found is None:
        found = Correction(interview_id=interview_id, platform="youtube",
                           state=CorrectionState.PENDING.value, fields=[], known={},
                           attempts=0, actor=ctx.actor)
        session.add(found)
    fields = list(found.fields or [])
    known = dict(found.known or {})
    for name in changed:
        if name not in fields:
            fields.append(name)
            known[name] = before[name]
    order = {f.value: i for i, f in enumerate(Field)}
    set_correction(found, CorrectionState.PENDING,
                   fields=sorted(fields, key=lambda name: (order.get(name, 99), name)),
                   known=known,
                   next_attempt_at=None, last_error=None)
    session.flush()
    return found


def label(field: str) -> str:
    try:
        return SPEC[Field(field)].label
    except ValueError:
        return assets.label(field)
