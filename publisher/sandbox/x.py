"""A loopback fake of the X API v2 endpoints publisher uses, for the real ``tweepy.Client``.

Quick start::

    with FakeX() as x:
        poster = XPoster(x.settings(), api_root=x.root)
        poster.publish(post, poster.new_handle())
        assert len(x.posts_with(post.link)) == 1

tweepy always builds ``https://api.twitter.com/...`` URLs; the adapter mounts a URL-rewriting
``requests`` adapter on ``client.session`` (see publisher/platforms/x.py), so the requests
arrive here with their OAuth 1.0a signature computed for the api.twitter.com URL. This fake
verifies the signature (HMAC-SHA1, RFC 5849 §3.4) against that URL, api.x.com's and its own.

What is modelled
----------------
* ``POST /2/tweets`` (JSON ``{"text": ...}``) → 201 ``{"data": {"id", "text",
  "edit_history_tweet_ids"}}``. Links in the stored text are replaced by 23-character
  ``https://t.co/...`` links, as X does; the posted URL is kept as ``expanded_url``.
  Refusals, in X's v2 "problem" shape: the same text as an earlier post → 403 ``"You are
  not allowed to create a Tweet with duplicate content."``; more than 280 weighted
  characters → 403 "Your Tweet text is too long..." (body from memory of X's answers,
  unverified); no text → 400 invalid-request.
* ``GET /2/users/me`` → ``{"data": {"id", "name", "username"}}``.
* ``GET /2/users/:id/tweets`` with ``max_results`` (5..100, else 400), ``tweet.fields``
  (``created_at``, ``entities``, ``author_id``...), ``exclude``, ``pagination_token``;
  newest first; ``entities.urls[]`` carry ``start``/``end`` (code points), ``url`` (t.co),
  ``expanded_url`` and ``display_url``; ``entities.hashtags[]`` too.
* Auth: only OAuth 1.0a user context. A missing ``Authorization: OAuth`` header, another
  consumer key or access token, a bad signature, a stale timestamp (±300 s) or a replayed
  nonce → 401 ``{"title": "Unauthorized", ...}``; a Bearer token (app-only) → 403.
  :meth:`FakeX.revoke_credentials` refuses the valid keys too.
* Rate limits: every answer carries ``x-rate-limit-limit/-remaining/-reset`` (epoch
  seconds); posts also ``x-user-limit-24hour-*``. Posting is limited to 100 per 15 minutes
  per user, counted for real; :meth:`FakeX.rate_limit_next_post` answers 429 at once.

Fault injection (one-shot, in order): :meth:`~FakeX.fail_next_post` (a status, before or
after storing the post), :meth:`~FakeX.drop_next_post` (close with a TCP reset, before or
after storing), :meth:`~FakeX.delay_next_post` (store, then answer late: a client timeout),
:meth:`~FakeX.rate_limit_next_post` (429, 15-minute window or the 24-hour cap),
:meth:`~FakeX.fail_next_read` (a status on the next GET); :meth:`~FakeX.revoke_credentials`
and :meth:`~FakeX.restore_credentials`.

The fake counts and finds links with twitter-text (the ``twitter-text-parser`` package, a
dependency of publisher), imported on first use; everything else is the standard library.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Literal
from urllib.parse import quote, unquote

from publisher.sandbox.call_faults import CallFaults, Endpoint
from publisher.sandbox.http import Drop, LoopbackServer, Request, Response

X_HOSTS = ("https://api.twitter.com", "https://api.x.com")
DUPLICATE = "You are not allowed to create a Tweet with duplicate content."
TOO_LONG = ("Your Tweet text is too long. For more information on how Twitter determines "
            "text length see https://github.com/twitter/twitter-text.")
APP_ONLY_FORBIDDEN = ("Authenticating with OAuth 2.0 Application-Only is forbidden for this "
                      "endpoint.  Supported authentication types are [OAuth 1.0a User "
                      "Context, OAuth 2.0 User Context].")
POSTS_PER_WINDOW = 100
WINDOW_S = 15 * 60
DAY_S = 24 * 60 * 60
MAX_WEIGHTED = 280
TWEET_FIELDS = {"article", "attachments", "author_id", "card_uri", "community_id",
                "context_annotations", "conversation_id", "created_at", "display_text_range",
                "edit_controls", "edit_history_tweet_ids", "entities", "geo", "id",
                "in_reply_to_user_id", "lang", "note_tweet", "public_metrics", "referenced_tweets",
                "reply_settings", "source", "text", "withheld"}
HASHTAG_RE = re.compile(r"(?<![\w&/])[#＃](\w*[^\W\d_]\w*)")
USERS_TWEETS_RE = re.compile(r"^/2/users/(\d+)/tweets$")
TWEET_RE = re.compile(r"^/2/tweets/(\d+)$")
OAUTH_PARAM_RE = re.compile(r'([\w-]+)="([^"]*)"')


@dataclass(frozen=True)
class XKeys:
    """The four OAuth 1.0a values the fake accepts (and the adapter's settings)."""

    consumer_key: str = "sandbox-consumer-key"
    consumer_secret: str = "sandbox-consumer-secret-0123456789"
    access_token: str = "1500000000000000001-sandboxAccessToken"
    access_token_secret: str = "sandbox-access-token-secret-0123456789"

    def as_settings(self) -> dict[str, str]:
        return {"consumer_key": self.consumer_key, "consumer_secret": self.consumer_secret,
                "access_token": self.access_token,
                "access_token_secret": self.access_token_secret}


@dataclass
class _Fault:
    kind: Literal["status", "drop", "rate", "delay"]
    status: int = 0
    after_storing: bool = False
    reset_in_s: int = 0
    daily: bool = False
    seconds: float = 0.0


@dataclass
class _Post:
    id: str
    text: str                       # as X shows it (links as t.co)
    sent_text: str                  # as the client sent it
    author_id: str
    created_at: datetime
    entities: dict[str, Any]
    request: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "text": self.text, "sent_text": self.sent_text,
                "author_id": self.author_id, "created_at": _iso(self.created_at),
                "entities": self.entities, "request": self.request, "headers": self.headers}


