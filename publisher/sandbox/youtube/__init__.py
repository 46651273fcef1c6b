"""A loopback fake of the YouTube Data API v3 and Google's OAuth token endpoint.

The real ``google-api-python-client`` + ``google-auth`` talk to it unmodified; the tests, the
crash matrix, ``publisher sandbox serve`` and ``publisher demo`` all use it. Standard library
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
* ``GET /o/oauth2/auth`` (``yt.auth_uri``): the consent page; the fake user consents at once
  (302 back to ``redirect_uri`` with a code and the ``state``; PKCE S256 required).
* ``POST /token``: ``grant_type=authorization_code`` (the code, its ``redirect_uri`` and PKCE
  verifier; client by form or HTTP Basic) → tokens with a ``refresh_token``;
  ``grant_type=refresh_token`` → ``{"access_token", "expires_in",
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
* ``captions.list`` shows, once a video is processed, YouTube's automatic track too
  (``trackKind: "asr"``, ``name: ""``, the video's audio language; ``asr_captions=False``
  turns it off), beside the uploaded ones (``trackKind: "standard"``), each with its
  ``lastUpdated``. ``captions.update`` (``PUT /upload/youtube/v3/captions``, a media upload)
  replaces an uploaded track's file, keeping its id; ``captions.delete`` answers 204; both
  answer 403 ``forbidden`` for YouTube's automatic track and 404 ``captionNotFound`` for an
  id that names no track. ``playlistItems.delete`` answers 204, 404
  ``playlistItemNotFound`` for an unknown item, 403 ``playlistItemsNotAccessible`` for one
  of the channel's uploads playlist.
* Quota (§1.1): ``videos.insert`` charges 1 to its own bucket (100/day); everything else
  charges the 10 000-unit bucket (list 1, update 50, thumbnails.set 50, playlists.insert 50,
  playlistItems.insert 50, playlistItems.delete 50, captions.insert 400, captions.update
  450, captions.delete 50, captions.list 50). Every authenticated call is
  charged, valid or not; a call that would exceed a bucket gets 403 ``quotaExceeded`` (domain
  ``youtube.quota``). Buckets reset at midnight Pacific time of the fake clock.

Fault injection (all one-shot unless said otherwise; ``n`` counts the data-carrying PUTs of a
session, 1-based, re-sent chunks included; ``session=None`` matches any session):
:meth:`~FakeYouTube.fail_chunk` (status on the Nth chunk, before or after storing its bytes),
:meth:`~FakeYouTube.drop_chunk` (reset the connection after K body bytes),
:meth:`~FakeYouTube.delay_chunk`, :meth:`~FakeYouTube.lose_final_response` (store the last
chunk, then close without answering; ``reset=False`` closes cleanly, as a proxy may),
:meth:`~FakeYouTube.fail_status_query`, :meth:`~FakeYouTube.drop_next_answer` (handle an API
call, then close without answering),
:meth:`~FakeYouTube.expire_session`, :meth:`~FakeYouTube.fail_next` (any method, e.g. 500 or
403 ``rateLimitExceeded`` on ``videos.list``), :meth:`~FakeYouTube.exhaust_quota`,
:meth:`~FakeYouTube.exceed_upload_limit`, :meth:`~FakeYouTube.exceed_thumbnail_limit`
(thumbnails.set 429 ``uploadRateLimitExceeded``), :meth:`~FakeYouTube.revoke_tokens`,
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
  ``body_timeout`` (or the client's timeout, whichever is shorter) before the client sees an
  error, unless the transport refuses to send a streamed body twice, as the product's does
  (``publisher/platforms/youtube/client.py``). This fake closes with a TCP reset by default
  (:class:`~publisher.sandbox.http.Drop`), which the client surfaces at once; ``reset=False``
  reproduces the clean close.
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

Layout (one concern per module; :class:`FakeYouTube` in ``server.py`` composes them)
-------------------------------------------------------------------------------------
``facts`` limits, scopes, methods' quota costs · ``errors`` Google's error shape · ``wire``
timestamps, ids, etags, ``part``, paging · ``model`` the records and the channel holding them ·
``metadata`` YouTube's rules for video and playlist metadata · ``quota`` the ledger ·
``oauth`` the token endpoint and token checks · ``gate`` token, method faults and quota in
front of every method · ``storage`` where uploaded bytes go · ``multipart`` the streamed
``multipart/related`` reader · ``uploads`` upload initiation (resumable, multipart, media) ·
``resumable`` sessions, chunks, status queries and their faults · ``processing`` scripted
processing and ``publishAt`` · ``videos``, ``thumbnails``, ``captions``, ``playlists``,
``channels`` the resources.
"""

