"""Recording, as the pipeline does, that an interview went out: its video public on YouTube
and its posts done, each with its journal entry (`lifecycle.journal`, which stamps the
record's `went_out_at`), for the views of what went out."""

from __future__ import annotations

import datetime as dt

from publisher.lifecycle import EventKind, Step, journal
from publisher.store.db import make_engine
from publisher.store.models import Publication, PublicationState
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
        journal(s, interview_id, EventKind.RELEASED, "daemon", at, video_id=video_id)
        for platform, (url, when) in posts.items():
            s.add(Publication(interview_id=interview_id, platform=platform,
                              step=Step.POST.value, state=done, remote_id=url[-4:], url=url))
            journal(s, interview_id, EventKind.POSTED, "daemon", when, platform=platform,
                    url=url)
    engine.dispose()
