"""The Needs-you page's picture of the home beside the queue: each account's authorisation
as its files say (no call made), today's quota, `doctor`'s checks when asked for — and "all
is well" only when nothing at all waits on the organizer."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from publisher.credentials import write_private
from publisher.pipeline import state
from publisher.quota import spend
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session
from tests.helpers.web_console import Console, add_user, console_for


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def console(sqlite_home: HomeFixture, anna_account: str) -> Iterator[Console]:
    add_user(sqlite_home, "vera", role="viewer")
    yield from console_for(sqlite_home)


def authorise(console: Console, yt: FakeYouTube, monkeypatch: pytest.MonkeyPatch) -> None:
    """A token file as `publisher auth youtube` writes it, the endpoints at the fake, and
    no cross-posting account set up (nothing else waits)."""
    home = console.home
    write_private(home.path / "youtube-token.json",
                  json.dumps(yt.authorized_user_info()).encode())
    write_private(home.path / "credentials.json", json.dumps({"youtube": {
        "client_secrets_file": "client_secret.json",
        "token_file": "youtube-token.json"}}).encode())
    monkeypatch.setenv("PUBLISHER_YOUTUBE_API_ROOT", yt.root)
    monkeypatch.setenv("PUBLISHER_GOOGLE_TOKEN_URI", yt.token_uri)


def daemon_beats(console: Console) -> None:
    engine = make_engine(console.home.db_url)
    with Session(engine) as s, s.begin():
        state.put(s, "daemon", {"heartbeat": console.clock.now.isoformat()}, console.clock.now)
    engine.dispose()


def test_a_fresh_home_is_not_all_well(console: Console, yt: FakeYouTube) -> None:
    """`publisher init`'s home: YouTube is not authorised; nothing has run it yet (said,
    but a new home is not late: `publisher status` counts it no more)."""
    page = console.logged_in("vera").get("/needs-you").text
    assert "All is well" not in page and "Something waits on you" in page
    assert "the daemon is not running" not in page and "Nothing has run this home yet" in page
    assert "the youtube account: not authorised yet" in page
    assert "Nothing in the queue needs you." in page  # the queue alone is fine


def test_all_is_well_only_when_nothing_waits(console: Console, yt: FakeYouTube,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    authorise(console, yt, monkeypatch)
    daemon_beats(console)
    anna = console.logged_in("anna")
    page = anna.get("/needs-you").text
    assert "All is well: nothing waits on you." in page, page
    assert "a token is saved; not checked with Google now" in page
    assert not [r for r in yt.requests if r.path == "/token"]  # the page asked no one
    # A secret file open to others is something to fix: no longer all well.
    (console.home.path / "youtube-token.json").chmod(0o644)
    page = anna.get("/needs-you").text
    assert "All is well" not in page and "chmod 600" in page
    (console.home.path / "youtube-token.json").chmod(0o600)
    # Google revokes the authorisation: the page (which asks no one) cannot know, "check
    # now" proves the token and says so.
    yt.revoke_tokens()
    checked = anna.get("/needs-you?checks=run").text
    assert [r for r in yt.requests if r.path == "/token"]
    assert "All is well" not in checked and "expired or revoked" in checked


def test_the_checks_run_when_asked(console: Console, yt: FakeYouTube, media: Media,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    authorise(console, yt, monkeypatch)
    daemon_beats(console)
    video = media.video()
    console.home.ok(*add_args(video, "Uno"))
    anna = console.logged_in("anna")
    assert "disk space" not in anna.get("/needs-you").text  # not run unless asked
    page = anna.get("/needs-you?checks=run").text
    for name in ("database", "youtube credentials", "youtube quota", "disk space", "clock"):
        assert f'<th scope="row">{name}</th>' in page, name
    assert "interview 1 video" in page and "present, unchanged" in page
    # The schedule posts to platforms with no account: a warning waits on the organizer.
    assert "All is well" not in page and "check “mastodon credentials”: " in page
    video.unlink()
    page = anna.get("/needs-you?checks=run").text
    assert "All is well" not in page
    assert "check “interview 1 video”: " in page and "the file is missing" in page


def test_todays_quota(console: Console) -> None:
    engine = make_engine(console.home.db_url)
    now = console.clock.now
    with Session(engine) as s, s.begin():
        spend(s, now, "videos.insert", 3)
        spend(s, now, "videos.update", 2)
    engine.dispose()
    page = console.logged_in("vera").get("/needs-you").text
    assert "Uploads: 3 of 100 used, 97 left" in page
    assert "Units: 100 of 10000 used, 9900 left" in page
    assert "Used up for today" not in page


def test_the_page_in_italian(console: Console) -> None:
    vera = console.logged_in("vera")
    vera.client.cookies.set("lang", "it")
    page = vera.get("/needs-you").text
    assert "Qualcosa aspetta te" in page and "Quota YouTube di oggi" in page
    assert "Nessuno ha ancora fatto girare questo programma" in page


def test_uploads_in_flight_show_their_progress(console: Console, media: Media) -> None:
    from publisher.store.models import Interview, Publication

    console.home.ok(*add_args(media.video(), "Uno"))
    engine = make_engine(console.home.db_url)
    with Session(engine) as s, s.begin():
        item = s.get(Interview, 1)
        assert item is not None
        item.state = "staging"
        item.slot_at = console.clock.now + dt.timedelta(days=2)
        s.add(Publication(interview_id=1, platform="youtube", step="video", account="",
                          state="in_flight", progress=300, total=1200, attempts=1))
    engine.dispose()
    page = console.logged_in("vera").get("/needs-you").text
    assert '<progress max="100" value="25"' in page and "25% uploaded" in page
