"""Notifications through apprise reach a loopback receiver, and never block publishing."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from publisher.notify import notify
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, Result, add_args
from tests.helpers.notify_receiver import Receiver
from tests.helpers.youtube import connect


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_notify_delivers_and_survives_a_dead_target(receiver: Receiver) -> None:
    assert notify("Subject", "Body text", [receiver.url])
    assert receiver.received[0]["title"] == "publisher: Subject"
    assert receiver.received[0]["message"] == "Body text"
    assert notify("x", "y", [f"json://127.0.0.1:{closed_port()}/"]) is False
    assert notify("x", "y", ["not-a-url"]) is False
    assert notify("x", "y", []) is True


def test_needs_attention_is_notified_the_moment_it_happens(sqlite_home: HomeFixture,
                                                           media: Media,
                                                           receiver: Receiver) -> None:
    english_campaign(sqlite_home)
    with FakeYouTube() as yt:
        connect(sqlite_home, yt)
        creds_file = sqlite_home.path / "credentials.json"
        creds = json.loads(creds_file.read_text())
        creds["notifications"] = {"urls": [receiver.url,
                                           f"json://127.0.0.1:{closed_port()}/dead"]}
        creds_file.write_text(json.dumps(creds))
        video = media.video()
        sqlite_home.ok(*add_args(video))
        video.write_bytes(b"changed")
        result = sqlite_home.run("upload", 1)
    assert result.exit_code == 4  # the dead notification target blocked nothing
    assert len(receiver.received) == 1
    message = receiver.received[0]
    assert "needs attention" in message["title"]
    assert "changed since it was queued" in message["message"]
    assert "publisher retry 1" in message["message"]


def english_campaign(home: HomeFixture) -> None:
    """Notifications speak the campaign's language (test_notify_language.py): English here."""
    toml = home.path / "publisher.toml"
    text = toml.read_text()
    assert '\nlanguage = "it"\n' in text
    toml.write_text(text.replace('\nlanguage = "it"\n', '\nlanguage = "en"\n', 1))


def with_receiver(home: HomeFixture, receiver: Receiver) -> None:
    english_campaign(home)
    creds_file = home.path / "credentials.json"
    creds = json.loads(creds_file.read_text())
    creds["notifications"] = {"urls": [receiver.url]}
    creds_file.write_text(json.dumps(creds))


def test_the_daily_chore_runs_the_doctor_and_notifies_what_fails(
        sqlite_home: HomeFixture, media: Media, receiver: Receiver) -> None:
    with FakeYouTube() as yt:
        connect(sqlite_home, yt)
        with_receiver(sqlite_home, receiver)
        sqlite_home.ok(*add_args(media.video()))
        yt.revoke_tokens()  # days before release day, the authorisation dies
        result = sqlite_home.run("run-due")
    assert result.exit_code == 0, result.output  # nothing is due yet: nothing needs attention
    titles = [m["title"] for m in receiver.received]
    assert "publisher: Check before release" in titles
    check = next(m for m in receiver.received if m["title"] == "publisher: Check before release")
    assert "doctor: youtube credentials" in check["message"]
    assert "publisher auth youtube" in check["message"]


@contextlib.contextmanager
def one_interview(home: HomeFixture, media: Media, receiver: Receiver
                  ) -> Iterator[tuple[dict[str, Any], Callable[[str], Result]]]:
    """A home with one queued interview, notifications to `receiver`, and `run-due --at`
    with YouTube's clock at the same instant (so publishAt passes)."""
    now = [dt.datetime.now(dt.UTC)]
    with FakeYouTube(clock=lambda: now[0]) as yt:
        connect(home, yt)
        with_receiver(home, receiver)
        home.ok(*add_args(media.video()))
        plan = json.loads(home.ok("plan", "--json").stdout)[0]

        def run_at(at: str) -> Result:
            now[0] = dt.datetime.fromisoformat(at)
            return home.run("run-due", "--at", at)

        yield plan, run_at


def test_a_release_is_notified_only_when_asked(sqlite_home: HomeFixture, media: Media,
                                               receiver: Receiver) -> None:
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("on_release = false", "on_release = true"))
    with one_interview(sqlite_home, media, receiver) as (plan, run_at):
        run_at(plan["upload_at"])
        result = run_at(plan["slot_utc"])
    assert "release interview 1: released" in result.stdout, result.output
    out = [m for m in receiver.received if m["title"] == "publisher: Interview 1 is out"]
    assert len(out) == 1 and "youtube.com/watch?v=" in out[0]["message"]


def test_the_weekly_digest_counts_quota_and_warns_of_an_expiring_authorisation(
        sqlite_home: HomeFixture, media: Media, receiver: Receiver) -> None:
    with one_interview(sqlite_home, media, receiver) as (plan, run_at):
        assert run_at(plan["upload_at"]).exit_code == 0  # uploads: quota is used
        digests = [m["message"] for m in receiver.received
                   if m["title"] == "publisher: Weekly digest"]
        assert len(digests) == 1
        assert "YouTube quota used in the last 7 days: 1 uploads" in digests[0]
        assert "YouTube authorisation: granted 0 day(s) ago" in digests[0]
        assert "Testing" in digests[0]
        week_later = dt.datetime.fromisoformat(plan["upload_at"]) + dt.timedelta(days=8)
        run_at(week_later.isoformat())
        # A clock set back before the grant was first seen: never a negative age.
        weeks_before = dt.datetime.fromisoformat(plan["upload_at"]) - dt.timedelta(days=15)
        run_at(weeks_before.isoformat())
    digests = [m["message"] for m in receiver.received
               if m["title"] == "publisher: Weekly digest"]
    assert len(digests) == 3
    assert "granted 8 day(s) ago" in digests[1] and "Testing" not in digests[1]
    assert "granted 0 day(s) ago" in digests[2] and "granted -" not in digests[2]
    engine_rows = sqlite_home.snapshot()["runtime_state"]
    token = json.loads((sqlite_home.path / "youtube-token.json").read_text())["refresh_token"]
    assert token not in repr(engine_rows)  # a fingerprint, never the token
