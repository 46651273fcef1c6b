"""Replacing a post that cannot be edited (issue 15): on X and Bluesky a corrected post stays
as it was unless the organizer asks for it on that platform (`publisher sync ID --replace
x`); then the old post is deleted and the corrected text posted once, the publication record
ends with the new id and address, the journal keeps the old and the new. A death at every
point from the intent onwards, then a resumed run, leaves exactly one post out, corrected,
and the interview not leased."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import select

import publisher.pipeline.correct_posts as correct_posts
import publisher.pipeline.crosspost as crosspost
import publisher.pipeline.replace_posts as replace_posts
from publisher.pipeline.correct_posts import sync_posts
from publisher.post_corrections import kept_posts, posts_out
from publisher.sandbox.platforms import SandboxPlatforms, post_text
from publisher.store.db import make_engine
from publisher.store.models import Interview, Publication
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import TITLE, corrections, events, runtime
from tests.helpers.crash_points import Died, die_at, live_again, trace_points
from tests.helpers.home_template import HomeTemplate
from tests.helpers.marks import POINT_SHARES, share_of
from tests.helpers.posts_out import posts as _posts
from tests.helpers.posts_out import published_world
from tests.helpers.scoped import Session

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)
NEW_TITLE = "Maria Rossi nel suo laboratorio"
LATER_TITLE = "Maria Rossi, ceramista a Carrara"
PLATFORMS = ("x", "bluesky", "mastodon")
_PATCHED = (correct_posts, crosspost, replace_posts)  # they import crash_point by name


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def world(sqlite_home: HomeFixture, media: Media, clock: Clock,
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    with published_world(sqlite_home, media, clock, monkeypatch, PLATFORMS,
                         NEW_TITLE) as found:
        yield found


@pytest.fixture
def world_on_each_db(home: HomeFixture, media: Media, clock: Clock,
                     monkeypatch: pytest.MonkeyPatch
                     ) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    """`world` on SQLite and on PostgreSQL."""
    with published_world(home, media, clock, monkeypatch, PLATFORMS, NEW_TITLE) as found:
        yield found


def _record(home: HomeFixture, platform: str) -> tuple[str, str | None, str | None]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        pub = s.scalars(select(Publication).where(
            Publication.interview_id == 1, Publication.platform == platform,
            Publication.step == "post")).one()
        found = (pub.state, pub.remote_id, pub.url)
    engine.dispose()
    return found


def _lease(home: HomeFixture) -> str | None:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        item = s.get(Interview, 1)
        assert item is not None
        owner = item.lease_owner
    engine.dispose()
    return owner


def _replaced(home: HomeFixture) -> list[dict[str, Any]]:
    return [e for e in events(home, "correction_applied") if e.get("replaced")]


def test_x_is_kept_until_asked_then_replaced_once(
        world_on_each_db: tuple[HomeFixture, SandboxPlatforms]) -> None:
    home, platforms = world_on_each_db
    old_state, old_id, old_url = _record(home, "x")
    assert old_state == "done" and old_id

    dry = home.ok("sync", 1, "--dry-run")
    assert "X: the post stays as it was" in dry.stdout
    assert "publisher sync 1 --replace x" in dry.stdout
    asked = home.ok("sync", 1, "--dry-run", "--replace", "x")
    assert "X post: will be deleted and posted again" in asked.stdout
    assert "Bluesky: the post stays as it was" in asked.stdout
    assert [c.platform for c in corrections(home) if c.platform == "x"] == []  # dry
    assert TITLE in post_text(_posts(platforms, "x")[0])
    preview = home.ok("preview", 1)
    assert "publisher sync 1 --replace x" in preview.stdout

    done = home.ok("sync", 1, "--replace", "x", "--json")
    posts = {p["platform"]: p for p in json.loads(done.stdout)["posts"]}
    assert posts["x"]["outcome"] == "replaced" and posts["bluesky"]["outcome"] == "kept"
    out = _posts(platforms, "x")
    assert len(out) == 1 and NEW_TITLE in post_text(out[0])
    assert [p.id for p in platforms.x.deleted] == [old_id]
    state, new_id, new_url = _record(home, "x")
    assert state == "done" and new_id != old_id and new_url and new_url != old_url
    assert posts["x"]["url"] == new_url
    (applied,) = _replaced(home)
    assert applied["old"] == {"remote_id": old_id, "url": old_url}
    assert applied["new"] == {"remote_id": new_id, "url": new_url}
    assert TITLE in applied["changes"]["post"]["old"]
    assert NEW_TITLE in applied["changes"]["post"]["new"]
    assert [e["replaced"] for e in events(home, "post_deleted")] == [True]
    assert _lease(home) is None

    # Done once: asked again, nothing is replaced (the post says what the interview says).
    again = home.ok("sync", 1, "--replace", "x")
    assert "X: the post stays" not in again.stdout
    assert len(_posts(platforms, "x")) == 1 and len(platforms.x.deleted) == 1
    assert len(_replaced(home)) == 1
    assert [c.state for c in corrections(home) if c.platform == "x"] == ["done"]
    # Bluesky was not asked for: it stays as it was.
    assert TITLE in post_text(_posts(platforms, "bluesky")[0])


def test_bluesky_replaced_through_the_daemon_after_the_ask(
        world: tuple[HomeFixture, SandboxPlatforms], clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The ask is recorded; the daemon's tick (post_corrections_due) carries it out."""
    home, platforms = world
    rt = runtime(home, monkeypatch, clock)
    assert replace_posts.request(rt, 1, "bluesky")
    from publisher.pipeline.correct_posts import post_corrections_due

    done = {e.platform: e.outcome for _, e in post_corrections_due(rt, clock.now)}
    assert done["bluesky"] == "replaced"
    out = _posts(platforms, "bluesky")
    assert len(out) == 1 and NEW_TITLE in post_text(out[0])
    assert len(platforms.bluesky.deleted) == 1


