"""A loopback fake of the YouTube Data API v3 and Google's OAuth token endpoint.

The real ``google-api-python-client`` + ``google-auth`` talk to it unmodified; the tests, the
future ``publisher sandbox serve`` command and ``publisher demo`` all use it. Standard library
only; thread-safe; request bodies are streamed (hashed and counted as they arrive, optionally
kept on disk, or discarded for benchmarks).

Quick start::

    with FakeYouTube() as yt:
        yt.root       # "http://127.0.0.1:PORT/"
        yt.token_uri  # "http://127.0.0.1:PORT/token"
        ...           # point the client at it (recipe below), upload, then inspect:
        video = yt.last_video
        assert video.sha256 == sha256_of_the_file
        assert yt.quota.used() == 50 + 1

Pointing the real client at a root URL (the one way that works for API *and* uploads)
-----------------------------------------------------------------------------------------
``client_options={"api_endpoint": root}`` is not enough: it moves the API calls, but media
uploads are built from the discovery document's ``rootUrl`` and only have their host:port
replaced, keeping ``https`` (googleapiclient/discovery.py, ``_media_path_url_from_info`` and
``_fix_up_media_path_base_url``), so a plain-HTTP fake gets a TLS handshake. Patch the bundled
static discovery document instead, and build from it::

    import json
    from googleapiclient.discovery import build_from_document
    from googleapiclient.discovery_cache import get_static_doc

    doc = json.loads(get_static_doc("youtube", "v3"))
    doc["rootUrl"] = doc["baseUrl"] = doc["mtlsRootUrl"] = root   # "http://127.0.0.1:PORT/"
    youtube = build_from_document(doc, credentials=creds)           # never a bare Http()

API calls then go to ``{root}youtube/v3/...``, uploads to ``{root}upload/youtube/v3/...``, and
resumable chunks to the session URI the fake returns (taken verbatim from ``Location``). With
``root = "https://www.googleapis.com/"`` (or leaving the document alone) the same code talks to
Google, so the product needs exactly one switch: "API root URL". Credentials: build
``google.oauth2.credentials.Credentials(token=None, refresh_token=..., client_id=...,
client_secret=..., token_uri=yt.token_uri)`` or call ``.with_token_uri(yt.token_uri)``;
``Credentials.from_authorized_user_info`` *always* overwrites ``token_uri`` with Google's
(google/oauth2/credentials.py, "# always overrides"), so a configured token URI must be
re-applied after loading the token file.

What is modelled (YouTube facts: shared/platform-facts/youtube-api.md §1, §2, §4)
------------------------------------------------------------------------------------
* ``POST /token``: ``grant_type=refresh_token`` → ``{"access_token", "expires_in",
  "token_type": "Bearer", "scope"}``; after :meth:`FakeYouTube.revoke_tokens` → 400
  ``{"error": "invalid_grant", "error_description": "Token has been expired or revoked."}``.
  API calls need ``Authorization: Bearer <a token this fake issued>`` (401 otherwise, which
  makes google-auth refresh once and retry) and the method's OAuth scope (403
  ``insufficientPermissions``; captions need ``youtube.force-ssl``).
* Resumable uploads (videos, thumbnails, captions): ``POST /upload/...?uploadType=resumable`` →
  ``200`` + ``Location`` session URI; ``PUT`` chunks with ``Content-Range: bytes A-B/T`` →
  ``308`` + ``Range: bytes=0-N`` (never a ``Location``) or the final ``200``;
  ``bytes */T`` status query → ``308`` with the current ``Range`` (none when nothing has been
  stored) or the final answer again; ``404`` for an unknown or expired session. A chunk that
  starts before the stored offset is accepted and the already-stored bytes are skipped; one
  that starts after it (a gap) is refused with 400 and Google's message. A non-final chunk
  must carry at least 256 KiB. Session URIs are capabilities: chunk PUTs need no token.
  ``uploadType=multipart`` (what the client sends for ``resumable=False`` with a body, e.g.
  captions) and ``uploadType=media`` (``resumable=False`` without a body, e.g. thumbnails)
  are accepted too, and their media part is streamed the same way.
* Metadata rules at ``videos.insert``/``videos.update``: title ≤ 100 characters (counted as the
  larger of code points and UTF-16 units) without ``<``/``>`` → ``invalidTitle``;
  description ≤ 5000 UTF-8 bytes without ``<``/``>`` → ``invalidDescription``; tags ≤ 500 by
  YouTube's formula → ``invalidTags``; ``publishAt`` only RFC 3339 and only with
  ``privacyStatus: private`` (and on update only for a never-published video) →
  ``invalidPublishAt``; ``localizations`` need ``snippet.defaultLanguage`` →
  ``defaultLanguageNotSetError``; an updated ``snippet`` needs ``title`` and ``categoryId`` →
  ``invalidVideoMetadata``. Errors use Google's JSON shape, so ``HttpError.error_details[0]
  ["reason"]`` is the machine reason.
* After an upload, ``videos.list`` shows ``uploadStatus: uploaded`` / ``processingStatus:
  processing`` for ``polls`` calls, then the scripted outcome (:class:`ProcessingScript`):
  ``processed``/``succeeded``, ``failed`` (``failureReason``, ``processingFailureReason``) or
  ``rejected`` (``rejectionReason``; ``processingStatus: terminated``, an assumption).
  A private video whose ``publishAt`` has passed (fake clock, :meth:`FakeYouTube.advance_time`)
  becomes ``public`` once processed.
* Quota (§1.1): ``videos.insert`` charges 1 to its own bucket (100/day); everything else
  charges the 10 000-unit bucket (list 1, update 50, thumbnails.set 50, playlists.insert 50,
  playlistItems.insert 50, captions.insert 400, captions.list 50). Every authenticated call is
  charged, valid or not; a call that would exceed a bucket gets 403 ``quotaExceeded`` (domain
  ``youtube.quota``). Buckets reset at midnight Pacific time of the fake clock.

Fault injection (all one-shot unless said otherwise; ``n`` counts the data-carrying PUTs of a
session, 1-based, re-sent chunks included; ``session=None`` matches any session):
:meth:`~FakeYouTube.fail_chunk` (status on the Nth chunk, before or after storing its bytes),
:meth:`~FakeYouTube.drop_chunk` (reset the connection after K body bytes),
:meth:`~FakeYouTube.delay_chunk`, :meth:`~FakeYouTube.lose_final_response` (store the last
chunk, then close without answering), :meth:`~FakeYouTube.fail_status_query`,
:meth:`~FakeYouTube.expire_session`, :meth:`~FakeYouTube.fail_next` (any method, e.g. 500 or
403 ``rateLimitExceeded`` on ``videos.list``), :meth:`~FakeYouTube.exhaust_quota`,
:meth:`~FakeYouTube.exceed_upload_limit`, :meth:`~FakeYouTube.revoke_tokens`,
:meth:`~FakeYouTube.expire_access_tokens`, :meth:`~FakeYouTube.fail_token_endpoint`,
:meth:`~FakeYouTube.script_processing`, ``channel_verified=False`` (thumbnails 403
``forbidden``), ``lock_private_uploads=True`` (the pre-2026 unverified-project lock).

Client behaviour worth knowing (google-api-python-client 2.202, httplib2 0.32)
--------------------------------------------------------------------------------
* Drive ``next_chunk(num_retries=0)`` yourself. With ``num_retries > 0`` a retried chunk PUT
  re-sends the already-consumed stream slice: it announces N bytes and sends none
  (googleapiclient/http.py, the retry loop in ``next_chunk``).
* httplib2 re-sends a request *silently* when the response never starts on a kept-alive
  connection (``BadStatusLine``/``RemoteDisconnected`` on the first attempt, httplib2
  ``_conn_request``, "regardless of the number of RETRIES set"); for a chunk that re-send has
  an empty body too. A server that closes cleanly without answering therefore costs one
  ``body_timeout`` before the client sees an error. This fake closes with a TCP reset by
  default (:class:`~publisher.sandbox.http.Drop`), which the client surfaces at once.
* After an exception or an error status, the next ``next_chunk()`` first sends the
  ``bytes */T`` status query and resumes from the ``Range`` answer; a 200 to that query
  returns the finished resource ("completed but response lost"). A failed status query
  leaves the request in that state, so the call after it queries again.
* A kept-alive connection the server has closed while idle makes the *next* chunk PUT raise
  ``BrokenPipeError``/``ConnectionResetError`` (an ``OSError``, not an ``HttpError``) before
  any byte reaches the server (:meth:`~publisher.sandbox.http.LoopbackServer.
  close_idle_connections` reproduces it): an uploader must treat ``OSError`` as transient.
* ``HttpError.error_details`` is the first of ``detail``, ``details``, ``errors``,
  ``message`` found in the error body (googleapiclient/errors.py), whereas the retry logic
  reads ``errors`` first (googleapiclient/http.py ``_should_retry_response``). YouTube's
  bodies (and this fake's) carry only ``errors``; a body that also had ``details`` would move
  ``error_details`` to it.
* The initiation POST must answer exactly ``200`` with ``Location``; anything else (even 201)
  is raised as ``ResumableUploadError``, a subclass of ``HttpError``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, Literal, Self
from zoneinfo import ZoneInfo

from publisher.sandbox.http import (
    Body,
    BodyTooLarge,
    Drop,
    LoopbackServer,
    Request,
    Response,
)

# ---- constants (shared/platform-facts/youtube-api.md) ---------------------------------------

CHUNK_GRANULARITY = 256 * 1024
VIDEO_MAX_BYTES = 256 * 1024**3
THUMBNAIL_MAX_BYTES = 50 * 1024 * 1024
CAPTION_MAX_BYTES = 100 * 1024 * 1024
TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
CAPTION_NAME_MAX_CHARS = 150
PLAYLIST_TITLE_MAX_CHARS = 150

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
SCOPE_FORCE_SSL = SCOPE_PREFIX + "youtube.force-ssl"
SCOPE_YOUTUBE = SCOPE_PREFIX + "youtube"
SCOPE_UPLOAD = SCOPE_PREFIX + "youtube.upload"
SCOPE_READONLY = SCOPE_PREFIX + "youtube.readonly"
SCOPE_PARTNER = SCOPE_PREFIX + "youtubepartner"

DEFAULT_BUCKET = "default"
UPLOAD_BUCKET = "videos.insert"
DEFAULT_QUOTA_LIMITS = {DEFAULT_BUCKET: 10_000, UPLOAD_BUCKET: 100}

_READ = frozenset({SCOPE_YOUTUBE, SCOPE_FORCE_SSL, SCOPE_READONLY, SCOPE_PARTNER})
_MANAGE = frozenset({SCOPE_YOUTUBE, SCOPE_FORCE_SSL, SCOPE_PARTNER})
_UPLOAD = frozenset({SCOPE_YOUTUBE, SCOPE_FORCE_SSL, SCOPE_UPLOAD, SCOPE_PARTNER})
_CAPTIONS = frozenset({SCOPE_FORCE_SSL, SCOPE_PARTNER})

#: method id → (quota bucket, cost, scopes any one of which suffices). From §1.1 and the
#: discovery document's per-method scopes.
METHODS: dict[str, tuple[str, int, frozenset[str]]] = {
    "youtube.videos.insert": (UPLOAD_BUCKET, 1, _UPLOAD),
    "youtube.videos.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.videos.update": (DEFAULT_BUCKET, 50, _MANAGE),
    "youtube.thumbnails.set": (DEFAULT_BUCKET, 50, _UPLOAD),
    "youtube.playlists.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.playlists.insert": (DEFAULT_BUCKET, 50, _MANAGE),
    "youtube.playlistItems.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.playlistItems.insert": (DEFAULT_BUCKET, 50, _MANAGE),
    "youtube.captions.insert": (DEFAULT_BUCKET, 400, _CAPTIONS),
    "youtube.captions.list": (DEFAULT_BUCKET, 50, _CAPTIONS),
    "youtube.channels.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.videoCategories.list": (DEFAULT_BUCKET, 1, _READ),
}

#: Assignable categories (regionCode=US).
VIDEO_CATEGORIES = {
    "1": "Film & Animation", "2": "Autos & Vehicles", "10": "Music", "15": "Pets & Animals",
    "17": "Sports", "19": "Travel & Events", "20": "Gaming", "22": "People & Blogs",
    "23": "Comedy", "24": "Entertainment", "25": "News & Politics", "26": "Howto & Style",
    "27": "Education", "28": "Science & Technology", "29": "Nonprofits & Activism",
}

VIDEO_PARTS = frozenset({
    "contentDetails", "fileDetails", "id", "liveStreamingDetails", "localizations",
    "paidProductPlacementDetails", "player", "processingDetails", "recordingDetails",
    "snippet", "statistics", "status", "suggestions", "topicDetails"})
PRIVACY_STATUSES = ("private", "public", "unlisted")
LICENSES = ("youtube", "creativeCommon")

_MSG = {
    "invalidTitle": "The request metadata specifies an invalid or empty video title.",
    "invalidDescription": "The request metadata specifies an invalid video description.",
    "invalidTags": "The request metadata specifies invalid video keywords.",
    "invalidCategoryId": "The <code>snippet.categoryId</code> property specifies an invalid "
                         "category ID. Use the <code><a href=\"/youtube/v3/docs/videoCategories/"
                         "list\">videoCategories.list</a></code> method to retrieve supported "
                         "categories.",
    "invalidPublishAt": "The request metadata specifies an invalid scheduled publishing time.",
    "invalidRecordingDetails": "The <code>recordingDetails</code> object in the request "
                               "metadata specifies invalid recording details.",
    "invalidVideoMetadata": "The request metadata is invalid.",
    "defaultLanguageNotSetError": "The request is trying to add localized video details "
                                  "without specifying the default language of the video "
                                  "details.",
    "mediaBodyRequired": "The request does not include the video content.",
    "uploadLimitExceeded": "The user has exceeded the number of videos they may upload.",
    "quotaExceeded": "The request cannot be completed because you have exceeded your "
                     "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
}

Outcome = Literal["succeeded", "failed", "rejected"]
StorageMode = Literal["hash", "disk", "discard"]
MediaKind = Literal["video", "thumbnail", "caption"]


# ---- errors ------------------------------------------------------------------------------------

class ApiError(Exception):
    """An error answer in Google's JSON shape::

        {"error": {"code": 403, "message": "...",
                   "errors": [{"message": "...", "domain": "youtube.quota",
                               "reason": "quotaExceeded"}]}}
    """

    def __init__(self, status: int, reason: str, message: str | None = None, *,
                 domain: str = "global", location: str | None = None,
                 location_type: str | None = None,
                 headers: Iterable[tuple[str, str]] = ()) -> None:
        self.status = status
        self.reason = reason
        self.message = message if message is not None else _MSG.get(reason, reason)
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = list(headers)
        super().__init__(f"{status} {reason}: {self.message}")

    def payload(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "domain": self.domain,
                                "reason": self.reason}
        if self.location is not None:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        return {"error": {"code": self.status, "message": self.message, "errors": [item]}}

    def response(self) -> Response:
        return Response.json(self.status, self.payload(), self.headers)


def _video_error(reason: str, status: int = 400) -> ApiError:
    return ApiError(status, reason, domain="youtube.video")


def _required(name: str) -> ApiError:
    return ApiError(400, "required", f"Required parameter: {name}", location=name,
                    location_type="parameter")


# ---- small helpers -----------------------------------------------------------------------------

_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def parse_rfc3339(value: object) -> datetime | None:
    """An RFC 3339 timestamp with a zone (``2026-12-01T16:00:00Z``) as an aware datetime."""
    if not isinstance(value, str) or not _RFC3339.match(value):
        return None
    text = value.upper().replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def rfc3339(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def title_length(title: str) -> int:
    """Counted conservatively: the larger of code points and UTF-16 code units."""
    return max(len(title), len(title.encode("utf-16-le", "surrogatepass")) // 2)


def tags_length(tags: list[str]) -> int:
    """YouTube's formula: commas count, a tag with a space counts its implied quotes."""
    if not tags:
        return 0
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1


