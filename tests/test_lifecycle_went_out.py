"""`publications.went_out_at` is the list of what went out (the Published page reads nothing
else): a video record gets it once the video is public, and only then, whichever write
makes it public; a post record with the entry saying it went out. Written as the pipeline
writes them (`lifecycle`'s functions), then end to end: publish, withdraw, republish."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from publisher.lifecycle import EventKind, Step, journal, set_publication, transition
from publisher.pipeline.records import record
from publisher.store.models import Interview, Publication, PublicationState, State
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session, session_of
from tests.helpers.withdraw import (
    Platforms,
    started_platforms,
    wire,
)

DONE = PublicationState.DONE
T = dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)




def _times(home: HomeFixture) -> dict[tuple[str, str], dt.datetime | None]:
    with session_of(home.db_url) as s:
        return {(p.platform, p.step): p.went_out_at for p in s.scalars(select(Publication))}


def _uploaded(s: Session) -> Publication:
    """Interview 1 staged: its video uploaded (done, with an id), its release to come."""
    transition(s, 1, State.STAGING, kind=None, actor="t")
    video = record(s, 1, "youtube", Step.VIDEO)
    set_publication(video, DONE, remote_id="vid1")
    transition(s, 1, State.STAGED, kind=EventKind.STAGED, actor="t", at=T - 2 * HOUR)
    return video


def test_a_video_is_stamped_once_public_and_only_then(one: HomeFixture) -> None:
    with session_of(one.db_url) as s, s.begin():
        video = _uploaded(s)
        updated = video.updated_at
        # A resolve naming YouTube before the release: the video is not public yet.
        journal(s, 1, EventKind.RESOLVED, "t", T + HOUR, platform="youtube")
        assert video.went_out_at is None
    assert _times(one)[("youtube", "video")] is None

    with session_of(one.db_url) as s, s.begin():  # the release, as run_due writes it
        transition(s, 1, State.RELEASED, kind=EventKind.RELEASED, actor="t", at=T)
        set_publication(record(s, 1, "youtube", Step.RELEASE), DONE, remote_id="vid1")
    # The latest time the journal gives for it (the resolve's), as the page computed it.
    assert _times(one)[("youtube", "video")] == T + HOUR
    with session_of(one.db_url) as s, s.begin():
        journal(s, 1, EventKind.RESOLVED, "t", T, platform="youtube")  # earlier: kept
        loaded = s.scalars(select(Publication).where(Publication.step == "video")).one()
        journal(s, 1, EventKind.RESOLVED, "t", T + 3 * HOUR, platform="youtube")  # later
        assert loaded.went_out_at == T + 3 * HOUR  # the loaded copy sees it
        assert loaded.updated_at == updated  # a time noted, not a change of the record
    with session_of(one.db_url) as s, s.begin():  # a withdrawal keeps it: the video did go out
        transition(s, 1, State.WITHDRAWN, kind=EventKind.WITHDRAWN, actor="t", reason="r")
    assert _times(one) == {("youtube", "video"): T + 3 * HOUR, ("youtube", "release"): None}


@pytest.mark.parametrize("how", ["release record", "interview released"])
def test_a_video_made_public_without_an_entry_gets_the_fallback_once(
        one: HomeFixture, how: str) -> None:
    """No entry names it: the slot, else the release record's last change, else the video
    record's — the page's former fallbacks, now computed when it becomes public."""
    slot = T - 5 * HOUR
    with session_of(one.db_url) as s, s.begin():
        _uploaded(s)
        if how == "release record":  # its release record done (no transition with it)
            s.get(Interview, 1).slot_at = slot  # type: ignore[union-attr]
            set_publication(record(s, 1, "youtube", Step.RELEASE), DONE)
        else:  # the interview released with no entry and no release record
            transition(s, 1, State.RELEASED, kind=None, actor="t")
    with session_of(one.db_url) as s:
        video = s.scalars(select(Publication).where(Publication.step == "video")).one()
        release = s.scalars(select(Publication).where(Publication.step == "release")).first()
        expected = slot if how == "release record" else video.updated_at
        assert video.went_out_at == expected
        assert release is None or release.went_out_at is None
    with session_of(one.db_url) as s, s.begin():  # later changes of the fallbacks do not move it
        s.get(Interview, 1).slot_at = T + 9 * HOUR  # type: ignore[union-attr]
        if how == "release record":
            transition(s, 1, State.RELEASED, kind=None, actor="t")
        transition(s, 1, State.PUBLISHED, kind=EventKind.PUBLISHED, actor="t")
    assert _times(one)[("youtube", "video")] == expected


def test_a_video_not_done_or_without_an_id_is_never_stamped(one: HomeFixture) -> None:
    with session_of(one.db_url) as s, s.begin():
        transition(s, 1, State.STAGING, kind=None, actor="t")
        record(s, 1, "youtube", Step.VIDEO)  # an upload started, not finished
        transition(s, 1, State.STAGED, kind=None, actor="t")
        transition(s, 1, State.RELEASED, kind=EventKind.RELEASED, actor="t", at=T)
    assert _times(one)[("youtube", "video")] is None


def test_a_post_is_stamped_with_its_entry_and_a_deleted_one_leaves_the_list(
        one: HomeFixture) -> None:
    from publisher.app import App
    from publisher.home import Home
    from publisher.services.published import published

    with session_of(one.db_url) as s, s.begin():
        post = record(s, 1, "mastodon", Step.POST)
        set_publication(post, DONE, remote_id="1", url="https://m.example/1")
        journal(s, 1, EventKind.POSTED, "t", T, platform="mastodon")
        thumbnail = record(s, 1, "youtube", Step.THUMBNAIL)
        set_publication(thumbnail, DONE)
    assert _times(one) == {("mastodon", "post"): T, ("youtube", "thumbnail"): None}
    app = App(Home.resolve(one.path, one.db_url), actor="test")
    try:
        assert [(r.platform, r.at, r.url) for r in published(app)] == [
            ("mastodon", T, "https://m.example/1")]
        with session_of(one.db_url) as s, s.begin():  # a withdrawal's delete
            post = s.scalars(select(Publication).where(Publication.step == "post")).one()
            set_publication(post, PublicationState.DELETING)
            set_publication(post, PublicationState.DELETED)
        assert published(app) == []
        with session_of(one.db_url) as s, s.begin():  # posted anew: the new entry's time
            post = s.scalars(select(Publication).where(Publication.step == "post")).one()
            set_publication(post, PublicationState.PENDING, remote_id=None, url=None)
            set_publication(post, DONE, remote_id="2", url="https://m.example/2")
            journal(s, 1, EventKind.POSTED, "t", T + HOUR, platform="mastodon")
        assert [(r.platform, r.at, r.url) for r in published(app)] == [
            ("mastodon", T + HOUR, "https://m.example/2")]
    finally:
        app.close()


@pytest.fixture
def platforms() -> Iterator[Platforms]:
    with started_platforms() as started:
        yield started


def test_published_through_withdrawal_and_republishing(
        home: HomeFixture, media: Media, platforms: Platforms) -> None:
    """End to end: the video and every post listed once out; a withdrawal keeps the video
    (it went out) and takes the deleted posts off; republishing lists the new posts."""
    wire(home, platforms)
    home.ok(*add_args(media.video(), "Maria Rossi, ceramista"))
    home.ok("publish", 1, "--now")
    video = next(iter(platforms.yt.videos.values()))

    def listed() -> dict[str, str]:
        rows = json.loads(home.ok("published", "--json").stdout)
        assert len({r["platform"] for r in rows}) == len(rows)
        return {r["platform"]: r["url"] for r in rows}

    first = listed()
    assert set(first) == {"youtube", "mastodon", "bluesky", "telegram"}
    assert first["youtube"] == f"https://www.youtube.com/watch?v={video.id}"
    assert json.loads(home.ok("queue", "show", 1, "--json").stdout)["published"]["youtube"][
        "public_at"] is not None
    home.ok("withdraw", 1, "--reason", "the artist withdrew consent")
    assert listed() == {"youtube": first["youtube"]}
    home.ok("republish", 1)
    again = listed()
    assert set(again) == set(first) and again["youtube"] == first["youtube"]
    assert all(again[p] != first[p] for p in ("mastodon", "bluesky", "telegram"))
