"""Taking an interview down after it went out, and putting it back: `publisher withdraw` and
`publisher republish`, intent → act → record like every other step.

Withdrawing (`withdraw`):

1. intent, in one transaction: the interview → withdrawn (journaled with the reason) and a
   YouTube record `withdrawal:<n>`, pending. From this commit nothing publishes it any more:
   the release, the decorations and the cross-posts only act on staged and released
   interviews.
2. the video: read back (`videos.list`); unless it is already private without a publishAt,
   one `videos.update` of the status part as a read-modify-write (fields.update_request:
   every other status property sent back as it was), privacy private, publishAt removed.
   Never deleted: the archive keeps it. Recorded done, journaled.
3. each post that is out (a done post record): → deleting (committed before the request),
   the platform's delete, → deleted (journaled with the old id and address). "Not found"
   means already gone. A crash leaves it deleting, and the next run sends the delete again,
   which the platform answers "not found": deleted, once. A platform that will not delete
   it (Telegram past its 48 hours), refused credentials or a refusal: needs_attention with
   the post's link, to delete by hand (`publisher withdraw ID --deleted-by-hand PLATFORM`
   records it). A passing failure: it stays deleting, tried again at next_attempt_at.
4. the organizers are notified.

Republishing (`republish`) finishes the withdrawal first, then: intent (a `republish:<n>`
record, pending), the video back to what the interview wants (public; private with
publishAt = its slot when the release is still ahead), and in one transaction: the record
done, every deleted post pending again (the pipeline posts it anew, exactly once, through
its own intent → act → record), and the interview back to staged, released or published.

A post record that was never out when the withdrawal came (pending, failed) is left as it is:
nothing posts for a withdrawn interview, and after republishing the cross-posts go on.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.errors import InputError, NotFoundError
from publisher.faults import crash_point
from publisher.lifecycle import (
    EventKind,
    Step,
    all_posted,
    numbered_step,
    set_publication,
    transition,
    video_record,
)
from publisher.pipeline.records import record
from publisher.pipeline.retry import next_attempt
from publisher.pipeline.runtime import Runtime
from publisher.platforms.base import CannotDelete
from publisher.platforms.errors import AuthError, PermanentError, PlatformError
from publisher.platforms.youtube.fields import READ_PARTS, Field, update_request, values_of
from publisher.store.models import Interview, Publication, PublicationState, State

log = logging.getLogger(__name__)

#: The states a withdrawal takes an interview from: something of it is on YouTube, done.
WITHDRAWABLE = frozenset({State.STAGED, State.RELEASED, State.PUBLISHED})
_P = PublicationState


@dataclass
class WithdrawReport:
    interview_id: int
    video: str = ""                      # what became of the video
    deleted: dict[str, str] = field(default_factory=dict)   # platform → what happened
    needs_you: dict[str, str] = field(default_factory=dict)  # platform → reason
    waiting: dict[str, str] = field(default_factory=dict)    # platform → reason

    @property
    def finished(self) -> bool:
        return not self.needs_you and not self.waiting

    def as_json(self) -> dict[str, Any]:
        return {"id": self.interview_id, "video": self.video, "deleted": self.deleted,
                "needs_you": self.needs_you, "waiting": self.waiting,
                "finished": self.finished}


# ---- records -------------------------------------------------------------------------------

def _latest(session: Session, interview_id: int, step: Step) -> Publication | None:
    """The interview's newest `withdrawal:<n>` or `republish:<n>` record."""
    rows = session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.platform == "youtube",
        Publication.step.like(f"{step.value}:%"))).all()
    return max(rows, key=lambda p: int(p.step.partition(":")[2]), default=None)


def _count(session: Session, interview_id: int, step: Step) -> int:
    return int(session.scalar(select(func.count()).select_from(Publication).where(
        Publication.interview_id == interview_id, Publication.platform == "youtube",
        Publication.step.like(f"{step.value}:%"))) or 0)


def _posts(session: Session, interview_id: int, *states: PublicationState
           ) -> list[Publication]:
    return list(session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.step == Step.POST.value,
        Publication.state.in_([s.value for s in states])).order_by(Publication.platform)))


def _get(session: Session, interview_id: int) -> Interview:
    item = session.get(Interview, interview_id)
    if item is None:
        raise NotFoundError(f"there is no interview {interview_id} (see `publisher queue "
                            "list`)")
    return item


# ---- withdrawing ---------------------------------------------------------------------------