class FakeX(CallFaults, LoopbackServer):
    """X API v2 on 127.0.0.1: posting, the own-timeline read, OAuth 1.0a, faults."""

    name = "fake-x"

    def __init__(self, *, keys: XKeys | None = None, username: str = "studiaperti",
                 check_signatures: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.keys = keys or XKeys()
        self.user_id = self.keys.access_token.partition("-")[0] or "1500000000000000001"
        self.username = username
        self.check_signatures = check_signatures
        self._posts: list[_Post] = []
        #: Posts deleted through the API, in the order they went.
        self.deleted: list[_Post] = []
        self._post_faults: list[_Fault] = []
        self._read_faults: list[int] = []
        self._revoked = False
        self._nonces: set[tuple[str, str]] = set()
        self._next_id = 1_860_000_000_000_000_000
        self._window_start = 0.0
        self._window_posts = 0

    # ---- for tests -----------------------------------------------------------------------

    def settings(self) -> dict[str, str]:
        """Credentials the fake accepts, in the shape of credentials.json's "x" section."""
        return self.keys.as_settings()

    def revoke_credentials(self) -> None:
        """From now on refuse every request with 401 (revoked or regenerated keys)."""
        with self.lock:
            self._revoked = True

    def restore_credentials(self) -> None:
        """The keys work again (the owner regenerated them and they were filled in)."""
        with self.lock:
            self._revoked = False

    @property
    def posts(self) -> list[dict[str, Any]]:
        with self.lock:
            return [p.as_dict() for p in self._posts]

    # ---- the sandbox's view (publisher/sandbox/platforms.py) ------------------------------

    def sandbox_credentials(self) -> dict[str, Any]:
        return dict(self.keys.as_settings())

    def posts_with(self, link: str) -> list[dict[str, Any]]:
        """Stored posts whose sent text, or one of whose expanded URLs, is this link."""
        with self.lock:
            return [p.as_dict() for p in self._posts
                    if link in p.sent_text
                    or any(u.get("expanded_url") == link for u in p.entities.get("urls", []))]

    def fail_next_post(self, status: int, *, after_storing: bool) -> None:
        with self.lock:
            self._post_faults.append(_Fault("status", status=status,
                                            after_storing=after_storing))

    def drop_next_post(self, *, after_storing: bool) -> None:
        with self.lock:
            self._post_faults.append(_Fault("drop", after_storing=after_storing))

    def delay_next_post(self, seconds: float) -> None:
        """Store the next post, then wait ``seconds`` before answering (a client timeout)."""
        with self.lock:
            self._post_faults.append(_Fault("delay", after_storing=True, seconds=seconds))

    def rate_limit_next_post(self, reset_in_s: int, *, daily: bool = False) -> None:
        """429 on the next post; `daily` exhausts the 24-hour user cap instead of the
        15-minute window (``x-user-limit-24hour-remaining: 0``)."""
        with self.lock:
            self._post_faults.append(_Fault("rate", reset_in_s=reset_in_s, daily=daily))

    def fail_next_read(self, status: int) -> None:
        with self.lock:
            self._read_faults.append(status)

    # ---- dispatch ------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        refusal = self._authenticate(request)
        if refusal is not None:
            request.tag = "x.auth"
            return refusal
        if request.method == "POST" and request.path == "/2/tweets":
            request.tag = "x.tweets.create"
            return self._create(request)
        delete = TWEET_RE.match(request.path)
        if request.method == "DELETE" and delete:
            request.tag = "x.tweets.delete"
            return self._faulted(request, Endpoint.DELETE,
                                 lambda: self._delete(request, delete.group(1)))
        if request.method == "GET":
            with self.lock:
                read_fault = self._read_faults.pop(0) if self._read_faults else None
            if read_fault is not None:
                request.notes.append(f"fault: {read_fault}")
                return _problem(read_fault)
            if request.path == "/2/users/me":
                request.tag = "x.users.me"
                return self._json(200, {"data": {"id": self.user_id, "name": "Studi Aperti",
                                                 "username": self.username}})
            match = USERS_TWEETS_RE.match(request.path)
            if match:
                request.tag = "x.users.tweets"
                return self._timeline(request, match.group(1))
        return _problem(404, detail=f"Could not find resource {request.path}.",
                        type_="https://api.twitter.com/2/problems/resource-not-found",
                        title="Not Found Error")

    # ---- auth ----------------------------------------------------------------------------

    def _authenticate(self, request: Request) -> Response | None:
        header = request.header("authorization") or ""
        if header.lower().startswith("bearer "):
            return _problem(403, detail=APP_ONLY_FORBIDDEN, title="Unsupported Authentication",
                            type_="https://api.twitter.com/2/problems/unsupported-authentication")
        if not header.startswith("OAuth "):
            return _unauthorized()
        params = {k: unquote(v) for k, v in OAUTH_PARAM_RE.findall(header)}
        with self.lock:
            revoked = self._revoked
        if (revoked or params.get("oauth_consumer_key") != self.keys.consumer_key
                or params.get("oauth_token") != self.keys.access_token
                or params.get("oauth_signature_method") != "HMAC-SHA1"):
            return _unauthorized()
        try:
            skew = abs(time.time() - int(params.get("oauth_timestamp", "")))
        except ValueError:
            return _unauthorized()
        nonce = (params.get("oauth_nonce", ""), params.get("oauth_timestamp", ""))
        with self.lock:
            replayed = nonce in self._nonces
            self._nonces.add(nonce)
        if skew > 300 or replayed or not nonce[0]:
            return _unauthorized()
        if self.check_signatures and not self._signature_ok(request, params):
            request.notes.append("bad OAuth signature")
            return _unauthorized()
        return None

    def _signature_ok(self, request: Request, oauth: dict[str, str]) -> bool:
        pairs = [(k, v) for k, values in request.query.items() for v in values]
        pairs += [(k, v) for k, v in oauth.items() if k not in ("oauth_signature", "realm")]
        normalized = "&".join(f"{k}={v}" for k, v in sorted((_enc(k), _enc(v))
                                                            for k, v in pairs))
        key = f"{_enc(self.keys.consumer_secret)}&{_enc(self.keys.access_token_secret)}"
        given = oauth.get("oauth_signature", "")
        for host in (*X_HOSTS, self.root.rstrip("/")):
            base = "&".join((request.method.upper(), _enc(host + request.path),
                             _enc(normalized)))
            digest = hmac.new(key.encode(), base.encode(), hashlib.sha1).digest()
            if hmac.compare_digest(base64.b64encode(digest).decode(), given):
                return True
        return False

    # ---- POST /2/tweets ------------------------------------------------------------------

    def _create(self, request: Request) -> Response | Drop:
        with self.lock:
            fault = self._post_faults.pop(0) if self._post_faults else None
        if fault is not None and fault.kind == "rate":
            request.notes.append(f"fault: 429 reset in {fault.reset_in_s}s")
            return self._rate_limited(fault.reset_in_s, daily=fault.daily)
        if "application/json" not in (request.header("content-type") or ""):
            return _invalid("The request body must be JSON.", {})
        try:
            body = request.json()
        except ValueError:
            return _invalid("The request body is not valid JSON.", {})
        text = body.get("text") if isinstance(body, dict) else None
        if not isinstance(text, str) or not text.strip():
            return _invalid("The `text` field is required when no media is attached.",
                            {"text": [text]})
        if _weighted(text) > MAX_WEIGHTED:
            return _problem(403, detail=TOO_LONG)
        with self.lock:
            if any(p.sent_text == text for p in self._posts):
                request.notes.append("duplicate")
                return _problem(403, detail=DUPLICATE)
            if self._window_full():
                return self._rate_limited(int(self._window_start + WINDOW_S - time.time()))
        if fault is not None and not fault.after_storing:
            return self._fault_answer(request, fault)
        post = self._store(text, body, request.headers)
        if fault is not None and fault.kind == "delay":
            request.notes.append(f"fault: answer delayed {fault.seconds}s after storing")
            time.sleep(fault.seconds)
        elif fault is not None:
            return self._fault_answer(request, fault)
        return self._json(201, {"data": {"id": post.id, "text": post.text,
                                         "edit_history_tweet_ids": [post.id]}},
                          posting=True)

    def _delete(self, request: Request, tweet_id: str) -> Response:
        """DELETE /2/tweets/:id: ``{"data": {"deleted": true}}``; another user's post is
        refused 403, one that is not there (never made, or deleted already) is answered
        404 "resource-not-found" [unverified: X's reference documents only the success]."""
        with self.lock:
            post = next((p for p in self._posts if p.id == tweet_id), None)
            if post is not None and post.author_id != self.user_id:
                return _problem(403, detail="You are not allowed to delete a Tweet you did "
                                "not create.")
            if post is None:
                return _problem(404, detail=f"Could not find tweet with id: [{tweet_id}].",
                                type_="https://api.twitter.com/2/problems/resource-not-found",
                                title="Not Found Error")
            self._posts.remove(post)
            self.deleted.append(post)
        request.notes.append("deleted")
        return self._json(200, {"data": {"deleted": True}})

    def _store(self, text: str, body: dict[str, Any], headers: dict[str, str]) -> _Post:
        shown, entities = _render(text)
        with self.lock:
            self._next_id += 1_000_003
            post = _Post(id=str(self._next_id), text=shown, sent_text=text,
                         author_id=self.user_id, created_at=datetime.now(UTC),
                         entities=entities, request=body, headers=dict(headers))
            self._posts.append(post)
            self._window_posts += 1
        return post

    def _window_full(self) -> bool:
        now = time.time()
        if now >= self._window_start + WINDOW_S:
            self._window_start, self._window_posts = now, 0
        return self._window_posts >= POSTS_PER_WINDOW

    def _fault_answer(self, request: Request, fault: _Fault) -> Response | Drop:
        when = "after" if fault.after_storing else "before"
        if fault.kind == "drop":
            request.notes.append(f"fault: dropped {when} storing")
            return Drop(reset=True)
        request.notes.append(f"fault: {fault.status} {when} storing")
        return _problem(fault.status)

    def _call_server_error(self, status: int) -> Response:
        return _problem(status)

    def _call_rate_limited(self, reset_in_s: int) -> Response:
        return self._rate_limited(reset_in_s)

    def _rate_limited(self, reset_in_s: int, *, daily: bool = False) -> Response:
        now = int(time.time())
        window_reset = now + (WINDOW_S if daily else reset_in_s)
        headers = [("x-rate-limit-limit", str(POSTS_PER_WINDOW)),
                   ("x-rate-limit-remaining", str(POSTS_PER_WINDOW - 1 if daily else 0)),
                   ("x-rate-limit-reset", str(window_reset)),
                   ("x-user-limit-24hour-limit", "10000"),
                   ("x-user-limit-24hour-remaining", "0" if daily else "9000"),
                   ("x-user-limit-24hour-reset", str(now + (reset_in_s if daily else DAY_S)))]
        return _problem(429, headers=headers)

    # ---- GET /2/users/:id/tweets ---------------------------------------------------------

    def _timeline(self, request: Request, user_id: str) -> Response:
        raw_max = request.param("max_results") or "10"
        if not raw_max.isdigit() or not 5 <= int(raw_max) <= 100:
            return _invalid(f"The `max_results` query parameter value [{raw_max}] is not "
                            "between 5 and 100", {"max_results": [raw_max]})
        fields = {f for f in (request.param("tweet.fields") or "").split(",") if f}
        unknown = sorted(fields - TWEET_FIELDS)
        if unknown:
            return _invalid(f"The `tweet.fields` query parameter value [{unknown[0]}] is not "
                            f"one of {sorted(TWEET_FIELDS)}", {"tweet.fields": unknown})
        token = request.param("pagination_token") or "0"
        start = int(token) if token.isdigit() else 0
        with self.lock:
            mine = [p for p in reversed(self._posts) if p.author_id == user_id]
        page = mine[start:start + int(raw_max)]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0].id, oldest_id=page[-1].id)
        if start + len(page) < len(mine):
            meta["next_token"] = str(start + len(page))
        data = [_tweet_object(p, fields) for p in page]
        return self._json(200, {"data": data, "meta": meta} if data else {"meta": meta})

    # ---- answers -------------------------------------------------------------------------

    def _json(self, status: int, payload: Any, *, posting: bool = False) -> Response:
        now = int(time.time())
        with self.lock:
            remaining = max(0, POSTS_PER_WINDOW - self._window_posts)
            reset = int(self._window_start + WINDOW_S) if self._window_start else now + WINDOW_S
            today = len([p for p in self._posts if p.created_at.timestamp() > now - DAY_S])
        headers = [("x-rate-limit-limit", str(POSTS_PER_WINDOW if posting else 900)),
                   ("x-rate-limit-remaining", str(remaining if posting else 899)),
                   ("x-rate-limit-reset", str(reset if posting else now + WINDOW_S))]
        if posting:
            headers += [("x-user-limit-24hour-limit", "10000"),
                        ("x-user-limit-24hour-remaining", str(10000 - today)),
                        ("x-user-limit-24hour-reset", str(now + DAY_S))]
        return Response.json(status, payload, headers)


