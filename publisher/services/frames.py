"""A picture of an interview for the console: its thumbnail if it has one, else a frame of
its video extracted with PyAV, cached in the home (`.cache/frames/SHA256.jpg`, named by the
video's hash, never by anything a visitor sends) so each video is decoded once.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App

CACHE_DIR = Path(".cache") / "frames"
#: The frame is taken this far into the video (at most): past a fade from black.
FRAME_AT_S = 3.0
#: The frame's longest side, in pixels (the page shows it small).
FRAME_MAX_SIDE = 640
_SHA256 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Picture:
    data: bytes
    content_type: str   # image/jpeg or image/png


def picture_of(app: App, interview_id: int) -> Picture | None:
    """The interview's picture; None when it has neither a readable thumbnail nor a video
    a frame can be taken from. NotFoundError for an unknown id."""
    from publisher import queue as q
    from publisher.media import MediaError, check_thumbnail, read_bytes_file
    from publisher.platforms.youtube import limits

    with app.transaction(needs_config=False) as session:
        item = q.get(session, interview_id)
        thumbnail, video, sha = item.thumbnail_path, item.video_path, item.video_sha256
        duration = item.video_duration_s
    if thumbnail:
        try:
            mime = check_thumbnail(Path(thumbnail))
            data = read_bytes_file(Path(thumbnail), limits.THUMBNAIL_MAX_BYTES,
                                   "YouTube's limit for a thumbnail")
            return Picture(data, mime)
        except MediaError:
            pass  # gone or changed since it was queued: a frame of the video instead
    if not _SHA256.fullmatch(sha or ""):
        return None
    cached = app.home.path / CACHE_DIR / f"{sha}.jpg"
    if cached.is_file():
        return Picture(cached.read_bytes(), "image/jpeg")
    frame = extract_frame(Path(video), min(FRAME_AT_S, (duration or 0.0) / 2))
    if frame is None:
        return None
    _write_atomically(cached, frame)
    return Picture(frame, "image/jpeg")


def extract_frame(video: Path, at_s: float) -> bytes | None:
    """One frame of `video` near `at_s` seconds, as a JPEG no larger than FRAME_MAX_SIDE;
    None when the file cannot be read."""
    import av

    try:
        with av.open(str(video), metadata_errors="ignore") as container:
            streams = container.streams.video
            if not streams:
                return None
            stream = streams[0]
            if at_s > 0 and stream.time_base is not None:
                try:
                    container.seek(int(at_s / stream.time_base), stream=stream,
                                   backward=True, any_frame=False)
                except av.error.FFmpegError:
                    container.seek(0)
            for frame in container.decode(stream):
                image = frame.to_image()  # type: ignore[no-untyped-call]
                image.thumbnail((FRAME_MAX_SIDE, FRAME_MAX_SIDE))
                out = io.BytesIO()
                image.convert("RGB").save(out, "JPEG", quality=85)
                return out.getvalue()
    except (OSError, av.error.FFmpegError, ValueError):
        return None
    return None


def _write_atomically(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
