"""``channels.list`` (the one channel the fake serves) and ``videoCategories.list``."""

from __future__ import annotations

from typing import Any

from publisher.sandbox.http import Request, Response
from publisher.sandbox.youtube.errors import missing_filter
from publisher.sandbox.youtube.facts import VIDEO_CATEGORIES
from publisher.sandbox.youtube.gate import ApiGate
from publisher.sandbox.youtube.model import Channel
from publisher.sandbox.youtube.wire import check_parts, etag, parse_parts

_CHANNEL_PARTS = {"auditDetails", "brandingSettings", "contentDetails", "contentOwnerDetails",
                  "id", "localizations", "snippet", "statistics", "status", "topicDetails"}


class Channels:
    """The channel as ``channels.list`` shows it, and the categories its videos may take."""

    def __init__(self, channel: Channel, gate: ApiGate) -> None:
        self._channel = channel
        self._gate = gate

    def handle_list(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.channels.list")
        parts = parse_parts(request.param("part"))
        check_parts(parts, _CHANNEL_PARTS)
        mine = request.param("mine") == "true"
        ids = (request.param("id") or "").split(",")
        items = []
        if mine or self._channel.id in ids:
            items.append(self._resource(set(parts)))
        elif ids == [""] and not request.param("forHandle") \
                and not request.param("forUsername"):
            raise missing_filter("forUsername, id, mine, forHandle, managedByMe, categoryId, "
                                 "mySubscribers")
        return Response.json(200, {"kind": "youtube#channelListResponse",
                                   "etag": etag("channels", len(items)),
                                   "pageInfo": {"totalResults": len(items),
                                                "resultsPerPage": 5},
                                   "items": items})

    def _resource(self, parts: set[str]) -> dict[str, Any]:
        channel = self._channel
        resource: dict[str, Any] = {"kind": "youtube#channel", "etag": etag(channel.id),
                                    "id": channel.id}
        if "snippet" in parts:
            resource["snippet"] = {"title": channel.title, "description": "",
                                   "customUrl": "@sandbox",
                                   "publishedAt": "2020-01-01T00:00:00Z", "thumbnails": {},
                                   "localized": {"title": channel.title, "description": ""}}
        if "contentDetails" in parts:
            resource["contentDetails"] = {"relatedPlaylists": {
                "likes": "", "uploads": channel.uploads_playlist_id}}
        if "status" in parts:
            resource["status"] = {
                "privacyStatus": "public", "isLinked": True,
                "longUploadsStatus": "allowed" if channel.verified else "eligible",
                "madeForKids": False}
        if "statistics" in parts:
            with channel.lock:
                count = len(channel.videos)
            resource["statistics"] = {"viewCount": "0", "subscriberCount": "0",
                                      "hiddenSubscriberCount": False,
                                      "videoCount": str(count)}
        return resource

    def handle_video_categories(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.videoCategories.list")
        check_parts(parse_parts(request.param("part")), {"id", "snippet"})
        wanted = request.param("id")
        ids = wanted.split(",") if wanted else list(VIDEO_CATEGORIES)
        items = [{"kind": "youtube#videoCategory", "etag": etag("cat", cid), "id": cid,
                  "snippet": {"title": VIDEO_CATEGORIES[cid], "assignable": True,
                              "channelId": "UCBR8-60-B28hp2BmDPdntcQ"}}
                 for cid in ids if cid in VIDEO_CATEGORIES]
        return Response.json(200, {"kind": "youtube#videoCategoryListResponse",
                                   "etag": etag("categories", ids), "items": items})
