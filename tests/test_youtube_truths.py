"""Where real YouTube differs from what the pipeline once assumed (issue 12, items 16, 18, 21,
24), each shown end to end: a real SQLite file, the loopback fake YouTube, the real
google-api-python-client.

16. YouTube adds an automatic (speech recognition) caption track while it processes a video;
    a delayed caption step must still upload the organizer's file.
18. `thumbnails.set` 429 `uploadRateLimitExceeded` ("too many thumbnails in the past 24
    hours") defers the thumbnail a day; the interview goes on without it, and a later run
    sets it.
21. Every upload initiation costs a unit of the uploads bucket, a restart after an expired
    session and a retried initiation included: the ledger counts what YouTube counts.
24. A clean close after a chunk (no answer) is noticed at once and the session queried,
    instead of httplib2 re-sending the chunk without its body and waiting for a timeout.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from publisher.app import App
from publisher.home import Home
from publisher.pipeline.retry import RETRY_BASE
from publisher.pipeline.run_due import run_due
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_stage import stage
from publisher.platforms.youtube.auth import load_credentials
from publisher.platforms.youtube.client import Endpoints, build_service, make_http
from publisher.platforms.youtube.upload import Backoff, upload_video
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import CaptionTrack, Interview, Publication
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)  # a Monday; no blackout in February
TUESDAY_SLOT = dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC)
FRIDAY_SLOT = dt.datetime(2027, 2, 5, 17, 0, tzinfo=dt.UTC)


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def connect(home: HomeFixture, yt: FakeYouTube, **youtube_settings: Any) -> None:
    """Point the home at the fake: endpoints by environment, a token file by credentials."""
    (home.path / "youtube-token.json").write_text(json.dumps(yt.authorized_user_info()))
    creds = json.loads((home.path / "credentials.json").read_text())
    creds["youtube"]["token_file"] = "youtube-token.json"
    (home.path / "credentials.json").write_text(json.dumps(creds))
    settings = {"chunk_size_mib": 1, **youtube_settings}
    lines = "".join(f"{key} = {value}\n" for key, value in settings.items())
    toml = home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[youtube]\n", "[youtube]\n" + lines))
    home.env.update({"PUBLISHER_YOUTUBE_API_ROOT": yt.root,
                     "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri})


def runtime(home: HomeFixture, monkeypatch: pytest.MonkeyPatch,
            clock: Clock | None = None) -> Runtime:
    for key, value in home.env.items():
        monkeypatch.setenv(key, value)
    rt = App(Home.resolve(home.path, home.db_url)).runtime("test")
    if clock is not None:
        rt.clock = clock
    rt.sleep = lambda s: None
    return rt


def records(home: HomeFixture) -> dict[str, Publication]:
    """The interview's YouTube publication records, by step."""
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        rows = list(s.scalars(select(Publication).where(Publication.platform == "youtube")))
        s.expunge_all()
    engine.dispose()
    return {p.step: p for p in rows}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---- 16: YouTube's automatic caption track ---------------------------------------------------

def test_a_delayed_caption_step_uploads_the_file_beside_youtubes_automatic_track(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube) -> None:
    connect(sqlite_home, yt, daily_units=300)  # too little for captions (50 + 400) today
    srt = media.srt()
    sqlite_home.ok(*add_args(media.video(), "Sottotitoli", "--captions", f"it={srt}"))
    first = sqlite_home.run("upload", 1)
    assert first.exit_code == 4 and "quota would be exceeded" in first.stderr
    video = next(iter(yt.videos.values()))
    assert not video.captions
    # Meanwhile YouTube processed the video and made its automatic Italian track.
    yt.finish_processing(video.id)
    assert video.snippet["defaultAudioLanguage"] == "it"
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("daily_units = 300\n", ""))
    second = sqlite_home.run("upload", 1)
    assert second.exit_code == 0, second.output
    tracks = video.captions.get("it", [])
    assert [(t.name, t.sha256) for t in tracks] == [("Sottotitoli (it)", sha(srt))]
    assert records(sqlite_home)["captions:it"].state == "done"


class Died(Exception):
    """The process dying at a crash point (in-process stand-in for the crash matrix's kill)."""


