"""The resumable upload protocol: sessions, chunk PUTs (``Content-Range: bytes A-B/T`` →
``308`` + ``Range`` or the final answer), status queries (``bytes */T``), and the faults
injected into them. Session URIs are capabilities: their PUTs need no token."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal

from publisher.sandbox.http import Body, Drop, Request, Response
from publisher.sandbox.youtube.errors import ApiError
from publisher.sandbox.youtube.facts import CHUNK_GRANULARITY, MediaKind
from publisher.sandbox.youtube.storage import MediaSink, MediaStorage
from publisher.sandbox.youtube.wire import new_id


@dataclass
class UploadSession:
    """A resumable upload session (videos, thumbnails or captions)."""

    id: str
    uri: str
    kind: MediaKind
    method_id: str
    #: ``X-Upload-Content-Length`` (None until known).
    total: int | None
    mime_type: str
    metadata: Any
    params: dict[str, str]
    created_at: datetime
    sink: MediaSink
    #: Contiguous bytes stored (the next expected offset).
    received: int = 0
    #: Every chunk body byte the server read, including re-sent, skipped and discarded ones.
    bytes_received: int = 0
    data_puts: int = 0
    status_queries: int = 0
    expired: bool = False
    final: Response | None = None
    #: The video id (video and thumbnail sessions) or caption id once complete.
    result_id: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def complete(self) -> bool:
        return self.final is not None


@dataclass
class ChunkFault:
    action: Literal["status", "drop", "delay"]
    n: int | None  # None: the chunk that completes the upload
    session: str | None
    status: int = 503
    reason: str = "backendError"
    message: str = "Backend Error"
    domain: str = "global"
    after_storing: bool = False
    after_bytes: int | None = None
    reset: bool = True
    seconds: float = 0.0


def session_id_of(session: str) -> str:
    """A session's id, given the id or the session URI."""
    match = re.search(r"[?&]upload_id=([^&]+)", session)
    return match.group(1) if match else session


def _session_or_none(session: str | None) -> str | None:
    return session_id_of(session) if session is not None else None


#: Turns a session whose bytes have all arrived into the final answer and the id of what it
#: created (None when that answer is an error).
Completion = Callable[[UploadSession], tuple[Response, str | None]]


