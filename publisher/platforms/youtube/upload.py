"""Resumable upload, exactly once, surviving crashes, dropped connections and 5xx.

Intent → act → record: the session URI is handed to `journal.session_started` (which
commits it) *before* the first byte is sent, and the offset after every chunk. A restarted
process calls `upload_video` with the saved session: it asks the server where the session
stands (`Content-Range: bytes */N`) and either gets the finished video back (no second
upload), resumes from the server's offset at once, or learns the session expired (404) and
starts a new one from zero, which the journal records.

Chunks are sent by this module (one `PUT` with `Content-Range` each, the body streamed from
the file in 256 KiB blocks), sized to the link as measured unless a size is forced
(chunks.py); the kernel is asked to read the next chunk ahead while one is sent. A failed
chunk is never re-sent blind: the session is asked where it stands first, and the upload
goes on from there (a connection closed without an answer is `StreamResendRefused`, see
client.py). Retries wait with backoff, for a number of attempts (the daemon, which schedules
its own retries) or for a time window (`publisher upload`, which rides out a dropped link).

With `expected_sha256`, the bytes are hashed while they are sent (sent_bytes.py) and the
last piece (at most 256 KiB) is held back until the hash of everything before it and of the
piece matches: a file changed since it was queued never becomes a video.

Every initiation (`videos.insert`) is reported to `charge` before it is sent: a retried one
and the restart after an expired session each cost a unit of the uploads bucket too.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import queue
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from publisher.platforms.errors import (
    PlatformError,
    SessionExpired,
    TransientError,
)
from publisher.platforms.youtube.chunks import (
    CHUNK_QUANTUM,
    ChunkSizes,
    check_chunk_size,
    chunk_sizes,
)
from publisher.platforms.youtube.client import SEND_BLOCK, StreamResendRefused
from publisher.platforms.youtube.errors import classify, transport_errors
from publisher.platforms.youtube.sent_bytes import QUEUE_BLOCKS, ContentChanged, SentBytesCheck

__all__ = ["Announce", "Backoff", "ContentChanged", "Interrupted", "UploadJournal",
           "check_chunk_size", "query_session", "upload_video"]


class UploadJournal(Protocol):
    """Where the uploader records what a restarted process needs (the pipeline commits it)."""

    def session_started(self, uri: str, *, replaces_expired: bool) -> None: ...

    def progress(self, offset: int, total: int) -> None: ...


class Interrupted(Exception):
    """Stopped between chunks on request (SIGTERM); the session and offset are saved."""


#: Told before each wait: when the next try is, and what failed.
Announce = Callable[[dt.datetime, PlatformError], None]


@dataclass
class Backoff:
    """Exponential backoff with full jitter, capped; honours a server's retry time.

    Gives up after `max_attempts` failures in a row, or, with a `window`, once the failures
    in a row have lasted that long (however many attempts that is).
    """

    base_s: float = 1.0
    cap_s: float = 60.0
    max_attempts: int = 8
    sleep: Callable[[float], None] = time.sleep
    rand: Callable[[], float] = random.random
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    window: dt.timedelta | None = None
    announce: Announce | None = None

    def gives_up(self, failures: int, since: dt.datetime) -> bool:
        """After `failures` in a row, the first at `since`: stop trying?"""
        if self.window is None:
            return failures > self.max_attempts
        return self.now() - since >= self.window

    def wait(self, attempt: int, retry_at: dt.datetime | None = None,
             error: PlatformError | None = None) -> None:
        delay = self.rand() * min(self.cap_s, self.base_s * 2 ** attempt)
        if retry_at is not None:
            delay = max(delay, (retry_at - self.now()).total_seconds())
        delay = max(0.0, min(delay, self.cap_s * 5))
        if self.announce is not None and error is not None:
            self.announce(self.now() + dt.timedelta(seconds=delay), error)
        self.sleep(delay)


@dataclass
class SessionState:
    status: str  # "complete" | "partial" | "expired"
    offset: int = 0
    video: dict[str, Any] | None = None


def query_session(http: Any, uri: str, total: int) -> SessionState:
    """Ask the server how far a resumable session got."""
    resp, content = http.request(uri, "PUT", body=b"",
                                 headers={"Content-Range": f"bytes */{total}",
                                          "Content-Length": "0"})
    status = int(resp.status)
    if status in (200, 201):
        return SessionState("complete", total, json.loads(content or b"{}"))
    if status == 308:
        return SessionState("partial", _range_end(resp))
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


def _range_end(resp: Any) -> int:
    """The offset a `308` says the session holds (`Range: bytes=0-N` → N + 1)."""
    rng = resp.get("range")
    return int(rng.rsplit("-", 1)[1]) + 1 if rng else 0


class _Buffers:
    """Reusable read buffers, so a block read is not a fresh allocation (page faults cost as
    much CPU as the copy). Without a content check one buffer does: http.client sends a block
    before it asks for the next. With one, a buffer comes back once it is hashed too."""

    def __init__(self, block: int, most: int) -> None:
        self.block, self.most, self.made = block, most, 0
        self.free: queue.SimpleQueue[bytearray] = queue.SimpleQueue()

    def take(self) -> bytearray:
        if self.free.empty() and self.made < self.most:
            self.made += 1
            return bytearray(self.block)
        return self.free.get()

    def give_back(self, buf: bytearray) -> None:
        self.free.put(buf)


class _ChunkBody:
    """One chunk's bytes, streamed from the file as http.client asks for blocks, each handed
    to the content check on its way out."""

    def __init__(self, fd: int, start: int, length: int, check: SentBytesCheck | None,
                 path: Path, buffers: _Buffers) -> None:
        self._fd, self._pos, self._left, self._check, self._path = fd, start, length, check, path
        self._buffers = buffers

    def read(self, n: int = -1) -> memoryview | bytes:
        n = self._left if n < 0 else min(n, self._left, self._buffers.block)
        if n <= 0:
            return b""
        buf = self._buffers.take()
        view = memoryview(buf)[:n]
        got = os.preadv(self._fd, [view], self._pos)
        if got < n:
            self._buffers.give_back(buf)
            raise ContentChanged(self._path, "it became shorter during the upload")
        if self._check is not None:
            self._check.sent(self._pos, view, lambda: self._buffers.give_back(buf))
        else:
            self._buffers.give_back(buf)  # sent before the next read() takes it again
        self._pos += n
        self._left -= n
        return view


class _HeldPiece:
    """The last piece, already read and checked: a stream (sent once; never re-sent blind by
    the transport, see client.py), not bytes."""

    def __init__(self, data: bytes) -> None:
        self._data: bytes | None = data

    def read(self, n: int = -1) -> bytes:
        data, self._data = self._data or b"", None
        return data


def _read_ahead(fd: int, start: int, length: int) -> None:
    """Ask the kernel to have the next chunk's bytes ready while this one is sent."""
    if length > 0 and hasattr(os, "posix_fadvise"):
        with contextlib.suppress(OSError):
            os.posix_fadvise(fd, start, length, os.POSIX_FADV_WILLNEED)