def test_our_own_track_is_found_again_and_never_sent_twice(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Died between captions.insert and its record, with the title edited before the retry:
    the retry finds our track (an uploaded one, by the name recorded before sending) beside
    YouTube's automatic one, and sends nothing again."""
    import publisher.pipeline.youtube_stage as youtube_stage

    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video(), "Doppio", "--captions", f"it={media.srt()}"))
    slot = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)

    def die_after_sending(name: str) -> None:
        if name == "captions.sent":
            raise Died(name)

    monkeypatch.setattr(youtube_stage, "crash_point", die_after_sending)
    with pytest.raises(Died):
        stage(runtime(sqlite_home, monkeypatch), 1, slot)
    monkeypatch.setattr(youtube_stage, "crash_point", lambda name: None)
    video = next(iter(yt.videos.values()))
    assert [t.name for t in video.captions["it"]] == ["Doppio (it)"]
    yt.finish_processing(video.id)  # YouTube's automatic Italian track shows too
    engine = make_engine(sqlite_home.db_url)
    with Session(engine) as s, s.begin():
        item = s.get(Interview, 1)
        assert item is not None
        item.title = "Doppio, nuovo titolo"
    engine.dispose()
    assert records(sqlite_home)["captions:it"].state == "in_flight"
    assert stage(runtime(sqlite_home, monkeypatch), 1, slot).outcome == "staged"
    assert [t.name for t in video.captions["it"]] == ["Doppio (it)"]
    assert len([r for r in yt.requests if r.tag == "youtube.captions.insert"]) == 1
    assert records(sqlite_home)["captions:it"].state == "done"


# ---- 18: the thumbnails-per-24-hours limit ---------------------------------------------------

def test_thumbnail_limit_defers_the_thumbnail_a_day_without_holding_the_interview(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        thumb = media.png()
        sqlite_home.ok(*add_args(media.video(), "Miniatura", "--thumbnail", thumb))
        rt = runtime(sqlite_home, monkeypatch, clock)
        yt.exceed_thumbnail_limit()
        clock.now = TUESDAY_SLOT - dt.timedelta(hours=8)  # within the lead time
        staged = run_due(rt, clock.now)
        assert [(a.step, a.outcome) for a in staged.actions] == [("stage", "staged")]
        assert "thumbnail" in staged.actions[0].detail
        later = clock.now + dt.timedelta(hours=24)
        thumbnail = records(sqlite_home)["thumbnail"]
        assert thumbnail.state == "failed" and thumbnail.next_attempt_at == later
        assert "24 hours" in (thumbnail.last_error or "")
        # Waiting, not needing a person.
        status = sqlite_home.run("status", "--json")
        assert status.exit_code == 0, status.output
        assert json.loads(status.stdout)["needs_attention"] == []

        # The slot comes: released on time, then (no cross-posts set up) published.
        clock.now = TUESDAY_SLOT
        released = run_due(rt, clock.now)
        assert ("release", "released") in [(a.step, a.outcome) for a in released.actions]
        clock.now = TUESDAY_SLOT + dt.timedelta(minutes=10)
        published = run_due(rt, clock.now)
        assert published.next_wake == later  # the daemon wakes for the thumbnail
        engine = make_engine(sqlite_home.db_url)
        with Session(engine) as s:
            assert s.scalars(select(Interview.state)).one() == "published"
        engine.dispose()
        video = next(iter(yt.videos.values()))
        assert video.privacy_status == "public" and video.thumbnails_set == 0

        sets = len([r for r in yt.requests if r.tag == "youtube.thumbnails.set"])
        assert run_due(rt, later - dt.timedelta(seconds=1)).actions == []
        assert len([r for r in yt.requests if r.tag == "youtube.thumbnails.set"]) == sets

        yt.exceed_thumbnail_limit(False)
        clock.now = later
        retried = run_due(rt, clock.now)
        assert [(a.step, a.outcome) for a in retried.actions] == [("decorate", "done")]
        assert video.thumbnails_set == 1 and video.thumbnail_sha256 == sha(thumb)
        done = records(sqlite_home)["thumbnail"]
        assert done.state == "done" and done.next_attempt_at is None
        assert run_due(rt, clock.now).actions == []  # idempotent


def test_thumbnail_limit_again_waits_another_day(sqlite_home: HomeFixture, media: Media,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(FRIDAY_SLOT - dt.timedelta(hours=47))  # staged a good day ahead
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video(), "Miniatura", "--thumbnail", media.png()))
        rt = runtime(sqlite_home, monkeypatch, clock)
        yt.exceed_thumbnail_limit()
        run_due(rt, clock.now)
        clock.now += dt.timedelta(hours=24)
        again = run_due(rt, clock.now)
        assert ("decorate", "waiting") in [(a.step, a.outcome) for a in again.actions]
        thumbnail = records(sqlite_home)["thumbnail"]
        assert thumbnail.state == "failed"
        assert thumbnail.next_attempt_at == clock.now + dt.timedelta(hours=24)
        assert thumbnail.attempts == 2
        # An organizer who knows better asks for it now: the next run tries it.
        yt.exceed_thumbnail_limit(False)
        sqlite_home.ok("retry", 1)
        clock.now += dt.timedelta(minutes=1)
        retried = run_due(rt, clock.now)
        assert ("decorate", "done") in [(a.step, a.outcome) for a in retried.actions]
        assert next(iter(yt.videos.values())).thumbnails_set == 1


