"""Mastodon: posts a status through Mastodon.py, exactly once.

Exactly once, Mastodon's way:
* the handle is an ``Idempotency-Key`` (a uuid4): the server remembers it per account for one
  hour and answers a repeat with the original status, so a retry with the same handle within
  the hour can never make a second post;
* after that hour the key is forgotten, so ``lookup`` does not rely on it: it reads the
  account's own recent statuses (``verify_credentials``, then ``accounts/:id/statuses``,
  boosts excluded) and matches the link among the ``href``s of the status HTML or the card URL.

The instance's limits come from ``GET /api/v2/instance`` (``configuration.statuses``), read
once per adapter and cached; 500 and 23 when they cannot be read. The pipeline keeps what was
read (``reported_limits``) for the checks at ``queue add`` and ``preview``.

Visibility is always sent (``public`` unless ``[mastodon] visibility`` in publisher.toml says
otherwise): without it the server uses the account's own default ("Posting privacy" in its
preferences; ``PostStatusService``: ``visibility || account default``), which may not be
public. An account the instance has limited (silenced) still gets ``unlisted`` for ``public``.

Client notes (Mastodon.py 2.3.3):
* ``ratelimit_method="throw"``: the default "wait" sleeps inside the call (up to 5 minutes
  per wait, in a loop). The thrown ``MastodonRatelimitError`` carries no response, so the
  adapter keeps the last response's status and headers through a ``requests`` response hook.
* Every transport failure becomes ``MastodonNetworkError`` ("Could not complete request: ...")
  raised inside the ``except`` of the original, which survives only as ``__context__``: that
  is where "refused before sending" is told from "sent, then lost".
* A malformed ``X-RateLimit-Reset`` on *any* answer, a successful post included, raises
  ``MastodonRatelimitError("Rate limit time calculations failed")``: treated as an unknown
  outcome unless the answer really was a 429.
* A string ``access_token`` that names an existing file is read from that file.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import re
import ssl
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from publisher.platforms.base import (
    CannotCheck,
    CrossPoster,
    ForeignPostUrl,
    NotAPostUrl,
    PostContent,
    Posted,
    PostGone,
    UnknownOutcome,
    is_placeholder,
)
from publisher.platforms.errors import (
    AuthError,
    PermanentError,
    PlatformError,
    TransientError,
)
from publisher.platforms.mastodon_options import DEFAULT_VISIBILITY, VISIBILITIES

if TYPE_CHECKING:
    from mastodon import Mastodon

    from publisher.platforms.spec import TextRule

RATE_WINDOW = dt.timedelta(minutes=5)  # Mastodon's API window, when no reset is given
USER_AGENT = "publisher (Mastodon.py)"


@dataclass
class _Seen:
    """The last HTTP answer the client received (status and headers only)."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)


class _Hrefs(HTMLParser):
    """Collects the ``href`` of every ``<a>`` in a status's HTML (entities unescaped)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(value for name, value in attrs if name == "href" and value)


def links_in_html(content: str) -> list[str]:
    parser = _Hrefs()
    parser.feed(content or "")
    parser.close()
    return parser.hrefs


def _same_link(a: str, b: str) -> bool:
    """Equal, ignoring the case of scheme and host (what servers may normalise)."""
    if a == b:
        return True
    head_a, _, rest_a = a.partition("://")
    head_b, _, rest_b = b.partition("://")
    host_a, slash_a, path_a = rest_a.partition("/")
    host_b, slash_b, path_b = rest_b.partition("/")
    return (head_a.lower(), host_a.lower(), slash_a + path_a) == \
        (head_b.lower(), host_b.lower(), slash_b + path_b)


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, what it was raised from or during, and exceptions in its args or
    ``reason`` (urllib3's MaxRetryError), depth first, each once."""
    seen: set[int] = set()
    stack: list[BaseException] = [exc]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        nested = [current.__cause__, current.__context__, getattr(current, "reason", None),
                  *current.args]
        stack.extend(item for item in nested if isinstance(item, BaseException))


