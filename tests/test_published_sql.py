"""`publisher published` (and the console's Published page) order, filter and page in SQL:
on random publication records and journals (written as the pipeline writes them: each
entry by `lifecycle.journal`, which stamps the record's `went_out_at`; a post made done with
its entry; a video stamped when it is public, `lifecycle.stamp_public_video`), every
filter and every page equals what the former whole-list code computed in Python from the
journal and the fallbacks (kept here as the reference). The page itself reads only
`went_out_at`: a post done without an entry (none is written so now; 0017 stamped the old
ones with the fallback, tests/test_migrations.py) would not be listed."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, update

from publisher.app import App
from publisher.home import Home
from publisher.lifecycle import EventKind, Step, journal, stamp_public_video
from publisher.platforms.youtube.api import watch_url
from publisher.services.published import Published, published, published_page
from publisher.store.db import make_engine
from publisher.store.models import Event, Interview, Publication, PublicationState, State
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.marks import POINT_SHARES, share_of
from tests.helpers.scoped import Session

_DONE = PublicationState.DONE.value
_KINDS = (EventKind.RELEASED, EventKind.POSTED, EventKind.POST_FOUND, EventKind.RESOLVED,
          EventKind.QUEUED, EventKind.POST_RETRY)
_PLATFORMS = ("youtube", "mastodon", "bluesky", "telegram")
BASE = dt.datetime(2026, 11, 30, 22, 30, tzinfo=dt.UTC)  # near a month's end in Rome


def reference(session: Session, zone: Any, month: str | None, platform: str | None
              ) -> list[Published]:
    """The former `published`: every record read, each row's time found in Python."""
    pubs = session.execute(select(Publication, Interview.title, Interview.state,
                                  Interview.slot_at)
                           .join(Interview, Interview.id == Publication.interview_id)
                           .where(Publication.state == _DONE)).all()
    times: dict[tuple[int, str], dt.datetime] = {}
    for iid, kind, at, detail in session.execute(
            select(Event.interview_id, Event.kind, Event.at, Event.detail)
            .where(Event.kind.in_([k.value for k in _KINDS[:4]])).order_by(Event.at, Event.id)):
        name = "youtube" if kind == EventKind.RELEASED.value else (detail or {}).get("platform")
        if name:
            times[(iid, name)] = at
    siblings: dict[int, dict[tuple[str, str], Publication]] = {}
    for pub, *_ in pubs:
        siblings.setdefault(pub.interview_id, {})[(pub.platform, pub.step)] = pub
    out = []
    for pub, title, state, slot_at in pubs:
        when = times.get((pub.interview_id, pub.platform))
        if pub.platform == "youtube":
            if pub.step != Step.VIDEO.value or not pub.remote_id:
                continue
            release = siblings[pub.interview_id].get(("youtube", Step.RELEASE.value))
            if not ((release is not None and release.state == _DONE)
                    or state in (State.RELEASED.value, State.PUBLISHED.value)):
                continue
            at = when or slot_at or (release.updated_at if release else pub.updated_at)
            out.append(Published(at, pub.interview_id, title, "youtube",
                                 watch_url(pub.remote_id)))
        elif pub.step == Step.POST.value:
            out.append(Published(when or pub.updated_at, pub.interview_id, title,
                                 pub.platform, pub.url or pub.remote_id or ""))
    if platform:
        out = [r for r in out if r.platform == platform]
    if month:
        out = [r for r in out if f"{r.at.astimezone(zone):%Y-%m}" == month]
    return sorted(out, key=lambda r: (r.at, r.interview_id, r.platform), reverse=True)


def _scramble(session: Session, rng: random.Random, ids: list[int]) -> None:
    session.execute(delete(Event))
    session.execute(delete(Publication))

    def moment() -> dt.datetime:  # few distinct times: ties are common
        return BASE + dt.timedelta(hours=rng.choice((-30, -1, 0, 0, 1, 2, 700)))

    for iid in ids:
        session.execute(update(Interview).where(Interview.id == iid).values(
            state=rng.choice((State.QUEUED, State.STAGED, State.RELEASED, State.PUBLISHED,
                              State.WITHDRAWN)).value,
            slot_at=rng.choice((None, moment()))))
        rows = []
        for name, step in (("youtube", Step.VIDEO), ("youtube", Step.RELEASE),
                           ("youtube", Step.THUMBNAIL), *((p, Step.POST) for p in
                                                         _PLATFORMS[1:])):
            if rng.random() < 0.2:
                continue
            rows.append({"interview_id": iid, "platform": name, "step": step.value,
                         "account": "", "state": rng.choice((_DONE, _DONE, "pending",
                                                             "deleted")),
                         "remote_id": rng.choice((None, "", f"r{iid}{name}")),
                         "url": rng.choice((None, "", f"https://x.example/{iid}/{name}")),
                         "updated_at": moment(), "created_at": moment()})
        if rows:
            session.execute(insert(Publication), rows)
        for row in rows:  # a post is made done with the entry saying so (crosspost, resolve)
            if row["step"] == Step.POST.value and row["state"] == _DONE:
                journal(session, iid, rng.choice(_KINDS[1:4]), "t", moment(),
                        platform=row["platform"])
        for _ in range(rng.randrange(6)):  # as the pipeline writes it: the records stamped
            journal(session, iid, rng.choice(_KINDS), "t", moment(),
                    **rng.choice(({}, {"platform": rng.choice(_PLATFORMS)})))
        # And a video public with no entry naming YouTube: stamped when it became public
        # (by `transition` or `set_publication`), from the fallbacks.
        stamp_public_video(session, iid)


ROUNDS = 8


# Every round scrambles the records (the same random sequence in both shares); the quick loop
# checks half of the rounds, CI's plain `pytest` the other half too.
@pytest.mark.parametrize("share", POINT_SHARES)
def test_every_filter_and_page_equals_the_whole_list_computed_in_python(
        home: HomeFixture, media: Media, share: str) -> None:
    checked = share_of(range(ROUNDS), share, every=3)
    for n in range(6):
        home.ok(*add_args(media.video(), f"Intervista {n}"))
    app = App(Home.resolve(home.path, home.db_url), actor="test")
    engine = make_engine(home.db_url)
    rng = random.Random(14)
    months = (None, "2026-11", "2026-12", "2027-01")
    seen = 0
    try:
        for round_ in range(ROUNDS):
            with Session(engine) as session, session.begin():
                ids = list(session.scalars(select(Interview.id)))
                _scramble(session, rng, ids)
            if round_ not in checked:
                continue
            filters = [(m, p) for m in months for p in (None, *_PLATFORMS)]
            with Session(engine) as session:
                wanted = {f: reference(session, app.zone, *f) for f in filters}
            seen += len(wanted[None, None])
            for (month, platform), want in wanted.items():
                assert published(app, month=month, platform=platform) == want
                for offset in (0, 3):
                    rows, total = published_page(app, month=month, platform=platform,
                                                 offset=offset, limit=3)
                    assert (rows, total) == (want[offset:offset + 3], len(want))
        assert seen > 4 * len(checked)  # the rounds were not empty
    finally:
        app.close()
        engine.dispose()
