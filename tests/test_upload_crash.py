"""kill -9 at every step of `publisher upload ID`, then run it again: YouTube ends up with
exactly one complete video, decorated once, and the database with the interview staged.

The real command runs as a child process against a FakeYouTube served by this test process.
It kills itself at a named crash point (PUBLISHER_CRASH_AT, publisher/faults.py), or is
killed from here while a chunk is in flight. Every check after the rerun is made on the
fake's side (what YouTube would hold) and in the database.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.crash_harness import (
    MIB,
    DbState,
    Run,
    db_state,
    finish,
    kill_when,
    resent_bytes,
    run_upload,
    sha256,
    start_upload,
    video_sessions,
)
from tests.helpers.marks import slow_except
from tests.helpers.youtube import connect

TITLE = "Maria Rossi nel suo studio"
PLAYLIST = "Studi Aperti 2026"
LANGUAGES = ["en", "it"]  # the pipeline sends them in this order: captions.sent@2 is "it"
STAGE_SOURCE = Path(__file__).resolve().parents[1] / "publisher/pipeline/youtube_stage.py"

#: Every crash point of the staging step; `@N` is the N-th time the point is reached.
#: upload.chunk_saved is reached after each 1 MiB chunk (the sample spans five).
CRASH_POINTS = [
    "upload.session_saved",
    "upload.chunk_saved@1",
    "upload.chunk_saved@2",
    "upload.finished_not_recorded",
    "upload.recorded",
    "thumbnail.before",
    "thumbnail.sent",
    "playlist.before",
    "playlist.sent",
    "captions.before",
    "captions.sent",
    "captions.sent@2",
    "stage.before_staged",
]
#: Run on both SQLite and PostgreSQL: mid-upload, upload done but unrecorded, mid-decoration.
REPRESENTATIVE = ["upload.chunk_saved@1", "upload.finished_not_recorded", "captions.sent@2"]


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture(scope="module")
def noisy_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~5 MB that does not compress: five 1 MiB chunks. Encoding takes seconds: made once."""
    media = Media(tmp_path_factory.mktemp("sample"))
    path = media.video("noisy.mp4", seconds=3, width=640, height=480, noise=True)
    assert path.stat().st_size > 3 * MIB, "the sample must span several 1 MiB chunks"
    return path


@dataclass
class Queued:
    video: Path
    thumbnail: Path
    size: int
    sha256: str


def queue_interview(home: HomeFixture, yt: FakeYouTube, media: Media,
                    noisy_video: Path) -> Queued:
    connect(home, yt)
    video = media.folder / "interview.mp4"
    shutil.copyfile(noisy_video, video)
    thumbnail = media.png()
    home.ok(*add_args(video, TITLE, "--thumbnail", thumbnail, "--playlist", PLAYLIST,
                      "--captions", f"it={media.srt()}", "--captions", f"en={media.vtt()}"))
    return Queued(video, thumbnail, video.stat().st_size, sha256(video))


def assert_killed(run: Run, what: str) -> None:
    """The child really died of SIGKILL: a test cannot pass by never crashing."""
    assert run.returncode == -signal.SIGKILL, f"{what}: expected death by SIGKILL\n{run.output}"


def assert_left_mid_stage(home: HomeFixture) -> DbState:
    """After the kill: still staging, and the dead process's lease still held and unexpired
    (so the rerun must take over from a dead holder, not merely find an expired lease)."""
    after = db_state(home)
    assert after.state == "staging", after
    assert after.lease_owner is not None, "the killed process cannot have released its lease"
    assert after.lease_expires_at is not None
    assert after.lease_expires_at > dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5), after
    return after


