"""Applying corrections to YouTube: read the video back, compare field by field, send one
`videos.update` of whole parts, record it — intent → act → record.

For each correctable field (platforms/youtube/fields.py) there are three values: what YouTube
holds now (`live`, read with videos.list), what the interview wants (`wanted`), and what
publisher last set there (`known`: from the open correction for a pending field; for any
other field, what the interview wants, which YouTube last received from us). The verdict:

- same: live is already what is wanted; nothing to send;
- change: a pending field still as publisher left it: it is sent;
- studio: live differs from what publisher last set: someone changed it by hand (YouTube
  Studio). It is shown, and sent only with `force`; a pending one leaves its correction in
  conflict, waiting for the organizer (`publisher sync ID --force`, or an edit to the live
  value).

A crash anywhere leaves the correction pending or in flight; the next run reads the video
back again, so a request that did reach YouTube is found there (its fields are "same") and
the correction ends done, once. `videos.update` with the same body is idempotent anyway.

The thumbnail, caption tracks and playlist follow the fields, each on its own
(pipeline/correct_assets.py).

Quota: a read costs 1 unit, an update 50, from the shared ledger; a correction never spends
what a release due before the quota's reset needs (`release_reserve`), and waits for the
reset when there is no room.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher import leases, quota
from publisher.corrections import open_corrections, wanted_fields
from publisher.faults import crash_point
from publisher.lifecycle import EventKind, set_correction, video_record
from publisher.pipeline.correct_assets import (
    INTENTS,
    AssetDiff,
    AssetVerdict,
    apply_assets,
    compare_assets,
    pending_assets,
)
from publisher.pipeline.correct_posts import PostEdit
from publisher.pipeline.retry import correction_failed
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_quota import ledger
from publisher.platforms.errors import (
    AuthError,
    DeferredError,
    PermanentError,
    PlatformError,
)
from publisher.platforms.youtube.errors import next_quota_reset
from publisher.platforms.youtube.fields import (
    READ_PARTS,
    SPEC,
    SPECS,
    Field,
    update_request,
    values_of,
)
from publisher.quota import COSTS, UNITS
from publisher.store.models import Correction, CorrectionState, Interview, State

log = logging.getLogger(__name__)
LEASE_TTL = dt.timedelta(minutes=5)


class Verdict(enum.StrEnum):
    SAME = "same"
    CHANGE = "change"
    STUDIO = "studio"  # changed by hand since publisher last set it


class Outcome(enum.StrEnum):
    APPLIED = "applied"            # videos.update sent and recorded
    UP_TO_DATE = "up_to_date"      # nothing to send (the corrections, if any, are done)
    DRY_RUN = "dry_run"            # compared only
    CONFLICT = "conflict"          # a pending field was changed in YouTube Studio
    WAITING = "waiting"            # quota, a passing failure, the release first, the upload
    NEEDS_ATTENTION = "needs_attention"
    BUSY = "busy"                  # another worker holds the interview
    NOT_ON_YOUTUBE = "not_on_youtube"


@dataclass(frozen=True)
class FieldDiff:
    field: Field
    label: str
    live: Any
    wanted: Any
    known: Any
    pending: bool
    verdict: Verdict
    sent: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field.value, "label": self.label, "live": self.live,
                "wanted": self.wanted, "last_set_by_publisher": self.known,
                "pending": self.pending, "verdict": self.verdict.value, "sent": self.sent}


@dataclass
class SyncReport:
    interview_id: int
    outcome: Outcome
    detail: str = ""
    video_id: str | None = None
    fields: list[FieldDiff] = field(default_factory=list)
    corrections: list[int] = field(default_factory=list)
    #: What the sync did (or would do) to the posts out (pipeline/correct_posts.py).
    posts: list[PostEdit] = field(default_factory=list)
    #: The thumbnail, caption tracks and playlist pending (pipeline/correct_assets.py).
    assets: list[AssetDiff] = field(default_factory=list)

    @property
    def sent(self) -> list[Field]:
        return [d.field for d in self.fields if d.sent]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.interview_id, "outcome": self.outcome.value, "detail": self.detail,
                "video_id": self.video_id, "corrections": self.corrections,
                "fields": [d.as_json() for d in self.fields],
                "assets": [a.as_json() for a in self.assets],
                "posts": [p.as_json() for p in self.posts]}


def release_reserve(rt: Runtime, now: dt.datetime) -> int:
    """Units the releases due before the quota's next reset may need, in every programme of
    the home's Google Cloud project (quota.py)."""
    with rt.transaction() as s:
        return quota.release_reserve(s, now, ledger(rt).key)


