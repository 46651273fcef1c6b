"""Staging an interview on YouTube: upload as private with publishAt = its slot, decorate
(thumbnail, playlist, captions), then check what YouTube holds.

Every side effect follows intent → act → record through a publication record, and every
step is safe to run again after a crash: the upload resumes or finds its finished video,
and inserts look before they act.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from publisher import leases
from publisher.faults import crash_point
from publisher.lifecycle import EventKind, Step, caption_step, is_settled, set_publication
from publisher.media import MediaError, check_thumbnail
from publisher.pipeline import authorisation
from publisher.pipeline.records import record
from publisher.pipeline.retry import next_attempt
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.video_meta import video_meta
from publisher.pipeline.youtube_quota import ensure_room_for
from publisher.platforms.errors import (
    AuthError,
    DeferredError,
    PermanentError,
    PlatformError,
    SessionExpired,
    TransientError,
)
from publisher.platforms.youtube.api import YouTubeApi, caption_name, watch_url
from publisher.platforms.youtube.errors import DAILY_STEP_LIMIT
from publisher.platforms.youtube.metadata import VideoMeta, insert_body
from publisher.platforms.youtube.upload import (
    Announce,
    Backoff,
    ContentChanged,
    Interrupted,
    upload_video,
)
from publisher.store.models import Interview, Publication, PublicationState, State

log = logging.getLogger(__name__)
LEASE_TTL = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class RideOut:
    """For a command an organizer waits on (`publisher upload`, `publish --now`): keep
    retrying a failing upload for `window`, telling `announce` when the next try is. The
    daemon has none: it gives up after a few tries and schedules its own retry."""

    window: dt.timedelta
    announce: Announce


@dataclass(frozen=True)
class StageResult:
    interview_id: int
    outcome: str  # staged | waiting | retry | needs_attention | busy | interrupted | skipped
    detail: str = ""
    video_id: str | None = None
    #: Waiting for `publisher auth youtube` (see pipeline/authorisation.py).
    needs_authorisation: bool = False


def _meta(rt: Runtime, item: Interview) -> VideoMeta:
    return video_meta(rt.config, rt.schedules, item)


class _DbJournal:
    """Commits the upload's session URI before the first byte, and progress after each chunk
    (renewing the lease, so a long upload keeps it)."""

    def __init__(self, rt: Runtime, interview_id: int, pub_id: int, label: str) -> None:
        self.rt, self.interview_id, self.pub_id, self.label = rt, interview_id, pub_id, label
        self.started = False

    def session_started(self, uri: str, *, replaces_expired: bool) -> None:
        with self.rt.transaction() as s:
            leases.renew(s, self.interview_id, self.rt.owner, self.rt.clock(), LEASE_TTL)
            pub = s.get(Publication, self.pub_id)
            assert pub is not None
            set_publication(pub, PublicationState.IN_FLIGHT, handle=uri, progress=0)
            self.rt.journal(s, self.interview_id, EventKind.UPLOAD_SESSION_STARTED,
                            replaces_expired=replaces_expired)
        crash_point("upload.session_saved")

    def progress(self, offset: int, total: int) -> None:
        if not self.started:
            self.rt.progress.start(self.label, total)
            self.started = True
        with self.rt.transaction() as s:
            leases.renew(s, self.interview_id, self.rt.owner, self.rt.clock(), LEASE_TTL)
            pub = s.get(Publication, self.pub_id)
            assert pub is not None
            pub.progress, pub.total = offset, total
        crash_point("upload.chunk_saved")
        self.rt.progress.update(offset)


def stage(rt: Runtime, interview_id: int, slot_at: dt.datetime | None, *,
          ride_out: RideOut | None = None) -> StageResult:
    """Upload and decorate one interview for `slot_at` (None: no publishAt)."""
    now = rt.clock()
    with rt.transaction() as s:
        if not leases.claim(s, interview_id, rt.owner, now, LEASE_TTL):
            return StageResult(interview_id, "busy", "another worker holds it")
        item = s.get(Interview, interview_id)
        assert item is not None
        if item.state not in (State.QUEUED.value, State.STAGING.value):
            leases.release(s, interview_id, rt.owner)
            return StageResult(interview_id, "skipped", f"it is {item.state}")
    try:
        return _stage(rt, interview_id, slot_at, ride_out)
    except Interrupted as exc:
        return StageResult(interview_id, "interrupted", str(exc))
    except leases.LeaseLost as exc:
        return StageResult(interview_id, "busy", str(exc))
    except PlatformError as exc:
        return _failed(rt, interview_id, exc)
    finally:
        with rt.transaction() as s:
            leases.release(s, interview_id, rt.owner)
        rt.progress.finish()


def _stage(rt: Runtime, interview_id: int, slot_at: dt.datetime | None,
           ride_out: RideOut | None) -> StageResult:
    # The client first: without it (YouTube not authorised yet, a revoked token) nothing
    # changes, and a queued interview stays queued — editable, movable, removable.
    api, http = rt.youtube()
    with rt.transaction() as s:
        authorisation.answered(s, rt.clock())  # first: it expires what the session loaded
        item = s.get(Interview, interview_id)
        if item is None:
            raise leases.LeaseLost(f"interview {interview_id} was removed meanwhile")
        _ = (item.speakers, item.captions, item.localizations)  # load while in session
        video_pub = record(s, interview_id, "youtube", Step.VIDEO)
        first_time = item.state == State.QUEUED.value
        slot_at = slot_at if first_time or item.slot_at is None else item.slot_at
        rt.transition(s, interview_id, State.STAGING,
                      EventKind.STAGING if first_time else None, values={"slot_at": slot_at},
                      slot=slot_at.isoformat() if slot_at else None)
        pub_id, handle, done = video_pub.id, video_pub.handle, is_settled(video_pub)
        video_id = video_pub.remote_id
    if not done:
        fix = (f"put the original file back at {item.video_path}, then `publisher retry "
               f"{interview_id}`")
        problem = _file_problem(Path(item.video_path), item.video_size)
        if problem:
            return _needs_attention(rt, interview_id, problem, fix)
        meta = _meta(rt, item)
        # A slot still ahead is kept private until then by YouTube itself; if it passes while
        # the upload runs, YouTube publishes at once ("a publishAt in the past publishes
        # right away"), which is the slot's moment anyway.
        publish_at = slot_at if slot_at and slot_at > rt.clock() else None
        body, parts = insert_body(meta, publish_at)

        def charge(method: str) -> None:
            """Every initiation is counted before it is sent (a restart after an expired
            session and a retried initiation cost one each); none starts unless today's
            units, after what today's releases need, also pay for the check that follows
            the upload."""
            _room(rt, method, "videos.list")
            api.charge(method)

        journal = _DbJournal(rt, interview_id, pub_id, f"Uploading {item.title[:40]}")
        forced = rt.config.youtube.chunk_size_mib
        backoff = Backoff(sleep=rt.sleep, now=rt.clock)
        if ride_out is not None:
            backoff.window, backoff.announce = ride_out.window, ride_out.announce
        try:
            video = upload_video(
                api.service, http, path=Path(item.video_path), body=body, parts=parts,
                journal=journal, saved_session=handle,
                chunk_size=forced * 1024 * 1024 if forced else None,
                mimetype="video/*", notify_subscribers=rt.config.youtube.notify_subscribers,
                backoff=backoff, should_stop=rt.should_stop, charge=charge,
                expected_sha256=item.video_sha256)
        except ContentChanged as exc:
            _forget_session(rt, pub_id)
            return _needs_attention(rt, interview_id, str(exc), fix)
        video_id = str(video["id"])
        crash_point("upload.finished_not_recorded")
        with rt.transaction() as s:
            pub = s.get(type(video_pub), pub_id)
            assert pub is not None
            set_publication(pub, PublicationState.DONE, remote_id=video_id,
                            url=watch_url(video_id), last_error=None)
            rt.journal(s, interview_id, EventKind.UPLOADED, video_id=video_id, url=pub.url,
                       publish_at=publish_at.isoformat() if publish_at else None)
        crash_point("upload.recorded")
        log.info("interview %s uploaded as %s", interview_id, watch_url(video_id))
    assert video_id is not None
    attention = _decorate(rt, api, item, video_id)
    verdict = _verify(rt, api, item, video_id, slot_at)
    if verdict:
        return _needs_attention(rt, interview_id, verdict,
                                f"look at the video in YouTube Studio, then `publisher "
                                f"retry {interview_id}` or `publisher queue cancel "
                                f"{interview_id}`")
    crash_point("stage.before_staged")
    with rt.transaction() as s:
        rt.transition(s, interview_id, State.STAGED, EventKind.STAGED, end_lease=True,
                      video_id=video_id, notes=attention)
    return StageResult(interview_id, "staged", "; ".join(attention), video_id)


def _room(rt: Runtime, *methods: str) -> None:
    """Defer (DeferredError) rather than start calls today's quota cannot pay for, leaving
    today's releases what they need."""
    ensure_room_for(rt, *methods)


