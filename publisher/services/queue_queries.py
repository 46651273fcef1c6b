"""The queue as `publisher queue list` and `queue show` see it, as data. The shapes of their
JSON are stable: scripts rely on them."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.store.models import Interview


class QueueRow(NamedTuple):
    """One line of `queue list` (a tuple: a listing may have 10,000 of them)."""

    id: int
    position: int
    state: str
    title: str
    schedule: str | None
    not_before: dt.datetime | None
    duration_s: float
    video: str
    created_at: dt.datetime

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "position": self.position, "state": self.state,
                "title": self.title, "schedule": self.schedule,
                "not_before": self.not_before.isoformat() if self.not_before else None,
                "duration_s": self.duration_s, "video": self.video,
                "created_at": self.created_at.isoformat()}


def list_queue(app: App, state: str) -> list[QueueRow]:
    """The interviews in publishing order: those in `state`, or 'active' (not yet published
    or cancelled), or 'all'. Needs only the database, not a valid configuration."""
    from sqlalchemy import select

    from publisher.store.models import ACTIVE, Interview

    columns = (Interview.id, Interview.position, Interview.state, Interview.title,
               Interview.schedule, Interview.not_before, Interview.video_duration_s,
               Interview.video_path, Interview.created_at)
    query = select(*columns).order_by(Interview.position, Interview.id)
    if state == "active":
        query = query.where(Interview.state.in_([s.value for s in ACTIVE]))
    elif state != "all":
        query = query.where(Interview.state == state)
    with app.transaction(needs_config=False) as session:
        return [QueueRow._make(r) for r in session.execute(query)]


def interview_dict(item: Interview, *, full: bool = False) -> dict[str, Any]:
    """The JSON shape of an interview (stable: scripts rely on it)."""
    data: dict[str, Any] = {
        "id": item.id, "position": item.position, "state": item.state, "title": item.title,
        "schedule": item.schedule,
        "not_before": item.not_before.isoformat() if item.not_before else None,
        "video": item.video_path, "duration_s": item.video_duration_s,
        "created_at": item.created_at.isoformat(),
    }
    if full:
        data.update({
            "description": item.description, "hashtags": item.hashtags,
            "speakers": [{"name": s.name, "role": s.role, "links": s.links}
                         for s in item.speakers],
            "language": item.language,
            "video_size": item.video_size, "video_sha256": item.video_sha256,
            "resolution": f"{item.video_width}x{item.video_height}",
            "video_codec": item.video_codec, "audio_codec": item.audio_codec,
            "container": item.container_format, "thumbnail": item.thumbnail_path,
            "captions": {c.language: c.path for c in item.captions},
            "localizations": {loc.language: {"title": loc.title,
                                             "description": loc.description}
                              for loc in item.localizations},
            "playlist": item.playlist, "category_id": item.category_id,
            "privacy": item.privacy, "made_for_kids": item.made_for_kids,
            "synthetic_media": item.synthetic_media, "license": item.license,
            "recording_date": item.recording_date.isoformat() if item.recording_date else None,
            "recording_place": item.recording_place,
            "templates": item.templates or {},
            "attention_reason": item.attention_reason,
            "updated_at": item.updated_at.isoformat(),
        })
    return data


def show_interview(app: App, interview_id: int) -> dict[str, Any]:
    """One interview in full (`interview_dict`), and under "youtube" exactly what YouTube
    will receive: title, description, tags, and the problems found rendering them."""
    from publisher import queue as q
    from publisher.text.youtube_text import render_youtube

    with app.transaction() as session:
        item = q.get(session, interview_id)
        rendered = render_youtube(app.config, q.text_of(
            item, app.schedules, app.config.campaign.default_schedule))
        data = interview_dict(item, full=True)
    data["youtube"] = {"title": rendered.title, "description": rendered.description,
                       "tags": list(rendered.tags), "problems": list(rendered.problems)}
    return data
