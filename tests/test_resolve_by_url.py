"""A post recorded by hand (`publisher resolve ID --platform P --url URL`, issue 15): the id
the platform's API takes is read from the address and recorded, so a later withdrawal,
edit or replacement acts on the post itself and never asks the platform for a "post" that
is really an address (answered "not found" while the post stays online). An address that
is not one of the platform's post addresses is refused, naming the field, the value and the
shape expected, and nothing is written.

End to end: the real CLI, the real client libraries and the loopback fakes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from publisher.platforms.base import ForeignPostUrl
from publisher.platforms.mastodon import MastodonPoster
from publisher.platforms.spec import get
from publisher.sandbox.platforms import SandboxPlatforms
from publisher.store.db import make_engine
from publisher.store.models import Publication
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.posts_out import posts, published_world
from tests.helpers.scoped import Session

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)
REASON = "the artist withdrew consent"
_Record = tuple[str | None, str | None]


def _record(home: HomeFixture, platform: str) -> _Record:
    """(remote_id, url) of interview 1's post on `platform`."""
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        pub = s.scalars(select(Publication).where(
            Publication.interview_id == 1, Publication.platform == platform,
            Publication.step == "post")).one()
        found = (pub.remote_id, pub.url)
    engine.dispose()
    return found


# The address an organizer copies from the platform's web page, and the id it must give.
def _x(p: SandboxPlatforms, rec: _Record) -> tuple[str, str]:
    return f"https://x.com/{p.x.username}/status/{rec[0]}?s=20", str(rec[0])


def _mastodon(p: SandboxPlatforms, rec: _Record) -> tuple[str, str]:
    return str(rec[1]), str(rec[0])      # https://HOST/@NAME/ID


def _bluesky(p: SandboxPlatforms, rec: _Record) -> tuple[str, str]:
    rkey = str(rec[0]).rsplit("/", 1)[1]
    handle = p.bluesky.account.handle    # the address names the author by handle
    return (f"https://bsky.app/profile/{handle}/post/{rkey}",
            f"at://{handle.lower()}/app.bsky.feed.post/{rkey}")


def _facebook(p: SandboxPlatforms, rec: _Record) -> tuple[str, str]:
    post = str(rec[0]).split("_", 1)[1]  # the Page named by its name, not its number
    return f"https://www.facebook.com/StudiAperti/posts/{post}/", post


def _telegram(p: SandboxPlatforms, rec: _Record) -> tuple[str, str]:
    return str(rec[1]), str(rec[0])      # https://t.me/CHANNEL/ID


