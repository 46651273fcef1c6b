"""Corrections after release (issue 15, first increment: YouTube metadata), end to end: a
real database, the loopback fake YouTube, the real google-api-python-client, the real CLI.

An interview is published through `run_due`; then `queue edit` records a correction,
`sync --dry-run` compares field by field with what YouTube holds, `sync` (or the daemon's
tick) applies it with one read-modify-write `videos.update`.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest

from publisher.pipeline.correct import Outcome, sync
from publisher.pipeline.run_due import run_due
from publisher.quota import used_today
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock
from tests.helpers.corrections import (
    TITLE,
    corrections,
    events,
    published,
    runtime,
    staged,
    updates,
)
from tests.helpers.scoped import Session

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)  # a Monday; no blackout in February


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


def by_field(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["field"]: f for f in report["fields"]}


# ---- the title of a published interview ------------------------------------------------------

def test_a_published_title_is_corrected_and_nothing_else_moves(
        home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = published(home, media, yt, clock, monkeypatch)
    before = dict(video.snippet)
    assert TITLE in video.title

    edited = home.ok("queue", "edit", 1, "--title", "Maria Rossi nel suo laboratorio")
    assert "publisher sync 1" in edited.stderr and "title" in edited.stderr
    assert [c.state for c in corrections(home)] == ["pending"]
    assert corrections(home)[0].fields == ["title"]
    assert not updates(yt)  # recorded, not sent

    dry = home.ok("sync", 1, "--dry-run", "--json")
    report = json.loads(dry.stdout)
    fields = by_field(report)
    assert report["outcome"] == "dry_run"
    assert fields["title"]["verdict"] == "change"
    assert TITLE in fields["title"]["live"] and "laboratorio" in fields["title"]["wanted"]
    assert {f for f, d in fields.items() if d["verdict"] != "same"} == {"title"}
    assert not updates(yt)  # a dry run changes nothing

    home.ok("sync", 1)
    assert "laboratorio" in video.title
    for key in ("description", "tags", "categoryId", "defaultLanguage",
                "defaultAudioLanguage"):
        assert video.snippet.get(key) == before.get(key), key
    assert [u["id"] for u in video.updates] == [video.id]
    assert "part=snippet" in updates(yt)[0].query  # only the part that changed
    assert [c.state for c in corrections(home)] == ["done"]
    applied = events(home, "correction_applied")
    assert len(applied) == 1
    assert applied[0]["changes"]["title"]["new"] == video.title
    assert TITLE in applied[0]["changes"]["title"]["old"]
    # Once applied, a second sync finds nothing to do and sends nothing.
    again = json.loads(home.ok("sync", 1, "--json").stdout)
    assert again["outcome"] == "up_to_date" and len(updates(yt)) == 1


# ---- every part keeps what it had ------------------------------------------------------------

def test_each_part_keeps_every_field_it_had(home: HomeFixture, media: Media,
                                           yt: FakeYouTube, clock: Clock,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    """Fields publisher does not manage (set in the fake first) survive an update of each
    of the four parts."""
    video = published(home, media, yt, clock, monkeypatch, "--localization",
                      "en=Maria Rossi in her studio")
    video.status["publicStatsViewable"] = False
    video.snippet["defaultAudioLanguage"] = "it"
    video.recording_details["locationDescription"] = "Faenza"
    snippet, status = dict(video.snippet), dict(video.status)
    home.ok("queue", "edit", 1, "--title", "Maria Rossi, ceramista",
            "--license", "creativeCommon", "--recording-date", "2026-10-04",
            "--localization", "en=Maria Rossi, ceramist",
            "--localized-description", "en=A ceramist at work.",
            "--not-embeddable", "--synthetic-media")
    assert corrections(home)[0].fields == [
        "title", "localizations", "license", "embeddable", "synthetic_media",
        "recording_date"]
    home.ok("sync", 1)
    sent = updates(yt)
    assert len(sent) == 1
    assert "part=localizations%2CrecordingDetails%2Csnippet%2Cstatus" in sent[0].query
    assert video.snippet == {**snippet, "title": video.snippet["title"]}
    assert "ceramista" in video.title
    assert video.status == {**status, "license": "creativeCommon", "embeddable": False,
                            "containsSyntheticMedia": True}
    assert video.recording_details == {"recordingDate": "2026-10-04T00:00:00.000Z",
                                       "locationDescription": "Faenza"}
    assert video.localizations == {"en": {"title": "Maria Rossi, ceramist",
                                          "description": "A ceramist at work."}}


# ---- a change made by hand in YouTube Studio -------------------------------------------------

def test_a_change_made_in_studio_is_shown_and_not_overwritten_without_force(
        home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = published(home, media, yt, clock, monkeypatch)
    video.snippet["description"] = "Scritto a mano in YouTube Studio."
    home.ok("queue", "edit", 1, "--description", "Una ceramista di Faenza.")
    dry = json.loads(home.ok("sync", 1, "--dry-run", "--json").stdout)
    description = by_field(dry)["description"]
    assert description["verdict"] == "studio"
    assert description["live"] == "Scritto a mano in YouTube Studio."
    assert "Faenza" in description["wanted"]

    kept = home.run("sync", 1)
    assert kept.exit_code == 4, kept.output
    assert "changed in YouTube Studio" in kept.output and "--force" in kept.output
    assert video.snippet["description"] == "Scritto a mano in YouTube Studio."
    assert not updates(yt)
    assert [c.state for c in corrections(home)] == ["conflict"]
    status = home.run("status", "--json")
    assert status.exit_code == 4
    needs = json.loads(status.stdout)["needs_attention"]
    assert [(n["interview_id"], n["fix"]) for n in needs] == [(1, "publisher sync 1 --dry-run")]
    assert "YouTube Studio" in needs[0]["reason"]
    # The daemon's tick leaves a conflict alone too.
    run_due(runtime(home, monkeypatch, clock), clock.now)
    assert not updates(yt)

    home.ok("sync", 1, "--force")
    assert "Faenza" in video.snippet["description"]
    assert [c.state for c in corrections(home)] == ["done"]
    assert json.loads(home.ok("status", "--json").stdout)["needs_attention"] == []


def test_editing_back_to_the_live_value_keeps_youtubes(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = published(sqlite_home, media, yt, clock, monkeypatch)
    home = sqlite_home
    home.ok("queue", "edit", 1, "--category", "27")
    video.snippet["categoryId"] = "24"  # meanwhile, by hand
    assert home.run("sync", 1).exit_code == 4
    home.ok("queue", "edit", 1, "--category", "24")  # the organizer keeps YouTube's
    home.ok("sync", 1)
    assert video.snippet["categoryId"] == "24"
    assert not updates(yt)
    assert [c.state for c in corrections(home)] == ["done"]


# ---- privacy and the scheduled publishing time ------------------------------------------------

def test_privacy_of_a_published_video_is_corrected(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = published(sqlite_home, media, yt, clock, monkeypatch, "--privacy", "public")
    sqlite_home.ok("queue", "edit", 1, "--privacy", "unlisted")
    sqlite_home.ok("sync", 1)
    assert video.privacy_status == "unlisted"
    assert video.status.get("selfDeclaredMadeForKids") is False  # the status part kept it


def test_a_staged_video_keeps_private_and_its_publish_at_moves(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = staged(sqlite_home, media, yt, clock, monkeypatch, "--privacy", "public",
                   "--not-embeddable")
    assert video.publish_at == "2027-02-02T17:00:00Z"
    assert video.status["embeddable"] is False  # the upload sends it too
    # A title correction while it waits: the status part (private + publishAt) is not sent.
    sqlite_home.ok("queue", "edit", 1, "--title", "Nuovo titolo")
    assert sync(runtime(sqlite_home, monkeypatch, clock), 1).outcome == Outcome.APPLIED
    assert "Nuovo titolo" in video.title
    assert video.privacy_status == "private" and video.publish_at == "2027-02-02T17:00:00Z"
    # Moving the slot moves publishAt (the video stays private until then).
    sqlite_home.ok("queue", "edit", 1, "--publish-at", "2027-02-03T19:30+01:00")
    report = sync(runtime(sqlite_home, monkeypatch, clock), 1)
    assert report.outcome == Outcome.APPLIED, report.detail
    assert video.privacy_status == "private" and video.publish_at == "2027-02-03T18:30:00Z"
    assert "Nuovo titolo" in video.title and video.status["embeddable"] is False


# ---- what cannot be corrected, and what is refused ------------------------------------------

def test_what_a_correction_cannot_change_is_refused_with_the_reason(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    published(sqlite_home, media, yt, clock, monkeypatch)
    before = sqlite_home.snapshot()
    refused = sqlite_home.run("queue", "edit", 1, "--video", media.video(),
                              "--schedule", "studi-aperti")
    assert refused.exit_code == 2
    assert "video" in refused.stderr and "--publish-at" in refused.stderr
    bad = sqlite_home.run("queue", "edit", 1, "--title", "a <b> title")
    assert bad.exit_code == 2 and "title" in bad.stderr  # validated like `queue add`
    late = sqlite_home.run("queue", "edit", 1, "--publish-at", "2027-03-01")
    assert late.exit_code == 2 and "staged" in late.stderr
    assert sqlite_home.snapshot() == before


# ---- the daemon's tick, the quota -----------------------------------------------------------

def test_the_tick_applies_corrections_after_releases_and_keeps_their_quota(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    home = sqlite_home
    video = published(home, media, yt, clock, monkeypatch)
    # A second interview, uploaded for Friday's slot.
    home.ok(*add_args(media.video(), "Secondo", "--privacy", "unlisted"))
    friday = dt.datetime(2027, 2, 5, 17, 0, tzinfo=dt.UTC)
    clock.now = friday - dt.timedelta(hours=8)
    rt = runtime(home, monkeypatch, clock)
    assert ("stage", "staged") in [(a.step, a.outcome) for a in run_due(rt, clock.now).actions]
    second = next(v for v in yt.videos.values() if v.id != video.id)
    yt.finish_processing(second.id)
    home.ok("queue", "edit", 1, "--title", "Corretto")
    # Today's units leave room for Friday's release (videos.list + videos.update, 51) but
    # not also for the correction (1 + 50).
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        used = used_today(s, clock.now)["units"]
    engine.dispose()
    toml = home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[youtube]\n", f"[youtube]\ndaily_units = "
                                             f"{used + 51 + 50}\n", 1))
    clock.now += dt.timedelta(hours=1)
    actions = [(a.step, a.outcome) for a in run_due(runtime(home, monkeypatch, clock),
                                                    clock.now).actions]
    assert actions == [("correct", "waiting")]
    clock.now = friday
    actions = [(a.step, a.outcome) for a in run_due(runtime(home, monkeypatch, clock),
                                                    clock.now).actions]
    assert actions == [("release", "released")]  # on time; the correction still waits
    assert second.privacy_status == "unlisted"
    assert "Corretto" not in video.title
    waiting = corrections(home)[0]
    assert waiting.state == "waiting" and "quota" in (waiting.last_error or "")
    status = json.loads(home.ok("status", "--json").stdout)
    assert status["corrections"][0]["state"] == "waiting"
    assert status["needs_attention"] == []  # waiting for the reset needs nobody
    # After the reset (midnight Pacific), the next tick applies it.
    assert waiting.next_attempt_at is not None
    clock.now = waiting.next_attempt_at + dt.timedelta(minutes=1)
    actions = [(a.step, a.outcome) for a in run_due(runtime(home, monkeypatch, clock),
                                                    clock.now).actions]
    assert ("correct", "applied") in actions
    assert "Corretto" in video.title
    assert [c.state for c in corrections(home)] == ["done"]


# ---- failures ---------------------------------------------------------------------------------

def test_a_video_gone_from_youtube_needs_attention_with_the_reason(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    video = published(sqlite_home, media, yt, clock, monkeypatch)
    sqlite_home.ok("queue", "edit", 1, "--title", "Corretto")
    del yt.channel.videos[video.id]
    failed = sqlite_home.run("sync", 1)
    assert failed.exit_code == 4 and "no longer on YouTube" in failed.output
    assert [c.state for c in corrections(sqlite_home)] == ["needs_attention"]
    status = sqlite_home.run("status")
    assert status.exit_code == 4
    assert "no longer on YouTube" in status.stdout and "To fix" in status.stdout
    history = sqlite_home.ok("history", 1, "--json").stdout
    assert "correction_needs_attention" in history
