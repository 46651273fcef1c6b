"""A loopback fake of a Mastodon instance: the REST endpoints publisher uses, spoken closely
enough that the unmodified ``Mastodon.py`` client works against it.

Quick start::

    with FakeMastodon() as masto:
        api = Mastodon(api_base_url=masto.root, access_token=masto.access_token,
                       ratelimit_method="throw", version_check_mode="none")
        status = api.status_post("Nuova intervista https://youtu.be/x", idempotency_key="k1")
        assert masto.posts_with("https://youtu.be/x")[0]["id"] == str(status["id"])
        assert masto.statuses[-1].headers["idempotency-key"] == "k1"

What is modelled (platform facts §2.2; Mastodon 4.x behaviour)
----------------------------------------------------------------
* ``POST /api/v1/statuses`` (form-encoded or JSON): ``Authorization: Bearer <token>`` of a
  known account (401 ``{"error": "The access token is invalid"}``, or "... was revoked"), with
  the ``write`` or ``write:statuses`` scope (403 ``"This action is outside the authorized
  scopes"``). ``visibility`` is optional, as on the server (``PostStatusService``:
  ``@options[:visibility] || account default``): without it the account's default applies
  (its "Posting privacy" preference, ``default_visibility=``, shown as ``source.privacy`` by
  ``verify_credentials``), and an account the instance has silenced (``silenced=True``) gets
  ``unlisted`` for ``public``. ``Idempotency-Key`` is remembered *per account* for one hour
  (fake clock): a repeat answers 200 with the original status and stores nothing, even when
  the text differs, as the server's ``PostStatusService`` does. Validation answers 422
  ``{"error": "Validation failed: Text can't be blank"}`` or ``"... Text character limit of
  500 exceeded"``, counting the server's way (:func:`status_length`). Success is **200** (not
  201) with a Status entity whose ``content`` is HTML formatted like Mastodon's
  ``TextFormatter`` (links split into invisible / visible ``<span>``s, hashtags linked to
  ``/tags/...``).
* ``GET /api/v2/instance`` (and ``/api/v2/instance/``, the path Mastodon.py requests):
  ``configuration.statuses.max_characters`` and ``characters_reserved_per_url``; no auth.
* ``GET /api/v1/accounts/verify_credentials`` (401 without a valid token).
* ``GET /api/v1/accounts/:id/statuses``: newest first; ``limit`` (default 20, max 40),
  ``max_id`` / ``since_id`` / ``min_id``, ``exclude_reblogs``, ``exclude_replies``; a ``Link``
  header with ``rel="next"`` (``max_id``) and ``rel="prev"`` (``min_id``), which is what
  ``Mastodon.fetch_next`` follows. The account's own token sees every visibility; anonymous
  callers (or an invalid token, as on the real server) see public and unlisted statuses only.
  Cards: a stored status carries a ``card`` for its first link (``card_url`` may differ, as
  when YouTube canonicalises ``youtu.be``).
* Rate limits: every authenticated request counts against ``rate_limit`` per ``rate_period``
  (300 per 5 min) per account, and posts also against 300 per 3 h (the source's
  ``RateLimiter`` "statuses" family). Answers carry ``X-RateLimit-Limit`` / ``-Remaining`` /
  ``-Reset`` (an ISO 8601 timestamp with microseconds, as rack-attack writes it); over the limit
  → 429 ``{"error": "Too many requests"}``.

Fault injection (one-shot, applied to the next ``POST /api/v1/statuses`` in the order queued):
:meth:`~FakeMastodon.fail_next_post` (any status, before or after storing, optional error
message), :meth:`~FakeMastodon.drop_next_post` (TCP reset, before or after storing),
:meth:`~FakeMastodon.delay_next_post` (store, then answer late: a client timeout),
:meth:`~FakeMastodon.rate_limit_next_post` (429 with a reset N seconds ahead). Credentials:
:meth:`~FakeMastodon.revoke_token`, :meth:`~FakeMastodon.add_account` (e.g. a read-only token),
or simply a token the fake never issued.

Inspection: :attr:`~FakeMastodon.statuses` (every stored status with the form fields and headers
that arrived), :meth:`~FakeMastodon.posts_with`, :meth:`~FakeMastodon.seed_status` (pre-fill a
timeline: older posts, boosts, posts by another account), the request log of the base class,
:meth:`~FakeMastodon.advance_time` (idempotency keys expire after one hour; the HTTP
``Date`` header stays on the real clock, which clients use to correct ``X-RateLimit-Reset``).

Counting texts needs grapheme clusters (``regex``) and twitter-text's domain rules
(``twitter-text-parser``), both dependencies of publisher; they are imported on first use.
"""

from __future__ import annotations

