"""run_due(now) with a controlled clock: a whole simulated month, idempotency, downtime.

The loopback YouTube shares the simulated clock, so publishAt fires when the month says.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest

from publisher.pipeline.run_due import run_due
from publisher.pipeline.runtime import Runtime
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock
from tests.helpers.rows import events, interviews
from tests.helpers.run_due import START, queue, runtime, set_schedule
from tests.helpers.youtube import connect


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


def simulate(rt: Runtime, clock: Clock, until: dt.datetime) -> None:
    """What the daemon does: run_due, then sleep until the next wake (at most 6 h)."""
    while clock.now < until:
        report = run_due(rt, clock.now)
        wake = report.next_wake or clock.now + dt.timedelta(hours=6)
        clock.now = max(clock.now + dt.timedelta(seconds=1),
                        min(wake, clock.now + dt.timedelta(hours=6), until))


@pytest.mark.slow
@pytest.mark.parametrize("per_week", [2, 1])
def test_a_simulated_month_keeps_the_cadence(sqlite_home: HomeFixture, media: Media,
                                             yt: FakeYouTube, clock: Clock, per_week: int,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    connect(sqlite_home, yt)
    set_schedule(sqlite_home, per_week=str(per_week), blackouts="[]")
    queue(sqlite_home, media, 6)
    rt = runtime(sqlite_home, clock, monkeypatch)
    simulate(rt, clock, START + dt.timedelta(weeks=4))
    items = interviews(sqlite_home)
    released = [i for i in items if i.state in ("released", "published")]
    slots = sorted(i.slot_at for i in released if i.slot_at)
    # Tuesdays and Fridays at 18:00 Rome (17:00 UTC in February) from 2027-02-02 on.
    expected_all = [dt.datetime(2027, 2, d, 17, 0, tzinfo=dt.UTC)
                    for d in (2, 5, 9, 12, 16, 19, 23, 26)]
    expected = expected_all if per_week == 2 else expected_all[::2]
    assert slots == expected[:6]
    assert len(slots) == len(set(slots)), "never two in one slot"
    assert [i.id for i in released] == list(range(1, len(slots) + 1)), "queue order kept"
    staged = [i for i in items if i.state == "staged"]  # next week's, uploaded ahead
    assert all(i.slot_at and i.slot_at > clock.now for i in staged)
    assert len(yt.videos) == len(released) + len(staged), "one video per interview"
    for event in events(sqlite_home, "released"):
        item = next(i for i in items if i.id == event.interview_id)
        assert item.slot_at is not None and event.at >= item.slot_at, "nothing early"
        assert event.at - item.slot_at < dt.timedelta(minutes=15)
    for event in events(sqlite_home, "staging"):
        item = next(i for i in items if i.id == event.interview_id)
        assert item.slot_at is not None
        assert event.at >= item.slot_at - dt.timedelta(hours=48), "not uploaded before time"
    staged_titles = {i.title for i in staged}
    for video in yt.videos.values():
        assert video.metadata["status"]["privacyStatus"] == "private"
        assert video.privacy_status == ("private" if video.title in staged_titles
                                        else "public")
    left = [i for i in items if i.state == "queued"]
    assert len(left) == 6 - len(released) - len(staged), "nothing lost"


def test_run_due_twice_at_the_same_instant_does_nothing_the_second_time(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    connect(sqlite_home, yt)
    queue(sqlite_home, media, 2)
    rt = runtime(sqlite_home, clock, monkeypatch)
    clock.now = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)  # within Tuesday's lead time
    first = run_due(rt, clock.now)
    assert [(a.step, a.outcome) for a in first.actions] == [("stage", "staged")]
    before = sqlite_home.snapshot()
    second = run_due(rt, clock.now)
    assert second.actions == []
    assert sqlite_home.snapshot() == before
    assert len(yt.videos) == 1


def test_down_over_the_lead_time_stages_at_once(sqlite_home: HomeFixture, media: Media,
                                                yt: FakeYouTube, clock: Clock,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    connect(sqlite_home, yt)
    queue(sqlite_home, media, 1)
    rt = runtime(sqlite_home, clock, monkeypatch)
    clock.now = dt.datetime(2027, 2, 2, 9, 0, tzinfo=dt.UTC)  # 8 h before the slot
    report = run_due(rt, clock.now)
    assert [(a.step, a.outcome) for a in report.actions] == [("stage", "staged")]
    video = next(iter(yt.videos.values()))
    assert video.publish_at == "2027-02-02T17:00:00Z"


def test_down_over_a_slot_within_grace_releases_at_once(sqlite_home: HomeFixture,
                                                        media: Media, yt: FakeYouTube,
                                                        clock: Clock,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    connect(sqlite_home, yt)
    queue(sqlite_home, media, 2)
    rt = runtime(sqlite_home, clock, monkeypatch)
    clock.now = dt.datetime(2027, 2, 2, 19, 30, tzinfo=dt.UTC)  # 2.5 h after Tuesday's slot
    report = run_due(rt, clock.now)
    assert ("catch_up", "staged") in [(a.step, a.outcome) for a in report.actions]
    assert ("release", "released") in [(a.step, a.outcome) for a in report.actions]
    items = interviews(sqlite_home)
    assert [i.state for i in items] == ["published", "queued"], "only one slot's worth"
    assert items[0].slot_at == dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC)
    assert len(yt.videos) == 1


def test_down_past_the_grace_moves_to_the_next_slot(sqlite_home: HomeFixture, media: Media,
                                                    yt: FakeYouTube, clock: Clock,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    connect(sqlite_home, yt)
    queue(sqlite_home, media, 1)
    rt = runtime(sqlite_home, clock, monkeypatch)
    clock.now = dt.datetime(2027, 2, 3, 8, 0, tzinfo=dt.UTC)  # 15 h after Tuesday's slot
    report = run_due(rt, clock.now)
    # Friday's slot is 57 h away: its upload starts at Friday − 48 h, not now.
    assert report.actions == []
    assert report.next_wake == dt.datetime(2027, 2, 3, 17, 0, tzinfo=dt.UTC)
    assert not yt.videos


def test_run_due_command(sqlite_home: HomeFixture, media: Media, yt: FakeYouTube,
                         clock: Clock) -> None:
    connect(sqlite_home, yt)
    queue(sqlite_home, media, 1)
    clock.now = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)
    result = sqlite_home.run("run-due", "--at", "2027-02-01T18:00:00Z", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [(a["step"], a["outcome"]) for a in data["actions"]] == [("stage", "staged")]
    assert data["next_wake"] == "2027-02-02T17:00:00+00:00"
    again = sqlite_home.run("run-due", "--at", "2027-02-01T18:00:00Z")
    assert again.exit_code == 0 and "Nothing was due." in again.stdout


def test_run_due_reports_needs_attention_with_exit_4(sqlite_home: HomeFixture, media: Media,
                                                     yt: FakeYouTube, clock: Clock) -> None:
    connect(sqlite_home, yt)
    video = media.video()
    sqlite_home.ok(*add_args(video))
    video.write_bytes(b"not the same video")
    clock.now = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)
    result = sqlite_home.run("run-due", "--at", "2027-02-01T18:00:00Z")
    assert result.exit_code == 4
    assert "needs_attention" in result.stdout




def test_a_slot_missed_beyond_the_grace_is_reported(sqlite_home: HomeFixture, media: Media,
                                                    yt: FakeYouTube, clock: Clock,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    connect(sqlite_home, yt)
    queue(sqlite_home, media, 1)
    rt = runtime(sqlite_home, clock, monkeypatch)
    clock.now = dt.datetime(2027, 1, 30, 9, 0, tzinfo=dt.UTC)  # Saturday: before the lead time
    assert run_due(rt, clock.now).actions == []
    clock.now = dt.datetime(2027, 2, 3, 8, 0, tzinfo=dt.UTC)  # down over Tuesday's slot
    report = run_due(rt, clock.now)
    assert [(a.step, a.outcome) for a in report.actions] == [("missed", "moved")]
    assert "2027-02-02 18:00" in report.actions[0].detail
    assert [e.detail["slot"] for e in events(sqlite_home, "slot_missed")] == [
        "2027-02-02T17:00:00+00:00"]
    assert run_due(rt, clock.now).actions == []  # told once
    assert not yt.videos
