"""Mastodon: the shared adapter contract, plus counting, idempotency, lookup and errors, with
the real Mastodon.py client against the loopback fake."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest

from publisher.platforms.base import CannotCheck, PostContent, UnknownOutcome
from publisher.platforms.errors import AuthError, PermanentError, TransientError
from publisher.platforms.mastodon import MastodonPoster, _parse_reset, links_in_html
from publisher.sandbox.mastodon import FakeMastodon, status_length
from tests.adapter_contract import LINK, AdapterContract, sample_post

ENV = "PUBLISHER_MASTODON_API_ROOT"


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


@pytest.fixture
def fake() -> Iterator[FakeMastodon]:
    with FakeMastodon() as server:
        yield server
    assert server.errors == []


def make_adapter(root: str, token: str, *, timeout: float = 5.0) -> MastodonPoster:
    return MastodonPoster({"api_base_url": root, "access_token": token}, timeout=timeout)


@pytest.fixture
def adapter(fake: FakeMastodon) -> MastodonPoster:
    return make_adapter(fake.root, fake.access_token)


@pytest.fixture
def bad_adapter(fake: FakeMastodon) -> MastodonPoster:
    return make_adapter(fake.root, "a-token-this-instance-never-issued")


class TestMastodonContract(AdapterContract):
    pass


def post_with(text: str, link: str = LINK) -> PostContent:
    return PostContent(text=text, link=link, title="t", description="d", language="it")


# ---- counting ----------------------------------------------------------------------------

NICOLO = "Nicolo\u0300 De\u0301sire\u0301e"  # decomposed: 17 code points, 14 graphemes

COUNTED = [
    (NICOLO, 14),
    ("Nicolò Désirée", 14),                               # precomposed
    ("👨‍👩‍👧‍👦 🏺 🇮🇹 👍🏽", 7),                                 # ZWJ family, flag, skin tone
    ("陶芸家のインタビュー", 10),
    ("Новое интервью с керамистом", 27),
    ("Guarda https://www.youtube.com/watch?v=dQw4w9WgXcQ&list=PL" + "x" * 200, 7 + 23),
    ("http://example.org/a https://youtu.be/b", 23 + 1 + 23),
    ("#Città #Nicolo\u0300 #De\u0301sire\u0301e #陶芸", 6 + 1 + 7 + 1 + 8 + 1 + 3),
    ("ciao @maria@ceramica.example e @luca", 5 + 6 + 3 + 5),
    (sample_post().text, 45 + 1 + 23 + 1 + 27 + 1 + 26 + 1 + 6),
]


@pytest.mark.parametrize(("text", "expected"), COUNTED,
                         ids=[f"case{i}" for i in range(len(COUNTED))])
def test_counts_like_the_server(adapter: MastodonPoster, text: str, expected: int) -> None:
    assert adapter.length(text) == expected
    assert status_length(text) == expected  # the fake's own (server-side) counting


def test_the_limit_is_enforced_the_same_way_on_both_sides(fake: FakeMastodon,
                                                         adapter: MastodonPoster) -> None:
    head = f"{NICOLO} 陶芸 👨‍👩‍👧‍👦 {LINK} "
    text = head + "🏺" * (500 - adapter.length(head))
    assert adapter.length(text) == 500 and len(text) > 500
    adapter.publish(post_with(text), adapter.new_handle())
    longer = text + "e\u0301"
    assert adapter.length(longer) == 501
    with pytest.raises(PermanentError, match="character limit of 500 exceeded") as info:
        adapter.publish(post_with(longer), adapter.new_handle())
    assert not isinstance(info.value, TransientError)
    assert len(fake.posts_with(LINK)) == 1


def test_trailing_punctuation_after_a_link(adapter: MastodonPoster) -> None:
    text = f"Guarda {LINK}."
    assert status_length(text) == 7 + 23 + 1
    assert adapter.length(text) == status_length(text)


def test_limits_come_from_the_instance_and_are_cached() -> None:
    with FakeMastodon(max_characters=1000, characters_reserved_per_url=30) as server:
        adapter = make_adapter(server.root, server.access_token)
        assert adapter.max_length() == 1000
        assert adapter.length("a https://example.org/b") == 2 + 30
        assert adapter.max_length() == 1000
        assert [r.path for r in server.requests] == ["/api/v2/instance/"]


def test_unreadable_limits_fall_back_to_the_defaults() -> None:
    with FakeMastodon() as server:
        root = server.root
    offline = make_adapter(root, "token", timeout=1)  # the port is closed now
    assert offline.max_length() == 500
    assert offline.length("a https://example.org/b") == 2 + 23
    assert MastodonPoster({}).max_length() == 500


# ---- what goes on the wire -----------------------------------------------------------------

def test_what_is_sent(fake: FakeMastodon, adapter: MastodonPoster) -> None:
    post = sample_post()
    handle = adapter.new_handle()
    posted = adapter.publish(post, handle)
    sent = fake.statuses[-1]
    # Visibility is always sent: without it the account's own default would decide.
    assert sent.form == {"status": post.text, "sensitive": "0", "language": "it",
                         "visibility": "public"}
    assert sent.visibility == "public"
    assert sent.headers["idempotency-key"] == handle
    assert sent.headers["authorization"] == f"Bearer {fake.access_token}"
    assert sent.headers["content-type"] == "application/x-www-form-urlencoded"
    assert posted.remote_id == sent.id
    assert posted.url == f"{fake.root}@{fake.account.username}/{sent.id}"
    assert fake.requests[-1].path == "/api/v1/statuses"


@pytest.mark.parametrize("account_default", ["unlisted", "private"])
def test_posts_are_public_whatever_the_accounts_default(account_default: str) -> None:
    from mastodon import Mastodon

    with FakeMastodon(default_visibility=account_default) as server:
        # The server's own rule, seen with the bare client: no visibility, the account's.
        bare = Mastodon(api_base_url=server.root, access_token=server.access_token,
                        version_check_mode="none")
        bare.status_post("Senza visibilità https://youtu.be/bare")
        assert server.statuses[-1].visibility == account_default
        assert bare.account_verify_credentials()["source"]["privacy"] == account_default
        adapter = make_adapter(server.root, server.access_token)
        adapter.publish(sample_post(), adapter.new_handle())
        [post] = server.posts_with(LINK)
        assert post["visibility"] == "public"
        assert server.errors == []


def test_a_silenced_account_posts_unlisted() -> None:
    with FakeMastodon(silenced=True) as server:
        adapter = make_adapter(server.root, server.access_token)
        adapter.publish(sample_post(), adapter.new_handle())
        assert server.posts_with(LINK)[0]["visibility"] == "unlisted"
        assert server.statuses[-1].form["visibility"] == "public"


@pytest.mark.parametrize("visibility", ["unlisted", "private", "direct"])
def test_the_visibility_can_be_chosen(fake: FakeMastodon, visibility: str) -> None:
    adapter = MastodonPoster({"api_base_url": fake.root, "access_token": fake.access_token},
                             timeout=5.0, visibility=visibility)
    posted = adapter.publish(sample_post(), adapter.new_handle())
    assert fake.statuses[-1].visibility == visibility
    assert adapter.lookup(sample_post(), "k") == posted  # the account sees its own posts


def test_an_unknown_visibility_is_refused_naming_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match=r"\[mastodon\] visibility: expected one of public, "
                                         r"unlisted, private, direct, found 'friends'"):
        MastodonPoster({}, visibility="friends")


def test_publisher_toml_sets_the_visibility(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from types import SimpleNamespace

    from publisher.config import load_config
    from publisher.credentials import load_credentials
    from publisher.errors import ConfigError
    from publisher.pipeline.crosspost import default_poster_factory
    from publisher.resources import resource

    toml = tmp_path / "publisher.toml"
    original = resource("publisher.toml").read_text()
    toml.write_text(original)
    rt = SimpleNamespace(config=load_config(toml), home=SimpleNamespace(path=tmp_path),
                         credentials=load_credentials(resource("credentials.example.json")))
    monkeypatch.delenv(ENV, raising=False)
    adapter = default_poster_factory(rt, "mastodon")  # type: ignore[arg-type]
    assert isinstance(adapter, MastodonPoster) and adapter.visibility == "public"

    toml.write_text(original + '\n[mastodon]\nvisibility = "unlisted"\n')
    rt.config = load_config(toml)
    adapter = default_poster_factory(rt, "mastodon")  # type: ignore[arg-type]
    assert isinstance(adapter, MastodonPoster) and adapter.visibility == "unlisted"
    assert default_poster_factory(rt, "bluesky") is not None   # others take no such key

    toml.write_text(original + '\n[mastodon]\nvisibility = "friends"\n')
    with pytest.raises(ConfigError) as info:
        load_config(toml)
    message = str(info.value)
    assert "mastodon.visibility" in message and "'friends'" in message
    assert "public, unlisted, private, direct" in message
    toml.write_text(original + '\n[bluesky]\nvisibility = "public"\n')
    with pytest.raises(ConfigError, match="visibility"):
        load_config(toml)


def test_env_variable_overrides_the_instance(fake: FakeMastodon,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV, fake.root)
    adapter = make_adapter("https://mastodon.example", fake.access_token)
    assert adapter.api_root == fake.root
    adapter.publish(sample_post(), adapter.new_handle())
    assert len(fake.posts_with(LINK)) == 1


# ---- idempotency -------------------------------------------------------------------------

def test_same_handle_within_the_hour_returns_the_same_status(fake: FakeMastodon,
                                                            adapter: MastodonPoster) -> None:
    handle = adapter.new_handle()
    fake.drop_next_post(after_storing=True)
    with pytest.raises(UnknownOutcome):
        adapter.publish(sample_post(), handle)
    again = adapter.publish(sample_post(), handle)  # a blind retry, even: no second post
    assert [p["id"] for p in fake.posts_with(LINK)] == [again.remote_id]
    assert fake.requests[-1].notes == ("idempotent repeat",)


def test_lookup_outlives_the_idempotency_key(fake: FakeMastodon,
                                             adapter: MastodonPoster) -> None:
    handle = adapter.new_handle()
    fake.fail_next_post(502, after_storing=True)
    with pytest.raises(UnknownOutcome):
        adapter.publish(sample_post(), handle)
    fake.advance_time(dt.timedelta(hours=2))  # the server forgot the key
    found = adapter.lookup(sample_post(), handle)
    assert found is not None and found.remote_id == fake.posts_with(LINK)[0]["id"]
    # ...which is why the pipeline looks up first: the key alone would now post again.
    adapter.publish(sample_post(), handle)
    assert len(fake.posts_with(LINK)) == 2


def test_timeout_after_storing_is_an_unknown_outcome(fake: FakeMastodon) -> None:
    adapter = make_adapter(fake.root, fake.access_token, timeout=0.3)
    fake.delay_next_post(1.0)
    with pytest.raises(UnknownOutcome):
        adapter.publish(sample_post(), adapter.new_handle())
    assert adapter.lookup(sample_post(), "any") is not None


# ---- lookup --------------------------------------------------------------------------------

def test_lookup_reads_links_from_the_html(fake: FakeMastodon, adapter: MastodonPoster) -> None:
    link = "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=42s"
    posted = adapter.publish(post_with(f"Nuova intervista {link} #Città", link), "k")
    content = fake.posts_with(link)[0]["content"]
    assert "&amp;t=42s" in content and '<span class="invisible">https://www.</span>' in content
    assert links_in_html(content)[0] == link
    assert adapter.lookup(post_with("", link), "other") == posted


def test_lookup_does_not_match_a_longer_link(adapter: MastodonPoster) -> None:
    adapter.publish(post_with(f"Intervista {LINK}123"), adapter.new_handle())
    assert adapter.lookup(sample_post(), adapter.new_handle()) is None


def test_lookup_pages_through_the_timeline(fake: FakeMastodon, adapter: MastodonPoster) -> None:
    posted = adapter.publish(sample_post(), adapter.new_handle())
    for n in range(100):
        fake.seed_status(f"Aggiornamento {n}")
    assert adapter.lookup(sample_post(), "k") == posted
    pages = [r for r in fake.requests if r.path.endswith("/statuses") and r.method == "GET"]
    assert len(pages) == 3 and all("exclude_reblogs=1" in r.query for r in pages)


def test_lookup_gives_up_rather_than_guess(fake: FakeMastodon, adapter: MastodonPoster) -> None:
    adapter.publish(sample_post(), adapter.new_handle())
    for n in range(100):
        fake.seed_status(f"Aggiornamento {n}")
    adapter.lookup_pages = 2
    with pytest.raises(CannotCheck, match="last 80 statuses"):
        adapter.lookup(sample_post(), "k")


def test_lookup_matches_the_card_url(fake: FakeMastodon, adapter: MastodonPoster) -> None:
    status = fake.seed_status("Nuova intervista https://youtu.be/dQw4w9WgXcQ", card_url=LINK)
    found = adapter.lookup(sample_post(), "k")
    assert found is not None and found.remote_id == status.id


def test_lookup_ignores_boosts_and_other_accounts(fake: FakeMastodon,
                                                 adapter: MastodonPoster) -> None:
    fake.seed_status(sample_post().text, reblog=True)
    other = fake.add_account("someone")
    fake.seed_status(sample_post().text, account=other)
    fake.seed_status("Un altro post")
    assert adapter.lookup(sample_post(), "k") is None


# ---- errors --------------------------------------------------------------------------------

def test_rate_limit_window_is_reported_with_its_reset() -> None:
    with FakeMastodon(rate_limit=1) as server:
        adapter = make_adapter(server.root, server.access_token)
        adapter.publish(sample_post(), adapter.new_handle())
        with pytest.raises(TransientError) as info:
            adapter.publish(sample_post("https://youtu.be/other"), adapter.new_handle())
        error = info.value
        assert not isinstance(error, UnknownOutcome)
        now = dt.datetime.now(dt.UTC)
        assert error.retry_at is not None
        assert now - dt.timedelta(seconds=2) <= error.retry_at <= now + dt.timedelta(minutes=5)
        assert server.requests[-1].status == 429
        assert server.posts_with("https://youtu.be/other") == []


def test_posting_limit_counts_new_posts_only() -> None:
    with FakeMastodon(status_limit=1) as server:
        adapter = make_adapter(server.root, server.access_token)
        handle = adapter.new_handle()
        first = adapter.publish(sample_post(), handle)
        assert adapter.publish(sample_post(), handle) == first  # a repeat is not a new post
        with pytest.raises(TransientError) as info:
            adapter.publish(sample_post("https://youtu.be/other"), adapter.new_handle())
        retry_at = info.value.retry_at
        now = dt.datetime.now(dt.UTC)
        assert retry_at is not None and now <= retry_at <= now + dt.timedelta(hours=3)
        assert len(server.statuses) == 1


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_errors_after_storing_are_unknown(fake: FakeMastodon, adapter: MastodonPoster,
                                                 status: int) -> None:
    fake.fail_next_post(status, after_storing=True)
    with pytest.raises(UnknownOutcome):
        adapter.publish(sample_post(), adapter.new_handle())


def test_unreachable_instance_is_transient_not_unknown() -> None:
    with FakeMastodon() as server:
        root, token = server.root, server.access_token
    adapter = make_adapter(root, token, timeout=1)
    with pytest.raises(TransientError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert not isinstance(info.value, UnknownOutcome)
    with pytest.raises(TransientError):
        adapter.lookup(sample_post(), "k")


@pytest.mark.parametrize("case", ["read-only", "revoked"])
def test_refused_tokens_name_the_key(fake: FakeMastodon, case: str) -> None:
    if case == "read-only":
        token = fake.add_account("reader", scopes=("read",)).token
        expected = "outside the authorized scopes"
    else:
        token = fake.access_token
        fake.revoke_token()
        expected = "was revoked"
    adapter = make_adapter(fake.root, token)
    with pytest.raises(AuthError, match=expected) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert "access_token" in str(info.value) and token not in str(info.value)
    if case == "revoked":
        with pytest.raises(AuthError):
            adapter.lookup(sample_post(), "k")
    else:
        assert adapter.lookup(sample_post(), "k") is None  # reading is still allowed


def test_secrets_are_masked_even_when_the_server_echoes_them(fake: FakeMastodon,
                                                            adapter: MastodonPoster) -> None:
    fake.fail_next_post(422, message=f"Validation failed: token {fake.access_token} is odd")
    with pytest.raises(PermanentError) as info:
        adapter.publish(sample_post(), adapter.new_handle())
    assert fake.access_token not in str(info.value) and "<redacted>" in str(info.value)


def test_other_client_errors_are_permanent(fake: FakeMastodon, adapter: MastodonPoster) -> None:
    with pytest.raises(PermanentError, match="Text can't be blank"):
        adapter.publish(post_with("   "), adapter.new_handle())
    wrong = make_adapter(fake.root + "not-mastodon", fake.access_token)
    with pytest.raises(PermanentError, match="api_base_url"):
        wrong.publish(sample_post(), wrong.new_handle())


def test_missing_credentials_name_the_key() -> None:
    example = {"api_base_url": "https://mastodon.social",
               "access_token": "YOUR-MASTODON-ACCESS-TOKEN"}
    from publisher.platforms.spec import get

    assert get("mastodon").missing(example) == ("access_token",)
    with pytest.raises(AuthError, match="`access_token`"):
        MastodonPoster(example).publish(sample_post(), "k")
    with pytest.raises(AuthError, match="`api_base_url`"):
        MastodonPoster({"access_token": "t"}).publish(sample_post(), "k")


def test_reset_header_formats() -> None:
    assert _parse_reset("2026-11-25T10:05:00.000000Z") == dt.datetime(
        2026, 11, 25, 10, 5, tzinfo=dt.UTC)
    assert _parse_reset("1795579610") == dt.datetime.fromtimestamp(1795579610, dt.UTC)
    assert _parse_reset("soon") is None
