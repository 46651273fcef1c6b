"""Corrections of what decorates a video on YouTube: its thumbnail, its caption tracks (one
per language) and its playlist. `pipeline/correct_assets.py` applies them.

Each is a named entry of a correction's `fields`, beside the `videos.update` fields:
`thumbnail`, `playlist`, `captions:<language>` (the decoration step's own name). Its value is
plain JSON: a file as `{"path", "sha256"}` (two files with the same bytes are the same
thumbnail or track: nothing to send), the playlist by its title, None for none. `known` keeps
the value before the edit, so that the journal and `history` show old and new.

An edit records them only once the upload's decoration is over (`decoration_over`): until
then the decoration itself sends whatever the interview says when it gets there.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.lifecycle import Step, caption_step, is_settled
from publisher.store.models import Interview, Publication, State

THUMBNAIL = Step.THUMBNAIL.value
PLAYLIST = Step.PLAYLIST.value
_CAPTIONS_PREFIX = Step.CAPTIONS.value + ":"

#: States in which the upload's decoration (thumbnail, playlist, captions) is over.
_DECORATED = frozenset({State.STAGED, State.RELEASED, State.PUBLISHED, State.WITHDRAWN})


def is_asset(name: str) -> bool:
    return name in (THUMBNAIL, PLAYLIST) or name.startswith(_CAPTIONS_PREFIX)


def caption_language(name: str) -> str | None:
    """The language of a `captions:<language>` name (None for any other)."""
    return name[len(_CAPTIONS_PREFIX):] if name.startswith(_CAPTIONS_PREFIX) else None


def label(name: str) -> str:
    language = caption_language(name)
    return f"captions ({language})" if language is not None else name


def file_value(path: str | None) -> dict[str, Any] | None:
    """A file as a correction keeps it: where it is and what it holds (None if unreadable)."""
    if path is None:
        return None
    try:
        digest: str | None = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        digest = None
    return {"path": path, "sha256": digest}


def wanted_assets(item: Interview) -> dict[str, Any]:
    """What the interview wants on YouTube besides the video's fields: the thumbnail, the
    playlist, and a caption track per language (languages it has no file for are absent)."""
    out: dict[str, Any] = {THUMBNAIL: file_value(item.thumbnail_path),
                           PLAYLIST: item.playlist or None}
    for track in item.captions:
        out[caption_step(track.language)] = file_value(track.path)
    return out


def same(a: Any, b: Any) -> bool:
    """Whether two asset values ask YouTube for the same thing (files: the same bytes)."""
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        if a.get("sha256") and b.get("sha256"):
            return bool(a["sha256"] == b["sha256"])
        return bool(a.get("path") == b.get("path"))
    return bool(a == b)


def changed_assets(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """The asset names whose value differs, thumbnail and playlist first, then captions."""
    names = sorted(set(before) | set(after),
                   key=lambda n: (n != THUMBNAIL, n != PLAYLIST, n))
    return [n for n in names if not same(before.get(n), after.get(n))]


def shown(value: Any) -> str | None:
    """An asset value as the journal and people read it: a file's path, a playlist's title."""
    if isinstance(value, Mapping):
        return str(value.get("path"))
    return None if value is None else str(value)


def decoration_over(session: Session, item: Interview) -> bool:
    """Whether the upload has finished decorating the video: staged or later, or needing
    attention with every decoration it asked for settled."""
    state = State(item.state)
    if state in _DECORATED:
        return True
    if state != State.NEEDS_ATTENTION:
        return False
    steps = {THUMBNAIL} if item.thumbnail_path else set()
    if item.playlist:
        steps.add(PLAYLIST)
    steps |= {caption_step(t.language) for t in item.captions}
    rows = {p.step: p for p in session.scalars(select(Publication).where(
        Publication.interview_id == item.id, Publication.platform == "youtube",
        Publication.step.in_(steps | {Step.VIDEO.value})))}
    video = rows.get(Step.VIDEO.value)
    return (video is not None and is_settled(video)
            and all(s in rows and is_settled(rows[s]) for s in steps))


def check_recordable(item_id: int, before: Mapping[str, Any], after: Mapping[str, Any],
                     changed: list[str], decorated: bool) -> list[str]:
    """Why these asset changes cannot be corrections (empty: they can)."""
    problems = []
    if changed and not decorated:
        problems.append("its upload is still decorating the video (thumbnail, playlist, "
                        "captions): change them once it is staged (`publisher status`), "
                        f"or `publisher queue edit {item_id}` again then")
    if THUMBNAIL in changed and after.get(THUMBNAIL) is None and before.get(THUMBNAIL):
        problems.append("thumbnail: YouTube's API cannot remove a custom thumbnail, only "
                        "replace it: give another with --thumbnail, or remove it in YouTube "
                        "Studio")
    return problems
