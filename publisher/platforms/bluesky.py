"""Bluesky: a post with facets and a link card, created once under a record key we choose.

Built on the ``atproto`` SDK (``Client(base_url=...)``; it appends ``/xrpc``).

* Length: Bluesky counts graphemes (300) *and* UTF-8 bytes (3,000), both checked here before
  anything is sent.
* Links and hashtags are not linked by the server: the client sends facets with UTF-8 *byte*
  offsets (``atproto.client_utils.detect_facets``, no network), and builds the link card
  (``app.bsky.embed.external``) itself, with the thumbnail uploaded as a blob of at most
  1,000,000 bytes: a larger one (a 1280×720 PNG often is) is re-encoded as JPEG at decreasing
  quality, then scaled down, keeping its aspect ratio (``image_fit``); one that cannot be read
  or made to fit leaves the card without a picture.
* Exactly once: the handle is a TID record key made before the first attempt; ``publish``
  creates ``app.bsky.feed.post/<rkey>``, ``lookup`` is ``com.atproto.repo.getRecord`` on that
  key. Creating an existing key answers 500 (atproto#3718), so a repeat can never double-post.
* Logins (``createSession``) are limited to 30 per 5 minutes and 300 a day: the session is saved
  in ``state_dir`` (0600) and reused; the SDK refreshes it from the JWT's ``exp`` and every
  change is saved again. A saved session the server refuses is replaced by one fresh login.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar, TypeVar, cast

import httpx
from atproto import (  # type: ignore[import-untyped]
    Client,
    Request,
    Session,
    SessionEvent,
    client_utils,
    models,
)
from atproto_client.exceptions import (  # type: ignore[import-untyped]
    AtProtocolError,
    RateLimitExceededError,
    RequestErrorBase,
)

from publisher.credentials import write_private
from publisher.platforms.base import CrossPoster, NotAPostUrl, PostContent, Posted, UnknownOutcome
from publisher.platforms.errors import (
    AuthError,
    PermanentError,
    PlatformError,
    TransientError,
)
from publisher.platforms.image_fit import fit_jpeg

log = logging.getLogger(__name__)

T = TypeVar("T")

POST_COLLECTION = "app.bsky.feed.post"
WEB_ROOT = "https://bsky.app"
# Errors meaning "this session is no good" (PDS auth verifier), as opposed to bad credentials.
SESSION_ERRORS = frozenset({"ExpiredToken", "InvalidToken", "AuthMissing"})
DEFAULT_RETRY_S = 60
#: A thumbnail file larger than this is not read at all (YouTube's own limit is 2 MB).
MAX_THUMBNAIL_FILE = 50 * 1024 * 1024
#: A post's address on bsky.app: the author (handle or DID), then the record key.
_POST_URL = re.compile(r"^https?://(?:www\.)?bsky\.app/profile/([^/?#\s]+)/post/"
                       r"([A-Za-z0-9._:~-]{1,512})/?(?:[?#].*)?$")
_DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]+$")
_HANDLE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                     r"[A-Za-z]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")
_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


# ---- record keys (TIDs) ------------------------------------------------------------------

_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_CLOCK_ID = secrets.randbelow(1024)
_tid_lock = threading.Lock()
_last_micros = 0


def new_tid(now: float | None = None) -> str:
    """A TID (atproto.com/specs/tid): 53 bits of microseconds since 1970 and a 10-bit clock id,
    13 base32-sortable characters. Strictly increasing within this process."""
    global _last_micros
    micros = int((time.time() if now is None else now) * 1_000_000)
    with _tid_lock:
        micros = max(micros, _last_micros + 1)
        _last_micros = micros
    value = (micros << 10) | _CLOCK_ID
    return "".join(_B32_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def tid_time(tid: str) -> dt.datetime:
    """When a TID was made."""
    value = 0
    for char in tid:
        value = value * 32 + _B32_SORTABLE.index(char)
    return dt.datetime.fromtimestamp((value >> 10) / 1_000_000, dt.UTC)


# ---- the adapter -------------------------------------------------------------------------

class BlueskyPoster(CrossPoster):
    name: ClassVar[str] = "bluesky"
    thumb_max_bytes: ClassVar[int] = 1_000_000

    def __init__(self, settings: Mapping[str, Any], *, api_root: str | None = None,
                 timeout: float = 30.0, state_dir: Path | None = None) -> None:
        service_url = settings.get("service_url")
        super().__init__(settings, api_root=api_root or (service_url or None),
                         timeout=timeout, state_dir=state_dir)
        self.handle = str(self.settings.get("handle") or "").strip().lstrip("@")
        self._client: Any = None
        self._did: str | None = None
        self._lock = threading.RLock()

    # ---- the protocol ------------------------------------------------------------------

    def problem(self, text: str) -> str | None:
        """Why Bluesky would refuse this text (graphemes, then the 3,000-byte cap), or None."""
        return self.rule.problem(text)

    def new_handle(self) -> str:
        return new_tid()

    def publish(self, post: PostContent, handle: str) -> Posted:
        problem = self.problem(post.text)
        if problem:
            raise PermanentError(f"{self.label}: the text is {problem}", platform=self.name,
                                 reason="text_too_long")
        _check_rkey(handle)
        thumb = self._upload_thumbnail(post.thumbnail)
        record = self._record(post, thumb)
        created = self._run(
            lambda c: c.app.bsky.feed.post.create(self._repo(), record, rkey=handle),
            acting=True)
        return self._posted(str(created.uri))

    def lookup(self, post: PostContent, handle: str) -> Posted | None:
        _check_rkey(handle)

        def get(client: Any) -> Any:
            try:
                return client.app.bsky.feed.post.get(self._repo(), handle)
            except RequestErrorBase as exc:
                if _error_name(exc) == "RecordNotFound":
                    return None
                raise

        found = self._run(get, acting=False)
        return None if found is None else self._posted(str(found.uri))

    @classmethod
    def post_id_from_url(cls, url: str) -> str:
        """The post's at:// URI from its bsky.app address. The address names the author by
        handle or by DID; a handle is kept as the URI's authority (a valid at:// URI) and
        resolved to the DID when the post is acted on (`_repo_of`), so recording needs no
        network."""
        found = _POST_URL.match(url.strip())
        if found is None:
            raise NotAPostUrl(f"not a Bluesky post address: {url!r}")
        author, rkey = found.group(1), found.group(2)
        if _DID.match(author) is None and _HANDLE.match(author) is None:
            raise NotAPostUrl(f"{author!r} is neither a handle nor a DID: {url!r}")
        if rkey in (".", ".."):
            raise NotAPostUrl(f"{rkey!r} is not a record key: {url!r}")
        if not author.startswith("did:"):
            author = author.lower()
        return f"at://{author}/{POST_COLLECTION}/{rkey}"

    def delete(self, remote_id: str) -> bool:
        """`com.atproto.repo.deleteRecord` of the post's record (its at:// URI). The server
        answers a record that is not there as a success: deleting is idempotent (True
        either way). A URI in another repository is not ours and is refused unsent."""
        remote_id = self.post_id(remote_id)
        did, _, rest = remote_id.removeprefix("at://").partition("/")
        collection, _, rkey = rest.partition("/")
        if collection != POST_COLLECTION or not rkey:
            raise PermanentError(f"{self.label}: {remote_id!r} is not a post's address",
                                 platform=self.name, reason="bad_uri")

        def delete(client: Any) -> Any:
            repo = self._repo()
            if self._repo_of(client, did) != repo:
                raise PermanentError(f"{self.label}: {remote_id} is not in this account's "
                                     f"repository ({repo})", platform=self.name,
                                     reason="foreign_post")
            return client.com.atproto.repo.delete_record(
                models.ComAtprotoRepoDeleteRecord.Data(repo=repo, collection=collection,
                                                       rkey=rkey))

        self._run(delete, acting=False)
        return True

    # ---- the record --------------------------------------------------------------------

    def _record(self, post: PostContent, thumb: Any) -> Any:
        """The app.bsky.feed.post record: text, byte-offset facets, the link card."""
        external = models.AppBskyEmbedExternal.External(
            uri=post.link, title=post.title, description=post.description, thumb=thumb)
        return models.AppBskyFeedPost.Record(
            created_at=_now_iso(),
            text=post.text,
            facets=client_utils.detect_facets(post.text) or None,
            embed=models.AppBskyEmbedExternal.Main(external=external),
            langs=[post.language] if post.language else None)

    def _upload_thumbnail(self, path: Path | None) -> Any:
        """The thumbnail as a blob ref, or None: absent, too large, not an image, or refused
        for good (the card then goes without a picture rather than the post not at all)."""
        data = _read_image(path, self.thumb_max_bytes)
        if data is None:
            return None
        mime = _image_type(data)
        try:
            uploaded = self._run(lambda c: c.com.atproto.repo.upload_blob(
                data, headers={"Content-Type": mime}), acting=False)
        except PermanentError as exc:
            log.warning("%s refused the thumbnail (%s); posting the card without it",
                        self.label, exc)
            return None
        return uploaded.blob

    def _posted(self, uri: str) -> Posted:
        """The at:// URI as the remote id, and the bsky.app address for people."""
        did, _collection, rkey = uri.removeprefix("at://").split("/", 2)
        return Posted(remote_id=uri, url=f"{WEB_ROOT}/profile/{did}/post/{rkey}")

    def _repo_of(self, client: Any, author: str) -> str:
        """The DID of a URI's authority: itself, this account's for its own handle, else
        the server's answer to `com.atproto.identity.resolveHandle` (a handle it cannot
        resolve: a post that is surely not this account's)."""
        if author.startswith("did:"):
            return author
        if author.lower() == self.handle.lower():
            return self._repo()
        try:
            answer = client.com.atproto.identity.resolve_handle(
                models.ComAtprotoIdentityResolveHandle.Params(handle=author))
        except RequestErrorBase as exc:
            if _error_name(exc) in ("InvalidRequest", "HandleNotFound"):
                raise PermanentError(f"{self.label}: no account has the handle {author} "
                                     f"({_detail(exc)})", platform=self.name,
                                     reason="unknown_handle") from None
            raise
        return str(answer.did)

    def _repo(self) -> str:
        if not self._did:
            raise AuthError(f"{self.label}: not logged in", platform=self.name)
        return self._did

    # ---- sessions ----------------------------------------------------------------------

    def _run(self, op: Callable[[Any], T], *, acting: bool) -> T:
        """Run `op` with a logged-in client. A reused session the server refuses (expired,
        revoked) is replaced by one fresh login and `op` runs again: a refused request
        was not acted on."""
        with self._lock:
            client, fresh = self._ready_client()
            try:
                return op(client)
            except (AtProtocolError, httpx.HTTPError) as exc:
                if fresh or not _session_refused(exc):
                    raise self._translate(exc, acting=acting) from exc
                log.info("%s refused the saved session (%s); logging in again",
                         self.label, _error_name(exc))
            self._forget_session()
            client, _ = self._ready_client()
            try:
                return op(client)
            except (AtProtocolError, httpx.HTTPError) as exc:
                raise self._translate(exc, acting=acting) from exc

    def _ready_client(self) -> tuple[Any, bool]:
        """The client, logged in; True when that took a createSession now."""
        if self._client is not None:
            return self._client, False
        client = Client(base_url=self.api_root, request=Request(timeout=self.timeout))
        client.on_session_change(self._session_changed)
        saved = self._load_session()
        if saved and _readable_session(saved):
            client.login(session_string=saved, fetch_bsky_profile=False)  # no request
            self._client = client
            return client, False
        self._login(client)
        self._client = client
        return client, True

    def _login(self, client: Any) -> None:
        if not self.handle or not self.settings.get("app_password"):
            raise AuthError(f"{self.label}: set bluesky.handle and bluesky.app_password in "
                            "credentials.json", platform=self.name, reason="missing")
        try:
            client.login(self.handle, str(self.settings["app_password"]),
                         fetch_bsky_profile=False)
        except (AtProtocolError, httpx.HTTPError) as exc:
            raise self._translate(exc, acting=False, login=True) from exc

    def _session_changed(self, event: Any, session: Any) -> None:
        """SDK callback on import, login and refresh: keep the DID, save what is new."""
        self._did = str(session.did)
        if event != SessionEvent.IMPORT:
            self._save_session(cast(str, session.export()))

    def _session_file(self) -> Path | None:
        if self.state_dir is None:
            return None
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", self.handle) or "account"
        return self.state_dir / f"bluesky-session-{safe}.json"

    def _load_session(self) -> str | None:
        """The saved session string, if it was made for this handle on this server."""
        path = self._session_file()
        if path is None or not path.exists():
            return None
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(saved, dict) or saved.get("service") != self.api_root \
                or saved.get("handle") != self.handle or not isinstance(saved.get("session"), str):
            return None
        return cast(str, saved["session"])

    def _save_session(self, session_string: str) -> None:
        path = self._session_file()
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"service": self.api_root, "handle": self.handle, "session": session_string,
               "saved_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}
        write_private(path, json.dumps(doc).encode("utf-8"))

    def _forget_session(self) -> None:
        self._client = None
        self._did = None
        path = self._session_file()
        if path is not None:
            path.unlink(missing_ok=True)

    # ---- errors ------------------------------------------------------------------------

    def _translate(self, exc: Exception, *, acting: bool, login: bool = False) -> PlatformError:
        """The SDK's exception as one of ours. `acting`: the request may create the post."""
        if isinstance(exc, RateLimitExceededError):
            return self._rate_limited(exc)
        response = getattr(exc, "response", None)
        if isinstance(exc, RequestErrorBase) and response is not None:
            return self._from_status(int(response.status_code), exc, acting=acting,
                                     login=login)
        return self._from_transport(exc, acting=acting)

    def _rate_limited(self, exc: Any) -> TransientError:
        now = dt.datetime.now(dt.UTC)
        retry_at = exc.reset_at
        if retry_at is None and exc.retry_after is not None:
            retry_at = now + dt.timedelta(seconds=float(exc.retry_after))
        retry_at = retry_at or now + dt.timedelta(seconds=DEFAULT_RETRY_S)
        return TransientError(f"{self.label} rate limit reached (policy {exc.policy or '?'}); "
                              f"retry after {retry_at:%Y-%m-%d %H:%M:%S} UTC",
                              platform=self.name, reason="rate_limited", retry_at=retry_at)

    def _from_status(self, status: int, exc: Exception, *, acting: bool,
                     login: bool) -> PlatformError:
        detail = self.scrub(_detail(exc))
        if status in (401, 403) or (login and status == 400) \
                or _error_name(exc) in SESSION_ERRORS:
            return AuthError(
                f"{self.label} refused the login of {self.handle!r} ({detail}): check "
                "bluesky.handle and bluesky.app_password in credentials.json (an app password "
                "from Settings → Privacy and security → App passwords)",
                platform=self.name, reason="auth")
        if status >= 500 or status == 408:
            message = f"{self.label} answered {status} ({detail})"
            if acting:
                return UnknownOutcome(message + ": the post may exist; look it up before "
                                      "retrying", platform=self.name, reason="server_error")
            return TransientError(message, platform=self.name, reason="server_error")
        return PermanentError(f"{self.label} refused the request ({status} {detail})",
                              platform=self.name, reason=_error_name(exc) or str(status))

    def _from_transport(self, exc: Exception, *, acting: bool) -> PlatformError:
        cause = exc if isinstance(exc, httpx.HTTPError) else exc.__cause__
        kind = type(cause or exc).__name__
        not_sent = isinstance(cause, httpx.ConnectError | httpx.ConnectTimeout |
                              httpx.PoolTimeout | httpx.UnsupportedProtocol)
        if acting and not not_sent:
            return UnknownOutcome(f"{self.label}: the connection failed after the post was sent "
                                  f"({kind}); look it up before retrying",
                                  platform=self.name, reason="unknown_outcome")
        if isinstance(exc, httpx.HTTPError | RequestErrorBase):
            return TransientError(f"{self.label} unreachable at {self.api_root} ({kind})",
                                  platform=self.name, reason="network")
        return PermanentError(f"{self.label}: unexpected answer ({kind}: {self.scrub(str(exc))})",
                              platform=self.name, reason="bad_response")