def _new_id(prefix: str = "", length: int = 11) -> str:
    raw = base64.urlsafe_b64encode(secrets.token_bytes(length)).decode("ascii")
    return prefix + raw.replace("=", "")[:length]


def _etag(*parts: object) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:27]


def _parts(value: str | None) -> list[str]:
    if value is None:
        raise _required("part")
    names = [p.strip() for p in value.split(",") if p.strip()]
    if not names:
        raise _required("part")
    return names


def _check_parts(names: list[str], allowed: Iterable[str]) -> None:
    known = set(allowed)
    for name in names:
        if name not in known:
            raise ApiError(400, "unknownPart", name, domain="youtube.part", location="part")


# ---- storage -----------------------------------------------------------------------------------

class MediaSink:
    """Where media bytes go as they arrive: counted always, hashed unless ``discard``,
    written to ``path`` in ``disk`` mode. Never holds more than one block in memory."""

    def __init__(self, mode: StorageMode, path: Path | None = None) -> None:
        self.mode = mode
        self.size = 0
        self.head = b""
        self._hash = hashlib.sha256() if mode != "discard" else None
        self.path = path if mode == "disk" else None
        self._file: BinaryIO | None = None
        if self.path is not None:
            self._file = self.path.open("wb")

    def write(self, data: bytes) -> None:
        if not data:
            return
        if len(self.head) < 16:
            self.head += data[:16 - len(self.head)]
        self.size += len(data)
        if self._hash is not None:
            self._hash.update(data)
        if self._file is not None:
            self._file.write(data)

    @property
    def sha256(self) -> str | None:
        return self._hash.hexdigest() if self._hash is not None else None

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


# ---- state tests inspect -----------------------------------------------------------------------

@dataclass
class ProcessingScript:
    """What processing does to an uploaded video, as seen through ``videos.list``."""

    outcome: Outcome = "succeeded"
    #: ``videos.list`` answers that still say "processing" before the outcome shows.
    polls: int = 1
    #: ``status.failureReason`` when failed (conversion, invalidFile, emptyFile, tooSmall,
    #: codec, uploadAborted).
    failure_reason: str = "conversion"
    #: ``processingDetails.processingFailureReason`` when failed.
    processing_failure_reason: str = "transcodeFailed"
    #: ``status.rejectionReason`` when rejected (claim, copyright, duplicate, ...).
    rejection_reason: str = "duplicate"


@dataclass
class FakeCaption:
    id: str
    video_id: str
    language: str
    name: str
    is_draft: bool
    mime_type: str
    size: int
    sha256: str | None
    metadata: dict[str, Any]
    upload_type: str
    path: Path | None = None


@dataclass
class FakePlaylistItem:
    id: str
    playlist_id: str
    video_id: str
    metadata: dict[str, Any]
    added_at: datetime


@dataclass
class FakePlaylist:
    id: str
    title: str
    description: str
    privacy_status: str
    metadata: dict[str, Any]
    created_at: datetime
    items: list[FakePlaylistItem] = field(default_factory=list)

    @property
    def video_ids(self) -> list[str]:
        return [item.video_id for item in self.items]


@dataclass
class FakeVideo:
    """An uploaded video. ``metadata`` is the insert body exactly as received; ``snippet``,
    ``status``, ``localizations`` and ``recording_details`` are the current values."""

    id: str
    metadata: dict[str, Any]
    parts: tuple[str, ...]
    snippet: dict[str, Any]
    status: dict[str, Any]
    localizations: dict[str, Any]
    recording_details: dict[str, Any]
    mime_type: str
    #: Size and SHA-256 of the stored bytes (sha256 is None in ``discard`` mode).
    size: int
    sha256: str | None
    #: All media body bytes the server read for this upload, re-sent and discarded included.
    bytes_received: int
    upload_type: str
    uploaded_at: datetime
    processing: ProcessingScript
    session_id: str | None = None
    path: Path | None = None
    polls_seen: int = 0
    ever_published: bool = False
    version: int = 0
    thumbnail_sha256: str | None = None
    thumbnail_size: int | None = None
    thumbnail_mime: str | None = None
    thumbnails_set: int = 0
    #: Playlist ids, in the order the video was added (repeats possible, as on YouTube).
    playlists: list[str] = field(default_factory=list)
    #: Caption tracks per language.
    captions: dict[str, list[FakeCaption]] = field(default_factory=dict)
    #: ``videos.update`` bodies as received.
    updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.snippet.get("title", ""))

    @property
    def privacy_status(self) -> str:
        return str(self.status.get("privacyStatus", "public"))

    @property
    def publish_at(self) -> str | None:
        value = self.status.get("publishAt")
        return str(value) if value is not None else None

    @property
    def processing_done(self) -> bool:
        return self.polls_seen >= self.processing.polls

    @property
    def upload_status(self) -> str:
        if not self.processing_done:
            return "uploaded"
        return {"succeeded": "processed", "failed": "failed",
                "rejected": "rejected"}[self.processing.outcome]

    @property
    def processing_status(self) -> str:
        if not self.processing_done:
            return "processing"
        return {"succeeded": "succeeded", "failed": "failed",
                "rejected": "terminated"}[self.processing.outcome]


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