def _final_piece(remaining: int) -> int:
    """The last piece's length: what is left after whole 256 KiB blocks (a whole block when
    nothing is), so every chunk before it is a multiple of 256 KiB, as the API requires."""
    return remaining % CHUNK_QUANTUM or min(CHUNK_QUANTUM, remaining)


def _put(http: Any, uri: str, body: Any, start: int, length: int, total: int
         ) -> tuple[Any, bytes]:
    headers = {"Content-Length": str(length)}
    if length:
        headers["Content-Range"] = f"bytes {start}-{start + length - 1}/{total}"
    return http.request(uri, method="PUT", body=body, headers=headers)  # type: ignore[no-any-return]


def upload_video(service: Any, http: Any, *, path: Path, body: dict[str, Any], parts: str,
                 journal: UploadJournal, saved_session: str | None = None,
                 chunk_size: int | None = None, mimetype: str = "video/*",
                 notify_subscribers: bool = True, backoff: Backoff | None = None,
                 should_stop: Callable[[], bool] = lambda: False,
                 charge: Callable[[str], None] = lambda method: None,
                 expected_sha256: str | None = None,
                 _replaces_expired: bool = False) -> dict[str, Any]:
    """Upload `path` as a new video with `body`; return the video resource YouTube made.

    `chunk_size` forces every chunk's size (a multiple of 256 KiB); None sizes them to the
    link. `charge("videos.insert")` is called before every initiation is sent (it may raise,
    e.g. DeferredError when today's quota has no room left: nothing is sent then). With
    `expected_sha256`, ContentChanged unless the bytes sent are that file (no video made).
    """
    from googleapiclient.errors import HttpError

    backoff = backoff or Backoff()
    sizes: ChunkSizes = chunk_sizes(None if chunk_size is None else check_chunk_size(chunk_size))
    size = path.stat().st_size
    request: Any = None

    def initiation() -> Any:
        """Only the initiation request is googleapiclient's (its URI, body and headers);
        made only when a session is started: a resumed upload never needs it."""
        from googleapiclient.http import MediaFileUpload

        media = MediaFileUpload(str(path), mimetype=mimetype, resumable=True,
                                chunksize=CHUNK_QUANTUM)
        return service.videos().insert(part=parts, body=body, media_body=media,
                                       notifySubscribers=notify_subscribers)

    failures = 0
    failing_since: dt.datetime | None = None
    replaces_expired = _replaces_expired

    def fail(exc: BaseException, what: str, *, wait: bool = True) -> None:
        nonlocal failures, failing_since
        err = classify(exc, backoff.now(), what=what)
        if not isinstance(err, TransientError):
            raise err from None
        failures += 1
        failing_since = failing_since or backoff.now()
        if backoff.gives_up(failures, failing_since):
            raise err from None
        if wait:
            backoff.wait(failures, err.retry_at, err)

    def succeeded() -> None:
        nonlocal failures, failing_since
        failures, failing_since = 0, None

    uri: str | None = None
    offset = 0
    while uri is None:
        if saved_session:
            try:
                state = query_session(http, saved_session, size)
            except (HttpError, *transport_errors()) as exc:
                fail(exc, "upload status query")
                continue
            succeeded()
            if state.status == "complete":
                assert state.video is not None
                return state.video
            if state.status == "partial":
                uri, offset = saved_session, state.offset
                journal.progress(offset, size)
                break
            saved_session, replaces_expired = None, True
            continue
        if should_stop():
            raise Interrupted("stopped before the upload started")
        charge("videos.insert")
        request = request or initiation()
        try:
            new_uri = _initiate(http, request, mimetype, size)
        except (HttpError, *transport_errors()) as exc:
            fail(exc, "upload start")
            continue
        journal.session_started(new_uri, replaces_expired=replaces_expired)
        uri = new_uri
        succeeded()

    def start_over() -> dict[str, Any]:
        """The session is gone: start again from zero, once, and say so."""
        if replaces_expired:
            raise SessionExpired("a fresh YouTube upload session expired at once",
                                 platform="youtube")
        return upload_video(
            service, http, path=path, body=body, parts=parts, journal=journal,
            saved_session=None, chunk_size=chunk_size, mimetype=mimetype,
            notify_subscribers=notify_subscribers, backoff=backoff, should_stop=should_stop,
            charge=charge, expected_sha256=expected_sha256, _replaces_expired=True)

    uploader = _Chunks(http, uri, path, size, sizes, journal, should_stop)
    check = SentBytesCheck(path, expected_sha256, offset) if expected_sha256 else None
    try:
        while True:
            try:
                return uploader.send_from(offset, check, succeeded)
            except HttpError as exc:
                if int(exc.resp.status) in (404, 410):
                    break
                fail(exc, "upload")
            except StreamResendRefused as exc:
                # Closed without an answer: ask the session at once.
                fail(exc, "upload", wait=False)
            except transport_errors() as exc:
                fail(exc, "upload")
            # Never re-send blind: ask the session where it stands.
            while True:
                try:
                    state = query_session(http, uri, size)
                except (HttpError, *transport_errors()) as exc:
                    fail(exc, "upload status query")
                    continue
                break
            if state.status == "complete":
                assert state.video is not None
                journal.progress(size, size)
                return state.video
            if state.status == "expired":
                break
            offset = state.offset
            journal.progress(offset, size)
    finally:
        uploader.close()
        if check is not None:
            check.close()
    return start_over()


