"""Corrections of the thumbnail, the caption tracks and the playlist of an interview already
out (issue 15), end to end: a real database (SQLite and PostgreSQL for the issue's own test),
the loopback YouTube, the real google-api-python-client, the real CLI.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from publisher.pipeline.correct import Outcome, sync
from publisher.quota import RELEASE_UNITS, spend, used_today
from publisher.samples import make_png
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import Publication
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import corrections, events, published, runtime
from tests.helpers.scoped import Session

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)
PLAYLIST = "Studi Aperti 2026"


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


def calls(yt: FakeYouTube, method: str) -> list[Any]:
    """The fake's successful answers to `method` (e.g. "captions.insert")."""
    return [r for r in yt.requests if r.tag == f"youtube.{method}" and r.status in (200, 204)]


def tracks(yt: FakeYouTube, video_id: str) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for c in yt.captions.values():
        if c.video_id == video_id:
            out.setdefault(c.language, []).append(c)
    return out


def step_handle(home: HomeFixture, step: str) -> str | None:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        handle = s.scalar(select(Publication.handle).where(Publication.step == step))
    engine.dispose()
    return handle


def asr_listed(home: HomeFixture, yt: FakeYouTube, video_id: str) -> list[dict[str, Any]]:
    """What captions.list shows of YouTube's automatic track (through the fake's API)."""
    from tests.sandbox.youtube_client import service

    listed = service(yt).captions().list(part="snippet", videoId=video_id).execute()
    return [i for i in listed["items"] if i["snippet"]["trackKind"] == "asr"]


# ---- the end-to-end test ---------------------------------------------------------------