def _file_problem(path: Path, expected_size: int) -> str | None:
    """What a glance shows (the file is gone, or its size changed); its content is checked
    while it is sent (platforms/youtube/sent_bytes.py), so a resume starts at once."""
    if not path.is_file():
        return f"the video file is missing: {path}"
    if path.stat().st_size != expected_size:
        return (f"the video file changed since it was queued (its size differs): {path}; "
                "publisher will not upload a different video than the one checked")
    return None


def _forget_session(rt: Runtime, pub_id: int) -> None:
    """The session holds bytes of a different file: never resumed; a retry starts anew (the
    abandoned session never gets its last piece, so it makes no video)."""
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, PublicationState.PENDING, handle=None, progress=0, total=None)


@dataclass(frozen=True)
class StepRecord:
    """What a decoration step needs to know of its publication record."""

    id: int
    settled: bool
    handle: str | None
    waiting_until: dt.datetime | None  # failed, to be tried again then
    attempts: int


def step_record(rt: Runtime, item: Interview, step: str) -> StepRecord:
    with rt.transaction() as s:
        pub = record(s, item.id, "youtube", step)
        waiting = (pub.next_attempt_at if pub.state == PublicationState.FAILED.value
                   else None)
        return StepRecord(pub.id, is_settled(pub), pub.handle, waiting, pub.attempts)


