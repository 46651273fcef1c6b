"""The life of an interview: the steps of publishing, the journal's kinds, and the only
functions that change a state — `transition` for an interview, `set_publication` for one
side effect, `set_correction` for a correction of what is on YouTube — each checking an
allowed-transition table.

Where an interview stands (see docs/architecture.md for the picture)::

    queued ⇄ held
    queued → staging → staged → released → published
    any of them but published → cancelled;  a step that needs a person → needs_attention,
    and `publisher retry` / `resolve` take it back to where its records say it is.
    staging or needs_attention, with nothing on YouTube yet → queued (an organizer's edit,
    hold or move);  cancelled, never on YouTube → queued (`queue restore`).

Whether anything of an interview is on YouTube is `reached_youtube`: its video record, not
its state's name (an interview can be staging while it waits for quota, with nothing sent).

A transition made by a pipeline step is fenced by the step's lease (`owner`); every
transition is conditional on the state it was checked against, so an organizer's `queue
cancel` between a worker's read and its write makes that worker's write fail (LeaseLost)
instead of overwriting the organizer. Each transition writes its journal entry in the same
transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable
from typing import Any

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session, object_session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from publisher.errors import PublisherError
from publisher.leases import LeaseLost
from publisher.store.models import (
    Correction,
    CorrectionState,
    Event,
    Interview,
    Publication,
    PublicationState,
    State,
)
from publisher.store.types import utcnow


class Step(enum.StrEnum):
    """What a publication record is the record of (its `step` column)."""

    VIDEO = "video"            # the upload
    RELEASE = "release"        # confirmed public at the slot
    THUMBNAIL = "thumbnail"
    PLAYLIST = "playlist"
    CAPTIONS = "captions"      # stored as "captions:<language>", one record per language
    POST = "post"              # a cross-post
    # A withdrawal's and a republishing's change of the video's privacy, one record each,
    # stored as "withdrawal:<n>" / "republish:<n>" (the n-th of the interview).
    WITHDRAWAL = "withdrawal"
    REPUBLISH = "republish"


def caption_step(language: str) -> str:
    return f"{Step.CAPTIONS.value}:{language}"


def numbered_step(step: Step, n: int) -> str:
    """The n-th withdrawal's or republishing's record (`Step.WITHDRAWAL`, `REPUBLISH`)."""
    return f"{step.value}:{n}"


class EventKind(enum.StrEnum):
    """Every kind of journal entry (`history`). Platform and step go in the detail."""

    # The organizers' own.
    QUEUED = "queued"
    EDITED = "edited"
    MOVED = "moved"
    HELD = "held"
    UNHELD = "unheld"
    CANCELLED = "cancelled"
    REMOVED = "removed"
    RESTORED = "restored"
    RETRY = "retry"
    RESOLVED = "resolved"
    SKIPPED = "skipped"
    # The interview's own states.
    STAGING = "staging"
    STAGED = "staged"
    RELEASED = "released"
    PUBLISHED = "published"
    NEEDS_ATTENTION = "needs_attention"
    SLOT_MISSED = "slot_missed"
    # The upload.
    UPLOAD_SESSION_STARTED = "upload_session_started"
    UPLOADED = "uploaded"
    YOUTUBE_RETRY = "youtube_retry"
    YOUTUBE_WAITING = "youtube_waiting"
    YOUTUBE_NEEDS_ATTENTION = "youtube_needs_attention"
    # A decoration (thumbnail, playlist, captions): detail `step`, `state`.
    YOUTUBE_STEP = "youtube_step"
    # A cross-post: detail `platform`.
    POSTED = "posted"
    POST_FOUND = "post_found"
    POST_SKIPPED = "post_skipped"
    POST_RETRY = "post_retry"
    POST_WAITING = "post_waiting"
    POST_NEEDS_ATTENTION = "post_needs_attention"
    # A correction of what is on YouTube: detail `correction` (its id), `fields`.
    CORRECTION_RECORDED = "correction_recorded"
    CORRECTION_APPLIED = "correction_applied"
    CORRECTION_WAITING = "correction_waiting"
    CORRECTION_CONFLICT = "correction_conflict"
    CORRECTION_NEEDS_ATTENTION = "correction_needs_attention"
    # A withdrawal (publisher/pipeline/withdraw.py): detail `reason`, `platform`, ...
    WITHDRAWN = "withdrawn"                        # the organizer's; the interview's state
    VIDEO_MADE_PRIVATE = "video_made_private"
    POST_DELETED = "post_deleted"                  # `already_gone` when it was not there
    POST_DELETE_WAITING = "post_delete_waiting"
    POST_DELETE_NEEDS_ATTENTION = "post_delete_needs_attention"
    POST_DELETED_BY_HAND = "post_deleted_by_hand"
    REPUBLISHED = "republished"


class IllegalTransition(PublisherError):
    """A state change the table does not allow: a bug, never an organizer's mistake."""


