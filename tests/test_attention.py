"""status, history, retry, resolve, skip: seeing and fixing what needs a person."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import Interview, Publication
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session
from tests.helpers.youtube import connect


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def set_up_released_with_posts(home: HomeFixture, states: dict[str, str]) -> None:
    engine = make_engine(home.db_url)
    with Session(engine) as s, s.begin():
        item = s.scalars(select(Interview)).one()
        item.state = "released"
        for platform, state in states.items():
            s.add(Publication(interview_id=item.id, platform=platform, step="post",
                              account="", state=state, progress=0, attempts=1,
                              last_error="connection dropped after sending"))
    engine.dispose()


def pub_states(home: HomeFixture) -> dict[str, str]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        out = {p.platform: p.state for p in s.scalars(select(Publication))}
    engine.dispose()
    return out


def item_state(home: HomeFixture) -> str:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        state = s.scalars(select(Interview.state)).one()
    engine.dispose()
    return state


def test_status_on_a_quiet_home(home: HomeFixture, media: Media, yt: FakeYouTube) -> None:
    connect(home, yt)  # authorised: nothing waits on the organizer
    home.ok(*add_args(media.video(), "Prima"))
    result = home.ok("status")
    assert "Daemon: not running" in result.stdout
    assert 'interview 1 "Prima"' in result.stdout
    assert "Nothing needs attention." in result.stdout
    data = json.loads(home.ok("status", "--json").stdout)
    assert data["next"]["interview_id"] == 1 and data["needs_attention"] == []


def test_needs_attention_is_listed_with_its_fix_and_retry_recovers(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    video = media.video()
    sqlite_home.ok(*add_args(video))
    original = video.read_bytes()
    video.write_bytes(b"changed")
    assert sqlite_home.run("upload", 1).exit_code == 4
    status = sqlite_home.run("status")
    assert status.exit_code == 4
    assert "changed since it was queued" in status.stdout
    assert "publisher retry 1" in status.stdout
    video.write_bytes(original)
    assert "will be tried again" in sqlite_home.ok("retry", 1).stdout
    assert item_state(sqlite_home) == "queued"
    sqlite_home.ok("upload", 1)
    assert item_state(sqlite_home) == "staged" and len(yt.videos) == 1
    journal = sqlite_home.ok("history", 1).stdout
    for step in ("queued", "needs attention", "retry", "staged"):
        assert step in journal
    kinds = [e["what"] for e in json.loads(sqlite_home.ok("history", 1, "--json").stdout)]
    assert kinds.index("needs_attention") < kinds.index("retry") < kinds.index("staged")


def test_resolve_records_a_post_found_by_hand(sqlite_home: HomeFixture, media: Media) -> None:
    sqlite_home.ok(*add_args(media.video()))
    set_up_released_with_posts(sqlite_home, {"telegram": "needs_attention",
                                             "mastodon": "done"})
    status = sqlite_home.run("status")
    sqlite_home.ok("resolve", 1, "--platform", "telegram", "--url", "https://t.me/studi/41")
    # Bluesky, which the schedule also posts to, has not been tried yet: not published.
    assert item_state(sqlite_home) == "released"
    set_up_released_with_posts(sqlite_home, {"bluesky": "done"})
    assert status.exit_code == 4 and "publisher retry 1 --platform telegram" in status.stdout
    sqlite_home.ok("resolve", 1, "--platform", "telegram", "--url", "https://t.me/studi/42")
    assert pub_states(sqlite_home)["telegram"] == "done"
    assert item_state(sqlite_home) == "published"
    data = json.loads(sqlite_home.run("status", "--json").stdout)
    assert data["needs_attention"] == []  # the queue's part; YouTube waits to be authorised
    assert [n["key"] for n in data["needs_you"]] == ["account:youtube"]


def test_skip_one_platform_lets_the_others_finish(sqlite_home: HomeFixture,
                                                  media: Media) -> None:
    sqlite_home.ok(*add_args(media.video()))
    set_up_released_with_posts(sqlite_home, {"telegram": "failed", "bluesky": "done",
                                             "mastodon": "done"})
    sqlite_home.ok("skip", 1, "--platform", "telegram")
    assert pub_states(sqlite_home)["telegram"] == "skipped"
    assert item_state(sqlite_home) == "published"


def test_retry_a_platform_after_checking_it_is_not_there(sqlite_home: HomeFixture,
                                                        media: Media) -> None:
    sqlite_home.ok(*add_args(media.video()))
    set_up_released_with_posts(sqlite_home, {"telegram": "needs_attention"})
    sqlite_home.ok("retry", 1, "--platform", "telegram")
    assert pub_states(sqlite_home)["telegram"] == "pending"


@pytest.mark.parametrize(("args", "message"), [
    (("resolve", 1, "--platform", "telegram", "--url", "t.me/42"), "expected the post's address"),
    (("resolve", 1, "--platform", "youtube", "--url", "https://example.org/x"),
     "not a YouTube video address"),
    (("skip", 1, "--platform", "youtube"), "YouTube cannot be skipped"),
    (("retry", 9), "there is no interview 9"),
    (("retry", 1, "--platform", "telegram"), "nothing on telegram yet"),
    (("retry", 1, "--platform", "x"), "schedule does not post to x"),
    (("skip", 1, "--platform", "x"), "schedule does not post to x"),
    (("resolve", 1, "--platform", "facebook", "--url", "https://facebook.com/1"),
     "schedule does not post to facebook (it posts to: youtube, mastodon, bluesky, telegram)"),
    (("history", 9), "no journal"),
    (("skip", 1, "--platform", "myspace"), "Invalid value for '--platform'"),
])
def test_bad_requests_change_nothing(sqlite_home: HomeFixture, media: Media,
                                     args: tuple[object, ...], message: str) -> None:
    sqlite_home.ok(*add_args(media.video()))
    before = sqlite_home.snapshot()
    result = sqlite_home.run(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert sqlite_home.snapshot() == before