# ---- helpers -----------------------------------------------------------------------------

def _now_iso() -> str:
    """Like the official apps: UTC, milliseconds, a "Z"."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check_rkey(handle: str) -> None:
    if not TID_RE.match(handle):
        raise PermanentError(f"Bluesky: {handle!r} is not a TID record key",
                             platform="bluesky", reason="bad_handle")


def _readable_session(saved: str) -> bool:
    """Whether a saved session string decodes, tokens included (the SDK reads the access
    token's `exp` before every call; a garbled one would fail there, mid-publish)."""
    try:
        session = Session.decode(saved)
        return session.access_jwt_payload.exp is not None and bool(session.did)
    except (AtProtocolError, ValueError):
        log.info("Bluesky: the saved session is unreadable; logging in again")
        return False


def _error_name(exc: Exception) -> str | None:
    """The XRPC error name ("RecordNotFound", "ExpiredToken", ...) of a failed request."""
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    name = getattr(content, "error", None)
    return name if isinstance(name, str) else None


def _detail(exc: Exception) -> str:
    response = getattr(exc, "response", None)
    content = getattr(response, "content", None)
    name, message = getattr(content, "error", None), getattr(content, "message", None)
    if name or message:
        return ": ".join(str(part) for part in (name, message) if part)
    return f"HTTP {getattr(response, 'status_code', '?')}"


def _session_refused(exc: Exception) -> bool:
    """The server refused the session's tokens (not the request itself)."""
    response = getattr(exc, "response", None)
    status = getattr(response, "status_code", None)
    return status == 401 or (status == 400 and _error_name(exc) in SESSION_ERRORS)


def _read_image(path: Path | None, limit: int) -> bytes | None:
    """The thumbnail's bytes, within `limit` (a larger one re-encoded to fit), or None (with
    a warning) when it cannot be used."""
    if path is None:
        return None
    try:
        size = path.stat().st_size
        if size > MAX_THUMBNAIL_FILE:
            log.warning("Bluesky: thumbnail %s is %d bytes, too large to be a thumbnail; the "
                        "card goes without it", path, size)
            return None
        data = path.read_bytes()
    except OSError:
        log.warning("Bluesky: thumbnail %s not found; the card goes without it", path)
        return None
    if _image_type(data) == "application/octet-stream":
        log.warning("Bluesky: thumbnail %s is not a JPEG, PNG, GIF or WebP image", path)
        return None
    if len(data) <= limit:
        return data
    fitted = fit_jpeg(data, limit)
    if fitted is None:
        log.warning("Bluesky: thumbnail %s is %d bytes, over the %d-byte limit, and could not "
                    "be reduced to fit; the card goes without it", path, len(data), limit)
        return None
    log.info("Bluesky: thumbnail %s is %d bytes, over the %d-byte limit; sending it as a "
             "%dx%d JPEG (quality %d) of %d bytes", path, len(data), limit, fitted.width,
             fitted.height, fitted.quality, len(fitted.data))
    return fitted.data


def _image_type(data: bytes) -> str:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return "application/octet-stream"


__all__ = ["BlueskyPoster", "new_tid", "tid_time"]
