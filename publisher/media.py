"""Media at the door: probe a video with PyAV, hash it, check thumbnails and caption files.

Each check returns the facts or raises MediaError with a message an organizer can act on.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from publisher.platforms.youtube import limits

HASH_CHUNK = 1024 * 1024
# A file may end this much before the duration its header declares and still count as whole.
TRUNCATION_TOLERANCE_S = 1.0


class MediaError(ValueError):
    """A media file that cannot be accepted; the message names the file and the reason."""


@dataclass(frozen=True)
class VideoFacts:
    size: int
    sha256: str
    duration_s: float
    width: int
    height: int
    video_codec: str
    audio_codec: str | None
    container: str


def shown_path(path: Path | str) -> str:
    """A path as it may be printed: undecodable bytes and control characters escaped."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(f"\\x{ord(ch):02x}" if _is_control(ch) else ch for ch in text)


def _is_control(ch: str) -> bool:
    return unicodedata.category(ch) == "Cc"


def check_file_name(path: Path, what: str) -> None:
    """Refuse names the queue cannot store or print: NUL, control characters, not UTF-8."""
    name = os.fsencode(path)
    if b"\x00" in name:
        raise MediaError(f"{what} has a NUL byte in its name, which no file can have: "
                         f"{shown_path(path)}")
    try:
        name.decode("utf-8")
    except UnicodeDecodeError:
        # The queue stores paths as text: a name in another encoding cannot be kept.
        raise MediaError(f"{what} has a name that is not valid UTF-8 text (written in another "
                         f"encoding); rename the file: {shown_path(path)}") from None
    controls = sorted({ch for ch in os.fsdecode(name) if _is_control(ch)})
    if controls:
        codes = ", ".join(f"U+{ord(ch):04X}" for ch in controls)
        raise MediaError(f"{what} has control characters in its name ({codes}), which would "
                         f"garble any list that shows it; rename the file: {shown_path(path)}")


def _check_regular_readable(path: Path, what: str) -> int:
    """Return the size of a readable regular file, or raise MediaError saying what is wrong.

    Only stat() is used until the file is known to be a regular file: opening a FIFO or a
    device (a link to /dev/zero, say) could block or never end.
    """
    check_file_name(path, what)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise MediaError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise MediaError(f"{what} cannot be read: {path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise MediaError(f"{what} is a directory, not a file: {path}")
    if not stat.S_ISREG(st.st_mode):
        raise MediaError(f"{what} is not a regular file (it is {_file_kind(st.st_mode)}): "
                         f"{path}")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except PermissionError:
        raise MediaError(f"{what} is not readable (permission denied): {path}") from None
    except OSError as exc:
        raise MediaError(f"{what} cannot be read: {path}: {exc.strerror}") from None
    return st.st_size


def _file_kind(mode: int) -> str:
    kinds = ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))
    return next((name for test, name in kinds if test(mode)), "not a plain file")


