"""A loopback fake of a Bluesky PDS (atproto XRPC), for the real ``atproto`` SDK.

Quick start::

    with FakeBluesky(handle="studio.example.org", app_password="abcd-efgh-ijkl-mnop") as bsky:
        client = atproto.Client(base_url=bsky.root)   # the SDK appends /xrpc
        client.login("studio.example.org", "abcd-efgh-ijkl-mnop")
        ...
        [post] = bsky.posts_with("https://www.youtube.com/watch?v=...")
        bsky.facet_slices(post)   # [("link", "https://...", "https://..."), ...]

What is modelled (shared/platform-facts/social-platforms.md §2.3, and the PDS sources in
bluesky-social/atproto ``packages/pds``):

* ``com.atproto.server.createSession`` (handle, DID or e-mail + an app password): JWT-shaped
  ``accessJwt`` / ``refreshJwt`` (three base64url segments; ``exp``, ``iat``, ``sub``, ``scope``,
  and ``jti`` for refresh tokens; the SDK schedules refreshes from ``exp``). The answer carries a
  ``didDoc`` whose ``#atproto_pds`` service is this fake's own root (the SDK switches to the PDS
  named there), or none with ``advertise_did_doc=False``. A wrong identifier or password is
  ``401 AuthenticationRequired "Invalid identifier or password"``. Rate limited like the PDS:
  30 per 5 minutes and 300 per day per identifier, then ``429``.
* ``com.atproto.server.refreshSession`` (Bearer refresh token): rotates the pair; the old refresh
  token is then ``400 ExpiredToken "Token has been revoked"``. ``getSession`` answers the
  session's handle and DID. ``app.bsky.actor.getProfile`` answers a minimal profile.
* ``com.atproto.identity.resolveHandle`` (no auth): ``{"did"}`` for the account's handle
  (case-insensitive, as handles are); any other handle is ``400 InvalidRequest "Unable to
  resolve handle"``, as the PDS answers a handle it cannot resolve.
* Bearer checks as the PDS auth verifier does: no token → ``401 AuthMissing``; an expired one →
  ``400 ExpiredToken "Token has expired"``; an unknown, revoked or wrong-kind one →
  ``400 InvalidToken "Token could not be verified"`` (revocation is an approximation).
* ``com.atproto.repo.uploadBlob``: raw body; the MIME type is sniffed for JPEG/PNG/GIF/WebP,
  else the ``Content-Type``; answers ``{"blob": {"$type": "blob", "ref": {"$link": CID},
  "mimeType", "size"}}`` with a real CIDv1 (raw codec, sha-256). Over ``blob_limit`` bytes
  (5 MiB, the PDS default) → ``413 PayloadTooLarge``.
* ``com.atproto.repo.createRecord`` for ``app.bsky.feed.post``: checks the repo is the
  session's, the rkey (``tid`` keys, the SDK's regex), and the record as the lexicon says:
  ``text`` ≤ 300 graphemes and ≤ 3000 UTF-8 bytes, ``createdAt``, facets with non-negative
  byte offsets, ``app.bsky.embed.external`` with ``uri``/``title``/``description`` and a
  ``thumb`` that must be an uploaded ``image/*`` blob ≤ 1,000,000 bytes. Errors are
  ``400 InvalidRequest`` with the PDS's "Invalid app.bsky.feed.post record: ..." message (the
  PDS's ``createRecord`` handler turns the lexicon's ``InvalidRecordError`` into an
  ``InvalidRequestError``, so no answer carries the name ``InvalidRecord``). An rkey
  that already exists answers **500 InternalServerError** (bluesky-social/atproto#3718).
  Answers ``{"uri", "cid", "commit": {"cid", "rev"}, "validationStatus": "valid"}``.
* ``com.atproto.repo.getRecord`` (no auth needed): ``{"uri", "cid", "value"}``, or
  ``400 RecordNotFound "Could not locate record: at://..."``.
* Any other method → ``501 MethodNotImplemented``.

Rate limits use the PDS's reply: ``429 {"error": "RateLimitExceeded"}`` with the IETF draft
headers ``RateLimit-Limit``, ``RateLimit-Remaining``, ``RateLimit-Reset`` (epoch seconds) and
``RateLimit-Policy`` (e.g. ``5000;w=3600``).

Fault injection (one-shot): :meth:`FakeBluesky.fail_next_post` (a status, before or after the
record is stored), :meth:`~FakeBluesky.drop_next_post` (close the connection with a reset or a
clean FIN, before or after storing), :meth:`~FakeBluesky.rate_limit_next_post`, and the same
for any method with :meth:`~FakeBluesky.fail_next` / :meth:`~FakeBluesky.rate_limit_next`
(e.g. ``createSession``, ``uploadBlob``); :meth:`~FakeBluesky.delay_next` holds an answer.
Credentials: :meth:`~FakeBluesky.revoke_app_password` (logins with it are refused and its
sessions stop working), :meth:`~FakeBluesky.revoke_sessions`,
:meth:`~FakeBluesky.expire_access_tokens`; :meth:`~FakeBluesky.advance_time` moves the clock.

Inspection: :attr:`~FakeBluesky.posts`, :meth:`~FakeBluesky.posts_with`,
:meth:`~FakeBluesky.facet_slices`, :meth:`~FakeBluesky.blob`, :attr:`~FakeBluesky.logins`
(successful ``createSession`` calls), and the request log of the base class (``tag`` is the
NSID).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NoReturn

import regex

from publisher.sandbox.call_faults import Endpoint
from publisher.sandbox.http import BodyTooLarge, Drop, LoopbackServer, Request, Response

POST_COLLECTION = "app.bsky.feed.post"
TEXT_MAX_GRAPHEMES = 300
TEXT_MAX_BYTES = 3000
THUMB_MAX_BYTES = 1_000_000
BLOB_LIMIT = 5 * 1024 * 1024
TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
LOGIN_LIMITS = ((30, 5 * 60), (300, 24 * 3600))  # (points, window seconds) per identifier

# xrpc's names for statuses (ResponseTypeNames in @atproto/xrpc).
ERROR_NAMES = {400: "InvalidRequest", 401: "AuthenticationRequired", 403: "Forbidden",
               404: "XRPCNotSupported", 413: "PayloadTooLarge", 429: "RateLimitExceeded",
               500: "InternalServerError", 501: "MethodNotImplemented",
               502: "UpstreamFailure", 503: "NotEnoughResources", 504: "UpstreamTimeout"}
ERROR_MESSAGES = {500: "Internal Server Error", 429: "Rate Limit Exceeded",
                  502: "Upstream Failure", 503: "Not Enough Resources",
                  504: "Upstream Timeout"}

_IMAGE_MAGIC = ((b"\xff\xd8\xff", "image/jpeg"), (b"\x89PNG\r\n\x1a\n", "image/png"),
                (b"GIF87a", "image/gif"), (b"GIF89a", "image/gif"))


class XrpcError(Exception):
    """An XRPC error answer: ``{"error": name, "message": text}``."""

    def __init__(self, status: int, error: str | None = None, message: str | None = None,
                 headers: list[tuple[str, str]] | None = None) -> None:
        self.status = status
        self.error = error or ERROR_NAMES.get(status, "InternalServerError")
        self.message = message or ERROR_MESSAGES.get(status, self.error)
        self.headers = headers or []
        super().__init__(f"{status} {self.error}: {self.message}")

    def response(self) -> Response:
        return Response.json(self.status, {"error": self.error, "message": self.message},
                             self.headers)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_cid(data: bytes, codec: int) -> str:
    """A CIDv1 in base32 (multibase "b"), sha2-256: raw (0x55) for blobs, dag-cbor (0x71)
    for records, like the PDS's "bafkrei..." / "bafyrei..."."""
    raw = bytes([0x01, codec, 0x12, 0x20]) + hashlib.sha256(data).digest()
    return "b" + base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def graphemes(text: str) -> int:
    return len(regex.findall(r"\X", text))


