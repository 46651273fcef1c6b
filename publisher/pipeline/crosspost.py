"""Cross-posting a released interview's link: each platform once, none blocking another.

Per platform, a publication record (interview, platform, "post") goes:
pending → in_flight (handle committed) → done (remote id and URL committed).
A request whose outcome is unknown leaves it `unknown`; before anything else the next attempt
looks the post up: found → done; surely absent → publish again with the same handle;
no way to check (Telegram) → needs attention, with what to check and the command to run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.faults import crash_point
from publisher.lifecycle import EventKind, Step, all_posted, is_settled, set_publication
from publisher.pipeline.notices import needs_attention
from publisher.pipeline.records import record
from publisher.pipeline.retry import RETRY_BASE, next_attempt
from publisher.pipeline.runtime import Runtime
from publisher.platform_limits import PlatformLimits, remember
from publisher.platforms.base import CannotCheck, CrossPoster, PostContent, UnknownOutcome
from publisher.platforms.errors import AuthError, DeferredError, PlatformError, TransientError
from publisher.queue import text_of
from publisher.schedules import Schedule, find_schedule
from publisher.store.models import Interview, Publication, PublicationState, State
from publisher.text.posts import render_post

if TYPE_CHECKING:
    from publisher.config import Config
    from publisher.credentials import Credentials
    from publisher.home import Home

log = logging.getLogger(__name__)

PosterFactory = Callable[[Runtime, str], CrossPoster]


@dataclass(frozen=True)
class PostOutcome:
    interview_id: int
    platform: str
    outcome: str  # posted | found | waiting | retry | needs_attention | skipped
    detail: str = ""
    changed: bool = True  # False when nothing happened (already done, or not due yet)


def default_poster_factory(rt: Runtime, platform: str) -> CrossPoster:
    return build_poster(rt.home, rt.config, rt.credentials, platform)


def build_poster(home: Home, config: Config, credentials: Credentials,
                 platform: str) -> CrossPoster:
    """The platform's adapter as the home configures it (credentials, API root, options);
    building it sends nothing."""
    from publisher.platforms.spec import get

    cls = get(platform).adapter_class()
    return cls(credentials.section(platform), api_root=config.api_root(platform),
               timeout=float(config.youtube.timeout_s), state_dir=home.path,
               **config.adapter_options(platform))


def _schedule(rt: Runtime, item: Interview) -> Schedule | None:
    return find_schedule(item.schedule, rt.schedules, rt.config.campaign.default_schedule)


def platforms_for(rt: Runtime, item: Interview) -> tuple[str, ...]:
    schedule = _schedule(rt, item)
    return tuple(p for p in schedule.platforms if p != "youtube") if schedule else ()


def crosspost_due(rt: Runtime, now: dt.datetime,
                  factory: PosterFactory | None = None) -> list[PostOutcome]:
    """Every released interview whose cross-post delay has passed, every platform due."""
    out: list[PostOutcome] = []
    with rt.transaction() as s:
        due = due_interviews(s, rt, now)
    for interview_id in due:
        with rt.transaction() as s:
            item = s.get(Interview, interview_id)
            assert item is not None
            _ = (item.speakers, item.captions)
        out += _crosspost_item(rt, item, now, factory or rt.poster_factory
                               or default_poster_factory)
    return out


def due_interviews(session: Session, rt: Runtime, now: dt.datetime) -> list[int]:
    """The released interviews whose cross-post delay has passed, earliest slot first."""
    rows = list(session.scalars(select(Interview).where(
        Interview.state == State.RELEASED.value).order_by(Interview.slot_at)))
    return [item.id for item in rows
            if item.slot_at is None or now >= item.slot_at + _delay(rt, item)]


def crosspost_one(rt: Runtime, interview_id: int, now: dt.datetime) -> list[PostOutcome]:
    """Cross-post one released interview now, whatever its delay (`publish --now`)."""
    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        assert item is not None
        _ = (item.speakers, item.captions)
        if item.state != State.RELEASED.value:
            return []
    return _crosspost_item(rt, item, now, rt.poster_factory or default_poster_factory)


def _delay(rt: Runtime, item: Interview) -> dt.timedelta:
    schedule = _schedule(rt, item)
    return schedule.crosspost_delay if schedule else dt.timedelta(0)


def _crosspost_item(rt: Runtime, item: Interview, now: dt.datetime,
                    factory: PosterFactory) -> list[PostOutcome]:
    from publisher import leases

    with rt.transaction() as s:
        if not leases.claim(s, item.id, rt.owner, now):
            return []
        if s.scalar(select(Interview.state).where(Interview.id == item.id)) \
                != State.RELEASED.value:  # a duplicate came after the interview moved on
            leases.release(s, item.id, rt.owner)
            return []
        video = record(s, item.id, "youtube", Step.VIDEO)
        link = video.url or ""
    out = []
    try:
        platforms = platforms_for(rt, item)
        for platform in platforms:
            out.append(post_one(rt, item, platform, link, now, factory))
        with rt.transaction() as s:
            if all_posted(s, item.id, platforms):
                pubs = s.scalars(select(Publication).where(
                    Publication.interview_id == item.id, Publication.step == Step.POST))
                rt.transition(s, item.id, State.PUBLISHED, EventKind.PUBLISHED,
                              end_lease=True, posts={p.platform: p.url for p in pubs})
    finally:
        with rt.transaction() as s:
            leases.release(s, item.id, rt.owner)
    return out


def _reported_limits(rt: Runtime, platform: str, poster: CrossPoster,
                     now: dt.datetime) -> PlatformLimits | None:
    """The limits the platform's server reports (a Mastodon instance's), kept for the checks
    at `queue add`, `queue edit` and `preview`; None where it reports none (the documented
    ones apply)."""
    reported = poster.reported_limits()
    if reported is None:
        return None
    limits = PlatformLimits(*reported, seen_at=now)
    with rt.transaction() as s:
        remember(s, platform, limits, now)
    return limits


def _content(rt: Runtime, item: Interview, platform: str, link: str,
             limits: PlatformLimits | None) -> PostContent:
    rendered = render_post(rt.config, text_of(item, rt.schedules,
                                            rt.config.campaign.default_schedule),
                           platform, link, limits=limits)
    if rendered.problem:
        raise PostTooLong(rendered.problem)
    body = item.description.strip().splitlines()[0] if item.description.strip() else ""
    from pathlib import Path

    return PostContent(text=rendered.text, link=link, title=item.title,
                       description=body[:300],
                       thumbnail=Path(item.thumbnail_path) if item.thumbnail_path else None,
                       language=item.language)


class PostTooLong(PlatformError):
    """The post no longer fits (e.g. the instance lowered its limit)."""


def post_one(rt: Runtime, item: Interview, platform: str, link: str, now: dt.datetime,
             factory: PosterFactory) -> PostOutcome:
    """One platform's post of the interview, exactly once (see the module docstring); also
    what a post's replacement posts with (pipeline/replace_posts.py)."""
    with rt.transaction() as s:
        pub = record(s, item.id, platform, Step.POST)
        if is_settled(pub) or pub.state == PublicationState.NEEDS_ATTENTION.value:
            return PostOutcome(item.id, platform, "skipped", pub.state, changed=False)
        if pub.next_attempt_at is not None and pub.next_attempt_at > now:
            return PostOutcome(item.id, platform, "waiting", pub.last_error or "",
                               changed=False)
        missing = rt.credentials.missing(platform)
        if missing:
            note = (f"{platform} is not configured in credentials.json: "
                    f"{', '.join(missing)} empty or a placeholder")
            set_publication(pub, PublicationState.SKIPPED, last_error=note)
            rt.journal(s, item.id, EventKind.POST_SKIPPED, platform=platform, reason=note)
            return PostOutcome(item.id, platform, "skipped", note)
        pub_id, state, handle = pub.id, pub.state, pub.handle
    try:
        poster = factory(rt, platform)
        limits = _reported_limits(rt, platform, poster, now)
        post = _content(rt, item, platform, link, limits)
        if state in (PublicationState.UNKNOWN.value, PublicationState.IN_FLIGHT.value) \
                and handle:
            try:
                found = poster.lookup(post, handle)
            except CannotCheck:
                return _attention(rt, item, pub_id, platform, (
                    f"it is not known whether the {poster.label} post went out (the "
                    f"platform offers no way to check). Look at the channel: if the post is "
                    f"there, `publisher resolve {item.id} --platform {platform} --url URL`; "
                    f"if not, `publisher retry {item.id} --platform {platform}`"))
            except PlatformError as exc:
                # The earlier attempt may have posted: it stays unknown, to be looked up again.
                return _failed(rt, item, pub_id, platform, exc, now, unresolved=True)
            if found is not None:
                _done(rt, item, pub_id, platform, found.remote_id, found.url, "found")
                return PostOutcome(item.id, platform, "found", found.url or "")
        else:
            handle = poster.new_handle()
        _check_daily_cap(rt, platform, poster.label, now)
        _intent(rt, item, pub_id, handle)
        crash_point(f"crosspost.{platform}.before")
        posted = poster.publish(post, handle)
        crash_point(f"crosspost.{platform}.sent")
        _done(rt, item, pub_id, platform, posted.remote_id, posted.url, "posted")
        return PostOutcome(item.id, platform, "posted", posted.url or "")
    except PostTooLong as exc:
        return _attention(rt, item, pub_id, platform, f"{exc}; change the text, then "
                                                       f"`publisher retry {item.id} "
                                                       f"--platform {platform}`")
    except PlatformError as exc:
        return _failed(rt, item, pub_id, platform, exc, now)