def _check_room(rt: Runtime, now: dt.datetime, methods: list[str]) -> None:
    """DeferredError until the reset unless today's units, in the ledger of the home's
    Google Cloud project, pay for `methods` and still leave what today's releases need
    (each call is then charged with the same reserve: pipeline/youtube_quota.py)."""
    need = sum(COSTS[m][1] for m in methods)
    reserve = release_reserve(rt, now)
    limit = rt.config.youtube.daily_units
    with rt.transaction() as s:
        used = quota.used_today(s, now, ledger(rt).key)[UNITS]
    if used + need + reserve > limit:
        until = next_quota_reset(now)
        kept = f", {reserve} kept for today's releases" if reserve else ""
        raise DeferredError(f"today's YouTube quota has no room for it ({used} of {limit} "
                            f"units used{kept}, {need} needed); it waits for the reset at "
                            f"{until:%Y-%m-%d %H:%M} UTC", until=until, platform="youtube",
                            reason="quotaLedger")


def compare(live: dict[Field, Any], wanted: dict[Field, Any],
            pending: dict[Field, Any]) -> list[FieldDiff]:
    """Field by field: live, wanted, last set by publisher, and the verdict (see above).
    `pending`: the pending fields and their known values."""
    out = []
    for spec in SPECS:
        f = spec.field
        known = pending[f] if f in pending else wanted[f]
        if live[f] == wanted[f]:
            verdict = Verdict.SAME
        elif live[f] == known:
            verdict = Verdict.CHANGE
        else:
            verdict = Verdict.STUDIO
        out.append(FieldDiff(f, spec.label, live[f], wanted[f], known, f in pending, verdict))
    return out


def _pending(rows: list[Correction]) -> dict[Field, Any]:
    """The pending fields of the open corrections, each with its oldest known value."""
    out: dict[Field, Any] = {}
    for row in rows:  # oldest first
        for name in row.fields or []:
            try:
                f = Field(name)
            except ValueError:
                continue
            out.setdefault(f, (row.known or {}).get(name))
    return out


def sync(rt: Runtime, interview_id: int, *, dry_run: bool = False, force: bool = False
         ) -> SyncReport:
    """Bring the interview's video on YouTube to what the interview wants (see the module
    docstring); `dry_run` only compares (one videos.list), `force` also overwrites fields
    changed by hand in YouTube Studio."""
    now = rt.clock()
    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        if item is None:
            from publisher.errors import NotFoundError

            raise NotFoundError(f"there is no interview {interview_id} (see `publisher queue "
                                "list`)")
        video = video_record(s, interview_id)
        video_id = video.remote_id if video is not None else None
        rows = open_corrections(s, interview_id)
        ids = [r.id for r in rows]
        state, slot = State(item.state), item.slot_at
    report = SyncReport(interview_id, Outcome.WAITING, video_id=video_id, corrections=ids)
    if state == State.CANCELLED:
        report.outcome, report.detail = Outcome.NOT_ON_YOUTUBE, "it is cancelled"
        return report
    if video_id is None:
        report.outcome = Outcome.NOT_ON_YOUTUBE if not ids else Outcome.WAITING
        report.detail = ("its upload has not finished: the correction waits for the video"
                         if ids else "nothing of it is on YouTube yet")
        return report
    if state == State.STAGED and slot is not None and slot <= now:
        report.detail = "its release is due first; the correction follows it"
        return report
    # Only a sync that may send takes the lease: one that only compares (no correction open,
    # no --force) must not leave a lease behind if it dies.
    leased = not dry_run and bool(ids or force)
    if leased and not _claim(rt, interview_id, now):
        report.outcome, report.detail = Outcome.BUSY, "another worker holds it"
        return report
    try:
        return _sync(rt, report, dry_run=dry_run, force=force, leased=leased)
    except leases.LeaseLost as exc:
        report.outcome, report.detail = Outcome.BUSY, str(exc)
        return report
    except PlatformError as exc:
        return _failed(rt, report, exc, dry_run=dry_run)
    finally:
        if not dry_run:
            with rt.transaction() as s:
                leases.release(s, interview_id, rt.owner)


def _claim(rt: Runtime, interview_id: int, now: dt.datetime) -> bool:
    with rt.transaction() as s:
        return leases.claim(s, interview_id, rt.owner, now, LEASE_TTL)


