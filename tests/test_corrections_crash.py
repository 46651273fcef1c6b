"""A correction dies at each of its points and is resumed: YouTube receives it, the
correction ends done exactly once, and the journal says it was applied exactly once.

Every point a `sync` passes from its intent onwards (the commit that saves what will be sent,
the request, the commit that records it, the lease given back) is found by tracing a first
run; each case then raises there (in process: a transaction cut before its commit rolls
back, as a kill would) and runs `sync` again. One case kills a real `publisher sync` child
with SIGKILL between the request and its record.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

import publisher.pipeline.correct as correct
from publisher.faults import ENV as CRASH_ENV
from publisher.pipeline.correct import Outcome, sync
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import corrections, events, runtime, staged, updates
from tests.helpers.crash_points import Died, die_at, live_again, trace_points
from tests.helpers.home_template import HomeTemplate
from tests.helpers.marks import POINT_SHARES, share_of

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NEW_TITLE = "Maria Rossi, corretto"


def _world(tmp_path_factory: pytest.TempPathFactory, clock: Clock, yt: FakeYouTube,
           monkeypatch: pytest.MonkeyPatch, template: HomeTemplate) -> HomeFixture:
    path = tmp_path_factory.mktemp("crash") / "home"
    home = HomeFixture(path, template.sqlite_home(path))
    staged(home, Media(path.parent / "media"), yt, clock, monkeypatch)
    home.ok("queue", "edit", 1, "--title", NEW_TITLE)
    return home


def _points_from_intent(trace: list[str]) -> list[str]:
    """The points from the commit that saves the intent to the end of the run."""
    intent = trace.index("correction.before_update@1")
    start = max(i for i in range(intent) if trace[i].startswith("db.before_commit"))
    return trace[start:]


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))


@pytest.fixture
def traced_points(tmp_path_factory: pytest.TempPathFactory, clock: Clock,
                  monkeypatch: pytest.MonkeyPatch, home_template: HomeTemplate
                  ) -> Iterator[list[str]]:
    with FakeYouTube(clock=clock) as yt:
        home = _world(tmp_path_factory, clock, yt, monkeypatch, home_template)
        trace = trace_points(monkeypatch, correct)
        assert sync(runtime(home, monkeypatch, clock), 1).outcome == Outcome.APPLIED
        monkeypatch.undo()
        yield _points_from_intent(trace)


def test_the_trace_passes_the_request_and_both_commits(traced_points: list[str]) -> None:
    assert traced_points[0].startswith("db.before_commit")
    for name in ("correction.before_update@1", "correction.sent@1", "correction.recorded@1"):
        assert name in traced_points
    assert traced_points.index("correction.before_update@1") < \
        traced_points.index("correction.sent@1") < traced_points.index("correction.recorded@1")
    assert len(traced_points) >= 9  # intent, charge, request, record, lease: each committed


@pytest.mark.parametrize("share", POINT_SHARES)
def test_dying_at_each_point_then_resuming_applies_it_once(
        share: str, traced_points: list[str], tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch, home_template: HomeTemplate) -> None:
    failures = []
    for point in share_of(traced_points, share, every=4):
        clock = Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))
        with FakeYouTube(clock=clock) as yt:
            home = _world(tmp_path_factory, clock, yt, monkeypatch, home_template)
            video = next(iter(yt.videos.values()))
            die_at(monkeypatch, point, correct)
            try:
                sync(runtime(home, monkeypatch, clock), 1)
                died = False
            except Died:
                died = True
            live_again(monkeypatch, correct)
            sent_before_resume = len(updates(yt))
            resumed = sync(runtime(home, monkeypatch, clock), 1)
            verdict = {
                "died": died,
                "title": NEW_TITLE in video.title,
                "updates": len(updates(yt)),
                "states": [c.state for c in corrections(home)],
                "applied": len(events(home, "correction_applied")),
                "resumed": resumed.outcome.value,
            }
            # The lease ends in the record's own commit, so a death at any later point
            # leaves nothing held: the next run finds the correction done.
            after_record = point in traced_points[traced_points.index(
                "correction.recorded@1"):]
            expected = (Outcome.UP_TO_DATE if sent_before_resume or after_record
                        else Outcome.APPLIED)
            ok = (died and verdict["title"] and verdict["updates"] == 1
                  and verdict["states"] == ["done"] and verdict["applied"] == 1
                  and resumed.outcome == expected)
            if not ok:
                failures.append(f"{point}: {verdict}")
    assert failures == []


def test_a_real_kill_between_the_request_and_its_record(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGKILL after videos.update reached YouTube: the lease is held by a dead process,
    the correction in flight; the next `sync` takes over, finds the title on YouTube, and
    ends the correction done without sending it again."""
    clock = Clock(dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC))
    with FakeYouTube() as yt:  # the child runs on the real clock: so does the fake
        staged(sqlite_home, media, yt, clock, monkeypatch)
        sqlite_home.ok("queue", "edit", 1, "--title", NEW_TITLE)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("PUBLISHER_HOME", "PUBLISHER_DATABASE", CRASH_ENV))}
        env.update(sqlite_home.env)
        env[CRASH_ENV] = "correction.sent"
        child = subprocess.run(
            [sys.executable, "-m", "publisher", "--home", str(sqlite_home.path), "--db",
             sqlite_home.db_url, "sync", "1"], cwd=REPO, env=env, capture_output=True,
            text=True, timeout=60)
        assert child.returncode == -9, child.stderr
        video = next(iter(yt.videos.values()))
        assert NEW_TITLE in video.title and len(updates(yt)) == 1
        assert [c.state for c in corrections(sqlite_home)] == ["in_flight"]
        again = sqlite_home.run("sync", 1)
        assert again.exit_code == 0, again.output
        assert len(updates(yt)) == 1  # not sent twice
        assert [c.state for c in corrections(sqlite_home)] == ["done"]
        applied = events(sqlite_home, "correction_applied")
        assert len(applied) == 1 and applied[0]["found_on_youtube"] is True
        assert NEW_TITLE in applied[0]["changes"]["title"]["new"]
