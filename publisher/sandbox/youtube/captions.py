"""``captions.insert`` and ``captions.update`` (media uploads), ``captions.list`` and
``captions.delete``.

Like YouTube, ``captions.list`` also shows the automatic track that speech recognition makes
once a video is processed: ``trackKind`` "asr", an empty ``name``, the video's audio
language. It is not an uploaded track (``FakeVideo.captions`` and ``FakeYouTube.captions``
hold only those), and a caption step that took it for the organizer's file would skip the
upload (issue 12, item 16).

``captions.update`` (450 units) replaces an uploaded track's file and ``captions.delete`` (50
units) removes it, as the reference documents: a track id the channel does not own —
YouTube's automatic track included, which no API call may change — answers 403
``forbidden``; an id that names no track, 404 ``captionNotFound``.
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
        #: The tracks ``captions.delete`` removed, in order (tests look at them).
        self.deleted: list[FakeCaption] = []

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
                upload_type=upload_type, path=path, last_updated=self._channel.now())
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

    def handle_delete(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.captions.delete")
        caption_id = request.param("id")
        if not caption_id:
            raise required_parameter("id")
        with self._channel.lock:
            caption = owned_track(self._channel, caption_id, "delete")
            del self._channel.captions[caption.id]
            video = self._channel.videos.get(caption.video_id)
            if video is not None:
                tracks = video.captions.get(caption.language, [])
                video.captions[caption.language] = [t for t in tracks if t.id != caption.id]
                if not video.captions[caption.language]:
                    del video.captions[caption.language]
                video.version += 1
            self.deleted.append(caption)
        return Response.empty(204)

    def _asr_tracks(self, video: FakeVideo) -> list[FakeCaption]:
        """YouTube's automatic track, once processing has succeeded (none before)."""
        if not (self._channel.asr_captions and video.processing_done
                and video.processing.outcome == "succeeded"):
            return []
        language = str(video.snippet.get("defaultAudioLanguage")
                       or video.snippet.get("defaultLanguage") or "en")
        return [FakeCaption(id=asr_track_id(video.id), video_id=video.id,
                            language=language, name="", is_draft=False, mime_type="",
                            size=0, sha256=None, metadata={}, upload_type="",
                            track_kind="asr")]

    def _resource(self, caption: FakeCaption) -> dict[str, Any]:
        return {"kind": "youtube#caption", "etag": etag(caption.id), "id": caption.id,
                "snippet": {"videoId": caption.video_id,
                            "lastUpdated": rfc3339(caption.last_updated
                                                   or self._channel.now()),
                            "trackKind": caption.track_kind, "language": caption.language,
                            "name": caption.name, "audioTrackType": "unknown",
                            "isCC": False, "isLarge": False, "isEasyReader": False,
                            "isDraft": caption.is_draft, "isAutoSynced": False,
                            "status": "serving"}}


def asr_track_id(video_id: str) -> str:
    """The id ``captions.list`` gives a video's automatic (speech recognition) track."""
    return "AUieDaASR" + etag("asr", video_id)[:24]


def owned_track(channel: Channel, caption_id: str, action: str) -> FakeCaption:
    """The channel's uploaded track `caption_id`, or the error YouTube answers: 403 for a
    track it may not change (YouTube's automatic one), 404 for no track at all."""
    caption = channel.captions.get(caption_id)
    if caption is not None:
        return caption
    if any(caption_id == asr_track_id(v) for v in channel.videos):
        raise ApiError(403, "forbidden", f"The permissions associated with the request are "
                       f"not sufficient to {action} the caption track. The request might "
                       "not be properly authorized.", domain="youtube.caption")
    raise ApiError(404, "captionNotFound", "The caption track could not be found. Check the "
                   "value of the request's <code>id</code> parameter to ensure that it is "
                   "correct.", domain="youtube.caption", location="id")


class CaptionUpdates:
    """``captions.update`` with a new file (a media upload to ``PUT /upload/…/captions``):
    the track keeps its id, language and name; its file and ``lastUpdated`` change."""

    kind: MediaKind = "caption_update"
    method = "youtube.captions.update"
    max_bytes = CAPTION_MAX_BYTES
    valid_types = "[*/*]"

    def __init__(self, channel: Channel, gate: ApiGate, uploads: MediaUploads,
                 captions: Captions) -> None:
        self._channel = channel
        self._gate = gate
        self._uploads = uploads
        self._captions = captions
        uploads.register(self)

    def handle_update(self, request: Request) -> Response | Drop:
        self._gate.begin(request, self.method)
        parts = parse_parts(request.param("part"))
        check_parts(parts, {"id", "snippet"})
        return self._uploads.start(request, self, ",".join(parts))

    @staticmethod
    def accepts(mime: str) -> bool:
        return True

    def prepare(self, metadata: Any, request: Request) -> Any:
        caption_id = metadata.get("id") if isinstance(metadata, dict) else None
        if not isinstance(caption_id, str) or not caption_id:
            raise ApiError(400, "invalidMetadata", "The request must specify the caption "
                           "track's id.", domain="youtube.caption")
        with self._channel.lock:
            owned_track(self._channel, caption_id, "update")
        return metadata

    def create(self, prepared: Any, part: str | None, mime: str, sink: MediaSink, *,
               bytes_received: int, upload_type: str,
               session_id: str | None) -> tuple[dict[str, Any], str]:
        if sink.size == 0:
            raise ApiError(400, "contentRequired", "The request did not upload an updated "
                           "caption file.", domain="youtube.caption")
        with self._channel.lock:
            caption = owned_track(self._channel, str(prepared["id"]), "update")
            if sink.path is not None:
                path = sink.path.with_name(f"{caption.id}.{caption.updates + 1}.caption")
                sink.path.replace(path)
                caption.path = path
            snippet = prepared.get("snippet") or {}
            if "isDraft" in snippet:
                caption.is_draft = bool(snippet["isDraft"])
            caption.size, caption.sha256, caption.mime_type = sink.size, sink.sha256, mime
            caption.last_updated = self._channel.now()
            caption.updates += 1
            video = self._channel.videos.get(caption.video_id)
            if video is not None:
                video.version += 1
        return self._captions._resource(caption), caption.id