def test_a_decoration_failing_after_staging_waits_or_needs_a_person(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    """After staging, a decoration's failure is its own: a 503 is tried again after the
    backoff, a refusal for good needs a person (and says so in `status`); the interview
    stays where it is."""
    clock = Clock(FRIDAY_SLOT - dt.timedelta(hours=47))
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video(), "Miniatura", "--thumbnail", media.png()))
        rt = runtime(sqlite_home, monkeypatch, clock)
        yt.exceed_thumbnail_limit()
        run_due(rt, clock.now)
        yt.exceed_thumbnail_limit(False)
        clock.now += dt.timedelta(hours=24)
        yt.fail_next("thumbnails.set", 503)
        first = run_due(rt, clock.now)
        assert [(a.step, a.outcome) for a in first.actions] == [("decorate", "waiting")]
        thumbnail = records(sqlite_home)["thumbnail"]
        assert thumbnail.state == "failed" and thumbnail.attempts == 2
        assert thumbnail.next_attempt_at == clock.now + 4 * RETRY_BASE  # backoff, attempt 2
        clock.now = thumbnail.next_attempt_at
        assert [(a.step, a.outcome) for a in run_due(rt, clock.now).actions] == [
            ("decorate", "done")]

        # A caption track that must be added after staging, and that YouTube refuses.
        empty = media.file("vuoto.en.srt", "")
        engine = make_engine(sqlite_home.db_url)
        with Session(engine) as s, s.begin():
            s.add(CaptionTrack(interview_id=1, language="en", path=str(empty), format="srt"))
            s.add(Publication(interview_id=1, platform="youtube", step="captions:en",
                              account="", progress=0, attempts=0))
        engine.dispose()
        refused = run_due(rt, clock.now)
        assert [(a.step, a.outcome) for a in refused.actions] == [
            ("decorate", "needs_attention")]
        assert records(sqlite_home)["captions:en"].state == "needs_attention"
        status = sqlite_home.run("status", "--json")
        assert status.exit_code == 4
        (need,) = json.loads(status.stdout)["needs_attention"]
        assert "captions:en" in need["reason"] and "contain" in need["reason"]
        engine = make_engine(sqlite_home.db_url)
        with Session(engine) as s:
            assert s.scalars(select(Interview.state)).one() == "staged"
        engine.dispose()
        assert run_due(rt, clock.now).actions == []


def test_a_waiting_decoration_no_longer_asked_for_is_skipped(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(FRIDAY_SLOT - dt.timedelta(hours=47))  # staged a good day ahead
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video(), "Miniatura", "--thumbnail", media.png()))
        rt = runtime(sqlite_home, monkeypatch, clock)
        yt.exceed_thumbnail_limit()
        run_due(rt, clock.now)
        engine = make_engine(sqlite_home.db_url)
        with Session(engine) as s, s.begin():
            item = s.get(Interview, 1)
            assert item is not None
            item.thumbnail_path = None
        engine.dispose()
        yt.exceed_thumbnail_limit(False)
        clock.now += dt.timedelta(hours=24)
        assert [(a.step, a.outcome) for a in run_due(rt, clock.now).actions] == [
            ("decorate", "done")]
        assert records(sqlite_home)["thumbnail"].state == "skipped"
        assert next(iter(yt.videos.values())).thumbnails_set == 0
        assert run_due(rt, clock.now).actions == []


# ---- 21: every upload initiation is counted --------------------------------------------------