def test_replace_refuses_what_it_cannot_do(
        world: tuple[HomeFixture, SandboxPlatforms]) -> None:
    home, _ = world
    edited = home.run("sync", 1, "--replace", "mastodon")
    assert edited.exit_code != 0 and "edited in place" in edited.output
    unknown = home.run("sync", 1, "--replace", "myspace")
    assert unknown.exit_code != 0 and "not a platform that cross-posts" in unknown.output


@pytest.mark.parametrize("platform", ["x", "bluesky"])
def test_a_post_recorded_by_hand_is_replaced_for_real(
        world: tuple[HomeFixture, SandboxPlatforms], platform: str) -> None:
    """A post an organizer recorded with `resolve --url` is recorded with the id read from
    its address: the replacement deletes that post (never a "not found" for an address
    while the old post stays beside the new one)."""
    home, platforms = world
    _, old_id, old_url = _record(home, platform)
    assert old_id and old_url
    if platform == "x":
        url = f"https://twitter.com/{platforms.x.username}/status/{old_id}"
    else:  # the address an organizer copies names the account by its handle
        url = (f"https://bsky.app/profile/{platforms.bluesky.account.handle}/post/"
               f"{old_id.rsplit('/', 1)[1]}")
    home.ok("resolve", 1, "--platform", platform, "--url", url)
    # A correction recorded after the post was (resolve records it as out now).
    home.ok("queue", "edit", 1, "--title", LATER_TITLE)
    done = home.ok("sync", 1, "--replace", platform, "--json")
    outcome = {p["platform"]: p["outcome"] for p in json.loads(done.stdout)["posts"]}
    assert outcome[platform] == "replaced"
    out = _posts(platforms, platform)
    assert len(out) == 1 and LATER_TITLE in post_text(out[0])
    fake = platforms.by_name[platform]
    assert len(fake.deleted) == 1
    if platform == "x":
        assert [p.id for p in fake.deleted] == [old_id]



@pytest.mark.parametrize("platform", ["x", "bluesky"])
def test_a_kept_post_is_still_told_after_it_is_resolved_by_hand(
        world: tuple[HomeFixture, SandboxPlatforms], platform: str) -> None:
    """The post went out, a correction changed its text, then the organizer recorded the
    same post by hand (`resolve --url`, a write to its record): it still says the old text,
    and `sync --dry-run` and `preview` still say so."""
    home, platforms = world
    _, old_id, _ = _record(home, platform)
    assert old_id
    if platform == "x":
        url = f"https://x.com/{platforms.x.username}/status/{old_id}?s=20"
    else:
        url = (f"https://bsky.app/profile/{platforms.bluesky.account.handle}/post/"
               f"{old_id.rsplit('/', 1)[1]}")
    home.ok("resolve", 1, "--platform", platform, "--url", url)
    label = {"x": "X", "bluesky": "Bluesky"}[platform]

    dry = json.loads(home.ok("sync", 1, "--dry-run", "--json").stdout)
    kept = {p["platform"]: p for p in dry["posts"] if p["outcome"] == "kept"}
    assert platform in kept, dry["posts"]
    assert TITLE in kept[platform]["old"] and NEW_TITLE in kept[platform]["new"]
    assert f"{label}: the post stays as it was" in home.ok("preview", 1).stdout
    assert TITLE in post_text(_posts(platforms, platform)[0])