# ---- helpers ---------------------------------------------------------------------------------

def _enc(value: str) -> str:
    """RFC 3986 percent-encoding as OAuth 1.0a uses it (unreserved characters kept)."""
    return quote(value, safe="~")


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _weighted(text: str) -> int:
    from twitter_text import parse_tweet

    return int(parse_tweet(text).weightedLength)


def _tco(url: str) -> str:
    """A stable 23-character t.co link for a URL."""
    code = base64.b32encode(hashlib.sha256(url.encode()).digest()).decode().lower()[:10]
    return f"https://t.co/{code}"


def _display(expanded: str) -> str:
    shown = re.sub(r"^https?://(www\.)?", "", expanded)
    return shown if len(shown) <= 26 else shown[:25] + "…"


def _render(text: str) -> tuple[str, dict[str, Any]]:
    """The text as X shows it (links as t.co) and its entities (code-point offsets)."""
    from twitter_text import extract_urls_with_indices

    pieces: list[str] = []
    urls: list[dict[str, Any]] = []
    position = 0
    for found in extract_urls_with_indices(text):
        start, end = found["indices"]
        pieces.append(text[position:start])
        offset = sum(len(p) for p in pieces)
        short = _tco(found["url"])
        expanded = found["url"] if "://" in found["url"] else "http://" + found["url"]
        urls.append({"start": offset, "end": offset + len(short), "url": short,
                     "expanded_url": expanded, "display_url": _display(expanded)})
        pieces.append(short)
        position = end
    pieces.append(text[position:])
    shown = "".join(pieces)
    hashtags = [{"start": m.start(), "end": m.end(), "tag": m.group(1)}
                for m in HASHTAG_RE.finditer(shown)]
    entities: dict[str, Any] = {}
    if urls:
        entities["urls"] = urls
    if hashtags:
        entities["hashtags"] = hashtags
    return shown, entities


def _tweet_object(post: _Post, fields: set[str]) -> dict[str, Any]:
    obj: dict[str, Any] = {"id": post.id, "text": post.text,
                           "edit_history_tweet_ids": [post.id]}
    if "created_at" in fields:
        obj["created_at"] = _iso(post.created_at)
    if "author_id" in fields:
        obj["author_id"] = post.author_id
    if "entities" in fields and post.entities:
        obj["entities"] = post.entities
    return obj


def _problem(status: int, *, detail: str | None = None, title: str | None = None,
             type_: str = "about:blank",
             headers: list[tuple[str, str]] | None = None) -> Response:
    """X API v2's error shape (RFC 7807 "problem")."""
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    return Response.json(status, {"title": title or phrase, "detail": detail or phrase,
                                  "type": type_, "status": status}, headers)


def _unauthorized() -> Response:
    return _problem(401, detail="Unauthorized")


def _invalid(message: str, parameters: dict[str, Any]) -> Response:
    return Response.json(400, {
        "errors": [{"parameters": parameters, "message": message}],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request"})
