"""A post correction dies at each of its points and is resumed: each post is edited exactly
once, each correction ends done and is journaled once, and the interview's lease ends with
the last record, in the same commit — a death after that commit leaves nothing held (before
it, the lease of the dead process is held until it expires, and the next run finishes).

Every point a `sync_posts` passes from its first intent onwards is found by tracing a first
run; each case then raises there (in process: a transaction cut before its commit rolls
back, as a kill would) and runs the daemon's tick once the lease has expired.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import publisher.pipeline.correct_posts as correct_posts
from publisher.pipeline.correct_posts import post_corrections_due, sync_posts
from publisher.sandbox.platforms import SandboxPlatforms, post_text
from publisher.store.db import make_engine
from publisher.store.models import Interview
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import corrections, events, runtime
from tests.helpers.crash_points import Died, die_at, live_again, trace_points
from tests.helpers.home_template import HomeTemplate
from tests.helpers.marks import POINT_SHARES, share_of
from tests.helpers.posts_out import posts, published_world
from tests.helpers.scoped import Session

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)
NEW_TITLE = "Maria Rossi nel suo laboratorio"
EDITABLE = ("mastodon", "telegram")




def _lease(home: HomeFixture) -> str | None:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        item = s.get(Interview, 1)
        assert item is not None
        owner = item.lease_owner
    engine.dispose()
    return owner


def _edits(platforms: SandboxPlatforms) -> dict[str, int]:
    return {"mastodon": len(platforms.mastodon.statuses[-1].edits),
            "telegram": len(posts(platforms, "telegram")[0]["edits"])}


@contextmanager
def _fresh(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch,
           template: HomeTemplate) -> Iterator[tuple[HomeFixture, SandboxPlatforms, Clock]]:
    path = tmp_path_factory.mktemp("postcrash") / "home"
    home = HomeFixture(path, template.sqlite_home(path))
    clock = Clock(START)
    with published_world(home, Media(path.parent / "media"), clock, monkeypatch, EDITABLE,
                         NEW_TITLE) as (found, platforms):
        yield found, platforms, clock


def _trace(home: HomeFixture, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    rt = runtime(home, monkeypatch, clock)
    seen = trace_points(monkeypatch, correct_posts)
    assert [e.outcome for e in sync_posts(rt, 1)] == ["edited", "edited"]
    first = min(seen.index(f"post_edit.{p}.before@1") for p in EDITABLE)
    start = max(i for i in range(first) if seen[i].startswith("db.before_commit"))
    return seen[start:]


@pytest.mark.parametrize("share", POINT_SHARES)
def test_dying_at_each_point_then_resuming_edits_once_and_frees_the_lease(
        share: str, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch, home_template: HomeTemplate) -> None:
    with _fresh(tmp_path_factory, monkeypatch, home_template) as (home, _, clock):
        points = _trace(home, clock, monkeypatch)
    monkeypatch.undo()
    last = sorted(EDITABLE)[-1]
    recorded = points.index(f"post_edit.{last}.recorded@1")
    # The commit that writes the last record (and ends the lease).
    last_commit = max(i for i in range(recorded) if points[i].startswith("db.after_commit"))
    assert points[last_commit - 1].startswith("db.before_commit")
    assert len(points) >= 10

    failures = []
    for point in share_of(points, share, every=6):
        i = points.index(point)
        with _fresh(tmp_path_factory, monkeypatch, home_template) as (home, platforms, clock):
            die_at(monkeypatch, point, correct_posts)
            try:
                sync_posts(runtime(home, monkeypatch, clock), 1)
                died = False
            except Died:
                died = True
            live_again(monkeypatch, correct_posts)
            held = _lease(home)
            clock.now += dt.timedelta(minutes=10)  # a dead process's lease expires
            post_corrections_due(runtime(home, monkeypatch, clock), clock.now)
            verdict = {
                "died": died,
                "held_after_death": held is not None,
                "texts": all(NEW_TITLE in post_text(posts(platforms, p)[0])
                             for p in EDITABLE),
                "edits": _edits(platforms),
                "states": sorted(c.state for c in corrections(home)
                                 if c.platform != "youtube"),
                "applied": sorted(e["platform"] for e in events(home, "correction_applied")
                                  if e.get("platform")),
                "lease": _lease(home),
            }
            expected = {"died": True, "held_after_death": i < last_commit, "texts": True,
                        "edits": dict.fromkeys(EDITABLE, 1), "states": ["done", "done"],
                        "applied": sorted(EDITABLE), "lease": None}
            if verdict != expected:
                failures.append(f"{point}: {verdict}")
        monkeypatch.undo()
    assert failures == []
