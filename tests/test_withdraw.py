"""Withdrawing an interview after it went out (`publisher withdraw`), and putting it back
(`publisher republish`), end to end: a real database, the real CLI, the real client
libraries and the loopback fakes of YouTube, Mastodon, Bluesky and Telegram.

What must hold: the video becomes private (never deleted) and no post is left anywhere that
allows deleting (read back from the fakes); a Telegram message past its 48 hours needs a
person, with its link; `status` and `queue show` show the withdrawn interview; republishing
makes the video public again and posts anew, once; a crash at any point of a withdrawal,
then a new run, deletes each post once and journals it once.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

import publisher.faults
import publisher.pipeline.withdraw as withdraw_module
from publisher.pipeline.run_due import run_due
from publisher.pipeline.withdraw import withdraw
from publisher.platforms.spec import crosspost_names
from publisher.sandbox.bluesky import FakeBluesky
from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock
from tests.helpers.corrections import events, runtime
from tests.helpers.crash_points import Died
from tests.helpers.home_template import HomeTemplate
from tests.helpers.marks import POINT_SHARES, share_of
from tests.helpers.posts_out import posts as posts_on
from tests.helpers.posts_out import published_world
from tests.helpers.withdraw import (
    BLUESKY_HANDLE,
    BLUESKY_PASSWORD,
    Platforms,
    posts,
    started_platforms,
    state,
    wire,
)

REASON = "the artist withdrew consent"


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    with started_platforms() as started:
        yield started


def out(home: HomeFixture, media: Media, p: Platforms) -> tuple[Any, str]:
    """One interview published now: its video public, a post on each platform."""
    wire(home, p)
    home.ok(*add_args(media.video(), "Maria Rossi, ceramista"))
    home.ok("publish", 1, "--now")
    video = next(iter(p.yt.videos.values()))
    link = f"https://www.youtube.com/watch?v={video.id}"
    assert video.privacy_status == "public"
    for fake in (p.mastodon, p.bluesky, p.telegram):
        assert len(fake.posts_with(link)) == 1, type(fake).__name__
    return video, link


def live_posts(p: Platforms, link: str) -> dict[str, int]:
    return {"mastodon": len(p.mastodon.posts_with(link)),
            "bluesky": len(p.bluesky.posts_with(link)),
            "telegram": len(p.telegram.posts_with(link))}


def test_a_withdrawal_leaves_the_video_private_and_no_post_anywhere(
        home: HomeFixture, media: Media, platforms: Platforms) -> None:
    video, link = out(home, media, platforms)
    title_before = video.title

    done = home.ok("withdraw", 1, "--reason", REASON)
    assert "withdrawn" in done.stdout and "made private" in done.stdout
    assert video.privacy_status == "private" and video.id in platforms.yt.videos  # not deleted
    assert video.title == title_before  # the read-modify-write kept the rest
    assert live_posts(platforms, link) == {"mastodon": 0, "bluesky": 0, "telegram": 0}
    assert len(platforms.mastodon.deleted) == len(platforms.bluesky.deleted) == 1
    assert len(platforms.telegram.deleted) == 1
    assert state(home) == "withdrawn"
    assert {k: v[0] for k, v in posts(home).items()} == {
        "mastodon": "deleted", "bluesky": "deleted", "telegram": "deleted"}

    status = json.loads(home.ok("status", "--json").stdout)
    assert [w["interview_id"] for w in status["withdrawn"]] == [1]
    assert status["withdrawn"][0]["reason"] == REASON
    assert status["needs_attention"] == []
    shown = home.ok("status").stdout
    assert "Withdrawn:" in shown and REASON in shown and "publisher republish 1" in shown
    assert "withdrawn" in home.ok("queue", "show", 1).stdout
    history = home.ok("history", 1).stdout
    assert "withdrawn" in history and "post deleted" in history

    # Idempotent: a second run sends nothing and deletes nothing twice.
    updates = len([r for r in platforms.yt.requests if r.tag == "youtube.videos.update"])
    again = home.ok("withdraw", 1)
    assert "already" in again.stdout or "private" in again.stdout
    assert len([r for r in platforms.yt.requests
                if r.tag == "youtube.videos.update"]) == updates
    assert len(events(home, "post_deleted")) == 3


def test_a_withdrawal_deletes_the_post_on_every_platform(
        home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    """All five cross-posting platforms, X and Facebook too: none keeps a post."""
    names = crosspost_names()
    clock = Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))
    with published_world(home, media, clock, monkeypatch, names) as (_, platforms):
        video = next(iter(platforms.youtube.videos.values()))
        home.ok("withdraw", 1, "--reason", REASON)
        assert video.privacy_status == "private" and video.id in platforms.youtube.videos
        assert {n: len(posts_on(platforms, n)) for n in names} == dict.fromkeys(names, 0)
        assert {n: len(platforms.by_name[n].deleted) for n in names} == dict.fromkeys(names, 1)
        assert {k: v[0] for k, v in posts(home).items()} == dict.fromkeys(names, "deleted")
        assert json.loads(home.ok("status", "--json").stdout)["needs_attention"] == []


def test_republishing_makes_it_public_and_posts_again_once(
        home: HomeFixture, media: Media, platforms: Platforms) -> None:
    video, link = out(home, media, platforms)
    home.ok("withdraw", 1, "--reason", REASON)
    old = {k: v[1] for k, v in posts(home).items()}

    back = home.ok("republish", 1)
    assert "posted again on: bluesky, mastodon, telegram" in back.stdout
    assert video.privacy_status == "public"
    assert live_posts(platforms, link) == {"mastodon": 1, "bluesky": 1, "telegram": 1}
    now = posts(home)
    assert {k: v[0] for k, v in now.items()} == {
        "mastodon": "done", "bluesky": "done", "telegram": "done"}
    assert all(now[k][1] != old[k] for k in now)  # new posts, new addresses
    assert state(home) == "published"
    # Exactly once: running the daemon's tick posts nothing more.
    home.ok("run-due")
    assert live_posts(platforms, link) == {"mastodon": 1, "bluesky": 1, "telegram": 1}
    # And it can be withdrawn again.
    home.ok("withdraw", 1, "--reason", "again")
    assert live_posts(platforms, link) == {"mastodon": 0, "bluesky": 0, "telegram": 0}
    assert video.privacy_status == "private"


def test_a_telegram_message_older_than_48_hours_needs_you_with_its_link(
        home: HomeFixture, media: Media, platforms: Platforms) -> None:
    _video, link = out(home, media, platforms)
    message = platforms.telegram.posts_with(link)[0]
    platforms.telegram.age_post(message["message_id"], dt.timedelta(hours=49))

    result = home.run("withdraw", 1, "--reason", REASON)
    assert result.exit_code == 4, result.output
    url = f"https://t.me/studiaperti_sandbox/{message['message_id']}"
    assert url in result.output and "48 hours" in result.output
    assert live_posts(platforms, link) == {"mastodon": 0, "bluesky": 0, "telegram": 1}
    status = json.loads(home.run("status", "--json").stdout)
    [need] = status["needs_attention"]
    assert need["platform"] == "telegram" and url in need["reason"]
    assert need["fix"] == "publisher withdraw 1 --deleted-by-hand telegram"

    home.ok("withdraw", 1, "--deleted-by-hand", "telegram")
    assert json.loads(home.ok("status", "--json").stdout)["needs_attention"] == []
    assert posts(home)["telegram"][0] == "deleted"


def test_only_an_interview_on_youtube_can_be_withdrawn(home: HomeFixture, media: Media,
                                                       platforms: Platforms) -> None:
    wire(home, platforms)
    home.ok(*add_args(media.video(), "Maria Rossi, ceramista"))
    refused = home.run("withdraw", 1, "--reason", REASON)
    assert refused.exit_code != 0 and "queue cancel 1" in refused.output
    assert state(home) == "queued"


# ---- a crash at each point, then a new run -----------------------------------------------------


def _points(monkeypatch: pytest.MonkeyPatch, target: str | None) -> list[str]:
    seen: list[str] = []
    counts: dict[str, int] = {}

    def point(name: str) -> None:
        counts[name] = counts.get(name, 0) + 1
        label = f"{name}@{counts[name]}"
        seen.append(label)
        if label == target:
            raise Died(label)

    monkeypatch.setattr(publisher.faults, "crash_point", point)
    monkeypatch.setattr(withdraw_module, "crash_point", point)
    return seen


@pytest.mark.parametrize("share", POINT_SHARES)
def test_dying_at_each_point_then_resuming_deletes_each_post_once(
        share: str, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch, home_template: HomeTemplate) -> None:
    def world(fakes: Platforms) -> tuple[HomeFixture, str]:
        path = tmp_path_factory.mktemp("withdraw") / "home"
        home = HomeFixture(path, home_template.sqlite_home(path))
        _video, link = out(home, Media(path.parent / "media"), fakes)
        return home, link

    clock = Clock(dt.datetime.now(dt.UTC))
    with FakeYouTube() as yt, FakeMastodon() as ma, \
            FakeBluesky(handle=BLUESKY_HANDLE, app_password=BLUESKY_PASSWORD) as bs, \
            FakeTelegram() as tg:
        home, _ = world(Platforms(yt, ma, bs, tg))
        trace = _points(monkeypatch, None)
        withdraw(runtime(home, monkeypatch, clock), 1, REASON)
        monkeypatch.undo()
    start = trace.index("withdraw.intent@1") - 2  # the intent's own commit
    points = trace[start:]
    for name in ("withdraw.video_sent@1", "withdraw.delete_intent@3", "withdraw.delete_sent@3"):
        assert name in points

    failures = []
    for target in share_of(points, share, every=6):
        with FakeYouTube() as yt, FakeMastodon() as ma, \
                FakeBluesky(handle=BLUESKY_HANDLE,
                            app_password=BLUESKY_PASSWORD) as bs, FakeTelegram() as tg:
            fakes = Platforms(yt, ma, bs, tg)
            home, link = world(fakes)
            _points(monkeypatch, target)
            try:
                withdraw(runtime(home, monkeypatch, clock), 1, REASON)
                died = False
            except Died:
                died = True
            _points(monkeypatch, None)
            # The daemon's tick finishes it (or a second `publisher withdraw` would).
            run_due(runtime(home, monkeypatch, clock), clock.now)
            withdraw(runtime(home, monkeypatch, clock), 1, REASON)
            video = next(iter(yt.videos.values()))
            verdict = {
                "died": died, "private": video.privacy_status,
                "live": live_posts(fakes, link),
                "deleted": (len(ma.deleted), len(bs.deleted), len(tg.deleted)),
                "journal": len(events(home, "post_deleted")),
                "withdrawn": len(events(home, "withdrawn")),
                "records": sorted(v[0] for v in posts(home).values()),
                "state": state(home)}
            ok = (died and verdict["private"] == "private"
                  and verdict["live"] == {"mastodon": 0, "bluesky": 0, "telegram": 0}
                  and verdict["deleted"] == (1, 1, 1) and verdict["journal"] == 3
                  and verdict["withdrawn"] == 1 and verdict["records"] == ["deleted"] * 3
                  and verdict["state"] == "withdrawn")
            if not ok:
                failures.append(f"{target}: {verdict}")
            monkeypatch.undo()
    assert failures == []
