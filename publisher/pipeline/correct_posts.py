"""Applying corrections to the posts already out: each post edited in place, on the
platforms that allow it — intent → act → record.

A post correction (publisher/post_corrections.py) names a platform and the text publisher
last put there (`known`). Applying it:

1. the post is rendered again, exactly as the cross-post renders it (the platform's
   reported limits included); if it says what the post says already, the correction ends
   done without a request (an edit back to the old text);
2. intent: the correction goes in flight with the text to send (`sent`), committed;
3. act: the adapter's `edit(remote_id, post)` (Mastodon `PUT /api/v1/statuses/:id`,
   Telegram `editMessageText`, Facebook `POST /{post-id}`);
4. record: done, journaled (`correction_applied`, with the old and new text), committed.

A crash between 2 and 4 leaves it in flight; the next run sends the same text again, which
is harmless on every platform that edits (Mastodon records no new edit, Telegram answers
"message is not modified", which the adapter takes as done, Facebook succeeds again), and
records it done once. A post deleted by hand (or not ours) cannot be edited: the correction
needs attention, with the reason and what to do. A passing failure waits (`next_attempt_at`).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher import leases
from publisher.faults import crash_point
from publisher.lifecycle import EventKind, set_correction
from publisher.pipeline.crosspost import PosterFactory, default_poster_factory
from publisher.pipeline.retry import correction_failed
from publisher.pipeline.runtime import Runtime
from publisher.platform_limits import PlatformLimits, remember
from publisher.platforms.base import PostContent, PostGone
from publisher.platforms.errors import AuthError, PermanentError, PlatformError
from publisher.post_corrections import (
    POST_FIELD,
    REPLACE_FIELD,
    kept_note,
    kept_posts,
    open_post_corrections,
    post_text,
    posts_maybe_out,
    posts_out,
    video_link,
)
from publisher.store.models import Correction, CorrectionState, Interview

log = logging.getLogger(__name__)
LEASE_TTL = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class PostEdit:
    """What a sync did (or, dry, would do) to one post."""

    platform: str
    # edited | replaced | up_to_date | would_edit | would_replace | kept | waiting |
    # needs_attention | busy
    outcome: str
    detail: str = ""
    old: str | None = None
    new: str | None = None
    url: str | None = None

    @property
    def needs_someone(self) -> bool:
        return self.outcome in ("waiting", "needs_attention", "busy")

    def as_json(self) -> dict[str, Any]:
        return {"platform": self.platform, "outcome": self.outcome, "detail": self.detail,
                "old": self.old, "new": self.new, "url": self.url}


def sync_posts(rt: Runtime, interview_id: int, *, dry_run: bool = False,
               factory: PosterFactory | None = None, replace: tuple[str, ...] = ()
               ) -> list[PostEdit]:
    """Bring the interview's posts out in line with it: edit in place where a correction
    waits and the platform allows it, replace the posts of `replace` (platforms that cannot
    edit: deleted, posted again; pipeline/replace_posts.py) and finish a replacement asked
    for earlier (`dry_run`: only say what would happen), and say which posts stay as they
    were.

    The interview's lease is given back in the commit of the last post's record: a crash
    after it leaves nothing held (a crash before it, the record not written, leaves the
    correction to finish; the lease expires)."""
    from publisher.pipeline import replace_posts

    now = rt.clock()
    asked = [p for p in dict.fromkeys(replace)
             if replace_posts.request(rt, interview_id, p, dry_run=dry_run)]
    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        if item is None:
            return []
        _ = (item.speakers, item.localizations)
        opened = open_post_corrections(s, interview_id)
        platforms = sorted({c.platform for c in opened})
        replacing = {c.platform for c in opened if REPLACE_FIELD in (c.fields or [])}
        kept = kept_posts(s, rt.config, rt.schedules, item)
        out = posts_out(s, interview_id)
    if dry_run:
        replacing |= set(asked)
    reports = [PostEdit(p, "kept", kept_note(p, interview_id), old, new, out[p].url)
               for p, (old, new) in kept.items() if p not in replacing]
    if dry_run:
        return [_would(rt, interview_id, p, p in replacing)
                for p in sorted({*platforms, *replacing})] + reports
    if not platforms:
        return reports
    with rt.transaction() as s:
        if not leases.claim(s, interview_id, rt.owner, now, LEASE_TTL):
            return [PostEdit(p, "busy", "another worker holds the interview")
                    for p in platforms] + reports
    make = factory or rt.poster_factory or default_poster_factory
    done: list[PostEdit] = []
    try:
        for i, p in enumerate(platforms):
            last = i == len(platforms) - 1
            if p in replacing:
                said = replace_posts.replace(rt, interview_id, p, make, release_lease=last)
                done.append(PostEdit(p, **said))
            else:
                done.append(_apply(rt, interview_id, p, make, release_lease=last))
    except Exception:  # an error of ours: the lease must not outlive it
        with rt.transaction() as s:
            leases.release(s, interview_id, rt.owner)
        raise
    return done + reports


def _would(rt: Runtime, interview_id: int, platform: str, replacing: bool = False
           ) -> PostEdit:
    """A dry run's line: the text out there and the one it would get (no request)."""
    from publisher.platform_limits import known

    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        assert item is not None
        _ = (item.speakers, item.localizations)
        rows = open_post_corrections(s, interview_id, platform)
        old = str((rows[0].known or {}).get(POST_FIELD) or "") if rows else \
            kept_posts(s, rt.config, rt.schedules, item)[platform][0]
        new = post_text(rt.config, rt.schedules, item, platform,
                        video_link(s, interview_id), known(s).get(platform)).text
        pub = posts_out(s, interview_id).get(platform)
        waiting = [r.last_error for r in rows if r.state in (
            CorrectionState.WAITING.value, CorrectionState.NEEDS_ATTENTION.value)
            and r.last_error]
    if replacing:
        return PostEdit(platform, "would_replace", "will be deleted and posted again with "
                        "the corrected text (a new post, at a new address)"
                        + (f" (last attempt: {waiting[-1]})" if waiting else ""), old, new,
                        pub.url if pub is not None else None)
    if pub is None:
        return PostEdit(platform, "up_to_date", "the post is not out: it will go out "
                        "with the corrected text", old, new)
    if new == old:
        return PostEdit(platform, "up_to_date", "the post already says this", old, new,
                        pub.url)
    detail = "will be edited in place"
    if waiting:
        detail += f" (last attempt: {waiting[-1]})"
    return PostEdit(platform, "would_edit", detail, old, new, pub.url)


