"""The X adapter (tweepy, API v2, OAuth 1.0a) against the loopback FakeX."""

from __future__ import annotations

import datetime as dt
import json
import logging
import socket
import unicodedata
from collections.abc import Iterator

import pytest

from publisher.platforms.base import PostContent, UnknownOutcome
from publisher.platforms.errors import AuthError, PermanentError, TransientError
from publisher.platforms.x import XPoster, carries_link, normalize_url
from publisher.sandbox.x import DUPLICATE, FakeX
from tests.adapter_contract import LINK, AdapterContract, sample_post


@pytest.fixture(autouse=True)
def _environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("PUBLISHER_X_API_ROOT", raising=False)


@pytest.fixture
def fake() -> Iterator[FakeX]:
    with FakeX() as server:
        yield server
        assert server.errors == []


@pytest.fixture
def adapter(fake: FakeX) -> XPoster:
    return XPoster(fake.settings(), api_root=fake.root, timeout=5)


@pytest.fixture
def bad_adapter(fake: FakeX) -> XPoster:
    settings = {**fake.settings(), "consumer_secret": "not-the-consumer-secret-42"}
    return XPoster(settings, api_root=fake.root, timeout=5)


class TestXContract(AdapterContract):
    pass


def _post(text: str, link: str = LINK) -> PostContent:
    return PostContent(text=text, link=link, title="t", description="d")


# ---- counting, as twitter-text v3 counts -------------------------------------------------

# From twitter-text's conformance/validate.yml, WeightedTweetsWithDiscountedEmojiCounterTest
# (the v3 configuration X uses).
CONFORMANCE = [
    ("Hi http://test.co", 26),
    ("http://test.co", 23),
    ("H\U0001F431\u263A\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466", 7),
    ("\U0001F637\U0001F47E\U0001F621\U0001F525\U0001F4A9", 10),
    ("\U0001F64B\U0001F3FD\U0001F468\u200D\U0001F3A4", 4),
    ("A\u0301B", 2),  # 'Á' is normalized into 1 char
    ("故人西辞黄鹤楼，烟花三月下扬州。" * 10, 320),
]


@pytest.mark.parametrize(("text", "expected"), CONFORMANCE)
def test_weighted_length_matches_twitter_text_conformance(adapter: XPoster, text: str,
                                                          expected: int) -> None:
    assert adapter.length(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Nicolò Désirée", 14),
    (unicodedata.normalize("NFD", "Nicolò Désirée"), 14),  # combining accents: NFC first
    ("Привет, мир", 11),                                    # Cyrillic weighs 1
    ("日本語のインタビュー", 20),                            # CJK weighs 2
    ("인터뷰", 6),                                            # Hangul weighs 2
    ("🏺", 2),
    ("👨‍👩‍👧‍👦", 2),                                              # one ZWJ sequence = one emoji
    ("🇮🇹", 2),
    ("…", 2),
    ("#Città #Perù #Ærø", 17),                               # accented hashtags: 1 each
    ("youtube.com", 23),                                     # a bare domain is a URL too
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL0ZPu8XSRTB7wZzn0mLHMvyzVFeRxbWn-"
     "&index=12&t=95s", 23),                                 # any URL: 23
])
def test_weighted_length_of_scripts_emoji_and_urls(adapter: XPoster, text: str,
                                                   expected: int) -> None:
    assert adapter.length(text) == expected


def test_the_sample_post_counts_its_url_as_23(adapter: XPoster) -> None:
    post = sample_post()
    before, _, after = post.text.partition(post.link)
    before = before.replace("🏺", "")
    assert adapter.length(post.text) == len(before) + 2 + 23 + len(after)


def test_the_limit_is_280_weighted(adapter: XPoster) -> None:
    assert adapter.max_length() == 280
    assert adapter.length("a" * 280) == 280
    assert adapter.length("あ" * 140) == 280
    assert adapter.length("あ" * 140 + "a") == 281
    assert adapter.length(f"{'a' * 256} {LINK}") == 280


def test_a_text_over_the_limit_is_refused_before_any_request(fake: FakeX,
                                                             adapter: XPoster) -> None:
    with pytest.raises(PermanentError, match="281 of 280"):
        adapter.publish(_post("あ" * 140 + "a"), adapter.new_handle())
    assert fake.requests == []


# ---- what goes on the wire ---------------------------------------------------------------