def test_a_post_deleted_then_recorded_by_hand_is_not_told_as_kept(
        world: tuple[HomeFixture, SandboxPlatforms], clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A correction is about the post out when it was recorded: once that post is deleted
    (here by a replacement whose new post was refused), the post the organizer then makes
    by hand and records with `resolve` is another one."""
    home, platforms = world
    platforms.x.fail_next_post(403, after_storing=False)
    home.run("sync", 1, "--replace", "x")
    assert _posts(platforms, "x") == [] and _record(home, "x")[0] == "needs_attention"
    home.ok("resolve", 1, "--platform", "x", "--url",
            f"https://x.com/{platforms.x.username}/status/1999999999999999999")
    rt = runtime(home, monkeypatch, clock)
    with rt.transaction() as s:
        item = s.get(Interview, 1)
        assert item is not None
        _ = (item.speakers, item.localizations)
        assert "x" in posts_out(s, 1)
        assert set(kept_posts(s, rt.config, rt.schedules, item)) == {"bluesky"}


# ---- a death at every point ----------------------------------------------------------------

def _trace(world: tuple[HomeFixture, SandboxPlatforms], clock: Clock,
           monkeypatch: pytest.MonkeyPatch) -> list[str]:
    home, _ = world
    rt = runtime(home, monkeypatch, clock)
    assert replace_posts.request(rt, 1, "x")
    seen = trace_points(monkeypatch, *_PATCHED)
    edits = sync_posts(rt, 1)
    assert [e.outcome for e in edits if e.platform == "x"] == ["replaced"]
    intent = seen.index("post_replace.x.before@1")
    start = max(i for i in range(intent) if seen[i].startswith("db.before_commit"))
    return seen[start:]


def test_the_trace_passes_delete_post_and_record(
        world: tuple[HomeFixture, SandboxPlatforms], clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    points = _trace(world, clock, monkeypatch)
    order = ["post_replace.x.before@1", "post_replace.x.delete_sent@1",
             "post_replace.x.deleted@1", "crosspost.x.before@1", "crosspost.x.sent@1",
             "post_replace.x.posted@1"]
    assert [p for p in points if p in order] == order
    assert points[-1].startswith("db.after_commit")  # the record (and the lease) last


@pytest.mark.parametrize("share", POINT_SHARES)
def test_dying_at_each_point_then_resuming_replaces_once(
        share: str, tmp_path_factory: pytest.TempPathFactory,
        monkeypatch: pytest.MonkeyPatch, home_template: HomeTemplate) -> None:
    @contextmanager
    def fresh() -> Iterator[tuple[HomeFixture, SandboxPlatforms, Clock]]:
        path = tmp_path_factory.mktemp("replace") / "home"
        home = HomeFixture(path, home_template.sqlite_home(path))
        clock = Clock(START)
        with published_world(home, Media(path.parent / "media"), clock, monkeypatch,
                             PLATFORMS, NEW_TITLE) as (home_, platforms):
            yield home_, platforms, clock

    with fresh() as (home, platforms, clock):
        points = _trace((home, platforms), clock, monkeypatch)
    monkeypatch.undo()

    failures = []
    for point in share_of(points, share, every=6):
        with fresh() as (home, platforms, clock):
            rt = runtime(home, monkeypatch, clock)
            assert replace_posts.request(rt, 1, "x")
            die_at(monkeypatch, point, *_PATCHED)
            try:
                sync_posts(rt, 1)
                died = False
            except Died:
                died = True
            live_again(monkeypatch, *_PATCHED)
            # A killed process's lease expires; the daemon's next tick finishes it.
            clock.now += dt.timedelta(minutes=10)
            from publisher.pipeline.correct_posts import post_corrections_due

            post_corrections_due(runtime(home, monkeypatch, clock), clock.now)
            out = _posts(platforms, "x")
            state, new_id, _ = _record(home, "x")
            verdict = {"died": died, "posts": len(out),
                       "corrected": bool(out) and NEW_TITLE in post_text(out[0]),
                       "deleted": len(platforms.x.deleted), "record": state,
                       "record_is_the_post": bool(out) and out[0].get("id") == new_id,
                       "replaced": len(_replaced(home)),
                       "corrections": [c.state for c in corrections(home)
                                       if c.platform == "x"],
                       "lease": _lease(home)}
            if verdict != {"died": True, "posts": 1, "corrected": True, "deleted": 1,
                           "record": "done", "record_is_the_post": True, "replaced": 1,
                           "corrections": ["done"], "lease": None}:
                failures.append(f"{point}: {verdict}")
        monkeypatch.undo()
    assert failures == []