def _apply(rt: Runtime, interview_id: int, platform: str, factory: PosterFactory, *,
           release_lease: bool = False) -> PostEdit:
    """One platform's post edited in place; `release_lease`: the lease ends with its
    record, in the same commit."""
    now = rt.clock()
    with rt.transaction() as s:
        rows = open_post_corrections(s, interview_id, platform)
        if not rows:
            if release_lease:
                leases.release(s, interview_id, rt.owner)
            return PostEdit(platform, "up_to_date", "nothing to correct")
        ids = [r.id for r in rows]
        old = str((rows[0].known or {}).get(POST_FIELD) or "")
        pub = posts_out(s, interview_id).get(platform)
        maybe = posts_maybe_out(s, interview_id).get(platform) if pub is None else None
        item = s.get(Interview, interview_id)
        assert item is not None
        _ = (item.speakers, item.localizations)
        link = video_link(s, interview_id)
        remote_id, url = (pub.remote_id, pub.url) if pub is not None else (None, None)
    if maybe is not None:
        return _wait_for_post(rt, interview_id, ids, platform, old, release_lease)
    if remote_id is None:
        _finish(rt, interview_id, ids, None, old, None, "the post is not out",
                release_lease)
        return PostEdit(platform, "up_to_date", "the post is not out: it will go out with "
                        "the corrected text", old)
    try:
        poster = factory(rt, platform)
        limits = _reported_limits(rt, platform, poster.reported_limits(), now)
        rendered = post_text(rt.config, rt.schedules, item, platform, link, limits)
        if rendered.problem:
            raise PermanentError(f"the corrected post does not fit: {rendered.problem}; "
                                 "shorten the text", platform=platform, reason="too_long")
        new = rendered.text
        if new == old:
            _finish(rt, interview_id, ids, None, old, new, "the post already says this",
                    release_lease)
            return PostEdit(platform, "up_to_date", "the post already says this", old, new,
                            url)
        # Intent: what will be sent, saved before the request.
        with rt.transaction() as s:
            for row in s.scalars(select(Correction).where(Correction.id.in_(ids))):
                set_correction(row, CorrectionState.IN_FLIGHT, attempts=row.attempts + 1,
                               sent={POST_FIELD: new})
        crash_point(f"post_edit.{platform}.before")
        poster.edit(remote_id, _content(item, new, link))
        crash_point(f"post_edit.{platform}.sent")
        _finish(rt, interview_id, ids, remote_id, old, new, None, release_lease)
        crash_point(f"post_edit.{platform}.recorded")
        return PostEdit(platform, "edited", "edited in place", old, new, url)
    except PlatformError as exc:
        return _failed(rt, interview_id, ids, platform, exc, now, old, url, release_lease)


def _content(item: Interview, text: str, link: str) -> PostContent:
    body = item.description.strip().splitlines()[0] if item.description.strip() else ""
    return PostContent(text=text, link=link, title=item.title, description=body[:300],
                       thumbnail=Path(item.thumbnail_path) if item.thumbnail_path else None,
                       language=item.language)


def _reported_limits(rt: Runtime, platform: str, reported: tuple[int, int | None] | None,
                     now: dt.datetime) -> PlatformLimits | None:
    """As pipeline/crosspost.py: the server's own limits, kept for the checks."""
    if reported is None:
        return None
    limits = PlatformLimits(*reported, seen_at=now)
    with rt.transaction() as s:
        remember(s, platform, limits, now)
    return limits


