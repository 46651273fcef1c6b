"""What went out, with its addresses: `publisher published`, and the links of `queue show`.

Read from the publication records: the address each platform gave, and when it went out
(`went_out_at`: the moment the run journaled it, on the run's clock, so a rehearsal shows
its simulated time). A video counts as out once it is public (its release recorded); a post
once it is done (posted, found after a lost answer, or recorded by hand with `publisher
resolve`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from publisher.lifecycle import Step
from publisher.services.times import Zone, iso
from publisher.store.models import PublicationState, State

if TYPE_CHECKING:
    from sqlalchemy import Subquery
    from sqlalchemy.orm import Session

    from publisher.app import App
    from publisher.store.models import Interview

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
    return published_page(app, month=month, platform=platform)[0]


def published_page(app: App, *, month: str | None = None, platform: str | None = None,
                   offset: int = 0, limit: int | None = None) -> tuple[list[Published], int]:
    """`published(…)`'s rows from `offset`, at most `limit` of them (None: all), and how
    many rows the whole list has. Ordered, filtered and cut in SQL: a page of the console
    reads its 100 rows, not every one that went out."""
    from sqlalchemy import func, select

    from publisher.platforms.youtube.api import watch_url
    from publisher.store.models import Interview

    went_out = _went_out(app.zone, month, platform)

    def newest_first(rows: Any) -> tuple[Any, ...]:
        return rows.c.at.desc(), rows.c.interview_id.desc(), rows.c.platform.desc()

    cut = select(went_out).order_by(*newest_first(went_out)).offset(offset)
    if limit is not None:
        cut = cut.limit(limit)
    # The titles of the page's rows only: joined after the cut, not for every row.
    page = cut.subquery("page")
    query = (select(page, Interview.title).join(Interview, Interview.id == page.c.interview_id)
             .order_by(*newest_first(page)))
    with app.transaction(needs_config=False) as session:
        rows = [Published(r.at, r.interview_id, r.title, r.platform,
                          watch_url(r.address) if r.platform == "youtube" else r.address)
                for r in session.execute(query)]
        if limit is None and offset == 0:
            total = len(rows)
        else:  # without a month, counting needs no times
            counted = went_out if month else _went_out(app.zone, None, platform, timed=False)
            total = session.execute(select(func.count()).select_from(counted)).scalar_one()
    return rows, total


def _went_out(zone: Zone, month: str | None, platform: str | None, *, timed: bool = True
              ) -> Subquery:
    """Everything that went out as rows of (at, interview_id, platform, address):
    each video made public (address: its video id) and each post done (its URL, else its
    remote id). `at` is the record's `went_out_at` (the journal's time for it: the last
    release, post, post found or resolve recorded for that platform, stamped by
    `lifecycle.journal`), else the slot (videos) or the record's last change.
    `timed=False`: the same rows with no `at` (for counting them).
    """
    from sqlalchemy import String, and_, func, literal, or_, select, type_coerce, union_all
    from sqlalchemy.orm import aliased

    from publisher.store.models import Interview, Publication
    from publisher.store.types import UTCDateTime

    video, release = aliased(Publication), aliased(Publication)
    post = aliased(Publication)

    def at(*times: Any) -> Any:
        return type_coerce(func.coalesce(*times), UTCDateTime()) if timed else literal(None)

    def of_interview(column: Any) -> Any:  # read only when needed (no join for every row)
        return select(column).where(Interview.id == video.interview_id).scalar_subquery()

    release_done = and_(release.interview_id == video.interview_id,
                        release.platform == "youtube", release.step == Step.RELEASE.value,
                        release.state == _DONE)
    public = or_(select(release.id).where(release_done).exists(),
                 of_interview(Interview.state).in_(_OUT_STATES))
    released_at = select(func.max(release.updated_at)).where(release_done).scalar_subquery()
    videos = (
        select(at(video.went_out_at, of_interview(Interview.slot_at), released_at,
                  video.updated_at).label("at"),
               video.interview_id.label("interview_id"),
               literal("youtube", String).label("platform"),
               video.remote_id.label("address"))
        .where(video.platform == "youtube", video.step == Step.VIDEO.value,
               video.state == _DONE, video.remote_id.is_not(None), video.remote_id != "",
               public))
    posts = (
        select(at(post.went_out_at, post.updated_at).label("at"),
               post.interview_id.label("interview_id"), post.platform.label("platform"),
               func.coalesce(func.nullif(post.url, ""), func.nullif(post.remote_id, ""),
                             "").label("address"))
        .where(post.step == Step.POST.value, post.state == _DONE))
    if platform == "youtube":
        parts = [videos]
    elif platform:
        parts = [posts.where(post.platform == platform)]
    else:
        parts = [videos, posts]
    every = union_all(*parts).subquery("every") if len(parts) > 1 else parts[0].subquery("every")
    if month is None:
        return every
    # Materialized: else the month's test and the answer would each work out the times.
    timed_rows = (union_all(*parts) if len(parts) > 1 else parts[0]).cte("timed_rows")
    if timed:
        timed_rows = timed_rows.prefix_with("MATERIALIZED")
    start, end = _month_bounds(month, zone)
    return select(timed_rows).where(timed_rows.c.at >= start, timed_rows.c.at < end
                                    ).subquery("in_month")


def _month_bounds(month: str, zone: Zone) -> tuple[dt.datetime, dt.datetime]:
    """The month YYYY-MM in the campaign's time zone, as [start, end) in UTC."""
    year, number = (int(part) for part in month.split("-"))
    after = (year + 1, 1) if number == 12 else (year, number + 1)
    return (dt.datetime(year, number, 1, tzinfo=zone).astimezone(dt.UTC),
            dt.datetime(*after, 1, tzinfo=zone).astimezone(dt.UTC))


def links_of(session: Session, item: Interview, zone: Zone) -> dict[str, Any]:
    """`queue show`'s "published": the video (its address once uploaded; `public_at` once
    out) and each post that went out, with its address and time — the rows of
    `publisher published` for this interview."""
    from sqlalchemy import select

    from publisher.platforms.youtube.api import watch_url
    from publisher.store.models import Publication

    went_out = _went_out(zone, None, None)
    rows = session.execute(select(went_out).where(went_out.c.interview_id == item.id)
                           .order_by(went_out.c.platform)).all()
    video = session.scalars(select(Publication).where(
        Publication.interview_id == item.id, Publication.platform == "youtube",
        Publication.step == Step.VIDEO.value)).first()
    youtube = None
    if video is not None and video.remote_id and video.state == _DONE:
        public_at = next((r.at for r in rows if r.platform == "youtube"), None)
        youtube = {"video_id": video.remote_id, "url": watch_url(video.remote_id),
                   "public_at": iso(public_at, zone) if public_at else None}
    posts = [{"platform": r.platform, "url": r.address, "at": iso(r.at, zone)}
             for r in rows if r.platform != "youtube"]
    return {"youtube": youtube, "posts": posts}


_DONE = PublicationState.DONE.value
_OUT_STATES = (State.RELEASED.value, State.PUBLISHED.value)
