"""What organizers do about interviews that need them: retry, resolve, skip.

Each function changes one interview in one transaction and journals who did what; none of
them talks to a platform (the daemon or `run-due` acts on the new state).
"""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.errors import InputError
from publisher.pipeline.records import is_done, record
from publisher.store.models import Event, Interview, Publication, PublicationState, State

_YOUTUBE_ID = re.compile(r"(?:v=|youtu\.be/|/shorts/)([A-Za-z0-9_-]{11})")


def _item(session: Session, interview_id: int) -> Interview:
    item = session.get(Interview, interview_id)
    if item is None:
        raise InputError(f"there is no interview {interview_id} (see `publisher queue list`)")
    return item


def _journal(session: Session, interview_id: int, kind: str, actor: str, **detail: object
             ) -> None:
    session.add(Event(interview_id=interview_id, kind=kind, actor=actor, detail=detail))


def _pub(session: Session, interview_id: int, platform: str, *, create: bool = False
         ) -> Publication:
    from publisher.platforms.spec import names

    if platform not in names():
        raise InputError(f"--platform: unknown platform {platform!r} (expected one of "
                         f"{', '.join(names())})")
    step = "video" if platform == "youtube" else "post"
    found = session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.platform == platform,
        Publication.step == step)).first()
    if found is None and create:
        return record(session, interview_id, platform, step)
    if found is None:
        raise InputError(f"interview {interview_id} has nothing on {platform} yet")
    return found


def _state_after_youtube(session: Session, item: Interview) -> State:
    video = record(session, item.id, "youtube", "video")
    if not is_done(video):
        return State.STAGING if video.handle else State.QUEUED
    release = record(session, item.id, "youtube", "release")
    return State.RELEASED if is_done(release) else State.STAGED


def _maybe_published(session: Session, item: Interview) -> None:
    if item.state != State.RELEASED.value:
        return
    posts = session.scalars(select(Publication).where(
        Publication.interview_id == item.id, Publication.platform != "youtube")).all()
    if posts and all(is_done(p) for p in posts):
        item.state = State.PUBLISHED.value


def retry(session: Session, interview_id: int, platform: str | None, actor: str) -> str:
    """Let the daemon try again now; returns what will happen, for the organizer."""
    item = _item(session, interview_id)
    if platform is None:
        if item.state in (State.CANCELLED.value, State.PUBLISHED.value):
            raise InputError(f"interview {interview_id} is {item.state}: nothing to retry")
        pubs = session.scalars(select(Publication).where(
            Publication.interview_id == item.id, Publication.platform == "youtube")).all()
        for pub in pubs:
            pub.next_attempt_at = None
            if pub.state == PublicationState.NEEDS_ATTENTION.value:
                pub.state = PublicationState.PENDING.value
        if item.state == State.NEEDS_ATTENTION.value:
            new = _state_after_youtube(session, item)
            item.state, item.attention_reason = new.value, None
            if new == State.QUEUED:
                item.slot_at = None  # the planner gives it a slot again
        _journal(session, item.id, "retry", actor, platform="youtube")
        return f"interview {interview_id} is {item.state} and will be tried again at once"
    pub = _pub(session, interview_id, platform)
    if is_done(pub):
        raise InputError(f"interview {interview_id} is already {pub.state} on {platform}")
    if pub.state == PublicationState.NEEDS_ATTENTION.value:
        # The organizer checked: the post is not there. Post again, as a new request.
        pub.handle = None
        pub.state = PublicationState.PENDING.value
    pub.next_attempt_at, pub.last_error = None, None
    if platform == "youtube" and item.state == State.NEEDS_ATTENTION.value:
        item.state, item.attention_reason = _state_after_youtube(session, item).value, None
    _journal(session, item.id, "retry", actor, platform=platform)
    return f"interview {interview_id} will be posted to {platform} again at once"


def resolve(session: Session, interview_id: int, platform: str, url: str, actor: str) -> str:
    """Record a post the organizer found by hand: it exists, at this URL; never re-sent."""
    if not url.startswith(("https://", "http://")):
        raise InputError(f"--url: expected the post's address (https://…), found {url!r}")
    item = _item(session, interview_id)
    pub = _pub(session, interview_id, platform, create=True)
    remote = url
    if platform == "youtube":
        match = _YOUTUBE_ID.search(url)
        if match is None:
            raise InputError(f"--url: not a YouTube video address: {url!r}")
        remote = match.group(1)
    pub.state, pub.url, pub.remote_id = PublicationState.DONE.value, url, remote
    pub.last_error = pub.next_attempt_at = None
    if platform == "youtube" and item.state == State.NEEDS_ATTENTION.value:
        item.state, item.attention_reason = _state_after_youtube(session, item).value, None
    _maybe_published(session, item)
    _journal(session, item.id, "resolved", actor, platform=platform, url=url)
    return f"recorded: interview {interview_id} is on {platform} at {url}"


def skip(session: Session, interview_id: int, platform: str, actor: str) -> str:
    if platform == "youtube":
        raise InputError("YouTube cannot be skipped: every other post links to the video "
                         "(cancel the interview instead: `publisher queue cancel ID`)")
    item = _item(session, interview_id)
    pub = _pub(session, interview_id, platform, create=True)
    if pub.state == PublicationState.DONE.value:
        raise InputError(f"interview {interview_id} is already posted on {platform}")
    pub.state, pub.next_attempt_at = PublicationState.SKIPPED.value, None
    _maybe_published(session, item)
    _journal(session, item.id, "skipped", actor, platform=platform)
    return f"interview {interview_id} will not be posted to {platform}"