def read_bytes_file(path: Path, max_bytes: int, limit_name: str) -> bytes:
    """Read a file the organizer names, safely: a FIFO or a device is refused without
    blocking, a file over `max_bytes` without reading it.

    Messages start lower-case, for the caller to put the field's name before them.
    """
    check_file_name(path, "the file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise MediaError(f"not found: {path}") from None
    except PermissionError:
        raise MediaError(f"not readable (permission denied): {path}") from None
    except OSError as exc:
        raise MediaError(f"cannot be read: {path}: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise MediaError(f"a directory, not a file: {path}")
        if not stat.S_ISREG(st.st_mode):
            raise MediaError(f"not a regular file (it is {_file_kind(st.st_mode)}): {path}")
        if st.st_size > max_bytes:
            raise MediaError(f"the file is {st.st_size:,} bytes, over {limit_name} "
                             f"({max_bytes:,} bytes): {path}")
        raw = fh.read(max_bytes + 1)
    if len(raw) > max_bytes:  # it grew while being read
        raise MediaError(f"the file is over {limit_name} ({max_bytes:,} bytes): {path}")
    return raw


def read_text_file(path: Path, max_bytes: int, limit_name: str) -> str:
    """A small UTF-8 text file (a description, say), read as read_bytes_file does; NUL or
    non-UTF-8 bytes are refused naming their byte offset, a leading byte order mark dropped.
    """
    raw = read_bytes_file(path, max_bytes, limit_name)
    problem = text_problem(raw)
    if problem:
        raise MediaError(f"{problem}: {path}")
    return raw.decode("utf-8").removeprefix("\ufeff")


def text_problem(raw: bytes) -> str | None:
    """Why these bytes are not UTF-8 text, naming the byte offset; None when they are."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return (f"not UTF-8 text (invalid byte 0x{raw[exc.start]:02X} at "
                f"{_offset(raw, exc.start)}); save it as UTF-8")
    nul = raw.find(b"\x00")
    if nul >= 0:
        return f"not text: it holds a NUL byte at {_offset(raw, nul)}"
    return None


def _offset(raw: bytes, offset: int) -> str:
    """'byte offset 27, line 2'."""
    line = raw.count(b"\n", 0, offset) + 1
    return f"byte offset {offset}, line {line}"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(HASH_CHUNK):
            digest.update(block)
    return digest.hexdigest()


def probe_video(path: Path) -> VideoFacts:
    """Check that the file is a whole, readable video within YouTube's limits; describe it."""
    size = _check_regular_readable(path, "video file")
    if size == 0:
        raise MediaError(f"video file is empty (0 bytes): {path}")
    if size > limits.VIDEO_MAX_BYTES:
        raise MediaError(f"video file is {size:,} bytes ({size / 1024**3:.2f} GiB), over "
                         f"YouTube's limit of 256 GB ({limits.VIDEO_MAX_BYTES:,} bytes): {path}")
    import av

    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.error.FFmpegError, UnicodeDecodeError) as exc:
        kind = _container_signature(path)
        if kind is not None:
            raise MediaError(f"video file is damaged or truncated: it starts like {kind} file "
                             f"but cannot be read ({_av_reason(exc)}); copy or export it "
                             f"again: {path}") from None
        raise MediaError(f"not a video file PyAV can read ({_av_reason(exc)}): {path}") from None
    try:
        with container:
            return _describe(container, path, size)
    except av.error.FFmpegError as exc:
        raise MediaError(f"video file is damaged or truncated ({_av_reason(exc)}): {path}"
                         ) from None


# Leading bytes of the containers organizers export: such a file that cannot be opened is
# a damaged or cut-off video, not some other kind of file.
_MP4_BOXES = (b"ftyp", b"moov", b"mdat", b"free", b"skip", b"wide", b"pnot")


def _container_signature(path: Path) -> str | None:
    """'an MP4/MOV', 'a Matroska/WebM', ... when the file starts like a known video container."""
    try:
        with path.open("rb") as fh:
            head = fh.read(16)
    except OSError:
        return None
    if head[4:8] in _MP4_BOXES:
        return "an MP4/MOV"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "a Matroska/WebM"
    if head.startswith(b"RIFF") and head[8:12] == b"AVI ":
        return "an AVI"
    if head.startswith(b"FLV"):
        return "an FLV"
    if head.startswith((b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")):
        return "an MPEG"
    return None


def _hms(seconds: float) -> str:
    total = int(seconds)
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02}:{s:02}"


def _av_reason(exc: Exception) -> str:
    return str(getattr(exc, "strerror", None) or exc).split(":")[0].strip() or type(exc).__name__


def _describe(container: object, path: Path, size: int) -> VideoFacts:
    import av

    assert isinstance(container, av.container.InputContainer)
    videos = [s for s in container.streams.video if not _is_cover_art(s)]
    if not videos:
        kinds: list[str] = sorted({str(s.type) for s in container.streams}) or ["no streams"]
        raise MediaError(f"no video stream in the file (found: {', '.join(kinds)}): {path}")
    vs = videos[0]
    audio = container.streams.audio[0] if container.streams.audio else None
    duration = _duration_s(container, vs)
    if duration is None or duration <= 0:
        raise MediaError(f"cannot tell the video's duration; the file may be truncated: {path}")
    if duration > limits.VIDEO_MAX_SECONDS:
        raise MediaError(f"video is {_hms(duration)} long (h:mm:ss), over YouTube's limit of "
                         f"12 hours ({_hms(limits.VIDEO_MAX_SECONDS)}): {path}")
    # Decode one frame: headers alone do not prove the stream is readable.
    decoded = False
    for frame in container.decode(vs):
        decoded = frame is not None
        break
    if not decoded:
        raise MediaError(f"no video frame could be decoded; the file is damaged: {path}")
    _check_not_truncated(container, vs, duration, path)
    return VideoFacts(size=size, sha256=sha256_file(path), duration_s=round(duration, 3),
                      width=int(vs.codec_context.width or 0),
                      height=int(vs.codec_context.height or 0),
                      video_codec=vs.codec_context.name,
                      audio_codec=audio.codec_context.name if audio is not None else None,
                      container=container.format.name)


def _is_cover_art(stream: object) -> bool:
    disposition = getattr(stream, "disposition", None)
    return bool(disposition is not None and "attached_pic" in str(disposition).lower())


def _duration_s(container: object, vs: object) -> float | None:
    c_dur = getattr(container, "duration", None)
    if c_dur:
        return float(c_dur) / 1_000_000
    s_dur, tb = getattr(vs, "duration", None), getattr(vs, "time_base", None)
    if s_dur and tb:
        return float(s_dur * tb)
    return None


def _check_not_truncated(container: object, vs: object, duration: float, path: Path) -> None:
    """Read the last seconds' packets: a cut-off file ends well before its declared duration."""
    import av

    assert isinstance(container, av.container.InputContainer)
    assert isinstance(vs, av.video.stream.VideoStream)
    tb = vs.time_base
    if tb is None:
        return
    start_s = float(vs.start_time * tb) if vs.start_time is not None else 0.0
    target = max(0.0, start_s + duration - 2.0)
    try:
        container.seek(int(target / tb), stream=vs, any_frame=False, backward=True)
    except av.error.FFmpegError:
        return
    last_end = None
    for packet in container.demux(vs):
        if packet.pts is None:
            continue
        end = float((packet.pts + (packet.duration or 0)) * tb)
        last_end = end if last_end is None else max(last_end, end)
    if last_end is None:
        raise MediaError(f"video file is truncated: no video data near its end: {path}")
    declared_end = start_s + duration
    # Streams of unequal length are normal; the video ending far before the file says is not.
    if last_end + TRUNCATION_TOLERANCE_S < declared_end - max(2.0, 0.05 * duration):
        raise MediaError(f"video file is truncated: its video stops at {last_end:.1f} s of the "
                         f"{duration:.1f} s it declares: {path}")


# --- thumbnails -------------------------------------------------------------------------------

_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}


def check_thumbnail(path: Path) -> str:
    """Return the thumbnail's MIME type; refuse anything but JPEG/PNG within YouTube's size."""
    size = _check_regular_readable(path, "thumbnail")
    if size == 0:
        raise MediaError(f"thumbnail is empty (0 bytes): {path}")
    if size > limits.THUMBNAIL_MAX_BYTES:
        raise MediaError(f"thumbnail is {size:,} bytes ({size / 1024**2:.2f} MiB), over "
                         f"YouTube's limit of {limits.THUMBNAIL_MAX_BYTES // 1024**2} MiB "
                         f"({limits.THUMBNAIL_MAX_BYTES:,} bytes): {path}")
    with path.open("rb") as fh:
        head = fh.read(8)
    for magic, mime in _IMAGE_MAGIC.items():
        if head.startswith(magic):
            return mime
    raise MediaError(f"thumbnail must be a JPEG or PNG image; this file is neither: {path}")


# --- captions ---------------------------------------------------------------------------------

_SRT_CUE = re.compile(r"^\d+\s*\r?\n\d{1,2}:\d{2}:\d{2}[,.]\d{3}\s*-->\s*"
                      r"\d{1,2}:\d{2}:\d{2}[,.]\d{3}", re.MULTILINE)
_VTT_TIMING = re.compile(r"(\d{1,2}:)?\d{2}:\d{2}\.\d{3}\s*-->\s*(\d{1,2}:)?\d{2}:\d{2}\.\d{3}")


def check_caption(path: Path) -> str:
    """Return 'srt' or 'vtt'; refuse files that are neither, or not UTF-8, or too large."""
    size = _check_regular_readable(path, "caption file")
    if size == 0:
        raise MediaError(f"caption file is empty (0 bytes): {path}")
    if size > limits.CAPTION_MAX_BYTES:
        raise MediaError(f"caption file is over YouTube's limit of 100 MB: {path}")
    raw = path.read_bytes()
    problem = text_problem(raw)
    if problem:
        raise MediaError(f"caption file is {problem}: {path}")
    text = raw.decode("utf-8").lstrip("\ufeff")
    if text.startswith("WEBVTT"):
        if not _VTT_TIMING.search(text):
            raise MediaError(f"WebVTT caption file has no timed cue: {path}")
        return "vtt"
    if _SRT_CUE.search(text.replace("\r\n", "\n")):
        return "srt"
    raise MediaError(f"caption file is neither SubRip (.srt) nor WebVTT (.vtt): {path}")


def is_valid_language(code: str) -> bool:
    """A BCP-47 tag whose subtags are registered (e.g. 'it', 'en-GB', 'pt-BR')."""
    import langcodes

    return bool(code) and bool(langcodes.tag_is_valid(code))