def test_publish_sends_the_text_signed_with_oauth1(fake: FakeX, adapter: XPoster) -> None:
    post = sample_post()
    posted = adapter.publish(post, adapter.new_handle())
    [stored] = fake.posts
    assert stored["request"] == {"text": post.text}
    assert posted.remote_id == stored["id"]
    assert posted.url == f"https://x.com/i/web/status/{stored['id']}"
    auth = stored["headers"]["authorization"]
    assert auth.startswith("OAuth ") and 'oauth_signature_method="HMAC-SHA1"' in auth
    assert f'oauth_consumer_key="{fake.keys.consumer_key}"' in auth
    for secret in (fake.keys.consumer_secret, fake.keys.access_token_secret):
        assert secret not in json.dumps(stored["headers"])
    assert "Tweepy/" in stored["headers"]["user-agent"]
    # X shows links as t.co: the match in lookup() is on the expanded URL, not the text.
    assert post.link not in stored["text"] and "https://t.co/" in stored["text"]
    assert stored["entities"]["urls"][0]["expanded_url"] == post.link
    assert [h["tag"] for h in stored["entities"]["hashtags"]] == [
        "StudiApertiOltreilLockdown", "CarraraUnescoCreativeCity", "Città"]


def test_lookup_reads_the_own_timeline_with_entities(fake: FakeX, adapter: XPoster) -> None:
    post = sample_post()
    adapter.publish(post, adapter.new_handle())
    fake.clear_requests()
    assert adapter.lookup(post, adapter.new_handle()) is not None
    assert adapter.lookup(post, adapter.new_handle()) is not None
    tags = [r.tag for r in fake.requests]
    assert tags == ["x.users.me", "x.users.tweets", "x.users.tweets"]  # the id is cached
    timeline = fake.requests[-1]
    assert timeline.path == f"/2/users/{fake.user_id}/tweets"
    assert "max_results=20" in timeline.query
    assert "tweet.fields=created_at%2Centities" in timeline.query
    assert "exclude=retweets%2Creplies" in timeline.query


def test_lookup_matches_the_link_not_a_similar_one(fake: FakeX, adapter: XPoster) -> None:
    other = "https://www.youtube.com/watch?v=dQw4w9WgXcQ2"
    adapter.publish(_post(f"Another interview {other}", other), adapter.new_handle())
    adapter.publish(_post("A post with no link at all"), adapter.new_handle())
    assert adapter.lookup(_post(f"x {LINK}"), adapter.new_handle()) is None
    posted = adapter.publish(_post("Ours: http://youtube.com/watch?v=dQw4w9WgXcQ"),
                             adapter.new_handle())
    found = adapter.lookup(_post(f"x {LINK}"), adapter.new_handle())  # https + www
    assert found is not None and found.remote_id == posted.remote_id


def test_url_normalization() -> None:
    assert normalize_url("https://www.YouTube.com/watch?v=a") == "youtube.com/watch?v=a"
    assert normalize_url("youtube.com/") == normalize_url("http://youtube.com")
    assert normalize_url("https://youtu.be/a?t=1") != normalize_url("https://youtu.be/a")
    tweet = {"entities": {"urls": [{"expanded_url": "https://t.co/x",
                                    "unwound_url": "https://youtu.be/a"}]}}
    assert carries_link(tweet, "http://youtu.be/a")
    assert not carries_link({"text": "https://youtu.be/a"}, "https://youtu.be/a")


# ---- no idempotency key: duplicates --------------------------------------------------------

def test_a_duplicate_refusal_returns_the_existing_post(fake: FakeX, adapter: XPoster) -> None:
    post = sample_post()
    first = adapter.publish(post, adapter.new_handle())
    again = adapter.publish(post, adapter.new_handle())
    assert again == first
    assert len(fake.posts_with(post.link)) == 1
    refused = [r for r in fake.requests if r.tag == "x.tweets.create" and r.status == 403]
    assert len(refused) == 1 and refused[0].notes == ("duplicate",)


def test_the_fake_answers_a_duplicate_in_xs_words(fake: FakeX, adapter: XPoster) -> None:
    import tweepy

    client = tweepy.Client(**fake.settings())
    client.session = adapter._api().session  # its mounts lead to the fake
    client.create_tweet(text="same words")
    with pytest.raises(tweepy.Forbidden) as info:
        client.create_tweet(text="same words")
    assert info.value.api_messages == [DUPLICATE]
    assert info.value.api_codes == []  # v2 has no error code 187


def test_a_duplicate_older_than_the_lookup_depth_needs_a_person(fake: FakeX) -> None:
    adapter = XPoster(fake.settings(), api_root=fake.root, timeout=5)
    adapter.lookup_depth = 5
    post = sample_post()
    adapter.publish(post, adapter.new_handle())
    for n in range(5):
        adapter.publish(_post(f"news number {n}"), adapter.new_handle())
    with pytest.raises(PermanentError) as info:
        adapter.publish(post, adapter.new_handle())
    assert info.value.reason == "duplicate_not_found"
    assert len(fake.posts_with(post.link)) == 1


# ---- errors ------------------------------------------------------------------------------

