"""YouTube's field limits, as data, and the checks that apply them.

Sources: the videos resource reference and the thumbnails.set reference
(see shared/platform-facts/youtube-api.md §2 and §4).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

TITLE_MAX_CHARS = 100
DESCRIPTION_MAX_BYTES = 5000
TAGS_MAX_CHARS = 500
HASHTAGS_MAX = 60  # more than this on one video and YouTube ignores all of them
HASHTAGS_SHOWN_ABOVE_TITLE = 3
VIDEO_MAX_BYTES = 256 * 1024**3
VIDEO_MAX_SECONDS = 12 * 3600
THUMBNAIL_MAX_BYTES = 50 * 1024 * 1024  # 2 MB until the 2026-09-14 revision
THUMBNAIL_MIME_TYPES = ("image/jpeg", "image/png")
CAPTION_MAX_BYTES = 100 * 1024 * 1024
FORBIDDEN_CHARS = ("<", ">")
PRIVACY_STATUSES = ("private", "unlisted", "public")
LICENSES = ("youtube", "creativeCommon")


def title_length(title: str) -> int:
    """The title's length, counted the stricter of code points and UTF-16 units.

    YouTube does not document which one "characters" means; counting both keeps us safe.
    """
    # surrogatepass: an undecodable byte (reported by check_title) must not crash the count.
    utf16_units = len(title.encode("utf-16-le", "surrogatepass")) // 2
    return max(len(title), utf16_units)


def tags_length(tags: Sequence[str]) -> int:
    """Characters the tags use, the YouTube way.

    A comma between tags counts, and a tag with a space is counted as if quoted (+2).
    """
    if not tags:
        return 0
    return sum(len(t) + (2 if " " in t else 0) for t in tags) + len(tags) - 1


def forbidden_chars(text: str) -> list[str]:
    return [ch for ch in FORBIDDEN_CHARS if ch in text]


def unpublishable_chars(what: str, text: str, *, allowed_controls: str = "") -> list[str]:
    """Problems with characters no text field can carry: undecodable bytes and controls.

    A byte that was not UTF-8 (a terminal or file in another encoding) reaches Python as a
    lone surrogate, which cannot be encoded for YouTube nor stored; control characters such
    as NUL cannot be published either (and PostgreSQL refuses NUL in text).
    """
    problems = []
    undecodable = [i for i, ch in enumerate(text) if unicodedata.category(ch) == "Cs"]
    if undecodable:
        problems.append(f"{what} is not valid UTF-8 text: character {undecodable[0] + 1} comes "
                        "from a byte in another encoding (check the terminal's or the file's "
                        "encoding, which must be UTF-8)")
    controls = sorted({ch for ch in text
                       if unicodedata.category(ch) == "Cc" and ch not in allowed_controls})
    if controls:
        shown = ", ".join(f"U+{ord(ch):04X}" for ch in controls)
        problems.append(f"{what} contains control characters ({shown}), which cannot be "
                        "published; remove them")
    return problems


def check_title(title: str) -> list[str]:
    """Problems with a rendered title (empty list when it is valid)."""
    problems = []
    if not title.strip():
        problems.append("title is empty")
    length = title_length(title)
    if length > TITLE_MAX_CHARS:
        problems.append(f"title is {length} characters, over YouTube's limit of "
                        f"{TITLE_MAX_CHARS} by {length - TITLE_MAX_CHARS}: {title!r}")
    bad = forbidden_chars(title)
    if bad:
        problems.append(f"title contains {' and '.join(repr(c) for c in bad)}, which YouTube "
                        f"does not accept: {title!r}")
    problems += unpublishable_chars("title", title)
    return problems


def check_description(description: str) -> list[str]:
    problems = []
    size = len(description.encode("utf-8", "surrogatepass"))
    if size > DESCRIPTION_MAX_BYTES:
        problems.append(f"description is {size} bytes (UTF-8), over YouTube's limit of "
                        f"{DESCRIPTION_MAX_BYTES} bytes by {size - DESCRIPTION_MAX_BYTES} "
                        "(accented letters count 2 bytes, emoji 4)")
    bad = forbidden_chars(description)
    if bad:
        problems.append(f"description contains {' and '.join(repr(c) for c in bad)}, which "
                        "YouTube does not accept")
    problems += unpublishable_chars("description", description, allowed_controls="\t\n\r")
    return problems


def check_tags(tags: Sequence[str]) -> list[str]:
    problems = []
    length = tags_length(tags)
    if length > TAGS_MAX_CHARS:
        problems.append(f"tags use {length} characters counted the YouTube way (commas count, "
                        f"a tag with a space counts 2 more), over the limit of {TAGS_MAX_CHARS} "
                        f"by {length - TAGS_MAX_CHARS}; use fewer hashtags or speakers' names")
    for tag in tags:
        problems += unpublishable_chars(f"tag {tag!r} (from a hashtag or a speaker's name)", tag)
    return problems
