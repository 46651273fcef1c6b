"""What an organizer may still change is decided by what is on YouTube, and every message says
where the interview really stands: before authorisation, while waiting for quota, once
uploaded, once cancelled (`queue restore`); and ids are never reused. SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import Event, Publication
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.rows import interviews
from tests.helpers.scoped import Session
from tests.helpers.youtube import connect

IN_LEAD_TIME = "2027-02-01T18:00:00Z"  # Tuesday 2027-02-02 18:00 Rome is due for upload


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def _sql(home: HomeFixture, statement: str, **params: Any) -> None:
    engine = make_engine(home.db_url)
    with engine.begin() as conn:
        conn.execute(text(statement), params)
    engine.dispose()


def _video_record(home: HomeFixture, item_id: int, **values: Any) -> None:
    engine = make_engine(home.db_url)
    with Session(engine) as s, s.begin():
        s.add(Publication(interview_id=item_id, platform="youtube", step="video", account="",
                          progress=0, attempts=1, **values))
    engine.dispose()


def _kinds(home: HomeFixture, item_id: int) -> list[str]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        kinds = list(s.scalars(select(Event.kind).where(Event.interview_id == item_id)
                               .order_by(Event.id)))
    engine.dispose()
    return kinds


def _state(home: HomeFixture, item_id: int) -> str:
    return next(i.state for i in interviews(home) if i.id == item_id)


# ---- before `publisher auth youtube` ------------------------------------------------------------

def test_run_due_before_authorisation_leaves_the_interview_queued_and_changeable(
        home: HomeFixture, media: Media) -> None:
    for title in ("Primo", "Secondo", "Terzo"):
        home.ok(*add_args(media.video(), title))
    result = home.run("run-due", "--at", IN_LEAD_TIME)
    assert result.exit_code == 0, result.output
    assert "waiting for YouTube authorisation" in result.stdout
    assert "publisher auth youtube" in result.stdout
    assert [i.state for i in interviews(home)] == ["queued"] * 3
    assert all(i.slot_at is None for i in interviews(home))
    again = home.run("run-due", "--at", "2027-02-01T18:05:00Z")
    assert "waiting for `publisher auth youtube`" in again.stdout  # the next line says so
    assert _kinds(home, 1).count("youtube_waiting") == 1, "journaled once"
    upload = home.run("upload", 1)
    assert upload.exit_code == 4 and "waiting for YouTube authorisation" in upload.stderr
    assert _state(home, 1) == "queued"
    # Nothing is on YouTube: every change an organizer makes is still theirs to make.
    home.ok("queue", "edit", 1, "--title", "Primo, rivisto")
    home.ok("queue", "move", 3, "--to", 1)
    home.ok("queue", "hold", 2)
    home.ok("queue", "release", 2)
    removed = home.ok("queue", "remove", 1, "--yes")
    assert "Removed interview 1" in removed.stdout
    assert [(i.id, i.state) for i in interviews(home)] == [(2, "queued"), (3, "queued")]


# ---- staging with nothing sent (waiting for the quota) ------------------------------------------

def test_staging_while_waiting_for_quota_can_still_be_changed(home: HomeFixture, media: Media,
                                                              yt: FakeYouTube) -> None:
    connect(home, yt)
    home.ok(*add_args(media.video(), "Uno"))
    home.ok(*add_args(media.video(), "Due"))
    yt.exhaust_quota("videos.insert")
    waiting = home.run("upload", 1)
    assert waiting.exit_code == 4 and "quota" in waiting.stderr
    assert _state(home, 1) == "staging" and not yt.sessions  # nothing sent
    edited = home.run("queue", "edit", 1, "--title", "Uno, rivisto")
    assert edited.exit_code == 0, edited.output
    item = next(i for i in interviews(home) if i.id == 1)
    assert (item.state, item.slot_at) == ("queued", None), "back in the queue, to be planned"
    edit_event = next(e for e in json.loads(home.ok("history", 1, "--json").stdout)
                      if e["what"] == "edited")
    assert edit_event["detail"]["previous_state"] == "staging"
    assert home.run("upload", 1).exit_code == 4
    home.ok("queue", "hold", 1)
    assert _state(home, 1) == "held"
    home.ok("queue", "release", 1)
    assert home.run("upload", 1).exit_code == 4
    home.ok("queue", "move", 1, "--to", 2)
    assert [(i.id, i.state, i.position) for i in interviews(home)] == [
        (1, "queued", 2), (2, "queued", 1)]
    assert home.run("upload", 1).exit_code == 4
    home.ok("queue", "remove", 1, "--yes")
    assert [i.id for i in interviews(home)] == [2]


def test_staging_with_an_upload_started_is_refused_with_where_it_stands(
        home: HomeFixture, media: Media) -> None:
    home.ok(*add_args(media.video()))
    _sql(home, "UPDATE interviews SET state = 'staging'")
    _video_record(home, 1, state="in_flight", handle="https://upload.example/session/1")
    before = home.snapshot()
    for args, words in ((("hold", 1), "can no longer be held"),
                        (("move", 1, "--to", 1), "can no longer be moved"),
                        (("remove", 1, "--yes"), "cannot be removed, only cancelled")):
        result = home.run("queue", *args)
        assert result.exit_code == 2, result.output
        assert "its upload to YouTube has started" in result.stderr
        assert words in result.stderr
    assert home.snapshot() == before
    # An edit is a correction now (issue 15), applied once the video exists.
    edited = home.run("queue", "edit", 1, "--title", "Nuovo")
    assert edited.exit_code == 0 and "correction" in edited.stderr


def test_a_staged_interview_names_its_private_video(home: HomeFixture, media: Media) -> None:
    home.ok(*add_args(media.video()))
    _sql(home, "UPDATE interviews SET state = 'staged'")
    _video_record(home, 1, state="done", remote_id="abcdefghijk",
                  url="https://www.youtube.com/watch?v=abcdefghijk")
    result = home.run("queue", "remove", 1, "--yes")
    assert result.exit_code == 2
    assert ("it is on YouTube as a private video until its slot "
            "(https://www.youtube.com/watch?v=abcdefghijk)") in result.stderr
    assert "cannot be removed, only cancelled (publisher queue cancel 1)" in result.stderr


def test_an_interview_a_worker_is_starting_is_refused_for_now(home: HomeFixture,
                                                               media: Media) -> None:
    home.ok(*add_args(media.video()))
    until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    _sql(home, "UPDATE interviews SET lease_owner = 'daemon:elsewhere:4242:ab12cd34', "
               "lease_expires_at = :u", u=until.replace(tzinfo=None))
    result = home.run("queue", "remove", 1, "--yes")
    assert result.exit_code == 2
    assert "being worked on right now by the daemon (pid 4242 on elsewhere)" in result.stderr
    _sql(home, "UPDATE interviews SET lease_expires_at = :u",
         u=(until - dt.timedelta(minutes=10)).replace(tzinfo=None))
    home.ok("queue", "remove", 1, "--yes")  # an expired lease holds nothing


def test_needs_attention_with_nothing_uploaded_can_be_edited_then_retried(
        home: HomeFixture, media: Media) -> None:
    home.ok(*add_args(media.video()))
    _sql(home, "UPDATE interviews SET state = 'needs_attention', attention_reason = 'the "
               "video file is missing'")
    home.ok("queue", "edit", 1, "--title", "Corretto")
    assert _state(home, 1) == "queued"


# ---- cancelled: a door that opens again if nothing reached YouTube ------------------------------

def test_a_cancelled_interview_never_uploaded_is_restored(home: HomeFixture,
                                                          media: Media) -> None:
    for title in ("Uno", "Due"):
        home.ok(*add_args(media.video(), title))
    home.ok("queue", "cancel", 1, "--reason", "the artist asked to wait")
    edit = home.run("queue", "edit", 1, "--title", "Nuovo")
    assert edit.exit_code == 2
    assert "interview 1 is cancelled: `publisher queue restore 1`" in edit.stderr
    assert "on its way" not in edit.stderr and "uploaded" not in edit.stderr
    move = home.run("queue", "move", 1, "--to", 1)
    assert move.exit_code == 2 and "queue restore 1" in move.stderr
    again = home.run("queue", "cancel", 1)
    assert again.exit_code == 2 and "already cancelled" in again.stderr
    assert "queue restore 1" in again.stderr
    restored = home.ok("queue", "restore", 1)
    assert "queued again, at position 3" in restored.stdout
    assert [(i.id, i.state, i.position) for i in interviews(home)] == [
        (1, "queued", 3), (2, "queued", 2)]
    assert _kinds(home, 1) == ["queued", "cancelled", "restored"]
    home.ok("queue", "edit", 1, "--title", "Nuovo")
    not_cancelled = home.run("queue", "restore", 1)
    assert not_cancelled.exit_code == 2 and "not cancelled" in not_cancelled.stderr


def test_a_cancelled_interview_that_reached_youtube_stays_cancelled(home: HomeFixture,
                                                                    media: Media) -> None:
    home.ok(*add_args(media.video()))
    _sql(home, "UPDATE interviews SET state = 'staged'")
    _video_record(home, 1, state="done", remote_id="abcdefghijk",
                  url="https://www.youtube.com/watch?v=abcdefghijk")
    home.ok("queue", "cancel", 1)
    before = home.snapshot()
    restore = home.run("queue", "restore", 1)
    assert restore.exit_code == 2
    assert "cannot be restored: its video is on YouTube" in restore.stderr
    remove = home.run("queue", "remove", 1, "--yes")
    assert remove.exit_code == 2 and "is cancelled and its video is on YouTube" in remove.stderr
    assert home.snapshot() == before


def test_a_cancelled_interview_never_uploaded_can_be_removed(home: HomeFixture,
                                                             media: Media) -> None:
    home.ok(*add_args(media.video()))
    home.ok("queue", "cancel", 1)
    result = home.ok("queue", "remove", 1, "--yes")
    assert "Removed interview 1" in result.stdout and "uploaded" not in result.output


def test_restoring_a_video_queued_again_meanwhile_needs_allow_duplicate(
        home: HomeFixture, media: Media) -> None:
    video = media.video()
    home.ok(*add_args(video))
    home.ok("queue", "cancel", 1)
    home.ok(*add_args(video, "Di nuovo"))
    refused = home.run("queue", "restore", 1)
    assert refused.exit_code == 2 and "already interview 2" in refused.stderr
    home.ok("queue", "restore", 1, "--allow-duplicate")
    assert _state(home, 1) == "queued"


# ---- ids --------------------------------------------------------------------------------------

def test_a_removed_interviews_id_is_never_given_again(home: HomeFixture, media: Media) -> None:
    home.ok(*add_args(media.video(), "Uno"))
    home.ok(*add_args(media.video(), "Due"))
    home.ok("queue", "remove", 2, "--yes")
    added = json.loads(home.ok(*add_args(media.video(), "Tre"), "--json").stdout)
    assert added["id"] == 3
    assert _kinds(home, 3) == ["queued"], "the new interview inherits no journal"
    assert _kinds(home, 2) == ["queued", "removed"]
