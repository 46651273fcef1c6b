"""X (Twitter) adapter: tweepy's API v2 client, OAuth 1.0a user context (the four keys).

Exactly once on a platform with no idempotency key:
* `new_handle()` is a uuid kept for the record only: X never sees it;
* `lookup()` reads the account's own most recent posts (``GET /2/users/me``, then
  ``GET /2/users/:id/tweets`` with entities) and matches ``entities.urls[].expanded_url``
  against the video link. Reads are billed per post returned, so only `lookup_depth` posts
  are read: enough right after a failed attempt, which is when the pipeline looks;
* X refuses an identical text with 403 "You are not allowed to create a Tweet with duplicate
  content." (no error code in v2): `publish` treats it as "already posted", looks the post up
  and returns it. This also covers a timeline that lags behind a post just made.

tweepy hard-codes ``https://api.twitter.com`` (tweepy/client.py, ``BaseClient.request``) and
passes no timeout to requests, so a `requests` adapter mounted on ``client.session`` sends
every call to the configured root, with our timeout.

Every post carrying a link costs $0.20 (pay-per-use, 2026): the daily cap (`[x] daily_cap`
in publisher.toml, 17 by default) is the pipeline's to enforce, not this module's.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

import requests
import tweepy
from requests.adapters import HTTPAdapter
from requests.utils import should_bypass_proxies
from urllib3.exceptions import NewConnectionError

from publisher.platforms.base import (
    CrossPoster,
    NotAPostUrl,
    PostContent,
    Posted,
    UnknownOutcome,
    is_placeholder,
)
from publisher.platforms.errors import AuthError, PermanentError, PlatformError, TransientError

X_HOSTS = ("https://api.twitter.com/", "https://api.x.com/")  # tweepy's, and a future one
DUPLICATE_MESSAGE = "You are not allowed to create a Tweet with duplicate content."
RATE_WINDOW = dt.timedelta(minutes=15)  # when a 429 carries no reset header
MIN_RETRY = dt.timedelta(seconds=30)    # a reset already past (clock skew): no hot loop
_KEYS_TEXT = "consumer_key, consumer_secret, access_token and access_token_secret"
#: A post's address: x.com or twitter.com, the author's name or `i/web`, then the post's id.
_POST_URL = re.compile(r"^https?://(?:(?:www|mobile)\.)?(?:x|twitter)\.com/"
                       r"(?:i/web|[A-Za-z0-9_]{1,15})/status(?:es)?/(\d{1,19})"
                       r"(?:/(?:photo|video)/\d)?/?(?:[?#].*)?$", re.IGNORECASE)


class XPoster(CrossPoster):
    name = "x"
    cost_per_link_post_usd: ClassVar[float] = 0.20
    #: How many of the account's latest posts `lookup` reads (X allows 5..100 per page).
    lookup_depth: int = 20

    def __init__(self, settings: Mapping[str, Any], *, api_root: str | None = None,
                 timeout: float = 30.0, state_dir: Path | None = None) -> None:
        super().__init__(settings, api_root=api_root, timeout=timeout, state_dir=state_dir)
        self._client: Any = None
        self._user_id: str | None = None

    def new_handle(self) -> str:
        return str(uuid.uuid4())

    # ---- publishing --------------------------------------------------------------------

    def publish(self, post: PostContent, handle: str) -> Posted:
        if self.length(post.text) > self.max_length():
            raise PermanentError(f"X: the text counts {self.length(post.text)} of "
                                 f"{self.max_length()} characters", platform=self.name,
                                 reason="too_long")
        client = self._api()
        try:
            answer = client.create_tweet(text=post.text, user_auth=True)
        except tweepy.Forbidden as exc:
            if not is_duplicate(exc):
                raise self._translate(exc, sent=True) from exc
            return self._already_posted(post, handle)
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self._translate(exc, sent=True) from exc
        remote_id = _dig(answer, "data", "id")
        if not remote_id:
            raise UnknownOutcome("X answered the post without an id", platform=self.name,
                                 reason="no_id")
        return Posted(str(remote_id), post_url(str(remote_id)))

    def _already_posted(self, post: PostContent, handle: str) -> Posted:
        """X refused the text as a duplicate: the post exists, find it."""
        found = self.lookup(post, handle)
        if found is None:
            raise PermanentError(
                f"X refused the post as a duplicate, but it is not among the account's "
                f"{self.lookup_depth} latest posts: check the account by hand",
                platform=self.name, reason="duplicate_not_found")
        return found

    def lookup(self, post: PostContent, handle: str) -> Posted | None:
        client = self._api()
        try:
            user_id = self._own_user_id(client)
            page = client.get_users_tweets(
                user_id, max_results=self.lookup_depth, exclude=["retweets", "replies"],
                tweet_fields=["created_at", "entities"], user_auth=True)
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self._translate(exc, sent=False) from exc
        for tweet in _dig(page, "data") or []:
            if isinstance(tweet, dict) and carries_link(tweet, post.link):
                return Posted(str(tweet["id"]), post_url(str(tweet["id"])))
        return None

    @classmethod
    def post_id_from_url(cls, url: str) -> str:
        """The post's id, the number after `/status/`."""
        found = _POST_URL.match(url.strip())
        if found is None:
            raise NotAPostUrl(f"not an X post address: {url!r}")
        return found.group(1)

    def delete(self, remote_id: str) -> bool:
        """`DELETE /2/tweets/:id`: `{"data": {"deleted": true}}`; 404 for a post that is
        gone."""
        remote_id = self.post_id(remote_id)
        client = self._api()
        try:
            answer = client.delete_tweet(remote_id, user_auth=True)
        except tweepy.NotFound:
            return False
        except (tweepy.TweepyException, requests.RequestException) as exc:
            raise self._translate(exc, sent=False) from exc
        if _dig(answer, "data", "deleted") is not True:
            raise TransientError(f"X answered the delete of {remote_id} without deleting it",
                                 platform=self.name, reason="not_deleted")
        return True

    def _own_user_id(self, client: Any) -> str:
        if self._user_id is None:
            user_id = _dig(client.get_me(user_auth=True), "data", "id")
            if not user_id:
                raise TransientError("X answered /2/users/me without an id",
                                     platform=self.name, reason="no_user")
            self._user_id = str(user_id)
        return self._user_id

    # ---- the client ----------------------------------------------------------------------

    def _api(self) -> Any:
        """tweepy's client, built once, its session pointed at the configured root."""
        if self._client is None:
            keys = {key: self._credential(key) for key in self.required}
            client = tweepy.Client(**keys, return_type=dict, wait_on_rate_limit=False)
            adapter = RootAdapter(self.api_root or self.default_root or X_HOSTS[0],
                                  timeout=self.timeout)
            for host in X_HOSTS:
                client.session.mount(host, adapter)
            self._client = client
        return self._client

    def _credential(self, key: str) -> str:
        value = self.settings.get(key)
        if is_placeholder(value):
            raise AuthError(f"X: {key} is not set in the \"x\" section of credentials.json",
                            platform=self.name, reason="missing_credentials")
        return str(value).strip()

    # ---- errors --------------------------------------------------------------------------

    def _translate(self, exc: Exception, *, sent: bool) -> PlatformError:
        """tweepy/requests exception → ours. `sent`: the request could have changed
        something (a post), so an unanswered one is an UnknownOutcome."""
        said = self.scrub(_api_text(exc))  # what X answered, if it did
        if isinstance(exc, tweepy.TooManyRequests):
            return TransientError(f"X: rate limited ({said})", platform=self.name,
                                  reason="rate_limited", retry_at=retry_time(exc))
        if isinstance(exc, tweepy.Unauthorized):
            return AuthError(f"X refused the credentials (401 {said}): check "
                             f"{_KEYS_TEXT} in the \"x\" section of credentials.json",
                             platform=self.name, reason="unauthorized")
        if isinstance(exc, tweepy.Forbidden):
            return self._forbidden(exc)
        if isinstance(exc, tweepy.TwitterServerError):
            status = exc.response.status_code
            cls = UnknownOutcome if sent else TransientError
            return cls(f"X: server error {status} ({said})", platform=self.name,
                       reason=f"http_{status}")
        if isinstance(exc, tweepy.HTTPException) and exc.response.status_code == 402:
            return AuthError(f"X refused to bill the request (402 {said}): the "
                             "developer account behind consumer_key needs credits",
                             platform=self.name, reason="payment_required")
        if isinstance(exc, tweepy.HTTPException):
            status = exc.response.status_code
            return PermanentError(f"X refused the request ({status}: {said})",
                                  platform=self.name, reason=f"http_{status}")
        if isinstance(exc, requests.RequestException):
            what = type(exc).__name__
            if never_sent(exc):
                return TransientError(f"X could not be reached ({what})", platform=self.name,
                                      reason="unreachable")
            if sent:
                return UnknownOutcome(f"X did not answer the post ({what}): it may exist",
                                      platform=self.name, reason="no_answer")
            return TransientError(f"X did not answer ({what})", platform=self.name,
                                  reason="no_answer")
        return PermanentError(f"X: {type(exc).__name__}: {self.scrub(str(exc))}",
                              platform=self.name)

    def _forbidden(self, exc: Any) -> PlatformError:
        """403 is X's answer for missing permissions *and* for refused content."""
        text = self.scrub(_api_text(exc))
        body = _json_body(exc.response)
        problem = f"{body.get('type', '')} {body.get('reason', '')} {text}".lower()
        if "oauth1" in problem or text.strip() in ("", "Forbidden"):
            return AuthError(
                f"X refused this account (403 {text}): give the app Read and Write "
                "permission, then regenerate access_token and access_token_secret",
                platform=self.name, reason="forbidden")
        if "client-forbidden" in problem or "client-not-enrolled" in problem:
            return AuthError(
                f"X refused the app (403 {text}): the app of consumer_key must be attached to "
                "a Project with API access; fix consumer_key and consumer_secret",
                platform=self.name, reason="client_forbidden")
        return PermanentError(f"X refused the post (403: {text})", platform=self.name,
                              reason="forbidden")


