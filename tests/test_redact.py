"""publisher.redact, the one redactor: each shape of secret it masks, the values it is told
about, the adapters' `scrub`, and the log redaction reaching every logger.

Each test covers one case a former adapter-local filter handled (Telegram's `/bot<token>`
rewriting of httpx lines, X's blanking of the OAuth keys in oauthlib's logs, the `_scrub`
helpers of Mastodon and Facebook) or a shape added with them, and fails if that case is
dropped from the redactor. The secret values are unregistered unless a test registers them.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest

from publisher import redact
from publisher.platforms.facebook import FacebookPoster
from publisher.platforms.mastodon import MastodonPoster
from publisher.platforms.telegram import TelegramPoster
from publisher.platforms.x import XPoster

BOT_TOKEN = "5839201746:AAGtElEgRaMsEcReT_q9Z-x7Y3w1V5u"
CONSUMER_KEY = "xCkEy9Rt2LmQpWvA"
ACCESS_TOKEN = "1500000000000000001-xAtOk7Jj3KkLlMm"
PAGE_TOKEN = "EAAFbPaGeToKeN7q3Z9xW1vB5nM2kL8"


class Lines(logging.Handler):
    """The messages of the records it receives, as a handler sees them."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture(autouse=True)
def _pristine() -> Iterator[None]:
    """No registered value before a test; the logging setup as it was after it."""
    factory = logging.getLogRecordFactory()
    root_filters = {h: list(h.filters) for h in logging.getLogger().handlers}
    redact.reset()
    yield
    redact.reset()
    logging.setLogRecordFactory(factory)
    for handler, filters in root_filters.items():
        handler.filters[:] = filters


@pytest.fixture
def listen() -> Iterator[Callable[[str], Lines]]:
    """`listen(name)`: a handler on that logger alone (not the root's), at DEBUG."""
    attached: list[tuple[logging.Logger, Lines, int]] = []

    def attach(name: str) -> Lines:
        logger, handler = logging.getLogger(name), Lines()
        attached.append((logger, handler, logger.level))
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
        return handler

    yield attach
    for logger, handler, level in attached:
        logger.removeHandler(handler)
        logger.setLevel(level)


# ---- Telegram: the bot token in Bot API paths ----------------------------------------------

def test_a_bot_token_in_a_path_is_masked_keeping_the_path() -> None:
    assert redact.redact(f'HTTP Request: POST https://api.telegram.org/bot{BOT_TOKEN}/sendMessage'
                         ' "HTTP/1.1 200 OK"') == \
        'HTTP Request: POST https://api.telegram.org/bot<bot_token>/sendMessage "HTTP/1.1 200 OK"'
    # No method after it (apprise's base URL): the token's own shape tells.
    assert redact.redact(f"Telegram URL: https://api.telegram.org/bot{BOT_TOKEN}/") == \
        "Telegram URL: https://api.telegram.org/bot<bot_token>/"


def test_a_malformed_bot_token_before_a_method_is_masked() -> None:
    # No `<id>:` prefix, and too short to be registered: only the method after it tells.
    assert redact.redact("POST http://127.0.0.1:8081/botAAH_x/getMe failed") == \
        "POST http://127.0.0.1:8081/bot<bot_token>/getMe failed"
    assert redact.redact("GET https://studio.test/bottega/foto.jpg") == \
        "GET https://studio.test/bottega/foto.jpg"  # no method after it: an ordinary path


def test_the_httpx_logger_is_redacted_once_installed(
        listen: Callable[[str], Lines]) -> None:
    httpx_lines = listen("httpx")
    redact.install()
    logging.getLogger("httpx").info('HTTP Request: %s %s "%s"', "POST",
                                    f"http://127.0.0.1:1/bot{BOT_TOKEN}/sendMessage",
                                    "HTTP/1.1 200 OK")
    assert httpx_lines.lines == [
        'HTTP Request: POST http://127.0.0.1:1/bot<bot_token>/sendMessage "HTTP/1.1 200 OK"']


def test_telegram_errors_lose_the_token_whatever_its_shape() -> None:
    poster = TelegramPoster({"bot_token": "1:AB", "chat_id": "@c"})  # too short to register
    assert poster.scrub("the token 1:AB was refused") == f"the token {redact.MARK} was refused"


# ---- X: the OAuth 1.0a keys in oauthlib's and requests-oauthlib's logs ---------------------

def test_registered_keys_are_masked_in_the_oauth_libraries_logs(
        listen: Callable[[str], Lines]) -> None:
    oauthlib_lines, tweepy_lines = listen("oauthlib.oauth1.rfc5849"), listen("tweepy.client")
    XPoster({"consumer_key": CONSUMER_KEY, "consumer_secret": "xCsEc4Hh8NnBbVvCcXxZz01",
             "access_token": ACCESS_TOKEN, "access_token_secret": "xAtSeC5Gg6Ff7Dd8Ss9Aa0"})
    logging.getLogger("oauthlib.oauth1.rfc5849").debug(
        "Collected params: %s", [("oauth_nonce", "123"), ("consumer", CONSUMER_KEY)])
    logging.getLogger("tweepy.client").debug("token %s", ACCESS_TOKEN)
    assert oauthlib_lines.lines == [
        f"Collected params: [('oauth_nonce', '123'), ('consumer', '{redact.MARK}')]"]
    assert tweepy_lines.lines == [f"token {redact.MARK}"]


