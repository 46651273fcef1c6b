"""The Interview page's actions on what is on YouTube, through the CLI's own code: the
comparison of `publisher sync ID --dry-run` with its confirm buttons (sync, and --force for
what was changed in YouTube Studio), withdraw with a reason and republish; for organizers
only, each with its CSRF token (tests/web/test_web_security.py tries every POST route without
one, and as a viewer)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest

from publisher.pipeline.correct import Outcome
from publisher.platforms.youtube.fields import Field
from publisher.sandbox.youtube import FakeYouTube
from publisher.sandbox.youtube.model import FakeVideo
from publisher.web.labels import SYNC_OUTCOME_LABELS, YOUTUBE_FIELD_LABELS
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.web_console import Browser, Console, add_user, console_for
from tests.helpers.withdraw import state
from tests.helpers.youtube import connect

STUDIO_TEXT = "Scritto a mano in YouTube Studio."


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def video(sqlite_home: HomeFixture, media: Media, yt: FakeYouTube,
          monkeypatch: pytest.MonkeyPatch) -> FakeVideo:
    """One interview out now on the loopback YouTube (`publisher publish --now`)."""
    connect(sqlite_home, yt)
    for key, value in sqlite_home.env.items():  # the console's process sees the fake too
        monkeypatch.setenv(key, value)
    sqlite_home.ok(*add_args(media.video(), "Maria Rossi nel suo studio"))
    sqlite_home.ok("publish", 1, "--now")
    found = next(iter(yt.videos.values()))
    assert found.privacy_status == "public"
    return found


@pytest.fixture
def console(sqlite_home: HomeFixture, video: FakeVideo, anna_account: str
            ) -> Iterator[Console]:
    add_user(sqlite_home, "vera", "viewer")
    yield from console_for(sqlite_home)


def _rows(page: str) -> dict[str, str]:
    """The comparison's rows: field → what a sync does."""
    return dict(re.findall(
        r'<th scope="row">([^<]*)</th>\s*<td>.*?</td>\s*<td>.*?</td>\s*<td>([^<]*)</td>',
        page, re.S))


def _updates(yt: FakeYouTube) -> int:
    return len([r for r in yt.requests if r.tag == "youtube.videos.update"
                and r.status == 200])


def test_the_comparison_shows_a_studio_change_and_sends_only_when_confirmed(
        console: Console, anna: Browser, video: FakeVideo, yt: FakeYouTube) -> None:
    video.snippet["description"] = STUDIO_TEXT
    console.home.ok("queue", "edit", 1, "--title", "Maria Rossi, ceramista a Faenza")
    interview = anna.get("/interviews/1").text
    assert 'href="/interviews/1/sync"' in interview
    updates = _updates(yt)
    page = anna.get("/interviews/1/sync")
    assert page.status_code == 200
    rows = _rows(page.text)
    assert rows["Title"] == "will change"
    assert rows["Description"].startswith("changed in YouTube Studio")
    assert STUDIO_TEXT in page.text and "Maria Rossi, ceramista a Faenza" in page.text
    assert _updates(yt) == updates  # comparing sends nothing
    assert "Send these changes to YouTube" in page.text
    assert 'name="force" value="yes"' in page.text

    sent = anna.post("/interviews/1/sync")
    assert sent.status_code == 303 and sent.headers["location"] == "/interviews/1"
    assert "YouTube: the changes were sent to YouTube." in anna.follow(sent).text
    assert video.snippet["title"] == "Maria Rossi, ceramista a Faenza"
    assert video.snippet["description"] == STUDIO_TEXT  # kept without --force

    # A correction of a field changed in Studio since: a conflict, unless forced.
    console.home.ok("queue", "edit", 1, "--description", "Una ceramista di Faenza.")
    again = anna.get("/interviews/1/sync").text
    assert _rows(again)["Description"].startswith("changed in YouTube Studio")
    conflict = anna.follow(anna.post("/interviews/1/sync")).text
    assert "YouTube: a field was changed in YouTube Studio." in conflict
    assert video.snippet["description"] == STUDIO_TEXT

    forced = anna.follow(anna.post("/interviews/1/sync", {"force": "yes"}))
    assert "the changes were sent to YouTube" in forced.text
    assert "Faenza" in video.snippet["description"]
    done = anna.get("/interviews/1/sync").text
    assert "Send these changes to YouTube" not in done  # nothing left to send
    sent_by = {e["by"] for e in json.loads(console.home.ok("history", 1, "--json").stdout)
               if e["what"] in ("correction_applied", "correction_conflict")}
    assert sent_by == {"web:anna"}, sent_by  # who sent them, not "sync"


def test_withdraw_needs_a_reason_then_republish_puts_it_back(
        console: Console, anna: Browser, video: FakeVideo) -> None:
    page = anna.get("/interviews/1").text
    assert 'action="/interviews/1/withdraw"' in page and 'for="withdraw-reason"' in page
    refused = anna.follow(anna.post("/interviews/1/withdraw", {"reason": "  "}))
    assert "Say why it is withdrawn" in refused.text
    assert video.privacy_status == "public" and state(console.home) == "published"

    done = anna.follow(anna.post("/interviews/1/withdraw",
                                 {"reason": "the artist withdrew consent"}))
    assert "Interview 1 is withdrawn." in done.text
    assert video.privacy_status == "private" and state(console.home) == "withdrawn"
    assert "the artist withdrew consent" in console.home.ok("status").stdout
    assert 'action="/interviews/1/republish"' in done.text
    assert 'action="/interviews/1/withdraw"' not in done.text

    back = anna.follow(anna.post("/interviews/1/republish"))
    assert "Interview 1 is back:" in back.text
    assert video.privacy_status == "public"
    assert state(console.home) in ("released", "published")
    refused = anna.follow(anna.post("/interviews/1/republish"))  # not withdrawn any more
    assert "The change was refused; nothing was changed:" in refused.text
    by = {e["what"]: e["by"] for e in json.loads(console.home.ok("history", 1, "--json").stdout)}
    assert by["withdrawn"] == by["republished"] == "web:anna", by  # the person, journaled


def test_a_viewer_sees_the_comparison_but_no_button(console: Console,
                                                    video: FakeVideo) -> None:
    vera = console.logged_in("vera")
    page = vera.get("/interviews/1").text
    assert 'href="/interviews/1/sync"' in page
    assert "/withdraw" not in page and "/republish" not in page
    video.snippet["description"] = STUDIO_TEXT
    assert "Send these changes" not in vera.get("/interviews/1/sync").text
    assert vera.post("/interviews/1/withdraw", {"reason": "x"}).status_code == 403
    assert vera.post("/interviews/1/sync").status_code == 403
    assert video.privacy_status == "public"


def test_an_unknown_interview_is_not_found(anna: Browser) -> None:
    assert anna.get("/interviews/99/sync").status_code == 404
    assert anna.post("/interviews/99/withdraw", {"reason": "x"}).status_code == 404


def test_every_field_and_outcome_has_a_name_in_the_console() -> None:
    assert set(YOUTUBE_FIELD_LABELS) == {f.value for f in Field}
    assert set(SYNC_OUTCOME_LABELS) == {o.value for o in Outcome}