class RootAdapter(HTTPAdapter):
    """Sends requests built for X's hard-coded host to `root` (scheme, host, path prefix),
    with a default timeout. The OAuth 1.0a signature is computed before an adapter runs, so
    it still names the api.twitter.com URL: whatever checks it must rebuild that URL."""

    def __init__(self, root: str, *, timeout: float) -> None:
        super().__init__()
        parts = urlsplit(root)
        self._scheme, self._netloc = parts.scheme, parts.netloc
        self._prefix = parts.path.rstrip("/")
        self._timeout = timeout

    def send(self, request: requests.PreparedRequest, stream: bool = False,
             timeout: Any = None, verify: Any = True, cert: Any = None,
             proxies: dict[str, str] | None = None) -> requests.Response:
        target = urlsplit(request.url or "")
        request.url = urlunsplit((self._scheme, self._netloc, self._prefix + target.path,
                                  target.query, ""))
        # requests chose proxies for the original host: NO_PROXY must be asked again.
        if proxies and should_bypass_proxies(request.url, no_proxy=proxies.get("no_proxy")):
            proxies = {}
        return super().send(request, stream=stream,
                            timeout=self._timeout if timeout is None else timeout,
                            verify=verify, cert=cert, proxies=proxies)


# ---- helpers ---------------------------------------------------------------------------

