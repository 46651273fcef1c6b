"""Recording, as the pipeline does, that an interview went out: its video public on YouTube
and its posts done, each with its journal entry (for the views of what went out)."""

from __future__ import annotations

import datetime as dt

from publisher.lifecycle import EventKind, Step
from publisher.store.db import make_engine
from publisher.store.models import Event, Publication, PublicationState
from tests.conftest import HomeFixture
from tests.helpers.scoped import Session


def went_out(home: HomeFixture, interview_id: int, video_id: str, at: dt.datetime,
             posts: dict[str, tuple[str, dt.datetime]]) -> None:
    """Record a video made public at `at` and posts done (platform: (url, when))."""
    engine = make_engine(home.db_url)
    done = PublicationState.DONE.value
    with Session(engine) as s, s.begin():
        s.add(Publication(interview_id=interview_id, platform="youtube", step=Step.VIDEO.value,
                          state=done, remote_id=video_id,
                          url=f"https://www.youtube.com/watch?v={video_id}"))
        s.add(Publication(interview_id=interview_id, platform="youtube",
                          step=Step.RELEASE.value, state=done, remote_id=video_id))
        s.add(Event(interview_id=interview_id, kind=EventKind.RELEASED.value, actor="daemon",
                    at=at, detail={"video_id": video_id}))
        for platform, (url, when) in posts.items():
            s.add(Publication(interview_id=interview_id, platform=platform,
                              step=Step.POST.value, state=done, remote_id=url[-4:], url=url))
            s.add(Event(interview_id=interview_id, kind=EventKind.POSTED.value, actor="daemon",
                        at=when, detail={"platform": platform, "url": url}))
    engine.dispose()