def withdraw(rt: Runtime, interview_id: int, reason: str) -> WithdrawReport:
    """Take the interview down now (see the module docstring); run again, it finishes a
    withdrawal a crash or a passing failure interrupted, and changes nothing more."""
    with rt.transaction() as s:
        item = _get(s, interview_id)
        state = State(item.state)
        if state != State.WITHDRAWN:
            if state not in WITHDRAWABLE:
                raise InputError(
                    f"interview {interview_id} is {state.value.replace('_', ' ')}: only one "
                    "that is on YouTube (staged, released or published) can be withdrawn"
                    + (f"; `publisher queue cancel {interview_id}` stops it"
                       if state in (State.QUEUED, State.HELD, State.STAGING) else ""))
            if not reason.strip():
                raise InputError("--reason: say why it is withdrawn (the journal keeps it)")
            n = _count(s, interview_id, Step.WITHDRAWAL) + 1
            record(s, interview_id, "youtube", numbered_step(Step.WITHDRAWAL, n))
            # Not fenced by a lease: a withdrawal goes first. A worker acting meanwhile
            # loses its next transition (the state changed under it).
            transition(s, interview_id, State.WITHDRAWN, kind=EventKind.WITHDRAWN,
                       actor=rt.actor, at=rt.clock(), end_lease=True,
                       reason=reason.strip(), was=state.value)
            fresh = True
        else:
            fresh = False
    crash_point("withdraw.intent")
    report = _finish_withdrawal(rt, interview_id, again=not fresh)
    if fresh or report.needs_you:
        _tell(rt, interview_id, report, reason)
    return report


def _finish_withdrawal(rt: Runtime, interview_id: int, *, again: bool = False
                       ) -> WithdrawReport:
    """Steps 2 and 3. `again`: an organizer's new `withdraw` also tries once more what
    needed a person (renewed credentials; a refusal that has passed)."""
    report = WithdrawReport(interview_id)
    report.video = _video_private(rt, interview_id, again=again)
    now = rt.clock()
    with rt.transaction() as s:
        if again:
            for p in _posts(s, interview_id, _P.NEEDS_ATTENTION):
                if p.remote_id:  # a delete that needed a person (not a post that failed)
                    set_publication(p, _P.DELETING, next_attempt_at=None)
        todo = [(p.id, p.platform) for p in _posts(s, interview_id, _P.DONE, _P.DELETING)
                if p.state == _P.DONE.value or p.next_attempt_at is None
                or p.next_attempt_at <= now]
        for p in _posts(s, interview_id, _P.DELETING):
            if p.next_attempt_at is not None and p.next_attempt_at > now:
                report.waiting[p.platform] = p.last_error or "tried again later"
        for p in _posts(s, interview_id, _P.NEEDS_ATTENTION):
            if p.remote_id:
                report.needs_you[p.platform] = p.last_error or ""
    for pub_id, platform in todo:
        _delete_post(rt, interview_id, pub_id, platform, report)
    return report


def _video_private(rt: Runtime, interview_id: int, *, again: bool = False) -> str:
    """Step 2: the video private, without publishAt (read back first)."""
    now = rt.clock()
    with rt.transaction() as s:
        pub = _latest(s, interview_id, Step.WITHDRAWAL)
        video = video_record(s, interview_id)
        video_id = video.remote_id if video is not None else None
        if pub is None or pub.state == _P.DONE.value:
            return "private"
        if pub.state == _P.NEEDS_ATTENTION.value:
            if not again:
                return f"needs you: {pub.last_error}"
            set_publication(pub, _P.PENDING)
        if not again and pub.next_attempt_at is not None and pub.next_attempt_at > now:
            return f"waiting: {pub.last_error}"
        if video_id is None:  # staged means uploaded; a record lost by hand
            set_publication(pub, _P.DONE, last_error="no video id recorded")
            return "no video on record"
        set_publication(pub, _P.IN_FLIGHT, remote_id=video_id, attempts=pub.attempts + 1)
        pub_id = pub.id
    crash_point("withdraw.video_intent")
    try:
        was = _set_status(rt, video_id, {Field.PRIVACY: "private", Field.PUBLISH_AT: None})
    except PlatformError as exc:
        return _video_failed(rt, interview_id, pub_id, exc)
    crash_point("withdraw.video_sent")
    with rt.transaction() as s:
        found = s.get(Publication, pub_id)
        assert found is not None
        set_publication(found, _P.DONE, last_error=None, next_attempt_at=None)
        rt.journal(s, interview_id, EventKind.VIDEO_MADE_PRIVATE, video_id=video_id,
                   was=was, changed=was is not None)
    return "made private" if was is not None else "already private"