def post_url(remote_id: str) -> str:
    """A post's public address; the username is not needed."""
    return f"https://x.com/i/web/status/{remote_id}"


def normalize_url(url: str) -> str:
    """Scheme-, ``www.``- and trailing-slash-insensitive form of a link, for matching."""
    text = url.strip()
    parts = urlsplit(text if "://" in text else "http://" + text)
    host = parts.netloc.lower().removeprefix("www.")
    path = parts.path.rstrip("/")
    return f"{host}{path}?{parts.query}" if parts.query else f"{host}{path}"


def carries_link(tweet: Mapping[str, Any], link: str) -> bool:
    """Whether a v2 post object (with entities) links to `link`."""
    wanted = normalize_url(link)
    urls = _dig(tweet, "entities", "urls") or []
    for entity in urls:
        if not isinstance(entity, dict):
            continue
        for field in ("expanded_url", "unwound_url"):
            value = entity.get(field)
            if isinstance(value, str) and normalize_url(value) == wanted:
                return True
    return False


def retry_time(exc: Any) -> dt.datetime:
    """When a 429 lifts: the latest reset among the exhausted windows (15 min, and the
    24-hour user/app caps), else ``x-rate-limit-reset``, else 15 minutes from now; never
    less than `MIN_RETRY` ahead."""
    now = dt.datetime.now(dt.UTC)
    headers = exc.response.headers
    resets: list[int] = []
    for prefix in ("x-rate-limit", "x-user-limit-24hour", "x-app-limit-24hour"):
        reset = _int_header(headers, f"{prefix}-reset")
        if reset is not None and headers.get(f"{prefix}-remaining") == "0":
            resets.append(reset)
    reset_time = getattr(exc, "reset_time", None)
    if not resets and isinstance(reset_time, int):
        resets.append(reset_time)
    if not resets:
        return now + RATE_WINDOW
    return max(now + MIN_RETRY, dt.datetime.fromtimestamp(max(resets), dt.UTC))


def is_duplicate(exc: Any) -> bool:
    """X's 403 for a text identical to an earlier post. v2 gives no error code (v1.1 had 187),
    only the message; "Tweet" may become "Post" in it one day, so match loosely."""
    return any(DUPLICATE_MESSAGE.lower() == str(m).lower()
               or "duplicate content" in str(m).lower()
               for m in getattr(exc, "api_messages", []))


def never_sent(exc: Exception) -> bool:
    """The request failed before reaching X (connection refused, DNS, connect timeout,
    TLS handshake, proxy), so X cannot have acted on it."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.SSLError
                  | requests.exceptions.ProxyError):
        return True
    if isinstance(exc, requests.ConnectionError) and exc.args:
        return isinstance(getattr(exc.args[0], "reason", None), NewConnectionError)
    return False


def _int_header(headers: Mapping[str, str], name: str) -> int | None:
    try:
        return int(headers.get(name, ""))
    except ValueError:
        return None


def _dig(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _api_text(exc: Any) -> str:
    messages = [str(m) for m in getattr(exc, "api_messages", []) if m]
    if messages:
        return "; ".join(messages)
    response = getattr(exc, "response", None)
    return str(getattr(response, "reason", "") or "no message")


def _json_body(response: Any) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}
