"""``captions.insert`` (a media upload) and ``captions.list``.

Like YouTube, ``captions.list`` also shows the automatic track that speech recognition makes
once a video is processed: ``trackKind`` "asr", an empty ``name``, the video's audio
language. It is not an uploaded track (``FakeVideo.captions`` and ``FakeYouTube.captions``
hold only those), and a caption step that took it for the organizer's file would skip the
upload (issue 12, item 16).
"""

from __future__ import annotations

from typing import Any

from publisher.sandbox.http import Drop, Request, Response
from publisher.sandbox.youtube.errors import ApiError, required_parameter
from publisher.sandbox.youtube.facts import CAPTION_MAX_BYTES, CAPTION_NAME_MAX_CHARS, MediaKind
from publisher.sandbox.youtube.gate import ApiGate
from publisher.sandbox.youtube.model import Channel, FakeCaption, FakeVideo
from publisher.sandbox.youtube.storage import MediaSink
from publisher.sandbox.youtube.uploads import MediaUploads
from publisher.sandbox.youtube.wire import check_parts, etag, new_id, parse_parts, rfc3339


class Captions:
    """Caption tracks of the channel's videos, one per (video, language, name)."""

    kind: MediaKind = "caption"
    method = "youtube.captions.insert"
    max_bytes = CAPTION_MAX_BYTES
    valid_types = "[*/*]"

    def __init__(self, channel: Channel, gate: ApiGate, uploads: MediaUploads) -> None:
        self._channel = channel
        self._gate = gate
        self._uploads = uploads
        uploads.register(self)

    def handle_insert(self, request: Request) -> Response | Drop:
        self._gate.begin(request, self.method)
        parts = parse_parts(request.param("part"))
        check_parts(parts, {"id", "snippet"})
        return self._uploads.start(request, self, ",".join(parts))

    @staticmethod
    def accepts(mime: str) -> bool:
        return True

    def prepare(self, metadata: Any, request: Request) -> Any:
        if not isinstance(metadata, dict) or not isinstance(metadata.get("snippet"), dict):
            raise ApiError(400, "invalidMetadata", "The request contains invalid metadata "
                           "values, which prevent the track from being created.",
                           domain="youtube.caption")
        snippet = metadata["snippet"]
        video_id = snippet.get("videoId")
        if not isinstance(video_id, str) or not video_id:
            raise ApiError(400, "invalidMetadata", "snippet.videoId is required.",
                           domain="youtube.caption")
        with self._channel.lock:
            if video_id not in self._channel.videos:
                raise ApiError(404, "videoNotFound", "The video identified by the "
                               "<code>videoId</code> parameter could not be found.",
                               domain="youtube.caption")
            language = snippet.get("language")
            if not isinstance(language, str) or not language:
                raise ApiError(400, "invalidMetadata", "snippet.language is required.",
                               domain="youtube.caption")
            name = snippet.get("name", "")
            if not isinstance(name, str) or len(name) > CAPTION_NAME_MAX_CHARS:
                raise ApiError(400, "nameTooLong", "The <code>snippet.name</code> specified "
                               "in the request is too long.", domain="youtube.caption")
            for track in self._channel.videos[video_id].captions.get(language, []):
                if track.name == name:
                    raise ApiError(409, "captionExists", "The specified video already has a "
                                   "caption track with the given <code>snippet.language</code> "
                                   "and <code>snippet.name</code>.", domain="youtube.caption")
        return metadata

    def create(self, prepared: Any, part: str | None, mime: str, sink: MediaSink, *,
               bytes_received: int, upload_type: str,
               session_id: str | None) -> tuple[dict[str, Any], str]:
        if sink.size == 0:
            raise ApiError(400, "contentRequired", "The uploaded caption track does not "
                           "contain data.", domain="youtube.caption")
        snippet = prepared["snippet"]
        with self._channel.lock:
            caption_id = new_id("AUieDa", 30)
            path = None
            if sink.path is not None:
                path = sink.path.with_name(f"{caption_id}.caption")
                sink.path.replace(path)
            caption = FakeCaption(
                id=caption_id, video_id=snippet["videoId"], language=snippet["language"],
                name=snippet.get("name", ""), is_draft=bool(snippet.get("isDraft", False)),
                mime_type=mime, size=sink.size, sha256=sink.sha256, metadata=prepared,
                upload_type=upload_type, path=path)
            self._channel.captions[caption_id] = caption
            video = self._channel.videos[caption.video_id]
            video.captions.setdefault(caption.language, []).append(caption)
            video.version += 1
        return self._resource(caption), caption.id

    def handle_list(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.captions.list")
        check_parts(parse_parts(request.param("part")), {"id", "snippet"})
        video_id = request.param("videoId")
        if not video_id:
            raise required_parameter("videoId")
        with self._channel.lock:
            if video_id not in self._channel.videos:
                raise ApiError(404, "videoNotFound", "The video identified by the "
                               "<code>videoId</code> parameter could not be found.",
                               domain="youtube.caption", location="videoId")
            items = [self._resource(c) for c in self._asr_tracks(
                self._channel.videos[video_id])]
            items += [self._resource(c) for c in self._channel.captions.values()
                      if c.video_id == video_id]
        return Response.json(200, {"kind": "youtube#captionListResponse",
                                   "etag": etag("captions", video_id, len(items)),
                                   "items": items})

    def _asr_tracks(self, video: FakeVideo) -> list[FakeCaption]:
        """YouTube's automatic track, once processing has succeeded (none before)."""
        if not (self._channel.asr_captions and video.processing_done
                and video.processing.outcome == "succeeded"):
            return []
        language = str(video.snippet.get("defaultAudioLanguage")
                       or video.snippet.get("defaultLanguage") or "en")
        return [FakeCaption(id="AUieDaASR" + etag("asr", video.id)[:24], video_id=video.id,
                            language=language, name="", is_draft=False, mime_type="",
                            size=0, sha256=None, metadata={}, upload_type="",
                            track_kind="asr")]

    def _resource(self, caption: FakeCaption) -> dict[str, Any]:
        return {"kind": "youtube#caption", "etag": etag(caption.id), "id": caption.id,
                "snippet": {"videoId": caption.video_id,
                            "lastUpdated": rfc3339(self._channel.now()),
                            "trackKind": caption.track_kind, "language": caption.language,
                            "name": caption.name, "audioTrackType": "unknown",
                            "isCC": False, "isLarge": False, "isEasyReader": False,
                            "isDraft": caption.is_draft, "isAutoSynced": False,
                            "status": "serving"}}
