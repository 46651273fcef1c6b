"""Applying corrections of a video's thumbnail, caption tracks and playlist
(publisher/asset_corrections.py), each through intent → act → record.

What YouTube holds is read first wherever the API shows it, so that a request that reached
YouTube before a crash is found there and never sent twice:

- captions: `captions.list` shows our tracks — uploaded ("standard"), in the language, under
  the name publisher gave them (the caption step's handle). YouTube's automatic (ASR) and
  forced tracks are never ours and never touched. A language added is inserted unless our
  track is there; one removed is deleted if it is there; one replaced is updated
  (`captions.update`, same track id) unless its `lastUpdated` is not older than the intent
  saved before the request.
- playlist: the video's items in the old playlist (the playlist step's handle) are deleted
  and it is added to the new one unless already there; the new playlist's id is saved
  before the video is added, so a retry never makes a second playlist.
- thumbnail: no API call shows which image a video has, so a crash between `thumbnails.set`
  and its record sets the same image again on the next run: idempotent, 50 more units
  (the upload's thumbnail step does the same).

Each asset is checked against the quota before its request (`room`, which keeps what today's
releases need) and recorded on its own: the correction's field list loses it, the
decoration's record gets the new handle, and the journal says old and new.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from publisher import asset_corrections as assets
from publisher.corrections import open_corrections
from publisher.faults import crash_point
from publisher.lifecycle import EventKind, caption_step, set_correction, set_publication
from publisher.media import MediaError, check_thumbnail
from publisher.pipeline.records import record
from publisher.pipeline.runtime import Runtime
from publisher.platforms.errors import PermanentError, PlatformError
from publisher.platforms.youtube.api import ListedCaption, YouTubeApi, caption_name
from publisher.store.models import (
    Correction,
    CorrectionState,
    Interview,
    Publication,
    PublicationState,
)

#: The key of `Correction.sent` that holds each asset's intent (saved before its request).
INTENTS = "assets"


class AssetVerdict(enum.StrEnum):
    SAME = "same"      # YouTube already holds it (or it was sent before a crash)
    CHANGE = "change"  # to send


@dataclass
class AssetDiff:
    """One pending asset: what it was, what is wanted, what YouTube shows, and the verdict."""

    name: str
    label: str
    known: str | None
    wanted: str | None
    live: str
    verdict: AssetVerdict
    action: str = ""  # what is (or would be) sent, in words
    methods: list[str] = field(default_factory=list)  # the quota it needs
    sent: bool = False
    #: Why the asset is (not) sent, for the caller: the values as stored.
    known_value: Any = None
    wanted_value: Any = None
    target: str | None = None  # a caption track id, or the new playlist's id

    def as_json(self) -> dict[str, Any]:
        return {"asset": self.name, "label": self.label, "old": self.known,
                "wanted": self.wanted, "live": self.live, "verdict": self.verdict.value,
                "action": self.action, "sent": self.sent}


def pending_assets(rows: list[Correction]) -> dict[str, Any]:
    """The pending assets of the open corrections, each with its oldest known value."""
    out: dict[str, Any] = {}
    for row in rows:  # oldest first
        for name in row.fields or []:
            if assets.is_asset(name):
                out.setdefault(name, (row.known or {}).get(name))
    return out


def intents_of(rows: list[Correction]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for row in rows:
        out.update(((row.sent or {}).get(INTENTS)) or {})
    return out


@dataclass
class _Context:
    interview_id: int
    video_id: str
    title: str
    wanted: dict[str, Any]
    handles: dict[str, str | None]  # decoration step → its handle
    intents: dict[str, dict[str, Any]]


def _context(rt: Runtime, interview_id: int, video_id: str) -> _Context:
    from sqlalchemy import select

    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        assert item is not None
        handles = {p.step: p.handle for p in s.scalars(select(Publication).where(
            Publication.interview_id == interview_id, Publication.platform == "youtube"))}
        return _Context(interview_id, video_id, item.title, assets.wanted_assets(item),
                        handles, intents_of(open_corrections(s, interview_id)))


def compare_assets(rt: Runtime, api: YouTubeApi, interview_id: int, video_id: str,
                   pending: dict[str, Any], room: Callable[[list[str]], None]
                   ) -> list[AssetDiff]:
    """Read back what YouTube shows of each pending asset and decide what to send."""
    if not pending:
        return []
    ctx = _context(rt, interview_id, video_id)
    tracks: list[ListedCaption] = []
    if any(assets.caption_language(n) is not None for n in pending):
        room(["captions.list"])
        tracks = api.caption_tracks(video_id)
    diffs = []
    for name, known in pending.items():
        wanted = ctx.wanted.get(name)
        language = assets.caption_language(name)
        if language is not None:
            diffs.append(_caption(ctx, name, language, known, wanted, tracks))
        elif name == assets.PLAYLIST:
            room(["playlists.list", "playlistItems.list", "playlistItems.list"])
            diffs.append(_playlist(api, ctx, known, wanted))
        else:
            diffs.append(_thumbnail(ctx, known, wanted))
    return diffs


def _diff(name: str, known: Any, wanted: Any, live: str, verdict: AssetVerdict,
          action: str = "", methods: list[str] | None = None,
          target: str | None = None) -> AssetDiff:
    return AssetDiff(name, assets.label(name), assets.shown(known), assets.shown(wanted), live,
                     verdict, action, list(methods or []), known_value=known,
                     wanted_value=wanted, target=target)


def track_name(ctx: _Context, name: str, language: str) -> str:
    """The name our track in `language` has (or will have): the decoration's, else the one
    saved with the intent, else a new one."""
    return (ctx.handles.get(caption_step(language)) or ctx.intents.get(name, {}).get("track")
            or caption_name(ctx.title, language))


def _caption(ctx: _Context, name: str, language: str, known: Any, wanted: Any,
             tracks: list[ListedCaption]) -> AssetDiff:
    ours = YouTubeApi.ours(tracks, language, track_name(ctx, name, language))
    live = "our track" if ours is not None else "no track of ours"
    if wanted is None:
        if ours is None:
            return _diff(name, known, wanted, live, AssetVerdict.SAME)
        return _diff(name, known, wanted, live, AssetVerdict.CHANGE, "delete our track",
                     ["captions.delete"], ours.id)
    if ours is None:
        return _diff(name, known, wanted, live, AssetVerdict.CHANGE, "upload the track",
                     ["captions.insert"])
    intent = ctx.intents.get(name)
    if known is None or (intent is not None and _not_older(ours.last_updated, intent["at"])):
        return _diff(name, known, wanted, live, AssetVerdict.SAME)  # already there
    if intent is None and assets.same(known, wanted):
        return _diff(name, known, wanted, live, AssetVerdict.SAME)  # edited back
    return _diff(name, known, wanted, live, AssetVerdict.CHANGE, "replace our track's file",
                 ["captions.update"], ours.id)


def _not_older(last_updated: str | None, intent_at: str) -> bool:
    """Whether a track updated at `last_updated` (whole seconds) was updated by the request
    whose intent was saved at `intent_at`."""
    if not last_updated:
        return False
    try:
        updated = dt.datetime.fromisoformat(last_updated.replace("Z", "+00:00"))
        at = dt.datetime.fromisoformat(intent_at)
    except ValueError:
        return False
    return updated >= at.replace(microsecond=0)


def _playlist(api: YouTubeApi, ctx: _Context, known: Any, wanted: Any) -> AssetDiff:
    name = assets.PLAYLIST
    old_id = ctx.handles.get(name)
    new_id = ctx.intents.get(name, {}).get("playlist_id")
    if wanted is not None and new_id is None:
        new_id = api.find_playlist(str(wanted))
    in_old = api.playlist_items(old_id, ctx.video_id) if old_id and old_id != new_id else []
    in_new = bool(api.playlist_items(new_id, ctx.video_id)) if new_id else False
    where = [f"in {assets.shown(known) or 'the old playlist'}"] if in_old else []
    if in_new:
        where.append(f"in {wanted}")
    live = ", ".join(where) or "in neither"
    if not in_old and (wanted is None or in_new):
        return _diff(name, known, wanted, live, AssetVerdict.SAME, target=new_id)
    steps, methods = [], []
    if in_old:
        steps.append(f"remove it from {assets.shown(known)}")
        methods += ["playlistItems.delete"] * len(in_old)
    if wanted is not None:
        steps.append(f"add it to {wanted}" + ("" if new_id else " (a new playlist)"))
        methods += ["playlistItems.insert"] + ([] if new_id else ["playlists.insert"])
    return _diff(name, known, wanted, live, AssetVerdict.CHANGE, ", then ".join(steps),
                 methods, new_id)


def _thumbnail(ctx: _Context, known: Any, wanted: Any) -> AssetDiff:
    name = assets.THUMBNAIL
    live = "not shown by the API"
    if wanted is None or (name not in ctx.intents and assets.same(known, wanted)):
        return _diff(name, known, wanted, live, AssetVerdict.SAME)
    return _diff(name, known, wanted, live, AssetVerdict.CHANGE, "set the new image",
                 ["thumbnails.set"])


# ---- applying ----------------------------------------------------------------------------------

def apply_assets(rt: Runtime, api: YouTubeApi, interview_id: int, video_id: str,
                 diffs: list[AssetDiff], room: Callable[[list[str]], None]) -> None:
    """Send each asset to change (intent → act → record), and record those found done."""
    for diff in diffs:
        if diff.verdict == AssetVerdict.CHANGE:
            room(diff.methods)
            extra = _intent(rt, interview_id, diff)
            _crash_before(diff.name)
            handle = _act(rt, api, interview_id, video_id, diff, extra)
            _crash_sent(diff.name)
            diff.sent = True
            _record(rt, interview_id, video_id, diff, handle, found=False)
        else:
            _record(rt, interview_id, video_id, diff, _found_handle(rt, interview_id, diff),
                    found=True)


# The crash points, each named literally (the crash matrix finds them in the source).
def _crash_before(name: str) -> None:
    if name == assets.THUMBNAIL:
        crash_point("correction.thumbnail.before")
    elif name == assets.PLAYLIST:
        crash_point("correction.playlist.before")
    else:
        crash_point("correction.captions.before")


def _crash_sent(name: str) -> None:
    if name == assets.THUMBNAIL:
        crash_point("correction.thumbnail.sent")
    elif name == assets.PLAYLIST:
        crash_point("correction.playlist.sent")
    else:
        crash_point("correction.captions.sent")


def _intent(rt: Runtime, interview_id: int, diff: AssetDiff) -> dict[str, Any]:
    """Save what will be sent, before the request: when, and the track's name."""
    extra: dict[str, Any] = {"at": rt.clock().isoformat()}
    language = assets.caption_language(diff.name)
    with rt.transaction() as s:
        rows = [r for r in open_corrections(s, interview_id) if diff.name in (r.fields or [])]
        if language is not None:
            ctx_handles = {p.step: p.handle for p in s.scalars(_steps(interview_id))}
            title = _title(s, interview_id)
            previous = intents_of(rows).get(diff.name, {})
            extra["track"] = (ctx_handles.get(caption_step(language)) or previous.get("track")
                              or caption_name(title, language))
        if diff.target and diff.name == assets.PLAYLIST:
            extra["playlist_id"] = diff.target
        for row in rows:
            _save_intent(row, diff.name, extra)
    return extra


