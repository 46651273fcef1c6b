"""The queue as `publisher queue list` and `queue show` see it, as data. The shapes of their
JSON are stable: scripts rely on them. Dates are ISO 8601 with the offset of the campaign's
time zone; a not-before is given in the zone it was entered in, so its date is the one
entered (publisher/services/times.py)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, NamedTuple

from publisher.services.times import Zones, entered, iso

if TYPE_CHECKING:
    from sqlalchemy import ColumnElement

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

    def as_json(self, zones: Zones) -> dict[str, Any]:
        return {"id": self.id, "position": self.position, "state": self.state,
                "title": self.title, "schedule": self.schedule,
                "not_before": iso(self.not_before, zones.of_schedule(self.schedule)),
                "duration_s": self.duration_s, "video": self.video,
                "created_at": iso(self.created_at, zones.campaign)}


def list_queue(app: App, state: str, *, offset: int = 0, limit: int | None = None
               ) -> list[QueueRow]:
    """The interviews in publishing order: those in `state`, or 'active' (not yet published
    or cancelled), or 'all'; with `offset` and `limit`, only that part of the list (a page).
    Needs only the database, not a valid configuration. On a SQLite home it reads with the
    standard library's driver (`raw_list_queue`), elsewhere through SQLAlchemy Core, without
    the ORM: a listing must start fast."""
    raw = raw_list_queue(app, state, offset=offset, limit=limit)
    if raw is not None:
        return raw
    from sqlalchemy import select

    from publisher.store.light import interviews as t

    query = (select(t.c.id, t.c.position, t.c.state, t.c.title, t.c.schedule, t.c.not_before,
                    t.c.video_duration_s, t.c.video_path, t.c.created_at)
             .where(t.c.programme_id == app.programme_id, in_state(state))
             .order_by(t.c.position, t.c.id))
    if offset or limit is not None:
        query = query.offset(offset).limit(limit)
    with app.reading() as conn:
        return list(map(QueueRow._make, conn.execute(query).all()))


def raw_list_queue(app: App, state: str, *, offset: int = 0, limit: int | None = None
                   ) -> list[QueueRow] | None:
    """`list_queue` read from a SQLite home without SQLAlchemy; None when the home is not a
    plain SQLite file at this schema (publisher/store/raw_sqlite.py), or its publisher.toml
    does not parse (the full path then says what is wrong, as before)."""
    from publisher.store.raw_sqlite import open_home_database, utc
    from publisher.store.states import ACTIVE

    if not app.home.config_file.is_file():
        return None
    conn = open_home_database(app.home.database_url)
    if conn is None:
        return None
    try:
        name = app.raw_config.get("programme", "default")  # the file must parse
        found = conn.execute("SELECT id, home_path FROM programmes WHERE name = ?",
                             (name,)).fetchone()
        if not isinstance(name, str) or found is None or not same_home(found[1], app):
            return None  # the full path says what is wrong
        where = "WHERE programme_id = ?"
        params: list[object] = [found[0]]
        if state == "active":
            states = sorted(s.value for s in ACTIVE)
            params += states
            where += f" AND state IN ({', '.join('?' * len(states))})"
        elif state != "all":
            where += " AND state = ?"
            params.append(state)
        page = ""
        if offset or limit is not None:
            page = " LIMIT ? OFFSET ?"
            params += [-1 if limit is None else limit, offset]
        conn.execute("BEGIN")
        rows = conn.execute(
            "SELECT id, position, state, title, schedule, not_before, video_duration_s, "
            f"video_path, created_at FROM interviews {where} ORDER BY position, id{page}",
            params).fetchall()
        conn.execute("COMMIT")
    finally:
        conn.close()
    make = QueueRow._make
    return [make((i, p, st, t, sc, utc(nb), d, v, utc(c))) for i, p, st, t, sc, nb, d, v, c
            in rows]


def same_home(registered: str | None, app: App) -> bool:
    """Whether the programme's registered home (if any) is this App's home."""
    import os

    return registered is None or os.path.realpath(registered) == os.path.realpath(
        app.home.path)


def count_queue(app: App, state: str) -> int:
    """How many interviews `list_queue(app, state)` lists."""
    from sqlalchemy import func, select

    from publisher.store.light import interviews as t

    pid = app.programme_id  # before the read: looking it up may write (its first use)
    with app.reading() as conn:
        return int(conn.execute(select(func.count()).select_from(t)
                                .where(t.c.programme_id == pid,
                                       in_state(state))).scalar_one())


def rank_in_queue(app: App, state: str, interview_id: int) -> int | None:
    """The index (from 0) of the interview in `list_queue(app, state)`, or None when that
    list does not hold it: the page it is on."""
    from sqlalchemy import and_, func, or_, select

    from publisher.store.light import interviews as t

    mine = t.c.programme_id == app.programme_id
    with app.reading() as conn:
        found = conn.execute(select(t.c.position).where(
            mine, t.c.id == interview_id, in_state(state))).first()
        if found is None:
            return None
        position = found[0]
        return int(conn.execute(select(func.count()).select_from(t).where(
            mine, in_state(state), or_(t.c.position < position,
                                 and_(t.c.position == position, t.c.id < interview_id)))
        ).scalar_one())


def in_state(state: str, column: Any = None) -> ColumnElement[bool]:
    """The interviews in `state`, or 'active' (not yet published or cancelled), or 'all'.
    `column`: the state column to test (the ORM's `Interview.state` for an ORM query);
    by default the Core table's, as `list_queue` reads it."""
    from sqlalchemy import true

    from publisher.store.light import interviews as t
    from publisher.store.states import ACTIVE

    col = t.c.state if column is None else column
    if state == "active":
        return col.in_(sorted(s.value for s in ACTIVE))
    if state != "all":
        return col == state
    return true()


def interview_dict(item: Interview, zones: Zones, *, full: bool = False) -> dict[str, Any]:
    """The JSON shape of an interview (stable: scripts rely on it)."""
    data: dict[str, Any] = {
        "id": item.id, "position": item.position, "state": item.state, "title": item.title,
        "schedule": item.schedule,
        "not_before": iso(item.not_before, zones.of_schedule(item.schedule)),
        "video": item.video_path, "duration_s": item.video_duration_s,
        "created_at": iso(item.created_at, zones.campaign),
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
            "synthetic_media": item.synthetic_media, "embeddable": item.embeddable,
            "license": item.license,
            "recording_date": item.recording_date.isoformat() if item.recording_date else None,
            "recording_place": item.recording_place,
            "templates": item.templates or {},
            "attention_reason": item.attention_reason,
            "updated_at": iso(item.updated_at, zones.campaign),
        })
    return data