def sniff_mime(data: bytes, declared: str | None) -> str:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if declared and declared != "*/*":
        return declared.split(";")[0].strip()
    return "application/octet-stream"


@dataclass
class _Token:
    kind: str              # "access" | "refresh"
    did: str
    password: str
    expires_at: float
    jti: str = ""
    revoked: bool = False


@dataclass
class _Blob:
    cid: str
    mime_type: str
    data: bytes


@dataclass
class _Fault:
    kind: str              # "status" | "drop" | "rate_limit" | "delay"
    after_storing: bool = False
    status: int = 500
    reset_in_s: int = 0
    reset: bool = True     # drops: TCP reset, or a clean close (FIN)
    seconds: float = 0.0   # delays


def _call_nsid(endpoint: Endpoint) -> str:
    if endpoint is not Endpoint.DELETE:
        raise ValueError("a Bluesky post cannot be edited: only deleteRecord has faults")
    return "com.atproto.repo.deleteRecord"


@dataclass
class FakePost:
    """A stored ``app.bsky.feed.post`` record."""

    uri: str
    cid: str
    rkey: str
    repo: str
    record: dict[str, Any]
    indexed_at: str

    def as_dict(self) -> dict[str, Any]:
        return {"uri": self.uri, "cid": self.cid, "rkey": self.rkey, "repo": self.repo,
                "record": json.loads(json.dumps(self.record)), "indexedAt": self.indexed_at}