import html
import itertools
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Literal
from urllib.parse import parse_qs, quote

from publisher.sandbox.call_faults import CallFaults, Endpoint
from publisher.sandbox.http import Drop, LoopbackServer, Request, Response
from publisher.sandbox.post_faults import PostFault, PostFaults

DEFAULT_MAX_CHARACTERS = 500
DEFAULT_URL_LENGTH = 23
IDEMPOTENCY_TTL = timedelta(hours=1)
VISIBILITIES = ("public", "unlisted", "private", "direct")
WRITE_SCOPES = frozenset({"write", "write:statuses"})
READ_SCOPES = frozenset({"read", "read:accounts", "profile"})


class _ApiError(Exception):
    """An answer in Mastodon's error shape, ``{"error": message}``."""

    def __init__(self, status: int, message: str,
                 headers: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or []

    def response(self) -> Response:
        return Response.json(self.status, {"error": self.message}, self.headers)


# ---- counting the server's way -------------------------------------------------------------

@lru_cache(maxsize=1)
def _url_pattern() -> re.Pattern[str]:
    """Mastodon's ``valid_url`` (config/initializers/twitter_regex.rb): twitter-text's domain
    rules with Mastodon's broader path and query characters. Protocol required, as the
    length validator extracts with ``extract_url_without_protocol: false``."""
    from twitter_text.regexp.valid_domain import valid_domain
    from twitter_text.regexp.valid_url_preceding_chars import valid_url_preceding_chars

    uchars = ("\u00a0-\ud7ff\uf900-\ufdcf\ufdf0-\uffef\U00010000-\U0001fffd\U00020000-\U0002fffd"
              "\U00030000-\U0003fffd\U000e1000-\U000efffd\ue000-\uf8ff")
    path_char = r"[^\s<>()?]"
    parens = rf"\((?:{path_char}+|(?:{path_char}*\({path_char}+\){path_char}*))\)"
    ending = rf"""(?:[^\s()?!*"'「」<>;:=,.$%\[\]~&|@]|{parens})"""
    path = rf"(?:(?:{path_char}*(?:{parens}{path_char}*)*{ending})|(?:{path_char}+/))"
    query_chars = rf"[a-z0-9!?*'();:&=+$/%#\[\]\-_.,~|@^{uchars}]"
    query_end = rf"[a-z0-9_&=#/\-{uchars}]"
    pattern = (rf"({valid_url_preceding_chars.pattern})"
               rf"((?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini)://"
               rf"(?:{valid_domain.pattern})(?::[0-9]+)?(?:/{path}*)?"
               rf"(?:\?{query_chars}*{query_end})?)")
    return re.compile(pattern, re.IGNORECASE)


_USERNAME = r"[a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?"
_MENTION_RE = re.compile(rf"(?<![=/\w])@(({_USERNAME})(?:@\w+(?:[.-]+\w+)*)?)", re.IGNORECASE)
_END_MENTION_RE = re.compile(r"\A(?:[@＠]|[\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff]|://)")


@dataclass(frozen=True)
class _Entity:
    kind: Literal["url", "mention", "hashtag"]
    start: int
    end: int
    value: str


def extract_urls(text: str) -> list[tuple[int, int, str]]:
    """(start, end, url) of every link with a scheme, as the server extracts them."""
    return [(m.start(2), m.end(2), m.group(2)) for m in _url_pattern().finditer(text)]


def _mentions(text: str) -> list[_Entity]:
    found = []
    for match in _MENTION_RE.finditer(text):
        if not _END_MENTION_RE.match(text[match.end():]):
            found.append(_Entity("mention", match.start(1) - 1, match.end(1), match.group(1)))
    return found


@lru_cache(maxsize=1)
def _hashtag_re() -> Any:
    """Mastodon's ``Tag::HASHTAG_RE`` (``[[:word:]]`` = letters, marks, digits, connectors)."""
    import regex

    word = r"[\p{L}\p{M}\p{Nd}\p{Pc}]"
    seps = "_\u00b7\u30fb\u200c"
    first = (rf"(?:[\p{{L}}\p{{M}}\p{{Nd}}\p{{Pc}}_][\p{{L}}\p{{M}}\p{{Nd}}\p{{Pc}}{seps}]*"
             rf"[\p{{L}}\p{{M}}{seps}][\p{{L}}\p{{M}}\p{{Nd}}\p{{Pc}}{seps}]*{word})")
    last = rf"(?:{word}*[\p{{L}}\p{{M}}]{word}*)"
    return regex.compile(rf"(?<![=/)\p{{L}}\p{{M}}\p{{Nd}}])#({first}|{last})")


def _entities(text: str) -> list[_Entity]:
    """URLs, mentions and hashtags, overlapping ones dropped (twitter-text's
    ``remove_overlapping_entities``: sorted by start, the earlier one wins)."""
    found = [_Entity("url", s, e, u) for s, e, u in extract_urls(text)]
    found += _mentions(text)
    found += [_Entity("hashtag", m.start(1) - 1, m.end(1), m.group(1))
              for m in _hashtag_re().finditer(text)]
    found.sort(key=lambda entity: entity.start)
    kept: list[_Entity] = []
    for entity in found:
        if not kept or entity.start >= kept[-1].end:
            kept.append(entity)
    return kept


def countable_text(text: str, url_length: int = DEFAULT_URL_LENGTH) -> str:
    """The server's ``StatusLengthValidator#countable_text``: links become ``url_length``
    x's, ``@user@domain`` becomes ``@user``."""
    out, last = [], 0
    for entity in _entities(text):
        if entity.kind == "hashtag":
            continue
        out.append(text[last:entity.start])
        out.append("x" * url_length if entity.kind == "url"
                   else "@" + entity.value.split("@")[0])
        last = entity.end
    out.append(text[last:])
    return "".join(out)


def status_length(text: str, spoiler_text: str = "",
                  url_length: int = DEFAULT_URL_LENGTH) -> int:
    """Grapheme clusters of spoiler + countable text: what the limit is compared with."""
    import regex

    return len(regex.findall(r"\X", spoiler_text + countable_text(text, url_length)))


# ---- formatting (what `content` looks like) ------------------------------------------------

_URL_PREFIX_RE = re.compile(r"\A(https?://(www\.)?|xmpp:)")


def _shortened_link(url: str) -> str:
    """TextFormatter.shortened_link: the scheme and www. hidden, 30 characters shown."""
    prefix = _URL_PREFIX_RE.match(url)
    head = prefix.group(0) if prefix else ""
    rest = url[len(head):]
    shown, hidden = rest[:30], rest[30:]
    return (f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" '
            f'translate="no"><span class="invisible">{html.escape(head)}</span>'
            f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>')


def _format_line(text: str, root: str) -> str:
    out, last = [], 0
    for entity in _entities(text):
        out.append(html.escape(text[last:entity.start]))
        raw = text[entity.start:entity.end]
        if entity.kind == "url":
            out.append(_shortened_link(entity.value))
        elif entity.kind == "hashtag":
            href = f"{root}tags/{quote(entity.value.lower())}"
            out.append(f'<a href="{html.escape(href)}" class="mention hashtag" rel="tag">'
                       f"#<span>{html.escape(entity.value)}</span></a>")
        else:
            out.append(html.escape(raw))  # mentions of unknown accounts stay plain text
        last = entity.end
    out.append(html.escape(text[last:]))
    return "".join(out)


def format_content(text: str, root: str) -> str:
    """Paragraphs on blank lines, ``<br />`` on single newlines, links and hashtags linked."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "".join("<p>" + "<br />".join(_format_line(line, root) for line in p.split("\n"))
                   + "</p>" for p in paragraphs)


# ---- state -----------------------------------------------------------------------------------

@dataclass
class FakeAccount:
    id: str
    username: str
    token: str
    scopes: frozenset[str] = frozenset({"read", "write"})
    display_name: str = ""
    revoked: bool = False
    #: The account's "Posting privacy" preference: the visibility of a post that names none.
    default_visibility: str = "public"
    #: Limited by the instance's moderators: a public post becomes unlisted.
    silenced: bool = False
    created_at: datetime = field(default_factory=lambda: datetime(2020, 1, 1, tzinfo=UTC))


@dataclass
class FakeStatus:
    """One stored status, with what arrived on the wire (``form``: the fields as sent;
    ``headers``: lower-case request headers)."""

    id: str
    account_id: str
    text: str
    created_at: datetime
    spoiler_text: str = ""
    visibility: str = "public"
    language: str | None = None
    sensitive: bool = False
    in_reply_to_id: str | None = None
    idempotency_key: str | None = None
    card_url: str | None = None
    reblog_of: FakeStatus | None = None
    form: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    edited_at: datetime | None = None
    #: The texts it had before each edit, oldest first.
    edits: list[str] = field(default_factory=list)

    @property
    def links(self) -> list[str]:
        return [url for _, _, url in extract_urls(self.text)]


@dataclass
class _Window:
    limit: int
    period: int  # seconds
    counts: dict[tuple[str, int], int] = field(default_factory=dict)

    def hit(self, key: str, now: datetime) -> tuple[int, datetime, bool]:
        """Count one request: (remaining, reset, allowed). Windows are aligned to the
        epoch, as rack-attack's are."""
        epoch = int(now.timestamp())
        window = epoch // self.period
        count = self.counts.get((key, window), 0) + 1
        self.counts[(key, window)] = count
        reset = datetime.fromtimestamp((window + 1) * self.period, UTC)
        return max(self.limit - count, 0), reset, count <= self.limit


def _iso_us(moment: datetime) -> str:
    """Ruby's ``Time#iso8601(6)`` in UTC: ``2026-11-25T10:05:00.000000Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _iso_ms(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{moment.microsecond // 1000:03d}Z"


def _truthy(value: object) -> bool:
    return str(value).lower() in ("1", "true", "on", "yes")


# ---- the fake ------------------------------------------------------------------------------

class FakeMastodon(CallFaults, PostFaults, LoopbackServer):
    """A Mastodon instance on 127.0.0.1 (see the module docstring). One account exists from
    the start (``username``/``access_token``); :meth:`add_account` makes more."""

    name = "fake-mastodon"

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0,
                 max_characters: int = DEFAULT_MAX_CHARACTERS,
                 characters_reserved_per_url: int = DEFAULT_URL_LENGTH,
                 username: str = "studiaperti", access_token: str | None = None,
                 rate_limit: int = 300, rate_period: int = 300,
                 status_limit: int = 300, status_period: int = 3 * 3600,
                 clock: Callable[[], datetime] | None = None,
                 version: str = "4.3.2", body_timeout: float = 10.0,
                 default_visibility: str = "public", silenced: bool = False) -> None:
        super().__init__(host=host, port=port, body_timeout=body_timeout)
        self.max_characters = max_characters
        self.characters_reserved_per_url = characters_reserved_per_url
        self.version = version
        self._clock = clock or (lambda: datetime.now(UTC))
        self._time_offset = timedelta()
        self._ids = itertools.count(1)
        self._last_status_id = 0
        self._accounts: dict[str, FakeAccount] = {}
        self._statuses: list[FakeStatus] = []
        #: Statuses deleted through the API, in the order they went.
        self.deleted: list[FakeStatus] = []
        self._idempotency: dict[tuple[str, str], tuple[str, datetime]] = {}
        self._faults: list[PostFault] = []
        self._api_window = _Window(rate_limit, rate_period)
        self._status_window = _Window(status_limit, status_period)
        self.account = self.add_account(username, access_token or secrets.token_urlsafe(24),
                                        default_visibility=default_visibility,
                                        silenced=silenced)

    # ---- time ----------------------------------------------------------------------------

    def now(self) -> datetime:
        return self._clock() + self._time_offset

    def advance_time(self, delta: timedelta) -> None:
        """Move the fake's clock (idempotency keys expire after one hour)."""
        with self.lock:
            self._time_offset += delta

    # ---- accounts --------------------------------------------------------------------------

    @property
    def access_token(self) -> str:
        """The first account's token."""
        return self.account.token

    def add_account(self, username: str, token: str | None = None, *,
                    scopes: tuple[str, ...] = ("read", "write"),
                    default_visibility: str = "public", silenced: bool = False
                    ) -> FakeAccount:
        """Another account with its own token (e.g. ``scopes=("read",)`` for a token that
        may not post), its default visibility and whether the instance silenced it."""
        if default_visibility not in VISIBILITIES:
            raise ValueError(f"default_visibility {default_visibility!r}: expected one of "
                             f"{', '.join(VISIBILITIES)}")
        with self.lock:
            account = FakeAccount(str(100000 + next(self._ids)), username,
                                  token or secrets.token_urlsafe(24), frozenset(scopes),
                                  display_name=username.capitalize(),
                                  default_visibility=default_visibility, silenced=silenced)
            self._accounts[account.token] = account
            return account

    def revoke_token(self, token: str | None = None) -> None:
        """The user revoked the app's access: the token gets 401 "was revoked"."""
        with self.lock:
            self._accounts[token or self.access_token].revoked = True

    def restore_token(self, token: str | None = None) -> None:
        """The token works again (the organizer authorised the app anew)."""
        with self.lock:
            self._accounts[token or self.access_token].revoked = False

    # ---- faults ----------------------------------------------------------------------------

    def fail_next_post(self, status: int, *, after_storing: bool = False,
                       message: str | None = None) -> None:
        """Answer the next post with ``status``; with ``after_storing``, store it first."""
        with self.lock:
            self._faults.append(PostFault("fail", after_storing, status=status, message=message))

    # ---- inspection ------------------------------------------------------------------------

    @property
    def statuses(self) -> list[FakeStatus]:
        """Every stored status (seeded ones included), oldest first."""
        with self.lock:
            return list(self._statuses)

    # ---- the sandbox's view (publisher/sandbox/platforms.py) ------------------------------

    @classmethod
    def for_sandbox(cls, *, port: int = 0, clock: Callable[[], datetime] | None = None
                    ) -> FakeMastodon:
        return cls(port=port, clock=clock)

    def sandbox_credentials(self) -> dict[str, Any]:
        return {"api_base_url": "https://mastodon.sandbox", "access_token": self.access_token}

    def posts_with(self, link: str) -> list[dict[str, Any]]:
        """The accounts' own posts (not boosts) whose text or card carries ``link``, as
        Status entities plus ``text`` (the source) and ``idempotency_key``."""
        with self.lock:
            found = [s for s in self._statuses
                     if s.reblog_of is None and (link in s.links or s.card_url == link)]
            return [{**self._status_json(s), "text": s.text,
                     "idempotency_key": s.idempotency_key} for s in found]

    def seed_status(self, text: str, *, account: FakeAccount | None = None,
                    created_at: datetime | None = None, card_url: str | None = None,
                    reblog: bool = False, visibility: str = "public") -> FakeStatus:
        """Put a status on a timeline directly (no request). ``reblog=True`` makes it a boost,
        by ``account``, of a status with ``text`` written by another account."""
        with self.lock:
            owner = account or self.account
            when = created_at or self.now()
            original = None
            if reblog:
                author = self.add_account(f"other{next(self._ids)}")
                original = self._store(author, text, when, card_url=card_url)
                text = ""
            return self._store(owner, text, when, card_url=None if reblog else card_url,
                               reblog_of=original, visibility=visibility)

    # ---- dispatch --------------------------------------------------------------------------

    def handle(self, request: Request) -> Response | Drop:
        path = request.path.rstrip("/") or "/"
        try:
            if request.method == "GET" and path == "/api/v2/instance":
                request.tag = "instance"
                return Response.json(200, self._instance_json())
            if request.method == "GET" and path == "/api/v1/accounts/verify_credentials":
                request.tag = "accounts.verify_credentials"
                account, headers = self._authenticate(request, READ_SCOPES)
                return Response.json(200, self._account_json(account, source=True), headers)
            match = re.fullmatch(r"/api/v1/accounts/([^/]+)/statuses", path)
            if request.method == "GET" and match:
                request.tag = "accounts.statuses"
                return self._account_statuses(request, match.group(1))
            if request.method == "POST" and path == "/api/v1/statuses":
                request.tag = "statuses.create"
                return self._post_status(request)
            match = re.fullmatch(r"/api/v1/statuses/([^/]+)", path)
            if request.method == "PUT" and match:
                request.tag = "statuses.update"
                status_id = match.group(1)
                return self._faulted(request, Endpoint.EDIT,
                                     lambda: self._update_status(request, status_id))
            if request.method == "DELETE" and match:
                request.tag = "statuses.delete"
                status_id = match.group(1)
                return self._faulted(request, Endpoint.DELETE,
                                     lambda: self._delete_status(request, status_id))
            raise _ApiError(404, "Record not found")
        except _ApiError as exc:
            request.notes.append(f"error: {exc.status} {exc.message}")
            return exc.response()

    # ---- auth and rate limits --------------------------------------------------------------

    def _token_of(self, request: Request) -> str | None:
        auth = request.header("authorization") or ""
        return auth[7:].strip() if auth.lower().startswith("bearer ") else None

    def _authenticate(self, request: Request, scopes: frozenset[str]
                      ) -> tuple[FakeAccount, list[tuple[str, str]]]:
        """The caller's account and the rate-limit headers of this request."""
        token = self._token_of(request)
        with self.lock:
            account = self._accounts.get(token) if token else None
            if account is None or account.revoked:
                problem = "was revoked" if account is not None else "is invalid"
                raise _ApiError(401, f"The access token {problem}", [(
                    "WWW-Authenticate", 'Bearer realm="Doorkeeper", error="invalid_token", '
                    f'error_description="The access token {problem}"')])
            if not account.scopes & scopes:
                raise _ApiError(403, "This action is outside the authorized scopes")
            headers = self._rate(account, self._api_window)
            return account, headers

    def _rate(self, account: FakeAccount, window: _Window) -> list[tuple[str, str]]:
        remaining, reset, allowed = window.hit(account.id, self.now())
        headers = [("X-RateLimit-Limit", str(window.limit)),
                   ("X-RateLimit-Remaining", str(remaining)),
                   ("X-RateLimit-Reset", _iso_us(reset))]
        if not allowed:
            raise _ApiError(429, "Too many requests", headers)
        return headers

    # ---- endpoints -------------------------------------------------------------------------

    def _post_status(self, request: Request) -> Response | Drop:
        account, headers = self._authenticate(request, WRITE_SCOPES)
        form = self._body(request)
        with self.lock:
            fault = self._next_fault()
        if fault is not None:
            request.notes.append(f"fault: {fault.kind} {fault.status or ''}".strip())
            if fault.kind == "rate":
                reset = self.now() + timedelta(seconds=fault.seconds)
                raise _ApiError(429, "Too many requests", [
                    ("X-RateLimit-Limit", str(self._status_window.limit)),
                    ("X-RateLimit-Remaining", "0"), ("X-RateLimit-Reset", _iso_us(reset))])
            if not fault.after_storing:
                return self._fault_answer(fault)
        with self.lock:
            status, created = self._create(account, request, form)
        if fault is not None:
            if fault.kind == "delay":
                time.sleep(fault.seconds)
            else:
                return self._fault_answer(fault)
        request.notes.append("created" if created else "idempotent repeat")
        return Response.json(200, self._status_json(status), headers)

    def _update_status(self, request: Request, status_id: str) -> Response:
        """``PUT /api/v1/statuses/:id`` as Mastodon's StatusesController#update does it:
        404 for a status that is not there (deleted), 403 "This action is not allowed" for
        another account's; ``status`` replaces the text (validated like a new post); media
        not named in ``media_ids`` are dropped (we model none); language, visibility and
        the idempotency key stay. An edit is recorded (``edited_at``, the history) only when
        the text changed: the same text again is a plain 200."""
        account, headers = self._authenticate(request, WRITE_SCOPES)
        form = self._body(request)
        with self.lock:
            status = next((s for s in self._statuses if s.id == status_id
                           and s.reblog_of is None), None)
            if status is None:
                raise _ApiError(404, "Record not found")
            if status.account_id != account.id:
                raise _ApiError(403, "This action is not allowed")
            text = str(form.get("status") or "")
            spoiler = str(form.get("spoiler_text") or status.spoiler_text)
            if not text.strip():
                raise _ApiError(422, "Validation failed: Text can't be blank")
            if status_length(text, spoiler, self.characters_reserved_per_url) \
                    > self.max_characters:
                raise _ApiError(422, "Validation failed: Text character limit of "
                                     f"{self.max_characters} exceeded")
            if text != status.text:
                status.edits.append(status.text)
                status.text = text
                status.edited_at = self.now()
                links = status.links
                status.card_url = links[0] if links else None  # reset_preview_card!
                request.notes.append("edited")
            else:
                request.notes.append("no change")
            return Response.json(200, self._status_json(status), headers)

    def delete_by_hand(self, status_id: str) -> None:
        """Someone deleted the status in the web interface."""
        with self.lock:
            self._statuses = [s for s in self._statuses if s.id != status_id]

    def _delete_status(self, request: Request, status_id: str) -> Response:
        """DELETE /api/v1/statuses/:id: the deleted status, with its source ``text`` (for a
        delete-and-redraft). The server looks among the caller's own statuses only, so a
        status that is gone and another account's both answer 404 "Record not found"."""
        account, headers = self._authenticate(request, WRITE_SCOPES)
        with self.lock:
            status = next((s for s in self._statuses
                           if s.id == status_id and s.account_id == account.id), None)
            if status is None:
                raise _ApiError(404, "Record not found")
            body = {**self._status_json(status), "text": status.text}
            self._statuses.remove(status)
            self.deleted.append(status)
        request.notes.append("deleted")
        return Response.json(200, body, headers)

    def _call_server_error(self, status: int) -> Response:
        answer = self._fault_answer(PostFault("fail", status=status))
        assert isinstance(answer, Response)
        return answer

    def _call_rate_limited(self, reset_in_s: int) -> Response:
        reset = self.now() + timedelta(seconds=reset_in_s)
        return _ApiError(429, "Too many requests", [
            ("X-RateLimit-Limit", "300"), ("X-RateLimit-Remaining", "0"),
            ("X-RateLimit-Reset", _iso_us(reset))]).response()

    def _fault_answer(self, fault: PostFault) -> Response | Drop:
        if fault.kind == "drop":
            return Drop()
        if fault.status >= 500 and fault.message is None:
            page = (f"<!DOCTYPE html><html><head><title>{fault.status}</title></head><body>"
                    "We're sorry, but something went wrong.</body></html>").encode()
            return Response(fault.status, page, [("Content-Type", "text/html; charset=utf-8")])
        return _ApiError(fault.status, fault.message or "Sandbox fault").response()

    def _body(self, request: Request) -> dict[str, Any]:
        content_type = (request.header("content-type") or "").lower()
        if "json" in content_type:
            try:
                payload = request.json()
            except ValueError as exc:
                raise _ApiError(400, f"Error occurred while parsing request parameters: {exc}") \
                    from exc
            return dict(payload) if isinstance(payload, dict) else {}
        raw = request.body.read_all(1024 * 1024).decode("utf-8", "replace")
        parsed = parse_qs(raw, keep_blank_values=True)
        return {k: (v if k.endswith("[]") else v[0]) for k, v in parsed.items()}

    def _create(self, account: FakeAccount, request: Request,
                form: dict[str, Any]) -> tuple[FakeStatus, bool]:
        """Validate and store (or find the idempotent original). Caller holds the lock."""
        key = request.header("idempotency-key")
        now = self.now()
        if key:
            known = self._idempotency.get((account.id, key))
            if known is not None and now - known[1] < IDEMPOTENCY_TTL:
                original = next((s for s in self._statuses if s.id == known[0]), None)
                if original is not None:
                    return original, False
        text = str(form.get("status") or "")
        spoiler = str(form.get("spoiler_text") or "")
        visibility = str(form.get("visibility") or account.default_visibility)
        if not text.strip() and not form.get("media_ids[]") and not form.get("media_ids"):
            raise _ApiError(422, "Validation failed: Text can't be blank")
        if visibility not in VISIBILITIES:
            raise _ApiError(422, "Visibility is not included in the list")
        if visibility == "public" and account.silenced:
            visibility = "unlisted"
        if status_length(text, spoiler, self.characters_reserved_per_url) > self.max_characters:
            raise _ApiError(422, "Validation failed: Text character limit of "
                                 f"{self.max_characters} exceeded")
        self._rate(account, self._status_window)  # 429 beyond 300 new posts per 3 h
        language = form.get("language") or None
        status = self._store(account, text, now, spoiler_text=spoiler, visibility=visibility,
                             language=str(language) if language else None,
                             sensitive=_truthy(form.get("sensitive", "0")),
                             idempotency_key=key or None, form=dict(form),
                             headers=dict(request.headers))
        if key:
            self._idempotency[(account.id, key)] = (status.id, now)
        return status, True

    def _store(self, account: FakeAccount, text: str, when: datetime, *,
               card_url: str | None = None, reblog_of: FakeStatus | None = None,
               **fields: Any) -> FakeStatus:
        links = [url for _, _, url in extract_urls(text)]
        status = FakeStatus(self._new_id(when), account.id, text, when,
                            card_url=card_url or (links[0] if links else None),
                            reblog_of=reblog_of, **fields)
        self._statuses.append(status)
        return status

    def _new_id(self, when: datetime) -> str:
        """Snowflake-like: milliseconds << 16, always increasing."""
        candidate = int(when.timestamp() * 1000) << 16
        self._last_status_id = max(candidate, self._last_status_id + 1)
        return str(self._last_status_id)

    def _account_statuses(self, request: Request, account_id: str) -> Response:
        token = self._token_of(request)
        viewer = None
        headers: list[tuple[str, str]] = []
        with self.lock:
            known = self._accounts.get(token) if token else None
        if known is not None and not known.revoked:
            viewer, headers = self._authenticate(request, READ_SCOPES)
        with self.lock:
            owner = next((a for a in self._accounts.values() if a.id == account_id), None)
            if owner is None:
                raise _ApiError(404, "Record not found")
            shown = [s for s in self._statuses if s.account_id == account_id
                     and (viewer is owner or s.visibility in ("public", "unlisted"))]
            page = self._page(request, shown)
            payload = [self._status_json(s) for s in page]
        link = self._link_header(account_id, page)
        if link:
            headers.append(("Link", link))
        return Response.json(200, payload, headers)

    def _page(self, request: Request, statuses: list[FakeStatus]) -> list[FakeStatus]:
        if _truthy(request.param("exclude_reblogs") or "0"):
            statuses = [s for s in statuses if s.reblog_of is None]
        if _truthy(request.param("exclude_replies") or "0"):
            statuses = [s for s in statuses if s.in_reply_to_id is None]
        try:
            limit = min(max(int(request.param("limit") or 20), 1), 40)
        except ValueError:
            limit = 20
        ordered = sorted(statuses, key=lambda s: int(s.id), reverse=True)
        if request.param("max_id"):
            ordered = [s for s in ordered if int(s.id) < int(request.param("max_id") or 0)]
        if request.param("since_id"):
            ordered = [s for s in ordered if int(s.id) > int(request.param("since_id") or 0)]
        if request.param("min_id"):
            newer = [s for s in ordered if int(s.id) > int(request.param("min_id") or 0)]
            return newer[-limit:]
        return ordered[:limit]

    def _link_header(self, account_id: str, page: list[FakeStatus]) -> str:
        if not page:
            return ""
        base = f"{self.root}api/v1/accounts/{account_id}/statuses"
        return (f'<{base}?max_id={page[-1].id}>; rel="next", '
                f'<{base}?min_id={page[0].id}>; rel="prev"')

    # ---- entities --------------------------------------------------------------------------

    def _instance_json(self) -> dict[str, Any]:
        domain = f"{self.host}:{self.port}"
        return {
            "domain": domain, "title": "Sandbox Mastodon", "version": self.version,
            "source_url": "https://github.com/mastodon/mastodon",
            "description": "A loopback fake for tests.",
            "usage": {"users": {"active_month": len(self._accounts)}},
            "thumbnail": {"url": f"{self.root}thumbnail.png"},
            "languages": ["it", "en"],
            "configuration": {
                "urls": {"streaming": f"ws://{domain}", "status": None},
                "accounts": {"max_featured_tags": 10, "max_pinned_statuses": 5},
                "statuses": {"max_characters": self.max_characters,
                             "max_media_attachments": 4,
                             "characters_reserved_per_url": self.characters_reserved_per_url},
                "media_attachments": {"supported_mime_types": ["image/jpeg", "image/png"],
                                      "image_size_limit": 16777216,
                                      "image_matrix_limit": 33177600,
                                      "video_size_limit": 103809024,
                                      "video_frame_rate_limit": 120,
                                      "video_matrix_limit": 8294400},
                "polls": {"max_options": 4, "max_characters_per_option": 50,
                          "min_expiration": 300, "max_expiration": 2629746},
                "translation": {"enabled": False},
            },
            "registrations": {"enabled": False, "approval_required": False, "message": None},
            "contact": {"email": "admin@example.org", "account": None},
            "rules": [],
            "api_versions": {"mastodon": 2},
        }

    def _account_json(self, account: FakeAccount, *, source: bool = False) -> dict[str, Any]:
        count = sum(1 for s in self._statuses if s.account_id == account.id)
        payload: dict[str, Any] = {
            "id": account.id, "username": account.username, "acct": account.username,
            "display_name": account.display_name, "locked": False, "bot": False,
            "discoverable": True, "group": False, "created_at": _iso_ms(account.created_at),
            "note": "", "url": f"{self.root}@{account.username}",
            "uri": f"{self.root}users/{account.username}",
            "avatar": f"{self.root}avatars/original/missing.png",
            "avatar_static": f"{self.root}avatars/original/missing.png",
            "header": f"{self.root}headers/original/missing.png",
            "header_static": f"{self.root}headers/original/missing.png",
            "followers_count": 0, "following_count": 0, "statuses_count": count,
            "last_status_at": None, "emojis": [], "fields": [],
        }
        if source:
            payload["source"] = {"privacy": account.default_visibility, "sensitive": False,
                                 "language": "it",
                                 "note": "", "fields": [], "follow_requests_count": 0}
        return payload

    def _status_json(self, status: FakeStatus) -> dict[str, Any]:
        account = next(a for a in self._accounts.values() if a.id == status.account_id)
        url = f"{self.root}@{account.username}/{status.id}"
        tags = [{"name": e.value, "url": f"{self.root}tags/{quote(e.value.lower())}"}
                for e in _entities(status.text) if e.kind == "hashtag"]
        card = None
        if status.card_url and status.reblog_of is None:
            card = {"url": status.card_url, "title": "", "description": "", "type": "link",
                    "author_name": "", "author_url": "", "provider_name": "",
                    "provider_url": "", "html": "", "width": 0, "height": 0, "image": None,
                    "embed_url": "", "blurhash": None}
        return {
            "id": status.id, "created_at": _iso_ms(status.created_at),
            "in_reply_to_id": status.in_reply_to_id, "in_reply_to_account_id": None,
            "sensitive": status.sensitive, "spoiler_text": status.spoiler_text,
            "visibility": status.visibility, "language": status.language,
            "uri": f"{self.root}users/{account.username}/statuses/{status.id}",
            "url": None if status.reblog_of else url,
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0,
            "edited_at": _iso_ms(status.edited_at) if status.edited_at else None,
            "favourited": False, "reblogged": False, "muted": False, "bookmarked": False,
            "pinned": False,
            "content": format_content(status.text, self.root) if status.text else "",
            "filtered": [],
            "reblog": self._status_json(status.reblog_of) if status.reblog_of else None,
            "application": {"name": "publisher", "website": None},
            "account": self._account_json(account),
            "media_attachments": [], "mentions": [], "tags": tags, "emojis": [],
            "card": card, "poll": None,
        }


__all__ = ["FakeAccount", "FakeMastodon", "FakeStatus", "countable_text", "extract_urls",
           "format_content", "status_length"]
