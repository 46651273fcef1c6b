"""``videos.insert`` (a media upload: its metadata, and the video it creates), ``videos.list``,
``videos.update``, and the video resource as the API shows it."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from publisher.sandbox.http import Drop, Request, Response
from publisher.sandbox.youtube.errors import ApiError, missing_filter, video_error
from publisher.sandbox.youtube.facts import VIDEO_MAX_BYTES, VIDEO_PARTS, MediaKind
from publisher.sandbox.youtube.gate import ApiGate
from publisher.sandbox.youtube.metadata import check_video
from publisher.sandbox.youtube.model import Channel, FakeVideo
from publisher.sandbox.youtube.processing import Processing
from publisher.sandbox.youtube.storage import MediaSink
from publisher.sandbox.youtube.thumbnails import thumbnail_urls
from publisher.sandbox.youtube.uploads import MediaUploads
from publisher.sandbox.youtube.wire import (
    check_parts,
    etag,
    new_id,
    parse_parts,
    read_metadata,
    rfc3339,
)

#: The properties a client may set (videos.update's reference); the rest is YouTube's.
WRITABLE_SNIPPET = frozenset({"title", "description", "tags", "categoryId", "defaultLanguage",
                              "defaultAudioLanguage"})
WRITABLE_STATUS = frozenset({"privacyStatus", "publishAt", "license", "embeddable",
                             "publicStatsViewable", "selfDeclaredMadeForKids",
                             "containsSyntheticMedia"})


class Videos:
    """The videos of the channel, through the API."""

    kind: MediaKind = "video"
    method = "youtube.videos.insert"
    max_bytes = VIDEO_MAX_BYTES
    valid_types = "[video/*, application/octet-stream]"

    def __init__(self, channel: Channel, gate: ApiGate, uploads: MediaUploads,
                 processing: Processing) -> None:
        self._channel = channel
        self._gate = gate
        self._uploads = uploads
        self._processing = processing
        uploads.register(self)

    # ---- videos.insert ---------------------------------------------------------------------

    def handle_insert(self, request: Request) -> Response | Drop:
        self._gate.begin(request, self.method)
        parts = parse_parts(request.param("part"))
        check_parts(parts, VIDEO_PARTS)
        with self._channel.lock:
            if self._channel.upload_limit_exceeded:
                raise video_error("uploadLimitExceeded")
        return self._uploads.start(request, self, ",".join(parts))

    @staticmethod
    def accepts(mime: str) -> bool:
        return mime.startswith("video/") or mime == "application/octet-stream"

    @staticmethod
    def prepare(metadata: Any, request: Request) -> Any:
        if metadata is None:
            metadata = {}
        if not isinstance(metadata, dict):
            raise video_error("invalidVideoMetadata")
        parts = parse_parts(request.param("part"))
        return check_video(metadata, parts, existing=None)

    def create(self, prepared: Any, part: str | None, mime: str, sink: MediaSink, *,
               bytes_received: int, upload_type: str,
               session_id: str | None) -> tuple[dict[str, Any], str]:
        channel = self._channel
        with channel.lock:
            video_id = new_id()
            while video_id in channel.videos:
                video_id = new_id()
            script = self._processing.script_for_upload(sink.size)
            status = dict(prepared["status"])
            status.setdefault("privacyStatus", "public")
            if channel.lock_private_uploads:
                status["privacyStatus"] = "private"
            snippet = dict(prepared["snippet"])
            snippet.setdefault("title", "unknown")
            snippet.setdefault("categoryId", "22")
            path = None
            if sink.path is not None:
                path = sink.path.with_name(f"{video_id}.bin")
                sink.path.replace(path)
            video = FakeVideo(
                id=video_id, metadata=prepared["raw"], parts=tuple((part or "").split(",")),
                snippet=snippet, status=status,
                localizations=dict(prepared["localizations"] or {}),
                recording_details=dict(prepared["recordingDetails"] or {}),
                mime_type=mime, size=sink.size, sha256=sink.sha256,
                bytes_received=bytes_received, upload_type=upload_type,
                uploaded_at=channel.now(), processing=script, session_id=session_id,
                path=path)
            if status["privacyStatus"] in ("public", "unlisted"):
                video.ever_published = True
            channel.videos[video_id] = video
            return self.resource(video, video.parts), video.id

    # ---- videos.list / videos.update -------------------------------------------------------

    def handle_list(self, request: Request) -> Response:
        self._gate.begin(request, "youtube.videos.list")
        parts = parse_parts(request.param("part"))
        check_parts(parts, VIDEO_PARTS)
        ids_param = request.param("id")
        if ids_param is None:
            if request.param("chart") or request.param("myRating"):
                raise ApiError(400, "badRequest", "The sandbox supports videos.list by id only.")
            raise missing_filter("myRating, chart, id")
        ids = [i.strip() for i in ids_param.split(",") if i.strip()]
        items = []
        with self._channel.lock:
            for video_id in ids:
                video = self._channel.videos.get(video_id)
                if video is None:
                    continue
                self._processing.advance(video)
                items.append(self.resource(video, parts))
                self._processing.poll(video)
        return Response.json(200, {
            "kind": "youtube#videoListResponse", "etag": etag("videos", ids, time.time()),
            "items": items,
            "pageInfo": {"totalResults": len(items), "resultsPerPage": len(items)}})

    def handle_update(self, request: Request) -> Response:
        """``videos.update`` as the reference describes it (50 units): each writable part
        named in ``part`` is *replaced* — a mutable property the body leaves out is removed
        (a privacy left out reverts to the default, ``public``; a publishAt left out is
        unscheduled) — and a part the body does not name is left alone, whatever the body
        holds for it. Updating ``snippet`` needs ``snippet.title`` and
        ``snippet.categoryId`` (else ``invalidVideoMetadata``, a snippet missing from the
        body included); an unknown part is ``unknownPart``; a part with nothing writable
        (``statistics``…) is only echoed in the answer."""
        self._gate.begin(request, "youtube.videos.update")
        parts = parse_parts(request.param("part"))
        check_parts(parts, VIDEO_PARTS)
        body = read_metadata(request)
        if not isinstance(body, dict):
            raise video_error("invalidVideoMetadata")
        video_id = body.get("id")
        if not video_id:
            raise ApiError(400, "videoNotFound", "The request must specify the video id.",
                           domain="youtube.video")
        channel = self._channel
        with channel.lock:
            video = channel.videos.get(str(video_id))
            if video is None:
                raise ApiError(404, "videoNotFound", "The video that you are trying to update "
                               "cannot be found. Check the value of the <code>id</code> field "
                               "in the request body to ensure that it is correct.",
                               domain="youtube.video")
            self._processing.advance(video)
            if "snippet" in parts and not isinstance(body.get("snippet"), dict):
                raise video_error("invalidVideoMetadata")
            checked = check_video(body, parts, existing=video)
            video.updates.append(body)
            if "snippet" in parts:
                video.snippet = {k: v for k, v in checked["snippet"].items()
                                 if k in WRITABLE_SNIPPET}
            if "status" in parts:
                new_status = {k: v for k, v in checked["status"].items()
                              if k in WRITABLE_STATUS}
                new_status.setdefault("privacyStatus", "public")
                # The made-for-kids designation stays until the owner declares otherwise.
                if "selfDeclaredMadeForKids" in video.status:
                    new_status.setdefault("selfDeclaredMadeForKids",
                                          video.status["selfDeclaredMadeForKids"])
                if channel.lock_private_uploads and not video.ever_published:
                    new_status["privacyStatus"] = video.privacy_status
                video.status = new_status
                if new_status["privacyStatus"] in ("public", "unlisted") and \
                        video.upload_status == "processed":
                    video.ever_published = True
            if "localizations" in parts:
                video.localizations = dict(checked["localizations"] or {})
            if "recordingDetails" in parts:
                video.recording_details = dict(checked["recordingDetails"] or {})
            video.version += 1
            self._processing.advance(video)
            return Response.json(200, self.resource(video, parts))

    # ---- the resource ----------------------------------------------------------------------

    def resource(self, video: FakeVideo, parts: Iterable[str]) -> dict[str, Any]:
        parts = set(parts)
        resource: dict[str, Any] = {"kind": "youtube#video",
                                    "etag": etag(video.id, video.version), "id": video.id}
        if "snippet" in parts:
            snippet = {"publishedAt": rfc3339(video.uploaded_at),
                       "channelId": self._channel.id,
                       "title": video.snippet.get("title", ""),
                       "description": video.snippet.get("description", ""),
                       "thumbnails": thumbnail_urls(video),
                       "channelTitle": self._channel.title}
            for key in ("tags", "categoryId", "defaultLanguage", "defaultAudioLanguage"):
                if key in video.snippet:
                    snippet[key] = video.snippet[key]
            snippet["liveBroadcastContent"] = "none"
            snippet["localized"] = {"title": snippet["title"],
                                    "description": snippet["description"]}
            resource["snippet"] = snippet
        if "status" in parts:
            resource["status"] = _status(video)
        if "processingDetails" in parts:
            resource["processingDetails"] = _processing_details(video)
        if "localizations" in parts and video.localizations:
            resource["localizations"] = video.localizations
        if "recordingDetails" in parts:
            resource["recordingDetails"] = video.recording_details
        if "fileDetails" in parts:
            resource["fileDetails"] = {"fileSize": str(video.size), "fileType": "video"}
        if "contentDetails" in parts:
            resource["contentDetails"] = {
                "duration": "PT0S", "dimension": "2d", "definition": "hd",
                "caption": "true" if video.captions else "false", "licensedContent": False,
                "contentRating": {}, "projection": "rectangular"}
        if "statistics" in parts:
            resource["statistics"] = {"viewCount": "0", "likeCount": "0",
                                      "favoriteCount": "0", "commentCount": "0"}
        if "suggestions" in parts:
            errors = ["notAVideoFile"] if video.upload_status == "failed" else []
            resource["suggestions"] = {"processingErrors": errors} if errors else {}
        if "player" in parts:
            resource["player"] = {"embedHtml": f'<iframe src="//www.youtube.com/embed/'
                                               f'{video.id}"></iframe>'}
        return resource


def _status(video: FakeVideo) -> dict[str, Any]:
    status: dict[str, Any] = {"uploadStatus": video.upload_status}
    if video.upload_status == "failed":
        status["failureReason"] = video.processing.failure_reason
    if video.upload_status == "rejected":
        status["rejectionReason"] = video.processing.rejection_reason
    status["privacyStatus"] = video.privacy_status
    if video.publish_at is not None:
        status["publishAt"] = video.publish_at
    status["license"] = video.status.get("license", "youtube")
    status["embeddable"] = video.status.get("embeddable", True)
    status["publicStatsViewable"] = video.status.get("publicStatsViewable", True)
    made_for_kids = video.status.get("selfDeclaredMadeForKids")
    status["madeForKids"] = bool(made_for_kids)
    if made_for_kids is not None:
        status["selfDeclaredMadeForKids"] = made_for_kids
    if "containsSyntheticMedia" in video.status:
        status["containsSyntheticMedia"] = video.status["containsSyntheticMedia"]
    return status


def _processing_details(video: FakeVideo) -> dict[str, Any]:
    details: dict[str, Any] = {"processingStatus": video.processing_status}
    if video.processing_status == "processing":
        done = 1000 * video.polls_seen // max(video.processing.polls, 1)
        details["processingProgress"] = {"partsTotal": "1000",
                                         "partsProcessed": str(done),
                                         "timeLeftMs": str(1000 * (1000 - done))}
    elif video.processing_status == "failed":
        details["processingFailureReason"] = video.processing.processing_failure_reason
    details.update({"fileDetailsAvailability": "available",
                    "processingIssuesAvailability": "available",
                    "tagSuggestionsAvailability": "available",
                    "editorSuggestionsAvailability": "available",
                    "thumbnailsAvailability": "available"})
    return details
