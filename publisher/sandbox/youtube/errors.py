"""Error answers in Google's JSON shape, and the messages YouTube gives for its reasons."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from publisher.sandbox.http import Response

#: YouTube's message for a reason, where the fake does not give its own.
MESSAGES = {
    "invalidTitle": "The request metadata specifies an invalid or empty video title.",
    "invalidDescription": "The request metadata specifies an invalid video description.",
    "invalidTags": "The request metadata specifies invalid video keywords.",
    "invalidCategoryId": "The <code>snippet.categoryId</code> property specifies an invalid "
                         "category ID. Use the <code><a href=\"/youtube/v3/docs/videoCategories/"
                         "list\">videoCategories.list</a></code> method to retrieve supported "
                         "categories.",
    "invalidPublishAt": "The request metadata specifies an invalid scheduled publishing time.",
    "invalidRecordingDetails": "The <code>recordingDetails</code> object in the request "
                               "metadata specifies invalid recording details.",
    "invalidVideoMetadata": "The request metadata is invalid.",
    "defaultLanguageNotSetError": "The request is trying to add localized video details "
                                  "without specifying the default language of the video "
                                  "details.",
    "mediaBodyRequired": "The request does not include the video content.",
    "uploadLimitExceeded": "The user has exceeded the number of videos they may upload.",
    "uploadRateLimitExceeded": "The channel has uploaded too many thumbnails recently. "
                               "Please try the request again later.",
    "quotaExceeded": "The request cannot be completed because you have exceeded your "
                     "<a href=\"/youtube/v3/getting-started#quota\">quota</a>.",
}


class ApiError(Exception):
    """An error answer in Google's JSON shape::

        {"error": {"code": 403, "message": "...",
                   "errors": [{"message": "...", "domain": "youtube.quota",
                               "reason": "quotaExceeded"}]}}
    """

    def __init__(self, status: int, reason: str, message: str | None = None, *,
                 domain: str = "global", location: str | None = None,
                 location_type: str | None = None,
                 headers: Iterable[tuple[str, str]] = ()) -> None:
        self.status = status
        self.reason = reason
        self.message = message if message is not None else MESSAGES.get(reason, reason)
        self.domain = domain
        self.location = location
        self.location_type = location_type
        self.headers = list(headers)
        super().__init__(f"{status} {reason}: {self.message}")

    def payload(self) -> dict[str, Any]:
        item: dict[str, Any] = {"message": self.message, "domain": self.domain,
                                "reason": self.reason}
        if self.location is not None:
            item["location"] = self.location
            item["locationType"] = self.location_type or "parameter"
        return {"error": {"code": self.status, "message": self.message, "errors": [item]}}

    def response(self) -> Response:
        return Response.json(self.status, self.payload(), self.headers)


def video_error(reason: str, status: int = 400) -> ApiError:
    """An error about a video resource (domain ``youtube.video``), with YouTube's message."""
    return ApiError(status, reason, domain="youtube.video")


def required_parameter(name: str) -> ApiError:
    return ApiError(400, "required", f"Required parameter: {name}", location=name,
                    location_type="parameter")


def missing_filter(expected: str) -> ApiError:
    """A list call given none of the parameters that select what to list."""
    return ApiError(400, "missingRequiredParameter", f"No filter selected. Expected one of: "
                    f"{expected}", domain="youtube.parameter", location="parameters.",
                    location_type="other")