def test_a_caption_language_added_after_release_is_uploaded_once(
        home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    it = media.srt()
    video = published(home, media, yt, clock, monkeypatch, "--captions", f"it={it}")
    assert sorted(tracks(yt, video.id)) == ["it"]
    assert asr_listed(home, yt, video.id)  # YouTube's own track is there too
    inserts = len(calls(yt, "captions.insert"))

    en = media.vtt()
    edited = home.ok("queue", "edit", 1, "--captions", f"it={it}", "--captions", f"en={en}")
    assert "captions (en)" in edited.stderr and "publisher sync 1" in edited.stderr
    assert corrections(home)[0].fields == ["captions:en"]  # the Italian file did not change
    assert corrections(home)[0].known == {"captions:en": None}

    dry = json.loads(home.ok("sync", 1, "--dry-run", "--json").stdout)
    assert dry["outcome"] == "dry_run" and "captions (en)" in dry["detail"]
    (asset,) = dry["assets"]
    assert asset["asset"] == "captions:en" and asset["verdict"] == "change"
    assert asset["old"] is None and asset["wanted"] == str(en)
    assert asset["live"] == "no track of ours"
    assert len(calls(yt, "captions.insert")) == inserts  # a dry run sends nothing

    shown = home.ok("sync", 1, "--dry-run")
    assert "captions (en)" in shown.stdout and "upload the track" in shown.stdout

    home.ok("sync", 1)
    assert len(calls(yt, "captions.insert")) == inserts + 1
    (ours,) = tracks(yt, video.id)["en"]
    assert ours.track_kind == "standard" and ours.sha256 is not None
    assert ours.name == step_handle(home, "captions:en")
    assert [c.state for c in corrections(home)] == ["done"]

    # Again, by hand and by the daemon's tick: nothing more is sent.
    again = json.loads(home.ok("sync", 1, "--json").stdout)
    assert again["outcome"] == "up_to_date" and again["assets"] == []
    rt = runtime(home, monkeypatch, clock)
    from publisher.pipeline.correct import corrections_due

    assert corrections_due(rt, clock.now) == []
    assert len(calls(yt, "captions.insert")) == inserts + 1
    assert len(tracks(yt, video.id)["en"]) == 1
    assert asr_listed(home, yt, video.id)  # never touched
    assert not calls(yt, "captions.update") and not calls(yt, "captions.delete")

    applied = events(home, "correction_applied")
    assert [a["changes"] for a in applied] == [
        {"captions:en": {"old": None, "new": str(en)}}]
    history = json.loads(home.ok("history", 1, "--json").stdout)
    assert any(e["what"] == "correction_applied"
               and e["detail"]["changes"]["captions:en"]["new"] == str(en) for e in history)


# ---- captions replaced and removed: our tracks only ---------------------------------------------

def test_a_track_replaced_and_one_removed_touch_only_our_tracks(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    home = sqlite_home
    it, en = media.srt(), media.vtt()
    video = published(home, media, yt, clock, monkeypatch, "--captions", f"it={it}",
                      "--captions", f"en={en}")
    (old_it,) = tracks(yt, video.id)["it"]
    old_sha, old_id = old_it.sha256, old_it.id
    new_it = media.file("subs.it.v2.srt", "1\n00:00:00,000 --> 00:00:01,500\nCiao, corretto\n")

    home.ok("queue", "edit", 1, "--captions", f"it={new_it}")
    assert corrections(home)[0].fields == ["captions:en", "captions:it"]
    dry = {a["asset"]: a for a in json.loads(
        home.ok("sync", 1, "--dry-run", "--json").stdout)["assets"]}
    assert dry["captions:it"]["action"] == "replace our track's file"
    assert dry["captions:en"]["action"] == "delete our track"

    before = used_today_units(home)
    home.ok("sync", 1)
    now = tracks(yt, video.id)
    assert sorted(now) == ["it"]
    (it_track,) = now["it"]
    assert it_track.id == old_id and it_track.sha256 != old_sha and it_track.updates == 1
    assert [c.language for c in yt.deleted_captions] == ["en"]
    assert asr_listed(home, yt, video.id)
    # captions.list 50, captions.update 450, captions.delete 50, videos.list 1.
    assert used_today_units(home) - before == 50 + 450 + 50 + 1
    assert len(calls(yt, "captions.update")) == 1 and len(calls(yt, "captions.delete")) == 1

    # Edited back to the first Italian file: one more update, nothing else.
    home.ok("queue", "edit", 1, "--captions", f"it={it}")
    home.ok("sync", 1)
    assert tracks(yt, video.id)["it"][0].sha256 == old_sha
    assert len(calls(yt, "captions.update")) == 2
    assert len(calls(yt, "captions.insert")) == 2  # the upload's two, no more
    home.ok("queue", "edit", 1, "--no-captions")
    home.ok("sync", 1)
    assert tracks(yt, video.id) == {} and asr_listed(home, yt, video.id)


def used_today_units(home: HomeFixture) -> int:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        units = used_today(s, dt.datetime.now(dt.UTC))["units"]
    engine.dispose()
    return units


def test_a_track_deleted_in_studio_is_not_deleted_again_and_a_missing_one_is_uploaded(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    home = sqlite_home
    it, en = media.srt(), media.vtt()
    video = published(home, media, yt, clock, monkeypatch, "--captions", f"it={it}",
                      "--captions", f"en={en}")
    from tests.sandbox.youtube_client import service

    api = service(yt)
    for track in list(tracks(yt, video.id).values()):  # the organizer deletes both by hand
        api.captions().delete(id=track[0].id).execute()
    new_it = media.file("subs.it.v2.srt", "1\n00:00:00,000 --> 00:00:01,500\nCiao\n")
    home.ok("queue", "edit", 1, "--captions", f"it={new_it}")
    home.ok("sync", 1)
    assert sorted(tracks(yt, video.id)) == ["it"]  # replaced by a new upload
    assert len(yt.deleted_captions) == 2  # the two by hand; none by publisher
    assert not calls(yt, "captions.update")


# ---- thumbnail -----------------------------------------------------------------------------

def test_the_thumbnail_is_replaced_and_cannot_be_removed(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    home = sqlite_home
    video = published(home, media, yt, clock, monkeypatch, "--thumbnail", media.png())
    first = video.thumbnail_sha256
    assert video.thumbnails_set == 1
    new = make_png(media.folder / "thumb-2.png", color=(10, 200, 30))

    refused = home.run("queue", "edit", 1, "--no-thumbnail")
    assert refused.exit_code != 0 and "cannot remove a custom thumbnail" in refused.output
    home.ok("queue", "edit", 1, "--thumbnail", media.png())  # the same image: nothing
    assert corrections(home) == []

    home.ok("queue", "edit", 1, "--thumbnail", new)
    assert corrections(home)[0].fields == ["thumbnail"]
    dry = json.loads(home.ok("sync", 1, "--dry-run", "--json").stdout)
    assert dry["assets"][0]["action"] == "set the new image" and video.thumbnails_set == 1
    home.ok("sync", 1)
    assert video.thumbnails_set == 2 and video.thumbnail_sha256 != first
    assert events(home, "correction_applied")[0]["changes"]["thumbnail"]["new"] == str(new)
    home.ok("sync", 1)
    assert video.thumbnails_set == 2


# ---- playlist ----------------------------------------------------------------------------------

def test_the_playlist_changes_from_the_old_one_to_the_new_one(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    home = sqlite_home
    video = published(home, media, yt, clock, monkeypatch, "--playlist", PLAYLIST)
    (old,) = yt.playlists.values()
    assert old.video_ids == [video.id]

    home.ok("queue", "edit", 1, "--playlist", "Ceramica")
    dry = json.loads(home.ok("sync", 1, "--dry-run", "--json").stdout)
    assert dry["assets"][0]["action"] == (f"remove it from {PLAYLIST}, then add it to "
                                          "Ceramica (a new playlist)")
    assert len(yt.playlists) == 1  # a dry run makes nothing
    home.ok("sync", 1)
    new = next(p for p in yt.playlists.values() if p.title == "Ceramica")
    assert old.video_ids == [] and new.video_ids == [video.id]
    assert step_handle(home, "playlist") == new.id
    applied = events(home, "correction_applied")[-1]["changes"]["playlist"]
    assert applied == {"old": PLAYLIST, "new": "Ceramica"}
    home.ok("sync", 1)
    assert new.video_ids == [video.id] and len(yt.playlists) == 2

    home.ok("queue", "edit", 1, "--no-playlist")
    home.ok("sync", 1)
    assert new.video_ids == [] and old.video_ids == []


# ---- quota ---------------------------------------------------------------------------------------

def test_a_caption_correction_waits_for_the_reset_when_the_quota_has_no_room(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    home = sqlite_home
    video = published(home, media, yt, clock, monkeypatch)
    home.ok("queue", "edit", 1, "--captions", f"en={media.vtt()}")
    rt = runtime(home, monkeypatch, clock)
    with rt.transaction() as s:  # 10,000 units a day: leave 300, less than an insert
        used = used_today(s, clock.now)["units"]
        spend(s, clock.now, "videos.list", 10_000 - 300 - used)
    report = sync(rt, 1)
    assert report.outcome == Outcome.WAITING and "quota" in report.detail
    assert tracks(yt, video.id) == {} and not calls(yt, "captions.insert")
    assert [c.state for c in corrections(home)] == ["waiting"]
    assert corrections(home)[0].fields == ["captions:en"]


# ---- what cannot be recorded yet -----------------------------------------------------------------

def test_an_asset_edit_waits_for_the_decoration_to_be_over() -> None:
    from publisher.asset_corrections import check_recordable

    problems = check_recordable(3, {"thumbnail": None}, {"thumbnail": {"path": "a.png"}},
                                ["thumbnail"], decorated=False)
    assert problems and "still decorating" in problems[0]
    assert check_recordable(3, {}, {"captions:en": {"path": "a.vtt"}}, ["captions:en"],
                            decorated=True) == []


def test_a_thumbnail_edit_while_the_upload_decorates_is_refused_with_the_reason(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Uploaded, its caption waiting for a retry: the decoration will send whatever the
    interview says when it gets there, so a correction of its assets would be a second
    source of truth; it is refused until the interview is staged."""
    from publisher.pipeline.run_due import run_due
    from tests.conftest import add_args
    from tests.helpers.corrections import TUESDAY_SLOT
    from tests.helpers.youtube import connect

    home = sqlite_home
    connect(home, yt)
    home.ok(*add_args(media.video(), "Maria Rossi", "--captions", f"it={media.srt()}"))
    yt.fail_next("captions.insert", 503, "backendError", times=10)
    clock.now = TUESDAY_SLOT - dt.timedelta(hours=8)
    run_due(runtime(home, monkeypatch, clock), clock.now)
    assert yt.videos  # on YouTube: an edit is a correction now
    before = home.snapshot()
    refused = home.run("queue", "edit", 1, "--thumbnail", media.png())
    assert refused.exit_code == 2 and "still decorating" in refused.stderr
    assert home.snapshot() == before
    home.ok("queue", "edit", 1, "--title", "Maria Rossi, corretto")  # fields still can


def test_a_caption_correction_never_spends_what_todays_releases_need(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """480 units left: enough for the caption's list and insert (450), not once the 51 a
    release due today needs are kept aside. It waits; nothing is uploaded."""
    import publisher.pipeline.correct as correct

    home = sqlite_home
    video = published(home, media, yt, clock, monkeypatch)
    home.ok("queue", "edit", 1, "--captions", f"en={media.vtt()}")
    rt = runtime(home, monkeypatch, clock)
    with rt.transaction() as s:
        used = used_today(s, clock.now)["units"]
        spend(s, clock.now, "videos.list", 10_000 - 480 - used)
    monkeypatch.setattr(correct, "release_reserve", lambda rt, now: RELEASE_UNITS)
    report = sync(rt, 1)
    assert report.outcome == Outcome.WAITING and "kept for today's releases" in report.detail
    assert tracks(yt, video.id) == {} and not calls(yt, "captions.insert")
    # Without the reserve the same 480 units would have paid for it.
    assert 10_000 - 480 + 1 + 50 + 400 <= 10_000
    clock.now += dt.timedelta(days=1)  # after the reset, the release gone out
    monkeypatch.setattr(correct, "release_reserve", lambda rt, now: 0)
    assert sync(rt, 1).outcome == Outcome.APPLIED
    assert sorted(tracks(yt, video.id)) == ["en"]
