"""`status` tells the truth: what waits on the organizer (an authorisation, a file, a post to
check) needs them (exit 4), and what is uploaded for a slot is what goes out next. The wait for
`publisher auth youtube` itself: one look an hour, at once when the token file changes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from publisher.pipeline.run_due import run_due
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock
from tests.helpers.rows import events, interviews
from tests.helpers.run_due import runtime
from tests.helpers.youtube import connect

START = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)  # within Tuesday 2027-02-02's lead time


def no_blackouts(home: HomeFixture) -> None:
    path = home.path / "schedules" / "studi-aperti.toml"
    lines = [ln for ln in path.read_text().splitlines() if not ln.startswith("blackouts")]
    path.write_text("\n".join(lines) + "\nblackouts = []\n")


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def test_status_needs_you_before_anything_asked_youtube(home: HomeFixture, media: Media,
                                                        yt: FakeYouTube) -> None:
    """A new home, an interview queued, no `publisher auth youtube` yet and no run: the next
    upload will need YouTube, so status says so now instead of "Nothing needs attention"."""
    no_blackouts(home)
    home.ok(*add_args(media.video(), "Prima"))
    status = home.run("status")
    assert status.exit_code == 4, status.output
    assert "Nothing needs attention" not in status.stdout
    assert '1 "Prima" on youtube: waiting for YouTube authorisation: YouTube is not ' \
        "authorised yet" in status.stdout
    assert "its upload is due" in status.stdout and "`publisher auth youtube`" in status.stdout
    # Told once: the interview waiting on it already names the fix the account would.
    assert status.stdout.count("auth youtube`") == 1, status.stdout
    assert "the YouTube account: not authorised yet" not in status.stdout
    connect(home, yt)  # a token file: nothing waits on the organizer any more
    assert home.run("status").exit_code == 0


def test_status_needs_you_while_uploads_wait_for_authorisation(home: HomeFixture,
                                                               media: Media,
                                                               yt: FakeYouTube) -> None:
    no_blackouts(home)
    home.ok(*add_args(media.video(), "Prima"))
    home.run("run-due")  # now: the next slot is at most 4 days away, its upload due or not
    home.run("upload", 1)  # without a token: refused, and the interview waits
    status = home.run("status")
    assert status.exit_code == 4, status.output
    assert "Nothing needs attention" not in status.stdout
    assert "Needs you:" in status.stdout
    assert ('1 "Prima" on youtube: waiting for YouTube authorisation' in status.stdout)
    assert "publisher auth youtube" in status.stdout
    data = json.loads(home.run("status", "--json").stdout)
    assert [(n["interview_id"], n["platform"], n["fix"]) for n in data["needs_attention"]] == [
        (1, "youtube", "publisher auth youtube")]
    # Authorised: the next upload clears the wait, and the uploaded interview is what is next.
    connect(home, yt)
    home.ok("upload", 1)
    after = home.run("status")
    assert after.exit_code == 0, after.output
    assert "Nothing needs attention." in after.stdout
    assert 'Next: interview 1 "Prima"' in after.stdout
    assert "(uploaded, private until then)" in after.stdout
    data = json.loads(home.ok("status", "--json").stdout)
    assert data["next"]["interview_id"] == 1 and data["next"]["state"] == "staged"
    assert data["needs_attention"] == []


def test_a_staged_interview_is_next_before_a_queued_one(sqlite_home: HomeFixture,
                                                        media: Media,
                                                        yt: FakeYouTube) -> None:
    no_blackouts(sqlite_home)
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video(), "Prima"))
    sqlite_home.ok(*add_args(media.video(), "Seconda"))
    sqlite_home.ok("upload", 1)
    data = json.loads(sqlite_home.ok("status", "--json").stdout)
    assert (data["next"]["interview_id"], data["next"]["state"]) == (1, "staged")


# ---- the wait itself, in-process with a clock ---------------------------------------------------

def token_requests(yt: FakeYouTube) -> int:
    return len([r for r in yt.requests if r.tag == "oauth2.token"])


def test_the_wait_looks_again_hourly_and_at_once_after_auth_youtube(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        token = sqlite_home.path / "youtube-token.json"
        saved = token.read_text()
        token.unlink()  # `publisher auth youtube` not run yet
        sqlite_home.ok(*add_args(media.video(), "Uno"))
        sqlite_home.ok(*add_args(media.video(), "Due"))
        rt = runtime(sqlite_home, clock, monkeypatch)
        first = run_due(rt, clock.now)
        stage_actions = [a for a in first.actions if a.step == "stage"]
        assert [(a.interview_id, a.outcome) for a in stage_actions] == [(1, "waiting")]
        assert "waiting for YouTube authorisation" in stage_actions[0].detail
        assert [i.state for i in interviews(sqlite_home)] == ["queued", "queued"]
        assert first.next_wake is not None and first.next_wake > clock.now, "no busy loop"
        assert "publisher auth youtube" in (first.next_what or "")
        clock.now += dt.timedelta(minutes=5)
        assert [a for a in run_due(rt, clock.now).actions if a.step == "stage"] == []
        token.write_text(saved)  # `publisher auth youtube` was run
        clock.now += dt.timedelta(minutes=5)
        staged = [a for a in run_due(rt, clock.now).actions if a.step == "stage"]
        assert [(a.interview_id, a.outcome) for a in staged] == [(1, "staged")]
        assert len(yt.videos) == 1
        assert [e.interview_id for e in events(sqlite_home, "youtube_waiting")] == [1]


def test_a_revoked_token_is_looked_at_again_after_an_hour(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video(), "Uno"))
        yt.revoke_tokens()
        rt = runtime(sqlite_home, clock, monkeypatch)
        assert [a.outcome for a in run_due(rt, clock.now).actions
                if a.step == "stage"] == ["waiting"]
        asked = token_requests(yt)
        yt.restore_tokens()
        clock.now += dt.timedelta(minutes=59)
        assert [a for a in run_due(rt, clock.now).actions if a.step == "stage"] == []
        assert token_requests(yt) == asked, "nothing asked before the hour"
        clock.now += dt.timedelta(minutes=1)
        assert [a.outcome for a in run_due(rt, clock.now).actions
                if a.step == "stage"] == ["staged"]


def test_retry_looks_again_at_once(sqlite_home: HomeFixture, media: Media,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video(), "Uno"))
        yt.revoke_tokens()
        rt = runtime(sqlite_home, clock, monkeypatch)
        assert [a.outcome for a in run_due(rt, clock.now).actions
                if a.step == "stage"] == ["waiting"]
        yt.restore_tokens()
        sqlite_home.ok("retry", 1)  # the organizer fixed it and says so
        clock.now += dt.timedelta(minutes=1)
        assert [a.outcome for a in run_due(rt, clock.now).actions
                if a.step == "stage"] == ["staged"]
