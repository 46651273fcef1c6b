"""What organizers do about interviews that need them: retry, resolve, skip.

Each function changes one interview in one transaction and journals who did what; none of
them talks to a platform (the daemon or `run-due` acts on the new state).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.errors import InputError
from publisher.lifecycle import (
    EventKind,
    Step,
    all_posted,
    is_settled,
    journal,
    set_publication,
    transition,
)
from publisher.pipeline import authorisation
from publisher.pipeline.records import record
from publisher.store.models import Interview, Publication, PublicationState, State
from publisher.store.types import utcnow

if TYPE_CHECKING:
    from publisher.platforms.base import CrossPoster
    from publisher.queue import Context

_YOUTUBE_ID = re.compile(r"(?:v=|youtu\.be/|/shorts/)([A-Za-z0-9_-]{11})")


def _item(session: Session, interview_id: int) -> Interview:
    item = session.get(Interview, interview_id)
    if item is None:
        raise InputError(f"there is no interview {interview_id} (see `publisher queue list`)")
    return item


def _platforms(ctx: Context, item: Interview) -> tuple[str, ...]:
    from publisher.queue import crosspost_platforms

    return crosspost_platforms(ctx, item.schedule)


def _pub(session: Session, ctx: Context, item: Interview, platform: str, *,
         create: bool = False) -> Publication:
    from publisher.platforms.spec import names

    if platform not in names():
        raise InputError(f"--platform: unknown platform {platform!r} (expected one of "
                         f"{', '.join(names())})")
    posted_to = _platforms(ctx, item)
    if platform != "youtube" and platform not in posted_to:
        raise InputError(f"--platform: interview {item.id}'s schedule does not post to "
                         f"{platform} (it posts to: {', '.join(('youtube', *posted_to))})")
    step = Step.VIDEO if platform == "youtube" else Step.POST
    found = session.scalars(select(Publication).where(
        Publication.interview_id == item.id, Publication.platform == platform,
        Publication.step == step)).first()
    if found is None and create:
        return record(session, item.id, platform, step)
    if found is None:
        raise InputError(f"interview {item.id} has nothing on {platform} yet")
    return found


def _state_after_youtube(session: Session, item: Interview) -> State:
    video = record(session, item.id, "youtube", Step.VIDEO)
    if not is_settled(video):
        return State.STAGING if video.handle else State.QUEUED
    release = record(session, item.id, "youtube", Step.RELEASE)
    return State.RELEASED if is_settled(release) else State.STAGED


def _back_from_attention(session: Session, ctx: Context, item: Interview) -> None:
    """Where its records say it is, now that a person has seen to it."""
    if item.state != State.NEEDS_ATTENTION.value:
        return
    new = _state_after_youtube(session, item)
    values = {"slot_at": None} if new == State.QUEUED else {}  # the planner gives a slot
    transition(session, item, new, kind=None, actor=ctx.actor, values=values)


def _maybe_published(session: Session, ctx: Context, item: Interview) -> None:
    if item.state == State.RELEASED.value and all_posted(session, item.id,
                                                         _platforms(ctx, item)):
        transition(session, item, State.PUBLISHED, kind=EventKind.PUBLISHED, actor=ctx.actor)


def retry(session: Session, ctx: Context, interview_id: int, platform: str | None) -> str:
    """Let the daemon try again now; returns what will happen, for the organizer."""
    item = _item(session, interview_id)
    if platform is None:
        if item.state in (State.CANCELLED.value, State.PUBLISHED.value):
            raise InputError(f"interview {interview_id} is {item.state}: nothing to retry")
        authorisation.look_again_now(session, utcnow())  # if it waited for `auth youtube`
        pubs = session.scalars(select(Publication).where(
            Publication.interview_id == item.id, Publication.platform == "youtube")).all()
        for pub in pubs:
            pub.next_attempt_at = None
            if pub.state == PublicationState.NEEDS_ATTENTION.value:
                set_publication(pub, PublicationState.PENDING)
        _back_from_attention(session, ctx, item)
        journal(session, item.id, EventKind.RETRY, ctx.actor, platform="youtube")
        return f"interview {interview_id} is {item.state} and will be tried again at once"
    pub = _pub(session, ctx, item, platform)
    if is_settled(pub):
        raise InputError(f"interview {interview_id} is already {pub.state} on {platform}")
    if platform == "youtube":
        authorisation.look_again_now(session, utcnow())
    if pub.state == PublicationState.NEEDS_ATTENTION.value:
        # The organizer checked: the post is not there. Post again, as a new request.
        set_publication(pub, PublicationState.PENDING, handle=None)
    pub.next_attempt_at, pub.last_error = None, None
    if platform == "youtube":
        _back_from_attention(session, ctx, item)
    journal(session, item.id, EventKind.RETRY, ctx.actor, platform=platform)
    return f"interview {interview_id} will be posted to {platform} again at once"


def resolve(session: Session, ctx: Context, interview_id: int, platform: str, url: str,
            poster: CrossPoster | None = None) -> str:
    """Record a post the organizer found by hand: it exists, at this URL; never re-sent.
    `poster`: the platform's adapter as configured, which also refuses an address on another
    server than the account's (Mastodon); without it only the address's shape is checked."""
    if not url.startswith(("https://", "http://")):
        raise InputError(f"--url: expected the post's address (https://…), found {url!r}")
    item = _item(session, interview_id)
    pub = _pub(session, ctx, item, platform, create=True)  # rolled back if refused below
    if platform == "youtube":
        match = _YOUTUBE_ID.search(url)
        if match is None:
            raise InputError(f"--url: not a YouTube video address: {url!r}")
        remote = match.group(1)
    else:
        remote = _post_id(platform, url, poster)
    set_publication(pub, PublicationState.DONE, url=url, remote_id=remote, last_error=None,
                    next_attempt_at=None)
    if platform == "youtube":
        _back_from_attention(session, ctx, item)
    _maybe_published(session, ctx, item)
    journal(session, item.id, EventKind.RESOLVED, ctx.actor, platform=platform, url=url,
            remote_id=remote)
    return f"recorded: interview {interview_id} is on {platform} at {url}"


def _post_id(platform: str, url: str, poster: CrossPoster | None) -> str:
    """The id the platform's API takes for the post at `url`: recorded instead of the
    address, so a later withdrawal, edit or replacement acts on the post itself."""
    from publisher.platforms.base import ForeignPostUrl, NotAPostUrl
    from publisher.platforms.spec import get

    spec = get(platform)
    try:
        if poster is not None:
            return poster.own_post_id(url)
        return spec.adapter_class().post_id_from_url(url)
    except ForeignPostUrl as exc:
        raise InputError(f"--url: {exc}") from None
    except NotAPostUrl:
        raise InputError(f"--url: {url!r} is not the address of a {spec.label} post "
                         f"(expected {spec.post_url_shape})") from None


def skip(session: Session, ctx: Context, interview_id: int, platform: str) -> str:
    if platform == "youtube":
        raise InputError("YouTube cannot be skipped: every other post links to the video "
                         "(cancel the interview instead: `publisher queue cancel ID`)")
    item = _item(session, interview_id)
    pub = _pub(session, ctx, item, platform, create=True)
    if pub.state == PublicationState.DONE.value:
        raise InputError(f"interview {interview_id} is already posted on {platform}")
    set_publication(pub, PublicationState.SKIPPED, next_attempt_at=None)
    _maybe_published(session, ctx, item)
    journal(session, item.id, EventKind.SKIPPED, ctx.actor, platform=platform)
    return f"interview {interview_id} will not be posted to {platform}"