def show_interview(app: App, interview_id: int) -> dict[str, Any]:
    """One interview in full (`interview_dict`); under "youtube" exactly what YouTube will
    receive: title, description, tags, and the problems found rendering them; under
    "published" what went out: the video's address and each post's, with their times."""
    from publisher import queue as q
    from publisher.services.published import links_of
    from publisher.text.youtube_text import render_youtube

    with app.transaction() as session:
        item = q.get(session, interview_id)
        rendered = render_youtube(app.config, q.text_of(
            item, app.schedules, app.config.campaign.default_schedule))
        data = interview_dict(item, app.zones, full=True)
        data["published"] = links_of(session, item, app.zone)
    data["youtube"] = {"title": rendered.title, "description": rendered.description,
                       "tags": list(rendered.tags), "problems": list(rendered.problems)}
    return data


#: The columns of `queue list --csv`: `queue import`'s names where they overlap (title,
#: speakers, hashtags, video, schedule, not_before), so a sheet can go back and forth.
CSV_COLUMNS = ("id", "position", "state", "title", "speakers", "hashtags", "schedule",
               "not_before", "video", "duration_s")


def queue_csv_rows(app: App, state: str) -> list[dict[str, str]]:
    """The queue (as `list_queue` selects it) as CSV rows of CSV_COLUMNS, cells as text."""
    from sqlalchemy import select

    from publisher.store.light import interviews
    from publisher.store.light import speakers as sp

    rows = list_queue(app, state)
    pid = app.programme_id  # before the read: looking it up may write (its first use)
    with app.reading() as conn:
        hashtags: dict[int, list[str]] = {}
        for interview_id, tags in conn.execute(
                select(interviews.c.id, interviews.c.hashtags).where(
                    interviews.c.programme_id == pid, in_state(state))):
            hashtags[interview_id] = tags
        speakers: dict[int, list[str]] = {}
        for interview_id, name, role in conn.execute(select(
                sp.c.interview_id, sp.c.name, sp.c.role).where(
                sp.c.programme_id == pid).order_by(
                sp.c.interview_id, sp.c.position)):
            speakers.setdefault(interview_id, []).append(f"{name} ({role})" if role else name)
    zones = app.zones
    return [{"id": str(r.id), "position": str(r.position), "state": r.state, "title": r.title,
             "speakers": "; ".join(speakers.get(r.id, [])),
             "hashtags": " ".join(hashtags.get(r.id) or []), "schedule": r.schedule or "",
             "not_before": entered(r.not_before, zones.of_schedule(r.schedule)) or "",
             "video": r.video, "duration_s": f"{r.duration_s:.1f}"} for r in rows]
