"""``playlists.list``/``insert`` and ``playlistItems.list``/``insert``/``delete`` (the
channel's uploads playlist included, newest first)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from publisher.sandbox.http import Request, Response
from publisher.sandbox.youtube.errors import ApiError, missing_filter, required_parameter
from publisher.sandbox.youtube.gate import ApiGate
from publisher.sandbox.youtube.metadata import check_playlist
from publisher.sandbox.youtube.model import Channel, FakePlaylist, FakePlaylistItem
from publisher.sandbox.youtube.thumbnails import thumbnail_urls
from publisher.sandbox.youtube.wire import (
    check_parts,
    etag,
    new_id,
    page,
    parse_parts,
    read_metadata,
    rfc3339,
)

_PLAYLIST_NOT_FOUND = ("The playlist identified with the request's <code>playlistId</code> "
                       "parameter cannot be found.")


class Playlists:
    """The channel's own playlists."""

    def __init__(self, channel: Channel, gate: ApiGate) -> None:
        self._channel = channel
        self._gate = gate

    def handle_list(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.playlists.list")
        parts = parse_parts(request.param("part"))
        check_parts(parts, {"id", "snippet", "status", "contentDetails", "player",
                            "localizations"})
        channel = self._channel
        with channel.lock:
            playlists = list(channel.playlists.values())
            if request.param("id"):
                wanted = (request.param("id") or "").split(",")
                playlists = [p for p in playlists if p.id in wanted]
            elif request.param("mine") == "true" or request.param("channelId") == channel.id:
                pass
            elif request.param("channelId"):
                playlists = []
            else:
                raise missing_filter("id, mine, channelId")
            items = [self._resource(p, parts) for p in playlists]
        return Response.json(200, page(items, request, "youtube#playlistListResponse"))

    def handle_insert(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.playlists.insert")
        parts = parse_parts(request.param("part"))
        check_parts(parts, {"id", "snippet", "status", "contentDetails", "localizations"})
        body = read_metadata(request)
        title, description, privacy = check_playlist(body)
        with self._channel.lock:
            playlist = FakePlaylist(new_id("PL", 32), title, description, privacy, body,
                                    self._channel.now())
            self._channel.playlists[playlist.id] = playlist
            return Response.json(200, self._resource(playlist, parts))

    def _resource(self, playlist: FakePlaylist, parts: Iterable[str]) -> dict[str, Any]:
        parts = set(parts)
        resource: dict[str, Any] = {"kind": "youtube#playlist",
                                    "etag": etag(playlist.id, len(playlist.items)),
                                    "id": playlist.id}
        if "snippet" in parts:
            resource["snippet"] = {
                "publishedAt": rfc3339(playlist.created_at), "channelId": self._channel.id,
                "title": playlist.title, "description": playlist.description,
                "thumbnails": {}, "channelTitle": self._channel.title,
                "localized": {"title": playlist.title, "description": playlist.description}}
        if "status" in parts:
            resource["status"] = {"privacyStatus": playlist.privacy_status}
        if "contentDetails" in parts:
            resource["contentDetails"] = {"itemCount": len(playlist.items)}
        return resource


class PlaylistItems:
    """The videos in a playlist, in order."""

    def __init__(self, channel: Channel, gate: ApiGate) -> None:
        self._channel = channel
        self._gate = gate

    def handle_insert(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.playlistItems.insert")
        parts = parse_parts(request.param("part"))
        check_parts(parts, {"id", "snippet", "contentDetails", "status"})
        body = read_metadata(request)
        snippet = body.get("snippet") if isinstance(body, dict) else None
        if not isinstance(snippet, dict) or not snippet.get("playlistId"):
            raise ApiError(400, "playlistIdRequired", "The request does not specify a value "
                           "for the required <code>playlistId</code> property.",
                           domain="youtube.playlistItem")
        resource = snippet.get("resourceId")
        if not isinstance(resource, dict) or resource.get("kind") != "youtube#video" \
                or not resource.get("videoId"):
            raise ApiError(400, "invalidResourceType", "The type specified for the resource "
                           "is invalid.", domain="youtube.playlistItem")
        channel = self._channel
        with channel.lock:
            playlist = channel.playlists.get(str(snippet["playlistId"]))
            if playlist is None:
                raise ApiError(404, "playlistNotFound", _PLAYLIST_NOT_FOUND,
                               domain="youtube.playlistItem", location="playlistId")
            video = channel.videos.get(str(resource["videoId"]))
            if video is None:
                raise ApiError(404, "videoNotFound", "The video that you are trying to add to "
                               "the playlist cannot be found.", domain="youtube.playlistItem")
            item = FakePlaylistItem(new_id("UEx", 40), playlist.id, video.id, body,
                                    channel.now())
            position = snippet.get("position")
            if isinstance(position, int) and 0 <= position <= len(playlist.items):
                playlist.items.insert(position, item)
            else:
                playlist.items.append(item)
            video.playlists.append(playlist.id)
            return Response.json(200, self._resource(item, playlist.items.index(item), parts))

    def handle_delete(self, request: Request) -> Response:
        """``playlistItems.delete`` (50 units): 204; 404 ``playlistItemNotFound`` for an id
        in none of the channel's playlists (one already deleted included)."""
        self._gate.begin(request, "youtube.playlistItems.delete")
        item_id = request.param("id")
        if not item_id:
            raise required_parameter("id")
        channel = self._channel
        with channel.lock:
            for playlist in channel.playlists.values():
                item = next((i for i in playlist.items if i.id == item_id), None)
                if item is None:
                    continue
                playlist.items.remove(item)
                video = channel.videos.get(item.video_id)
                if video is not None and playlist.id in video.playlists:
                    video.playlists.remove(playlist.id)
                return Response.empty(204)
            if item_id.startswith("UU"):  # the uploads playlist is YouTube's own
                raise ApiError(403, "playlistItemsNotAccessible", "The request is not "
                               "properly authorized to delete the specified playlist item.",
                               domain="youtube.playlistItem")
        raise ApiError(404, "playlistItemNotFound", "The playlist item identified with the "
                       "request's <code>id</code> parameter cannot be found.",
                       domain="youtube.playlistItem", location="id")

    def handle_list(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.playlistItems.list")
        parts = parse_parts(request.param("part"))
        check_parts(parts, {"id", "snippet", "contentDetails", "status"})
        playlist_id = request.param("playlistId")
        channel = self._channel
        with channel.lock:
            if playlist_id == channel.uploads_playlist_id:
                newest_first = sorted(channel.videos.values(), key=lambda v: v.uploaded_at,
                                      reverse=True)
                entries = [FakePlaylistItem("UU" + v.id, playlist_id, v.id, {}, v.uploaded_at)
                           for v in newest_first]
            elif playlist_id:
                playlist = channel.playlists.get(playlist_id)
                if playlist is None:
                    raise ApiError(404, "playlistNotFound", _PLAYLIST_NOT_FOUND,
                                   domain="youtube.playlistItem", location="playlistId")
                entries = list(playlist.items)
            else:
                raise missing_filter("id, playlistId")
            video_filter = request.param("videoId")
            items = [self._resource(e, i, parts) for i, e in enumerate(entries)
                     if video_filter is None or e.video_id == video_filter]
        return Response.json(200, page(items, request, "youtube#playlistItemListResponse"))

    def _resource(self, item: FakePlaylistItem, position: int,
                  parts: Iterable[str]) -> dict[str, Any]:
        parts = set(parts)
        channel = self._channel
        video = channel.videos.get(item.video_id)
        resource: dict[str, Any] = {"kind": "youtube#playlistItem",
                                    "etag": etag(item.id, position), "id": item.id}
        if "snippet" in parts:
            resource["snippet"] = {
                "publishedAt": rfc3339(item.added_at), "channelId": channel.id,
                "title": video.title if video else "Deleted video",
                "description": str(video.snippet.get("description", "")) if video else "",
                "thumbnails": thumbnail_urls(video) if video else {},
                "channelTitle": channel.title, "playlistId": item.playlist_id,
                "position": position,
                "resourceId": {"kind": "youtube#video", "videoId": item.video_id},
                "videoOwnerChannelTitle": channel.title,
                "videoOwnerChannelId": channel.id}
        if "contentDetails" in parts:
            resource["contentDetails"] = {"videoId": item.video_id}
        if "status" in parts:
            resource["status"] = {"privacyStatus": video.privacy_status if video else "private"}
        return resource
