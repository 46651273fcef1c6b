"""Decorations that waited while their interview went on, finished when their time comes.

A thumbnail over YouTube's thumbnails-per-24-hours limit does not hold an interview: it is
staged and goes out on time, and its thumbnail record waits (failed, with the time to try
again). `run_due` finds such records of interviews past staging — staged, released or
already published — and makes each due one here, on its own, with the staging step's own
code (`youtube_stage.decorate_step`): safe to repeat, journaled, crash points included. A
person's `publisher retry` makes a waiting one due at once. The interview's state never
changes here; a decoration YouTube refuses for good needs a person, the others wait again.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from publisher import leases
from publisher.lifecycle import Step
from publisher.pipeline.records import record
from publisher.pipeline.retry import next_attempt
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_stage import (
    LEASE_TTL,
    StageResult,
    decorate_step,
    decoration_steps,
    mark_step,
    step_record,
)
from publisher.platforms.errors import (
    AuthError,
    DeferredError,
    PlatformError,
    SessionExpired,
    TransientError,
)
from publisher.store.models import Interview, Publication, PublicationState, State

log = logging.getLogger(__name__)

_DECORATION = or_(Publication.step.in_([Step.THUMBNAIL.value, Step.PLAYLIST.value]),
                  Publication.step.like(f"{Step.CAPTIONS.value}:%"))
#: Where an interview may be while a decoration of its still waits: after staging, the video
#: is on YouTube and the decoration can still be made, published or not.
_AFTER_STAGING = (State.STAGED.value, State.RELEASED.value, State.PUBLISHED.value)
_OPEN = (PublicationState.PENDING.value, PublicationState.IN_FLIGHT.value,
         PublicationState.UNKNOWN.value, PublicationState.FAILED.value)


def _due_now(now: dt.datetime) -> ColumnElement[bool]:
    """A decoration record to try at `now`: open (not done, skipped or needing a person),
    and its time has come (or it has none: a person asked for a retry)."""
    return and_(_DECORATION, Publication.platform == "youtube",
                Publication.state.in_(_OPEN),
                or_(Publication.next_attempt_at.is_(None), Publication.next_attempt_at <= now))


def due_interviews(session: Session, now: dt.datetime) -> list[int]:
    """Staged, released or published interviews with a decoration to try now."""
    return list(session.scalars(
        select(Publication.interview_id).join(Interview)
        .where(Interview.state.in_(_AFTER_STAGING), _due_now(now))
        .distinct().order_by(Publication.interview_id)))


def next_retry(session: Session, now: dt.datetime) -> tuple[dt.datetime, str] | None:
    """(when, title) of the next waiting decoration of an interview past staging."""
    row = session.execute(
        select(Publication.next_attempt_at, Interview.title).join(Interview)
        .where(Interview.state.in_(_AFTER_STAGING), _DECORATION,
               Publication.platform == "youtube", Publication.state.in_(_OPEN),
               Publication.next_attempt_at > now)
        .order_by(Publication.next_attempt_at).limit(1)).first()
    return (row.next_attempt_at, row.title) if row is not None else None


def finish(rt: Runtime, interview_id: int) -> StageResult:
    """Make the decorations of an interview past staging that are due now (a thumbnail that
    waited out YouTube's 24-hour limit, or one a person asked to retry), each on its own.
    The interview's state does not change; outcome done, waiting, needs_attention or busy.
    """
    now = rt.clock()
    with rt.transaction() as s:
        if not leases.claim(s, interview_id, rt.owner, now, LEASE_TTL):
            return StageResult(interview_id, "busy", "another worker holds it")
        item = s.get(Interview, interview_id)
        assert item is not None
        _ = (item.captions,)  # load while in session
        video_id = record(s, interview_id, "youtube", Step.VIDEO).remote_id
        due = set(s.scalars(select(Publication.step).where(
            Publication.interview_id == interview_id, _due_now(now))))
    notes: list[str] = []
    try:
        if item.state not in _AFTER_STAGING or video_id is None:
            return StageResult(interview_id, "skipped", f"it is {item.state}")
        wanted = decoration_steps(item)
        for step in sorted(due - set(wanted)):  # no longer asked for (edited away)
            mark_step(rt, item, step_record(rt, item, step).id, PublicationState.SKIPPED)
        for step in (step for step in wanted if step in due):
            try:
                api, _http = rt.youtube()
                note = decorate_step(rt, api, item, video_id, step)
            except PlatformError as exc:
                note = _step_failed(rt, item, step, exc)
            if note:
                notes.append(note)
        with rt.transaction() as s:
            states = set(s.scalars(select(Publication.state).where(
                Publication.interview_id == interview_id, Publication.platform == "youtube",
                Publication.step.in_(due))))
    finally:
        with rt.transaction() as s:
            leases.release(s, interview_id, rt.owner)
    outcome = ("needs_attention" if PublicationState.NEEDS_ATTENTION.value in states
               else "waiting" if states & set(_OPEN) else "done")
    return StageResult(interview_id, outcome, "; ".join(notes), video_id)


def _step_failed(rt: Runtime, item: Interview, step: str, exc: PlatformError) -> str:
    """Record one decoration's failure after staging: when to try again, or a person."""
    now = rt.clock()
    rec = step_record(rt, item, step)
    if isinstance(exc, DeferredError):
        retry_at = exc.until
    elif isinstance(exc, AuthError):
        retry_at = now + dt.timedelta(hours=1)  # a person re-authorises; looked at hourly
    elif isinstance(exc, TransientError | SessionExpired):
        retry_at = next_attempt(now, rec.attempts + 1, getattr(exc, "retry_at", None))
    else:
        msg = f"the {step} was not made on YouTube: {exc}"
        mark_step(rt, item, rec.id, PublicationState.NEEDS_ATTENTION, error=msg)
        rt.notify(f"Interview {item.id}: the {step} needs attention", msg)
        return msg
    mark_step(rt, item, rec.id, PublicationState.FAILED, error=str(exc), retry_at=retry_at)
    log.warning("interview %s: the %s waits until %s: %s", item.id, step, retry_at, exc)
    return f"the {step} waits until {retry_at:%Y-%m-%d %H:%M} UTC: {exc}"