_ANYWHERE_BUT_THE_END = frozenset(set(State) - {State.PUBLISHED, State.CANCELLED})

#: from -> the states it may move to.
ALLOWED: dict[State, frozenset[State]] = {
    State.QUEUED: frozenset({State.HELD, State.STAGING, State.CANCELLED,
                             State.NEEDS_ATTENTION}),
    State.HELD: frozenset({State.QUEUED, State.CANCELLED}),
    State.STAGING: frozenset({State.STAGING, State.STAGED, State.RELEASED, State.QUEUED,
                              State.NEEDS_ATTENTION, State.CANCELLED}),
    State.STAGED: frozenset({State.STAGING, State.RELEASED, State.NEEDS_ATTENTION,
                             State.CANCELLED, State.WITHDRAWN}),
    State.RELEASED: frozenset({State.PUBLISHED, State.NEEDS_ATTENTION, State.CANCELLED,
                               State.WITHDRAWN}),
    State.NEEDS_ATTENTION: frozenset({State.QUEUED, State.STAGING, State.STAGED,
                                      State.RELEASED, State.PUBLISHED, State.CANCELLED,
                                      State.NEEDS_ATTENTION}),
    State.PUBLISHED: frozenset({State.WITHDRAWN}),
    # `publisher republish`: back to where its records say it is (staged before its
    # release, else released until every post is out again, else published).
    State.WITHDRAWN: frozenset({State.STAGED, State.RELEASED, State.PUBLISHED}),
    # Only for one that never reached YouTube (`queue.restore` checks `reached_youtube`).
    State.CANCELLED: frozenset({State.QUEUED}),
}

_P = PublicationState
#: Only a post that is out (done) can be deleted, and only a deleted one posted again.
_DELETION = frozenset({_P.DELETING, _P.DELETED})

#: A publication record's allowed moves (intent → act → record).
PUBLICATION_ALLOWED: dict[PublicationState, frozenset[PublicationState]] = {
    PublicationState.PENDING: frozenset(set(PublicationState) - {PublicationState.PENDING}
                                        - _DELETION),
    PublicationState.IN_FLIGHT: frozenset(set(PublicationState) - _DELETION),
    PublicationState.UNKNOWN: frozenset(set(PublicationState) - _DELETION),
    PublicationState.FAILED: frozenset(set(PublicationState) - _DELETION),
    PublicationState.NEEDS_ATTENTION: frozenset({
        PublicationState.PENDING, PublicationState.DONE, PublicationState.SKIPPED,
        PublicationState.NEEDS_ATTENTION, PublicationState.UNKNOWN,
        # a delete that needed a person: tried again, or done by hand
        PublicationState.DELETING, PublicationState.DELETED}),
    # Done is final but for a withdrawal's delete: never undone, never posted twice.
    PublicationState.DONE: frozenset({PublicationState.DONE, PublicationState.DELETING}),
    # Sent or not, a crash leaves it deleting: the delete is sent again ("not found" is gone).
    PublicationState.DELETING: frozenset({PublicationState.DELETING, PublicationState.DELETED,
                                          PublicationState.NEEDS_ATTENTION}),
    # `publisher republish`: posted anew, as a new post (its old id is in the journal).
    PublicationState.DELETED: frozenset({PublicationState.DELETED, PublicationState.PENDING}),
    PublicationState.SKIPPED: frozenset({PublicationState.SKIPPED, PublicationState.PENDING,
                                         PublicationState.DONE}),
}


