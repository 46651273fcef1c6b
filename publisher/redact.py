"""Keeping secrets out of log records and exception messages: the one redactor.

Every credential publisher handles is registered here when it is loaded (an adapter built
from credentials.json, the YouTube token file, the notification URLs), and every log record
created afterwards, by any logger (httpx, httplib2, urllib3, oauthlib, tweepy, google-auth,
apprise, ...), is rewritten before a handler sees it: a registered value becomes `<redacted>`,
and so do the shapes a secret takes in text even when its value is not known here:

* the Telegram Bot API path segment `/bot<token>` (`/bot<bot_token>` is left in its place);
* a password in a URL (`scheme://user:PASSWORD@host`);
* a `Bearer`/`OAuth` header value;
* the OAuth 1.0a parameters `oauth_consumer_key`, `oauth_token` and `oauth_signature` as
  oauthlib and requests-oauthlib log them (header, parameter list, signature base string);
* an `access_token=` (or similar) query or form parameter (Graph API paging URLs);
* a JSON Web Token.

`install()` (done by the CLI's logging setup, by the notifier, and by every `register`)
wraps the log record factory, so records are clean whichever logger makes them and whichever
handler receives them, and also puts `RedactFilter` on the root logger's handlers for
records built by hand. Adapters call `scrub()` on any text (a server's message, a library's
exception) before it goes into an exception message.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

MARK = "<redacted>"
#: Shorter values are not registered: replacing them in every log line would garble
#: ordinary text (`scrub` masks a caller's own secrets whatever their length).
MIN_LENGTH = 6

_lock = threading.Lock()
_known: set[str] = set()
_ordered: tuple[str, ...] = ()

#: OAuth 1.0a parameters that carry a credential (the consumer key, the access token) or,
#: with the PLAINTEXT method, both secrets (the signature).
_OAUTH_PARAM = r"(?<![A-Za-z_])oauth_(?:consumer_key|token|signature)(?![A-Za-z_])"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Telegram Bot API: https://api.telegram.org/bot123456:AAH.../sendMessage
    (re.compile(r"/bot\d+:[^/\s\"'?#]+"), "/bot<bot_token>"),
    # ... and a token of another shape (a malformed one), recognised by the method after it
    # (every Bot API method is camelCase: getMe, sendMessage).
    (re.compile(r"/bot[^/\s\"'?#]+(?=/[a-z]+[A-Z][A-Za-z]*(?![A-Za-z0-9_]))"),
     "/bot<bot_token>"),
    # A password in a URL's userinfo: mailtos://user:secret@host
    (re.compile(r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s\"']*:)[^@/\s\"']+@"),
     rf"\g<keep>{MARK}@"),
    # OAuth 1.0a, quoted: the Authorization header (oauth_token="...") and oauthlib's
    # "Collected params" list (('oauth_token', '...')).
    (re.compile(rf"(?P<keep>{_OAUTH_PARAM}(?:=|['\"],\s*)(?P<q>['\"]))[^'\"]+(?P=q)"),
     rf"\g<keep>{MARK}\g<q>"),
    # OAuth 1.0a, percent-encoded in oauthlib's "signature base string"
    # (...%26oauth_token%3D1500-abc%26oauth_version...).
    (re.compile(rf"(?P<keep>{_OAUTH_PARAM}%3D)(?:[A-Za-z0-9._~-]|%(?!26)[0-9A-F]{{2}})+",
                re.IGNORECASE),
     rf"\g<keep>{MARK}"),
    # Authorization header values (RFC 6750's b64token: letters, digits and -._~+/ then =).
    (re.compile(r"(?P<keep>\b(?:Bearer|OAuth)\s+)[A-Za-z0-9_.~+/=-]{8,}"), rf"\g<keep>{MARK}"),
    # Secrets as query or form parameters (Graph API paging URLs carry access_token=).
    (re.compile(r"(?P<keep>\b(?:access_token|refresh_token|client_secret|id_token|password|"
                r"app_password|oauth_token|oauth_consumer_key|oauth_signature|token)=)"
                r"[^&\s\"']+", re.IGNORECASE),
     rf"\g<keep>{MARK}"),
    # A JSON Web Token (Bluesky sessions, Google id tokens).
    (re.compile(r"\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*"), MARK),
)


def register(*values: object) -> None:
    """Remember secret values (strings; lists of strings are walked) so they are redacted.

    Also installs the logging redaction, so a process that handles a secret logs it never.
    """
    found: list[str] = []
    for value in values:
        if isinstance(value, str):
            found.append(value.strip())
            if "://" in value:  # a URL: its password too, as given and decoded
                try:
                    password = urlsplit(value.strip()).password
                except ValueError:
                    password = None
                if password:
                    found.extend((password, unquote(password)))
        elif isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
            register(*value)
    fresh = {form for v in found if len(v) >= MIN_LENGTH for form in _forms(v)} - _known
    if fresh:
        global _ordered
        with _lock:
            _known.update(fresh)
            _ordered = tuple(sorted(_known, key=len, reverse=True))
    install()


def reset() -> None:
    """Forget every registered value (a new process does not know them either)."""
    global _ordered
    with _lock:
        _known.clear()
        _ordered = ()


def redact(text: str) -> str:
    """`text` without any registered secret or secret-shaped part."""
    for pattern, replacement in _PATTERNS:  # first: they keep the shape (`/bot<bot_token>`)
        text = pattern.sub(replacement, text)
    for secret in _ordered:
        if secret in text:
            text = text.replace(secret, MARK)
    return text


def scrub(text: str, *secrets: object) -> str:
    """`text` fit for an exception message: `secrets` (the caller's own credential values;
    strings, however short, others ignored) masked wherever they appear, then `redact`.

    Adapters pass their credentials rather than trusting the registry alone: what `reset`
    forgot, or a value too short to register, is still masked in their messages.
    """
    values = {form for s in secrets if isinstance(s, str) and s.strip()
              for form in _forms(s.strip())}
    for secret in sorted(values, key=len, reverse=True):  # a longer one may hold a shorter
        text = text.replace(secret, MARK)
    return redact(text)


def _forms(secret: str) -> tuple[str, str]:
    """A secret as given, and percent-encoded (as in an OAuth header or a form body)."""
    return secret, quote(secret, safe="")


def _redact_value(value: object) -> object:
    if isinstance(value, str | int | float | bool) or value is None:
        return redact(value) if isinstance(value, str) else value
    text = str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


class RedactFilter(logging.Filter):
    """Rewrites a record in place: its message (with the args merged in), its exception text
    and its stack; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean_record(record)
        return True


def clean_record(record: logging.LogRecord) -> logging.LogRecord:
    if getattr(record, "_publisher_redacted", False):
        return record
    try:
        message = record.getMessage()
    except (TypeError, ValueError):  # malformed: keep the pieces, each one cleaned
        record.msg = redact(str(record.msg))
        if isinstance(record.args, tuple):
            record.args = tuple(_redact_value(a) for a in record.args)
    else:
        cleaned = redact(message)
        if cleaned != message:  # else left as it was (a handler may still want the args)
            record.msg, record.args = cleaned, None
    if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
        record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    setattr(record, "_publisher_redacted", True)  # noqa: B010
    return record


_FILTER = RedactFilter()


def install() -> None:
    """Redact every log record from now on (idempotent)."""
    factory = logging.getLogRecordFactory()
    if not getattr(factory, "publisher_redacts", False):
        previous: Callable[..., logging.LogRecord] = factory

        def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return clean_record(previous(*args, **kwargs))

        redacting_factory.publisher_redacts = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(redacting_factory)
    root = logging.getLogger()
    for handler in root.handlers:
        if _FILTER not in handler.filters:
            handler.addFilter(_FILTER)
