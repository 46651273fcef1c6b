"""What went out, with its addresses: `publisher published`, and the links of `queue show`.

Read from the publication records: the address each platform gave, and when it went out
(`went_out_at`: the moment the run journaled it, on the run's clock, so a rehearsal shows
its simulated time). A video counts as out once it is public (its record stamped then,
`lifecycle.stamp_public_video`); a post once it is done (posted, found after a lost answer,
or recorded by hand with `publisher resolve`). A done record with a `went_out_at` is what
went out: nothing else is read.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from publisher.lifecycle import Step
from publisher.services.times import Zone, iso
from publisher.store.models import PublicationState

if TYPE_CHECKING:
    from sqlalchemy import Select
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
    many rows the whole list has. Ordered, filtered and cut in SQL, as a walk of one index
    (`ix_publications_programme_state_went_out_at`): a page of the console reads its 100
    rows, and its count only that index."""
    from sqlalchemy import func, select

    from publisher.store.models import Interview, Publication

    where = _went_out(app.zone, month, platform)
    page = _rows(where).order_by(*_newest_first()).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    # The titles of the page's rows only: joined after the cut, not for every row.
    cut = page.subquery("page")
    query = (select(cut, Interview.title).join(Interview, Interview.id == cut.c.interview_id)
             .order_by(cut.c.at.desc(), cut.c.interview_id.desc(), cut.c.platform.desc()))
    with app.transaction(needs_config=False) as session:
        rows = [_published(r, r.title) for r in session.execute(query)]
        if limit is None and offset == 0:
            total = len(rows)
        else:
            total = session.execute(select(func.count()).select_from(Publication)
                                    .where(*where)).scalar_one()
    return rows, total


def _published(row: Any, title: str) -> Published:
    from publisher.platforms.youtube.api import watch_url

    return Published(row.at, row.interview_id, title, row.platform,
                     watch_url(row.address) if row.platform == "youtube" else row.address)


def _went_out(zone: Zone, month: str | None, platform: str | None) -> list[Any]:
    """The conditions that select everything that went out: each record with a
    `went_out_at` that is done. Only two kinds of record get one (`lifecycle`): a video
    record once the video is public (`stamp_public_video`: a withdrawal keeps it, as the
    video did go out), and a post record with the entry saying it went out (a post, a post
    found, a resolve); a post deleted since (a withdrawal, a replacement) is no longer done.
    `month` is a range of `went_out_at`, `platform` an equality: both within the index
    `ix_publications_programme_state_went_out_at` (programme, state, went_out_at,
    interview, platform, step), which also gives the order."""
    from publisher.store.models import Publication

    where = [Publication.state == _DONE, Publication.went_out_at.is_not(None),
             Publication.step.in_(_STEPS)]
    if platform:
        where.append(Publication.platform == platform)
    if month:
        start, end = _month_bounds(month, zone)
        where += [Publication.went_out_at >= start, Publication.went_out_at < end]
    return where


def _rows(where: list[Any]) -> Select[Any]:
    """(at, interview_id, platform, address) of the records `where` selects: a video's
    address is its video id, a post's its URL, else its remote id."""
    from sqlalchemy import case, func, select

    from publisher.store.models import Publication

    post_address = func.coalesce(func.nullif(Publication.url, ""),
                                 func.nullif(Publication.remote_id, ""), "")
    return select(Publication.went_out_at.label("at"), Publication.interview_id,
                  Publication.platform,
                  case((Publication.step == Step.VIDEO.value, Publication.remote_id),
                       else_=post_address).label("address")).where(*where)


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

    rows = session.execute(_rows([*_went_out(zone, None, None),
                                  Publication.interview_id == item.id])
                           .order_by(Publication.platform)).all()
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


def _newest_first() -> tuple[Any, ...]:
    from publisher.store.models import Publication

    return (Publication.went_out_at.desc(), Publication.interview_id.desc(),
            Publication.platform.desc())


_DONE = PublicationState.DONE.value
_STEPS = (Step.VIDEO.value, Step.POST.value)