def mark_step(rt: Runtime, item: Interview, pub_id: int, state: PublicationState, *,
          handle: str | None = None, error: str | None = None,
          retry_at: dt.datetime | None = None) -> None:
    """Record a decoration's new state (a failed one with when to try it again)."""
    with rt.transaction() as s:
        pub = s.get(Publication, pub_id)
        assert pub is not None
        set_publication(pub, state, last_error=error, next_attempt_at=retry_at,
                        **({"handle": handle} if handle is not None else {}))
        if state == PublicationState.FAILED:
            pub.attempts += 1
        rt.journal(s, item.id, EventKind.YOUTUBE_STEP, step=pub.step, state=state.value,
                   **({"error": error} if error else {}),
                   **({"next_attempt_at": retry_at.isoformat()} if retry_at else {}))


def decoration_steps(item: Interview) -> list[str]:
    """The decoration steps an interview asks for, in the order they are made."""
    steps: list[str] = []
    if item.thumbnail_path:
        steps.append(Step.THUMBNAIL)
    if item.playlist:
        steps.append(Step.PLAYLIST)
    steps += [caption_step(track.language) for track in item.captions]
    return steps


def _decorate(rt: Runtime, api: YouTubeApi, item: Interview, video_id: str) -> list[str]:
    """Thumbnail, playlist and captions; each journaled and safe to repeat.

    A step YouTube refuses for good (e.g. custom thumbnails on an unverified channel) is
    recorded as needing attention, and the video stays: it is still published on time. So
    is a thumbnail over YouTube's thumbnails-per-24-hours limit: it waits a day on its own
    (`waiting_decorations.finish`) while the interview goes on.
    """
    notes: list[str] = []
    for step in decoration_steps(item):
        note = decorate_step(rt, api, item, video_id, step)
        if note:
            notes.append(note)
    return notes


