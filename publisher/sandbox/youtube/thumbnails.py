"""``thumbnails.set`` (a media upload), and the thumbnail URLs every resource shows."""

from __future__ import annotations

from typing import Any

from publisher.sandbox.http import Drop, Request, Response
from publisher.sandbox.youtube.errors import ApiError, required_parameter
from publisher.sandbox.youtube.facts import THUMBNAIL_MAX_BYTES, MediaKind
from publisher.sandbox.youtube.gate import ApiGate
from publisher.sandbox.youtube.model import Channel, FakeVideo
from publisher.sandbox.youtube.storage import MediaSink
from publisher.sandbox.youtube.uploads import MediaUploads
from publisher.sandbox.youtube.wire import etag

_SIZES = {"default": (120, 90), "medium": (320, 180), "high": (480, 360)}
_CUSTOM_SIZES = {"standard": (640, 480), "maxres": (1280, 720)}
_NAMES = {"default": "default", "medium": "mqdefault", "high": "hqdefault",
          "standard": "sddefault", "maxres": "maxresdefault"}


def thumbnail_urls(video: FakeVideo) -> dict[str, Any]:
    """``snippet.thumbnails``: the larger sizes only once a custom thumbnail was set."""
    sizes = dict(_SIZES)
    if video.thumbnail_sha256 is not None or video.thumbnails_set:
        sizes.update(_CUSTOM_SIZES)
    return {key: {"url": f"https://i.ytimg.com/vi/{video.id}/{_NAMES[key]}.jpg",
                  "width": w, "height": h} for key, (w, h) in sizes.items()}


class Thumbnails:
    """``thumbnails.set``: a JPEG or PNG for an existing video of a verified channel; 429
    ``uploadRateLimitExceeded`` while the channel is over YouTube's thumbnails-per-24-hours
    limit (:meth:`~.server.FakeYouTube.exceed_thumbnail_limit`)."""

    kind: MediaKind = "thumbnail"
    method = "youtube.thumbnails.set"
    max_bytes = THUMBNAIL_MAX_BYTES
    valid_types = "[image/jpeg, image/png, application/octet-stream]"

    def __init__(self, channel: Channel, gate: ApiGate, uploads: MediaUploads) -> None:
        self._channel = channel
        self._gate = gate
        self._uploads = uploads
        uploads.register(self)

    def handle_set(self, request: Request) -> Response | Drop:
        self._gate.begin(request, self.method)
        video_id = request.param("videoId")
        if not video_id:
            raise required_parameter("videoId")
        with self._channel.lock:
            if video_id not in self._channel.videos:
                raise ApiError(404, "videoNotFound", "The video that you are trying to set a "
                               "thumbnail for cannot be found.", domain="youtube.thumbnail",
                               location="videoId")
            if not self._channel.verified:
                raise ApiError(403, "forbidden", "The authenticated user doesn't have "
                               "permissions to upload and set custom video thumbnails.",
                               domain="youtube.thumbnail")
            if self._channel.thumbnail_limit_exceeded:
                raise ApiError(429, "uploadRateLimitExceeded", domain="youtube.thumbnail")
        return self._uploads.start(request, self, None)

    @staticmethod
    def accepts(mime: str) -> bool:
        return mime in ("image/jpeg", "image/png", "application/octet-stream")

    @staticmethod
    def prepare(metadata: Any, request: Request) -> Any:
        return {"videoId": request.param("videoId")}

    def create(self, prepared: Any, part: str | None, mime: str, sink: MediaSink, *,
               bytes_received: int, upload_type: str,
               session_id: str | None) -> tuple[dict[str, Any], str]:
        video_id = str(prepared["videoId"])
        if sink.size == 0:
            raise ApiError(400, "mediaBodyRequired", "The request does not include the image "
                           "content.", domain="youtube.thumbnail")
        if sink.head.startswith(b"\xff\xd8\xff"):
            kind = "image/jpeg"
        elif sink.head.startswith(b"\x89PNG\r\n\x1a\n"):
            kind = "image/png"
        else:
            raise ApiError(400, "invalidImage", "The provided image content is invalid.",
                           domain="youtube.thumbnail")
        with self._channel.lock:
            video = self._channel.videos[video_id]
            video.thumbnail_sha256 = sink.sha256
            video.thumbnail_size = sink.size
            video.thumbnail_mime = kind
            video.thumbnails_set += 1
            video.version += 1
            thumbs = thumbnail_urls(video)
        return ({"kind": "youtube#thumbnailSetResponse", "etag": etag(video_id, sink.sha256),
                 "items": [thumbs]}, video_id)