_OUTCOME_KIND = {"retry": EventKind.POST_RETRY, "waiting": EventKind.POST_WAITING,
                 "needs_attention": EventKind.POST_NEEDS_ATTENTION}


def _failure(pub: Publication, exc: PlatformError, now: dt.datetime
             ) -> tuple[PublicationState, str]:
    """Where a failed post's record goes, and what that means (sets when to try again)."""
    if isinstance(exc, UnknownOutcome):
        pub.next_attempt_at = now + RETRY_BASE
        return PublicationState.UNKNOWN, "retry"
    if isinstance(exc, DeferredError):
        pub.next_attempt_at = exc.until
        return PublicationState.FAILED, "waiting"
    if isinstance(exc, TransientError):
        pub.next_attempt_at = next_attempt(now, pub.attempts, exc.retry_at)
        return PublicationState.FAILED, "retry"
    # A person must renew the credentials or correct the post: say so (status, exit 4,
    # a notification).
    return PublicationState.NEEDS_ATTENTION, "needs_attention"


def _check_daily_cap(rt: Runtime, platform: str, label: str, now: dt.datetime) -> None:
    """`[PLATFORM] daily_cap` in publisher.toml (the spec's default when unset; "none": no
    cap; 0: nothing a day)."""
    cap = rt.config.daily_cap(platform)
    if cap is None:
        return
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    with rt.transaction() as s:
        today = s.scalar(select(func.count()).select_from(Publication).where(
            Publication.platform == platform,
            Publication.state == PublicationState.DONE.value,
            Publication.updated_at >= start)) or 0
    if today >= cap:
        raise DeferredError(f"{label}'s daily cap of {cap} posts is reached ([{platform}] "
                            "daily_cap in publisher.toml); it goes out tomorrow",
                            until=start + dt.timedelta(days=1), platform=platform)


