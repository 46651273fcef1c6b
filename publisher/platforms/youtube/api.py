"""The YouTube calls the pipeline makes, each classified into our error kinds.

Nothing here retries a call that changes the world: inserts (playlist items, captions) are
made safe to repeat by looking first (`playlist_has`, `has_caption`), which is how the
pipeline reconciles after a crash or an unknown outcome. Every call attempt, refused ones
included, is reported to `charge` for the quota ledger.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.platforms.youtube.errors import classify

WATCH_URL = "https://www.youtube.com/watch?v={id}"
#: YouTube's limit on a caption track's name (`nameTooLong` beyond it).
CAPTION_NAME_MAX_CHARS = 150


def watch_url(video_id: str) -> str:
    return WATCH_URL.format(id=video_id)


def caption_name(title: str, language: str) -> str:
    """The name publisher gives the caption track it uploads: how it knows the track again."""
    return f"{title} ({language})"[:CAPTION_NAME_MAX_CHARS]


@dataclass(frozen=True)
class ListedCaption:
    """One of a video's caption tracks, as `captions.list` shows it."""

    language: str
    name: str
    #: `snippet.trackKind`: "standard" (uploaded), "ASR" (YouTube's speech recognition; the
    #: API answers it in lower case too) or "forced". Missing means "standard".
    kind: str
    id: str = ""
    #: `snippet.lastUpdated` (RFC 3339, whole seconds), when YouTube gives it.
    last_updated: str | None = None

    @property
    def uploaded(self) -> bool:
        return self.kind.casefold() == "standard"


