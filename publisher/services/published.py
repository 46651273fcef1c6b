"""What went out, with its addresses: `publisher published`, and the links of `queue show`.

Read from the publication records (the address each platform gave) and the journal (when:
the moment the run recorded it, on the run's clock, so a rehearsal shows its simulated
time). A video counts as out once it is public (its release recorded); a post once it is
done (posted, found after a lost answer, or recorded by hand with `publisher resolve`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from publisher.lifecycle import EventKind, Step
from publisher.services.times import Zone, iso
from publisher.store.models import PublicationState, State

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from publisher.app import App
    from publisher.store.models import Interview, Publication

_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


@dataclass(frozen=True)
class Published:
    """One thing that went out: the video on YouTube, or one post."""

    at: dt.datetime
    interview_id: int
    title: str
    platform: str
    url: str

    def as_json(self, zone: Zone) -> dict[str, Any]:
        return {"at": iso(self.at, zone), "interview_id": self.interview_id,
                "title": self.title, "platform": self.platform, "url": self.url}


CSV_COLUMNS = ("at", "interview_id", "title", "platform", "url")


def check_month(raw: str) -> str:
    """--month: YYYY-MM, or InputError."""
    from publisher.errors import InputError

    if not _MONTH.fullmatch(raw.strip()):
        raise InputError(f"--month: expected a month as YYYY-MM (e.g. 2026-12), found {raw!r}")
    return raw.strip()


def as_csv(rows: list[Published], zone: Zone) -> str:
    """`publisher published --csv`'s text: a header row of CSV_COLUMNS, then one row each; a
    cell a spreadsheet could run as a formula (= + - @ first) gets a leading apostrophe."""
    import csv
    import io

    from publisher.season_import import quote_formula

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        data = row.as_json(zone)
        writer.writerow([quote_formula("" if data[c] is None else str(data[c]))
                         for c in CSV_COLUMNS])
    return buffer.getvalue()


def platform_names() -> tuple[str, ...]:
    """Every platform something can go out on (the filter's choices)."""
    from publisher.platforms.spec import names

    return names()


def published(app: App, *, month: str | None = None, platform: str | None = None
              ) -> list[Published]:
    """Everything that went out, newest first; `month` (YYYY-MM, in the campaign's time
    zone) and `platform` narrow it."""
    from sqlalchemy import select

    from publisher.store.models import Interview, Publication

    zone = app.zone
    with app.transaction(needs_config=False) as session:
        pubs = session.execute(select(Publication, Interview.title, Interview.state,
                                      Interview.slot_at)
                               .join(Interview, Interview.id == Publication.interview_id)
                               .where(Publication.state == _DONE)).all()
        times = _recorded_times(session, None)
        out = []
        by_interview: dict[int, dict[tuple[str, str], Publication]] = {}
        for pub, _title, _state, _slot in pubs:
            by_interview.setdefault(pub.interview_id, {})[(pub.platform, pub.step)] = pub
        for pub, title, state, slot_at in pubs:
            row = _row(pub, title, state, slot_at, by_interview[pub.interview_id], times)
            if row is not None:
                out.append(row)
    if platform:
        out = [r for r in out if r.platform == platform]
    if month:
        out = [r for r in out if f"{r.at.astimezone(zone):%Y-%m}" == month]
    return sorted(out, key=lambda r: (r.at, r.interview_id, r.platform), reverse=True)


def links_of(session: Session, item: Interview, zone: Zone) -> dict[str, Any]:
    """`queue show`'s "published": the video (its address once uploaded; `public_at` once
    out) and each post that went out, with its address and time."""
    from sqlalchemy import select

    from publisher.platforms.youtube.api import watch_url
    from publisher.store.models import Publication

    pubs = {(p.platform, p.step): p for p in session.scalars(
        select(Publication).where(Publication.interview_id == item.id))}
    times = _recorded_times(session, item.id)
    video = pubs.get(("youtube", Step.VIDEO.value))
    youtube = None
    if video is not None and video.remote_id and video.state == _DONE:
        out = _row(video, item.title, item.state, item.slot_at, pubs, times)
        youtube = {"video_id": video.remote_id, "url": watch_url(video.remote_id),
                   "public_at": iso(out.at, zone) if out else None}
    posts = []
    for (platform, step), pub in sorted(pubs.items()):
        if step != Step.POST.value or pub.state != _DONE:
            continue
        row = _row(pub, item.title, item.state, item.slot_at, pubs, times)
        if row is not None:
            posts.append({"platform": platform, "url": row.url, "at": iso(row.at, zone)})
    return {"youtube": youtube, "posts": posts}


_DONE = PublicationState.DONE.value
_WENT_OUT = (EventKind.RELEASED.value, EventKind.POSTED.value, EventKind.POST_FOUND.value,
             EventKind.RESOLVED.value)


def _recorded_times(session: Session, interview_id: int | None
                    ) -> dict[tuple[int, str], dt.datetime]:
    """When each (interview, platform) went out, from the journal: the last release, post,
    post found or resolve recorded for it."""
    from sqlalchemy import select

    from publisher.store.models import Event

    query = select(Event.interview_id, Event.kind, Event.at, Event.detail).where(
        Event.kind.in_(_WENT_OUT)).order_by(Event.at, Event.id)
    if interview_id is not None:
        query = query.where(Event.interview_id == interview_id)
    out: dict[tuple[int, str], dt.datetime] = {}
    for iid, kind, at, detail in session.execute(query):
        platform = "youtube" if kind == EventKind.RELEASED.value else \
            (detail or {}).get("platform")
        if platform:
            out[(iid, platform)] = at
    return out


def _row(pub: Publication, title: str, state: str, slot_at: dt.datetime | None,
         siblings: dict[tuple[str, str], Publication],
         times: dict[tuple[int, str], dt.datetime]) -> Published | None:
    """The publication as a thing that went out, or None (an upload not yet public, a
    thumbnail, a caption track…)."""
    from publisher.platforms.youtube.api import watch_url

    when = times.get((pub.interview_id, pub.platform))
    if pub.platform == "youtube":
        if pub.step != Step.VIDEO.value or not pub.remote_id:
            return None
        release = siblings.get(("youtube", Step.RELEASE.value))
        public = (release is not None and release.state == _DONE) or \
            state in (State.RELEASED.value, State.PUBLISHED.value)
        if not public:
            return None
        at = when or slot_at or (release.updated_at if release else pub.updated_at)
        return Published(at, pub.interview_id, title, "youtube", watch_url(pub.remote_id))
    if pub.step != Step.POST.value:
        return None
    return Published(when or pub.updated_at, pub.interview_id, title, pub.platform,
                     pub.url or pub.remote_id or "")
