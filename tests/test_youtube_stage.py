"""`publisher upload ID` and the staging step, end to end against the loopback YouTube."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from publisher.app import App
from publisher.home import Home
from publisher.pipeline.youtube_stage import stage
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import Event, Interview, Publication
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.youtube import connect


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def db_rows(home: HomeFixture) -> tuple[Interview, list[Publication], list[str]]:
    engine = make_engine(home.db_url)
    from tests.helpers.scoped import Session

    with Session(engine) as s:
        item = s.scalars(select(Interview)).one()
        pubs = list(s.scalars(select(Publication).order_by(Publication.step)))
        kinds = list(s.scalars(select(Event.kind).order_by(Event.id)))
        s.expunge_all()
    engine.dispose()
    return item, pubs, kinds


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_upload_stages_a_fully_described_video(home: HomeFixture, media: Media,
                                               yt: FakeYouTube) -> None:
    connect(home, yt)
    video = media.video(seconds=3)
    home.ok(*add_args(video, "Maria Rossi nel suo studio", "--hashtag", "Marmo",
                      "--thumbnail", media.png(), "--playlist", "Studi Aperti 2026",
                      "--captions", f"it={media.srt()}", "--captions", f"en={media.vtt()}"))
    result = home.run("upload", 1, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["outcome"] == "staged"
    got = yt.video(out["video_id"])
    assert len(yt.videos) == 1 and got.sha256 == sha(video)
    assert got.privacy_status == "private"
    assert got.publish_at == dt.datetime.fromisoformat(out["slot"]).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    snippet = got.metadata["snippet"]
    assert snippet["title"] == "Maria Rossi nel suo studio"
    assert snippet["description"].endswith(
        "#StudiApertiOltreilLockdown #CarraraUnescoCreativeCity #ItalyComestoYou #Marmo")
    assert snippet["tags"][:3] == ["StudiApertiOltreilLockdown", "CarraraUnescoCreativeCity",
                                   "ItalyComestoYou"]
    assert got.thumbnail_sha256 is not None
    assert set(got.captions) == {"it", "en"}
    assert [p.title for p in yt.playlists.values()
            if got.id in p.video_ids] == ["Studi Aperti 2026"]
    item, pubs, kinds = db_rows(home)
    assert item.state == "staged" and item.lease_owner is None
    assert {p.step: p.state for p in pubs} == {
        "video": "done", "thumbnail": "done", "playlist": "done", "captions:it": "done",
        "captions:en": "done"}
    assert kinds[:3] == ["queued", "staging", "upload_session_started"]
    assert kinds[-1] == "staged"


def test_changed_file_is_never_uploaded(sqlite_home: HomeFixture, media: Media,
                                        yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    video = media.video()
    sqlite_home.ok(*add_args(video))
    video.write_bytes(video.read_bytes() + b"edited")
    result = sqlite_home.run("upload", 1)
    assert result.exit_code == 4
    assert "changed since it was queued" in result.stderr
    assert not yt.sessions and not yt.videos
    item, _, _ = db_rows(sqlite_home)
    assert item.state == "needs_attention" and "publisher retry 1" in (item.attention_reason
                                                                       or "")


def test_unverified_channel_keeps_the_video_and_says_why(sqlite_home: HomeFixture,
                                                         media: Media) -> None:
    with FakeYouTube(channel_verified=False) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video(), "Titolo", "--thumbnail", media.png()))
        result = sqlite_home.run("upload", 1)
        assert result.exit_code == 0, result.output
        assert "verified" in result.stderr
        assert len(yt.videos) == 1
    item, pubs, _ = db_rows(sqlite_home)
    assert item.state == "staged"
    assert {p.step: p.state for p in pubs}["thumbnail"] == "needs_attention"


def test_quota_exhausted_waits_and_is_not_retried(sqlite_home: HomeFixture, media: Media,
                                                  yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video()))
    yt.exhaust_quota("videos.insert")
    result = sqlite_home.run("upload", 1)
    assert result.exit_code == 4 and "quota" in result.stderr
    item, pubs, _ = db_rows(sqlite_home)
    assert item.state == "staging"
    assert pubs[0].next_attempt_at is not None and pubs[0].next_attempt_at.hour == 8  # PT 0:00
    inserts = [r for r in yt.requests if r.path.endswith("/upload/youtube/v3/videos")]
    assert len(inserts) == 1


def test_revoked_authorisation_waits_for_a_person(sqlite_home: HomeFixture, media: Media,
                                                  yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video()))
    yt.revoke_tokens()
    result = sqlite_home.run("upload", 1)
    assert result.exit_code == 4
    assert "publisher auth youtube" in result.stderr
    item, _, _ = db_rows(sqlite_home)
    assert item.state in ("queued", "staging") and item.state != "needs_attention"


@pytest.mark.slow
def test_interrupted_upload_resumes_where_it_stopped(sqlite_home: HomeFixture, media: Media,
                                                    yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    video = media.video(seconds=3, width=640, height=480, noise=True)
    sqlite_home.ok(*add_args(video))
    size = video.stat().st_size
    assert size > 2 * 1024 * 1024, "the sample must span several 1 MiB chunks"
    import os

    os.environ.update(sqlite_home.env)
    try:
        app = App(Home.resolve(sqlite_home.path, sqlite_home.db_url))
        rt = app.runtime("test")
        stops = iter([False, False, True])
        rt.should_stop = lambda: next(stops, True)
        slot = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
        assert stage(rt, 1, slot).outcome == "interrupted"
        first = yt.last_session.bytes_received
        assert 0 < first < size
        rt2 = App(Home.resolve(sqlite_home.path, sqlite_home.db_url)).runtime("test")
        result = stage(rt2, 1, slot)
        assert result.outcome == "staged", result.detail
    finally:
        for key in sqlite_home.env:
            os.environ.pop(key, None)
    got = yt.video(result.video_id or "")
    assert len(yt.videos) == 1 and got.sha256 == sha(video)
    assert got.bytes_received - size <= 1024 * 1024


def test_publish_now_uploads_public_and_releases(sqlite_home: HomeFixture, media: Media,
                                                 yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video(), "Subito"))
    refused = sqlite_home.run("publish", 1)
    assert refused.exit_code == 2 and "--now" in refused.stderr
    result = sqlite_home.run("publish", 1, "--now", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["outcome"] == "released"
    video = next(iter(yt.videos.values()))
    assert len(yt.videos) == 1 and video.privacy_status == "public"
    assert "publishAt" not in video.metadata["status"]
    item, _, kinds = db_rows(sqlite_home)
    assert item.state == "published" and "released" in kinds
    again = sqlite_home.run("publish", 1, "--now")
    assert again.exit_code == 2 and "published" in again.stderr
    assert len(yt.videos) == 1


def test_publish_now_of_a_staged_interview_makes_it_public_early(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video(), "Presto"))
    sqlite_home.ok("upload", 1)
    video = next(iter(yt.videos.values()))
    assert video.privacy_status == "private"
    result = sqlite_home.run("publish", 1, "--now")
    assert result.exit_code == 0, result.output
    assert len(yt.videos) == 1 and video.privacy_status == "public"


def test_rejected_processing_needs_attention_with_the_reason(sqlite_home: HomeFixture,
                                                             media: Media) -> None:
    from publisher.sandbox.youtube import ProcessingScript

    with FakeYouTube(processing=ProcessingScript(outcome="rejected", polls=0,
                                                 rejection_reason="duplicate")) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video()))
        result = sqlite_home.run("upload", 1)
        assert result.exit_code == 4
        assert "rejected the video (duplicate)" in result.stderr
        assert len(yt.videos) == 1
    item, _, _ = db_rows(sqlite_home)
    assert item.state == "needs_attention" and "duplicate" in (item.attention_reason or "")


def test_quota_running_out_during_decoration_waits_then_finishes_once(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[youtube]\n", "[youtube]\ndaily_units = 300\n"))
    sqlite_home.ok(*add_args(media.video(), "Quota", "--thumbnail", media.png(),
                             "--captions", f"it={media.srt()}"))
    first = sqlite_home.run("upload", 1)
    assert first.exit_code == 4 and "quota would be exceeded" in first.stderr
    item, pubs, _ = db_rows(sqlite_home)
    assert item.state == "staging"
    assert {p.step: p.state for p in pubs}["video"] == "done"
    assert not next(iter(yt.videos.values())).captions
    toml.write_text(toml.read_text().replace("daily_units = 300\n", ""))
    second = sqlite_home.run("upload", 1)
    assert second.exit_code == 0, second.output
    video = next(iter(yt.videos.values()))
    assert len(yt.videos) == 1 and set(video.captions) == {"it"}
    assert video.thumbnails_set == 1


@pytest.fixture
def two_piece_video(media: Media) -> Path:
    """~420 KB that does not compress: a 256 KiB chunk, then the last piece."""
    path = media.video("noisy.mp4", seconds=1, width=320, height=240, noise=True)
    assert path.stat().st_size > 300 * 1024
    return path


def test_a_file_changed_during_the_upload_needs_attention_and_no_video(
        sqlite_home: HomeFixture, yt: FakeYouTube, two_piece_video: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.pipeline import youtube_stage

    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(two_piece_video))
    original = two_piece_video.read_bytes()
    real_crash_point = youtube_stage.crash_point

    def edit_after_the_first_chunk(name: str) -> None:
        real_crash_point(name)
        if name == "upload.chunk_saved" and yt.last_session.received:
            with two_piece_video.open("r+b") as fh:  # the same size, other bytes
                fh.seek(len(original) - 1000)
                fh.write(b"re-exported with another subtitle")

    monkeypatch.setattr(youtube_stage, "crash_point", edit_after_the_first_chunk)
    result = sqlite_home.run("upload", 1)
    assert result.exit_code == 4
    assert "changed since it was queued" in result.stderr and str(two_piece_video) in \
        result.stderr
    assert not yt.videos  # the last piece was never sent
    session = yt.last_session
    assert session.received == 256 * 1024 and not session.complete
    item, pubs, _ = db_rows(sqlite_home)
    assert item.state == "needs_attention"
    reason = item.attention_reason or ""
    assert "changed since it was queued" in reason and str(two_piece_video) in reason
    assert "publisher retry 1" in reason
    video_pub = next(p for p in pubs if p.step == "video")
    assert video_pub.handle is None  # the session holds other bytes: never resumed

    monkeypatch.setattr(youtube_stage, "crash_point", real_crash_point)
    two_piece_video.write_bytes(original)
    sqlite_home.ok("retry", 1)
    sqlite_home.ok("upload", 1)
    assert len(yt.videos) == 1 and next(iter(yt.videos.values())).sha256 == sha(
        two_piece_video)


def test_upload_rides_out_a_dropped_link_saying_when_it_tries_again(
        sqlite_home: HomeFixture, yt: FakeYouTube, two_piece_video: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import re

    from tests.helpers.clock import Clock

    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(two_piece_video))
    for n in range(2, 14):  # twelve tries in a row cut off: more than the daemon's eight
        yt.drop_chunk(n, after_bytes=1000, reset=True)
    clock = Clock()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        clock.now += dt.timedelta(seconds=seconds)

    real_runtime = App.runtime

    def runtime(self: App, kind: str = "cli") -> object:
        rt = real_runtime(self, kind)
        rt.sleep, rt.clock = sleep, clock
        return rt

    monkeypatch.setattr(App, "runtime", runtime)
    result = sqlite_home.run("upload", 1)
    assert result.exit_code == 0, result.output
    assert len(yt.videos) == 1
    lines = [ln for ln in result.stderr.splitlines() if "trying again at" in ln]
    assert len(lines) == 12 == len(slept)
    assert all(re.search(r"connection problem.*; trying again at "
                         r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d [A-Z+-]", ln) for ln in lines)


def test_the_retry_window_is_a_setting_with_limits(sqlite_home: HomeFixture) -> None:
    toml = sqlite_home.path / "publisher.toml"
    text = toml.read_text()
    toml.write_text(text.replace("[youtube]\n", "[youtube]\nretry_for_minutes = 0\n", 1))
    result = sqlite_home.run("status")
    assert result.exit_code == 3
    assert "retry_for_minutes" in result.output and "≥ 1" in result.output and \
        "found 0" in result.output
    toml.write_text(text.replace("[youtube]\n", "[youtube]\nretry_for_minutes = 45\n", 1))
    app = App(Home(sqlite_home.path, sqlite_home.db_url))
    assert app.config.youtube.retry_for_minutes == 45
