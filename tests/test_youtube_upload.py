"""The product's YouTube client and resumable uploader against the loopback YouTube.

The real google-api-python-client and google-auth talk HTTP to publisher.sandbox.youtube;
the fake's side is what is checked: bytes, sha256, sessions, number of videos.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from publisher.platforms.errors import AuthError, DeferredError, PermanentError
from publisher.platforms.youtube.auth import load_credentials, refresh
from publisher.platforms.youtube.client import Endpoints, build_service, make_http
from publisher.platforms.youtube.metadata import VideoMeta, insert_body
from publisher.platforms.youtube.upload import Backoff, Interrupted, upload_video
from publisher.sandbox.youtube import FakeYouTube

CHUNK = 1024 * 1024
SIZE = 3 * CHUNK + 12345


class Journal:
    """Records what the uploader asks to be committed, and what the server held then."""

    def __init__(self, yt: FakeYouTube) -> None:
        self.yt = yt
        self.sessions: list[tuple[str, bool, int]] = []
        self.offsets: list[int] = []
        self.size = SIZE

    def session_started(self, uri: str, *, replaces_expired: bool) -> None:
        # Intent before act: nothing may have reached the session yet.
        self.sessions.append((uri, replaces_expired, self.yt.session(uri).bytes_received))

    def progress(self, offset: int, total: int) -> None:
        assert total == self.size
        self.offsets.append(offset)


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def video(tmp_path: Path) -> Path:
    path = tmp_path / "interview.mp4"
    path.write_bytes(os.urandom(SIZE))
    return path


class Client:
    def __init__(self, yt: FakeYouTube, tmp_path: Path) -> None:
        self.token_file = tmp_path / "youtube-token.json"
        self.token_file.write_text(json.dumps(yt.authorized_user_info()))
        self.endpoints = Endpoints(api_root=yt.root, token_uri=yt.token_uri)
        self.creds = load_credentials(self.token_file, self.endpoints)
        self.http = make_http(self.creds, timeout=10)
        self.service = build_service(self.http, self.endpoints)
        self.journal = Journal(yt)

    def upload(self, path: Path, **kw: Any) -> dict[str, Any]:
        meta = VideoMeta(title="Maria Rossi nel suo studio", description="Intervista",
                         tags=("Marmo",), category_id="22", language="it", privacy="public",
                         made_for_kids=False, synthetic_media=False, license="youtube",
                         recording_date=dt.date(2026, 5, 4),
                         localizations={"en": ("In her studio", "An interview")})
        body, parts = insert_body(meta, kw.pop("publish_at", dt.datetime(2030, 12, 1, 17,
                                                                          tzinfo=dt.UTC)))
        kw.setdefault("chunk_size", CHUNK)
        kw.setdefault("backoff", Backoff(sleep=lambda s: None))
        return upload_video(self.service, self.http, path=path, body=body, parts=parts,
                            journal=self.journal, mimetype="video/mp4", **kw)


@pytest.fixture
def client(yt: FakeYouTube, tmp_path: Path) -> Client:
    return Client(yt, tmp_path)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_clean_upload_with_full_metadata(yt: FakeYouTube, client: Client, video: Path) -> None:
    result = client.upload(video)
    assert len(yt.videos) == 1
    got = yt.video(result["id"])
    assert got.sha256 == sha(video) and got.size == SIZE
    assert got.bytes_received == SIZE  # nothing re-sent
    assert client.journal.sessions and client.journal.sessions[0][2] == 0
    assert client.journal.offsets == [CHUNK, 2 * CHUNK, 3 * CHUNK, SIZE]
    meta = got.metadata
    assert meta["snippet"]["title"] == "Maria Rossi nel suo studio"
    assert meta["snippet"]["defaultLanguage"] == "it"
    assert meta["status"] == {"privacyStatus": "private", "publishAt": "2030-12-01T17:00:00Z",
                              "selfDeclaredMadeForKids": False, "containsSyntheticMedia": False,
                              "license": "youtube", "embeddable": True}
    assert meta["localizations"]["en"]["title"] == "In her studio"
    assert meta["recordingDetails"]["recordingDate"].startswith("2026-05-04")


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
def test_server_errors_on_a_chunk_are_retried(yt: FakeYouTube, client: Client, video: Path,
                                               status: int) -> None:
    yt.fail_chunk(2, status)
    result = client.upload(video)
    got = yt.video(result["id"])
    assert len(yt.videos) == 1 and got.sha256 == sha(video)
    assert got.bytes_received - SIZE <= CHUNK


def test_acted_then_failed_chunk_resumes_from_server_offset(yt: FakeYouTube, client: Client,
                                                            video: Path) -> None:
    yt.fail_chunk(2, 503, after_storing=True)
    result = client.upload(video)
    assert yt.video(result["id"]).sha256 == sha(video)
    assert yt.video(result["id"]).bytes_received == SIZE  # the stored chunk was not re-sent


def test_dropped_connection_mid_chunk(yt: FakeYouTube, client: Client, video: Path) -> None:
    yt.drop_chunk(3, after_bytes=100_000)
    result = client.upload(video)
    got = yt.video(result["id"])
    assert len(yt.videos) == 1 and got.sha256 == sha(video)
    assert got.bytes_received - SIZE <= CHUNK


def test_final_response_lost_is_not_a_second_video(yt: FakeYouTube, client: Client,
                                                   video: Path) -> None:
    yt.lose_final_response()
    result = client.upload(video)
    assert len(yt.videos) == 1 and yt.video(result["id"]).sha256 == sha(video)


def test_resume_after_a_stop_from_the_saved_session(yt: FakeYouTube, client: Client,
                                                    video: Path, tmp_path: Path) -> None:
    calls = iter([False, False, False, True])  # before the start, then per chunk
    with pytest.raises(Interrupted):
        client.upload(video, should_stop=lambda: next(calls, True))
    uri = client.journal.sessions[0][0]
    assert yt.session(uri).bytes_received == 2 * CHUNK
    again = Client(yt, tmp_path)  # a new process: new credentials, new client
    result = again.upload(video, saved_session=uri)
    got = yt.video(result["id"])
    assert len(yt.videos) == 1 and got.sha256 == sha(video)
    assert got.bytes_received == SIZE
    assert again.journal.sessions == []  # no new session
    assert again.journal.offsets[0] == 2 * CHUNK
    # The resume went through the transport alone: the discovery-built resource (its import
    # and its build) was never needed (client.LazyService).
    assert again.service._built is None
    assert client.service._built is not None  # the first process started a session with it


def test_crash_after_last_chunk_finds_the_video_instead_of_uploading_again(
        yt: FakeYouTube, client: Client, video: Path, tmp_path: Path) -> None:
    first = client.upload(video)
    uri = client.journal.sessions[0][0]
    # The process died before recording the video id: the next run queries the session.
    again = Client(yt, tmp_path)
    second = again.upload(video, saved_session=uri)
    assert second["id"] == first["id"]
    assert len(yt.videos) == 1 and yt.video(first["id"]).bytes_received == SIZE


def test_expired_session_starts_a_new_one_and_says_so(yt: FakeYouTube, client: Client,
                                                      video: Path, tmp_path: Path) -> None:
    with pytest.raises(Interrupted):
        client.upload(video, should_stop=iter([False, False, False, True]).__next__)
    uri = client.journal.sessions[0][0]
    yt.expire_session(uri)
    again = Client(yt, tmp_path)
    result = again.upload(video, saved_session=uri)
    assert [s[1] for s in again.journal.sessions] == [True]
    assert len(yt.videos) == 1 and yt.video(result["id"]).sha256 == sha(video)


def test_quota_exhausted_defers_until_pacific_midnight(yt: FakeYouTube, client: Client,
                                                       video: Path) -> None:
    yt.exhaust_quota("videos.insert")
    with pytest.raises(DeferredError) as info:
        client.upload(video)
    assert info.value.reason == "quotaExceeded"
    assert info.value.until.astimezone(dt.UTC).minute == 0
    assert not yt.videos and client.journal.sessions == []


def test_upload_limit_defers_a_day(yt: FakeYouTube, client: Client, video: Path) -> None:
    yt.exceed_upload_limit()
    with pytest.raises(DeferredError) as info:
        client.upload(video)
    assert info.value.reason == "uploadLimitExceeded"


def test_invalid_metadata_is_permanent(yt: FakeYouTube, client: Client, video: Path) -> None:
    from publisher.platforms.youtube.upload import upload_video as up

    body = {"snippet": {"title": "x" * 101, "categoryId": "22"},
            "status": {"privacyStatus": "private"}}
    with pytest.raises(PermanentError) as info:
        up(client.service, client.http, path=video, body=body, parts="snippet,status",
           journal=client.journal, chunk_size=CHUNK, backoff=Backoff(sleep=lambda s: None))
    assert info.value.reason == "invalidTitle"


def test_revoked_token_needs_a_person(yt: FakeYouTube, client: Client) -> None:
    yt.revoke_tokens()
    with pytest.raises(AuthError) as info:
        refresh(client.creds, make_http(None), client.token_file)
    assert "publisher auth youtube" in str(info.value)
    assert "Testing" in str(info.value)


def test_refresh_saves_the_token_file_privately(yt: FakeYouTube, client: Client) -> None:
    refresh(client.creds, make_http(None), client.token_file)
    assert client.creds.token
    assert oct(client.token_file.stat().st_mode & 0o777) == "0o600"
    saved = json.loads(client.token_file.read_text())
    assert saved["token"] == client.creds.token


def test_missing_token_file_says_how_to_authorise(tmp_path: Path) -> None:
    with pytest.raises(AuthError, match="publisher auth youtube"):
        load_credentials(tmp_path / "none.json", Endpoints())


def test_chunk_size_must_be_a_multiple_of_256_kib(client: Client, video: Path) -> None:
    with pytest.raises(ValueError, match="256 KiB"):
        upload_video(client.service, client.http, path=video, body={}, parts="snippet",
                     journal=client.journal, chunk_size=1000)


def test_endpoints_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_YOUTUBE_API_ROOT", "http://127.0.0.1:9/")
    monkeypatch.setenv("PUBLISHER_GOOGLE_TOKEN_URI", "http://127.0.0.1:9/token")
    got = Endpoints.resolve("https://proxy.example/", None)
    assert got == Endpoints("http://127.0.0.1:9/", "http://127.0.0.1:9/token")
    monkeypatch.delenv("PUBLISHER_YOUTUBE_API_ROOT")
    assert Endpoints.resolve("https://proxy.example", None).api_root == "https://proxy.example/"


def test_session_expiring_mid_upload_starts_again_from_zero(yt: FakeYouTube, client: Client,
                                                            video: Path) -> None:
    calls = {"n": 0}

    def expire_after_two_chunks() -> bool:
        calls["n"] += 1
        if calls["n"] == 4:  # before the third chunk: the session is gone
            yt.expire_session(client.journal.sessions[0][0])
        return False

    result = client.upload(video, should_stop=expire_after_two_chunks)
    assert [s[1] for s in client.journal.sessions] == [False, True]
    assert len(yt.videos) == 1 and yt.video(result["id"]).sha256 == sha(video)


def test_log_progress_when_not_a_terminal(caplog: pytest.LogCaptureFixture) -> None:
    import logging

    from publisher.progress import LogProgress

    ticks = iter([0.0, 0.0, 5.0, 11.0, 30.0])
    progress = LogProgress(every_s=10, clock=lambda: next(ticks))
    with caplog.at_level(logging.INFO, logger="publisher.progress"):
        progress.start("Uploading Intervista", 4 * CHUNK)
        progress.update(CHUNK)       # first update: remembered, no line yet
        progress.update(2 * CHUNK)   # 5 s: too soon
        progress.update(3 * CHUNK)   # 11 s: a line
        progress.update(4 * CHUNK)   # the end: a line
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2
    assert "3.0 MiB of 4.0 MiB (75%)" in lines[0] and "left" in lines[0]
    assert "(100%)" in lines[1]


# --- Link-sized chunks, the content check, riding out a dropped link -------------------------

def test_link_sized_chunks_aim_at_seconds_of_the_measured_link() -> None:
    from publisher.platforms.youtube.chunks import (
        CHUNK_QUANTUM,
        FIRST_CHUNK,
        MAX_CHUNK,
        LinkSized,
    )

    sizes = LinkSized(target_s=4.0)
    assert sizes.next_size() == FIRST_CHUNK
    sizes.sent(FIRST_CHUNK, 1.0)  # 4 MiB/s: 16 MiB is four seconds
    assert sizes.next_size() == 16 * CHUNK
    sizes.sent(16 * CHUNK, 0.001)  # loopback: growing by 8x at most...
    assert sizes.next_size() == 128 * CHUNK
    sizes.sent(128 * CHUNK, 0.01)  # ...up to the largest allowed
    assert sizes.next_size() == MAX_CHUNK
    sizes.sent(MAX_CHUNK, 10240.0)  # a slow line: 0.025 MiB/s, 0.1 MiB in four seconds
    assert sizes.next_size() == CHUNK_QUANTUM  # rounded down to the API's 256 KiB
    sizes.sent(3 * CHUNK, 3.0)  # 1 MiB/s: 4 MiB
    assert sizes.next_size() % CHUNK_QUANTUM == 0 and sizes.next_size() == 4 * CHUNK
    sizes.sent(1000, 100.0)  # a final piece says nothing
    assert sizes.next_size() == 4 * CHUNK


def test_without_a_forced_size_chunks_follow_the_link(yt: FakeYouTube, client: Client,
                                                      tmp_path: Path) -> None:
    path = tmp_path / "bigger.mp4"
    path.write_bytes(os.urandom(20 * CHUNK + 777))
    client.journal.size = 20 * CHUNK + 777
    result = client.upload(path, chunk_size=None, expected_sha256=sha(path))
    got = yt.video(result["id"])
    assert got.sha256 == sha(path) and got.bytes_received == 20 * CHUNK + 777
    offsets = client.journal.offsets
    steps = [b - a for a, b in zip([0, *offsets], offsets, strict=False)]
    assert steps[0] == 4 * CHUNK and steps[1] > 4 * CHUNK  # loopback: the chunks grow
    assert all(s % (256 * 1024) == 0 for s in steps[:-1]) and steps[-1] == 777


def test_a_file_changed_during_the_upload_never_becomes_a_video(yt: FakeYouTube,
                                                                client: Client,
                                                                video: Path) -> None:
    from publisher.platforms.youtube.upload import ContentChanged

    queued = sha(video)
    calls = {"n": 0}

    def edit_after_the_first_chunk() -> bool:
        calls["n"] += 1
        if calls["n"] == 3:  # before chunk 2: same size, other bytes
            with video.open("r+b") as fh:
                fh.seek(CHUNK + 10)
                fh.write(b"edited in an editor")
        return False

    with pytest.raises(ContentChanged) as info:
        client.upload(video, should_stop=edit_after_the_first_chunk, expected_sha256=queued)
    assert "changed since it was queued" in str(info.value) and str(video) in str(info.value)
    assert not yt.videos
    session = yt.session(client.journal.sessions[0][0])
    assert not session.complete and session.received == 3 * CHUNK  # the last piece held back


def test_a_resume_starts_sending_at_once_and_still_checks_the_whole_file(
        yt: FakeYouTube, client: Client, video: Path, tmp_path: Path) -> None:
    from publisher.platforms.youtube import sent_bytes
    from publisher.platforms.youtube.upload import ContentChanged

    with pytest.raises(Interrupted):
        client.upload(video, should_stop=iter([False, False, False, True]).__next__,
                      expected_sha256=sha(video))
    uri = client.journal.sessions[0][0]
    queued = sha(video)
    # The part sent before the restart changed on disk meanwhile (same size).
    with video.open("r+b") as fh:
        fh.write(b"X" * 100)
    caught_up: list[int] = []
    real_pread = sent_bytes.os.pread

    def slow_disk(fd: int, n: int, at: int) -> bytes:
        # The catch-up hash of the part already sent waits here until the upload has sent
        # on: had the upload waited for the hash first, this would wait in vain.
        if threading.current_thread().name != "upload-sha256":
            return real_pread(fd, n, at)  # the upload's own reads
        deadline = time.monotonic() + 5
        while yt.session(uri).received <= 2 * CHUNK and time.monotonic() < deadline:
            time.sleep(0.01)
        caught_up.append(yt.session(uri).received)
        return real_pread(fd, n, at)

    again = Client(yt, tmp_path)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(sent_bytes.os, "pread", slow_disk)
        with pytest.raises(ContentChanged, match="sha256 differs"):
            again.upload(video, saved_session=uri, expected_sha256=queued)
    assert caught_up and caught_up[0] > 2 * CHUNK
    assert not yt.videos and again.journal.sessions == []
    assert yt.session(uri).received == 3 * CHUNK  # sent on from 2 MiB, the last piece held


def test_a_resume_of_the_unchanged_file_completes(yt: FakeYouTube, client: Client,
                                                  video: Path, tmp_path: Path) -> None:
    with pytest.raises(Interrupted):
        client.upload(video, should_stop=iter([False, False, False, True]).__next__,
                      expected_sha256=sha(video))
    uri = client.journal.sessions[0][0]
    again = Client(yt, tmp_path)
    result = again.upload(video, saved_session=uri, expected_sha256=sha(video))
    got = yt.video(result["id"])
    assert got.sha256 == sha(video) and got.bytes_received == SIZE


class FakeTime:
    """A clock that moves only when the uploader sleeps."""

    def __init__(self) -> None:
        self.now = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += dt.timedelta(seconds=seconds)


def drop_chunks(yt: FakeYouTube, first: int, count: int) -> None:
    """Data PUTs `first` … `first + count - 1` are cut off mid-chunk (a link going down)."""
    for n in range(first, first + count):
        yt.drop_chunk(n, after_bytes=1000, reset=True)


def test_the_daemon_backoff_gives_up_after_its_attempts(yt: FakeYouTube, client: Client,
                                                        video: Path) -> None:
    from publisher.platforms.errors import TransientError

    drop_chunks(yt, 2, 12)
    clock = FakeTime()
    with pytest.raises(TransientError):
        client.upload(video, backoff=Backoff(sleep=clock.sleep, now=lambda: clock.now,
                                             rand=lambda: 1.0))
    assert len(clock.slept) == 8 and not yt.videos


def test_a_window_rides_out_a_dropped_link_and_says_when_it_tries_again(
        yt: FakeYouTube, client: Client, video: Path) -> None:
    drop_chunks(yt, 2, 12)  # a quarter of an hour of failures at full backoff
    clock = FakeTime()
    told: list[tuple[dt.datetime, str]] = []
    backoff = Backoff(sleep=clock.sleep, now=lambda: clock.now, rand=lambda: 1.0,
                      window=dt.timedelta(minutes=15),
                      announce=lambda at, err: told.append((at, str(err))))
    result = client.upload(video, backoff=backoff)
    assert yt.video(result["id"]).sha256 == sha(video) and len(yt.videos) == 1
    assert len(told) == 12 and sum(clock.slept) > 8 * 60
    start = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
    assert told[0][0] == start + dt.timedelta(seconds=2)  # 1 s x 2^1, full jitter at 1.0
    assert told[-1][0] - told[-2][0] == dt.timedelta(seconds=60)  # capped at a minute
    assert "connection problem" in told[0][1]


def test_a_window_gives_up_once_it_has_passed(yt: FakeYouTube, client: Client,
                                              video: Path) -> None:
    from publisher.platforms.errors import TransientError

    drop_chunks(yt, 2, 40)
    clock = FakeTime()
    backoff = Backoff(sleep=clock.sleep, now=lambda: clock.now, rand=lambda: 1.0,
                      window=dt.timedelta(minutes=5))
    with pytest.raises(TransientError):
        client.upload(video, backoff=backoff)
    assert dt.timedelta(minutes=5) <= dt.timedelta(seconds=sum(clock.slept)) \
        <= dt.timedelta(minutes=6)
    assert not yt.videos
