"""The console's `publisher sync ID --replace x|bluesky` (issue 15): the comparison page offers
a button per post that a correction left as it was, each asks for a confirmation, and only
the confirmed POST replaces the post, once, through the CLI's own application code (read
back from the loopback fakes). A viewer sees no button and is refused the POST."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from publisher.sandbox.platforms import SandboxPlatforms, post_text
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.posts_out import posts, published_world
from tests.helpers.web_console import Browser, Console, add_user, console_for

OLD_TITLE = "Maria Rossi nel suo studio"
NEW_TITLE = "Maria Rossi nel suo laboratorio"


@pytest.fixture
def world(sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch
          ) -> Iterator[SandboxPlatforms]:
    """Interview 1 out on YouTube, X and Bluesky; its title corrected since."""
    clock = Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))
    with published_world(sqlite_home, media, clock, monkeypatch, ("x", "bluesky"),
                         NEW_TITLE) as (home, platforms):
        for key, value in home.env.items():  # the console's process sees the fakes too
            monkeypatch.setenv(key, value)
        yield platforms


@pytest.fixture
def console(sqlite_home: HomeFixture, world: SandboxPlatforms, anna_account: str
            ) -> Iterator[Console]:
    add_user(sqlite_home, "vera", "viewer")
    yield from console_for(sqlite_home)


def _text(platforms: SandboxPlatforms, name: str) -> str:
    [post] = posts(platforms, name)
    return post_text(post)


def test_a_post_is_replaced_once_only_after_the_confirmation(
        console: Console, anna: Browser, world: SandboxPlatforms) -> None:
    page = anna.get("/interviews/1/sync").text
    assert 'href="/interviews/1/replace?platform=x"' in page
    assert 'href="/interviews/1/replace?platform=bluesky"' in page

    ask = anna.get("/interviews/1/replace?platform=x")
    assert ask.status_code == 200
    assert "Replace the X post" in ask.text and "Yes, replace it" in ask.text
    assert 'name="platform" value="x"' in ask.text
    assert OLD_TITLE in _text(world, "x") and world.x.deleted == []  # asking sends nothing

    unconfirmed = anna.post("/interviews/1/replace", {"platform": "x"})
    assert unconfirmed.status_code == 303
    assert unconfirmed.headers["location"] == "/interviews/1/replace?platform=x"
    assert world.x.deleted == [] and OLD_TITLE in _text(world, "x")

    done = anna.post("/interviews/1/replace", {"platform": "x", "confirm": "yes"})
    assert done.status_code == 303 and done.headers["location"] == "/interviews/1"
    shown = anna.follow(done).text  # what it did, on the Interview page
    assert "x: deleted and posted again with the corrected text" in shown
    assert NEW_TITLE in _text(world, "x") and len(world.x.deleted) == 1
    assert OLD_TITLE in _text(world, "bluesky")  # not asked for: kept

    # Exactly once: confirmed again, nothing more is deleted or posted.
    anna.post("/interviews/1/replace", {"platform": "x", "confirm": "yes"})
    assert len(posts(world, "x")) == 1 and len(world.x.deleted) == 1
    after = anna.get("/interviews/1/sync").text
    assert 'href="/interviews/1/replace?platform=x"' not in after
    assert 'href="/interviews/1/replace?platform=bluesky"' in after
    events = json.loads(console.home.ok("history", 1, "--json").stdout)
    kinds = [e["what"] for e in events]
    assert kinds.count("post_deleted") == 1, kinds
    assert {e["by"] for e in events if e["what"] == "post_deleted"} == {"web:anna"}


def test_in_italian(console: Console, anna: Browser, world: SandboxPlatforms) -> None:
    anna.post("/language", {"lang": "it"})
    ask = anna.get("/interviews/1/replace?platform=bluesky").text
    assert "Sostituisci il post su Bluesky" in ask and "Sì, sostituiscilo" in ask
    assert "Sostituisci questo post…" in anna.get("/interviews/1/sync").text


def test_only_x_and_bluesky_posts_are_replaced(console: Console, anna: Browser,
                                               world: SandboxPlatforms) -> None:
    for platform in ("mastodon", "youtube", "myspace", ""):
        assert anna.get(f"/interviews/1/replace?platform={platform}").status_code == 404
    refused = anna.follow(anna.post("/interviews/1/replace",
                                    {"platform": "mastodon", "confirm": "yes"}))
    assert "The change was refused; nothing was changed:" in refused.text
    assert world.x.deleted == [] and world.bluesky.deleted == []


def test_a_viewer_sees_no_button_and_is_refused(console: Console,
                                                world: SandboxPlatforms) -> None:
    vera = console.logged_in("vera")
    assert "/replace?platform=" not in vera.get("/interviews/1/sync").text
    assert "Yes, replace it" not in vera.get("/interviews/1/replace?platform=x").text
    refused = vera.post("/interviews/1/replace", {"platform": "x", "confirm": "yes"})
    assert refused.status_code == 403
    assert world.x.deleted == [] and OLD_TITLE in _text(world, "x")