def _handle(s: Session, interview_id: int, step: str) -> str | None:
    """The handle of a decoration's record, if it has one (no record is made)."""
    handles = {p.step: p.handle for p in s.scalars(_steps(interview_id))}
    return handles.get(step)


def _title(s: Session, interview_id: int) -> str:
    item = s.get(Interview, interview_id)
    assert item is not None
    return item.title


def _steps(interview_id: int) -> Any:
    from sqlalchemy import select

    return select(Publication).where(Publication.interview_id == interview_id,
                                     Publication.platform == "youtube")


def _save_intent(row: Correction, name: str, intent: dict[str, Any] | None) -> None:
    sent = dict(row.sent or {})
    saved = dict(sent.get(INTENTS) or {})
    if intent is None:
        saved.pop(name, None)
    else:
        saved[name] = intent
    if saved:
        sent[INTENTS] = saved
    else:
        sent.pop(INTENTS, None)
    if intent is not None:
        set_correction(row, CorrectionState.IN_FLIGHT, sent=sent or None,
                       attempts=row.attempts + 1)
    else:
        row.sent = sent or None


def _act(rt: Runtime, api: YouTubeApi, interview_id: int, video_id: str, diff: AssetDiff,
         intent: dict[str, Any]) -> str | None:
    """The requests; the decoration record's new handle (track name, playlist id)."""
    language = assets.caption_language(diff.name)
    wanted = diff.wanted_value
    if language is not None:
        if wanted is None:
            api.delete_caption(str(diff.target))
        elif diff.target is None:
            api.insert_caption(video_id, language, Path(wanted["path"]), intent["track"])
        else:
            api.update_caption(diff.target, Path(wanted["path"]))
        return str(intent["track"])
    if diff.name == assets.THUMBNAIL:
        path = Path(wanted["path"])
        try:
            mime = check_thumbnail(path)
        except MediaError as exc:
            raise PermanentError(f"the new thumbnail cannot be sent: {exc}",
                                 platform="youtube", reason="thumbnail") from None
        api.set_thumbnail(video_id, path, mime)
        return None
    return _move_playlist(rt, api, interview_id, video_id, diff)