@dataclass(frozen=True)
class QuotaCharge:
    method: str
    bucket: str
    cost: int
    at: datetime
    #: True when the call was refused with quotaExceeded (and cost nothing).
    refused: bool = False


class QuotaLedger:
    """Units spent per bucket per Pacific day (§1.1). Thread-safe."""

    def __init__(self, limits: dict[str, int], clock: Callable[[], datetime]) -> None:
        self.limits = dict(limits)
        self._clock = clock
        self._lock = threading.Lock()
        self._used: dict[str, int] = {}
        self._charges: list[QuotaCharge] = []
        self._day = self._pacific_day()

    def _pacific_day(self) -> str:
        return self._clock().astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()

    def _roll(self) -> None:
        day = self._pacific_day()
        if day != self._day:
            self._day = day
            self._used.clear()

    def used(self, bucket: str = DEFAULT_BUCKET) -> int:
        with self._lock:
            self._roll()
            return self._used.get(bucket, 0)

    def remaining(self, bucket: str = DEFAULT_BUCKET) -> int:
        with self._lock:
            self._roll()
            return self.limits[bucket] - self._used.get(bucket, 0)

    @property
    def charges(self) -> list[QuotaCharge]:
        with self._lock:
            return list(self._charges)

    def spent_on(self, method: str) -> int:
        """Units charged to one method (e.g. "captions.insert") over the fake's life."""
        method = _method_id(method)
        with self._lock:
            return sum(c.cost for c in self._charges if c.method == method)

    def exhaust(self, bucket: str = DEFAULT_BUCKET) -> None:
        with self._lock:
            self._roll()
            self._used[bucket] = self.limits[bucket]

    def reset(self) -> None:
        with self._lock:
            self._used.clear()

    def charge(self, method: str) -> None:
        bucket, cost, _ = METHODS[method]
        with self._lock:
            self._roll()
            now = self._clock()
            if self._used.get(bucket, 0) + cost > self.limits[bucket]:
                self._charges.append(QuotaCharge(method, bucket, 0, now, refused=True))
                raise ApiError(403, "quotaExceeded", domain="youtube.quota")
            self._used[bucket] = self._used.get(bucket, 0) + cost
            self._charges.append(QuotaCharge(method, bucket, cost, now))


@dataclass
class AccessToken:
    token: str
    scopes: frozenset[str]
    expires_at: datetime
    refresh_token: str | None


@dataclass
class _ChunkFault:
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


@dataclass
class _MethodFault:
    method: str
    error: ApiError
    times: int


def _method_id(name: str) -> str:
    name = name if name.startswith("youtube.") else "youtube." + name
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; known: {sorted(METHODS)}")
    return name


def _session_id_of(session: str) -> str:
    match = re.search(r"[?&]upload_id=([^&]+)", session)
    return match.group(1) if match else session


# ---- the fake ----------------------------------------------------------------------------------