_C = CorrectionState

#: A correction's allowed moves. Done is final: a later edit records a new correction.
CORRECTION_ALLOWED: dict[CorrectionState, frozenset[CorrectionState]] = {
    _C.PENDING: frozenset({_C.PENDING, _C.IN_FLIGHT, _C.DONE, _C.WAITING, _C.CONFLICT,
                           _C.NEEDS_ATTENTION}),
    # Sent or not, a crash leaves it in flight: the next run reads YouTube back and ends it.
    _C.IN_FLIGHT: frozenset({_C.IN_FLIGHT, _C.DONE, _C.WAITING, _C.CONFLICT,
                             _C.NEEDS_ATTENTION}),
    _C.WAITING: frozenset({_C.PENDING, _C.IN_FLIGHT, _C.DONE, _C.WAITING, _C.CONFLICT,
                           _C.NEEDS_ATTENTION}),
    # Both wait for people: an edit (back to pending) or `publisher sync ID [--force]`.
    _C.CONFLICT: frozenset({_C.PENDING, _C.IN_FLIGHT, _C.DONE, _C.WAITING, _C.CONFLICT,
                            _C.NEEDS_ATTENTION}),
    _C.NEEDS_ATTENTION: frozenset({_C.PENDING, _C.IN_FLIGHT, _C.DONE, _C.WAITING,
                                   _C.CONFLICT, _C.NEEDS_ATTENTION}),
    _C.DONE: frozenset(),
}

#: A correction not yet done: it still has fields to send.
OPEN_CORRECTION = frozenset(set(CorrectionState) - {CorrectionState.DONE})


def check(old: State, new: State) -> None:
    if new not in ALLOWED[old]:
        raise IllegalTransition(f"an interview cannot go from {old.value} to {new.value}")


#: The journal entries that say something went out: the video made public, a post done,
#: found after a lost answer, or recorded by hand (`publisher resolve`). A post's (and a
#: resolve's) platform is in its detail; a release is YouTube's.
WENT_OUT = frozenset({EventKind.RELEASED, EventKind.POSTED, EventKind.POST_FOUND,
                      EventKind.RESOLVED})

#: The interview states in which its video is public (also: its release record is done).
_PUBLIC_STATES = frozenset({State.RELEASED.value, State.PUBLISHED.value})


def journal(session: Session, interview_id: int, kind: EventKind, actor: str,
            at: dt.datetime | None = None, **detail: Any) -> None:
    """The one way to write the journal. An entry saying something went out (WENT_OUT)
    also stamps its time on that thing's record (`went_out_at`), in the same transaction."""
    event = Event(interview_id=interview_id, kind=kind.value, actor=actor, detail=detail)
    if kind in WENT_OUT:
        if at is None:  # the entries before it written first, so they keep their times
            session.flush()
            at = utcnow()
        _stamp_went_out(session, interview_id, kind, detail.get("platform"), at)
    if at is not None:
        event.at = at
    session.add(event)


def _stamp_went_out(session: Session, interview_id: int, kind: EventKind, platform: Any,
                    at: dt.datetime) -> None:
    """`went_out_at` = the latest time the journal gives for the record: for the video (its
    `video` record, once public: `stamp_public_video`) a release, or a post kind naming
    YouTube; for a post record a post kind naming its platform. The latest, not the last
    written: a rehearsal's clock may be behind a real one."""
    if kind == EventKind.RELEASED or platform == "youtube":
        stamp_public_video(session, interview_id, at)
    if kind != EventKind.RELEASED and isinstance(platform, str) and platform != "youtube":
        _stamp(session, at, Publication.interview_id == interview_id,
               Publication.platform == platform, Publication.step == Step.POST.value,
               or_(Publication.went_out_at.is_(None), Publication.went_out_at < at))


