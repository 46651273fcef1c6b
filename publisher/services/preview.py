"""What each platform will receive for an interview, counted as each platform counts:
`publisher preview ID` and the console's Interview page.

YouTube's title, description and tags, then the post for every platform of the interview's
schedule, with the video's link (or a stand-in of the same length before the upload).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.app import App


@dataclass(frozen=True)
class Counted:
    """One text with its length against its limit."""

    label: str          # "title", "description", "tags", or a platform's name
    text: str
    length: int
    limit: int
    unit: str           # "characters", "bytes", "graphemes", …

    @property
    def fits(self) -> bool:
        return self.length <= self.limit


@dataclass(frozen=True)
class PostPreview(Counted):
    platform: str = ""
    variant: str = "template"   # "template", "short", "truncated"
    problem: str | None = None
    #: "reported": the limit the platform's server last reported; "default": the
    #: documented one (the platform reports none, or has not yet).
    limit_source: str = "default"
    reports_limit: bool = False    # whether the platform's server reports its own limit
    limit_seen_at: dt.datetime | None = None
    configured: bool = True
    missing: tuple[str, ...] = ()  # credential keys empty or placeholders
    #: For a post already out that a correction changed: what happens to it (edited in
    #: place, or it stays as it was where the platform cannot edit).
    correction: str | None = None


@dataclass(frozen=True)
class Preview:
    interview_id: int
    link: str
    placeholder_link: bool          # the video is not up yet: the link is a stand-in
    youtube: dict[str, Counted]     # title, description, tags
    youtube_problems: tuple[str, ...]
    posts: tuple[PostPreview, ...]

    @property
    def problems(self) -> list[str]:
        return list(self.youtube_problems) + [p.problem for p in self.posts if p.problem]

    def as_json(self) -> dict[str, Any]:
        """`publisher preview --json`."""
        return {
            "id": self.interview_id, "link": self.link,
            "youtube": {**{key: {"text": c.text, "length": c.length, "limit": c.limit,
                                 "unit": c.unit} for key, c in self.youtube.items()},
                        "problems": list(self.youtube_problems)},
            "posts": [{"platform": p.platform, "text": p.text, "length": p.length,
                       "limit": p.limit, "unit": p.unit, "variant": p.variant,
                       "problem": p.problem, "limit_source": p.limit_source,
                       "configured": p.configured, "correction": p.correction}
                      for p in self.posts]}


def preview(app: App, interview_id: int) -> Preview:
    """Every text the interview will send; NotFoundError for an unknown id."""
    from sqlalchemy import select

    from publisher import queue as q
    from publisher.platform_limits import known
    from publisher.platforms.spec import get
    from publisher.platforms.youtube import limits
    from publisher.store.models import Publication
    from publisher.text.posts import PLACEHOLDER_URL, render_post
    from publisher.text.youtube_text import render_youtube

    with app.transaction() as session:
        item = q.get(session, interview_id)
        text = q.text_of(item, app.schedules, app.config.campaign.default_schedule)
        url = session.scalar(select(Publication.url).where(
            Publication.interview_id == interview_id, Publication.platform == "youtube",
            Publication.step == "video")) or PLACEHOLDER_URL
        platforms = q.crosspost_platforms(app.queue_context(), item.schedule)
        reported = known(session)
        notes = _correction_notes(app, session, item)
    yt = render_youtube(app.config, text)
    youtube = {
        "title": Counted("title", yt.title, limits.title_length(yt.title),
                         limits.TITLE_MAX_CHARS, "characters"),
        "description": Counted("description", yt.description,
                               len(yt.description.encode("utf-8")),
                               limits.DESCRIPTION_MAX_BYTES, "bytes"),
        "tags": Counted("tags", ", ".join(yt.tags), limits.tags_length(yt.tags),
                        limits.TAGS_MAX_CHARS, "characters"),
    }
    posts = []
    for platform in platforms:
        post = render_post(app.config, text, platform, url, limits=reported.get(platform))
        seen = reported.get(platform)
        posts.append(PostPreview(
            label=platform, text=post.text, length=post.length, limit=post.limit,
            unit=post.unit, platform=platform, variant=post.variant, problem=post.problem,
            limit_source="reported" if seen is not None else "default",
            reports_limit=get(platform).reports_limit,
            limit_seen_at=seen.seen_at if seen is not None else None,
            configured=app.credentials.configured(platform),
            missing=tuple(app.credentials.missing(platform)),
            correction=notes.get(platform)))
    return Preview(interview_id, url, url == PLACEHOLDER_URL, youtube, tuple(yt.problems),
                   tuple(posts))


def _correction_notes(app: App, session: Any, item: Any) -> dict[str, str]:
    """Per platform, what happens to a post already out that a correction changed."""
    from publisher.platforms.spec import get
    from publisher.post_corrections import (
        REPLACE_FIELD,
        kept_note,
        kept_posts,
        open_post_corrections,
    )

    notes = {p: kept_note(p, item.id)
             for p in kept_posts(session, app.config, app.schedules, item)}
    for row in open_post_corrections(session, item.id):
        label = get(row.platform).label
        notes[row.platform] = (
            f"{label}: the post out will be deleted and posted again with this text "
            f"(`publisher sync {item.id}` does it now)"
            if REPLACE_FIELD in (row.fields or []) else
            f"{label}: the post out will be edited in place to this text "
            f"(`publisher sync {item.id}` does it now)")
    return notes