def test_every_upload_initiation_is_counted_as_youtube_counts_it(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube,
        monkeypatch: pytest.MonkeyPatch) -> None:
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video(seconds=3, width=640, height=480, noise=True),
                             "Primo"))
    sqlite_home.ok(*add_args(media.video(), "Secondo"))
    slot = dt.datetime.now(dt.UTC) + dt.timedelta(days=3)
    rt = runtime(sqlite_home, monkeypatch)
    stops = iter([False, False, True])  # before the start, after the first chunk: stop
    rt.should_stop = lambda: next(stops, True)
    assert stage(rt, 1, slot).outcome == "interrupted"
    # The saved session expires before the next run: it starts a new one (a new initiation).
    yt.expire_session(yt.last_session.id)
    rt = runtime(sqlite_home, monkeypatch)
    assert stage(rt, 1, slot).outcome == "staged"
    # The answer to an initiation is lost: YouTube opened (and charged) a session the
    # uploader never learnt of, and the retried initiation is charged again.
    yt.drop_next_answer("videos.insert")
    assert stage(rt, 2, slot + dt.timedelta(days=1)).outcome == "staged"

    initiations = [r for r in yt.requests
                   if r.method == "POST" and r.path == "/upload/youtube/v3/videos"]
    assert len(initiations) == 4
    assert yt.quota.used("videos.insert") == 4
    ledger = json.loads(sqlite_home.ok("quota", "--json").stdout)
    assert ledger["buckets"]["videos.insert"]["used"] == 4
    assert len(yt.videos) == 2


# ---- 24: a clean close after a chunk ---------------------------------------------------------

CHUNK = 1024 * 1024
SIZE = 3 * CHUNK + 12345
TIMEOUT_S = 30


class Journal:
    def __init__(self) -> None:
        self.sessions: list[str] = []

    def session_started(self, uri: str, *, replaces_expired: bool) -> None:
        self.sessions.append(uri)

    def progress(self, offset: int, total: int) -> None:
        pass


@pytest.mark.parametrize("where", ["after the last chunk", "after a middle chunk"])
def test_a_clean_close_without_an_answer_is_noticed_at_once(tmp_path: Path,
                                                           where: str) -> None:
    video = tmp_path / "interview.mp4"
    video.write_bytes(os.urandom(SIZE))
    # The server (or a proxy) waits for a body longer than the client waits for an answer,
    # as a real one does: a silent re-send without its body would stall for the timeout.
    with FakeYouTube(body_timeout=4 * TIMEOUT_S) as yt:
        token = tmp_path / "token.json"
        token.write_text(json.dumps(yt.authorized_user_info()))
        endpoints = Endpoints(api_root=yt.root, token_uri=yt.token_uri)
        http = make_http(load_credentials(token, endpoints), timeout=TIMEOUT_S)
        service = build_service(http, endpoints)
        if where == "after the last chunk":
            yt.lose_final_response(reset=False)
        else:
            yt.drop_chunk(2, after_bytes=CHUNK, reset=False)
        started = time.monotonic()
        result = upload_video(service, http, path=video,
                              body={"snippet": {"title": "Chiusura", "categoryId": "22"},
                                    "status": {"privacyStatus": "private"}},
                              parts="snippet,status", journal=Journal(), chunk_size=CHUNK,
                              mimetype="video/mp4", backoff=Backoff(sleep=time.sleep))
        elapsed = time.monotonic() - started
        assert elapsed < TIMEOUT_S / 3, f"stalled {elapsed:.1f} s"
        assert len(yt.videos) == 1 and yt.video(result["id"]).sha256 == sha(video)
        assert yt.last_session.status_queries >= 1  # it asked where the session stood


def test_publish_now_through_a_clean_close_finishes_without_the_stall(
        sqlite_home: HomeFixture, media: Media) -> None:
    with FakeYouTube(body_timeout=4 * TIMEOUT_S) as yt:
        connect(sqlite_home, yt, timeout_s=TIMEOUT_S)
        sqlite_home.ok(*add_args(media.video(seconds=3, width=640, height=480, noise=True),
                                 "Subito"))
        yt.lose_final_response(reset=False)
        started = time.monotonic()
        result = sqlite_home.run("publish", 1, "--now", "--json")
        elapsed = time.monotonic() - started
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["outcome"] == "released"
        assert elapsed < TIMEOUT_S / 3, f"stalled {elapsed:.1f} s"
        assert len(yt.videos) == 1
