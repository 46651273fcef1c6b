"""The `videos.insert` body: everything from the queue entry, rendered and checked.

Upload as private with `publishAt` = the slot when the video should end public: YouTube
itself makes it public on time, so a machine that is off at the slot loses nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from publisher.platforms.youtube import limits


@dataclass(frozen=True)
class VideoMeta:
    """What YouTube needs to know about one video (settings already defaulted)."""

    title: str
    description: str
    tags: tuple[str, ...]
    category_id: str
    language: str
    privacy: str  # the privacy it should end with
    made_for_kids: bool
    synthetic_media: bool
    license: str
    recording_date: dt.date | None = None
    localizations: dict[str, tuple[str, str]] = field(default_factory=dict)
    embeddable: bool = True


def rfc3339(moment: dt.datetime) -> str:
    """UTC, whole seconds, with a Z: the form YouTube documents for publishAt."""
    if moment.tzinfo is None:
        raise ValueError("publishAt needs a timezone-aware datetime")
    return moment.astimezone(dt.UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def insert_body(meta: VideoMeta, publish_at: dt.datetime | None) -> tuple[dict[str, Any], str]:
    """The resource and the `part` list for videos.insert."""
    status: dict[str, Any] = {
        "selfDeclaredMadeForKids": meta.made_for_kids,
        "containsSyntheticMedia": meta.synthetic_media,
        "license": meta.license,
        "embeddable": meta.embeddable,
    }
    if publish_at is not None and meta.privacy == "public":
        status["privacyStatus"] = "private"
        status["publishAt"] = rfc3339(publish_at)
    elif publish_at is not None:
        # publishAt only ever makes a video public; an unlisted target is set at release.
        status["privacyStatus"] = "private"
    else:
        status["privacyStatus"] = meta.privacy
    body: dict[str, Any] = {
        "snippet": {
            "title": meta.title,
            "description": meta.description,
            "tags": list(meta.tags),
            "categoryId": meta.category_id,
            "defaultLanguage": meta.language,
            "defaultAudioLanguage": meta.language,
        },
        "status": status,
    }
    parts = ["snippet", "status"]
    if meta.recording_date is not None:
        body["recordingDetails"] = {
            "recordingDate": f"{meta.recording_date.isoformat()}T00:00:00.000Z"}
        parts.append("recordingDetails")
    if meta.localizations:
        body["localizations"] = {lang: {"title": t, "description": d}
                                 for lang, (t, d) in sorted(meta.localizations.items())}
        parts.append("localizations")
    problems = limits.check_title(meta.title) + limits.check_description(meta.description)
    problems += limits.check_tags(meta.tags)
    if problems:
        raise ValueError("; ".join(problems))
    return body, ",".join(parts)