def decorate_step(rt: Runtime, api: YouTubeApi, item: Interview, video_id: str,
                  step: str) -> str | None:
    """Make one decoration unless done (or waiting for its time); a note for people."""
    rec = step_record(rt, item, step)
    if rec.settled:
        return None
    if rec.waiting_until is not None and rec.waiting_until > rt.clock():
        return f"the {step} waits until {rec.waiting_until:%Y-%m-%d %H:%M} UTC"
    if step == Step.THUMBNAIL:
        return _thumbnail(rt, api, item, video_id, rec)
    if step == Step.PLAYLIST:
        _playlist(rt, api, item, video_id, rec)
        return None
    track = next(t for t in item.captions if caption_step(t.language) == step)
    # Our track is known again by its name, committed before it is sent (a later title
    # edit cannot make a retry miss it), and by being an uploaded ("standard") track:
    # YouTube's automatic track in the same language is not ours.
    name = rec.handle or caption_name(item.title, track.language)
    _room(rt, "captions.list", "captions.insert")
    mark_step(rt, item, rec.id, PublicationState.IN_FLIGHT, handle=name)
    crash_point("captions.before")
    if not api.has_caption(video_id, track.language, name):
        api.insert_caption(video_id, track.language, Path(track.path), name)
        crash_point("captions.sent")
    mark_step(rt, item, rec.id, PublicationState.DONE)
    return None


def _thumbnail(rt: Runtime, api: YouTubeApi, item: Interview, video_id: str,
               rec: StepRecord) -> str | None:
    assert item.thumbnail_path is not None
    try:
        mime = check_thumbnail(Path(item.thumbnail_path))
        _room(rt, "thumbnails.set")
        crash_point("thumbnail.before")
        api.set_thumbnail(video_id, Path(item.thumbnail_path), mime)
        crash_point("thumbnail.sent")
        mark_step(rt, item, rec.id, PublicationState.DONE)
        return None
    except DeferredError as exc:
        if exc.reason != DAILY_STEP_LIMIT:
            raise  # the whole day's quota: everything waits
        mark_step(rt, item, rec.id, PublicationState.FAILED, error=str(exc), retry_at=exc.until)
        log.warning("interview %s: the thumbnail waits: %s", item.id, exc)
        return (f"the thumbnail waits until {exc.until:%Y-%m-%d %H:%M} UTC: YouTube's limit "
                "of thumbnails per 24 hours is reached (the video goes out on time without "
                "it)")
    except (MediaError, PermanentError) as exc:
        reason = getattr(exc, "reason", None)
        msg = ("YouTube refused the custom thumbnail: the channel must be verified "
               "(youtube.com/verify) to use custom thumbnails" if reason == "forbidden"
               else f"the thumbnail was not set: {exc}")
        mark_step(rt, item, rec.id, PublicationState.NEEDS_ATTENTION, error=msg)
        return msg


def _playlist(rt: Runtime, api: YouTubeApi, item: Interview, video_id: str,
              rec: StepRecord) -> None:
    assert item.playlist is not None
    _room(rt, "playlists.list", "playlists.insert", "playlistItems.list",
          "playlistItems.insert")
    playlist_id = rec.handle
    if playlist_id is None:
        playlist_id = api.find_playlist(item.playlist) or api.create_playlist(item.playlist)
        # Remember the playlist before adding: a retry must not create a second one.
        mark_step(rt, item, rec.id, PublicationState.IN_FLIGHT, handle=playlist_id)
    crash_point("playlist.before")
    if not api.playlist_has(playlist_id, video_id):
        api.add_to_playlist(playlist_id, video_id)
        crash_point("playlist.sent")
    mark_step(rt, item, rec.id, PublicationState.DONE)