def _finish(rt: Runtime, interview_id: int, ids: list[int], remote_id: str | None,
            old: str, new: str | None, why: str | None, release_lease: bool) -> None:
    """Every open correction of the post ends done; journaled when the post was edited."""
    now = rt.clock()
    with rt.transaction() as s:
        if release_lease:
            leases.release(s, interview_id, rt.owner)
        rows = list(s.scalars(select(Correction).where(Correction.id.in_(ids))))
        platform = rows[0].platform if rows else ""
        for row in rows:
            set_correction(row, CorrectionState.DONE, applied_at=now, last_error=None,
                           next_attempt_at=None)
        if remote_id is not None:
            rt.journal(s, interview_id, EventKind.CORRECTION_APPLIED, corrections=ids,
                       platform=platform, remote_id=remote_id,
                       changes={POST_FIELD: {"old": old, "new": new}})
    if remote_id is not None:
        log.info("interview %s: the %s post %s was edited", interview_id, platform, remote_id)
    elif why:
        log.info("interview %s: %s correction done: %s", interview_id, platform, why)


#: How long a correction waits for its post's own outcome before looking again.
POST_OUTCOME_WAIT = dt.timedelta(minutes=10)


def _wait_for_post(rt: Runtime, interview_id: int, ids: list[int], platform: str, old: str,
                   release_lease: bool) -> PostEdit:
    """The post may be out, its outcome not known yet (looked up by the cross-post, or
    resolved by a person): the correction waits for it, then edits it."""
    now = rt.clock()
    reason = ("the post's own outcome is not known yet (the cross-post looks it up, or "
              "`publisher status` says what to do); the edit follows once it is recorded")
    with rt.transaction() as s:
        if release_lease:
            leases.release(s, interview_id, rt.owner)
        for row in s.scalars(select(Correction).where(Correction.id.in_(ids))):
            set_correction(row, CorrectionState.WAITING, last_error=reason,
                           next_attempt_at=now + POST_OUTCOME_WAIT)
        rt.journal(s, interview_id, EventKind.CORRECTION_WAITING, corrections=ids,
                   platform=platform, error=reason)
    return PostEdit(platform, "waiting", reason, old)


def _failed(rt: Runtime, interview_id: int, ids: list[int], platform: str,
            exc: PlatformError, now: dt.datetime, old: str, url: str | None,
            release_lease: bool) -> PostEdit:
    """Waiting (a passing failure) or needing attention (the post is gone, the credentials,
    a refusal): recorded on the open corrections of the post, journaled, told."""
    from publisher.platforms.spec import get

    label = get(platform).label
    if isinstance(exc, PostGone):
        reason = (f"{exc}. The {label} post cannot be corrected: post the corrected text "
                  f"on {label} by hand if it matters, then `publisher resolve "
                  f"{interview_id} --platform {platform} --url URL` records it")
    elif isinstance(exc, AuthError):
        reason = f"{exc}. To fix: renew the credentials, then `publisher sync {interview_id}`"
    elif isinstance(exc, PermanentError):
        reason = f"{exc}. To fix: correct it, then `publisher sync {interview_id}`"
    else:
        reason = str(exc)
    permanent = isinstance(exc, PermanentError | AuthError)
    with rt.transaction() as s:
        if release_lease:
            leases.release(s, interview_id, rt.owner)
        for row in s.scalars(select(Correction).where(Correction.id.in_(ids))):
            correction_failed(row, exc, now, reason, permanent=permanent)
        kind = (EventKind.CORRECTION_NEEDS_ATTENTION if permanent
                else EventKind.CORRECTION_WAITING)
        rt.journal(s, interview_id, kind, corrections=ids, platform=platform, error=reason)
    if permanent:
        rt.notify(f"Interview {interview_id}: the correction of its {label} post needs "
                  "attention", reason)
    log.warning("interview %s: %s post correction: %s", interview_id, platform, reason)
    return PostEdit(platform, "needs_attention" if permanent else "waiting", reason, old,
                    None, url)


def due_interviews(session: Session, now: dt.datetime) -> list[int]:
    """Interviews with a post correction to apply now: pending, left in flight by a crash,
    or waiting and due again. Refusals wait for people."""
    rows = session.execute(select(Correction.interview_id).where(
        Correction.platform != "youtube",
        Correction.state.in_([CorrectionState.PENDING.value,
                              CorrectionState.IN_FLIGHT.value])
        | ((Correction.state == CorrectionState.WAITING.value)
           & (Correction.next_attempt_at <= now)))
        .order_by(Correction.id)).all()
    return list(dict.fromkeys(row.interview_id for row in rows))


def post_corrections_due(rt: Runtime, now: dt.datetime) -> list[tuple[int, PostEdit]]:
    """Apply every post correction due (the daemon's tick, after YouTube's)."""
    with rt.transaction() as s:
        due = due_interviews(s, now)
    return [(interview_id, edit) for interview_id in due
            for edit in sync_posts(rt, interview_id) if edit.outcome != "kept"]
