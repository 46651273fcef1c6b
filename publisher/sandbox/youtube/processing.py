"""What happens to a video after its upload: scripted processing, and what time does
(a due ``publishAt`` makes a processed private video public)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from publisher.sandbox.youtube.facts import Outcome
from publisher.sandbox.youtube.wire import parse_rfc3339

if TYPE_CHECKING:
    from publisher.sandbox.youtube.model import FakeVideo


@dataclass
class ProcessingScript:
    """What processing does to an uploaded video, as seen through ``videos.list``."""

    outcome: Outcome = "succeeded"
    #: ``videos.list`` answers that still say "processing" before the outcome shows.
    polls: int = 1
    #: ``status.failureReason`` when failed (conversion, invalidFile, emptyFile, tooSmall,
    #: codec, uploadAborted).
    failure_reason: str = "conversion"
    #: ``processingDetails.processingFailureReason`` when failed.
    processing_failure_reason: str = "transcodeFailed"
    #: ``status.rejectionReason`` when rejected (claim, copyright, duplicate, ...).
    rejection_reason: str = "duplicate"


class Processing:
    """Hands each new upload its script and moves videos along. Not locked itself: callers
    hold the server's lock."""

    def __init__(self, default: ProcessingScript, now: Callable[[], datetime]) -> None:
        #: The script of an upload nobody scripted.
        self.default = default
        self._now = now
        self._queue: list[ProcessingScript] = []

    def script_next_upload(self, script: ProcessingScript) -> None:
        self._queue.append(script)

    def script_for_upload(self, size: int) -> ProcessingScript:
        """The script of an upload that has just completed with ``size`` bytes (an empty
        file always fails)."""
        script = self._queue.pop(0) if self._queue else replace(self.default)
        if size == 0:
            script = ProcessingScript("failed", script.polls, "emptyFile", "uploadFailed")
        return script

    @staticmethod
    def rescript(video: FakeVideo, script: ProcessingScript) -> None:
        """Processing starts over for an existing video, with this script."""
        video.processing = script
        video.polls_seen = 0
        video.version += 1

    @staticmethod
    def finish(video: FakeVideo) -> None:
        """Make the video's scripted outcome visible now."""
        video.polls_seen = max(video.polls_seen, video.processing.polls)
        video.version += 1

    def poll(self, video: FakeVideo) -> None:
        """A ``videos.list`` answer has shown the video: one poll nearer its outcome."""
        if not video.processing_done:
            video.polls_seen += 1
            self.advance(video)

    def advance(self, video: FakeVideo) -> None:
        """Apply what time does: a due publishAt publishes a processed private video."""
        publish_at = parse_rfc3339(video.status.get("publishAt"))
        if (video.privacy_status == "private" and publish_at is not None
                and publish_at <= self._now() and video.upload_status == "processed"):
            video.status["privacyStatus"] = "public"
            del video.status["publishAt"]
            video.ever_published = True
            video.version += 1
        elif video.privacy_status in ("public", "unlisted") and \
                video.upload_status == "processed":
            video.ever_published = True