def test_the_24_hour_cap_gives_its_own_reset(fake: FakeX, adapter: XPoster) -> None:
    fake.rate_limit_next_post(3 * 3600, daily=True)
    before = dt.datetime.now(dt.UTC)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert info.value.retry_at is not None
    assert info.value.retry_at >= before + dt.timedelta(hours=3) - dt.timedelta(seconds=2)
    assert info.value.reason == "rate_limited"


def test_a_429_without_headers_waits_one_window(fake: FakeX, adapter: XPoster) -> None:
    fake.fail_next_post(429, after_storing=False)
    before = dt.datetime.now(dt.UTC)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert info.value.retry_at is not None
    assert info.value.retry_at - before >= dt.timedelta(minutes=14)


def test_revoked_keys_name_the_keys_not_their_values(fake: FakeX, adapter: XPoster) -> None:
    fake.revoke_credentials()
    with pytest.raises(AuthError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    message = str(info.value)
    assert "X" in message and "consumer_key" in message and "access_token_secret" in message
    for value in fake.settings().values():
        assert value not in message


def test_a_missing_key_is_named_before_any_request(fake: FakeX) -> None:
    settings = {**fake.settings(), "access_token_secret": "YOUR-X-ACCESS-TOKEN-SECRET"}
    from publisher.platforms.spec import get

    assert get("x").missing(settings) == ("access_token_secret",)
    adapter = XPoster(settings, api_root=fake.root)
    with pytest.raises(AuthError, match="access_token_secret is not set"):
        adapter.publish(sample_post(), adapter.new_handle())
    assert fake.requests == []


def test_a_bare_403_is_a_permission_problem(fake: FakeX, adapter: XPoster) -> None:
    fake.fail_next_post(403, after_storing=False)
    with pytest.raises(AuthError, match=r"Read and Write.*access_token"):
        adapter.publish(sample_post(), adapter.new_handle())


def test_other_4xx_are_permanent_with_xs_message(fake: FakeX, adapter: XPoster) -> None:
    fake.fail_next_post(400, after_storing=False)
    with pytest.raises(PermanentError, match="400: Bad Request"):
        adapter.publish(sample_post(), adapter.new_handle())


def test_no_credits_left_needs_a_person(fake: FakeX, adapter: XPoster) -> None:
    fake.fail_next_post(402, after_storing=False)
    with pytest.raises(AuthError, match="needs credits") as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert info.value.reason == "payment_required"


def test_a_read_failure_is_transient_not_unknown(fake: FakeX, adapter: XPoster) -> None:
    fake.fail_next_read(503)
    with pytest.raises(TransientError) as info:
        adapter.lookup(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, UnknownOutcome)


def test_connection_refused_is_transient_not_unknown() -> None:
    with FakeX() as gone:
        root, settings = gone.root, gone.settings()
    adapter = XPoster(settings, api_root=root, timeout=2)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, UnknownOutcome)
    assert info.value.reason == "unreachable"


def test_no_answer_in_time_is_an_unknown_outcome(fake: FakeX) -> None:
    with socket.socket() as silent:  # accepts connections (backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)
        root = f"http://127.0.0.1:{silent.getsockname()[1]}"
        adapter = XPoster(fake.settings(), api_root=root, timeout=0.3)
        with pytest.raises(UnknownOutcome):
            adapter.publish(sample_post(), adapter.new_handle())
        with pytest.raises(TransientError) as info:
            adapter.lookup(sample_post(), adapter.new_handle())
        assert not isinstance(info.value, UnknownOutcome)


# ---- configuration -------------------------------------------------------------------------

def test_the_env_variable_overrides_the_configured_root(fake: FakeX,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_X_API_ROOT", fake.root)
    adapter = XPoster(fake.settings(), api_root="http://127.0.0.1:9/")
    assert adapter.api_root == fake.root
    adapter.publish(sample_post(), adapter.new_handle())
    assert len(fake.posts) == 1


def test_no_proxy_is_honoured_for_the_rewritten_host(fake: FakeX,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    # requests picks proxies for tweepy's api.twitter.com URL; the adapter re-asks NO_PROXY.
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    adapter = XPoster(fake.settings(), api_root=fake.root, timeout=5)
    adapter.publish(sample_post(), adapter.new_handle())
    monkeypatch.setenv("NO_PROXY", "")
    proxied = XPoster(fake.settings(), api_root=fake.root, timeout=5)
    with pytest.raises(TransientError) as info:  # the dead proxy is really used
        proxied.lookup(sample_post(), proxied.new_handle())
    assert info.value.reason == "unreachable"


def test_secrets_never_reach_the_logs(fake: FakeX, adapter: XPoster,
                                      caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    post = sample_post()
    adapter.publish(post, adapter.new_handle())
    adapter.lookup(post, adapter.new_handle())
    assert "oauth_consumer_key" in caplog.text  # the libraries do log the header...
    for value in fake.settings().values():
        assert value not in caplog.text           # ...with the values blanked