def _never_sent(exc: BaseException) -> bool:
    """The connection was never made (refused, DNS, connect timeout, TLS verification), so
    the server cannot have acted."""
    from urllib3.exceptions import ConnectTimeoutError  # NewConnectionError's base in 2.x

    return any(isinstance(item, ConnectTimeoutError | ssl.SSLCertVerificationError
                          | ConnectionRefusedError)
               for item in _causes(exc))


def _parse_reset(value: str) -> dt.datetime | None:
    """``X-RateLimit-Reset``: an ISO 8601 timestamp (Mastodon) or epoch seconds (GoToSocial)."""
    value = value.strip()
    try:
        if value.isdigit():
            return dt.datetime.fromtimestamp(int(value), dt.UTC)
        moment = dt.datetime.fromisoformat(value)
    except (ValueError, OverflowError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


#: A status's address on its own server: `/@NAME/ID` or `/users/NAME/statuses/ID`.
_STATUS_URL = re.compile(r"^https?://[^/@\s?#]+/(?:@[\w.-]+|users/[\w.-]+/statuses)/(\d{1,20})"
                         r"/?(?:[?#].*)?$")


def _host(url: str) -> str | None:
    """The server an address names: its host in lower case, with its port unless the
    default one (a status's address and the API root name the same server alike)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    host = parts.hostname.rstrip(".")
    return host if port in (None, 80, 443) else f"{host}:{port}"


class MastodonPoster(CrossPoster):
    """Posts to one Mastodon account. Credentials: ``api_base_url`` (the instance; the
    ``api_root`` argument and then ``PUBLISHER_MASTODON_API_ROOT`` win over it) and
    ``access_token`` (scope ``write:statuses``, plus ``read`` for lookups). ``visibility``:
    each post's, one of ``VISIBILITIES`` (publisher.toml's ``[mastodon] visibility``).

    Not thread-safe: the last HTTP answer is kept on the instance (one adapter per worker)."""

    name: ClassVar[str] = "mastodon"

    #: Statuses per page when looking a post up (the server's maximum) and pages read before
    #: giving up with CannotCheck.
    page_size: ClassVar[int] = 40
    lookup_pages: int = 10

    def __init__(self, settings: Mapping[str, Any], *, api_root: str | None = None,
                 timeout: float = 30.0, state_dir: Path | None = None,
                 visibility: str = DEFAULT_VISIBILITY) -> None:
        super().__init__(settings, api_root=api_root, timeout=timeout, state_dir=state_dir)
        if visibility not in VISIBILITIES:
            raise ValueError(f"[mastodon] visibility: expected one of "
                             f"{', '.join(VISIBILITIES)}, found {visibility!r}")
        self.visibility = visibility
        if not self.api_root and not is_placeholder(self.settings.get("api_base_url")):
            self.api_root = str(self.settings["api_base_url"]).strip()
        self._api: Mastodon | None = None
        self._limits: tuple[int, int | None] | None = None
        self._limits_read = False
        self._seen = _Seen()

    # ---- the client ------------------------------------------------------------------------

    def _client(self) -> Mastodon:
        """The Mastodon.py client, built on first use (the constructor makes no request)."""
        if self._api is None:
            from mastodon import Mastodon

            if not self.api_root:
                raise AuthError(f"{self.label}: no instance address: set `api_base_url` in "
                                f"the [{self.name}] credentials", platform=self.name,
                                reason="missing_credentials")
            if is_placeholder(self.settings.get("access_token")):
                raise AuthError(f"{self.label}: no access token: set `access_token` in the "
                                f"[{self.name}] credentials", platform=self.name,
                                reason="missing_credentials")
            api = Mastodon(api_base_url=self.api_root,
                           access_token=str(self.settings["access_token"]),
                           ratelimit_method="throw", request_timeout=self.timeout,
                           version_check_mode="none", user_agent=USER_AGENT)
            api.session.hooks["response"].append(self._remember)
            self._api = api
        return self._api

    def _remember(self, response: Any, *args: Any, **kwargs: Any) -> None:
        """requests response hook: keep what the thrown exceptions do not carry."""
        self._seen = _Seen(int(response.status_code), dict(response.headers))

    # ---- limits ----------------------------------------------------------------------------

    def reported_limits(self) -> tuple[int, int | None] | None:
        """(max_characters, characters_reserved_per_url) as the instance reports them (the
        latter None when it does not say), read once; None when they cannot be read
        (unreachable, not configured, or not Mastodon 4): the documented 500 and 23 apply.
        Unreadable limits are remembered too, so counting a batch of texts costs at most
        one request."""
        if not self._limits_read:
            self._limits_read = True
            from mastodon import MastodonError

            try:
                config = self._client().instance_v2()["configuration"]["statuses"]
                url_length = config.get("characters_reserved_per_url")
                self._limits = (int(config["max_characters"]),
                                int(url_length) if url_length else None)
            except (MastodonError, PlatformError, KeyError, TypeError, ValueError):
                pass  # the documented defaults apply
        return self._limits

    def _instance_rule(self) -> TextRule:
        """The spec's counting rule with the instance's limits, where it reported them."""
        reported = self.reported_limits()
        return self.rule.reported(*reported) if reported else self.rule

    def max_length(self) -> int:
        return self._instance_rule().limit

    def length(self, text: str) -> int:
        return self._instance_rule().count(text)

    # ---- publishing --------------------------------------------------------------------------

    def new_handle(self) -> str:
        return str(uuid.uuid4())

    def publish(self, post: PostContent, handle: str) -> Posted:
        from mastodon import MastodonError

        api = self._client()
        self._seen = _Seen()
        try:
            status = api.status_post(post.text, idempotency_key=handle,
                                     language=post.language or None,
                                     visibility=self.visibility)
        except MastodonError as exc:
            raise self._classify(exc, sending=True) from None
        return self._posted(status)

    def lookup(self, post: PostContent, handle: str) -> Posted | None:
        """The account's own status carrying ``post.link``; None when the whole timeline was
        read without finding it; CannotCheck when it is longer than ``lookup_pages``."""
        from mastodon import MastodonError

        api = self._client()
        self._seen = _Seen()
        try:
            me = api.account_verify_credentials()
            page = api.account_statuses(me["id"], limit=self.page_size, exclude_reblogs=True)
            for _ in range(self.lookup_pages):
                if not page:
                    return None
                for status in page:
                    if self._carries(status, post.link):
                        return self._posted(status)
                if len(page) < self.page_size:
                    return None  # a short page is the end (the server sends no next link)
                page = api.fetch_next(page)
        except MastodonError as exc:
            raise self._classify(exc, sending=False) from None
        if not page:
            return None
        raise CannotCheck(f"{self.label}: the link was not among the account's last "
                          f"{self.lookup_pages * self.page_size} statuses; check the account "
                          f"by hand before posting {post.link} again", platform=self.name,
                          reason="lookup_too_deep")

    @classmethod
    def post_id_from_url(cls, url: str) -> str:
        """The status id at the end of its address on the account's own server
        (`https://HOST/@NAME/ID`, or its ActivityPub `https://HOST/users/NAME/statuses/ID`).
        A remote account's view (`/@NAME@OTHER/ID`) carries another server's id: refused."""
        found = _STATUS_URL.match(url.strip())
        if found is None:
            raise NotAPostUrl(f"not a Mastodon status address: {url!r}")
        return found.group(1)

    def own_post_id(self, url: str) -> str:
        """`post_id_from_url` for a status on the account's own server: the host of the
        configured instance (`api_base_url`), or of the root publisher talks to when another
        one wins over it (publisher.toml's `api_root`, PUBLISHER_MASTODON_API_ROOT: a proxy,
        the sandbox). A status on another server has another server's id: ForeignPostUrl.

        Only the API's address is known (no request is made): a status's address is on the
        server's web domain (Mastodon's WEB_DOMAIN, not the LOCAL_DOMAIN of its handles),
        which serves the API too in the usual set-up; the refusal names the host expected."""
        remote_id = self.post_id_from_url(url)
        configured = self.settings.get("api_base_url")
        instance = None if is_placeholder(configured) else _host(str(configured))
        ours: dict[str, str] = {}  # host → where it is configured, the instance first
        if instance:
            ours[instance] = f"`api_base_url` in the [{self.name}] credentials"
        root = _host(self.api_root or "")
        if root and root not in ours:
            ours[root] = "the API root publisher talks to"
        found = _host(url)
        if ours and found not in ours:
            expected = ", or ".join(f"{host} ({why})" for host, why in ours.items())
            raise ForeignPostUrl(
                f"{url.strip()!r} is a status on {found}, not on the account's server: "
                f"expected an address on {expected}, like https://{next(iter(ours))}/@NAME/"
                "NUMBER")
        return remote_id

    def edit(self, remote_id: str, post: PostContent) -> None:
        """``PUT /api/v1/statuses/:id`` (Mastodon.py's ``status_update``) with the new text.

        Mastodon's ``UpdateStatusService`` replaces the media with the ``media_ids`` sent
        (none: our posts have none), keeps the language and visibility, and adds an edit to
        the history only when something changed: the same text again is a harmless 200. A
        status deleted meanwhile is 404 "Record not found"; another account's is 403 "This
        action is not allowed" (a token without write scope is 403 too, "outside the
        authorized scopes": that one is the credentials')."""
        from mastodon import MastodonError, MastodonNotFoundError

        remote_id = self.post_id(remote_id)
        api = self._client()
        self._seen = _Seen()
        try:
            api.status_update(remote_id, status=post.text)
        except MastodonNotFoundError:
            raise PostGone(f"{self.label} has no status {remote_id} any more (404): it was "
                           "deleted", platform=self.name, reason="not_found") from None
        except MastodonError as exc:
            status = exc.args[1] if len(exc.args) >= 2 else None
            message = self._server_message(exc)
            if status == 403 and "scope" not in message.lower():
                raise PostGone(f"{self.label} refused to edit status {remote_id} (403: "
                               f"{message}): it is not this account's", platform=self.name,
                               reason="not_ours") from None
            raise self._classify(exc, sending=False) from None

    def delete(self, remote_id: str) -> bool:
        """``DELETE /api/v1/statuses/:id``: the deleted status comes back; 404 "Record not
        found" for a status that is gone (or not the account's: the server looks among the
        account's own statuses only)."""
        from mastodon import MastodonError, MastodonNotFoundError

        remote_id = self.post_id(remote_id)
        api = self._client()
        self._seen = _Seen()
        try:
            api.status_delete(remote_id)
        except MastodonNotFoundError:
            return False
        except MastodonError as exc:
            raise self._classify(exc, sending=False) from None
        return True

    @staticmethod
    def _carries(status: Mapping[str, Any], link: str) -> bool:
        if status.get("reblog"):
            return False  # a boost of someone else's post is not ours
        card = status.get("card") or {}
        candidates = [*links_in_html(str(status.get("content") or "")), card.get("url") or ""]
        return any(_same_link(candidate, link) for candidate in candidates if candidate)

    @staticmethod
    def _posted(status: Mapping[str, Any]) -> Posted:
        url = status.get("url") or status.get("uri")
        return Posted(remote_id=str(status["id"]), url=str(url) if url else None)

    # ---- errors ------------------------------------------------------------------------------

    def _server_message(self, exc: BaseException) -> str:
        """The server's ``error`` text (Mastodon.py puts it 4th in the args)."""
        args = exc.args
        message = args[3] if len(args) >= 4 and args[3] else (args[2] if len(args) >= 3
                                                              else str(exc))
        return self.scrub(str(message))[:300]

    def _retry_at(self) -> dt.datetime:
        """When the rate limit resets, on our clock: the server's ``X-RateLimit-Reset`` shifted
        by the difference between its ``Date`` and ours (as Mastodon.py does)."""
        now = dt.datetime.now(dt.UTC)
        headers = {k.lower(): v for k, v in self._seen.headers.items()}
        reset = _parse_reset(headers.get("x-ratelimit-reset", ""))
        if reset is None:
            retry_after = headers.get("retry-after", "")
            return now + (dt.timedelta(seconds=int(retry_after)) if retry_after.isdigit()
                          else RATE_WINDOW)
        try:
            server_now = email.utils.parsedate_to_datetime(headers["date"])
            reset = reset - server_now + now
        except (KeyError, TypeError, ValueError):
            pass
        return max(reset, now)

    def _classify(self, exc: BaseException, *, sending: bool) -> PlatformError:
        """Our error kind for a Mastodon.py exception. ``sending``: the request could have
        created a post (so a lost answer is an unknown outcome, not a plain failure)."""
        from mastodon import (
            MastodonAPIError,
            MastodonNetworkError,
            MastodonNotFoundError,
            MastodonRatelimitError,
            MastodonServerError,
            MastodonUnauthorizedError,
        )

        status = exc.args[1] if len(exc.args) >= 2 and isinstance(exc.args[1], int) else None
        if isinstance(exc, MastodonRatelimitError):
            if self._seen.status == 429:
                retry_at = self._retry_at()
                return TransientError(f"{self.label} rate limit reached; it resets at "
                                      f"{retry_at:%Y-%m-%d %H:%M:%S} UTC", retry_at=retry_at,
                                      reason="rate_limited", platform=self.name)
            return self._unknown(f"{self.label} answered {self._seen.status} with an "
                                 "unreadable rate-limit header", sending, "bad_header")
        if isinstance(exc, MastodonUnauthorizedError) or status == 403:
            return AuthError(f"{self.label} refused the access token ({status}: "
                             f"{self._server_message(exc)}): renew `access_token` (a token "
                             f"with the write:statuses and read scopes) in the [{self.name}] "
                             "credentials", reason="unauthorized", platform=self.name)
        if isinstance(exc, MastodonNetworkError):
            if _never_sent(exc):
                return TransientError(f"{self.label} could not be reached at {self.api_root}: "
                                      f"{self.scrub(str(exc))[:300]}",
                                      reason="unreachable", platform=self.name)
            return self._unknown(f"the connection to {self.label} failed after the request "
                                 f"was sent: {self.scrub(str(exc))[:300]}", sending,
                                 "connection_lost")
        if isinstance(exc, MastodonServerError):
            return self._unknown(f"{self.label} answered {status}: "
                                 f"{self._server_message(exc)}", sending, "server_error")
        if isinstance(exc, MastodonNotFoundError):
            return PermanentError(f"{self.label} answered 404 at {self.api_root}: is "
                                  f"`api_base_url` a Mastodon instance? "
                                  f"{self._server_message(exc)}", reason="not_found",
                                  platform=self.name)
        if isinstance(exc, MastodonAPIError) and status is not None:
            return PermanentError(f"{self.label} refused the request ({status}): "
                                  f"{self._server_message(exc)}", reason=f"http_{status}",
                                  platform=self.name)
        # A 2xx that could not be parsed (a proxy's HTML page), or anything unforeseen.
        return self._unknown(f"{self.label} gave an unreadable answer: "
                             f"{self.scrub(str(exc))[:300]}", sending, "unreadable")

    def _unknown(self, message: str, sending: bool, reason: str) -> TransientError:
        if sending:
            return UnknownOutcome(message + "; look the post up before trying again",
                                  platform=self.name, reason=reason)
        return TransientError(message, platform=self.name, reason=reason)
