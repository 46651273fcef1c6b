"""TelegramPoster against FakeTelegram over 127.0.0.1: the shared contract, UTF-16 counting,
the wire format, and the bot token kept out of every error and log line."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import traceback
import unicodedata
from collections.abc import Iterator

import pytest

from publisher.platforms.base import CannotCheck, PostContent, UnknownOutcome
from publisher.platforms.errors import AuthError, PermanentError, PlatformError, TransientError
from publisher.platforms.telegram import TelegramPoster
from publisher.sandbox.telegram import FakeTelegram
from tests.adapter_contract import LINK, AdapterContract, sample_post

BAD_TOKEN = "7000000001:AAHthis-token-was-revoked-long-ago_0000"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("PUBLISHER_TELEGRAM_API_ROOT", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(body_timeout=2.0) as tg:
        yield tg
        assert tg.errors == [], tg.errors


def _poster(fake: FakeTelegram, token: str | None = None, chat_id: object = None,
            timeout: float = 5.0) -> TelegramPoster:
    settings = {"bot_token": token or fake.token, "chat_id": chat_id or fake.chat_username}
    return TelegramPoster(settings, api_root=fake.api_root, timeout=timeout)


@pytest.fixture
def adapter(fake: FakeTelegram) -> TelegramPoster:
    return _poster(fake)


@pytest.fixture
def bad_adapter(fake: FakeTelegram) -> TelegramPoster:
    return _poster(fake, token=BAD_TOKEN)


class TestTelegramContract(AdapterContract):
    can_check = False


# ---- counting -----------------------------------------------------------------------------

NICOLO_NFC = "Nicolò Désirée"
NICOLO_NFD = unicodedata.normalize("NFD", NICOLO_NFC)
LONG_URL = ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PLxA687tYuMWhkqYjvAGtW_heiEL4Hk_"
            "Lh&index=12&t=75s&si=Zr3kPq9x")


@pytest.mark.parametrize(("text", "units"), [
    ("🏺", 2),                       # outside the BMP: a surrogate pair
    ("👨‍👩‍👧‍👦", 11),          # 4 people (2 each) + 3 zero-width joiners
    ("🇮🇹", 4),                      # two regional indicators
    ("陶芸家の工房", 6),              # CJK is in the BMP: 1 each
    ("Керамистка из Каррары", 21),  # Cyrillic: 1 each
    (NICOLO_NFC, 14),                # precomposed ò é é
    (NICOLO_NFD, 17),                # the same name with combining accents: +3
    ("#Città", 6),
    ("#Carrara2026 #CittàCreativa", 27),
    (LONG_URL, len(LONG_URL)),       # Telegram does not shorten URLs
])
def test_counts_utf16_units(adapter: TelegramPoster, text: str, units: int) -> None:
    assert adapter.length(text) == units


def test_offsets_the_fake_reports_agree_with_our_count(fake: FakeTelegram,
                                                       adapter: TelegramPoster) -> None:
    post = sample_post()
    adapter.publish(post, adapter.new_handle())
    url = next(e for e in fake.posts[-1]["entities"] if e["type"] == "url")
    assert url["offset"] == adapter.length(post.text[:post.text.index(LINK)])
    assert url["length"] == adapter.length(LINK)
    tags = [e for e in fake.posts[-1]["entities"] if e["type"] == "hashtag"]
    assert tags[-1] == {"type": "hashtag", "offset": adapter.length(post.text) - 6, "length": 6}


def test_the_limit_is_4096_units_on_both_sides(fake: FakeTelegram,
                                               adapter: TelegramPoster) -> None:
    fits = "🏺" * 2048          # 2048 code points, 4096 UTF-16 units
    assert len(fits) == 2048 and adapter.length(fits) == adapter.max_length() == 4096
    adapter.publish(PostContent(fits, LINK, "t", "d"), adapter.new_handle())
    too_long = fits + "x"
    assert adapter.length(too_long) > adapter.max_length()
    with pytest.raises(PermanentError, match="message is too long") as info:
        adapter.publish(PostContent(too_long, LINK, "t", "d"), adapter.new_handle())
    assert not isinstance(info.value, TransientError)
    assert len(fake.posts) == 1


# ---- on the wire ----------------------------------------------------------------------------

def test_sends_chat_text_and_link_preview_as_json(fake: FakeTelegram,
                                                  adapter: TelegramPoster) -> None:
    post = sample_post()
    posted = adapter.publish(post, adapter.new_handle())
    stored = fake.posts[-1]
    assert stored["content_type"].startswith("application/json")
    assert stored["request"] == {
        "chat_id": "@studiaperti_sandbox", "text": post.text,
        "link_preview_options": {"url": LINK, "prefer_large_media": True}}
    assert "parse_mode" not in stored["request"]  # the text goes out literally
    assert posted.remote_id == str(stored["message_id"])
    assert posted.url == f"https://t.me/studiaperti_sandbox/{stored['message_id']}"
    assert [str(r) for r in fake.requests] == [f"POST /bot{fake.token}/sendMessage -> 200"]


def test_private_channel_by_numeric_id(fake: FakeTelegram) -> None:
    fake.chat_username = None
    poster = _poster(fake, chat_id=fake.chat_id)      # an int in credentials.json
    posted = poster.publish(sample_post(), poster.new_handle())
    assert fake.posts[-1]["request"]["chat_id"] == "-1001987654321"
    assert posted.url == f"https://t.me/c/1987654321/{posted.remote_id}"


def test_get_me_checks_the_token(fake: FakeTelegram, adapter: TelegramPoster) -> None:
    assert adapter.get_me()["username"] == fake.bot_username
    fake.revoke_token()
    with pytest.raises(AuthError, match="bot_token"):
        adapter.get_me()


def test_env_variable_overrides_the_configured_root(fake: FakeTelegram,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_TELEGRAM_API_ROOT", fake.api_root)
    poster = TelegramPoster({"bot_token": fake.token, "chat_id": fake.chat_username},
                            api_root="http://127.0.0.1:9/nowhere")
    poster.publish(sample_post(), poster.new_handle())
    assert len(fake.posts) == 1


# ---- errors -----------------------------------------------------------------------------------

def test_rate_limit_uses_retry_after(fake: FakeTelegram, adapter: TelegramPoster) -> None:
    fake.rate_limit_next_post(7)
    before = dt.datetime.now(dt.UTC)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert info.value.reason == "rate_limited"
    assert info.value.retry_at is not None
    assert before + dt.timedelta(seconds=6) <= info.value.retry_at
    assert info.value.retry_at <= before + dt.timedelta(seconds=9)


@pytest.mark.parametrize(("setup", "key"), [
    ("remove_bot", "telegram.chat_id"),
    ("unknown_chat", "telegram.chat_id"),
    ("malformed_token", "telegram.bot_token"),
])
def test_configuration_problems_name_the_key(fake: FakeTelegram, setup: str, key: str) -> None:
    poster = _poster(fake)
    if setup == "remove_bot":
        fake.remove_bot()
    elif setup == "unknown_chat":
        poster = _poster(fake, chat_id="@somebody_else")
    else:
        poster = _poster(fake, token="not-a-bot-token")
    with pytest.raises(AuthError) as info:
        poster.publish(sample_post(), poster.new_handle())
    assert key in str(info.value) and "Telegram" in str(info.value)
    assert fake.posts == []


@pytest.mark.parametrize(("chat_type", "answer"), [
    ("channel", "Bad Request: need administrator rights in the channel chat"),
    ("supergroup", "Bad Request: not enough rights to send text messages to the chat"),
])
def test_a_bot_without_the_right_to_post_must_be_made_administrator(chat_type: str,
                                                                    answer: str) -> None:
    with FakeTelegram(chat_type=chat_type) as tg:
        poster = _poster(tg)
        tg.demote_bot()
        with pytest.raises(AuthError) as info:
            poster.publish(sample_post(), poster.new_handle())
        assert [r.status for r in tg.requests] == [400]
        message = str(info.value)
        assert answer in message
        assert "make the bot an administrator of the channel" in message
        assert "right to post messages" in message
        assert info.value.reason == "no_post_rights" and tg.posts == []
        tg.promote_bot()
        poster.publish(sample_post(), poster.new_handle())
        assert len(tg.posts) == 1
        assert tg.errors == []


def test_unknown_outcome_then_no_lookup(fake: FakeTelegram, adapter: TelegramPoster) -> None:
    fake.fail_next_post(502, after_storing=True)
    with pytest.raises(UnknownOutcome):
        adapter.publish(sample_post(), adapter.new_handle())
    with pytest.raises(CannotCheck) as info:
        adapter.lookup(sample_post(), adapter.new_handle())
    assert LINK in str(info.value) and "@studiaperti_sandbox" in str(info.value)


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("fault", ["refused", "drop", "timeout", "500", "401", "429"])
def test_the_token_never_shows(fake: FakeTelegram, fault: str,
                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    poster = _poster(fake, timeout=0.3)
    expected: type[PlatformError] = UnknownOutcome
    if fault == "refused":
        poster.api_root = f"http://127.0.0.1:{_closed_port()}"
        expected = TransientError
    elif fault == "drop":
        fake.drop_next_post(after_storing=True)
    elif fault == "timeout":
        fake.delay_next_post(0.8)
    elif fault == "500":
        fake.fail_next_post(500, after_storing=False)
    elif fault == "401":
        fake.revoke_token()
        expected = AuthError
    else:
        fake.rate_limit_next_post(30)
        expected = TransientError
    with pytest.raises(PlatformError) as info:
        poster.publish(sample_post(), poster.new_handle())
    assert type(info.value) is expected, info.value
    if fault == "refused":
        assert not isinstance(info.value, UnknownOutcome)
    shown = "".join(traceback.format_exception(info.value)) + repr(info.value)
    assert fake.token not in shown
    # No chained httpx error (its request carries the URL, and so the token).
    assert info.value.__cause__ is None
    assert info.value.__context__ is None or info.value.__suppress_context__
    assert all(fake.token not in r.getMessage() for r in caplog.records)


def test_httpx_request_log_is_redacted(fake: FakeTelegram, adapter: TelegramPoster,
                                       caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="httpx")
    adapter.publish(sample_post(), adapter.new_handle())
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert any("/bot<bot_token>/sendMessage" in line for line in lines), lines
    assert all(fake.token not in line for line in lines)


def test_scrub_handles_known_tokens_and_paths(fake: FakeTelegram) -> None:
    poster = _poster(fake, token="1:ABC")
    assert poster.scrub("POST http://h/bot1:ABC/sendMessage") == \
        "POST http://h/bot<bot_token>/sendMessage"
    assert poster.scrub("token 1:ABC in text") == "token <redacted> in text"


@pytest.mark.parametrize("suffix", ["\n", "/x", " "])
def test_a_mangled_token_is_refused_before_sending(fake: FakeTelegram, suffix: str) -> None:
    poster = _poster(fake, token=fake.token + suffix)
    with pytest.raises(AuthError, match=r"telegram\.bot_token") as info:
        poster.publish(sample_post(), poster.new_handle())
    assert fake.token not in str(info.value)
    assert fake.requests == []
