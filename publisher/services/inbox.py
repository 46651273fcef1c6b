"""The home's folders for files that come through the console (`[web]` in publisher.toml):
the inbox, whose files an organizer may pick instead of uploading, and the media folder,
where uploads are written.

Nothing outside the inbox can be picked: a name with `..`, an absolute one, or a link that
leads out of it is refused (the path is resolved, links followed, before it is compared).
"""

from __future__ import annotations

import enum
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.errors import InputError

if TYPE_CHECKING:
    from publisher.app import App

#: At most this many files are offered from the inbox (the newest first is no help: by name).
MAX_LISTED = 2000


class FileKind(enum.StrEnum):
    VIDEO = "video"
    IMAGE = "image"
    CAPTIONS = "captions"


#: The names each kind of pick offers (the checks of publisher/media.py decide what is
#: accepted; this only keeps the lists short).
SUFFIXES = {
    FileKind.VIDEO: frozenset({".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".mpg",
                               ".mpeg", ".mts", ".m2ts", ".flv", ".wmv", ".3gp"}),
    FileKind.IMAGE: frozenset({".jpg", ".jpeg", ".png"}),
    FileKind.CAPTIONS: frozenset({".srt", ".vtt"}),
}


def inbox_folder(app: App) -> Path:
    return app.home.path / app.config.web.inbox


def media_folder(app: App) -> Path:
    return app.home.path / app.config.web.media


def max_upload_bytes(app: App) -> int:
    return app.config.web.max_upload_mib * 1024 * 1024


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or path.is_relative_to(folder)


def inbox_files(app: App, kind: FileKind) -> list[str]:
    """The inbox's files of `kind`, as paths relative to it (`/` between folders), sorted;
    links that lead out of the inbox are left out."""
    inbox = inbox_folder(app)
    if not inbox.is_dir():
        return []
    root = inbox.resolve()
    found: list[str] = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith(".") or Path(name).suffix.casefold() not in SUFFIXES[kind]:
                continue
            path = Path(folder) / name
            real = path.resolve()
            if _inside(real, root) and real.is_file():
                found.append(path.relative_to(root).as_posix())
        if len(found) >= MAX_LISTED:
            break
    return sorted(found)[:MAX_LISTED]


def pick(app: App, relative: str, field: str) -> Path:
    """The inbox's file named `relative` (as `inbox_files` gives it), resolved; InputError
    (naming `field`) if it is not a file inside the inbox."""
    inbox = inbox_folder(app).resolve()
    if not relative or "\x00" in relative or Path(relative).is_absolute() \
            or ".." in Path(relative).parts:
        raise InputError(f"{field}: {relative!r} is not a file in the inbox folder ({inbox})")
    real = (inbox / relative).resolve()
    if not _inside(real, inbox) or real == inbox:
        raise InputError(f"{field}: {relative!r} leads outside the inbox folder ({inbox})")
    if not real.is_file():
        raise InputError(f"{field}: {relative!r} is not a file in the inbox folder ({inbox})")
    return real


_UNSAFE = re.compile(r"[^\w.\-]+")


def upload_name(filename: str) -> str:
    """A file name for an upload, from the one the browser sent: its last part, letters,
    digits, `.`, `-` and `_` only, no leading dot, at most 120 characters."""
    base = re.split(r"[/\\]", filename)[-1]
    safe = _UNSAFE.sub("-", base).lstrip(".-")[:120]
    return safe or "upload"


def fresh_path(folder: Path, filename: str) -> Path:
    """A path in `folder` for `filename` that no file has yet (`name-2.mp4`, …)."""
    name = upload_name(filename)
    stem, suffix = os.path.splitext(name)
    candidate = folder / name
    number = 2
    while candidate.exists():
        candidate = folder / f"{stem}-{number}{suffix}"
        number += 1
        if number > 10_000:
            candidate = folder / f"{stem}-{secrets.token_hex(6)}{suffix}"
    return candidate