def _set_status(rt: Runtime, video_id: str, wanted: dict[Field, Any]) -> dict[str, Any] | None:
    """Read the video back and, unless it already holds `wanted`, send one videos.update of
    its status part keeping every other property. What it held before, or None when
    nothing was sent. A withdrawal goes with the releases: it may spend the quota kept for
    them (taking a video down never waits for the reset)."""
    api, _http = rt.youtube(releasing=True)
    resource = api.read_video(video_id, READ_PARTS)
    if resource is None:
        raise PermanentError(f"the video {video_id} is no longer on YouTube",
                             platform="youtube", reason="videoNotFound")
    live = values_of(resource)
    changes = {f: v for f, v in wanted.items() if live[f] != v}
    if not changes:
        return None
    body, parts = update_request(resource, changes)
    api.update_video(body, parts)
    return {f.value: live[f] for f in wanted}


def _video_failed(rt: Runtime, interview_id: int, pub_id: int, exc: PlatformError) -> str:
    """The video could not be changed now: a passing failure stays in flight (the next run,
    or the daemon's tick, reads it back and tries again); a refusal needs a person."""
    now = rt.clock()
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        if isinstance(exc, PermanentError | AuthError):
            why = (f"{exc}. To fix: make the video private in YouTube Studio"
                   + (", or `publisher auth youtube`" if isinstance(exc, AuthError) else "")
                   + f", then `publisher withdraw {interview_id}` again")
            set_publication(pub, _P.NEEDS_ATTENTION, last_error=why)
            rt.journal(s, interview_id, EventKind.YOUTUBE_NEEDS_ATTENTION, reason=why,
                       step=pub.step)
            return f"needs you: {why}"
        until = getattr(exc, "until", None) or next_attempt(now, pub.attempts,
                                                            getattr(exc, "retry_at", None))
        set_publication(pub, _P.IN_FLIGHT, last_error=str(exc), next_attempt_at=until)
        rt.journal(s, interview_id, EventKind.YOUTUBE_WAITING, step=pub.step, error=str(exc))
        return f"waiting: {exc}"


def _delete_post(rt: Runtime, interview_id: int, pub_id: int, platform: str,
                 report: WithdrawReport) -> None:
    """Step 3 for one post: deleting (committed) → the delete → deleted."""
    from publisher.pipeline.crosspost import default_poster_factory

    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        if pub.state == _P.DONE.value:
            set_publication(pub, _P.DELETING, attempts=0, next_attempt_at=None,
                            last_error=None)
        remote_id, url = pub.remote_id or "", pub.url
    crash_point("withdraw.delete_intent")
    try:
        poster = (rt.poster_factory or default_poster_factory)(rt, platform)
        gone_now = poster.delete(remote_id)
    except PlatformError as exc:
        _delete_failed(rt, interview_id, pub_id, platform, url or remote_id, exc, report)
        return
    crash_point("withdraw.delete_sent")
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, _P.DELETED, last_error=None, next_attempt_at=None)
        rt.journal(s, interview_id, EventKind.POST_DELETED, platform=platform,
                   remote_id=remote_id, url=url, already_gone=not gone_now)
    report.deleted[platform] = "deleted" if gone_now else "already gone"


def _delete_failed(rt: Runtime, interview_id: int, pub_id: int, platform: str, where: str,
                   exc: PlatformError, report: WithdrawReport) -> None:
    from publisher.platforms.spec import get

    now = rt.clock()
    spec = get(platform)
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        if isinstance(exc, PermanentError | AuthError):
            if isinstance(exc, CannotDelete):
                window = (f" (it lets a post be deleted only within "
                          f"{int(spec.delete_window.total_seconds() // 3600)} hours)"
                          if spec.delete_window else "")
                fix = f"delete it by hand on {spec.label}{window}: {where}"
            elif isinstance(exc, AuthError):
                fix = f"renew the {spec.label} credentials, then `publisher withdraw " \
                      f"{interview_id}` again; or delete it by hand: {where}"
            else:
                fix = f"delete it by hand on {spec.label}: {where}"
            why = (f"{exc}. To fix: {fix}; then `publisher withdraw {interview_id} "
                   f"--deleted-by-hand {platform}`")
            set_publication(pub, _P.NEEDS_ATTENTION, last_error=why, next_attempt_at=None)
            rt.journal(s, interview_id, EventKind.POST_DELETE_NEEDS_ATTENTION,
                       platform=platform, reason=why)
            report.needs_you[platform] = why
            return
        pub.attempts += 1
        until = getattr(exc, "until", None) or next_attempt(now, pub.attempts,
                                                            getattr(exc, "retry_at", None))
        set_publication(pub, _P.DELETING, last_error=str(exc), next_attempt_at=until)
        rt.journal(s, interview_id, EventKind.POST_DELETE_WAITING, platform=platform,
                   error=str(exc))
        report.waiting[platform] = str(exc)