@dataclass
class YouTubeApi:
    service: Any
    http: Any
    charge: Callable[[str], None] = lambda method: None
    now: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))

    def _call(self, method: str, request: Any) -> Any:
        self.charge(method)
        try:
            return request.execute(http=self.http, num_retries=0)
        except Exception as exc:
            raise classify(exc, self.now(), what=method) from None

    def get_video(self, video_id: str) -> dict[str, Any] | None:
        """The video as YouTube holds it (status, processing, snippet), or None if gone."""
        result = self._call("videos.list", self.service.videos().list(
            part="snippet,status,processingDetails", id=video_id))
        items = result.get("items") or []
        return dict(items[0]) if items else None

    def read_video(self, video_id: str, parts: str) -> dict[str, Any] | None:
        """The video with the given parts (a correction reads it back first), or None."""
        result = self._call("videos.list", self.service.videos().list(part=parts, id=video_id))
        items = result.get("items") or []
        return dict(items[0]) if items else None

    def update_video(self, body: dict[str, Any], parts: str) -> dict[str, Any]:
        """`videos.update`: replaces every mutable property of each part named (see
        platforms/youtube/fields.py for the read-modify-write that keeps the others)."""
        return dict(self._call("videos.update", self.service.videos().update(
            part=parts, body=body)))

    def channel_status(self) -> dict[str, Any]:
        """The authorised channel's status part. `longUploadsStatus` "allowed" means the
        channel is verified, which custom thumbnails also require."""
        result = self._call("channels.list", self.service.channels().list(
            part="status", mine=True))
        items = result.get("items") or []
        return dict(items[0].get("status") or {}) if items else {}

    def set_privacy(self, video: dict[str, Any], privacy: str) -> None:
        """Change privacy with a full status part (videos.update replaces whole parts)."""
        status = dict(video.get("status") or {})
        status["privacyStatus"] = privacy
        status.pop("publishAt", None)
        for read_only in ("uploadStatus", "failureReason", "rejectionReason", "madeForKids"):
            status.pop(read_only, None)
        self._call("videos.update", self.service.videos().update(
            part="status", body={"id": video["id"], "status": status}))

    def set_thumbnail(self, video_id: str, path: Path, mimetype: str) -> None:
        from googleapiclient.http import MediaFileUpload

        self._call("thumbnails.set", self.service.thumbnails().set(
            videoId=video_id, media_body=MediaFileUpload(str(path), mimetype=mimetype)))

    def find_playlist(self, title: str) -> str | None:
        token = None
        while True:
            result = self._call("playlists.list", self.service.playlists().list(
                part="snippet", mine=True, maxResults=50, pageToken=token))
            for item in result.get("items") or []:
                if (item.get("snippet") or {}).get("title") == title:
                    return str(item["id"])
            token = result.get("nextPageToken")
            if not token:
                return None

    def create_playlist(self, title: str, privacy: str = "public") -> str:
        result = self._call("playlists.insert", self.service.playlists().insert(
            part="snippet,status",
            body={"snippet": {"title": title}, "status": {"privacyStatus": privacy}}))
        return str(result["id"])

    def playlist_has(self, playlist_id: str, video_id: str) -> bool:
        result = self._call("playlistItems.list", self.service.playlistItems().list(
            part="snippet", playlistId=playlist_id, videoId=video_id, maxResults=50))
        return any(((i.get("snippet") or {}).get("resourceId") or {}).get("videoId") == video_id
                   for i in result.get("items") or [])

    def add_to_playlist(self, playlist_id: str, video_id: str) -> None:
        self._call("playlistItems.insert", self.service.playlistItems().insert(
            part="snippet", body={"snippet": {
                "playlistId": playlist_id,
                "resourceId": {"kind": "youtube#video", "videoId": video_id}}}))

    def caption_tracks(self, video_id: str) -> list[ListedCaption]:
        result = self._call("captions.list", self.service.captions().list(
            part="snippet", videoId=video_id))
        tracks = []
        for item in result.get("items") or []:
            snippet = item.get("snippet") or {}
            tracks.append(ListedCaption(language=str(snippet.get("language") or ""),
                                       name=str(snippet.get("name") or ""),
                                       kind=str(snippet.get("trackKind") or "standard"),
                                       id=str(item.get("id") or ""),
                                       last_updated=snippet.get("lastUpdated")))
        return tracks

    @staticmethod
    def ours(tracks: list[ListedCaption], language: str, name: str) -> ListedCaption | None:
        """Our track among `tracks`: uploaded ("standard"), in `language`, named `name`.
        YouTube's automatic (ASR) and forced tracks are never ours, whatever their name."""
        return next((t for t in tracks if t.uploaded
                     and t.language.casefold() == language.casefold()
                     and t.name == name[:CAPTION_NAME_MAX_CHARS]), None)

    def has_caption(self, video_id: str, language: str, name: str) -> bool:
        """Whether the video already holds our track: an uploaded ("standard") track in
        `language` named `name`. YouTube adds its own automatic track (trackKind ASR, no
        name) while it processes a video; that one, or a forced one, is never ours."""
        return self.ours(self.caption_tracks(video_id), language, name) is not None

    def insert_caption(self, video_id: str, language: str, path: Path, name: str) -> None:
        from googleapiclient.http import MediaFileUpload

        self._call("captions.insert", self.service.captions().insert(
            part="snippet",
            body={"snippet": {"videoId": video_id, "language": language,
                              "name": name[:CAPTION_NAME_MAX_CHARS],
                              "isDraft": False}},
            media_body=MediaFileUpload(str(path), mimetype="application/octet-stream")))

    def update_caption(self, caption_id: str, path: Path) -> None:
        """`captions.update` with a new file: the track keeps its id, language and name."""
        from googleapiclient.http import MediaFileUpload

        self._call("captions.update", self.service.captions().update(
            part="snippet", body={"id": caption_id, "snippet": {"isDraft": False}},
            media_body=MediaFileUpload(str(path), mimetype="application/octet-stream")))

    def delete_caption(self, caption_id: str) -> None:
        self._call("captions.delete", self.service.captions().delete(id=caption_id))

    def playlist_items(self, playlist_id: str, video_id: str) -> list[str]:
        """The ids of the playlist's items that are this video (none, one, or repeats)."""
        result = self._call("playlistItems.list", self.service.playlistItems().list(
            part="snippet", playlistId=playlist_id, videoId=video_id, maxResults=50))
        return [str(i["id"]) for i in result.get("items") or []
                if ((i.get("snippet") or {}).get("resourceId") or {}).get("videoId")
                == video_id]

    def remove_playlist_item(self, item_id: str) -> None:
        self._call("playlistItems.delete", self.service.playlistItems().delete(id=item_id))