@dataclass
class _LoginWindow:
    started: float
    count: int = 0


@dataclass
class _Account:
    handle: str
    did: str
    email: str
    app_passwords: set[str] = field(default_factory=set)


class FakeBluesky(LoopbackServer):
    """A one-account PDS on 127.0.0.1 (see the module docstring)."""

    name = "bluesky"

    def __init__(self, *, handle: str = "publisher-test.bsky.social",
                 app_password: str = "abcd-efgh-ijkl-mnop", did: str | None = None,
                 advertise_did_doc: bool = True, access_ttl_s: int = 2 * 3600,
                 refresh_ttl_s: int = 90 * 24 * 3600, blob_limit: int = BLOB_LIMIT,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__(host=host, port=port)
        digest = hashlib.sha256(handle.encode()).digest()
        self.account = _Account(
            handle=handle,
            did=did or "did:plc:" + base64.b32encode(digest).decode().lower()[:24],
            email=f"press@{handle}", app_passwords={app_password})
        self.advertise_did_doc = advertise_did_doc
        self.access_ttl_s = access_ttl_s
        self.refresh_ttl_s = refresh_ttl_s
        self.blob_limit = blob_limit
        #: Successful createSession calls (logins), to prove sessions are reused.
        self.logins = 0
        #: Successful refreshSession calls.
        self.refreshes = 0
        self._key = secrets.token_bytes(32)
        self._tokens: dict[str, _Token] = {}
        self._posts: dict[str, FakePost] = {}
        #: Records deleted through deleteRecord, in the order they went.
        self.deleted: list[FakePost] = []
        self._blobs: dict[str, _Blob] = {}
        self._faults: dict[str, list[_Fault]] = {}
        self._login_windows: dict[tuple[str, int], _LoginWindow] = {}
        self._clock_offset = 0.0
        #: The sandbox's clock (a rehearsal's simulated time) for the rate limits' reset
        #: times; token lifetimes stay on the real clock, which the client library checks.
        self.reset_clock: Callable[[], datetime] | None = None
        self._rev = 0

    # ---- clock -------------------------------------------------------------------------

    def now(self) -> float:
        return time.time() + self._clock_offset

    def advance_time(self, seconds: float) -> None:
        """Move the fake's clock (token expiry, login windows) forward."""
        with self.lock:
            self._clock_offset += seconds

    # ---- fault injection ---------------------------------------------------------------

    def fail_next(self, nsid: str, status: int, *, after_storing: bool = False) -> None:
        """Answer the next call of ``nsid`` with ``status`` (after acting, if asked)."""
        self._add_fault(nsid, _Fault("status", after_storing, status=status))

    def rate_limit_next(self, nsid: str, reset_in_s: int) -> None:
        """Answer the next call of ``nsid`` with the PDS's 429 and RateLimit-* headers."""
        self._add_fault(nsid, _Fault("rate_limit", reset_in_s=reset_in_s))

    def fail_next_post(self, status: int, *, after_storing: bool) -> None:
        self.fail_next("com.atproto.repo.createRecord", status, after_storing=after_storing)

    def drop_next_post(self, *, after_storing: bool, reset: bool = True) -> None:
        """Close the connection without answering: with a TCP reset, or cleanly (FIN)."""
        self._add_fault("com.atproto.repo.createRecord",
                        _Fault("drop", after_storing, reset=reset))

    def delay_next(self, nsid: str, seconds: float, *, after_storing: bool = True) -> None:
        """Hold the answer to the next call of ``nsid`` for ``seconds`` (after acting, by
        default), so a client's read timeout fires while the server did act."""
        self._add_fault(nsid, _Fault("delay", after_storing, seconds=seconds))

    # The edit and delete endpoints' faults, named as the other fakes name them
    # (publisher/sandbox/call_faults.py); a Bluesky post has no edit, only deleteRecord.

    def fail_next_call(self, endpoint: Endpoint, status: int = 503) -> None:
        self.fail_next(_call_nsid(endpoint), status)

    def drop_next_call(self, endpoint: Endpoint) -> None:
        self._add_fault(_call_nsid(endpoint), _Fault("drop", True, reset=True))

    def rate_limit_next_call(self, endpoint: Endpoint, reset_in_s: int) -> None:
        self.rate_limit_next(_call_nsid(endpoint), reset_in_s)

    def rate_limit_next_post(self, reset_in_s: int) -> None:
        self.rate_limit_next("com.atproto.repo.createRecord", reset_in_s)

    def revoke_app_password(self, password: str) -> None:
        """The owner revoked this app password: logins with it fail, its sessions stop."""
        with self.lock:
            self.account.app_passwords.discard(password)
            for token in self._tokens.values():
                if token.password == password:
                    token.revoked = True

    def add_app_password(self, password: str) -> None:
        with self.lock:
            self.account.app_passwords.add(password)

    def revoke_sessions(self) -> None:
        """Every token issued so far stops working (logins still succeed)."""
        with self.lock:
            for token in self._tokens.values():
                token.revoked = True

    def expire_access_tokens(self) -> None:
        """Every access token issued so far is expired server-side (``ExpiredToken``)."""
        with self.lock:
            for token in self._tokens.values():
                if token.kind == "access":
                    token.expires_at = min(token.expires_at, self.now() - 1)

    def _add_fault(self, nsid: str, fault: _Fault) -> None:
        with self.lock:
            self._faults.setdefault(nsid, []).append(fault)

    def _take_fault(self, nsid: str) -> _Fault | None:
        with self.lock:
            queue = self._faults.get(nsid)
            return queue.pop(0) if queue else None

    # ---- inspection --------------------------------------------------------------------

    @property
    def posts(self) -> list[dict[str, Any]]:
        """Every stored post, oldest first."""
        with self.lock:
            return [post.as_dict() for post in self._posts.values()]

    # ---- the sandbox's view (publisher/sandbox/platforms.py) ------------------------------

    SANDBOX_HANDLE = "studiaperti.bsky.sandbox"
    SANDBOX_APP_PASSWORD = "sand-boxa-ppxx-pass"

    @classmethod
    def for_sandbox(cls, *, port: int = 0, clock: Callable[[], datetime] | None = None
                    ) -> FakeBluesky:
        fake = cls(handle=cls.SANDBOX_HANDLE, app_password=cls.SANDBOX_APP_PASSWORD, port=port)
        fake.reset_clock = clock
        return fake

    def sandbox_credentials(self) -> dict[str, Any]:
        return {"handle": self.account.handle, "app_password": self.SANDBOX_APP_PASSWORD,
                "service_url": "https://bsky.sandbox"}

    def posts_with(self, link: str) -> list[dict[str, Any]]:
        """Posts whose text, link facets or external card carry ``link``."""
        return [post for post in self.posts if link in _links_of(post["record"])]

    def post(self, rkey: str) -> dict[str, Any] | None:
        with self.lock:
            found = self._posts.get(rkey)
            return found.as_dict() if found else None

    def blob(self, cid: str) -> tuple[str, bytes] | None:
        """(MIME type, bytes) of an uploaded blob."""
        with self.lock:
            found = self._blobs.get(cid)
            return (found.mime_type, found.data) if found else None

    @staticmethod
    def facet_slices(post: dict[str, Any]) -> list[tuple[str, str, str]]:
        """Each facet as (kind, the UTF-8 byte slice of the text it covers, its value), so a
        test sees exactly what a Bluesky app would underline."""
        record = post.get("record", post)
        data = str(record["text"]).encode("utf-8")
        out = []
        for facet in record.get("facets") or []:
            index = facet["index"]
            covered = data[index["byteStart"]:index["byteEnd"]].decode("utf-8", "replace")
            for feature in facet["features"]:
                kind = str(feature.get("$type", "")).rsplit("#", 1)[-1]
                value = feature.get("uri") or feature.get("tag") or feature.get("did") or ""
                out.append((kind, covered, str(value)))
        return out

    # ---- dispatch ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        if not request.path.startswith("/xrpc/"):
            return XrpcError(404, "NotFound", "Not Found").response()
        nsid = request.path[len("/xrpc/"):]
        request.tag = nsid
        routes = self._routes()
        route = routes.get(nsid)
        try:
            if route is None:
                raise XrpcError(501, "MethodNotImplemented", "Method Not Implemented")
            method, handler = route
            if request.method != method:
                raise XrpcError(400, "InvalidRequest", f"Incorrect HTTP method ({request.method})"
                                f" expected {method}")
            return handler(request)
        except XrpcError as exc:
            request.notes.append(str(exc))
            return exc.response()

    def _routes(self) -> dict[str, tuple[str, Callable[[Request], Response | Drop]]]:
        return {
            "com.atproto.server.createSession": ("POST", self._create_session),
            "com.atproto.server.refreshSession": ("POST", self._refresh_session),
            "com.atproto.server.getSession": ("GET", self._get_session),
            "app.bsky.actor.getProfile": ("GET", self._get_profile),
            "com.atproto.identity.resolveHandle": ("GET", self._resolve_handle),
            "com.atproto.repo.uploadBlob": ("POST", self._upload_blob),
            "com.atproto.repo.createRecord": ("POST", self._create_record),
            "com.atproto.repo.getRecord": ("GET", self._get_record),
            "com.atproto.repo.deleteRecord": ("POST", self._delete_record),
        }

    def _before(self, request: Request, nsid: str) -> _Fault | Drop | None:
        """Apply a pending fault that acts before the method (a 429, an error, a drop); return
        one meant for after it, or a Drop to answer at once."""
        fault = self._take_fault(nsid)
        if fault is None:
            return None
        if fault.kind == "rate_limit":
            request.notes.append("fault: rate limited")
            raise self._rate_limited(fault.reset_in_s, limit=5000, window=3600)
        if fault.after_storing:
            return fault
        request.notes.append(f"fault: {fault.kind} before acting")
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            return None
        if fault.kind == "drop":
            return Drop(reset=fault.reset)
        raise XrpcError(fault.status)

    def _after(self, request: Request, fault: _Fault | None) -> Response | Drop | None:
        if fault is None:
            return None
        request.notes.append(f"fault: {fault.kind} after acting")
        if fault.kind == "delay":
            time.sleep(fault.seconds)
            return None
        if fault.kind == "drop":
            return Drop(reset=fault.reset)
        return XrpcError(fault.status).response()

    def _rate_limited(self, reset_in_s: int, *, limit: int, window: int) -> XrpcError:
        now = self.reset_clock().timestamp() if self.reset_clock else self.now()
        reset = int(now) + reset_in_s
        return XrpcError(429, "RateLimitExceeded", "Rate Limit Exceeded", headers=[
            ("RateLimit-Limit", str(limit)), ("RateLimit-Remaining", "0"),
            ("RateLimit-Reset", str(reset)), ("RateLimit-Policy", f"{limit};w={window}")])

    # ---- tokens ------------------------------------------------------------------------

    def _jwt(self, header: dict[str, Any], payload: dict[str, Any]) -> str:
        signing_input = (_b64url(json.dumps(header).encode()) + "."
                         + _b64url(json.dumps(payload).encode()))
        signature = hmac.new(self._key, signing_input.encode(), hashlib.sha256).digest()
        return signing_input + "." + _b64url(signature)

    def _issue(self, password: str) -> tuple[str, str]:
        now = int(self.now())
        did, aud = self.account.did, f"did:web:{self.host}"
        access = self._jwt({"typ": "at+jwt", "alg": "ES256K"},
                           {"scope": "com.atproto.appPass", "sub": did, "aud": aud,
                            "iat": now, "exp": now + self.access_ttl_s})
        jti = _b64url(secrets.token_bytes(24))
        refresh = self._jwt({"typ": "refresh+jwt", "alg": "ES256K"},
                            {"scope": "com.atproto.refresh", "sub": did, "aud": aud,
                             "jti": jti, "iat": now, "exp": now + self.refresh_ttl_s})
        with self.lock:
            self._tokens[access] = _Token("access", did, password, now + self.access_ttl_s)
            self._tokens[refresh] = _Token("refresh", did, password,
                                           now + self.refresh_ttl_s, jti)
        return access, refresh

    def _bearer(self, request: Request, kind: str = "access") -> _Token:
        auth = request.header("authorization") or ""
        if not auth.lower().startswith("bearer ") or not auth[7:].strip():
            raise XrpcError(401, "AuthMissing", "Authentication Required")
        with self.lock:
            token = self._tokens.get(auth[7:].strip())
            if token is None or token.kind != kind:
                raise XrpcError(400, "InvalidToken", "Token could not be verified")
            if token.revoked:
                if kind == "refresh":
                    raise XrpcError(400, "ExpiredToken", "Token has been revoked")
                raise XrpcError(400, "InvalidToken", "Token could not be verified")
            if token.expires_at <= self.now():
                raise XrpcError(400, "ExpiredToken", "Token has expired")
            return token

    def _session_body(self, access: str, refresh: str) -> dict[str, Any]:
        body: dict[str, Any] = {"did": self.account.did, "handle": self.account.handle,
                                "email": self.account.email, "emailConfirmed": True,
                                "active": True, "accessJwt": access, "refreshJwt": refresh}
        if self.advertise_did_doc:
            body["didDoc"] = self.did_doc()
        return body

    def did_doc(self) -> dict[str, Any]:
        """The account's DID document, naming this fake as its PDS."""
        did = self.account.did
        return {"@context": ["https://www.w3.org/ns/did/v1",
                             "https://w3id.org/security/multikey/v1"],
                "id": did, "alsoKnownAs": [f"at://{self.account.handle}"],
                "verificationMethod": [{
                    "id": f"{did}#atproto", "type": "Multikey", "controller": did,
                    "publicKeyMultibase": "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}],
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                             "serviceEndpoint": self.root.rstrip("/")}]}

    # ---- com.atproto.server ------------------------------------------------------------

    def _count_login(self, identifier: str) -> None:
        """The PDS's createSession limits: 30 per 5 minutes and 300 per day per identifier."""
        now = self.now()
        with self.lock:
            for limit, window in LOGIN_LIMITS:
                slot = self._login_windows.get((identifier, window))
                if slot is None or now >= slot.started + window:
                    slot = self._login_windows[(identifier, window)] = _LoginWindow(now)
                if slot.count >= limit:
                    raise self._rate_limited(int(slot.started + window - now) + 1,
                                             limit=limit, window=window)
            for _limit, window in LOGIN_LIMITS:
                self._login_windows[(identifier, window)].count += 1

    def _create_session(self, request: Request) -> Response | Drop:
        fault = self._before(request, "com.atproto.server.createSession")
        if isinstance(fault, Drop):
            return fault
        body = _json_object(request)
        identifier = str(body.get("identifier") or "").lower()
        password = body.get("password")
        if not identifier or not isinstance(password, str):
            raise XrpcError(400, "InvalidRequest", 'Input must have the property "identifier"'
                            if not identifier else 'Input must have the property "password"')
        self._count_login(identifier)
        account = self.account
        known = identifier in (account.handle.lower(), account.did, account.email.lower())
        if not known or password not in account.app_passwords:
            raise XrpcError(401, "AuthenticationRequired", "Invalid identifier or password")
        access, refresh = self._issue(password)
        with self.lock:
            self.logins += 1
        return self._after(request, fault) or Response.json(
            200, self._session_body(access, refresh))

    def _refresh_session(self, request: Request) -> Response | Drop:
        token = self._bearer(request, "refresh")
        with self.lock:
            token.revoked = True  # rotation: the old refresh token is spent
            self.refreshes += 1
        access, refresh = self._issue(token.password)
        body = self._session_body(access, refresh)
        body.pop("email", None)
        body.pop("emailConfirmed", None)
        return Response.json(200, body)

    def _get_session(self, request: Request) -> Response:
        self._bearer(request)
        body = self._session_body("", "")
        del body["accessJwt"], body["refreshJwt"]
        return Response.json(200, body)

    def _get_profile(self, request: Request) -> Response:
        self._bearer(request)
        actor = (request.param("actor") or "").lower()
        if actor not in (self.account.handle.lower(), self.account.did):
            raise XrpcError(400, "InvalidRequest", "Profile not found")
        return Response.json(200, {"did": self.account.did, "handle": self.account.handle,
                                   "displayName": "Publisher test", "followersCount": 0,
                                   "followsCount": 0, "postsCount": len(self.posts)})

    def _resolve_handle(self, request: Request) -> Response:
        handle = (request.param("handle") or "").lower()
        if handle != self.account.handle.lower():
            raise XrpcError(400, "InvalidRequest", "Unable to resolve handle")
        return Response.json(200, {"did": self.account.did})

    # ---- com.atproto.repo --------------------------------------------------------------

    def _upload_blob(self, request: Request) -> Response | Drop:
        self._bearer(request)
        fault = self._before(request, "com.atproto.repo.uploadBlob")
        if isinstance(fault, Drop):
            return fault
        try:
            data = request.body.read_all(self.blob_limit)
        except BodyTooLarge:
            return Response(413, json.dumps({"error": "PayloadTooLarge",
                                             "message": "request entity too large"}).encode(),
                            [("Content-Type", "application/json")], close=True)
        mime = sniff_mime(data, request.header("content-type"))
        cid = make_cid(data, 0x55)
        with self.lock:
            self._blobs[cid] = _Blob(cid, mime, data)
        return self._after(request, fault) or Response.json(200, {"blob": {
            "$type": "blob", "ref": {"$link": cid}, "mimeType": mime, "size": len(data)}})

    def _create_record(self, request: Request) -> Response | Drop:
        token = self._bearer(request)
        fault = self._before(request, "com.atproto.repo.createRecord")
        if isinstance(fault, Drop):
            return fault
        body = _json_object(request)
        repo = str(body.get("repo") or "")
        if repo.lower() not in (token.did, self.account.handle.lower()):
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        collection = body.get("collection")
        if collection != POST_COLLECTION:
            raise XrpcError(400, "InvalidRequest",
                            f"This fake only stores {POST_COLLECTION} records")
        record = body.get("record")
        if not isinstance(record, dict):
            raise XrpcError(400, "InvalidRequest", 'Input must have the property "record"')
        rkey = body.get("rkey") or self._next_tid()
        if not isinstance(rkey, str) or not TID_RE.match(rkey):
            raise XrpcError(400, "InvalidRequest", f"Invalid record key: {rkey!r} is not a TID")
        self._validate_post(record)
        uri = f"at://{token.did}/{POST_COLLECTION}/{rkey}"
        cid = make_cid(json.dumps(record, sort_keys=True).encode(), 0x71)
        with self.lock:
            if rkey in self._posts:
                # The PDS surfaces the unique-constraint failure as a 500 (atproto#3718).
                request.notes.append("duplicate rkey")
                raise XrpcError(500, "InternalServerError", "Internal Server Error")
            self._rev += 1
            self._posts[rkey] = FakePost(uri, cid, rkey, token.did, record,
                                         datetime.now(UTC).isoformat())
            rev = self._next_tid()
        return self._after(request, fault) or Response.json(200, {
            "uri": uri, "cid": cid,
            "commit": {"cid": make_cid(rev.encode(), 0x71), "rev": rev},
            "validationStatus": "valid"})

    def _delete_record(self, request: Request) -> Response | Drop:
        """com.atproto.repo.deleteRecord: the commit that deleted it; a record that is not
        there is a no-op answered 200 without a commit (the PDS's "no-op if record already
        doesn't exist"). Another account's repository: 401, as for createRecord."""
        token = self._bearer(request)
        fault = self._before(request, "com.atproto.repo.deleteRecord")
        if isinstance(fault, Drop):
            return fault
        body = _json_object(request)
        repo = str(body.get("repo") or "")
        if repo.lower() not in (token.did, self.account.handle.lower()):
            raise XrpcError(401, "AuthenticationRequired", "Authentication Required")
        rkey = str(body.get("rkey") or "")
        if body.get("collection") != POST_COLLECTION or not rkey:
            raise XrpcError(400, "InvalidRequest", 'Input must have the properties '
                            '"collection" and "rkey"')
        with self.lock:
            post = self._posts.pop(rkey, None)
            if post is None:
                request.notes.append("no such record: no-op")
                answer: dict[str, Any] = {}
            else:
                self.deleted.append(post)
                self._rev += 1
                rev = self._next_tid()
                answer = {"commit": {"cid": make_cid(rev.encode(), 0x71), "rev": rev}}
        return self._after(request, fault) or Response.json(200, answer)

    def _get_record(self, request: Request) -> Response | Drop:
        fault = self._before(request, "com.atproto.repo.getRecord")  # reads act on nothing
        if isinstance(fault, Drop):
            return fault
        repo = (request.param("repo") or "").lower()
        collection = request.param("collection")
        rkey = request.param("rkey") or ""
        uri = f"at://{repo}/{collection}/{rkey}"
        with self.lock:
            post = self._posts.get(rkey)
        known_repo = repo in (self.account.did, self.account.handle.lower())
        if post is None or not known_repo or collection != POST_COLLECTION:
            raise XrpcError(400, "RecordNotFound", f"Could not locate record: {uri}")
        return Response.json(200, {"uri": post.uri, "cid": post.cid, "value": post.record})

    # ---- validation --------------------------------------------------------------------

    def _validate_post(self, record: dict[str, Any]) -> None:
        """The lexicon checks the PDS applies (validate defaults to true)."""
        if record.get("$type") != POST_COLLECTION:
            _invalid("Record/$type must be app.bsky.feed.post")
        text = record.get("text")
        if not isinstance(text, str):
            _invalid('Record must have the property "text"')
        if len(text.encode("utf-8")) > TEXT_MAX_BYTES:
            _invalid(f"Record/text must not be longer than {TEXT_MAX_BYTES} characters")
        if graphemes(text) > TEXT_MAX_GRAPHEMES:
            _invalid(f"Record/text must not be longer than {TEXT_MAX_GRAPHEMES} graphemes")
        if not isinstance(record.get("createdAt"), str):
            _invalid('Record must have the property "createdAt"')
        for number, facet in enumerate(record.get("facets") or []):
            index = facet.get("index") if isinstance(facet, dict) else None
            if not isinstance(index, dict) or not all(
                    isinstance(index.get(key), int) and index[key] >= 0
                    for key in ("byteStart", "byteEnd")):
                _invalid(f"Record/facets/{number}/index must have non-negative byteStart and "
                         "byteEnd")
            if not facet.get("features"):
                _invalid(f'Record/facets/{number} must have the property "features"')
        embed = record.get("embed")
        if embed is not None:
            self._validate_embed(embed)

    def _validate_embed(self, embed: Any) -> None:
        if not isinstance(embed, dict) or embed.get("$type") != "app.bsky.embed.external":
            _invalid("Record/embed: this fake accepts app.bsky.embed.external only")
        external = embed.get("external")
        if not isinstance(external, dict):
            _invalid('Record/embed must have the property "external"')
        for key in ("uri", "title", "description"):
            if not isinstance(external.get(key), str):
                _invalid(f'Record/embed/external must have the property "{key}"')
        thumb = external.get("thumb")
        if thumb is None:
            return
        link = thumb.get("ref", {}).get("$link") if isinstance(thumb, dict) else None
        with self.lock:
            blob = self._blobs.get(link) if isinstance(link, str) else None
        if blob is None:
            raise XrpcError(400, "InvalidRequest", f"Could not find blob: {link}")
        if not blob.mime_type.startswith("image/"):
            _invalid(f"Record/embed/external/thumb has the wrong MIME type {blob.mime_type}")
        if len(blob.data) > THUMB_MAX_BYTES:
            _invalid(f"Record/embed/external/thumb is too big: {len(blob.data)} bytes, "
                     f"the most is {THUMB_MAX_BYTES}")

    def _next_tid(self) -> str:
        micros = int(self.now() * 1_000_000) + self._rev
        return encode_tid((micros << 10) | 1)


_B32_SORTABLE = "234567abcdefghijklmnopqrstuvwxyz"


def encode_tid(value: int) -> str:
    """13 base32-sortable characters of a 64-bit value (atproto TID)."""
    return "".join(_B32_SORTABLE[(value >> (5 * i)) & 31] for i in reversed(range(13)))


def _invalid(detail: str) -> NoReturn:
    """A record the lexicon refuses, answered as the PDS does (InvalidRequest, not
    InvalidRecord: packages/pds/src/api/com/atproto/repo/createRecord.ts)."""
    raise XrpcError(400, "InvalidRequest", f"Invalid app.bsky.feed.post record: {detail}")


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = request.json()
    except ValueError as exc:
        raise XrpcError(400, "InvalidRequest", "Request body is not JSON") from exc
    if not isinstance(body, dict):
        raise XrpcError(400, "InvalidRequest", "Input must be an object")
    return body


def _links_of(record: dict[str, Any]) -> set[str]:
    """Every link a record carries: URLs in its text, link facets, the external card."""
    links = {word.rstrip(".,;:!?)") for word in str(record.get("text", "")).split()
             if "://" in word}
    for facet in record.get("facets") or []:
        links.update(str(f["uri"]) for f in facet.get("features", []) if "uri" in f)
    external = (record.get("embed") or {}).get("external") or {}
    if "uri" in external:
        links.add(str(external["uri"]))
    return links