def _tell(rt: Runtime, interview_id: int, report: WithdrawReport, reason: str) -> None:
    lines = [f"Reason: {reason}" if reason else "", f"Video: {report.video}"]
    lines += [f"{p}: {what}" for p, what in report.deleted.items()]
    lines += [f"{p}: waiting: {why}" for p, why in report.waiting.items()]
    lines += [f"{p}: NEEDS YOU: {why}" for p, why in report.needs_you.items()]
    subject = (f"Interview {interview_id} withdrawn" if not report.needs_you else
               f"Interview {interview_id} withdrawn: a post needs deleting by hand")
    rt.notify(subject, "\n".join(line for line in lines if line))


def deleted_by_hand(rt: Runtime, interview_id: int, platform: str) -> None:
    """An organizer deleted the post by hand (the withdrawal could not): recorded deleted."""
    with rt.transaction() as s:
        item = _get(s, interview_id)
        if item.state != State.WITHDRAWN.value:
            raise InputError(f"interview {interview_id} is not withdrawn")
        pubs = [p for p in _posts(s, interview_id, _P.NEEDS_ATTENTION, _P.DELETING)
                if p.platform == platform and p.remote_id]
        if not pubs:
            raise InputError(f"interview {interview_id} has no post on {platform} waiting "
                             "to be deleted")
        for pub in pubs:
            set_publication(pub, _P.DELETED, last_error=None, next_attempt_at=None)
            rt.journal(s, interview_id, EventKind.POST_DELETED_BY_HAND, platform=platform,
                       remote_id=pub.remote_id, url=pub.url)


# ---- republishing --------------------------------------------------------------------------

@dataclass
class RepublishReport:
    interview_id: int
    back_to: State | None = None  # the state republishing gave it
    video: str = ""
    reposting: list[str] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"id": self.interview_id, "state": self.back_to.value if self.back_to else None,
                "video": self.video, "reposting": self.reposting}


def republish(rt: Runtime, interview_id: int) -> RepublishReport:
    """Undo the withdrawal (see the module docstring). Raises InputError while a post of the
    withdrawal is still to be deleted (waiting for a retry) or the video could not be made
    private: republishing then would leave two copies of a post, or none."""
    with rt.transaction() as s:
        item = _get(s, interview_id)
        if item.state != State.WITHDRAWN.value:
            raise InputError(f"interview {interview_id} is not withdrawn (it is "
                             f"{item.state.replace('_', ' ')})")
        resumed = _latest(s, interview_id, Step.REPUBLISH)
        n = _count(s, interview_id, Step.REPUBLISH)
        in_progress = resumed is not None and resumed.state != _P.DONE.value
    if not in_progress:
        finished = _finish_withdrawal(rt, interview_id)
        with rt.transaction() as s:
            withdrawal = _latest(s, interview_id, Step.WITHDRAWAL)
            video_open = withdrawal is not None and withdrawal.state != _P.DONE.value
        if finished.waiting or video_open:
            left = ", ".join([*finished.waiting, *(["the video"] if video_open else [])])
            raise InputError(f"interview {interview_id}'s withdrawal is not finished ({left}): "
                             f"`publisher withdraw {interview_id}` finishes it; then "
                             "republish")
        with rt.transaction() as s:
            record(s, interview_id, "youtube", numbered_step(Step.REPUBLISH, n + 1))
        crash_point("republish.intent")
    return _finish_republish(rt, interview_id)


def _target(rt: Runtime, session: Session, item: Interview, now: dt.datetime
            ) -> tuple[State, dict[Field, Any]]:
    """Where the interview goes back to, and what its video's privacy must be there."""
    from publisher.pipeline.video_meta import video_meta
    from publisher.platforms.youtube.fields import wanted
    from publisher.platforms.youtube.metadata import rfc3339

    released = session.scalars(select(Publication).where(
        Publication.interview_id == item.id, Publication.platform == "youtube",
        Publication.step == Step.RELEASE.value,
        Publication.state == _P.DONE.value)).first() is not None
    if not released:
        slot = item.slot_at
        ahead = slot is not None and slot > now
        # Private again with its publishAt; a slot already passed: the release does it.
        return State.STAGED, {Field.PRIVACY: "private",
                              Field.PUBLISH_AT: rfc3339(slot) if ahead and slot else None}
    _ = (item.speakers, item.localizations)
    privacy = wanted(video_meta(rt.config, rt.schedules, item), None)[Field.PRIVACY]
    return State.RELEASED, {Field.PRIVACY: privacy, Field.PUBLISH_AT: None}