class FakeYouTube(LoopbackServer):
    """The YouTube Data API v3 + OAuth token endpoint on 127.0.0.1 (see the module docstring).

    ``storage``: ``"hash"`` (default: count and SHA-256 the bytes), ``"disk"`` (also keep them
    under ``storage_dir``, a temporary directory removed at :meth:`stop` unless given) or
    ``"discard"`` (count only, for benchmarks). ``clock`` gives "now" (UTC) for tokens,
    ``publishAt``, quota days and session ages; :meth:`advance_time` moves it.
    """

    name = "fake-youtube"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 storage: StorageMode = "hash", storage_dir: Path | None = None,
                 body_timeout: float = 10.0,
                 clock: Callable[[], datetime] | None = None,
                 quota_limits: dict[str, int] | None = None,
                 processing: ProcessingScript | None = None,
                 token_lifetime: int = 3599,
                 granted_scopes: Iterable[str] = (SCOPE_FORCE_SSL, SCOPE_UPLOAD, SCOPE_YOUTUBE),
                 client_id: str | None = None, client_secret: str | None = None,
                 channel_verified: bool = True, lock_private_uploads: bool = False,
                 session_ttl: timedelta | None = None,
                 enforce_chunk_size: bool = True,
                 channel_title: str = "Sandbox Channel") -> None:
        super().__init__(host=host, port=port, body_timeout=body_timeout)
        self.storage: StorageMode = storage
        self._storage_dir = storage_dir
        self._owns_storage_dir = False
        self._clock = clock or (lambda: datetime.now(UTC))
        self._time_offset = timedelta()
        self.quota = QuotaLedger({**DEFAULT_QUOTA_LIMITS, **(quota_limits or {})}, self.now)
        self.default_processing = processing or ProcessingScript()
        self.token_lifetime = token_lifetime
        #: Scopes the (fake) user consented to; a refresh asking for more gets invalid_scope.
        self.granted_scopes = frozenset(granted_scopes)
        #: When set, the token endpoint checks them (401 invalid_client otherwise).
        self.client_id = client_id
        self.client_secret = client_secret
        #: False: thumbnails.set answers 403 forbidden, channels.list says longUploadsStatus
        #: "eligible" (phone verification missing).
        self.channel_verified = channel_verified
        #: True: every upload is stored private (the unverified-project lock, gone 2026-11-02).
        self.lock_private_uploads = lock_private_uploads
        self.session_ttl = session_ttl
        self.enforce_chunk_size = enforce_chunk_size
        self.channel_id = _new_id("UC", 22)
        self.channel_title = channel_title
        self.tokens_revoked = False
        self.upload_limit_exceeded = False
        self._videos: dict[str, FakeVideo] = {}
        self._sessions: dict[str, UploadSession] = {}
        self._playlists: dict[str, FakePlaylist] = {}
        self._captions: dict[str, FakeCaption] = {}
        self._tokens: dict[str, AccessToken] = {}
        self._refresh_tokens_seen: set[str] = set()
        self._chunk_faults: list[_ChunkFault] = []
        self._status_query_faults: list[ApiError] = []
        self._method_faults: list[_MethodFault] = []
        self._token_faults: list[tuple[int, dict[str, Any]]] = []
        self._processing_queue: list[ProcessingScript] = []

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        if self.storage == "disk" and self._storage_dir is None:
            self._storage_dir = Path(tempfile.mkdtemp(prefix="fake-youtube-"))
            self._owns_storage_dir = True
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        with self.lock:
            for session in self._sessions.values():
                session.sink.close()
        if self._owns_storage_dir and self._storage_dir is not None:
            shutil.rmtree(self._storage_dir, ignore_errors=True)
            self._storage_dir = None
            self._owns_storage_dir = False

    @property
    def storage_dir(self) -> Path | None:
        return self._storage_dir

    @property
    def token_uri(self) -> str:
        return self.root + "token"

    # ---- time ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock() + self._time_offset

    def advance_time(self, delta: timedelta) -> None:
        """Move the fake's clock (tokens expire, publishAt passes, quota days roll over)."""
        with self.lock:
            self._time_offset += delta

    # ---- inspection ----------------------------------------------------------------------

    @property
    def videos(self) -> dict[str, FakeVideo]:
        with self.lock:
            for video in self._videos.values():
                self._advance(video)
            return dict(self._videos)

    def video(self, video_id: str) -> FakeVideo:
        with self.lock:
            video = self._videos[video_id]
            self._advance(video)
            return video

    @property
    def last_video(self) -> FakeVideo:
        with self.lock:
            if not self._videos:
                raise LookupError("no video has been uploaded")
            video = list(self._videos.values())[-1]
            self._advance(video)
            return video

    @property
    def sessions(self) -> dict[str, UploadSession]:
        with self.lock:
            return dict(self._sessions)

    def session(self, session: str) -> UploadSession:
        """A session by id or by its URI."""
        with self.lock:
            return self._sessions[_session_id_of(session)]

    @property
    def last_session(self) -> UploadSession:
        with self.lock:
            if not self._sessions:
                raise LookupError("no upload session has been started")
            return list(self._sessions.values())[-1]

    @property
    def playlists(self) -> dict[str, FakePlaylist]:
        with self.lock:
            return dict(self._playlists)

    @property
    def captions(self) -> dict[str, FakeCaption]:
        with self.lock:
            return dict(self._captions)

    @property
    def uploads_playlist_id(self) -> str:
        return "UU" + self.channel_id[2:]

    def authorized_user_info(self, *, refresh_token: str = "sandbox-refresh-token",
                             client_id: str | None = None,
                             client_secret: str | None = None) -> dict[str, Any]:
        """An authorized-user token JSON (google-auth's format) aimed at this fake's token
        endpoint. Remember that ``from_authorized_user_info`` overwrites ``token_uri``."""
        return {"type": "authorized_user", "refresh_token": refresh_token,
                "client_id": client_id or self.client_id or "sandbox-client-id",
                "client_secret": client_secret or self.client_secret or "sandbox-secret",
                "token_uri": self.token_uri, "scopes": sorted(self.granted_scopes)}

    def issue_access_token(self, scopes: Iterable[str] | None = None,
                           lifetime: int | None = None) -> str:
        """Mint an access token directly (as if a refresh had happened)."""
        token = "ya29.sandbox-" + secrets.token_urlsafe(24)
        with self.lock:
            self._tokens[token] = AccessToken(
                token, frozenset(scopes) if scopes is not None else self.granted_scopes,
                self.now() + timedelta(seconds=lifetime or self.token_lifetime), None)
        return token

    # ---- fault injection -----------------------------------------------------------------

    def fail_chunk(self, n: int | None, status: int = 503, *, after_storing: bool = False,
                   reason: str | None = None, message: str | None = None,
                   domain: str | None = None, session: str | None = None) -> None:
        """Answer ``status`` to the Nth data PUT of a session (``n=None``: the chunk that
        completes the upload). ``after_storing=True`` keeps the chunk's bytes first ("acted
        then failed"). 403/429 default to ``rateLimitExceeded`` (domain usageLimits)."""
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
        with self.lock:
            self._chunk_faults.append(_ChunkFault(
                "status", n, _session_or_none(session), status=status, reason=reason,
                message=message, domain=domain, after_storing=after_storing))

    def drop_chunk(self, n: int | None, after_bytes: int = 0, *, reset: bool = True,
                   session: str | None = None) -> None:
        """Close the connection during the Nth data PUT once ``after_bytes`` body bytes have
        arrived (and been stored). ``reset=False`` closes with FIN instead of RST."""
        with self.lock:
            self._chunk_faults.append(_ChunkFault(
                "drop", n, _session_or_none(session), after_bytes=after_bytes, reset=reset))

    def lose_final_response(self, *, reset: bool = True, session: str | None = None) -> None:
        """Store the chunk that completes the upload, then close without answering."""
        with self.lock:
            self._chunk_faults.append(_ChunkFault(
                "drop", None, _session_or_none(session), after_bytes=None, reset=reset))

    def delay_chunk(self, n: int | None, seconds: float, *, session: str | None = None) -> None:
        """Store the Nth data PUT's bytes, then wait ``seconds`` before answering."""
        with self.lock:
            self._chunk_faults.append(_ChunkFault(
                "delay", n, _session_or_none(session), seconds=seconds))

    def fail_status_query(self, status: int = 503, reason: str = "backendError") -> None:
        """Answer the next ``Content-Range: bytes */T`` status query with an error."""
        with self.lock:
            self._status_query_faults.append(ApiError(status, reason, "Backend Error"))

    def expire_session(self, session: str | None = None) -> None:
        """Expire one session (id or URI) or, with None, every session not yet complete;
        their URIs then answer 404."""
        with self.lock:
            targets = ([self._sessions[_session_id_of(session)]] if session is not None
                       else [s for s in self._sessions.values() if not s.complete])
            for target in targets:
                target.expired = True

    def fail_next(self, method: str, status: int = 500, reason: str = "backendError", *,
                  message: str | None = None, domain: str = "global", times: int = 1,
                  retry_after: int | None = None) -> None:
        """Answer the next ``times`` calls of an API method (e.g. "videos.list",
        "videos.insert" at initiation) with an error in Google's shape; ``retry_after``
        adds a ``Retry-After`` header (seconds), as Google's front ends send with 429/503."""
        default_message = {"backendError": "Backend Error",
                           "rateLimitExceeded": "Rate Limit Exceeded",
                           "userRateLimitExceeded": "User Rate Limit Exceeded"}
        headers = [("Retry-After", str(retry_after))] if retry_after is not None else []
        error = ApiError(status, reason, message or default_message.get(reason, reason),
                         domain=domain, headers=headers)
        with self.lock:
            self._method_faults.append(_MethodFault(_method_id(method), error, times))

    def exhaust_quota(self, bucket: str = DEFAULT_BUCKET) -> None:
        """Use up a bucket: "default" (10 000 units) or "videos.insert" (100 uploads)."""
        self.quota.exhaust(bucket)

    def exceed_upload_limit(self, on: bool = True) -> None:
        """videos.insert answers 400 uploadLimitExceeded (the channel's 24 h cap) until off."""
        with self.lock:
            self.upload_limit_exceeded = on

    def revoke_tokens(self) -> None:
        """The user revoked access: refreshes get invalid_grant, access tokens stop working."""
        with self.lock:
            self.tokens_revoked = True
            self._tokens.clear()

    def restore_tokens(self) -> None:
        """The user consented again: refreshes work again."""
        with self.lock:
            self.tokens_revoked = False

    def expire_access_tokens(self) -> None:
        """Forget every access token (API calls then get 401 until the client refreshes)."""
        with self.lock:
            self._tokens.clear()

    def fail_token_endpoint(self, status: int = 503, *, error: str = "server_error",
                            times: int = 1) -> None:
        """The next ``times`` token requests answer ``status`` (google-auth retries 5xx)."""
        with self.lock:
            for _ in range(times):
                self._token_faults.append((status, {"error": error,
                                                    "error_description": "Sandbox fault"}))

    def script_processing(self, outcome: Outcome = "succeeded", *, polls: int = 1,
                          failure_reason: str = "conversion",
                          processing_failure_reason: str = "transcodeFailed",
                          rejection_reason: str = "duplicate",
                          video_id: str | None = None) -> None:
        """Script processing for an existing video, or (video_id=None) for the next upload
        to complete. Unscripted uploads use ``default_processing``."""
        script = ProcessingScript(outcome, polls, failure_reason, processing_failure_reason,
                                  rejection_reason)
        with self.lock:
            if video_id is None:
                self._processing_queue.append(script)
            else:
                video = self._videos[video_id]
                video.processing = script
                video.polls_seen = 0
                video.version += 1

    def finish_processing(self, video_id: str) -> None:
        """Make the video's scripted outcome visible now."""
        with self.lock:
            video = self._videos[video_id]
            video.polls_seen = max(video.polls_seen, video.processing.polls)
            video.version += 1

    # ---- dispatch ------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        path, method = request.path, request.method
        try:
            if path == "/token":
                if method != "POST":
                    return Response.json(405, {"error": "invalid_request"})
                return self._token_endpoint(request)
            if path.startswith("/upload/") and "upload_id" in request.query:
                if method != "PUT":
                    raise ApiError(405, "methodNotAllowed", "Method Not Allowed")
                return self._session_put(request)
            route = self._routes().get((method, path))
            if route is None:
                raise ApiError(404, "notFound", f"Not Found: {method} {path}")
            return route(request)
        except ApiError as exc:
            return exc.response()

    def _routes(self) -> dict[tuple[str, str], Callable[[Request], Response | Drop]]:
        return {
            ("POST", "/upload/youtube/v3/videos"): self._videos_insert,
            ("POST", "/youtube/v3/videos"): self._media_missing("youtube.videos.insert"),
            ("GET", "/youtube/v3/videos"): self._videos_list,
            ("PUT", "/youtube/v3/videos"): self._videos_update,
            ("POST", "/upload/youtube/v3/thumbnails/set"): self._thumbnails_set,
            ("POST", "/youtube/v3/thumbnails/set"): self._media_missing("youtube.thumbnails.set"),
            ("GET", "/youtube/v3/playlists"): self._playlists_list,
            ("POST", "/youtube/v3/playlists"): self._playlists_insert,
            ("GET", "/youtube/v3/playlistItems"): self._playlist_items_list,
            ("POST", "/youtube/v3/playlistItems"): self._playlist_items_insert,
            ("POST", "/upload/youtube/v3/captions"): self._captions_insert,
            ("POST", "/youtube/v3/captions"): self._media_missing("youtube.captions.insert"),
            ("GET", "/youtube/v3/captions"): self._captions_list,
            ("GET", "/youtube/v3/channels"): self._channels_list,
            ("GET", "/youtube/v3/videoCategories"): self._video_categories_list,
        }

    def _begin(self, request: Request, method: str) -> None:
        """Authenticate, apply injected method faults, charge quota (in that order)."""
        request.tag = method
        scopes = METHODS[method][2]
        auth = request.header("authorization") or ""
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        with self.lock:
            access = self._tokens.get(token)
            if access is not None and access.expires_at <= self.now():
                del self._tokens[token]
                access = None
            if access is None:
                raise ApiError(
                    401, "authError",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential. See "
                    "https://developers.google.com/identity/sign-in/web/devconsole-project.",
                    location="Authorization", location_type="header",
                    headers=[("WWW-Authenticate",
                              'Bearer realm="https://accounts.google.com/", '
                              'error="invalid_token"')])
            if not access.scopes & scopes:
                raise ApiError(403, "insufficientPermissions",
                               "Request had insufficient authentication scopes.",
                               headers=[("WWW-Authenticate",
                                         'Bearer realm="https://accounts.google.com/", '
                                         'error="insufficient_scope", scope="'
                                         + " ".join(sorted(scopes)) + '"')])
            for fault in self._method_faults:
                if fault.method == method:
                    fault.times -= 1
                    if fault.times <= 0:
                        self._method_faults.remove(fault)
                    request.notes.append(f"fault: {fault.error.status} {fault.error.reason}")
                    raise fault.error
        self.quota.charge(method)

    def _media_missing(self, method: str) -> Callable[[Request], Response | Drop]:
        def handler(request: Request) -> Response | Drop:
            self._begin(request, method)
            raise ApiError(400, "mediaBodyRequired", domain="youtube.video")
        return handler

    # ---- OAuth ---------------------------------------------------------------------------

    def _token_endpoint(self, request: Request) -> Response:
        request.tag = "oauth2.token"
        form = request.form()
        with self.lock:
            if self._token_faults:
                status, payload = self._token_faults.pop(0)
                request.notes.append(f"fault: {status}")
                return Response.json(status, payload)
            if form.get("grant_type") != "refresh_token":
                return Response.json(400, {"error": "unsupported_grant_type",
                                           "error_description": "Invalid grant_type: "
                                           + form.get("grant_type", "")})
            if (self.client_id is not None and form.get("client_id") != self.client_id) or (
                    self.client_secret is not None
                    and form.get("client_secret") != self.client_secret):
                return Response.json(401, {"error": "invalid_client",
                                           "error_description": "Unauthorized"})
            refresh_token = form.get("refresh_token", "")
            if not refresh_token or self.tokens_revoked:
                return Response.json(400, {"error": "invalid_grant",
                                           "error_description":
                                           "Token has been expired or revoked."})
            requested = frozenset(form.get("scope", "").split())
            if requested - self.granted_scopes:
                return Response.json(400, {"error": "invalid_scope",
                                           "error_description": "Bad Request"})
            scopes = requested or self.granted_scopes
            self._refresh_tokens_seen.add(refresh_token)
            token = "ya29.sandbox-" + secrets.token_urlsafe(24)
            self._tokens[token] = AccessToken(
                token, scopes, self.now() + timedelta(seconds=self.token_lifetime),
                refresh_token)
        return Response.json(200, {"access_token": token, "expires_in": self.token_lifetime,
                                   "scope": " ".join(sorted(scopes)), "token_type": "Bearer"})

    # ---- media uploads: initiation -------------------------------------------------------

    def _videos_insert(self, request: Request) -> Response | Drop:
        self._begin(request, "youtube.videos.insert")
        parts = _parts(request.param("part"))
        _check_parts(parts, VIDEO_PARTS)
        with self.lock:
            if self.upload_limit_exceeded:
                raise _video_error("uploadLimitExceeded")
        return self._start_media(request, "video", "youtube.videos.insert",
                                 ",".join(parts), max_bytes=VIDEO_MAX_BYTES,
                                 accept=lambda t: t.startswith("video/")
                                 or t == "application/octet-stream",
                                 valid_types="[video/*, application/octet-stream]")

    def _thumbnails_set(self, request: Request) -> Response | Drop:
        self._begin(request, "youtube.thumbnails.set")
        video_id = request.param("videoId")
        if not video_id:
            raise _required("videoId")
        with self.lock:
            if video_id not in self._videos:
                raise ApiError(404, "videoNotFound", "The video that you are trying to set a "
                               "thumbnail for cannot be found.", domain="youtube.thumbnail",
                               location="videoId")
            if not self.channel_verified:
                raise ApiError(403, "forbidden", "The authenticated user doesn't have "
                               "permissions to upload and set custom video thumbnails.",
                               domain="youtube.thumbnail")
        return self._start_media(request, "thumbnail", "youtube.thumbnails.set", None,
                                 max_bytes=THUMBNAIL_MAX_BYTES,
                                 accept=lambda t: t in ("image/jpeg", "image/png",
                                                        "application/octet-stream"),
                                 valid_types="[image/jpeg, image/png, application/octet-stream]")

    def _captions_insert(self, request: Request) -> Response | Drop:
        self._begin(request, "youtube.captions.insert")
        parts = _parts(request.param("part"))
        _check_parts(parts, {"id", "snippet"})
        return self._start_media(request, "caption", "youtube.captions.insert",
                                 ",".join(parts), max_bytes=CAPTION_MAX_BYTES,
                                 accept=lambda t: True, valid_types="[*/*]")

    def _start_media(self, request: Request, kind: MediaKind, method: str, part: str | None,
                     *, max_bytes: int, accept: Callable[[str], bool],
                     valid_types: str) -> Response | Drop:
        upload_type = request.param("uploadType")
        if upload_type not in ("resumable", "multipart", "media"):
            raise ApiError(400, "badRequest", "Upload requests must include an uploadType URL "
                           "parameter and a URL path beginning with /upload/",
                           location="uploadType")

        def check_type(mime: str) -> str:
            mime = (mime or "application/octet-stream").split(";")[0].strip().lower()
            if not accept(mime):
                raise ApiError(400, "badContent", f"Media type '{mime}' is not supported. "
                               f"Valid media types: {valid_types}", domain="global",
                               location="media")
            return mime

        if upload_type == "resumable":
            metadata = self._metadata(request)
            prepared = self._prepare(kind, metadata, request)
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
            return self._new_session(request, kind, method, part, total, mime, prepared)

        # Single-request uploads: the media is streamed straight into a sink.
        sink = self._new_sink(_new_id("", 16))
        if upload_type == "media":
            prepared = self._prepare(kind, None, request)
            mime = check_type(request.header("content-type") or "")
            self._stream_into(request.body, sink, max_bytes)
        else:
            content_type = request.header("content-type") or ""
            match = re.search(r'boundary="?([^";]+)"?', content_type)
            if not content_type.lower().startswith("multipart/") or not match:
                raise ApiError(400, "badContent", "Invalid multipart request: no boundary.")
            reader = _MultipartReader(request.body, match.group(1).encode("latin-1"))
            _, meta_raw = reader.read_small_part()
            try:
                metadata = json.loads(meta_raw.decode("utf-8")) if meta_raw.strip() else None
            except ValueError:
                raise ApiError(400, "parseError", "Parse Error") from None
            prepared = self._prepare(kind, metadata, request)
            media_headers = reader.next_headers()
            if media_headers is None:
                raise ApiError(400, "mediaBodyRequired", domain="youtube.video")
            mime = check_type(media_headers.get("content-type", ""))
            reader.read_part_into(sink.write, max_bytes)
        sink.close()
        response, _ = self._finalize(kind, method, part, prepared, mime, sink,
                                     bytes_received=sink.size, upload_type=upload_type,
                                     session_id=None)
        return response

    def _metadata(self, request: Request) -> Any:
        try:
            return request.json()
        except BodyTooLarge:
            raise ApiError(413, "badRequest", "Request metadata too large.") from None
        except ValueError:
            raise ApiError(400, "parseError", "Parse Error") from None

    def _new_sink(self, name: str) -> MediaSink:
        path = None
        if self.storage == "disk":
            assert self._storage_dir is not None
            path = self._storage_dir / f"{name}.part"
        return MediaSink(self.storage, path)

    @staticmethod
    def _stream_into(body: Body, sink: MediaSink, max_bytes: int) -> None:
        while block := body.read():
            sink.write(block)
            if sink.size > max_bytes:
                raise ApiError(413, "uploadTooLarge",
                               f"Media larger than the maximum of {max_bytes} bytes.")

    def _new_session(self, request: Request, kind: MediaKind, method: str, part: str | None,
                     total: int | None, mime: str, prepared: Any) -> Response:
        session_id = _new_id("ADPycd", 40).replace("-", "x").replace("_", "y")
        query = [("uploadType", "resumable")]
        if part is not None:
            query.append(("part", part))
        if kind == "thumbnail":
            query.append(("videoId", request.param("videoId") or ""))
        query.append(("upload_id", session_id))
        uri = self.root + request.path.lstrip("/") + "?" + "&".join(f"{k}={v}" for k, v in query)
        session = UploadSession(
            id=session_id, uri=uri, kind=kind, method_id=method, total=total, mime_type=mime,
            metadata=prepared, params={k: v[0] for k, v in request.query.items()},
            created_at=self.now(), sink=self._new_sink(session_id))
        with self.lock:
            self._sessions[session_id] = session
        request.notes.append(f"session {session_id}")
        return Response.empty(200, [("Location", uri), ("X-GUploader-UploadID", session_id)])

    # ---- media uploads: the session ------------------------------------------------------

    def _session_put(self, request: Request) -> Response | Drop:
        session_id = request.param("upload_id") or ""
        with self.lock:
            session = self._sessions.get(session_id)
            if session is not None and self.session_ttl is not None and not session.complete \
                    and self.now() - session.created_at > self.session_ttl:
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

    def _range_headers(self, session: UploadSession) -> list[tuple[str, str]]:
        headers = [("X-GUploader-UploadID", session.id)]
        if session.received > 0:
            headers.append(("Range", f"bytes=0-{session.received - 1}"))
        return headers

    def _status_query(self, request: Request, session: UploadSession,
                      content_range: str) -> Response:
        session.status_queries += 1
        request.notes.append("status query")
        with self.lock:
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

    def _take_fault(self, session: UploadSession, final: bool) -> _ChunkFault | None:
        with self.lock:
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

    def _store(self, body: Body, session: UploadSession, start: int, limit: int | None) -> None:
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
        response, result_id = self._finalize(
            session.kind, session.method_id, session.params.get("part"), session.metadata,
            session.mime_type, session.sink, bytes_received=session.bytes_received,
            upload_type="resumable", session_id=session.id)
        session.final = response
        session.result_id = result_id
        return replace(response)

    # ---- media uploads: validation and results --------------------------------------------

    def _prepare(self, kind: MediaKind, metadata: Any, request: Request) -> Any:
        """Validate what an upload will create, at initiation (as Google does)."""
        if kind == "video":
            if metadata is None:
                metadata = {}
            if not isinstance(metadata, dict):
                raise _video_error("invalidVideoMetadata")
            parts = _parts(request.param("part"))
            return self._check_video(metadata, parts, existing=None)
        if kind == "thumbnail":
            return {"videoId": request.param("videoId")}
        # caption
        if not isinstance(metadata, dict) or not isinstance(metadata.get("snippet"), dict):
            raise ApiError(400, "invalidMetadata", "The request contains invalid metadata "
                           "values, which prevent the track from being created.",
                           domain="youtube.caption")
        snippet = metadata["snippet"]
        video_id = snippet.get("videoId")
        if not isinstance(video_id, str) or not video_id:
            raise ApiError(400, "invalidMetadata", "snippet.videoId is required.",
                           domain="youtube.caption")
        with self.lock:
            if video_id not in self._videos:
                raise ApiError(404, "videoNotFound", "The video identified by the "
                               "<code>videoId</code> parameter could not be found.",
                               domain="youtube.caption")
            language = snippet.get("language")
            if not isinstance(language, str) or not language:
                raise ApiError(400, "invalidMetadata", "snippet.language is required.",
                               domain="youtube.caption")
            name = snippet.get("name", "")
            if not isinstance(name, str) or len(name) > CAPTION_NAME_MAX_CHARS:
                raise ApiError(400, "nameTooLong", "The <code>snippet.name</code> specified "
                               "in the request is too long.", domain="youtube.caption")
            for track in self._videos[video_id].captions.get(language, []):
                if track.name == name:
                    raise ApiError(409, "captionExists", "The specified video already has a "
                                   "caption track with the given <code>snippet.language</code> "
                                   "and <code>snippet.name</code>.", domain="youtube.caption")
        return metadata

    def _finalize(self, kind: MediaKind, method: str, part: str | None, prepared: Any,
                  mime: str, sink: MediaSink, *, bytes_received: int, upload_type: str,
                  session_id: str | None) -> tuple[Response, str | None]:
        try:
            if kind == "video":
                with self.lock:
                    video = self._create_video(prepared, part or "", mime, sink,
                                               bytes_received, upload_type, session_id)
                    resource = self._video_resource(video, video.parts)
                return Response.json(200, resource), video.id
            if kind == "thumbnail":
                video_id = str(prepared["videoId"])
                return Response.json(200, self._set_thumbnail(video_id, mime, sink)), video_id
            caption = self._create_caption(prepared, mime, sink, upload_type)
            return Response.json(200, self._caption_resource(caption)), caption.id
        except ApiError as exc:
            return exc.response(), None

    def _create_video(self, prepared: dict[str, Any], part: str, mime: str, sink: MediaSink,
                      bytes_received: int, upload_type: str,
                      session_id: str | None) -> FakeVideo:
        with self.lock:
            video_id = _new_id()
            while video_id in self._videos:
                video_id = _new_id()
            script = (self._processing_queue.pop(0) if self._processing_queue
                      else replace(self.default_processing))
            if sink.size == 0:
                script = ProcessingScript("failed", script.polls, "emptyFile", "uploadFailed")
            status = dict(prepared["status"])
            status.setdefault("privacyStatus", "public")
            if self.lock_private_uploads:
                status["privacyStatus"] = "private"
            snippet = dict(prepared["snippet"])
            snippet.setdefault("title", "unknown")
            snippet.setdefault("categoryId", "22")
            path = None
            if sink.path is not None:
                path = sink.path.with_name(f"{video_id}.bin")
                sink.path.replace(path)
            video = FakeVideo(
                id=video_id, metadata=prepared["raw"], parts=tuple(part.split(",")),
                snippet=snippet, status=status,
                localizations=dict(prepared["localizations"] or {}),
                recording_details=dict(prepared["recordingDetails"] or {}),
                mime_type=mime, size=sink.size, sha256=sink.sha256,
                bytes_received=bytes_received, upload_type=upload_type,
                uploaded_at=self.now(), processing=script, session_id=session_id, path=path)
            if status["privacyStatus"] in ("public", "unlisted"):
                video.ever_published = True
            self._videos[video_id] = video
            return video

    def _set_thumbnail(self, video_id: str, mime: str, sink: MediaSink) -> dict[str, Any]:
        if sink.size == 0:
            raise ApiError(400, "mediaBodyRequired", "The request does not include the image "
                           "content.", domain="youtube.thumbnail")
        if sink.head.startswith(b"\xff\xd8\xff"):
            kind = "image/jpeg"
        elif sink.head.startswith(b"\x89PNG\r\n\x1a\n"):
            kind = "image/png"
        else:
            raise ApiError(400, "invalidImage", "The provided image content is invalid.",
                           domain="youtube.thumbnail")
        with self.lock:
            video = self._videos[video_id]
            video.thumbnail_sha256 = sink.sha256
            video.thumbnail_size = sink.size
            video.thumbnail_mime = kind
            video.thumbnails_set += 1
            video.version += 1
            thumbs = self._thumbnails(video)
        return {"kind": "youtube#thumbnailSetResponse", "etag": _etag(video_id, sink.sha256),
                "items": [thumbs]}

    def _create_caption(self, metadata: dict[str, Any], mime: str, sink: MediaSink,
                        upload_type: str) -> FakeCaption:
        if sink.size == 0:
            raise ApiError(400, "contentRequired", "The uploaded caption track does not "
                           "contain data.", domain="youtube.caption")
        snippet = metadata["snippet"]
        with self.lock:
            caption_id = _new_id("AUieDa", 30)
            path = None
            if sink.path is not None:
                path = sink.path.with_name(f"{caption_id}.caption")
                sink.path.replace(path)
            caption = FakeCaption(
                id=caption_id, video_id=snippet["videoId"], language=snippet["language"],
                name=snippet.get("name", ""), is_draft=bool(snippet.get("isDraft", False)),
                mime_type=mime, size=sink.size, sha256=sink.sha256, metadata=metadata,
                upload_type=upload_type, path=path)
            self._captions[caption_id] = caption
            video = self._videos[caption.video_id]
            video.captions.setdefault(caption.language, []).append(caption)
            video.version += 1
            return caption

    def _check_video(self, body: dict[str, Any], parts: list[str],
                     existing: FakeVideo | None) -> dict[str, Any]:
        """Check a video resource against YouTube's rules (§2); normalised pieces back."""
        snippet = body.get("snippet") if "snippet" in parts else None
        status = body.get("status") if "status" in parts else None
        localizations = body.get("localizations") if "localizations" in parts else None
        recording = body.get("recordingDetails") if "recordingDetails" in parts else None
        if snippet is not None:
            if not isinstance(snippet, dict):
                raise _video_error("invalidVideoMetadata")
            if existing is not None and ("title" not in snippet or "categoryId" not in snippet):
                raise _video_error("invalidVideoMetadata")
            title = snippet.get("title")
            if (existing is not None or "title" in snippet) and (
                    not isinstance(title, str) or not title.strip()
                    or title_length(title) > TITLE_MAX_CHARS or "<" in title or ">" in title):
                raise _video_error("invalidTitle")
            description = snippet.get("description", "")
            if not isinstance(description, str) or "<" in description or ">" in description \
                    or len(description.encode("utf-8", "surrogatepass")) > DESCRIPTION_MAX_BYTES:
                raise _video_error("invalidDescription")
            tags = snippet.get("tags", [])
            if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags) or \
                    tags_length(tags) > TAGS_MAX_CHARS or \
                    any("<" in t or ">" in t for t in tags):
                raise _video_error("invalidTags")
            category = snippet.get("categoryId")
            if category is not None and str(category) not in VIDEO_CATEGORIES:
                raise _video_error("invalidCategoryId")
        if status is not None:
            if not isinstance(status, dict):
                raise _video_error("invalidVideoMetadata")
            privacy = status.get("privacyStatus")
            if privacy is not None and privacy not in PRIVACY_STATUSES:
                raise _video_error("invalidVideoMetadata")
            license_ = status.get("license")
            if license_ is not None and license_ not in LICENSES:
                raise _video_error("invalidVideoMetadata")
            if "publishAt" in status and status["publishAt"] is not None:
                if privacy != "private" or parse_rfc3339(status["publishAt"]) is None:
                    raise _video_error("invalidPublishAt")
                if existing is not None and existing.ever_published:
                    raise _video_error("invalidPublishAt")
        if localizations is not None:
            if not isinstance(localizations, dict):
                raise _video_error("invalidVideoMetadata")
            default_language = (snippet or {}).get("defaultLanguage")
            if default_language is None and existing is not None and snippet is None:
                default_language = existing.snippet.get("defaultLanguage")
            if localizations and not default_language:
                raise ApiError(400, "defaultLanguageNotSetError", domain="youtube.video")
        if recording is not None:
            if not isinstance(recording, dict):
                raise _video_error("invalidRecordingDetails")
            date = recording.get("recordingDate")
            if date is not None and parse_rfc3339(date) is None:
                raise _video_error("invalidRecordingDetails")
        return {"raw": body, "snippet": snippet or {}, "status": status or {},
                "localizations": localizations, "recordingDetails": recording}

    # ---- videos.list / videos.update -----------------------------------------------------

    def _videos_list(self, request: Request) -> Response:
        self._begin(request, "youtube.videos.list")
        parts = _parts(request.param("part"))
        _check_parts(parts, VIDEO_PARTS)
        ids_param = request.param("id")
        if ids_param is None:
            if request.param("chart") or request.param("myRating"):
                raise ApiError(400, "badRequest", "The sandbox supports videos.list by id only.")
            raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected one "
                           "of: myRating, chart, id", domain="youtube.parameter",
                           location="parameters.", location_type="other")
        ids = [i.strip() for i in ids_param.split(",") if i.strip()]
        items = []
        with self.lock:
            for video_id in ids:
                video = self._videos.get(video_id)
                if video is None:
                    continue
                self._advance(video)
                items.append(self._video_resource(video, parts))
                if not video.processing_done:
                    video.polls_seen += 1
                    self._advance(video)
        return Response.json(200, {
            "kind": "youtube#videoListResponse", "etag": _etag("videos", ids, time.time()),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})

    def _videos_update(self, request: Request) -> Response:
        self._begin(request, "youtube.videos.update")
        parts = _parts(request.param("part"))
        _check_parts(parts, VIDEO_PARTS)
        body = self._metadata(request)
        if not isinstance(body, dict):
            raise _video_error("invalidVideoMetadata")
        video_id = body.get("id")
        if not video_id:
            raise ApiError(400, "videoNotFound", "The request must specify the video id.",
                           domain="youtube.video")
        with self.lock:
            video = self._videos.get(str(video_id))
            if video is None:
                raise ApiError(404, "videoNotFound", "The video that you are trying to update "
                               "cannot be found. Check the value of the <code>id</code> field "
                               "in the request body to ensure that it is correct.",
                               domain="youtube.video")
            self._advance(video)
            checked = self._check_video(body, parts, existing=video)
            video.updates.append(body)
            if "snippet" in parts:
                video.snippet = dict(checked["snippet"])
            if "status" in parts:
                new_status = dict(checked["status"])
                new_status.setdefault("privacyStatus", video.privacy_status)
                if self.lock_private_uploads and not video.ever_published:
                    new_status["privacyStatus"] = video.privacy_status
                video.status = new_status
                if new_status["privacyStatus"] in ("public", "unlisted") and \
                        video.upload_status == "processed":
                    video.ever_published = True
            if "localizations" in parts:
                video.localizations = dict(checked["localizations"] or {})
            if "recordingDetails" in parts:
                video.recording_details = dict(checked["recordingDetails"] or {})
            video.version += 1
            self._advance(video)
            return Response.json(200, self._video_resource(video, parts))

    def _advance(self, video: FakeVideo) -> None:
        """Apply what time does: a due publishAt publishes a processed private video."""
        publish_at = parse_rfc3339(video.status.get("publishAt"))
        if (video.privacy_status == "private" and publish_at is not None
                and publish_at <= self.now() and video.upload_status == "processed"):
            video.status["privacyStatus"] = "public"
            del video.status["publishAt"]
            video.ever_published = True
            video.version += 1
        elif video.privacy_status in ("public", "unlisted") and \
                video.upload_status == "processed":
            video.ever_published = True

    def _thumbnails(self, video: FakeVideo) -> dict[str, Any]:
        sizes = {"default": (120, 90), "medium": (320, 180), "high": (480, 360)}
        if video.thumbnail_sha256 is not None or video.thumbnails_set:
            sizes.update({"standard": (640, 480), "maxres": (1280, 720)})
        names = {"default": "default", "medium": "mqdefault", "high": "hqdefault",
                 "standard": "sddefault", "maxres": "maxresdefault"}
        return {key: {"url": f"https://i.ytimg.com/vi/{video.id}/{names[key]}.jpg",
                      "width": w, "height": h} for key, (w, h) in sizes.items()}

    def _video_resource(self, video: FakeVideo, parts: Iterable[str]) -> dict[str, Any]:
        parts = set(parts)
        resource: dict[str, Any] = {"kind": "youtube#video",
                                    "etag": _etag(video.id, video.version), "id": video.id}
        if "snippet" in parts:
            snippet = {"publishedAt": rfc3339(video.uploaded_at), "channelId": self.channel_id,
                       "title": video.snippet.get("title", ""),
                       "description": video.snippet.get("description", ""),
                       "thumbnails": self._thumbnails(video), "channelTitle": self.channel_title}
            for key in ("tags", "categoryId", "defaultLanguage", "defaultAudioLanguage"):
                if key in video.snippet:
                    snippet[key] = video.snippet[key]
            snippet["liveBroadcastContent"] = "none"
            snippet["localized"] = {"title": snippet["title"],
                                    "description": snippet["description"]}
            resource["snippet"] = snippet
        if "status" in parts:
            status: dict[str, Any] = {"uploadStatus": video.upload_status}
            if video.upload_status == "failed":
                status["failureReason"] = video.processing.failure_reason
            if video.upload_status == "rejected":
                status["rejectionReason"] = video.processing.rejection_reason
            status["privacyStatus"] = video.privacy_status
            if video.publish_at is not None:
                status["publishAt"] = video.publish_at
            status["license"] = video.status.get("license", "youtube")
            status["embeddable"] = video.status.get("embeddable", True)
            status["publicStatsViewable"] = video.status.get("publicStatsViewable", True)
            made_for_kids = video.status.get("selfDeclaredMadeForKids")
            status["madeForKids"] = bool(made_for_kids)
            if made_for_kids is not None:
                status["selfDeclaredMadeForKids"] = made_for_kids
            if "containsSyntheticMedia" in video.status:
                status["containsSyntheticMedia"] = video.status["containsSyntheticMedia"]
            resource["status"] = status
        if "processingDetails" in parts:
            details: dict[str, Any] = {"processingStatus": video.processing_status}
            if video.processing_status == "processing":
                done = 1000 * video.polls_seen // max(video.processing.polls, 1)
                details["processingProgress"] = {"partsTotal": "1000",
                                                 "partsProcessed": str(done),
                                                 "timeLeftMs": str(1000 * (1000 - done))}
            elif video.processing_status == "failed":
                details["processingFailureReason"] = video.processing.processing_failure_reason
            details.update({"fileDetailsAvailability": "available",
                            "processingIssuesAvailability": "available",
                            "tagSuggestionsAvailability": "available",
                            "editorSuggestionsAvailability": "available",
                            "thumbnailsAvailability": "available"})
            resource["processingDetails"] = details
        if "localizations" in parts and video.localizations:
            resource["localizations"] = video.localizations
        if "recordingDetails" in parts:
            resource["recordingDetails"] = video.recording_details
        if "fileDetails" in parts:
            resource["fileDetails"] = {"fileSize": str(video.size), "fileType": "video"}
        if "contentDetails" in parts:
            resource["contentDetails"] = {
                "duration": "PT0S", "dimension": "2d", "definition": "hd",
                "caption": "true" if video.captions else "false", "licensedContent": False,
                "contentRating": {}, "projection": "rectangular"}
        if "statistics" in parts:
            resource["statistics"] = {"viewCount": "0", "likeCount": "0",
                                      "favoriteCount": "0", "commentCount": "0"}
        if "suggestions" in parts:
            errors = ["notAVideoFile"] if video.upload_status == "failed" else []
            resource["suggestions"] = {"processingErrors": errors} if errors else {}
        if "player" in parts:
            resource["player"] = {"embedHtml": f'<iframe src="//www.youtube.com/embed/'
                                               f'{video.id}"></iframe>'}
        return resource

    # ---- playlists -----------------------------------------------------------------------

    @staticmethod
    def _page(items: list[dict[str, Any]], request: Request,
              kind: str) -> dict[str, Any]:
        max_text = request.param("maxResults") or "5"
        token = request.param("pageToken") or "0"
        if not max_text.isdigit() or int(max_text) > 50:
            raise ApiError(400, "invalidValue", f"Invalid value '{max_text}'. Values must be "
                           "within the range: [0, 50]", location="maxResults")
        if not token.isdigit():
            raise ApiError(400, "invalidPageToken", "The request specifies an invalid page "
                           "token.", domain="youtube.parameter", location="pageToken")
        max_results, offset = int(max_text), int(token)
        page = items[offset:offset + max_results]
        result: dict[str, Any] = {"kind": kind, "etag": _etag(kind, len(items), offset)}
        if offset + max_results < len(items):
            result["nextPageToken"] = str(offset + max_results)
        if offset > 0:
            result["prevPageToken"] = str(max(offset - max_results, 0))
        result["pageInfo"] = {"totalResults": len(items), "resultsPerPage": max_results}
        result["items"] = page
        return result

    def _playlist_resource(self, playlist: FakePlaylist, parts: Iterable[str]) -> dict[str, Any]:
        parts = set(parts)
        resource: dict[str, Any] = {"kind": "youtube#playlist",
                                    "etag": _etag(playlist.id, len(playlist.items)),
                                    "id": playlist.id}
        if "snippet" in parts:
            resource["snippet"] = {
                "publishedAt": rfc3339(playlist.created_at), "channelId": self.channel_id,
                "title": playlist.title, "description": playlist.description,
                "thumbnails": {}, "channelTitle": self.channel_title,
                "localized": {"title": playlist.title, "description": playlist.description}}
        if "status" in parts:
            resource["status"] = {"privacyStatus": playlist.privacy_status}
        if "contentDetails" in parts:
            resource["contentDetails"] = {"itemCount": len(playlist.items)}
        return resource

    def _playlists_list(self, request: Request) -> Response:
        self._begin(request, "youtube.playlists.list")
        parts = _parts(request.param("part"))
        _check_parts(parts, {"id", "snippet", "status", "contentDetails", "player",
                             "localizations"})
        with self.lock:
            playlists = list(self._playlists.values())
            if request.param("id"):
                wanted = (request.param("id") or "").split(",")
                playlists = [p for p in playlists if p.id in wanted]
            elif request.param("mine") == "true" or request.param("channelId") == self.channel_id:
                pass
            elif request.param("channelId"):
                playlists = []
            else:
                raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected "
                               "one of: id, mine, channelId", domain="youtube.parameter",
                               location="parameters.", location_type="other")
            items = [self._playlist_resource(p, parts) for p in playlists]
        return Response.json(200, self._page(items, request, "youtube#playlistListResponse"))

    def _playlists_insert(self, request: Request) -> Response:
        self._begin(request, "youtube.playlists.insert")
        parts = _parts(request.param("part"))
        _check_parts(parts, {"id", "snippet", "status", "contentDetails", "localizations"})
        body = self._metadata(request)
        snippet = body.get("snippet") if isinstance(body, dict) else None
        if not isinstance(snippet, dict) or not str(snippet.get("title", "")).strip():
            raise ApiError(400, "playlistTitleRequired", "The request must specify a playlist "
                           "title.", domain="youtube.playlist")
        title = str(snippet["title"])
        description = str(snippet.get("description", ""))
        if len(title) > PLAYLIST_TITLE_MAX_CHARS or "<" in title or ">" in title \
                or "<" in description or ">" in description \
                or len(description.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
            raise ApiError(400, "invalidPlaylistSnippet", "The request provides an invalid "
                           "playlist snippet.", domain="youtube.playlist")
        status = body.get("status") if isinstance(body.get("status"), dict) else {}
        privacy = str(status.get("privacyStatus", "public"))
        if privacy not in PRIVACY_STATUSES:
            raise ApiError(400, "invalidPlaylistSnippet", "Invalid privacy status.",
                           domain="youtube.playlist")
        with self.lock:
            playlist = FakePlaylist(_new_id("PL", 32), title, description, privacy, body,
                                    self.now())
            self._playlists[playlist.id] = playlist
            return Response.json(200, self._playlist_resource(playlist, parts))

    def _playlist_item_resource(self, item: FakePlaylistItem, position: int,
                                parts: Iterable[str]) -> dict[str, Any]:
        parts = set(parts)
        video = self._videos.get(item.video_id)
        resource: dict[str, Any] = {"kind": "youtube#playlistItem",
                                    "etag": _etag(item.id, position), "id": item.id}
        if "snippet" in parts:
            resource["snippet"] = {
                "publishedAt": rfc3339(item.added_at), "channelId": self.channel_id,
                "title": video.title if video else "Deleted video",
                "description": str(video.snippet.get("description", "")) if video else "",
                "thumbnails": self._thumbnails(video) if video else {},
                "channelTitle": self.channel_title, "playlistId": item.playlist_id,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": item.video_id},
                "videoOwnerChannelTitle": self.channel_title,
                "videoOwnerChannelId": self.channel_id}
        if "contentDetails" in parts:
            resource["contentDetails"] = {"videoId": item.video_id}
        if "status" in parts:
            resource["status"] = {"privacyStatus": video.privacy_status if video else "private"}
        return resource

    def _playlist_items_insert(self, request: Request) -> Response:
        self._begin(request, "youtube.playlistItems.insert")
        parts = _parts(request.param("part"))
        _check_parts(parts, {"id", "snippet", "contentDetails", "status"})
        body = self._metadata(request)
        snippet = body.get("snippet") if isinstance(body, dict) else None
        if not isinstance(snippet, dict) or not snippet.get("playlistId"):
            raise ApiError(400, "playlistIdRequired", "The request does not specify a value "
                           "for the required <code>playlistId</code> property.",
                           domain="youtube.playlistItem")
        resource = snippet.get("resourceId")
        if not isinstance(resource, dict) or resource.get("kind") != "youtube#video" \
                or not resource.get("videoId"):
            raise ApiError(400, "invalidResourceType", "The type specified for the resource "
                           "is invalid.", domain="youtube.playlistItem")
        with self.lock:
            playlist = self._playlists.get(str(snippet["playlistId"]))
            if playlist is None:
                raise ApiError(404, "playlistNotFound", "The playlist identified with the "
                               "request's <code>playlistId</code> parameter cannot be found.",
                               domain="youtube.playlistItem", location="playlistId")
            video = self._videos.get(str(resource["videoId"]))
            if video is None:
                raise ApiError(404, "videoNotFound", "The video that you are trying to add to "
                               "the playlist cannot be found.", domain="youtube.playlistItem")
            item = FakePlaylistItem(_new_id("UEx", 40), playlist.id, video.id, body, self.now())
            position = snippet.get("position")
            if isinstance(position, int) and 0 <= position <= len(playlist.items):
                playlist.items.insert(position, item)
            else:
                playlist.items.append(item)
            video.playlists.append(playlist.id)
            return Response.json(200, self._playlist_item_resource(
                item, playlist.items.index(item), parts))

    def _playlist_items_list(self, request: Request) -> Response:
        self._begin(request, "youtube.playlistItems.list")
        parts = _parts(request.param("part"))
        _check_parts(parts, {"id", "snippet", "contentDetails", "status"})
        playlist_id = request.param("playlistId")
        with self.lock:
            if playlist_id == self.uploads_playlist_id:
                newest_first = sorted(self._videos.values(), key=lambda v: v.uploaded_at,
                                      reverse=True)
                entries = [FakePlaylistItem("UU" + v.id, playlist_id, v.id, {}, v.uploaded_at)
                           for v in newest_first]
            elif playlist_id:
                playlist = self._playlists.get(playlist_id)
                if playlist is None:
                    raise ApiError(404, "playlistNotFound", "The playlist identified with the "
                                   "request's <code>playlistId</code> parameter cannot be "
                                   "found.", domain="youtube.playlistItem",
                                   location="playlistId")
                entries = list(playlist.items)
            else:
                raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected "
                               "one of: id, playlistId", domain="youtube.parameter",
                               location="parameters.", location_type="other")
            video_filter = request.param("videoId")
            items = [self._playlist_item_resource(e, i, parts) for i, e in enumerate(entries)
                     if video_filter is None or e.video_id == video_filter]
        return Response.json(200, self._page(items, request,
                                             "youtube#playlistItemListResponse"))

    # ---- captions, channels, categories --------------------------------------------------

    def _caption_resource(self, caption: FakeCaption) -> dict[str, Any]:
        return {"kind": "youtube#caption", "etag": _etag(caption.id), "id": caption.id,
                "snippet": {"videoId": caption.video_id, "lastUpdated": rfc3339(self.now()),
                            "trackKind": "standard", "language": caption.language,
                            "name": caption.name, "audioTrackType": "unknown",
                            "isCC": False, "isLarge": False, "isEasyReader": False,
                            "isDraft": caption.is_draft, "isAutoSynced": False,
                            "status": "serving"}}

    def _captions_list(self, request: Request) -> Response:
        self._begin(request, "youtube.captions.list")
        _check_parts(_parts(request.param("part")), {"id", "snippet"})
        video_id = request.param("videoId")
        if not video_id:
            raise _required("videoId")
        with self.lock:
            if video_id not in self._videos:
                raise ApiError(404, "videoNotFound", "The video identified by the "
                               "<code>videoId</code> parameter could not be found.",
                               domain="youtube.caption", location="videoId")
            items = [self._caption_resource(c) for c in self._captions.values()
                     if c.video_id == video_id]
        return Response.json(200, {"kind": "youtube#captionListResponse",
                                   "etag": _etag("captions", video_id, len(items)),
                                   "items": items})

    def _channels_list(self, request: Request) -> Response:
        self._begin(request, "youtube.channels.list")
        parts = _parts(request.param("part"))
        _check_parts(parts, {"auditDetails", "brandingSettings", "contentDetails",
                             "contentOwnerDetails", "id", "localizations", "snippet",
                             "statistics", "status", "topicDetails"})
        mine = request.param("mine") == "true"
        ids = (request.param("id") or "").split(",")
        items = []
        if mine or self.channel_id in ids:
            channel: dict[str, Any] = {"kind": "youtube#channel",
                                       "etag": _etag(self.channel_id), "id": self.channel_id}
            if "snippet" in parts:
                channel["snippet"] = {"title": self.channel_title, "description": "",
                                      "customUrl": "@sandbox",
                                      "publishedAt": "2020-01-01T00:00:00Z", "thumbnails": {},
                                      "localized": {"title": self.channel_title,
                                                    "description": ""}}
            if "contentDetails" in parts:
                channel["contentDetails"] = {"relatedPlaylists": {
                    "likes": "", "uploads": self.uploads_playlist_id}}
            if "status" in parts:
                channel["status"] = {
                    "privacyStatus": "public", "isLinked": True,
                    "longUploadsStatus": "allowed" if self.channel_verified else "eligible",
                    "madeForKids": False}
            if "statistics" in parts:
                with self.lock:
                    count = len(self._videos)
                channel["statistics"] = {"viewCount": "0", "subscriberCount": "0",
                                         "hiddenSubscriberCount": False,
                                         "videoCount": str(count)}
            items.append(channel)
        elif ids == [""] and not request.param("forHandle") \
                and not request.param("forUsername"):
            raise ApiError(400, "missingRequiredParameter", "No filter selected. Expected "
                           "one of: forUsername, id, mine, forHandle, managedByMe, "
                           "categoryId, mySubscribers", domain="youtube.parameter",
                           location="parameters.", location_type="other")
        return Response.json(200, {"kind": "youtube#channelListResponse",
                                   "etag": _etag("channels", len(items)),
                                   "pageInfo": {"totalResults": len(items),
                                                "resultsPerPage": 5},
                                   "items": items})

    def _video_categories_list(self, request: Request) -> Response:
        self._begin(request, "youtube.videoCategories.list")
        _check_parts(_parts(request.param("part")), {"id", "snippet"})
        wanted = request.param("id")
        ids = wanted.split(",") if wanted else list(VIDEO_CATEGORIES)
        items = [{"kind": "youtube#videoCategory", "etag": _etag("cat", cid), "id": cid,
                  "snippet": {"title": VIDEO_CATEGORIES[cid], "assignable": True,
                              "channelId": "UCBR8-60-B28hp2BmDPdntcQ"}}
                 for cid in ids if cid in VIDEO_CATEGORIES]
        return Response.json(200, {"kind": "youtube#videoCategoryListResponse",
                                   "etag": _etag("categories", ids), "items": items})