def _verify(rt: Runtime, api: YouTubeApi, item: Interview, video_id: str,
            slot_at: dt.datetime | None) -> str | None:
    """What YouTube holds must be what we asked for; a failed or rejected upload needs people."""
    _room(rt, "videos.list")
    video = api.get_video(video_id)
    if video is None:
        return f"YouTube no longer has the video {video_id}"
    status = video.get("status") or {}
    upload = status.get("uploadStatus")
    if upload == "failed":
        return f"YouTube could not process the video ({status.get('failureReason', 'unknown')})"
    if upload == "rejected":
        return f"YouTube rejected the video ({status.get('rejectionReason', 'unknown')})"
    if upload == "deleted":
        return "the video was deleted on YouTube"
    privacy = status.get("privacyStatus")
    if slot_at is not None and slot_at > rt.clock() and privacy != "private":
        return (f"YouTube holds the video as {privacy}, not private until its slot: check the "
                "channel's upload defaults")
    return None


def _needs_attention(rt: Runtime, interview_id: int, reason: str, fix: str) -> StageResult:
    with rt.transaction() as s:
        rt.transition(s, interview_id, State.NEEDS_ATTENTION, EventKind.NEEDS_ATTENTION,
                      end_lease=True, attention=f"{reason}. To fix: {fix}", fix=fix)
    from publisher.pipeline.notices import needs_attention

    needs_attention(rt, interview_id, reason, fix)
    return StageResult(interview_id, "needs_attention", reason)


def _unauthorised(rt: Runtime, interview_id: int, exc: AuthError) -> StageResult:
    """YouTube refused for want of authorisation: the home's fact says so (and when to look
    again); the interview stays where it is, journaled once as waiting for it."""
    now = rt.clock()
    problem = str(exc)
    with rt.transaction() as s:
        news, added = authorisation.refused(s, now, problem, authorisation.token_stamp(rt),
                                            interview_id)
        if added:
            rt.journal(s, interview_id, EventKind.YOUTUBE_WAITING, error=problem,
                       waiting_for="authorisation")
    text = authorisation.message(problem)
    if news:  # the notifier logs "subject: body", which is this same line
        waiting, _, why = text.partition(": ")
        rt.notify(f"Interview {interview_id}: {waiting}", why)
    else:
        log.warning("interview %s: %s", interview_id, text)
    return StageResult(interview_id, "waiting", text, needs_authorisation=True)


def _failed(rt: Runtime, interview_id: int, exc: PlatformError) -> StageResult:
    """Record a failure so run_due knows when to come back, and what to tell people."""
    if isinstance(exc, AuthError):
        return _unauthorised(rt, interview_id, exc)
    now = rt.clock()
    with rt.transaction() as s:
        pub = record(s, interview_id, "youtube", Step.VIDEO)
        pub.attempts += 1
        pub.last_error = str(exc)
        if isinstance(exc, DeferredError):
            pub.next_attempt_at = exc.until
            outcome = "waiting"
        elif isinstance(exc, TransientError | SessionExpired):
            pub.next_attempt_at = next_attempt(now, pub.attempts,
                                               getattr(exc, "retry_at", None))
            outcome = "retry"
        else:
            rt.transition(s, interview_id, State.NEEDS_ATTENTION, None,
                          attention=f"{exc}. To fix: correct it with `publisher queue edit`, "
                                 f"then `publisher retry {interview_id}`")
            outcome = "needs_attention"
        attempts = pub.attempts
        kind = {"waiting": EventKind.YOUTUBE_WAITING, "retry": EventKind.YOUTUBE_RETRY,
                "needs_attention": EventKind.YOUTUBE_NEEDS_ATTENTION}[outcome]
        rt.journal(s, interview_id, kind, error=str(exc),
                   next_attempt_at=pub.next_attempt_at.isoformat() if pub.next_attempt_at
                   else None)
    log.warning("interview %s: %s", interview_id, exc)
    if outcome == "needs_attention" or (isinstance(exc, DeferredError) and attempts == 1):
        rt.notify(f"Interview {interview_id}: {outcome.replace('_', ' ')}", str(exc))
    return StageResult(interview_id, outcome, str(exc))