def _intent(rt: Runtime, item: Interview, pub_id: int, handle: str) -> None:
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, PublicationState.IN_FLIGHT, handle=handle)


def _done(rt: Runtime, item: Interview, pub_id: int, platform: str, remote_id: str,
          url: str | None, how: str) -> None:
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, PublicationState.DONE, remote_id=remote_id, url=url,
                        last_error=None, next_attempt_at=None)
        rt.journal(s, item.id, EventKind.POSTED if how == "posted" else EventKind.POST_FOUND,
                   platform=platform, remote_id=remote_id, url=url)
    log.info("interview %s on %s: %s", item.id, platform, url or remote_id)


def _attention(rt: Runtime, item: Interview, pub_id: int, platform: str,
               why: str) -> PostOutcome:

    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, PublicationState.NEEDS_ATTENTION, last_error=why)
        rt.journal(s, item.id, EventKind.POST_NEEDS_ATTENTION, platform=platform, reason=why)
    needs_attention(rt, item.id, why, platform=platform)
    return PostOutcome(item.id, platform, "needs_attention", why)


def _failed(rt: Runtime, item: Interview, pub_id: int, platform: str, exc: PlatformError,
            now: dt.datetime, *, unresolved: bool = False) -> PostOutcome:
    """`unresolved`: the failure came from the lookup of an earlier attempt whose outcome is
    unknown, so the post may exist: the record stays `unknown` (looked up, never re-sent)."""
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        pub.attempts += 1
        pub.last_error = str(exc)
        # The earlier attempt may have posted: `retry` posts anew, so look first.
        check = (f"look for the post on {platform}: if it is there, `publisher resolve "
                 f"{item.id} --platform {platform} --url URL`; if not, "
                 if unresolved else "")
        to, outcome = _failure(pub, exc, now)
        if to == PublicationState.NEEDS_ATTENTION:
            fix = ("renew the credentials" if isinstance(exc, AuthError) else "correct it")
            pub.last_error = (f"{exc}. To fix: {fix}, then {check}`publisher retry "
                              f"{item.id} --platform {platform}`")
        if unresolved and to == PublicationState.FAILED:
            to = PublicationState.UNKNOWN
        set_publication(pub, to)
        rt.journal(s, item.id, _OUTCOME_KIND[outcome], platform=platform, error=str(exc))
        reason = pub.last_error or str(exc)
    if outcome == "needs_attention":
        needs_attention(rt, item.id, reason, platform=platform)
        return PostOutcome(item.id, platform, outcome, reason)
    return PostOutcome(item.id, platform, outcome, str(exc))