def _move_playlist(rt: Runtime, api: YouTubeApi, interview_id: int, video_id: str,
                   diff: AssetDiff) -> str | None:
    """Out of the old playlist, into the new one (made if none has its title)."""
    with rt.transaction() as s:
        old = _handle(s, interview_id, assets.PLAYLIST)
    new_id = diff.target
    if diff.wanted_value is not None and new_id is None:
        new_id = api.find_playlist(str(diff.wanted_value)) or api.create_playlist(
            str(diff.wanted_value))
        # Remember it before adding: a retry must not make a second playlist.
        with rt.transaction() as s:
            for row in open_corrections(s, interview_id):
                if assets.PLAYLIST in (row.fields or []):
                    intent = dict(intents_of([row]).get(assets.PLAYLIST) or {})
                    intent["playlist_id"] = new_id
                    _save_intent(row, assets.PLAYLIST, intent)
    if old and old != new_id:
        for item_id in api.playlist_items(old, video_id):
            try:
                api.remove_playlist_item(item_id)
            except PlatformError as exc:
                if getattr(exc, "reason", None) != "playlistItemNotFound":
                    raise  # not found: already gone
    if new_id and not api.playlist_items(new_id, video_id):
        api.add_to_playlist(new_id, video_id)
    return new_id


def _found_handle(rt: Runtime, interview_id: int, diff: AssetDiff) -> str | None:
    language = assets.caption_language(diff.name)
    if language is not None:
        with rt.transaction() as s:
            rows = open_corrections(s, interview_id)
            handle = _handle(s, interview_id, caption_step(language))
            title = _title(s, interview_id)
            return handle or intents_of(rows).get(diff.name, {}).get("track") or \
                caption_name(title, language)
    if diff.name == assets.PLAYLIST:
        return diff.target
    return None


def _record(rt: Runtime, interview_id: int, video_id: str, diff: AssetDiff,
            handle: str | None, *, found: bool) -> None:
    """The asset is on YouTube: off the correction's list, onto the decoration's record,
    into the journal (once: a found asset is journaled only if its request was made)."""
    with rt.transaction() as s:
        rows = [r for r in open_corrections(s, interview_id) if diff.name in (r.fields or [])]
        was_sent = diff.name in intents_of(rows)
        for row in rows:
            row.fields = [n for n in row.fields or [] if n != diff.name]
            _save_intent(row, diff.name, None)
        if diff.wanted_value is not None or diff.name == assets.PLAYLIST:
            pub = record(s, interview_id, "youtube", diff.name)
            values: dict[str, Any] = {}
            if diff.name != assets.THUMBNAIL:
                values["handle"] = handle
            set_publication(pub, PublicationState.DONE, last_error=None,
                            next_attempt_at=None, **values)
        if not found or was_sent:
            rt.journal(s, interview_id, EventKind.CORRECTION_APPLIED,
                       corrections=[r.id for r in rows], video_id=video_id,
                       changes={diff.name: {"old": diff.known, "new": diff.wanted}},
                       **({"found_on_youtube": True} if found else {}))
