"""YouTube's rules for the metadata of a video (§2: title, description, tags, category,
privacy, publishAt, localizations, recording details) and of a playlist's snippet."""

from __future__ import annotations

from typing import Any

from publisher.sandbox.youtube.errors import ApiError, video_error
from publisher.sandbox.youtube.facts import (
    DESCRIPTION_MAX_BYTES,
    LICENSES,
    PLAYLIST_TITLE_MAX_CHARS,
    PRIVACY_STATUSES,
    TAGS_MAX_CHARS,
    TITLE_MAX_CHARS,
    VIDEO_CATEGORIES,
)
from publisher.sandbox.youtube.model import FakeVideo
from publisher.sandbox.youtube.wire import parse_rfc3339


def title_length(title: str) -> int:
    """Counted conservatively: the larger of code points and UTF-16 code units."""
    return max(len(title), len(title.encode("utf-16-le", "surrogatepass")) // 2)


def tags_length(tags: list[str]) -> int:
    """YouTube's formula: commas count, a tag with a space counts its implied quotes."""
    if not tags:
        return 0
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1


def check_video(body: dict[str, Any], parts: list[str],
                existing: FakeVideo | None) -> dict[str, Any]:
    """Check a video resource against YouTube's rules (§2); normalised pieces back.

    ``existing`` is the video a ``videos.update`` changes (None for an insert). The answer
    has ``raw`` (the body), ``snippet`` and ``status`` (``{}`` when not sent),
    ``localizations`` and ``recordingDetails`` (None when not sent).
    """
    snippet = body.get("snippet") if "snippet" in parts else None
    status = body.get("status") if "status" in parts else None
    localizations = body.get("localizations") if "localizations" in parts else None
    recording = body.get("recordingDetails") if "recordingDetails" in parts else None
    if snippet is not None:
        if not isinstance(snippet, dict):
            raise video_error("invalidVideoMetadata")
        if existing is not None and ("title" not in snippet or "categoryId" not in snippet):
            raise video_error("invalidVideoMetadata")
        title = snippet.get("title")
        if (existing is not None or "title" in snippet) and (
                not isinstance(title, str) or not title.strip()
                or title_length(title) > TITLE_MAX_CHARS or "<" in title or ">" in title):
            raise video_error("invalidTitle")
        description = snippet.get("description", "")
        if not isinstance(description, str) or "<" in description or ">" in description \
                or len(description.encode("utf-8", "surrogatepass")) > DESCRIPTION_MAX_BYTES:
            raise video_error("invalidDescription")
        tags = snippet.get("tags", [])
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags) or \
                tags_length(tags) > TAGS_MAX_CHARS or \
                any("<" in t or ">" in t for t in tags):
            raise video_error("invalidTags")
        category = snippet.get("categoryId")
        if category is not None and str(category) not in VIDEO_CATEGORIES:
            raise video_error("invalidCategoryId")
    if status is not None:
        if not isinstance(status, dict):
            raise video_error("invalidVideoMetadata")
        privacy = status.get("privacyStatus")
        if privacy is not None and privacy not in PRIVACY_STATUSES:
            raise video_error("invalidVideoMetadata")
        license_ = status.get("license")
        if license_ is not None and license_ not in LICENSES:
            raise video_error("invalidVideoMetadata")
        if "publishAt" in status and status["publishAt"] is not None:
            if privacy != "private" or parse_rfc3339(status["publishAt"]) is None:
                raise video_error("invalidPublishAt")
            if existing is not None and existing.ever_published:
                raise video_error("invalidPublishAt")
    if localizations is not None:
        if not isinstance(localizations, dict):
            raise video_error("invalidVideoMetadata")
        default_language = (snippet or {}).get("defaultLanguage")
        if default_language is None and existing is not None and snippet is None:
            default_language = existing.snippet.get("defaultLanguage")
        if localizations and not default_language:
            raise ApiError(400, "defaultLanguageNotSetError", domain="youtube.video")
    if recording is not None:
        if not isinstance(recording, dict):
            raise video_error("invalidRecordingDetails")
        date = recording.get("recordingDate")
        if date is not None and parse_rfc3339(date) is None:
            raise video_error("invalidRecordingDetails")
    return {"raw": body, "snippet": snippet or {}, "status": status or {},
            "localizations": localizations, "recordingDetails": recording}


def check_playlist(body: Any) -> tuple[str, str, str]:
    """A ``playlists.insert`` body's title, description and privacy status, or the error
    YouTube gives."""
    snippet = body.get("snippet") if isinstance(body, dict) else None
    if not isinstance(snippet, dict) or not str(snippet.get("title", "")).strip():
        raise ApiError(400, "playlistTitleRequired", "The request must specify a playlist "
                       "title.", domain="youtube.playlist")
    title = str(snippet["title"])
    description = str(snippet.get("description", ""))
    if len(title) > PLAYLIST_TITLE_MAX_CHARS or "<" in title or ">" in title \
            or "<" in description or ">" in description \
            or len(description.encode("utf-8")) > DESCRIPTION_MAX_BYTES:
        raise ApiError(400, "invalidPlaylistSnippet", "The request provides an invalid "
                       "playlist snippet.", domain="youtube.playlist")
    status = body.get("status") if isinstance(body.get("status"), dict) else {}
    privacy = str(status.get("privacyStatus", "public"))
    if privacy not in PRIVACY_STATUSES:
        raise ApiError(400, "invalidPlaylistSnippet", "Invalid privacy status.",
                       domain="youtube.playlist")
    return title, description, privacy
