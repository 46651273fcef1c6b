"""What the fake channel holds (videos, playlists, caption tracks) as tests inspect it, and
the :class:`Channel` that holds them."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from publisher.sandbox.youtube.processing import ProcessingScript
from publisher.sandbox.youtube.wire import new_id


@dataclass
class FakeCaption:
    id: str
    video_id: str
    language: str
    name: str
    is_draft: bool
    mime_type: str
    size: int
    sha256: str | None
    metadata: dict[str, Any]
    upload_type: str
    path: Path | None = None
    #: ``snippet.trackKind``: "standard" (uploaded), "asr" (speech recognition) or "forced".
    track_kind: str = "standard"
    #: ``snippet.lastUpdated``: when the track was made or its file last replaced.
    last_updated: datetime | None = None
    #: How many times ``captions.update`` replaced its file.
    updates: int = 0


@dataclass
class FakePlaylistItem:
    id: str
    playlist_id: str
    video_id: str
    metadata: dict[str, Any]
    added_at: datetime


@dataclass
class FakePlaylist:
    id: str
    title: str
    description: str
    privacy_status: str
    metadata: dict[str, Any]
    created_at: datetime
    items: list[FakePlaylistItem] = field(default_factory=list)

    @property
    def video_ids(self) -> list[str]:
        return [item.video_id for item in self.items]


@dataclass
class FakeVideo:
    """An uploaded video. ``metadata`` is the insert body exactly as received; ``snippet``,
    ``status``, ``localizations`` and ``recording_details`` are the current values."""

    id: str
    metadata: dict[str, Any]
    parts: tuple[str, ...]
    snippet: dict[str, Any]
    status: dict[str, Any]
    localizations: dict[str, Any]
    recording_details: dict[str, Any]
    mime_type: str
    #: Size and SHA-256 of the stored bytes (sha256 is None in ``discard`` mode).
    size: int
    sha256: str | None
    #: All media body bytes the server read for this upload, re-sent and discarded included.
    bytes_received: int
    upload_type: str
    uploaded_at: datetime
    processing: ProcessingScript
    session_id: str | None = None
    path: Path | None = None
    polls_seen: int = 0
    ever_published: bool = False
    version: int = 0
    thumbnail_sha256: str | None = None
    thumbnail_size: int | None = None
    thumbnail_mime: str | None = None
    thumbnails_set: int = 0
    #: Playlist ids, in the order the video was added (repeats possible, as on YouTube).
    playlists: list[str] = field(default_factory=list)
    #: Caption tracks per language.
    captions: dict[str, list[FakeCaption]] = field(default_factory=dict)
    #: ``videos.update`` bodies as received.
    updates: list[dict[str, Any]] = field(default_factory=list)

    @property
    def title(self) -> str:
        return str(self.snippet.get("title", ""))

    @property
    def privacy_status(self) -> str:
        return str(self.status.get("privacyStatus", "public"))

    @property
    def publish_at(self) -> str | None:
        value = self.status.get("publishAt")
        return str(value) if value is not None else None

    @property
    def processing_done(self) -> bool:
        return self.polls_seen >= self.processing.polls

    @property
    def upload_status(self) -> str:
        if not self.processing_done:
            return "uploaded"
        return {"succeeded": "processed", "failed": "failed",
                "rejected": "rejected"}[self.processing.outcome]

    @property
    def processing_status(self) -> str:
        if not self.processing_done:
            return "processing"
        return {"succeeded": "succeeded", "failed": "failed",
                "rejected": "terminated"}[self.processing.outcome]


class Channel:
    """The one channel the fake serves: who it is, how it is set up, and what it holds.

    Every resource handler shares it; ``lock`` (the server's) guards the records.
    """

    def __init__(self, lock: threading.RLock, now: Callable[[], datetime], *, title: str,
                 verified: bool, lock_private_uploads: bool) -> None:
        self.lock = lock
        self.now = now
        self.id = new_id("UC", 22)
        self.title = title
        #: False: thumbnails.set answers 403 forbidden, channels.list says longUploadsStatus
        #: "eligible" (phone verification missing).
        self.verified = verified
        #: True: every upload is stored private (the unverified-project lock, gone 2026-11-02).
        self.lock_private_uploads = lock_private_uploads
        #: True: videos.insert answers 400 uploadLimitExceeded (the channel's 24 h cap).
        self.upload_limit_exceeded = False
        #: True: thumbnails.set answers 429 uploadRateLimitExceeded (too many thumbnails in
        #: the past 24 hours).
        self.thumbnail_limit_exceeded = False
        #: True: once a video is processed, captions.list also shows YouTube's automatic
        #: (speech recognition) track in the video's audio language, as YouTube does.
        self.asr_captions = True
        self.videos: dict[str, FakeVideo] = {}
        self.playlists: dict[str, FakePlaylist] = {}
        self.captions: dict[str, FakeCaption] = {}

    @property
    def uploads_playlist_id(self) -> str:
        return "UU" + self.id[2:]