def _sync(rt: Runtime, report: SyncReport, *, dry_run: bool, force: bool,
          leased: bool = True) -> SyncReport:
    now = rt.clock()
    interview_id, video_id = report.interview_id, report.video_id
    assert video_id is not None
    _check_room(rt, now, ["videos.list"] if dry_run else ["videos.list", "videos.update"])
    api, _http = rt.youtube()
    resource = api.read_video(video_id, READ_PARTS)
    if resource is None:
        raise PermanentError(f"the video {video_id} is no longer on YouTube",
                             platform="youtube", reason="videoNotFound")
    live = values_of(resource)
    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        assert item is not None
        _ = (item.speakers, item.localizations)
        wanted = wanted_fields(rt.config, rt.schedules, s, item, now)
        rows = open_corrections(s, interview_id)
        pending = _pending(rows)
        pending_of_assets = pending_assets(rows)
        report.corrections = [r.id for r in rows]
    diffs = compare(live, wanted, pending)
    report.fields = diffs

    def room(methods: list[str]) -> None:
        _check_room(rt, rt.clock(), methods)

    report.assets = compare_assets(rt, api, interview_id, video_id, pending_of_assets, room)
    to_send = {d.field: d.wanted for d in diffs
               if d.verdict == Verdict.CHANGE or (force and d.verdict == Verdict.STUDIO)}
    if dry_run:
        report.outcome = Outcome.DRY_RUN
        report.detail = _summary(diffs, to_send, force, report.assets)
        return report
    # A correction recorded since sync looked: the lease first.
    if to_send and not leased and not _claim(rt, interview_id, now):
        report.outcome, report.detail = Outcome.BUSY, "another worker holds it"
        return report
    if to_send:
        # Intent: what will be sent, saved before the request (assets' intents kept).
        with rt.transaction() as s:
            for row in open_corrections(s, interview_id):
                asset_intents = {k: v for k, v in (row.sent or {}).items()
                                 if k == INTENTS}
                set_correction(row, CorrectionState.IN_FLIGHT, attempts=row.attempts + 1,
                               sent={**{f.value: v for f, v in to_send.items()
                                        if f.value in (row.fields or [])},
                                     **asset_intents} or None)
        crash_point("correction.before_update")
        body, parts = update_request(resource, to_send)
        api.update_video(body, parts)
        crash_point("correction.sent")
    report.fields = [FieldDiff(d.field, d.label, d.live, d.wanted, d.known, d.pending,
                               d.verdict, d.field in to_send) for d in diffs]
    apply_assets(rt, api, interview_id, video_id, report.assets, room)
    kept = [d for d in diffs if d.verdict == Verdict.STUDIO and not force]
    _record(rt, report, to_send, kept, live)
    crash_point("correction.recorded")
    return report


def _record(rt: Runtime, report: SyncReport, to_send: dict[Field, Any],
            kept: list[FieldDiff], live: dict[Field, Any]) -> None:
    """Each open correction ends done, or in conflict with the fields left alone."""
    now = rt.clock()
    kept_fields = {d.field.value for d in kept}
    conflicts: list[str] = []
    with rt.transaction() as s:
        # The lease ends with the record, in one write: a crash between two commits must
        # not leave an interview leased by a process that is gone.
        leases.release(s, report.interview_id, rt.owner)
        rows = open_corrections(s, report.interview_id)
        # Sent before a crash, found on YouTube now: journaled as applied, once.
        found = {} if to_send else {
            name: {"old": (row.known or {}).get(name), "new": value}
            for row in rows if row.state == CorrectionState.IN_FLIGHT.value
            for name, value in (row.sent or {}).items() if name != INTENTS}
        for row in rows:
            left = [name for name in row.fields or [] if name in kept_fields]
            if left:
                why = conflict_reason(report.interview_id, left)
                set_correction(row, CorrectionState.CONFLICT, fields=left, last_error=why,
                               next_attempt_at=None)
                conflicts += left
                rt.journal(s, report.interview_id, EventKind.CORRECTION_CONFLICT,
                           correction=row.id, fields=left)
            else:
                set_correction(row, CorrectionState.DONE, applied_at=now, last_error=None,
                               next_attempt_at=None)
        if to_send:
            rt.journal(s, report.interview_id, EventKind.CORRECTION_APPLIED,
                       corrections=report.corrections, video_id=report.video_id,
                       changes={f.value: {"old": live[f], "new": v}
                                for f, v in to_send.items()})
        elif found:
            rt.journal(s, report.interview_id, EventKind.CORRECTION_APPLIED,
                       corrections=report.corrections, video_id=report.video_id,
                       changes=found, found_on_youtube=True)
    sent = [SPEC[f].label for f in to_send] + [a.label for a in report.assets if a.sent]
    if sent:
        report.outcome = Outcome.APPLIED
        report.detail = "YouTube now holds: " + ", ".join(sent)
    else:
        report.outcome = Outcome.UP_TO_DATE
        report.detail = "YouTube already holds what the interview says"
    if conflicts:
        report.outcome = Outcome.CONFLICT
        report.detail += ("; " if sent else "; but ") + conflict_reason(
            report.interview_id, sorted(set(conflicts)))


