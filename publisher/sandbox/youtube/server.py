""":class:`FakeYouTube`: the loopback server that composes the fake's parts, routes requests
to them, and offers tests one object to inspect and inject faults through (see the package
docstring)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Generic, Self, TypeVar, cast, overload

from publisher.sandbox.http import Drop, LoopbackServer, Request, Response
from publisher.sandbox.youtube.captions import Captions, CaptionUpdates
from publisher.sandbox.youtube.channels import Channels
from publisher.sandbox.youtube.errors import ApiError
from publisher.sandbox.youtube.facts import (
    DEFAULT_BUCKET,
    DEFAULT_QUOTA_LIMITS,
    SCOPE_FORCE_SSL,
    SCOPE_UPLOAD,
    SCOPE_YOUTUBE,
    Outcome,
    StorageMode,
)
from publisher.sandbox.youtube.gate import ApiGate
from publisher.sandbox.youtube.model import Channel, FakeCaption, FakePlaylist, FakeVideo
from publisher.sandbox.youtube.oauth import TokenAuthority
from publisher.sandbox.youtube.playlists import PlaylistItems, Playlists
from publisher.sandbox.youtube.processing import Processing, ProcessingScript
from publisher.sandbox.youtube.quota import QuotaLedger
from publisher.sandbox.youtube.resumable import UploadSession, session_id_of
from publisher.sandbox.youtube.storage import MediaStorage
from publisher.sandbox.youtube.thumbnails import Thumbnails
from publisher.sandbox.youtube.uploads import MediaUploads
from publisher.sandbox.youtube.videos import Videos

T = TypeVar("T")

Handler = Callable[[Request], Response | Drop]


class _Forwarded(Generic[T]):
    """A setting of the fake that lives on one of its parts, readable and settable on the
    fake as before the fake had parts (``yt.channel_verified = False``)."""

    def __init__(self, path: str) -> None:
        *self._parts, self._name = path.split(".")

    def _holder(self, fake: object) -> object:
        for part in self._parts:
            fake = getattr(fake, part)
        return fake

    @overload
    def __get__(self, fake: None, owner: type[Any]) -> Self: ...

    @overload
    def __get__(self, fake: object, owner: type[Any]) -> T: ...

    def __get__(self, fake: object | None, owner: type[Any]) -> Self | T:
        if fake is None:
            return self
        return cast(T, getattr(self._holder(fake), self._name))

    def __set__(self, fake: object, value: T) -> None:
        setattr(self._holder(fake), self._name, value)


class FakeYouTube(LoopbackServer):
    """The YouTube Data API v3 + OAuth token endpoint on 127.0.0.1 (see the package docstring).

    ``storage``: ``"hash"`` (default: count and SHA-256 the bytes), ``"disk"`` (also keep them
    under ``storage_dir``, a temporary directory removed at :meth:`stop` unless given) or
    ``"discard"`` (count only, for benchmarks). ``clock`` gives "now" (UTC) for tokens,
    ``publishAt``, quota days and session ages; :meth:`advance_time` moves it.

    Its parts, shared state first: ``channel`` (:class:`~.model.Channel`: the records),
    ``quota`` (:class:`~.quota.QuotaLedger`), ``oauth`` (:class:`~.oauth.TokenAuthority`),
    ``processing`` (:class:`~.processing.Processing`), ``media``
    (:class:`~.storage.MediaStorage`), ``gate`` (:class:`~.gate.ApiGate`: token, method
    faults, quota in front of every method), ``uploads`` (:class:`~.uploads.MediaUploads`,
    with ``uploads.resumable``), then one handler object per resource family. They all share
    ``self.lock``.
    """

    name = "fake-youtube"

    storage = _Forwarded[StorageMode]("media.mode")
    default_processing = _Forwarded[ProcessingScript]("processing.default")
    token_lifetime = _Forwarded[int]("oauth.lifetime")
    #: Scopes the (fake) user consented to; a refresh asking for more gets invalid_scope.
    granted_scopes = _Forwarded[frozenset[str]]("oauth.granted_scopes")
    #: When set, the token endpoint checks them (401 invalid_client otherwise).
    client_id = _Forwarded[str | None]("oauth.client_id")
    client_secret = _Forwarded[str | None]("oauth.client_secret")
    tokens_revoked = _Forwarded[bool]("oauth.revoked")
    channel_id = _Forwarded[str]("channel.id")
    channel_title = _Forwarded[str]("channel.title")
    #: False: thumbnails.set answers 403 forbidden, channels.list says longUploadsStatus
    #: "eligible" (phone verification missing).
    channel_verified = _Forwarded[bool]("channel.verified")
    #: True: every upload is stored private (the unverified-project lock, gone 2026-11-02).
    lock_private_uploads = _Forwarded[bool]("channel.lock_private_uploads")
    upload_limit_exceeded = _Forwarded[bool]("channel.upload_limit_exceeded")
    thumbnail_limit_exceeded = _Forwarded[bool]("channel.thumbnail_limit_exceeded")
    #: True (default): a processed video's captions.list shows YouTube's automatic track.
    asr_captions = _Forwarded[bool]("channel.asr_captions")
    session_ttl = _Forwarded[timedelta | None]("uploads.resumable.session_ttl")
    enforce_chunk_size = _Forwarded[bool]("uploads.resumable.enforce_chunk_size")

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
        self._clock = clock or (lambda: datetime.now(UTC))
        self._time_offset = timedelta()
        self.media = MediaStorage(storage, storage_dir)
        self.quota = QuotaLedger({**DEFAULT_QUOTA_LIMITS, **(quota_limits or {})}, self.now)
        self.processing = Processing(processing or ProcessingScript(), self.now)
        self.oauth = TokenAuthority(self.lock, self.now, lifetime=token_lifetime,
                                    granted_scopes=granted_scopes, client_id=client_id,
                                    client_secret=client_secret)
        self.channel = Channel(self.lock, self.now, title=channel_title,
                               verified=channel_verified,
                               lock_private_uploads=lock_private_uploads)
        self.gate = ApiGate(self.lock, self.oauth, self.quota)
        self.uploads = MediaUploads(self.lock, self.now, lambda: self.root, self.media,
                                    self.gate, session_ttl=session_ttl,
                                    enforce_chunk_size=enforce_chunk_size)
        self._routes = self._route_table()

    def _route_table(self) -> dict[tuple[str, str], Handler]:
        gate, channel, uploads = self.gate, self.channel, self.uploads
        videos = Videos(channel, gate, uploads, self.processing)
        thumbnails = Thumbnails(channel, gate, uploads)
        captions = Captions(channel, gate, uploads)
        caption_updates = CaptionUpdates(channel, gate, uploads, captions)
        self._captions = captions
        playlists = Playlists(channel, gate)
        playlist_items = PlaylistItems(channel, gate)
        channels = Channels(channel, gate)
        return {
            ("POST", "/upload/youtube/v3/videos"): videos.handle_insert,
            ("POST", "/youtube/v3/videos"): uploads.missing_media(videos.method),
            ("GET", "/youtube/v3/videos"): videos.handle_list,
            ("PUT", "/youtube/v3/videos"): videos.handle_update,
            ("POST", "/upload/youtube/v3/thumbnails/set"): thumbnails.handle_set,
            ("POST", "/youtube/v3/thumbnails/set"): uploads.missing_media(thumbnails.method),
            ("GET", "/youtube/v3/playlists"): playlists.handle_list,
            ("POST", "/youtube/v3/playlists"): playlists.handle_insert,
            ("GET", "/youtube/v3/playlistItems"): playlist_items.handle_list,
            ("POST", "/youtube/v3/playlistItems"): playlist_items.handle_insert,
            ("POST", "/upload/youtube/v3/captions"): captions.handle_insert,
            ("POST", "/youtube/v3/captions"): uploads.missing_media(captions.method),
            ("GET", "/youtube/v3/captions"): captions.handle_list,
            ("PUT", "/upload/youtube/v3/captions"): caption_updates.handle_update,
            ("DELETE", "/youtube/v3/captions"): captions.handle_delete,
            ("DELETE", "/youtube/v3/playlistItems"): playlist_items.handle_delete,
            ("GET", "/youtube/v3/channels"): channels.handle_list,
            ("GET", "/youtube/v3/videoCategories"): channels.handle_video_categories,
        }

    # ---- lifecycle -----------------------------------------------------------------------

    def start(self) -> Self:
        self.media.open()
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        self.uploads.resumable.close_sinks()
        self.media.close()

    @property
    def storage_dir(self) -> Path | None:
        return self.media.directory

    @property
    def token_uri(self) -> str:
        return self.root + "token"

    @property
    def auth_uri(self) -> str:
        """The consent page (the fake user consents at once and is sent back)."""
        return self.root + "o/oauth2/auth"

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
            for video in self.channel.videos.values():
                self.processing.advance(video)
            return dict(self.channel.videos)

    def video(self, video_id: str) -> FakeVideo:
        with self.lock:
            video = self.channel.videos[video_id]
            self.processing.advance(video)
            return video

    @property
    def last_video(self) -> FakeVideo:
        with self.lock:
            if not self.channel.videos:
                raise LookupError("no video has been uploaded")
            video = list(self.channel.videos.values())[-1]
            self.processing.advance(video)
            return video

    @property
    def sessions(self) -> dict[str, UploadSession]:
        with self.lock:
            return dict(self.uploads.resumable.sessions)

    def session(self, session: str) -> UploadSession:
        """A session by id or by its URI."""
        with self.lock:
            return self.uploads.resumable.sessions[session_id_of(session)]

    @property
    def last_session(self) -> UploadSession:
        with self.lock:
            if not self.uploads.resumable.sessions:
                raise LookupError("no upload session has been started")
            return list(self.uploads.resumable.sessions.values())[-1]

    @property
    def playlists(self) -> dict[str, FakePlaylist]:
        with self.lock:
            return dict(self.channel.playlists)

    @property
    def captions(self) -> dict[str, FakeCaption]:
        with self.lock:
            return dict(self.channel.captions)

    @property
    def deleted_captions(self) -> list[FakeCaption]:
        """The tracks captions.delete removed, in order."""
        with self.lock:
            return list(self._captions.deleted)

    @property
    def uploads_playlist_id(self) -> str:
        return self.channel.uploads_playlist_id

    # ---- tokens --------------------------------------------------------------------------

    def authorized_user_info(self, *, refresh_token: str = "sandbox-refresh-token",
                             client_id: str | None = None,
                             client_secret: str | None = None) -> dict[str, Any]:
        """An authorized-user token JSON (google-auth's format) aimed at this fake's token
        endpoint. Remember that ``from_authorized_user_info`` overwrites ``token_uri``."""
        return self.oauth.authorized_user_info(self.token_uri, refresh_token=refresh_token,
                                               client_id=client_id,
                                               client_secret=client_secret)

    def issue_access_token(self, scopes: Iterable[str] | None = None,
                           lifetime: int | None = None) -> str:
        """Mint an access token directly (as if a refresh had happened)."""
        return self.oauth.issue(scopes, lifetime)

    # ---- fault injection -----------------------------------------------------------------

    def fail_chunk(self, n: int | None, status: int = 503, *, after_storing: bool = False,
                   reason: str | None = None, message: str | None = None,
                   domain: str | None = None, session: str | None = None) -> None:
        """Answer ``status`` to the Nth data PUT of a session (``n=None``: the chunk that
        completes the upload). ``after_storing=True`` keeps the chunk's bytes first ("acted
        then failed"). 403/429 default to ``rateLimitExceeded`` (domain usageLimits)."""
        self.uploads.resumable.fail_chunk(n, status, after_storing=after_storing,
                                          reason=reason, message=message, domain=domain,
                                          session=session)

    def drop_chunk(self, n: int | None, after_bytes: int = 0, *, reset: bool = True,
                   session: str | None = None) -> None:
        """Close the connection during the Nth data PUT once ``after_bytes`` body bytes have
        arrived (and been stored). ``reset=False`` closes with FIN instead of RST."""
        self.uploads.resumable.drop_chunk(n, after_bytes, reset=reset, session=session)

    def lose_final_response(self, *, reset: bool = True, session: str | None = None) -> None:
        """Store the chunk that completes the upload, then close without answering."""
        self.uploads.resumable.drop_chunk(None, None, reset=reset, session=session)

    def delay_chunk(self, n: int | None, seconds: float, *, session: str | None = None) -> None:
        """Store the Nth data PUT's bytes, then wait ``seconds`` before answering."""
        self.uploads.resumable.delay_chunk(n, seconds, session=session)

    def fail_status_query(self, status: int = 503, reason: str = "backendError") -> None:
        """Answer the next ``Content-Range: bytes */T`` status query with an error."""
        self.uploads.resumable.fail_status_query(ApiError(status, reason, "Backend Error"))

    def expire_session(self, session: str | None = None) -> None:
        """Expire one session (id or URI) or, with None, every session not yet complete;
        their URIs then answer 404."""
        self.uploads.resumable.expire(session)

    def fail_next(self, method: str, status: int = 500, reason: str = "backendError", *,
                  message: str | None = None, domain: str = "global", times: int = 1,
                  retry_after: int | None = None) -> None:
        """Answer the next ``times`` calls of an API method (e.g. "videos.list",
        "videos.insert" at initiation) with an error in Google's shape; ``retry_after``
        adds a ``Retry-After`` header (seconds), as Google's front ends send with 429/503."""
        self.gate.fail_next(method, status, reason, message=message, domain=domain,
                            times=times, retry_after=retry_after)

    def exhaust_quota(self, bucket: str = DEFAULT_BUCKET) -> None:
        """Use up a bucket: "default" (10 000 units) or "videos.insert" (100 uploads)."""
        self.quota.exhaust(bucket)

    def exceed_upload_limit(self, on: bool = True) -> None:
        """videos.insert answers 400 uploadLimitExceeded (the channel's 24 h cap) until off."""
        with self.lock:
            self.channel.upload_limit_exceeded = on

    def exceed_thumbnail_limit(self, on: bool = True) -> None:
        """thumbnails.set answers 429 uploadRateLimitExceeded ("too many thumbnails in the
        past 24 hours") until off."""
        with self.lock:
            self.channel.thumbnail_limit_exceeded = on

    def drop_next_answer(self, method: str, *, reset: bool = True) -> None:
        """Handle the next call of an API method as usual (it is charged and takes effect,
        e.g. a ``videos.insert`` initiation opens its session), then close the connection
        instead of answering: the client cannot know it happened. With a clean close
        (``reset=False``) httplib2 sends the request again by itself."""
        self.gate.drop_next_answer(method, reset=reset)

    def revoke_tokens(self) -> None:
        """The user revoked access: refreshes get invalid_grant, access tokens stop working."""
        self.oauth.revoke()

    def restore_tokens(self) -> None:
        """The user consented again: refreshes work again."""
        self.oauth.restore()

    def expire_access_tokens(self) -> None:
        """Forget every access token (API calls then get 401 until the client refreshes)."""
        self.oauth.forget_access_tokens()

    def fail_token_endpoint(self, status: int = 503, *, error: str = "server_error",
                            times: int = 1) -> None:
        """The next ``times`` token requests answer ``status`` (google-auth retries 5xx)."""
        self.oauth.fail(status, error, times)

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
                self.processing.script_next_upload(script)
            else:
                self.processing.rescript(self.channel.videos[video_id], script)

    def finish_processing(self, video_id: str) -> None:
        """Make the video's scripted outcome visible now."""
        with self.lock:
            self.processing.finish(self.channel.videos[video_id])

    # ---- dispatch ------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        path, method = request.path, request.method
        try:
            if path == "/token":
                if method != "POST":
                    return Response.json(405, {"error": "invalid_request"})
                return self.oauth.token_endpoint(request)
            if path == "/o/oauth2/auth" and method == "GET":
                return self.oauth.consent_endpoint(request)
            if path.startswith("/upload/") and "upload_id" in request.query:
                if method != "PUT":
                    raise ApiError(405, "methodNotAllowed", "Method Not Allowed")
                return self.uploads.resumable.put(request)
            route = self._routes.get((method, path))
            if route is None:
                raise ApiError(404, "notFound", f"Not Found: {method} {path}")
            answer = route(request)
            return self.gate.answer_dropped(request) or answer
        except ApiError as exc:
            return exc.response()