from publisher.sandbox.youtube.errors import ApiError
from publisher.sandbox.youtube.facts import (
    CAPTION_MAX_BYTES,
    CAPTION_NAME_MAX_CHARS,
    CHUNK_GRANULARITY,
    DEFAULT_BUCKET,
    DEFAULT_QUOTA_LIMITS,
    DESCRIPTION_MAX_BYTES,
    LICENSES,
    METHODS,
    PLAYLIST_TITLE_MAX_CHARS,
    PRIVACY_STATUSES,
    SCOPE_FORCE_SSL,
    SCOPE_PARTNER,
    SCOPE_PREFIX,
    SCOPE_READONLY,
    SCOPE_UPLOAD,
    SCOPE_YOUTUBE,
    TAGS_MAX_CHARS,
    THUMBNAIL_MAX_BYTES,
    TITLE_MAX_CHARS,
    UPLOAD_BUCKET,
    VIDEO_CATEGORIES,
    VIDEO_MAX_BYTES,
    VIDEO_PARTS,
    MediaKind,
    Outcome,
    StorageMode,
)
from publisher.sandbox.youtube.metadata import tags_length, title_length
from publisher.sandbox.youtube.model import FakeCaption, FakePlaylist, FakePlaylistItem, FakeVideo
from publisher.sandbox.youtube.oauth import AccessToken
from publisher.sandbox.youtube.processing import ProcessingScript
from publisher.sandbox.youtube.quota import QuotaCharge, QuotaLedger
from publisher.sandbox.youtube.resumable import UploadSession
from publisher.sandbox.youtube.server import FakeYouTube
from publisher.sandbox.youtube.storage import MediaSink
from publisher.sandbox.youtube.wire import parse_rfc3339, rfc3339

__all__ = [
    "CAPTION_MAX_BYTES",
    "CAPTION_NAME_MAX_CHARS",
    "CHUNK_GRANULARITY",
    "DEFAULT_BUCKET",
    "DEFAULT_QUOTA_LIMITS",
    "DESCRIPTION_MAX_BYTES",
    "LICENSES",
    "METHODS",
    "PLAYLIST_TITLE_MAX_CHARS",
    "PRIVACY_STATUSES",
    "SCOPE_FORCE_SSL",
    "SCOPE_PARTNER",
    "SCOPE_PREFIX",
    "SCOPE_READONLY",
    "SCOPE_UPLOAD",
    "SCOPE_YOUTUBE",
    "TAGS_MAX_CHARS",
    "THUMBNAIL_MAX_BYTES",
    "TITLE_MAX_CHARS",
    "UPLOAD_BUCKET",
    "VIDEO_CATEGORIES",
    "VIDEO_MAX_BYTES",
    "VIDEO_PARTS",
    "AccessToken",
    "ApiError",
    "FakeCaption",
    "FakePlaylist",
    "FakePlaylistItem",
    "FakeVideo",
    "FakeYouTube",
    "MediaKind",
    "MediaSink",
    "Outcome",
    "ProcessingScript",
    "QuotaCharge",
    "QuotaLedger",
    "StorageMode",
    "UploadSession",
    "parse_rfc3339",
    "rfc3339",
    "tags_length",
    "title_length",
]
