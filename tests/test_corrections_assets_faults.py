"""The faults of the asset corrections' requests (issue 15's fault matrix): a 5xx, the
connection dropped after YouTube acted, a 429, expired credentials. Each leaves the
correction waiting (never lost, never needing a person for a passing fault), and the next
sync finishes it without doing anything twice — a track inserted or replaced before the
answer was lost is found on YouTube, not sent again.
"""

from __future__ import annotations

import collections
import datetime as dt
from collections.abc import Callable, Iterator

import pytest

from publisher.pipeline.correct import Outcome, sync
from publisher.samples import make_png
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import corrections, events, published, runtime
from tests.helpers.marks import slow_except


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


FAULTS: dict[str, Callable[[FakeYouTube, str], None]] = {
    "5xx": lambda yt, m: yt.fail_next(m, 503, "backendError"),
    "dropped after acting": lambda yt, m: yt.drop_next_answer(m),
    "429": lambda yt, m: yt.fail_next(m, 429, "rateLimitExceeded", retry_after=30),
    "expired credentials": lambda yt, m: yt.revoke_tokens(),
}


METHODS = ["captions.insert", "captions.update", "captions.delete", "playlistItems.delete",
           "playlistItems.insert", "thumbnails.set"]
CASES = [(f, m) for f in FAULTS if f != "expired credentials" for m in METHODS] + [
    ("expired credentials", "captions.insert")]  # refused before any request: one case


# The quick loop tries each fault, each on another method; CI every case.
@pytest.mark.parametrize(("fault", "method"), slow_except(
    [pytest.param(f, m, id=f"{f}-{m}") for f, m in CASES],
    keep={"5xx-captions.update", "dropped after acting-playlistItems.insert",
          "429-thumbnails.set", "expired credentials-captions.insert"}))
def test_a_fault_leaves_it_waiting_and_the_next_sync_finishes_it_once(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch, fault: str, method: str) -> None:
    home = sqlite_home
    it, en = media.srt(), media.vtt()
    video = published(home, media, yt, clock, monkeypatch, "--thumbnail", media.png(),
                      "--playlist", "Studi Aperti", "--captions", f"it={it}",
                      "--captions", f"en={en}")
    new_it = media.file("subs.it.v2.srt", "1\n00:00:00,000 --> 00:00:01,500\nCiao!\n")
    fr = media.file("subs.fr.srt", "1\n00:00:00,000 --> 00:00:01,500\nBonjour\n")
    thumb = make_png(media.folder / "thumb-2.png", color=(10, 200, 30))
    home.ok("queue", "edit", 1, "--thumbnail", thumb, "--playlist", "Ceramica",
            "--captions", f"it={new_it}", "--captions", f"fr={fr}")
    before_thumbnails = video.thumbnails_set

    FAULTS[fault](yt, method)
    first = sync(runtime(home, monkeypatch, clock), 1)
    assert first.outcome == Outcome.WAITING, first.detail
    assert [c.state for c in corrections(home)] == ["waiting"]

    yt.restore_tokens()
    clock.now += dt.timedelta(minutes=5)
    second = sync(runtime(home, monkeypatch, clock), 1)
    assert second.outcome == Outcome.APPLIED, second.detail
    assert [c.state for c in corrections(home)] == ["done"]

    languages = collections.Counter(c.language for c in yt.captions.values()
                                    if c.video_id == video.id)
    assert languages == {"it": 1, "fr": 1}
    (italian,) = [c for c in yt.captions.values() if c.language == "it"]
    assert italian.updates == 1  # replaced once, even when its answer was lost
    assert [c.language for c in yt.deleted_captions] == ["en"]
    # thumbnails.set has no read-back: an answer lost after it acted means one more set.
    repeats = 1 if (method, fault) == ("thumbnails.set", "dropped after acting") else 0
    assert video.thumbnails_set - before_thumbnails == 1 + repeats
    by_title = {p.title: p.video_ids for p in yt.playlists.values()}
    assert by_title == {"Studi Aperti": [], "Ceramica": [video.id]}
    applied = collections.Counter(name for e in events(home, "correction_applied")
                                  for name in e["changes"])
    assert applied == dict.fromkeys(
        ["thumbnail", "playlist", "captions:en", "captions:fr", "captions:it"], 1)