def assert_exactly_once(home: HomeFixture, yt: FakeYouTube, q: Queued, rerun: Run, *,
                        thumbnail_sets: tuple[int, ...] = (1,)) -> Figures:
    """What YouTube and the database hold after the rerun; returns the run's figures."""
    assert rerun.returncode == 0, rerun.output
    out = json.loads(rerun.stdout)
    assert out["outcome"] == "staged", rerun.output

    # One video, the file's bytes, uploaded through one session (one videos.insert).
    assert list(yt.videos) == [out["video_id"]], f"videos on YouTube: {list(yt.videos)}"
    video = yt.video(out["video_id"])
    assert video.size == q.size and video.sha256 == q.sha256
    assert len(video_sessions(yt)) == 1, "a second upload session was started"
    assert yt.quota.spent_on("videos.insert") == 1

    # The metadata asked for: private until the slot, publishAt = the slot.
    assert video.title == TITLE
    assert video.privacy_status == "private"
    assert out["slot"] is not None and video.publish_at is not None
    assert video.publish_at == dt.datetime.fromisoformat(out["slot"]).astimezone(
        dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    # Decorations: the thumbnail (the file's bytes), one playlist holding the video once,
    # one caption track per language.
    assert video.thumbnail_sha256 == sha256(q.thumbnail)
    assert video.thumbnails_set in thumbnail_sets, f"thumbnails.set {video.thumbnails_set}x"
    playlists = [p for p in yt.playlists.values() if p.title == PLAYLIST]
    assert len(playlists) == 1, f"{len(playlists)} playlists named {PLAYLIST!r}"
    assert playlists[0].video_ids == [video.id]
    assert video.playlists == [playlists[0].id]
    tracks = sorted(c.language for c in yt.captions.values() if c.video_id == video.id)
    assert tracks == LANGUAGES, f"caption tracks on YouTube: {tracks}"
    assert {lang: len(t) for lang, t in video.captions.items()} == dict.fromkeys(LANGUAGES, 1)

    # The database: staged, every step done, no lease left.
    after = db_state(home)
    assert after.state == "staged", after
    assert after.lease_owner is None and after.lease_expires_at is None
    assert after.steps == {"video": "done", "thumbnail": "done", "playlist": "done",
                           "captions:en": "done", "captions:it": "done"}

    resent = resent_bytes(yt, q.size)
    assert 0 <= resent <= MIB, f"{resent} bytes re-sent after the kill (one chunk is {MIB})"
    return Figures(resent, video.thumbnails_set, yt.quota.used())


@dataclass
class Figures:
    resent_bytes: int
    thumbnails_set: int
    quota_units: int

    def __str__(self) -> str:
        return (f"{self.resent_bytes} bytes re-sent, thumbnails.set x{self.thumbnails_set}, "
                f"{self.quota_units} quota units")


def crash_then_rerun(home: HomeFixture, yt: FakeYouTube, q: Queued, point: str) -> None:
    crashed = run_upload(home, crash_at=point)
    assert_killed(crashed, point)
    assert_left_mid_stage(home)
    rerun = run_upload(home)
    # thumbnails.set has no lookup to reconcile with: a kill between sending it and recording
    # it is followed by setting the same image again (same result, 50 more quota units).
    sets = (1, 2) if point.startswith("thumbnail.sent") else (1,)
    figures = assert_exactly_once(home, yt, q, rerun, thumbnail_sets=sets)
    print(f"\n{point} [{home.db_url.split(':')[0]}]: {figures}; "
          f"crash run {crashed.seconds:.1f} s, rerun {rerun.seconds:.1f} s")


def test_every_crash_point_is_covered() -> None:
    names = set(re.findall(r'crash_point\("([^"]+)"\)', STAGE_SOURCE.read_text()))
    assert names, "no crash points found in youtube_stage.py"
    assert names == {p.partition("@")[0] for p in CRASH_POINTS}


@pytest.mark.parametrize("point", slow_except(CRASH_POINTS, {"upload.chunk_saved@1"}))
def test_kill_at_crash_point_then_rerun(point: str, sqlite_home: HomeFixture, yt: FakeYouTube,
                                        media: Media, noisy_video: Path) -> None:
    q = queue_interview(sqlite_home, yt, media, noisy_video)
    crash_then_rerun(sqlite_home, yt, q, point)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("point", REPRESENTATIVE)
def test_kill_then_rerun_on_each_database(point: str, home: HomeFixture, yt: FakeYouTube,
                                          media: Media, noisy_video: Path) -> None:
    q = queue_interview(home, yt, media, noisy_video)
    crash_then_rerun(home, yt, q, point)


@pytest.mark.slow
def test_kill_from_outside_while_a_chunk_is_in_flight(sqlite_home: HomeFixture,
                                                      yt: FakeYouTube, media: Media,
                                                      noisy_video: Path) -> None:
    """A true kill -9 at a moment of the test's choosing: the fake holds chunk 2's bytes but
    has not answered yet, so the dead process never recorded them."""
    q = queue_interview(sqlite_home, yt, media, noisy_video)
    yt.delay_chunk(2, 10.0)  # far longer than the poll needs; the kill ends the wait

    def chunk_2_stored_not_answered() -> bool:
        sessions = video_sessions(yt)
        return bool(sessions) and sessions[0].data_puts == 2 and sessions[0].received >= 2 * MIB

    started = time.monotonic()
    proc = start_upload(sqlite_home)
    waited = kill_when(proc, chunk_2_stored_not_answered)
    crashed = finish(proc, started)  # reaps the child: its pid is gone, as after a real crash
    assert_killed(crashed, "kill from outside")

    at_kill = assert_left_mid_stage(sqlite_home)
    session = video_sessions(yt)[0]
    assert at_kill.video_progress == MIB, at_kill  # the dead process recorded chunk 1 only
    assert session.received == 2 * MIB and not session.complete

    rerun = run_upload(sqlite_home)
    figures = assert_exactly_once(sqlite_home, yt, q, rerun)
    print(f"\nkill from outside in chunk 2 (after {waited:.2f} s): {figures}; "
          f"rerun {rerun.seconds:.1f} s")
