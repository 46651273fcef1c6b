"""The Needs-you page's buttons: retry, skip a platform, record a post found by hand — the
same functions as `publisher retry`, `skip` and `resolve`, so they refuse what the CLI
refuses and journal who did it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.store.db import make_engine
from publisher.store.models import Interview, Publication
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session
from tests.helpers.web_console import Browser, Console, add_user, console_for


def _released_with_posts(home: HomeFixture, states: dict[str, str]) -> None:
    engine = make_engine(home.db_url)
    with Session(engine) as s, s.begin():
        item = s.get(Interview, 1)
        assert item is not None
        item.state = "released"
        for platform, state in states.items():
            s.add(Publication(interview_id=1, platform=platform, step="post", account="",
                              state=state, progress=0, attempts=1,
                              last_error="connection dropped after sending"))
    engine.dispose()


def _states(home: HomeFixture) -> tuple[dict[int, str], dict[str, str]]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        items = {i.id: i.state for i in s.scalars(select(Interview))}
        pubs = {p.platform: p.state for p in s.scalars(select(Publication))
                if p.step == "post"}
    engine.dispose()
    return items, pubs


@pytest.fixture
def console(sqlite_home: HomeFixture, media: Media, anna_account: str) -> Iterator[Console]:
    sqlite_home.ok(*add_args(media.video(), "Uno"))
    sqlite_home.ok(*add_args(media.video(), "Due"))
    add_user(sqlite_home, "vera", role="viewer")
    yield from console_for(sqlite_home)


def test_each_post_that_needs_you_has_its_buttons(console: Console, anna: Browser) -> None:
    _released_with_posts(console.home, {"mastodon": "needs_attention",
                                        "bluesky": "needs_attention", "telegram": "done"})
    page = anna.get("/needs-you").text
    for action in ("retry", "skip", "resolve"):
        assert f'action="/needs-you/1/{action}"' in page, action
    assert 'name="platform" value="mastodon"' in page and 'name="url" type="url"' in page
    assert "publisher retry 1 --platform mastodon" in page  # the terminal's way stays


def test_skip_retry_and_resolve_do_what_the_cli_does(console: Console, anna: Browser) -> None:
    _released_with_posts(console.home, {"mastodon": "needs_attention",
                                        "bluesky": "needs_attention", "telegram": "done"})
    skipped = anna.post("/needs-you/1/skip", {"platform": "bluesky"})
    assert skipped.status_code == 303 and skipped.headers["location"] == "/needs-you"
    assert "will not be posted to bluesky" in anna.follow(skipped).text
    retried = anna.post("/needs-you/1/retry", {"platform": "mastodon"})
    assert retried.status_code == 303
    assert _states(console.home)[1] == {"mastodon": "pending", "bluesky": "skipped",
                                        "telegram": "done"}
    found = "https://mastodon.example/@studio/1234"
    resolved = anna.post("/needs-you/1/resolve", {"platform": "mastodon", "url": found})
    assert resolved.status_code == 303
    assert f"mastodon at {found}" in anna.follow(resolved).text
    items, pubs = _states(console.home)
    assert pubs["mastodon"] == "done" and items[1] == "published"
    history = json.loads(console.home.ok("history", 1, "--json").stdout)
    assert [(e["what"], e["by"]) for e in history[-4:]] == [
        ("skipped", "web:anna"), ("retry", "web:anna"), ("published", "web:anna"),
        ("resolved", "web:anna")]


def test_retrying_an_interview_that_needs_attention(console: Console, anna: Browser) -> None:
    engine = make_engine(console.home.db_url)
    with Session(engine) as s, s.begin():
        item = s.get(Interview, 2)
        assert item is not None
        item.state, item.attention_reason = "needs_attention", "the video file is gone"
    engine.dispose()
    page = anna.get("/needs-you").text
    assert 'action="/needs-you/2/retry"' in page
    assert 'action="/needs-you/2/skip"' not in page  # YouTube cannot be skipped
    response = anna.post("/needs-you/2/retry")
    assert response.status_code == 303
    assert _states(console.home)[0][2] == "queued"


def test_a_refusal_is_shown_and_changes_nothing(console: Console, anna: Browser) -> None:
    _released_with_posts(console.home, {"mastodon": "needs_attention"})
    before = console.home.snapshot()
    for action, fields, reason in [
            ("resolve", {"platform": "mastodon", "url": "mastodon.example/1"},
             "expected the post&#39;s address"),
            ("skip", {"platform": "youtube"}, "YouTube cannot be skipped"),
            ("retry", {"platform": "x"}, "does not post to x"),
            ("skip", {}, "which platform"),
            ("retry", {"platform": "telegram"}, "has nothing on telegram yet")]:
        response = anna.post(f"/needs-you/1/{action}", fields)
        assert response.status_code == 409, (action, fields)
        assert "nothing was changed" in response.text and reason in response.text, reason
    assert anna.post("/needs-you/1/nonsense").status_code == 404
    assert console.home.snapshot() == before


def test_a_viewer_sees_no_buttons_and_cannot_act(console: Console) -> None:
    _released_with_posts(console.home, {"mastodon": "needs_attention"})
    vera = console.logged_in("vera")
    page = vera.get("/needs-you").text
    assert "/needs-you/1/retry" not in page
    before = console.home.snapshot()
    assert vera.post("/needs-you/1/skip", {"platform": "mastodon"}).status_code == 403
    assert console.home.snapshot() == before
