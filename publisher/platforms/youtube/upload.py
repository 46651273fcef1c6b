"""Resumable upload, exactly once, surviving crashes, dropped connections and 5xx.

Intent → act → record: the session URI is handed to `journal.session_started` (which
commits it) *before* the first byte is sent, and the offset after every chunk. A restarted
process calls `upload_video` with the saved session: it asks the server where the session
stands (`Content-Range: bytes */N`) and either gets the finished video back (no second
upload), resumes from the server's offset, or learns the session expired (404) and starts a
new one from zero, which the journal records.

The chunk loop calls `next_chunk(num_retries=0)` and retries itself: the client's own retry
re-sends an already consumed stream (platform facts §6.6). A connection closed without an
answer to a chunk (`StreamResendRefused`, see client.py) is followed at once by a status
query, which finds the finished video or the offset to go on from.

Every initiation (`videos.insert`) is reported to `charge` before it is sent: a retried one
and the restart after an expired session each cost a unit of the uploads bucket too.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from publisher.platforms.errors import PlatformError, SessionExpired, TransientError
from publisher.platforms.youtube.client import StreamResendRefused
from publisher.platforms.youtube.errors import classify, transport_errors

CHUNK_QUANTUM = 256 * 1024
DEFAULT_CHUNK_SIZE = 16 * 1024 * 1024


class UploadJournal(Protocol):
    """Where the uploader records what a restarted process needs (the pipeline commits it)."""

    def session_started(self, uri: str, *, replaces_expired: bool) -> None: ...

    def progress(self, offset: int, total: int) -> None: ...


class Interrupted(Exception):
    """Stopped between chunks on request (SIGTERM); the session and offset are saved."""


@dataclass
class Backoff:
    """Exponential backoff with full jitter, capped; honours a server's retry time."""

    base_s: float = 1.0
    cap_s: float = 60.0
    max_attempts: int = 8
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def wait(self, attempt: int, retry_at: dt.datetime | None = None) -> None:
        delay = self.rand() * min(self.cap_s, self.base_s * 2 ** attempt)
        if retry_at is not None:
            delay = max(delay, (retry_at - self.now()).total_seconds())
        self.sleep(max(0.0, min(delay, self.cap_s * 5)))


@dataclass
class SessionState:
    status: str  # "complete" | "partial" | "expired"
    offset: int = 0
    video: dict[str, Any] | None = None


def check_chunk_size(size: int) -> int:
    if size <= 0 or size % CHUNK_QUANTUM:
        raise ValueError(f"the upload chunk size must be a positive multiple of 256 KiB "
                         f"({CHUNK_QUANTUM} bytes), found {size}")
    return size


def query_session(http: Any, uri: str, total: int) -> SessionState:
    """Ask the server how far a resumable session got."""
    import json

    resp, content = http.request(uri, "PUT", body=b"",
                                 headers={"Content-Range": f"bytes */{total}",
                                          "Content-Length": "0"})
    status = int(resp.status)
    if status in (200, 201):
        return SessionState("complete", total, json.loads(content or b"{}"))
    if status == 308:
        rng = resp.get("range")
        offset = int(rng.rsplit("-", 1)[1]) + 1 if rng else 0
        return SessionState("partial", offset)
    if status in (404, 410):
        return SessionState("expired")
    from googleapiclient.errors import HttpError

    raise HttpError(resp, content, uri=uri)


def _initiate(http: Any, request: Any, mimetype: str, size: int) -> str:
    from googleapiclient.errors import HttpError

    headers = dict(request.headers)
    headers["X-Upload-Content-Type"] = mimetype
    headers["X-Upload-Content-Length"] = str(size)
    headers["content-length"] = str(request.body_size)
    resp, content = http.request(request.uri, method=request.method, body=request.body,
                                 headers=headers)
    if int(resp.status) == 200 and "location" in resp:
        return str(resp["location"])
    raise HttpError(resp, content, uri=request.uri)


def upload_video(service: Any, http: Any, *, path: Path, body: dict[str, Any], parts: str,
                 journal: UploadJournal, saved_session: str | None = None,
                 chunk_size: int = DEFAULT_CHUNK_SIZE, mimetype: str = "video/*",
                 notify_subscribers: bool = True, backoff: Backoff | None = None,
                 should_stop: Callable[[], bool] = lambda: False,
                 charge: Callable[[str], None] = lambda method: None,
                 _replaces_expired: bool = False) -> dict[str, Any]:
    """Upload `path` as a new video with `body`; return the video resource YouTube made.

    `charge("videos.insert")` is called before every initiation is sent (it may raise, e.g.
    DeferredError when today's quota has no room left: nothing is sent then).
    """
    from googleapiclient.errors import HttpError
    from googleapiclient.http import MediaFileUpload

    backoff = backoff or Backoff()
    size = path.stat().st_size
    media = MediaFileUpload(str(path), mimetype=mimetype, resumable=True,
                            chunksize=check_chunk_size(chunk_size))
    request = service.videos().insert(part=parts, body=body, media_body=media,
                                      notifySubscribers=notify_subscribers)
    failures = 0
    replaces_expired = _replaces_expired

    def fail(exc: BaseException, what: str, *, wait: bool = True) -> None:
        nonlocal failures
        err = classify(exc, backoff.now(), what=what)
        if not isinstance(err, TransientError):
            raise err from None
        failures += 1
        if failures > backoff.max_attempts:
            raise err from None
        if wait:
            backoff.wait(failures, err.retry_at)

    while request.resumable_uri is None:
        if saved_session:
            try:
                state = query_session(http, saved_session, size)
            except (HttpError, *transport_errors()) as exc:
                fail(exc, "upload status query")
                continue
            if state.status == "complete":
                assert state.video is not None
                return state.video
            if state.status == "partial":
                request.resumable_uri = saved_session
                request.resumable_progress = state.offset
                journal.progress(state.offset, size)
                break
            saved_session, replaces_expired = None, True
            continue
        if should_stop():
            raise Interrupted("stopped before the upload started")
        charge("videos.insert")
        try:
            uri = _initiate(http, request, mimetype, size)
        except (HttpError, *transport_errors()) as exc:
            fail(exc, "upload start")
            continue
        journal.session_started(uri, replaces_expired=replaces_expired)
        request.resumable_uri = uri
        failures = 0

    while True:
        if should_stop():
            raise Interrupted(f"stopped at byte {request.resumable_progress} of {size}")
        try:
            _status, response = request.next_chunk(http=http, num_retries=0)
        except HttpError as exc:
            if int(exc.resp.status) in (404, 410):
                if replaces_expired:
                    raise SessionExpired("a fresh YouTube upload session expired at once",
                                         platform="youtube") from None
                # The session is gone: start again from zero, once, and say so.
                return upload_video(
                    service, http, path=path, body=body, parts=parts, journal=journal,
                    saved_session=None, chunk_size=chunk_size, mimetype=mimetype,
                    notify_subscribers=notify_subscribers, backoff=backoff,
                    should_stop=should_stop, charge=charge, _replaces_expired=True)
            fail(exc, "upload")
            continue
        except StreamResendRefused as exc:
            # Closed without an answer: ask the session at once (next_chunk's status query).
            fail(exc, "upload", wait=False)
            continue
        except transport_errors() as exc:
            fail(exc, "upload")
            continue
        except PlatformError:
            raise
        if response is not None:
            journal.progress(size, size)
            return dict(response)
        failures = 0
        journal.progress(int(request.resumable_progress), size)