class _Chunks:
    """Sends the chunks of one session, from an offset to the end."""

    def __init__(self, http: Any, uri: str, path: Path, size: int, sizes: ChunkSizes,
                 journal: UploadJournal, should_stop: Callable[[], bool]) -> None:
        self.http, self.uri, self.path, self.size = http, uri, path, size
        self.sizes, self.journal, self.should_stop = sizes, journal, should_stop
        self.fd = os.open(path, os.O_RDONLY)
        self.buffers = _Buffers(SEND_BLOCK, QUEUE_BLOCKS + 4)

    def close(self) -> None:
        os.close(self.fd)

    def send_from(self, offset: int, check: SentBytesCheck | None,
                  succeeded: Callable[[], None]) -> dict[str, Any]:
        """Send from `offset` to the end; the video YouTube made. Raises what failed."""
        from googleapiclient.errors import HttpError

        while True:
            if self.should_stop():
                raise Interrupted(f"stopped at byte {offset} of {self.size}")
            remaining = self.size - offset
            last = _final_piece(remaining)
            length = min(self.sizes.next_size(), remaining - last) if remaining > last else last
            started = time.perf_counter()
            if length == remaining:
                resp, content = self._send_last(offset, length, check)
            else:
                _read_ahead(self.fd, offset + length, min(self.sizes.next_size(),
                                                          remaining - length))
                resp, content = _put(self.http, self.uri,
                                     _ChunkBody(self.fd, offset, length, check, self.path,
                                                self.buffers),
                                     offset, length, self.size)
            status = int(resp.status)
            if status in (200, 201):
                succeeded()
                self.journal.progress(self.size, self.size)
                return dict(json.loads(content or b"{}"))
            if status != 308:
                raise HttpError(resp, content, uri=self.uri)
            succeeded()
            new_offset = _range_end(resp)
            if new_offset == offset + length:
                self.sizes.sent(length, time.perf_counter() - started)
            offset = new_offset
            self.journal.progress(offset, self.size)
            if check is not None and check.problem is not None:
                raise ContentChanged(self.path, check.problem)

    def _send_last(self, offset: int, length: int, check: SentBytesCheck | None
                   ) -> tuple[Any, bytes]:
        """The last piece, read once, goes only if the whole file's hash is the queued one."""
        data = os.pread(self.fd, length, offset)
        if len(data) < length:
            raise ContentChanged(self.path, "it became shorter during the upload")
        if os.fstat(self.fd).st_size != self.size:
            raise ContentChanged(self.path, "its size changed during the upload")
        if check is not None:
            check.sent(offset, data)
            check.verify(self.size)
        return _put(self.http, self.uri, _HeldPiece(data), offset, length, self.size)
