"""The YouTube facts the fake models (shared/platform-facts/youtube-api.md): size and length
limits, OAuth scopes, each API method's quota bucket, cost and scopes, the assignable video
categories, and the values a few fields may take."""

from __future__ import annotations

from typing import Literal

CHUNK_GRANULARITY = 256 * 1024
VIDEO_MAX_BYTES = 256 * 1024**3
THUMBNAIL_MAX_BYTES = 50 * 1024 * 1024
CAPTION_MAX_BYTES = 100 * 1024 * 1024
TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
CAPTION_NAME_MAX_CHARS = 150
PLAYLIST_TITLE_MAX_CHARS = 150

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
SCOPE_FORCE_SSL = SCOPE_PREFIX + "youtube.force-ssl"
SCOPE_YOUTUBE = SCOPE_PREFIX + "youtube"
SCOPE_UPLOAD = SCOPE_PREFIX + "youtube.upload"
SCOPE_READONLY = SCOPE_PREFIX + "youtube.readonly"
SCOPE_PARTNER = SCOPE_PREFIX + "youtubepartner"

DEFAULT_BUCKET = "default"
UPLOAD_BUCKET = "videos.insert"
DEFAULT_QUOTA_LIMITS = {DEFAULT_BUCKET: 10_000, UPLOAD_BUCKET: 100}

_READ = frozenset({SCOPE_YOUTUBE, SCOPE_FORCE_SSL, SCOPE_READONLY, SCOPE_PARTNER})
_MANAGE = frozenset({SCOPE_YOUTUBE, SCOPE_FORCE_SSL, SCOPE_PARTNER})
_UPLOAD = frozenset({SCOPE_YOUTUBE, SCOPE_FORCE_SSL, SCOPE_UPLOAD, SCOPE_PARTNER})
_CAPTIONS = frozenset({SCOPE_FORCE_SSL, SCOPE_PARTNER})

#: method id → (quota bucket, cost, scopes any one of which suffices). From §1.1 and the
#: discovery document's per-method scopes.
METHODS: dict[str, tuple[str, int, frozenset[str]]] = {
    "youtube.videos.insert": (UPLOAD_BUCKET, 1, _UPLOAD),
    "youtube.videos.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.videos.update": (DEFAULT_BUCKET, 50, _MANAGE),
    "youtube.thumbnails.set": (DEFAULT_BUCKET, 50, _UPLOAD),
    "youtube.playlists.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.playlists.insert": (DEFAULT_BUCKET, 50, _MANAGE),
    "youtube.playlistItems.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.playlistItems.insert": (DEFAULT_BUCKET, 50, _MANAGE),
    "youtube.captions.insert": (DEFAULT_BUCKET, 400, _CAPTIONS),
    "youtube.captions.list": (DEFAULT_BUCKET, 50, _CAPTIONS),
    "youtube.captions.update": (DEFAULT_BUCKET, 450, _CAPTIONS),
    "youtube.captions.delete": (DEFAULT_BUCKET, 50, _CAPTIONS),
    "youtube.playlistItems.delete": (DEFAULT_BUCKET, 50, _MANAGE),
    "youtube.channels.list": (DEFAULT_BUCKET, 1, _READ),
    "youtube.videoCategories.list": (DEFAULT_BUCKET, 1, _READ),
}

#: Assignable categories (regionCode=US).
VIDEO_CATEGORIES = {
    "1": "Film & Animation", "2": "Autos & Vehicles", "10": "Music", "15": "Pets & Animals",
    "17": "Sports", "19": "Travel & Events", "20": "Gaming", "22": "People & Blogs",
    "23": "Comedy", "24": "Entertainment", "25": "News & Politics", "26": "Howto & Style",
    "27": "Education", "28": "Science & Technology", "29": "Nonprofits & Activism",
}

VIDEO_PARTS = frozenset({
    "contentDetails", "fileDetails", "id", "liveStreamingDetails", "localizations",
    "paidProductPlacementDetails", "player", "processingDetails", "recordingDetails",
    "snippet", "statistics", "status", "suggestions", "topicDetails"})
PRIVACY_STATUSES = ("private", "public", "unlisted")
LICENSES = ("youtube", "creativeCommon")

#: What processing makes of an upload.
Outcome = Literal["succeeded", "failed", "rejected"]
#: What the fake keeps of uploaded bytes (see :class:`~.storage.MediaSink`).
StorageMode = Literal["hash", "disk", "discard"]
#: What a media upload creates or changes.
MediaKind = Literal["video", "thumbnail", "caption", "caption_update"]


def method_id(name: str) -> str:
    """The full id of an API method given with or without ``youtube.`` ("videos.list")."""
    name = name if name.startswith("youtube.") else "youtube." + name
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; known: {sorted(METHODS)}")
    return name