def _session_or_none(session: str | None) -> str | None:
    return _session_id_of(session) if session is not None else None


# ---- multipart/related, streamed -----------------------------------------------------------

class _MultipartReader:
    """Reads a ``multipart/related`` body part by part without holding the media part.

    googleapiclient writes it with bare ``\\n`` line ends (email's compat32 policy); CRLF is
    accepted too.
    """

    def __init__(self, body: Body, boundary: bytes) -> None:
        self._body = body
        self._delimiter = b"\n--" + boundary
        self._buf = b"\n"  # so that a delimiter at the very start is found
        self._closed = False
        self._at_headers = False
        # Skip the preamble up to the first delimiter.
        if not self._until_delimiter(lambda _data: None):
            raise ApiError(400, "badContent", "Invalid multipart request: no boundary found.")
        self._after_delimiter()

    def _fill(self) -> bool:
        block = self._body.read()
        if not block:
            return False
        self._buf += block
        return True

    def _until_delimiter(self, emit: Callable[[bytes], None]) -> bool:
        keep = len(self._delimiter) + 1
        while True:
            index = self._buf.find(self._delimiter)
            if index >= 0:
                content = self._buf[:index]
                emit(content[:-1] if content.endswith(b"\r") else content)
                self._buf = self._buf[index + len(self._delimiter):]
                return True
            if len(self._buf) > keep:
                emit(self._buf[:-keep])
                self._buf = self._buf[-keep:]
            if not self._fill():
                return False

    def _after_delimiter(self) -> None:
        while len(self._buf) < 2 and self._fill():
            pass
        if self._buf.startswith(b"--"):
            self._closed = True
            return
        self._at_headers = True

    def next_headers(self) -> dict[str, str] | None:
        if self._closed or not self._at_headers:
            return None
        while True:
            for end in (b"\r\n\r\n", b"\n\n"):
                index = self._buf.find(end)
                if index >= 0:
                    raw, self._buf = self._buf[:index], self._buf[index + len(end):]
                    self._at_headers = False
                    return _parse_part_headers(raw)
            if len(self._buf) > 16 * 1024 or not self._fill():
                raise ApiError(400, "badContent", "Invalid multipart request: bad part headers.")

    def read_small_part(self, limit: int = 4 * 1024 * 1024) -> tuple[dict[str, str], bytes]:
        headers = self.next_headers()
        if headers is None:
            raise ApiError(400, "badContent", "Invalid multipart request: no metadata part.")
        chunks: list[bytes] = []

        def keep(data: bytes) -> None:
            chunks.append(data)
            if sum(len(c) for c in chunks) > limit:
                raise ApiError(413, "badRequest", "Request metadata too large.")

        if not self._until_delimiter(keep):
            raise ApiError(400, "badContent", "Invalid multipart request: unterminated part.")
        self._after_delimiter()
        return headers, b"".join(chunks)

    def read_part_into(self, write: Callable[[bytes], None], limit: int) -> None:
        written = 0

        def emit(data: bytes) -> None:
            nonlocal written
            written += len(data)
            if written > limit:
                raise ApiError(413, "uploadTooLarge",
                               f"Media larger than the maximum of {limit} bytes.")
            write(data)

        if not self._until_delimiter(emit):
            raise ApiError(400, "badContent", "Invalid multipart request: unterminated part.")
        self._after_delimiter()


def _parse_part_headers(raw: bytes) -> dict[str, str]:
    headers: dict[str, str] = {}
    for line in raw.decode("latin-1").replace("\r\n", "\n").split("\n"):
        if ":" in line:
            name, value = line.split(":", 1)
            headers[name.strip().lower()] = value.strip()
    return headers