ADDRESSES: dict[str, Callable[[SandboxPlatforms, _Record], tuple[str, str]]] = {
    "x": _x, "mastodon": _mastodon, "bluesky": _bluesky, "facebook": _facebook,
    "telegram": _telegram}


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def world(request: pytest.FixtureRequest, sqlite_home: HomeFixture, media: Media,
          clock: Clock, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    with published_world(sqlite_home, media, clock, monkeypatch,
                         (request.param,)) as found:
        yield found


@pytest.fixture
def world_on_each_db(request: pytest.FixtureRequest, home: HomeFixture, media: Media,
                     clock: Clock, monkeypatch: pytest.MonkeyPatch
                     ) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    """`world` on SQLite and on PostgreSQL."""
    with published_world(home, media, clock, monkeypatch, (request.param,)) as found:
        yield found


@pytest.mark.parametrize("world_on_each_db", list(ADDRESSES), indirect=True)
def test_a_post_recorded_by_its_address_is_withdrawn_for_real(
        world_on_each_db: tuple[HomeFixture, SandboxPlatforms]) -> None:
    home, platforms = world_on_each_db
    [platform] = [n for n in ADDRESSES if posts(platforms, n)]
    url, real_id = ADDRESSES[platform](platforms, _record(home, platform))

    home.ok("resolve", 1, "--platform", platform, "--url", url)
    assert _record(home, platform) == (real_id, url)

    home.ok("withdraw", 1, "--reason", REASON)
    assert posts(platforms, platform) == [], platform
    assert len(platforms.by_name[platform].deleted) == 1
    assert _record(home, platform)[0] == real_id
    assert "Nothing needs attention." in home.run("status").stdout


BAD: dict[str, list[str]] = {
    "x": ["https://x.com/studiaperti", "https://bsky.app/profile/a.b/post/3kabc",
          "https://x.com/studiaperti/status/notanumber"],
    "mastodon": ["https://mastodon.example/@studi",
                 "https://mastodon.social/@studi@mastodon.example/1123",
                 "https://x.com/studiaperti/status/1"],
    "bluesky": ["https://bsky.app/profile/studio.example.org",
                "https://bsky.app/profile/not a handle/post/3kabc",
                "https://x.com/studiaperti/status/1"],
    "facebook": ["https://www.facebook.com/StudiAperti/posts/pfbid02abcDEF",
                 "https://www.facebook.com/StudiAperti", "https://t.me/studi/4"],
    "telegram": ["https://t.me/studi", "https://x.com/studiaperti/status/1"],
}


@pytest.mark.parametrize("world", list(ADDRESSES), indirect=True)
def test_an_address_that_is_no_post_of_the_platform_is_refused(
        world: tuple[HomeFixture, SandboxPlatforms]) -> None:
    home, platforms = world
    [platform] = [n for n in ADDRESSES if posts(platforms, n)]
    shape = get(platform).post_url_shape
    assert shape
    before = home.snapshot()
    for url in BAD[platform]:
        refused = home.run("resolve", 1, "--platform", platform, "--url", url)
        assert refused.exit_code != 0, url
        said = " ".join(refused.output.split())
        assert "--url" in said and repr(url) in said and shape in said, said
        assert home.snapshot() == before, url
    assert len(posts(platforms, platform)) == 1


def test_a_bluesky_post_of_another_account_is_not_deleted(
        sqlite_home: HomeFixture, media: Media, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A handle that is not the account's is resolved through the server when acted on:
    a post in someone else's repository is refused unsent, and needs a person."""
    with published_world(sqlite_home, media, clock, monkeypatch, ("bluesky",)) as (home, p):
        rkey = str(_record(home, "bluesky")[0]).rsplit("/", 1)[1]
        url = f"https://bsky.app/profile/someone-else.example.org/post/{rkey}"
        home.ok("resolve", 1, "--platform", "bluesky", "--url", url)
        home.run("withdraw", 1, "--reason", REASON)
        assert len(posts(p, "bluesky")) == 1 and p.bluesky.deleted == []
        handles = [r for r in _requests(p.bluesky)
                   if "com.atproto.identity.resolveHandle" in r]
        assert handles, "the handle was not resolved through the server"
        status = home.run("status").stdout
        assert "bluesky" in status.lower() and "someone-else.example.org" in status


def _requests(fake: Any) -> list[str]:
    return [str(getattr(r, "path", r)) for r in fake.requests]


@pytest.mark.parametrize("world", list(ADDRESSES), indirect=True)
def test_a_record_that_kept_the_address_is_withdrawn_for_real(
        world: tuple[HomeFixture, SandboxPlatforms]) -> None:
    """A post recorded by hand before the id was read from its address kept the address as
    its id: the adapter reads the id from it when acting, so the post itself goes."""
    home, platforms = world
    [platform] = [n for n in ADDRESSES if posts(platforms, n)]
    _, url = _record(home, platform)
    assert url
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        pub = s.scalars(select(Publication).where(
            Publication.interview_id == 1, Publication.platform == platform,
            Publication.step == "post")).one()
        pub.remote_id = url
        s.commit()
    engine.dispose()

    home.ok("withdraw", 1, "--reason", REASON)
    assert posts(platforms, platform) == [], platform
    assert len(platforms.by_name[platform].deleted) == 1


def test_a_mastodon_status_on_another_server_is_refused(
        sqlite_home: HomeFixture, media: Media, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A status address names its server, and its id is that server's: one on another
    server than the account's is refused, naming the field, the value and the server
    expected, and nothing is written; one on the account's server is recorded."""
    with published_world(sqlite_home, media, clock, monkeypatch, ("mastodon",)) as (home, _):
        remote_id, url = _record(home, "mastodon")
        assert url and remote_id
        ours = url.split("/")[2]  # the fake's host:port, the API root publisher talks to
        configured = "mastodon.sandbox"  # the credentials' api_base_url
        before = home.snapshot()
        for foreign in (f"https://mastodon.social/@studiaperti/{remote_id}",
                        f"https://mastodon.social/users/studiaperti/statuses/{remote_id}",
                        f"http://127.0.0.1:1/@studiaperti/{remote_id}"):
            refused = home.run("resolve", 1, "--platform", "mastodon", "--url", foreign)
            assert refused.exit_code != 0, foreign
            said = " ".join(refused.output.split())
            assert "--url" in said and repr(foreign) in said, said
            assert f"a status on {foreign.split('/')[2]}, not on the account's server" in said
            assert configured in said and ours in said, said
            assert home.snapshot() == before, foreign

        on_ours = f"https://{configured.upper()}:443/@studiaperti/{remote_id}"
        home.ok("resolve", 1, "--platform", "mastodon", "--url", on_ours)
        assert _record(home, "mastodon") == (remote_id, on_ours)
        home.ok("resolve", 1, "--platform", "mastodon", "--url", url)
        assert _record(home, "mastodon") == (remote_id, url)


def test_a_mastodon_address_is_checked_against_the_configured_instance() -> None:
    """No API root winning over it: the instance of `api_base_url` is the one expected."""
    poster = MastodonPoster({"api_base_url": "https://social.studiaperti.it/",
                             "access_token": "token"})
    poster.api_root = "https://social.studiaperti.it/"  # whatever the environment says
    assert poster.own_post_id("https://Social.StudiAperti.it/@studi/1123") == "1123"
    with pytest.raises(ForeignPostUrl) as refused:
        poster.own_post_id("https://mastodon.social/@studi/1123")
    assert str(refused.value) == (
        "'https://mastodon.social/@studi/1123' is a status on mastodon.social, not on the "
        "account's server: expected an address on social.studiaperti.it (`api_base_url` in "
        "the [mastodon] credentials), like https://social.studiaperti.it/@NAME/NUMBER")