class ResumableUploads:
    """Every resumable session of the fake. Shares the server's ``lock`` (each session also
    has its own, held while one of its PUTs is handled)."""

    def __init__(self, lock: threading.RLock, now: Callable[[], datetime],
                 root: Callable[[], str], storage: MediaStorage, complete: Completion, *,
                 session_ttl: timedelta | None, enforce_chunk_size: bool) -> None:
        self._lock = lock
        self._now = now
        self._root = root
        self._storage = storage
        self._complete_upload = complete
        #: Sessions older than this answer 404.
        self.session_ttl = session_ttl
        #: Refuse a non-final chunk under 256 KiB, as Google does.
        self.enforce_chunk_size = enforce_chunk_size
        self.sessions: dict[str, UploadSession] = {}
        self._chunk_faults: list[ChunkFault] = []
        self._status_query_faults: list[ApiError] = []

    def open(self, request: Request, kind: MediaKind, method: str, part: str | None,
             total: int | None, mime: str, prepared: Any) -> Response:
        """Start a session for a validated initiation request: ``200`` + ``Location``."""
        session_id = new_id("ADPycd", 40).replace("-", "x").replace("_", "y")
        query = [("uploadType", "resumable")]
        if part is not None:
            query.append(("part", part))
        if kind == "thumbnail":
            query.append(("videoId", request.param("videoId") or ""))
        query.append(("upload_id", session_id))
        uri = (self._root() + request.path.lstrip("/") + "?"
               + "&".join(f"{k}={v}" for k, v in query))
        session = UploadSession(
            id=session_id, uri=uri, kind=kind, method_id=method, total=total, mime_type=mime,
            metadata=prepared, params={k: v[0] for k, v in request.query.items()},
            created_at=self._now(), sink=self._storage.new_sink(session_id))
        with self._lock:
            self.sessions[session_id] = session
        request.notes.append(f"session {session_id}")
        return Response.empty(200, [("Location", uri), ("X-GUploader-UploadID", session_id)])

    def close_sinks(self) -> None:
        with self._lock:
            for session in self.sessions.values():
                session.sink.close()

    # ---- PUTs to a session URI -------------------------------------------------------------

    def put(self, request: Request) -> Response | Drop:
        session_id = request.param("upload_id") or ""
        with self._lock:
            session = self.sessions.get(session_id)
            if session is not None and self.session_ttl is not None and not session.complete \
                    and self._now() - session.created_at > self.session_ttl:
                session.expired = True
        if session is None or session.expired:
            request.tag = "upload.session"
            raise ApiError(404, "notFound", "Not Found")
        request.tag = session.method_id + ".session"
        content_range = request.header("content-range")
        with session.lock:
            if content_range is not None and content_range.replace(" ", "").startswith("bytes*/"):
                return self._status_query(request, session, content_range)
            result, delay = self._chunk(request, session, content_range)
        if delay:
            time.sleep(delay)  # outside the session lock: a status query is not held up
        return result

    @staticmethod
    def _range_headers(session: UploadSession) -> list[tuple[str, str]]:
        headers = [("X-GUploader-UploadID", session.id)]
        if session.received > 0:
            headers.append(("Range", f"bytes=0-{session.received - 1}"))
        return headers

    def _status_query(self, request: Request, session: UploadSession,
                      content_range: str) -> Response:
        session.status_queries += 1
        request.notes.append("status query")
        with self._lock:
            fault = self._status_query_faults.pop(0) if self._status_query_faults else None
        if fault is not None:
            request.notes.append(f"fault: {fault.status}")
            return fault.response()
        if session.final is not None:
            return replace(session.final)
        total_text = content_range.split("/", 1)[1].strip()
        if total_text != "*":
            try:
                total = int(total_text)
            except ValueError:
                raise ApiError(400, "badRequest", "Failed to parse Content-Range header.") \
                    from None
            if session.total is None:
                session.total = total
            elif session.total != total:
                raise ApiError(400, "badRequest", "Failed to parse Content-Range header.")
            if session.received == session.total:
                return self._complete(session)
        return Response.empty(308, self._range_headers(session))

    def _take_fault(self, session: UploadSession, final: bool) -> ChunkFault | None:
        with self._lock:
            for fault in self._chunk_faults:
                if fault.session not in (None, session.id):
                    continue
                if (fault.n is None and final) or fault.n == session.data_puts:
                    self._chunk_faults.remove(fault)
                    return fault
        return None

    def _chunk(self, request: Request, session: UploadSession,
               content_range: str | None) -> tuple[Response | Drop, float]:
        """Handle a data PUT; the answer and how long to delay it (a fault)."""
        session.data_puts += 1
        body = request.body
        length = body.declared
        if length is None:
            raise ApiError(411, "badRequest", "Length Required")
        if content_range is None:
            start, end, total_text = 0, length - 1, str(length)
        else:
            match = re.fullmatch(r"\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*", content_range)
            if not match:
                raise ApiError(400, "badRequest", "Failed to parse Content-Range header.")
            start, end, total_text = int(match.group(1)), int(match.group(2)), match.group(3)
            if end < start or end - start + 1 != length:
                raise ApiError(400, "badRequest", "Failed to parse Content-Range header.")
        if total_text != "*":
            total = int(total_text)
            if session.total is None:
                session.total = total
            elif session.total != total or end >= total:
                raise ApiError(400, "badRequest", "Failed to parse Content-Range header.")
        if session.final is not None:
            session.bytes_received += body.drain()
            request.notes.append("already complete")
            return replace(session.final), 0.0
        final = session.total is not None and end + 1 == session.total
        fault = self._take_fault(session, final)
        if fault is not None:
            request.notes.append(f"fault: {fault.action} n={fault.n}")
        if start > session.received:
            session.bytes_received += body.drain()
            raise ApiError(400, "badRequest", "Invalid request.  According to the Content-Range "
                           f"header, the upload offset is {start} byte(s), which exceeds "
                           f"already uploaded size of {session.received} byte(s).")
        if (self.enforce_chunk_size and not final and length < CHUNK_GRANULARITY
                and end + 1 > session.received):
            session.bytes_received += body.drain()
            raise ApiError(400, "badRequest", "Invalid request. The number of bytes uploaded is "
                           f"required to be equal or greater than {CHUNK_GRANULARITY}, except "
                           "for the final request (it's recommended to be the exact multiple "
                           f"of {CHUNK_GRANULARITY}). The received request contained {length} "
                           "bytes, which does not meet this requirement.")
        if fault is not None and fault.action == "status" and not fault.after_storing:
            session.bytes_received += body.drain()
            return ApiError(fault.status, fault.reason, fault.message,
                            domain=fault.domain).response(), 0.0
        limit = None
        if fault is not None and fault.action == "drop" and fault.after_bytes is not None:
            limit = fault.after_bytes
        self._store(body, session, start, limit)
        if fault is not None and fault.action == "drop" and fault.after_bytes is not None:
            return Drop(reset=fault.reset), 0.0
        result: Response = Response.empty(308, self._range_headers(session))
        if session.total is not None and session.received == session.total:
            result = self._complete(session)
        if fault is not None:
            if fault.action == "delay":
                return result, fault.seconds
            if fault.action == "status":
                return ApiError(fault.status, fault.reason, fault.message,
                                domain=fault.domain).response(), 0.0
            if fault.action == "drop":
                return Drop(reset=fault.reset), 0.0
        return result, 0.0

    @staticmethod
    def _store(body: Body, session: UploadSession, start: int, limit: int | None) -> None:
        """Stream the chunk into the session, skipping bytes already stored (an overlap)."""
        offset = start
        remaining = limit
        while remaining is None or remaining > 0:
            block = body.read(65536 if remaining is None else min(65536, remaining))
            if not block:
                break
            if remaining is not None:
                remaining -= len(block)
            session.bytes_received += len(block)
            skip = session.received - offset
            if skip < len(block):
                fresh = block[max(skip, 0):]
                session.sink.write(fresh)
                session.received += len(fresh)
            offset += len(block)

    def _complete(self, session: UploadSession) -> Response:
        session.sink.close()
        response, result_id = self._complete_upload(session)
        session.final = response
        session.result_id = result_id
        return replace(response)

    # ---- faults ----------------------------------------------------------------------------

    def _add_chunk_fault(self, fault: ChunkFault) -> None:
        with self._lock:
            self._chunk_faults.append(fault)

    def fail_chunk(self, n: int | None, status: int, *, after_storing: bool,
                   reason: str | None, message: str | None, domain: str | None,
                   session: str | None) -> None:
        if reason is None:
            reason = {403: "rateLimitExceeded", 429: "rateLimitExceeded",
                      500: "backendError", 502: "badGateway",
                      503: "backendError", 504: "gatewayTimeout"}.get(status, "backendError")
        if message is None:
            message = {"rateLimitExceeded": "Rate Limit Exceeded",
                       "backendError": "Backend Error"}.get(reason, reason)
        if domain is None:
            domain = "usageLimits" if reason.endswith("RateLimitExceeded") or \
                reason == "rateLimitExceeded" else "global"
        self._add_chunk_fault(ChunkFault(
            "status", n, _session_or_none(session), status=status, reason=reason,
            message=message, domain=domain, after_storing=after_storing))

    def drop_chunk(self, n: int | None, after_bytes: int | None, *, reset: bool,
                   session: str | None) -> None:
        """``n=None`` with ``after_bytes=None``: store the final chunk whole, then drop."""
        self._add_chunk_fault(ChunkFault(
            "drop", n, _session_or_none(session), after_bytes=after_bytes, reset=reset))

    def delay_chunk(self, n: int | None, seconds: float, *, session: str | None) -> None:
        self._add_chunk_fault(ChunkFault(
            "delay", n, _session_or_none(session), seconds=seconds))

    def fail_status_query(self, error: ApiError) -> None:
        with self._lock:
            self._status_query_faults.append(error)

    def expire(self, session: str | None) -> None:
        with self._lock:
            targets = ([self.sessions[session_id_of(session)]] if session is not None
                       else [s for s in self.sessions.values() if not s.complete])
            for target in targets:
                target.expired = True