def conflict_reason(interview_id: int, fields: list[str]) -> str:
    names = ", ".join(SPEC[Field(n)].label for n in fields)
    return (f"changed by hand in YouTube Studio since publisher set it: {names}; left as it "
            f"is. To fix: `publisher sync {interview_id} --dry-run` shows both values; "
            f"`publisher sync {interview_id} --force` puts publisher's, or `publisher queue "
            f"edit {interview_id}` to the live value keeps YouTube's")


def _summary(diffs: list[FieldDiff], to_send: dict[Field, Any], force: bool,
             asset_diffs: list[AssetDiff]) -> str:
    studio = [d.label for d in diffs if d.verdict == Verdict.STUDIO]
    parts = []
    changing = [SPEC[f].label for f in to_send] + [
        a.label for a in asset_diffs if a.verdict == AssetVerdict.CHANGE]
    if changing:
        parts.append("would change: " + ", ".join(changing))
    if studio and not force:
        parts.append("changed in YouTube Studio, kept unless --force: " + ", ".join(studio))
    return "; ".join(parts) or "YouTube already holds what the interview says"


def _failed(rt: Runtime, report: SyncReport, exc: PlatformError, *, dry_run: bool
            ) -> SyncReport:
    """Waiting (quota, a passing failure, authorisation) or needing attention (YouTube
    refused it for good): recorded on every open correction, journaled, told."""
    now = rt.clock()
    permanent = isinstance(exc, PermanentError)
    if permanent:
        fix = (f"look at the video in YouTube Studio; `publisher sync {report.interview_id} "
               "--dry-run` shows what would be sent, and `publisher sync "
               f"{report.interview_id}` tries again")
        if getattr(exc, "reason", None) == "videoNotFound":
            fix = ("the video was deleted on YouTube: the correction cannot be applied; "
                   f"`publisher queue cancel {report.interview_id}` if it is gone for good")
        reason = f"{exc}. To fix: {fix}"
    elif isinstance(exc, AuthError):
        reason = f"{exc}. To fix: `publisher auth youtube`"
    else:
        reason = str(exc)
    report.outcome = Outcome.NEEDS_ATTENTION if permanent else Outcome.WAITING
    report.detail = reason
    if dry_run:
        return report
    with rt.transaction() as s:
        rows = open_corrections(s, report.interview_id)
        for row in rows:
            correction_failed(row, exc, now, reason, permanent=permanent)
        if rows:
            kind = (EventKind.CORRECTION_NEEDS_ATTENTION if permanent
                    else EventKind.CORRECTION_WAITING)
            rt.journal(s, report.interview_id, kind, corrections=[r.id for r in rows],
                       error=reason)
    if permanent and report.corrections:
        rt.notify(f"Interview {report.interview_id}: a correction needs attention", reason)
    log.warning("interview %s: correction %s: %s", report.interview_id,
                report.outcome.value, reason)
    return report


def due_interviews(session: Session, now: dt.datetime) -> list[int]:
    """Interviews with a correction to apply now: pending, left in flight by a crash, or
    waiting and due again. Conflicts and refusals wait for people."""
    rows = session.execute(select(Correction.interview_id).where(
        Correction.platform == "youtube",
        (Correction.state.in_([CorrectionState.PENDING.value,
                               CorrectionState.IN_FLIGHT.value]))
        | ((Correction.state == CorrectionState.WAITING.value)
           & (Correction.next_attempt_at <= now)))
        .order_by(Correction.id)).all()
    seen: dict[int, None] = {}
    for row in rows:
        seen.setdefault(row.interview_id, None)
    return list(seen)


def corrections_due(rt: Runtime, now: dt.datetime) -> list[SyncReport]:
    """Apply every correction due (the daemon's tick, after the releases)."""
    with rt.transaction() as s:
        due = due_interviews(s, now)
    return [sync(rt, interview_id) for interview_id in due]


def next_retry(session: Session, now: dt.datetime) -> dt.datetime | None:
    """When a waiting correction is tried again next."""
    when: dt.datetime | None = session.scalar(select(func.min(Correction.next_attempt_at)).where(
        Correction.state == CorrectionState.WAITING.value,
        Correction.next_attempt_at > now))
    return when

