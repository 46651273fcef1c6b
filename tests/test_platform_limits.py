"""The limits a platform reports (a Mastodon instance's characters and link length) are kept
after a post and used by the checks at `queue add`, `queue edit` and `preview`."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from publisher.platform_limits import KEY, PlatformLimits, known
from publisher.platforms.spec import get
from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import RuntimeState
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session

FILLER = "a" * 126  # with " " and a link counted 23: a post of 150 characters


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def wire(home: HomeFixture, yt: FakeYouTube, mastodon: FakeMastodon) -> None:
    """YouTube and Mastodon only, on the loopback fakes (as in test_crosspost.py)."""
    (home.path / "youtube-token.json").write_text(json.dumps(yt.authorized_user_info()))
    creds = json.loads((home.path / "credentials.json").read_text())
    creds["youtube"]["token_file"] = "youtube-token.json"
    creds["mastodon"] = {"api_base_url": "https://mastodon.social",
                         "access_token": mastodon.access_token}
    (home.path / "credentials.json").write_text(json.dumps(creds))
    toml = home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[youtube]\n", "[youtube]\nchunk_size_mib = 1\n"))
    sched = home.path / "schedules" / "studi-aperti.toml"
    sched.write_text(sched.read_text().replace(
        'platforms = ["youtube", "mastodon", "bluesky", "telegram"]',
        'platforms = ["youtube", "mastodon"]'))
    home.env.update({"PUBLISHER_YOUTUBE_API_ROOT": yt.root,
                     "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri,
                     "PUBLISHER_MASTODON_API_ROOT": mastodon.root})


def queue_add(home: HomeFixture, media: Media, title: str, post: str):  # type: ignore[no-untyped-def]
    return home.run(*add_args(media.video(), title, "--template", f"post={post}"))


def post_once(home: HomeFixture, media: Media, item_id: int = 1) -> None:
    """Queue a short interview (`item_id`) and publish it now: its Mastodon post reads the
    instance's limits."""
    home.ok(*add_args(media.video(), "Uno", "--template", "post=Uno {{ url }}"))
    result = home.ok("publish", item_id, "--now", "--json")
    outcome = json.loads(result.stdout)["posts"]
    assert [(p["platform"], p["outcome"]) for p in outcome] == [("mastodon", "posted")], outcome


def cached(home: HomeFixture) -> dict[str, PlatformLimits]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        out = known(s)
    engine.dispose()
    return out


def test_the_instance_limit_learnt_at_a_post_is_applied_at_queue_add_and_edit(
        home: HomeFixture, media: Media, yt: FakeYouTube) -> None:
    with FakeMastodon(max_characters=100) as mastodon:
        wire(home, yt, mastodon)
        # Nothing learnt yet: Mastodon's documented 500 applies, and 150 characters fit.
        long = "{{ title }} " + FILLER[len("Lungo "):] + " {{ url }}"
        assert queue_add(home, media, "Lungo", long).exit_code == 0
        assert cached(home) == {}
        post_once(home, media, 2)
        limits = cached(home)["mastodon"]
        assert (limits.max_length, limits.url_length) == (100, 23)
        assert limits.seen_at is not None
        before = home.snapshot()
        refused = queue_add(home, media, "Lungo", long)
        assert refused.exit_code == 2, refused.output
        assert "Mastodon: the post is 150 characters, over the limit of 100 by 50" \
            in refused.stderr
        assert home.snapshot() == before
        # queue edit checks the same way (interview 1 is still queued).
        edit = home.run("queue", "edit", 1, "--title", "Lungo ancora")
        assert edit.exit_code == 2, edit.output
        assert "over the limit of 100 by" in edit.stderr
        assert home.snapshot() == before
        assert queue_add(home, media, "Corto", "{{ title }} {{ url }}").exit_code == 0


def test_the_instance_link_length_counts_too(sqlite_home: HomeFixture, media: Media,
                                             yt: FakeYouTube) -> None:
    with FakeMastodon(max_characters=100, characters_reserved_per_url=60) as mastodon:
        wire(sqlite_home, yt, mastodon)
        post_once(sqlite_home, media)
        assert cached(sqlite_home)["mastodon"].url_length == 60
        forty = "b" * 40
        # 40 + 1 + a link counted 60 = 101 (with links counted 23 it would be 64).
        refused = queue_add(sqlite_home, media, "Link", f"{forty} {{{{ url }}}}")
        assert refused.exit_code == 2, refused.output
        assert "the post is 101 characters, over the limit of 100 by 1" in refused.stderr
        assert queue_add(sqlite_home, media, "Link", f"{forty[:-2]} {{{{ url }}}}"
                         ).exit_code == 0  # 99


