"""Shared by the corrections tests: an interview staged or published through `run_due` on
the loopback YouTube, and what the fake and the database hold afterwards."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from publisher.pipeline.run_due import run_due
from publisher.pipeline.runtime import Runtime
from publisher.sandbox.youtube import FakeYouTube
from publisher.sandbox.youtube.model import FakeVideo
from publisher.store.db import make_engine
from publisher.store.models import Correction, Event
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock
from tests.helpers.run_due import runtime as run_due_runtime
from tests.helpers.scoped import Session
from tests.helpers.youtube import connect

TUESDAY_SLOT = dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC)
TITLE = "Maria Rossi nel suo studio"
DESCRIPTION = "Una ceramista racconta il suo lavoro."


def runtime(home: HomeFixture, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Runtime:
    """tests/helpers/run_due.py's runtime, in the argument order the corrections tests use."""
    return run_due_runtime(home, clock, monkeypatch)


def staged(home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
           monkeypatch: pytest.MonkeyPatch, *extra: Any) -> FakeVideo:
    """One interview uploaded, private until Tuesday's slot."""
    connect(home, yt)
    home.ok(*add_args(media.video(), TITLE, "--description", DESCRIPTION,
                      "--hashtag", "ceramica", "--recording-date", "2026-10-03", *extra))
    clock.now = TUESDAY_SLOT - dt.timedelta(hours=8)
    actions = run_due(runtime(home, monkeypatch, clock), clock.now).actions
    assert [(a.step, a.outcome) for a in actions] == [("stage", "staged")], actions
    video = next(iter(yt.videos.values()))
    yt.finish_processing(video.id)
    return video


def published(home: HomeFixture, media: Media, yt: FakeYouTube, clock: Clock,
              monkeypatch: pytest.MonkeyPatch, *extra: Any) -> FakeVideo:
    """One interview out: uploaded, public at its slot, published (no cross-posts)."""
    video = staged(home, media, yt, clock, monkeypatch, *extra)
    clock.now = TUESDAY_SLOT + dt.timedelta(minutes=1)
    rt = runtime(home, monkeypatch, clock)
    run_due(rt, clock.now)
    clock.now += dt.timedelta(minutes=10)
    run_due(rt, clock.now)
    assert video.privacy_status == "public"
    return video


def updates(yt: FakeYouTube) -> list[Any]:
    """The videos.update requests the fake answered with success."""
    return [r for r in yt.requests if r.tag == "youtube.videos.update" and r.status == 200]


def corrections(home: HomeFixture) -> list[Correction]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        rows = list(s.scalars(select(Correction).order_by(Correction.id)))
        s.expunge_all()
    engine.dispose()
    return rows


def events(home: HomeFixture, kind: str) -> list[dict[str, Any]]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        found = [e.detail for e in s.scalars(select(Event).where(Event.kind == kind)
                                            .order_by(Event.id))]
    engine.dispose()
    return found
