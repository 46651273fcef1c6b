"""Media uploads (videos, thumbnails, captions): the initiation request in its three
``uploadType`` forms, and the hand-over of the stored bytes to what they create.

``resumable`` opens a session (:mod:`.resumable`); ``multipart`` (metadata + media, what the
client sends for ``resumable=False`` with a body) and ``media`` (media only) are single
requests whose media part is streamed the same way. Validation of what the upload will
create happens at initiation, as Google does; each media resource family is a
:class:`MediaTarget`.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Protocol

from publisher.sandbox.http import Body, Drop, Request, Response
from publisher.sandbox.youtube.errors import ApiError
from publisher.sandbox.youtube.facts import MediaKind
from publisher.sandbox.youtube.gate import ApiGate
from publisher.sandbox.youtube.multipart import MultipartReader
from publisher.sandbox.youtube.resumable import ResumableUploads, UploadSession
from publisher.sandbox.youtube.storage import MediaSink, MediaStorage
from publisher.sandbox.youtube.wire import new_id, read_metadata


class MediaTarget(Protocol):
    """A resource family that media uploads create or change."""

    @property
    def kind(self) -> MediaKind: ...

    @property
    def method(self) -> str:
        """The API method (its quota and scopes), e.g. ``youtube.videos.insert``."""

    @property
    def max_bytes(self) -> int: ...

    @property
    def valid_types(self) -> str:
        """The accepted media types as Google's error message lists them."""

    def accepts(self, mime: str) -> bool: ...

    def prepare(self, metadata: Any, request: Request) -> Any:
        """Validate what the upload will create (at initiation); what :meth:`create` needs."""

    def create(self, prepared: Any, part: str | None, mime: str, sink: MediaSink, *,
               bytes_received: int, upload_type: str,
               session_id: str | None) -> tuple[dict[str, Any], str]:
        """Make the resource from the stored bytes: the answer's body and the resource id."""


class MediaUploads:
    """Starts media uploads and finishes them into their :class:`MediaTarget`."""

    def __init__(self, lock: threading.RLock, now: Callable[[], datetime],
                 root: Callable[[], str], storage: MediaStorage, gate: ApiGate, *,
                 session_ttl: timedelta | None, enforce_chunk_size: bool) -> None:
        self._storage = storage
        self._gate = gate
        self._targets: dict[MediaKind, MediaTarget] = {}
        self.resumable = ResumableUploads(lock, now, root, storage, self._complete_session,
                                          session_ttl=session_ttl,
                                          enforce_chunk_size=enforce_chunk_size)

    def register(self, target: MediaTarget) -> None:
        self._targets[target.kind] = target

    def missing_media(self, method: str) -> Callable[[Request], Response | Drop]:
        """The handler of a media method called on the API path instead of ``/upload/``."""
        def handler(request: Request) -> Response | Drop:
            self._gate.begin(request, method)
            raise ApiError(400, "mediaBodyRequired", domain="youtube.video")
        return handler

    def start(self, request: Request, target: MediaTarget, part: str | None) -> Response | Drop:
        """Answer an initiation request the method's handler has admitted."""
        kind, max_bytes = target.kind, target.max_bytes
        upload_type = request.param("uploadType")
        if upload_type not in ("resumable", "multipart", "media"):
            raise ApiError(400, "badRequest", "Upload requests must include an uploadType URL "
                           "parameter and a URL path beginning with /upload/",
                           location="uploadType")

        def check_type(mime: str) -> str:
            mime = (mime or "application/octet-stream").split(";")[0].strip().lower()
            if not target.accepts(mime):
                raise ApiError(400, "badContent", f"Media type '{mime}' is not supported. "
                               f"Valid media types: {target.valid_types}", domain="global",
                               location="media")
            return mime

        if upload_type == "resumable":
            metadata = read_metadata(request)
            prepared = target.prepare(metadata, request)
            mime = check_type(request.header("x-upload-content-type") or "")
            declared = request.header("x-upload-content-length")
            total: int | None = None
            if declared is not None:
                try:
                    total = int(declared)
                except ValueError:
                    raise ApiError(400, "badRequest", "Invalid X-Upload-Content-Length "
                                   f"header: {declared!r}") from None
                if total < 0:
                    raise ApiError(400, "badRequest", "Invalid X-Upload-Content-Length")
                if total > max_bytes:
                    raise ApiError(413, "uploadTooLarge",
                                   f"Media larger than the maximum of {max_bytes} bytes.")
            return self.resumable.open(request, kind, target.method, part, total, mime,
                                       prepared)

        # Single-request uploads: the media is streamed straight into a sink.
        sink = self._storage.new_sink(new_id("", 16))
        if upload_type == "media":
            prepared = target.prepare(None, request)
            mime = check_type(request.header("content-type") or "")
            _stream_into(request.body, sink, max_bytes)
        else:
            content_type = request.header("content-type") or ""
            match = re.search(r'boundary="?([^";]+)"?', content_type)
            if not content_type.lower().startswith("multipart/") or not match:
                raise ApiError(400, "badContent", "Invalid multipart request: no boundary.")
            reader = MultipartReader(request.body, match.group(1).encode("latin-1"))
            _, meta_raw = reader.read_small_part()
            try:
                metadata = json.loads(meta_raw.decode("utf-8")) if meta_raw.strip() else None
            except ValueError:
                raise ApiError(400, "parseError", "Parse Error") from None
            prepared = target.prepare(metadata, request)
            media_headers = reader.next_headers()
            if media_headers is None:
                raise ApiError(400, "mediaBodyRequired", domain="youtube.video")
            mime = check_type(media_headers.get("content-type", ""))
            reader.read_part_into(sink.write, max_bytes)
        sink.close()
        response, _ = self._finish(kind, part, prepared, mime, sink, bytes_received=sink.size,
                                   upload_type=upload_type, session_id=None)
        return response

    def _complete_session(self, session: UploadSession) -> tuple[Response, str | None]:
        return self._finish(session.kind, session.params.get("part"), session.metadata,
                            session.mime_type, session.sink,
                            bytes_received=session.bytes_received, upload_type="resumable",
                            session_id=session.id)

    def _finish(self, kind: MediaKind, part: str | None, prepared: Any, mime: str,
                sink: MediaSink, *, bytes_received: int, upload_type: str,
                session_id: str | None) -> tuple[Response, str | None]:
        """The upload's final answer (an error answer if creating failed) and what it made."""
        try:
            resource, result_id = self._targets[kind].create(
                prepared, part, mime, sink, bytes_received=bytes_received,
                upload_type=upload_type, session_id=session_id)
        except ApiError as exc:
            return exc.response(), None
        return Response.json(200, resource), result_id


def _stream_into(body: Body, sink: MediaSink, max_bytes: int) -> None:
    while block := body.read():
        sink.write(block)
        if sink.size > max_bytes:
            raise ApiError(413, "uploadTooLarge",
                           f"Media larger than the maximum of {max_bytes} bytes.")