def _finish_republish(rt: Runtime, interview_id: int) -> RepublishReport:
    from publisher.pipeline.crosspost import platforms_for

    report = RepublishReport(interview_id)
    now = rt.clock()
    with rt.transaction() as s:
        item = _get(s, interview_id)
        target, status = _target(rt, s, item, now)
        video = video_record(s, interview_id)
        video_id = video.remote_id if video is not None else None
        platforms = platforms_for(rt, item)
    if video_id is not None:
        try:
            was = _set_status(rt, video_id, status)
        except PlatformError as exc:
            raise InputError(f"YouTube did not take the video back ({exc}); nothing else "
                             f"changed: `publisher republish {interview_id}` tries again"
                             ) from None
        crash_point("republish.video_sent")
        report.video = (f"privacy {status[Field.PRIVACY]}" if was is not None
                        else "already as it should be")
    with rt.transaction() as s:
        pub = _latest(s, interview_id, Step.REPUBLISH)
        assert pub is not None
        for post in _posts(s, interview_id, _P.DELETED):
            # Posted anew as a new post: the old one's id stays in the journal.
            set_publication(post, _P.PENDING, handle=None, remote_id=None, url=None,
                            attempts=0, next_attempt_at=None, last_error=None)
            report.reposting.append(post.platform)
        for post in _posts(s, interview_id, _P.NEEDS_ATTENTION):
            if post.remote_id:  # never deleted: it is still out (since it went out)
                set_publication(post, _P.DONE, last_error=None,
                                went_out_at=post.went_out_at or rt.clock())
        set_publication(pub, _P.DONE, remote_id=video_id, last_error=None)
        if target == State.RELEASED and all_posted(s, interview_id, platforms):
            target = State.PUBLISHED
        transition(s, interview_id, target, kind=EventKind.REPUBLISHED, actor=rt.actor,
                   at=rt.clock(), video=report.video, reposting=report.reposting)
        report.back_to = target
    return report


# ---- the daemon's tick -----------------------------------------------------------------------

def withdrawals_due(session: Session, now: dt.datetime) -> list[int]:
    """Withdrawn interviews with something left to do now: a withdrawal's or republishing's
    video step not done (and not waiting), a post still out (done) or due to be deleted
    again."""
    ids = session.scalars(select(Interview.id).where(
        Interview.state == State.WITHDRAWN.value).order_by(Interview.id)).all()
    due: list[int] = []
    for interview_id in ids:
        steps = [p for p in (_latest(session, interview_id, Step.WITHDRAWAL),
                             _latest(session, interview_id, Step.REPUBLISH)) if p is not None]
        video = any(p.state in (_P.PENDING.value, _P.IN_FLIGHT.value)
                    and (p.next_attempt_at is None or p.next_attempt_at <= now)
                    for p in steps)
        posts = any(p.state == _P.DONE.value or p.next_attempt_at is None
                    or p.next_attempt_at <= now
                    for p in _posts(session, interview_id, _P.DONE, _P.DELETING))
        if video or posts:
            due.append(interview_id)
    return due


def resume_due(rt: Runtime, now: dt.datetime) -> list[WithdrawReport | RepublishReport]:
    """Finish every withdrawal (or republishing) a crash or a passing failure left behind."""
    out: list[WithdrawReport | RepublishReport] = []
    with rt.transaction() as s:
        due = withdrawals_due(s, now)
    for interview_id in due:
        r = resume_one(rt, interview_id)
        if r is not None:
            out.append(r)
    return out


def resume_one(rt: Runtime, interview_id: int) -> WithdrawReport | RepublishReport | None:
    """Finish one interview's withdrawal (or republishing); None when it cannot go on."""
    with rt.transaction() as s:
        pending = _latest(s, interview_id, Step.REPUBLISH)
        republishing = pending is not None and pending.state != _P.DONE.value
    try:
        return (_finish_republish(rt, interview_id) if republishing
                else _finish_withdrawal(rt, interview_id))
    except InputError as exc:
        log.warning("interview %s: %s", interview_id, exc)
        return None
