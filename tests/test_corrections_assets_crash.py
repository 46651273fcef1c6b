"""A correction of the thumbnail, the captions and the playlist dies at each of its points and
is resumed: every asset ends on YouTube, none twice (a caption track is inserted once, the old
playlist loses the video, the new one holds it once, no second playlist is made), every
correction ends done, and the journal says each asset was applied exactly once.

The points come from tracing a first run, from the commit that saves the first asset's
intent to the end; each case raises there (in process: a transaction cut before its commit
rolls back, as a kill would) and runs `sync` again. thumbnails.set has no read-back: a death
between it and its record sets the same image once more (allowed, as for the upload).
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

import publisher.pipeline.correct as correct
import publisher.pipeline.correct_assets as correct_assets
from publisher.pipeline.correct import Outcome, sync
from publisher.samples import make_png
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import corrections, events, published, runtime
from tests.helpers.crash_points import Died, die_at, live_again, trace_points
from tests.helpers.home_template import HomeTemplate

PLAYLIST, NEW_PLAYLIST = "Studi Aperti 2026", "Ceramica"
ASSETS = {"thumbnail", "playlist", "captions:en", "captions:it", "captions:fr"}


def _world(tmp_path_factory: pytest.TempPathFactory, clock: Clock, yt: FakeYouTube,
           monkeypatch: pytest.MonkeyPatch, template: HomeTemplate) -> HomeFixture:
    """Published with a thumbnail, a playlist and Italian and English captions; then edited:
    a new thumbnail, another playlist, the Italian file replaced, English removed, French
    added."""
    path = tmp_path_factory.mktemp("crash") / "home"
    home = HomeFixture(path, template.sqlite_home(path))
    media = Media(path.parent / "media")
    it, en = media.srt(), media.vtt()
    published(home, media, yt, clock, monkeypatch, "--thumbnail", media.png(),
              "--playlist", PLAYLIST, "--captions", f"it={it}", "--captions", f"en={en}")
    new_it = media.file("subs.it.v2.srt", "1\n00:00:00,000 --> 00:00:01,500\nCiao!\n")
    fr = media.file("subs.fr.srt", "1\n00:00:00,000 --> 00:00:01,500\nBonjour\n")
    thumb = make_png(Path(media.folder) / "thumb-2.png", color=(10, 200, 30))
    home.ok("queue", "edit", 1, "--thumbnail", thumb, "--playlist", NEW_PLAYLIST,
            "--captions", f"it={new_it}", "--captions", f"fr={fr}")
    assert set(corrections(home)[0].fields) == ASSETS
    return home


def _points_from_intent(trace: list[str]) -> list[str]:
    first = min(i for i, name in enumerate(trace) if name.endswith(".before@1")
                and name.startswith("correction."))
    start = max(i for i in range(first) if trace[i].startswith("db.before_commit"))
    return trace[start:]


@pytest.fixture
def traced_points(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
                  home_template: HomeTemplate) -> Iterator[list[str]]:
    clock = Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))
    with FakeYouTube(clock=clock) as yt:
        home = _world(tmp_path_factory, clock, yt, monkeypatch, home_template)
        trace = trace_points(monkeypatch, correct, correct_assets)
        assert sync(runtime(home, monkeypatch, clock), 1).outcome == Outcome.APPLIED
        monkeypatch.undo()
        yield _points_from_intent(trace)


def test_the_trace_passes_each_assets_request(traced_points: list[str]) -> None:
    for kind in ("thumbnail", "playlist", "captions"):
        assert f"correction.{kind}.before@1" in traced_points
        assert f"correction.{kind}.sent@1" in traced_points
    assert "correction.captions.sent@3" in traced_points  # fr added, it replaced, en removed


def _verdict(yt: FakeYouTube, home: HomeFixture) -> list[str]:
    """What is wrong on YouTube and in the records after the resumed run."""
    problems = []
    video = next(iter(yt.videos.values()))
    tracks = collections.Counter(c.language for c in yt.captions.values()
                                 if c.video_id == video.id)
    if tracks != {"it": 1, "fr": 1}:
        problems.append(f"tracks {dict(tracks)}")
    inserts = [r for r in yt.requests if r.tag == "youtube.captions.insert" and r.status == 200]
    if len(inserts) != 3:  # it and en by the upload, fr by the correction
        problems.append(f"{len(inserts)} captions.insert")
    it_track = next(c for c in yt.captions.values() if c.language == "it")
    if it_track.updates != 1:
        problems.append(f"the Italian track updated {it_track.updates} times")
    if [c.language for c in yt.deleted_captions] != ["en"]:
        problems.append(f"deleted {[c.language for c in yt.deleted_captions]}")
    if not 2 <= video.thumbnails_set <= 3:
        problems.append(f"thumbnails.set {video.thumbnails_set}x")
    by_title = collections.Counter(p.title for p in yt.playlists.values())
    if by_title != {PLAYLIST: 1, NEW_PLAYLIST: 1}:
        problems.append(f"playlists {dict(by_title)}")
    for p in yt.playlists.values():
        want = [video.id] if p.title == NEW_PLAYLIST else []
        if p.video_ids != want:
            problems.append(f"{p.title} holds {p.video_ids}")
    states = [c.state for c in corrections(home)]
    if states != ["done"]:
        problems.append(f"corrections {states}")
    applied = collections.Counter(name for e in events(home, "correction_applied")
                                  for name in e["changes"])
    if applied != dict.fromkeys(ASSETS, 1):
        problems.append(f"journaled {dict(applied)}")
    return problems


@pytest.mark.slow
def test_dying_at_each_point_then_resuming_applies_each_asset_once(
        traced_points: list[str], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch, home_template: HomeTemplate) -> None:
    failures = []
    for point in traced_points:
        clock = Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))
        with FakeYouTube(clock=clock) as yt:
            home = _world(tmp_path_factory, clock, yt, monkeypatch, home_template)
            die_at(monkeypatch, point, correct, correct_assets)
            try:
                sync(runtime(home, monkeypatch, clock), 1)
                died = False
            except Died:
                died = True
            live_again(monkeypatch, correct, correct_assets)
            resumed = sync(runtime(home, monkeypatch, clock), 1)
            problems = _verdict(yt, home)
            if not died:
                problems.append("did not die")
            if resumed.outcome not in (Outcome.APPLIED, Outcome.UP_TO_DATE):
                problems.append(f"resumed {resumed.outcome.value}: {resumed.detail}")
            if problems:
                failures.append(f"{point}: {problems}")
    assert failures == []