def _stamp(session: Session, at: dt.datetime, *where: Any) -> None:
    """Set `went_out_at` = `at` on the records `where` selects. The record's `updated_at` is
    left as it was (a time noted, not a change of the record), and a loaded copy sees the
    new value."""
    stamped = session.scalars(
        update(Publication).where(*where)
        .values(went_out_at=at, updated_at=Publication.updated_at)
        .returning(Publication.id).execution_options(synchronize_session=False)).all()
    for pub_id in stamped:
        loaded = session.identity_map.get(identity_key(Publication, pub_id))
        if loaded is not None:
            set_committed_value(loaded, "went_out_at", at)


def stamp_public_video(session: Session, interview_id: int, at: dt.datetime | None = None
                       ) -> None:
    """Keep the video record's `went_out_at` true: set once the video is public, and only
    then, so that a stamped video record *is* the list of what went out on YouTube.

    Public: its record done with a video id, and its release record done or the interview
    released or published (a withdrawal keeps it: the video went out). Stamped already: an
    entry at `at` (a release, a resolve naming YouTube) moves it later, never earlier. Not
    yet: the latest time the journal gives for it (with `at`), else — no entry — the
    interview's slot, else the release record's last change, else the video record's
    (the fallbacks the Published page once computed at every request; now once, here).
    Called by `journal` (an entry naming YouTube), `transition` (to released or published)
    and `set_publication` (the video or release record done): whichever comes first."""
    video = session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.platform == "youtube",
        Publication.step == Step.VIDEO.value)).first()
    if video is None or video.state != PublicationState.DONE.value or not video.remote_id:
        return
    if video.went_out_at is not None:
        if at is not None and video.went_out_at < at:
            _stamp(session, at, Publication.id == video.id, Publication.went_out_at < at)
        return
    state, slot_at = session.execute(select(Interview.state, Interview.slot_at)
                                     .where(Interview.id == interview_id)).one()
    release = session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.platform == "youtube",
        Publication.step == Step.RELEASE.value)).first()
    released = release is not None and release.state == PublicationState.DONE.value
    if not (released or state in _PUBLIC_STATES):
        return
    times = [when for kind, when, detail in session.execute(
        select(Event.kind, Event.at, Event.detail).where(
            Event.interview_id == interview_id, Event.kind.in_([k.value for k in WENT_OUT])))
        if kind == EventKind.RELEASED.value or (detail or {}).get("platform") == "youtube"]
    if at is not None:
        times.append(at)
    when = (max(times) if times else slot_at
            or (release.updated_at if release is not None and released else None)
            or video.updated_at)
    _stamp(session, when, Publication.id == video.id, Publication.went_out_at.is_(None))