def test_the_pipeline_counts_links_as_the_instance_does(sqlite_home: HomeFixture,
                                                        media: Media,
                                                        yt: FakeYouTube) -> None:
    """A post over the instance's limit only with its link length is held before sending
    (not sent, then refused by the server)."""
    with FakeMastodon(max_characters=100, characters_reserved_per_url=60) as mastodon:
        wire(sqlite_home, yt, mastodon)
        sqlite_home.ok(*add_args(media.video(), "Uno", "--template",
                                 "post=" + "c" * 40 + " {{ url }}"))  # 64 at the door
        result = sqlite_home.run("publish", 1, "--now", "--json")
        outcome = json.loads(result.stdout)["posts"][0]
        assert outcome["outcome"] == "needs_attention", outcome
        assert "the post is 101 characters, over the limit of 100 by 1" in outcome["detail"]
        assert mastodon.statuses == []


def test_preview_shows_where_the_limit_comes_from(sqlite_home: HomeFixture, media: Media,
                                                  yt: FakeYouTube) -> None:
    with FakeMastodon(max_characters=100) as mastodon:
        wire(sqlite_home, yt, mastodon)
        queue_add(sqlite_home, media, "Lungo", "{{ title }} " + FILLER[len("Lungo "):]
                  + " {{ url }}")
        shown = sqlite_home.ok("preview", 1).stdout
        assert "── Mastodon: 150 of 500 characters" in shown
        assert "Mastodon's default limit; the instance's own is learnt at the first post" \
            in shown
        data = json.loads(sqlite_home.ok("preview", 1, "--json").stdout)["posts"][0]
        assert (data["limit"], data["limit_source"]) == (500, "default")
        post_once(sqlite_home, media, 2)
        late = sqlite_home.run("preview", 1)
        assert late.exit_code == 4
        assert "── Mastodon: 150 of 100 characters" in late.stdout
        assert "the instance's own limit, reported since " in late.stdout
        assert "over the limit of 100 by 50" in late.stderr
        data = json.loads(sqlite_home.run("preview", 1, "--json").stdout)["posts"][0]
        assert (data["limit"], data["length"], data["limit_source"]) == (100, 150, "reported")


def test_a_damaged_cache_entry_means_the_default(sqlite_home: HomeFixture) -> None:
    engine = make_engine(sqlite_home.db_url)
    with Session(engine) as s, s.begin():
        s.add(RuntimeState(key=KEY, value={"mastodon": {"max_length": "lots"},
                                           "x": {"max_length": 250, "url_length": None,
                                                 "seen_at": None}}))
    with Session(engine) as s:
        assert known(s) == {"x": PlatformLimits(250)}
    engine.dispose()


def test_the_cache_is_written_only_when_the_instance_changes(sqlite_home: HomeFixture
                                                             ) -> None:
    import datetime as dt

    from publisher.platform_limits import remember

    first, later = dt.datetime(2026, 3, 1, tzinfo=dt.UTC), dt.datetime(2026, 4, 1, tzinfo=dt.UTC)
    engine = make_engine(sqlite_home.db_url)
    for at, limits in ((first, PlatformLimits(1000, 30)), (later, PlatformLimits(1000, 30))):
        with Session(engine) as s, s.begin():
            remember(s, "mastodon", limits, at)
    with Session(engine) as s, s.begin():
        assert known(s) == {"mastodon": PlatformLimits(1000, 30, first)}
        remember(s, "mastodon", PlatformLimits(800, None), later)
    with Session(engine) as s:
        assert known(s) == {"mastodon": PlatformLimits(800, None, later)}
    engine.dispose()


def test_the_rule_counts_with_the_reported_link_length() -> None:
    rule = get("mastodon").text
    assert rule is not None
    text = "a https://example.org/b"
    assert rule.count(text) == 2 + 23 and rule.limit == 500
    instance = PlatformLimits(1000, 30).applied_to(rule)
    assert instance.count(text) == 2 + 30 and instance.limit == 1000
    assert PlatformLimits(1000).applied_to(rule).count(text) == 2 + 23
    # A platform whose links do not count as a fixed length keeps its own count.
    bluesky = get("bluesky").text
    assert bluesky is not None
    assert PlatformLimits(400, 30).applied_to(bluesky).count(text) == bluesky.count(text)


def test_the_adapter_says_what_it_read() -> None:
    from publisher.platforms.mastodon import MastodonPoster

    with FakeMastodon(max_characters=1000, characters_reserved_per_url=30) as server:
        adapter = MastodonPoster({"api_base_url": server.root,
                                  "access_token": server.access_token})
        assert adapter.reported_limits() == (1000, 30)
        root = server.root
    offline = MastodonPoster({"api_base_url": root, "access_token": "t"}, timeout=1)
    assert offline.reported_limits() is None and offline.max_length() == 500
    assert MastodonPoster({}).reported_limits() is None