def test_a_registered_value_is_masked_percent_encoded_too() -> None:
    secret = "k3y+with/slash="
    redact.register(secret)
    assert quote(secret, safe="") != secret
    assert redact.redact(f"body: secret={quote(secret, safe='')}&x=1") == \
        f"body: secret={redact.MARK}&x=1"


@pytest.mark.parametrize("text", [
    # requests-oauthlib's "Updated headers"
    f"{{'Authorization': 'OAuth oauth_nonce=\"1\", oauth_consumer_key=\"{CONSUMER_KEY}\", "
    f"oauth_token=\"{ACCESS_TOKEN}\", oauth_signature=\"s1Gn%2BaTuRe%3D\"'}}",
    # oauthlib's "Collected params"
    f"[('oauth_consumer_key', '{CONSUMER_KEY}'), ('oauth_token', '{ACCESS_TOKEN}'), "
    "('oauth_signature', 's1Gn+aTuRe=')]",
], ids=["header", "param-list"])
def test_quoted_oauth_parameters_are_masked(text: str) -> None:
    cleaned = redact.redact(text)
    for value in (CONSUMER_KEY, ACCESS_TOKEN, "s1Gn"):
        assert value not in cleaned, cleaned
    assert cleaned.count(redact.MARK) >= 3, cleaned


def test_oauth_parameters_in_a_signature_base_string_are_masked() -> None:
    base = ("POST&https%3A%2F%2Fapi.twitter.com%2F2%2Ftweets&"
            f"oauth_consumer_key%3D{CONSUMER_KEY}%26oauth_nonce%3D42%26"
            f"oauth_signature_method%3DHMAC-SHA1%26oauth_token%3D{quote(ACCESS_TOKEN)}%2Bx")
    assert redact.redact(f"Signing: signature base string: {base}") == (
        "Signing: signature base string: POST&https%3A%2F%2Fapi.twitter.com%2F2%2Ftweets&"
        f"oauth_consumer_key%3D{redact.MARK}%26oauth_nonce%3D42%26"
        f"oauth_signature_method%3DHMAC-SHA1%26oauth_token%3D{redact.MARK}")


def test_oauth_parameters_in_a_query_string_are_masked() -> None:
    assert redact.redact(f"Normalized params: oauth_consumer_key={CONSUMER_KEY}&oauth_nonce=42"
                         f"&oauth_token={ACCESS_TOKEN}") == \
        f"Normalized params: oauth_consumer_key={redact.MARK}&oauth_nonce=42" \
        f"&oauth_token={redact.MARK}"


# ---- Facebook: the Page token in Graph URLs and answers ------------------------------------

def test_an_access_token_query_parameter_is_masked() -> None:
    assert redact.redact("GET https://graph.facebook.com/v24.0/1/published_posts?limit=100"
                         f"&access_token={PAGE_TOKEN}&after=QVFI") == \
        "GET https://graph.facebook.com/v24.0/1/published_posts?limit=100" \
        f"&access_token={redact.MARK}&after=QVFI"


def test_facebook_errors_lose_the_page_token_even_if_forgotten() -> None:
    poster = FacebookPoster({"page_id": "1", "page_access_token": PAGE_TOKEN})
    redact.reset()  # the registry forgot it (a new process): the adapter still knows it
    assert poster.scrub(f"Invalid OAuth access token - Cannot parse {PAGE_TOKEN}") == \
        f"Invalid OAuth access token - Cannot parse {redact.MARK}"


# ---- Mastodon: every secret field in a server's message ------------------------------------

def test_mastodon_errors_lose_every_secret_field(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(MastodonPoster, "secret_fields", ("access_token", "client_secret"))
    poster = MastodonPoster({"api_base_url": "https://m.test", "access_token": "mAsToKeN-3x7",
                             "client_secret": "cLiEnT-9q2"})
    redact.reset()  # the registry forgot them: the adapter still knows them
    assert poster.scrub("Validation failed: token mAsToKeN-3x7, secret cLiEnT-9q2") == \
        f"Validation failed: token {redact.MARK}, secret {redact.MARK}"


def test_scrub_masks_the_longer_of_two_overlapping_secrets_whole() -> None:
    assert redact.scrub("key abcdef-123", "abcdef", "abcdef-123") == f"key {redact.MARK}"


# ---- the other shapes ----------------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("mailtos://user:Pa55w0rd-x@mail.test?to=a@b.test",
     f"mailtos://user:{redact.MARK}@mail.test?to=a@b.test"),
    ("Authorization: Bearer ya29.a0AfB_byC-longtoken", f"Authorization: Bearer {redact.MARK}"),
    ("session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJkaWQ6cGxjIn0.c2lnbmF0dXJl ok",
     f"session {redact.MARK} ok"),
], ids=["url-password", "bearer", "jwt"])
def test_other_secret_shapes_are_masked(text: str, expected: str) -> None:
    assert redact.redact(text) == expected


# ---- installed once, by publisher.redact -----------------------------------------------------

def test_no_adapter_puts_a_filter_of_its_own_on_a_library_logger() -> None:
    for module in ("bluesky", "facebook", "mastodon", "telegram", "x", "youtube.auth",
                   "youtube.client", "youtube.errors", "youtube.upload"):
        importlib.import_module(f"publisher.platforms.{module}")
    for name in ("httpx", "httpcore", "urllib3", "requests_oauthlib.oauth1_auth",
                 "oauthlib.oauth1.rfc5849", "oauthlib.oauth1.rfc5849.signature",
                 "tweepy.client", "mastodon", "atproto"):
        assert logging.getLogger(name).filters == [], name
