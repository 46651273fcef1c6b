"""Replacing a post that cannot be edited (X, Bluesky), when the organizer asks for it on that
platform (`publisher sync ID --replace x`): the old post deleted, the corrected text posted
as a new one — exactly once, intent → act → record.

The request is a correction of the platform with its one field `replace` (`REPLACE_FIELD`),
pending, `known` = the post out there (its text, id and address). Applying it, each step
decided by the post's publication record, so a run resumed after a crash goes on where the
last one stopped:

1. intent, one commit: the correction in flight (`sent` = the text to post), the post
   record done → deleting;
2. the platform's delete ("not found" is gone: sent again after a crash, it is harmless);
3. one commit: the record deleting → deleted → pending (its old id and address journaled,
   `post_deleted` with `replaced`);
4. the corrected post, through the cross-post's own intent → act → record
   (`crosspost.post_one`: a handle committed before the request, looked up after a
   crash, never sent twice);
5. one commit: the correction done, journaled (`correction_applied` with the old and new
   text, id and address), the lease given back.

A crash between 2 and 3 sends the delete again; between 3 and 4 posts once; in 4 the post
is looked up by its handle. A passing failure waits (`next_attempt_at`); a refusal, the
credentials or a post that cannot go out needs attention, with the reason.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from publisher import leases
from publisher.errors import InputError
from publisher.faults import crash_point
from publisher.lifecycle import EventKind, Step, set_correction, set_publication
from publisher.pipeline.crosspost import PosterFactory, post_one
from publisher.pipeline.records import record
from publisher.pipeline.retry import correction_failed
from publisher.pipeline.runtime import Runtime
from publisher.platforms.errors import AuthError, PermanentError, PlatformError
from publisher.post_corrections import (
    POST_FIELD,
    REPLACE_FIELD,
    kept_posts,
    open_post_corrections,
    posts_out,
    video_link,
)
from publisher.store.models import (
    Correction,
    CorrectionState,
    Interview,
    Publication,
    PublicationState,
    State,
)

log = logging.getLogger(__name__)
_P = PublicationState
#: Where a replacement may post: the interview is out (a withdrawal stops it).
_OUT = frozenset({State.RELEASED.value, State.PUBLISHED.value})


def replaceable(platform: str) -> bool:
    """A platform whose posts are replaced, not edited: cross-posting, no edit in place."""
    from publisher.platforms.spec import get

    return platform != "youtube" and not get(platform).can_edit


def request(rt: Runtime, interview_id: int, platform: str, *, dry_run: bool = False
            ) -> bool:
    """Record the organizer's ask to replace the post on `platform` (a pending correction;
    one already open stays). False when there is nothing to replace: the post says what
    the interview says. `dry_run`: only check. Raises InputError for a platform that edits
    in place, or no post out there."""
    from publisher.platforms.spec import get, names

    if platform not in names() or platform == "youtube":
        raise InputError(f"--replace {platform}: not a platform that cross-posts")
    label = get(platform).label
    if not replaceable(platform):
        raise InputError(f"--replace {platform}: {label} posts are edited in place, "
                         "nothing to replace")
    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        if item is None:
            raise InputError(f"there is no interview {interview_id}")
        _ = (item.speakers, item.localizations)
        opened = open_post_corrections(s, interview_id, platform)
        if opened:
            return True
        if item.state not in _OUT:
            raise InputError(f"--replace {platform}: interview {interview_id} is "
                             f"{item.state.replace('_', ' ')}; only a released or published "
                             "interview's post is replaced")
        pub = posts_out(s, interview_id).get(platform)
        if pub is None:
            raise InputError(f"--replace {platform}: interview {interview_id} has no "
                             f"{label} post out")
        kept = kept_posts(s, rt.config, rt.schedules, item).get(platform)
        if kept is None:
            return False
        if dry_run:
            return True
        row = Correction(interview_id=interview_id, platform=platform,
                         state=CorrectionState.PENDING.value, fields=[REPLACE_FIELD],
                         known={POST_FIELD: kept[0], "remote_id": pub.remote_id,
                                "url": pub.url},
                         attempts=0, actor=rt.actor)
        s.add(row)
        s.flush()
        rt.journal(s, interview_id, EventKind.CORRECTION_RECORDED, correction=row.id,
                   platform=platform, fields=[REPLACE_FIELD], replace=True,
                   changes={POST_FIELD: {"old": kept[0], "new": kept[1]}})
        return True


def replace(rt: Runtime, interview_id: int, platform: str, factory: PosterFactory, *,
            release_lease: bool) -> dict[str, Any]:
    """Apply the open replacement of `platform`'s post (see the module docstring), holding
    the interview's lease; `release_lease`: give it back in the last record's commit.
    Returns outcome, detail, old and new text, and the new address."""
    with rt.transaction() as s:
        rows = open_post_corrections(s, interview_id, platform)
        if not rows:
            if release_lease:
                leases.release(s, interview_id, rt.owner)
            return _said("up_to_date", "nothing to replace")
        row = rows[0]
        cid, known = row.id, dict(row.known or {})
        old = str(known.get(POST_FIELD) or "")
        item = s.get(Interview, interview_id)
        assert item is not None
        _ = (item.speakers, item.captions, item.localizations)
        pub = record(s, interview_id, platform, Step.POST.value)
        if pub.state == _P.DONE.value and pub.remote_id == known.get("remote_id"):
            if item.state not in _OUT:
                if release_lease:
                    leases.release(s, interview_id, rt.owner)
                return _said("waiting", "the interview is not out (withdrawn?): nothing "
                             "is replaced while it is not", old)
            # 1. intent
            set_correction(row, CorrectionState.IN_FLIGHT, attempts=row.attempts + 1,
                           sent={POST_FIELD: _wanted(s, rt, item, platform)},
                           next_attempt_at=None, last_error=None)
            set_publication(pub, _P.DELETING, attempts=0, next_attempt_at=None,
                            last_error=None)
        elif row.state != CorrectionState.IN_FLIGHT.value:
            set_correction(row, CorrectionState.IN_FLIGHT, next_attempt_at=None)
        pub_id, state = pub.id, pub.state
    crash_point(f"post_replace.{platform}.before")
    if state == _P.DELETING.value:
        try:
            _delete(rt, interview_id, pub_id, platform, known, factory)
        except PlatformError as exc:
            return _failed(rt, interview_id, cid, platform, exc, old, release_lease)
        crash_point(f"post_replace.{platform}.deleted")
    with rt.transaction() as s:
        pub_row = s.get(Publication, pub_id)
        assert pub_row is not None
        item = s.get(Interview, interview_id)
        assert item is not None
        _ = (item.speakers, item.captions, item.localizations)
        link = video_link(s, interview_id)
        state = pub_row.state
    if state != _P.DONE.value:
        if item.state not in _OUT:
            # Withdrawn meanwhile: the post goes out again with republish, not now.
            return _close(rt, interview_id, cid, platform, old, None, None, release_lease,
                          note="withdrawn before the corrected post went out")
        if state == _P.NEEDS_ATTENTION.value:
            _again(rt, pub_id)  # an organizer's sync tries once more (looked up first)
        outcome = post_one(rt, item, platform, link, rt.clock(), factory)
        crash_point(f"post_replace.{platform}.posted")
        with rt.transaction() as s:
            pub_row = s.get(Publication, pub_id)
            assert pub_row is not None
            state = pub_row.state
        if state == _P.SKIPPED.value:
            return _close(rt, interview_id, cid, platform, old, None, None, release_lease,
                          note=f"the corrected post was skipped: {outcome.detail}")
        if state != _P.DONE.value:
            return _post_failed(rt, interview_id, cid, platform, pub_id, outcome.detail,
                                old, release_lease)
    return _close(rt, interview_id, cid, platform, old, pub_id, known, release_lease)


def _again(rt: Runtime, pub_id: int) -> None:
    """A corrected post that needed a person is tried again: looked up first when a request
    may have gone out (it has a handle), else posted."""
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, _P.UNKNOWN if pub.handle else _P.PENDING, last_error=None,
                        next_attempt_at=None)


def _said(outcome: str, detail: str, old: str | None = None, new: str | None = None,
          url: str | None = None) -> dict[str, Any]:
    return {"outcome": outcome, "detail": detail, "old": old, "new": new, "url": url}


def _wanted(session: Any, rt: Runtime, item: Interview, platform: str) -> str:
    from publisher.platform_limits import known
    from publisher.post_corrections import post_text

    return post_text(rt.config, rt.schedules, item, platform, video_link(session, item.id),
                     known(session).get(platform)).text


def _delete(rt: Runtime, interview_id: int, pub_id: int, platform: str,
            known: dict[str, Any], factory: PosterFactory) -> None:
    """Steps 2 and 3: the delete, then the record deleted and pending again, one commit."""
    gone_now = factory(rt, platform).delete(str(known.get("remote_id") or ""))
    crash_point(f"post_replace.{platform}.delete_sent")
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, _P.DELETED, last_error=None, next_attempt_at=None)
        set_publication(pub, _P.PENDING, handle=None, remote_id=None, url=None, attempts=0)
        rt.journal(s, interview_id, EventKind.POST_DELETED, platform=platform,
                   remote_id=known.get("remote_id"), url=known.get("url"),
                   already_gone=not gone_now, replaced=True)


def _close(rt: Runtime, interview_id: int, cid: int, platform: str, old: str,
           pub_id: int | None, known: dict[str, Any] | None, release_lease: bool, *,
           note: str | None = None) -> dict[str, Any]:
    """Step 5: the correction done, journaled with the old and new post, in one commit
    with the lease given back (when it is the last)."""
    with rt.transaction() as s:
        if release_lease:
            leases.release(s, interview_id, rt.owner)
        row = s.get(Correction, cid)
        assert row is not None
        if row.state == CorrectionState.DONE.value:
            return _said("up_to_date", "already replaced", old)
        new = str((row.sent or {}).get(POST_FIELD) or "")
        set_correction(row, CorrectionState.DONE, applied_at=rt.clock(), last_error=None,
                       next_attempt_at=None)
        pub = s.get(Publication, pub_id) if pub_id is not None else None
        if pub is None or known is None or note:
            rt.journal(s, interview_id, EventKind.CORRECTION_APPLIED, corrections=[cid],
                       platform=platform, replaced=False, note=note)
            return _said("up_to_date", note or "", old)
        rt.journal(s, interview_id, EventKind.CORRECTION_APPLIED, corrections=[cid],
                   platform=platform, replaced=True,
                   old={"remote_id": known.get("remote_id"), "url": known.get("url")},
                   new={"remote_id": pub.remote_id, "url": pub.url},
                   changes={POST_FIELD: {"old": old, "new": new}})
        url = pub.url
    log.info("interview %s: the %s post was replaced: %s", interview_id, platform, url)
    return _said("replaced", "deleted and posted again with the corrected text", old, new,
                 url)


def _failed(rt: Runtime, interview_id: int, cid: int, platform: str, exc: PlatformError,
            old: str, release_lease: bool) -> dict[str, Any]:
    """The delete failed: waiting (passing), or needing a person (refused, credentials).
    The post record stays deleting: the next run sends the delete again."""
    from publisher.platforms.spec import get

    label = get(platform).label
    permanent = isinstance(exc, PermanentError | AuthError)
    if isinstance(exc, AuthError):
        reason = (f"{exc}. To fix: renew the {label} credentials, then "
                  f"`publisher sync {interview_id}`")
    elif permanent:
        reason = (f"{exc}. To fix: delete the post on {label} by hand, then "
                  f"`publisher sync {interview_id}`")
    else:
        reason = str(exc)
    now = rt.clock()
    with rt.transaction() as s:
        if release_lease:
            leases.release(s, interview_id, rt.owner)
        row = s.get(Correction, cid)
        assert row is not None
        correction_failed(row, exc, now, reason, permanent=permanent)
        rt.journal(s, interview_id, EventKind.CORRECTION_NEEDS_ATTENTION if permanent
                   else EventKind.CORRECTION_WAITING, corrections=[cid], platform=platform,
                   error=reason)
    if permanent:
        rt.notify(f"Interview {interview_id}: replacing its {label} post needs attention",
                  reason)
    log.warning("interview %s: replacing the %s post: %s", interview_id, platform, reason)
    return _said("needs_attention" if permanent else "waiting", reason, old)


def _post_failed(rt: Runtime, interview_id: int, cid: int, platform: str, pub_id: int,
                 detail: str, old: str, release_lease: bool) -> dict[str, Any]:
    """The corrected post did not go out: the correction follows its record (the cross-post
    recorded why): waiting until the record's next attempt, or needing a person."""
    with rt.transaction() as s:
        if release_lease:
            leases.release(s, interview_id, rt.owner)
        row = s.get(Correction, cid)
        pub = s.get(Publication, pub_id)
        assert row is not None and pub is not None
        reason = pub.last_error or detail
        if pub.state == _P.NEEDS_ATTENTION.value:
            set_correction(row, CorrectionState.NEEDS_ATTENTION, last_error=reason,
                           next_attempt_at=None)
            kind = EventKind.CORRECTION_NEEDS_ATTENTION
        else:
            until = pub.next_attempt_at or rt.clock() + dt.timedelta(minutes=1)
            set_correction(row, CorrectionState.WAITING, last_error=reason,
                           next_attempt_at=until)
            kind = EventKind.CORRECTION_WAITING
        rt.journal(s, interview_id, kind, corrections=[cid], platform=platform, error=reason)
        outcome = "needs_attention" if kind == EventKind.CORRECTION_NEEDS_ATTENTION \
            else "waiting"
    return _said(outcome, f"the old post is deleted; the corrected one: {reason}", old)


def is_replacement(row: Correction) -> bool:
    return REPLACE_FIELD in (row.fields or [])


def open_replacements(session: Any, interview_id: int) -> list[str]:
    """The platforms whose post replacement is open."""
    return sorted({c.platform for c in open_post_corrections(session, interview_id)
                   if is_replacement(c)})


def replace_hint(interview_id: int, platform: str) -> str:
    return f"`publisher sync {interview_id} --replace {platform}` replaces it"