def transition(session: Session, item: Interview | int, to: State, *, kind: EventKind | None,
               actor: str, owner: str | None = None, end_lease: bool = False,
               at: dt.datetime | None = None, attention: str | None = None,
               values: dict[str, Any] | None = None, **detail: Any) -> State:
    """Move an interview to `to`: checks the table, fences the lease (`owner`: only while
    it holds the lease; `end_lease`: give it back in the same write), sets the attention
    reason (`attention`, for needs_attention; cleared on any other move), applies `values`
    to other columns, and journals `kind` with `detail` (no entry when `kind` is None).
    Returns the state it left.

    Raises IllegalTransition for a move the table forbids, LeaseLost when the lease is not
    `owner`'s or the state changed since it was read.
    """
    interview_id = item if isinstance(item, int) else item.id
    current = session.scalar(select(Interview.state).where(Interview.id == interview_id))
    if current is None:
        raise PublisherError(f"there is no interview {interview_id}")
    old = State(current)
    check(old, to)
    changes: dict[str, Any] = dict(values or {})
    changes["state"] = to.value
    changes["attention_reason"] = attention if to == State.NEEDS_ATTENTION else None
    if end_lease:
        changes.update(lease_owner=None, lease_expires_at=None)
    where = [Interview.id == interview_id, Interview.state == old.value]
    if owner is not None:
        where.append(Interview.lease_owner == owner)
    result = session.execute(update(Interview).where(*where).values(**changes)
                             .execution_options(synchronize_session=False))
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        raise LeaseLost(f"interview {interview_id}: the lease was taken over by another "
                        "worker, or an organizer changed it meanwhile; this one stops acting "
                        "on it")
    loaded = session.identity_map.get(identity_key(Interview, interview_id))
    if loaded is not None:  # the write bypassed the ORM: show it on the loaded object too
        for key, value in changes.items():
            set_committed_value(loaded, key, value)
    if kind is not None:
        if to == State.NEEDS_ATTENTION:
            detail.setdefault("reason", attention)
        journal(session, interview_id, kind, actor, at, **detail)
    if to.value in _PUBLIC_STATES:
        stamp_public_video(session, interview_id)
    return old


def set_publication(pub: Publication, to: PublicationState, **values: Any) -> None:
    """Move one side effect's record to `to` (and set `values`), as the table allows."""
    old = PublicationState(pub.state)
    if to not in PUBLICATION_ALLOWED[old]:
        raise IllegalTransition(f"a {pub.platform} {pub.step} record cannot go from "
                                f"{old.value} to {to.value}")
    pub.state = to.value
    for key, value in values.items():
        setattr(pub, key, value)
    if to == PublicationState.DONE and pub.platform == "youtube" \
            and pub.step in (Step.VIDEO.value, Step.RELEASE.value):
        session = object_session(pub)
        if session is not None:  # the video may be public now: `stamp_public_video`
            stamp_public_video(session, pub.interview_id)


def set_correction(correction: Correction, to: CorrectionState, **values: Any) -> None:
    """Move a correction to `to` (and set `values`), as CORRECTION_ALLOWED allows."""
    old = CorrectionState(correction.state)
    if to not in CORRECTION_ALLOWED[old]:
        raise IllegalTransition(f"correction {correction.id} cannot go from {old.value} to "
                                f"{to.value}")
    correction.state = to.value
    for key, value in values.items():
        setattr(correction, key, value)


def is_settled(pub: Publication) -> bool:
    """Done, or skipped by choice: nothing more to do for this side effect."""
    return pub.state in (PublicationState.DONE.value, PublicationState.SKIPPED.value)


# States that only follow an upload: the interview is on YouTube whatever its records say.
_AFTER_UPLOAD = frozenset({State.STAGED, State.RELEASED, State.PUBLISHED})


def video_record(session: Session, interview_id: int) -> Publication | None:
    """The record of the interview's upload, if it was ever started."""
    return session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.platform == "youtube",
        Publication.step == Step.VIDEO.value)).first()


def reached_youtube(session: Session, item: Interview) -> bool:
    """The one definition of "something of this interview is on YouTube": its upload was
    started (the session handle saved before the first byte) or finished (a video id), or
    its state only follows an upload. Not decided from the state's name alone: staging may
    mean waiting for quota, with nothing sent."""
    if State(item.state) in _AFTER_UPLOAD:
        return True
    video = video_record(session, item.id)
    return video is not None and bool(video.handle or video.remote_id)


def all_posted(session: Session, interview_id: int, platforms: Iterable[str] | None) -> bool:
    """The one definition of "every cross-post is done": each of `platforms` (the
    interview's schedule's cross-posting platforms) has a settled post record; with
    `platforms` None, every post record there is. No platforms to post to: done."""
    posts = {p.platform: p for p in session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.step == Step.POST.value))}
    wanted = list(posts) if platforms is None else list(platforms)
    return all(name in posts and is_settled(posts[name]) for name in wanted)
