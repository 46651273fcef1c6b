"""The YouTube fields a correction can change, as data: where each lives in the video
resource, how it is read back, and the `videos.update` that changes some of them.

`videos.update` replaces every mutable property of each part it names: a property left out
is cleared (a privacy left out even reverts to the default). So an update is a
read-modify-write of whole parts: the part as `videos.list` returned it, its read-only
properties dropped, our fields set, everything else sent back as it was.

Values are plain JSON (str, bool, list, dict, None), so that they can be stored, compared
and shown: tags a list, localizations `{lang: {"title", "description"}}`, the recording
date `YYYY-MM-DD`, publishAt `YYYY-MM-DDTHH:MM:SSZ`.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from publisher.platforms.youtube.metadata import VideoMeta, insert_body, rfc3339


class Field(enum.StrEnum):
    TITLE = "title"
    DESCRIPTION = "description"
    TAGS = "tags"
    CATEGORY = "category"
    DEFAULT_LANGUAGE = "default_language"
    LOCALIZATIONS = "localizations"
    LICENSE = "license"
    EMBEDDABLE = "embeddable"
    MADE_FOR_KIDS = "made_for_kids"
    SYNTHETIC_MEDIA = "synthetic_media"
    RECORDING_DATE = "recording_date"
    PRIVACY = "privacy"
    PUBLISH_AT = "publish_at"


#: The parts a correction reads (`videos.list`) and may write (`videos.update`).
READ_PARTS = "snippet,status,recordingDetails,localizations"

# Properties YouTube sets itself: never sent back in an update.
_READ_ONLY = {
    "snippet": frozenset({"publishedAt", "channelId", "thumbnails", "channelTitle",
                          "liveBroadcastContent", "localized"}),
    "status": frozenset({"uploadStatus", "failureReason", "rejectionReason", "madeForKids"}),
    "recordingDetails": frozenset(),
}


def _publish_at(value: Any) -> str | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return rfc3339(moment)


def _localizations(value: Any) -> dict[str, dict[str, str]]:
    if not isinstance(value, Mapping):
        return {}
    return {str(lang): {"title": str((loc or {}).get("title", "")),
                        "description": str((loc or {}).get("description", ""))}
            for lang, loc in sorted(value.items())}


def _made_for_kids(status: Mapping[str, Any]) -> bool:
    # The owner reads back what they declared; others only YouTube's verdict.
    value = status.get("selfDeclaredMadeForKids", status.get("madeForKids", False))
    return bool(value)


@dataclass(frozen=True)
class FieldSpec:
    field: Field
    label: str  # as organizers read it
    part: str   # the resource part it lives in
    read: Callable[[Mapping[str, Any]], Any]  # from a video resource
    write: Callable[[dict[str, Any], Any], None]  # into that part (a dict), for an update


def _get(part: str) -> Callable[[Mapping[str, Any]], dict[str, Any]]:
    return lambda resource: dict(resource.get(part) or {})


def _setter(key: str) -> Callable[[dict[str, Any], Any], None]:
    def write(part: dict[str, Any], value: Any) -> None:
        if value is None:
            part.pop(key, None)
        else:
            part[key] = value
    return write


def _set_language(part: dict[str, Any], value: Any) -> None:
    # The upload sets both from the interview's language; a correction keeps them together.
    part["defaultLanguage"] = value
    part["defaultAudioLanguage"] = value


def _set_recording_date(part: dict[str, Any], value: Any) -> None:
    if value is None:
        part.pop("recordingDate", None)
    else:
        part["recordingDate"] = f"{value}T00:00:00.000Z"


def _set_localizations(part: dict[str, Any], value: Any) -> None:
    part.clear()
    part.update(value or {})


_snippet, _status = _get("snippet"), _get("status")

SPECS: tuple[FieldSpec, ...] = (
    FieldSpec(Field.TITLE, "title", "snippet",
              lambda r: str(_snippet(r).get("title", "")), _setter("title")),
    FieldSpec(Field.DESCRIPTION, "description", "snippet",
              lambda r: str(_snippet(r).get("description", "")), _setter("description")),
    FieldSpec(Field.TAGS, "tags", "snippet",
              lambda r: list(_snippet(r).get("tags") or []), _setter("tags")),
    FieldSpec(Field.CATEGORY, "category", "snippet",
              lambda r: _snippet(r).get("categoryId"), _setter("categoryId")),
    FieldSpec(Field.DEFAULT_LANGUAGE, "default language", "snippet",
              lambda r: _snippet(r).get("defaultLanguage"), _set_language),
    FieldSpec(Field.LOCALIZATIONS, "localizations", "localizations",
              lambda r: _localizations(r.get("localizations")), _set_localizations),
    FieldSpec(Field.LICENSE, "license", "status",
              lambda r: _status(r).get("license", "youtube"), _setter("license")),
    FieldSpec(Field.EMBEDDABLE, "embeddable", "status",
              lambda r: bool(_status(r).get("embeddable", True)), _setter("embeddable")),
    FieldSpec(Field.MADE_FOR_KIDS, "made for kids", "status",
              lambda r: _made_for_kids(_status(r)), _setter("selfDeclaredMadeForKids")),
    FieldSpec(Field.SYNTHETIC_MEDIA, "synthetic media", "status",
              lambda r: bool(_status(r).get("containsSyntheticMedia", False)),
              _setter("containsSyntheticMedia")),
    FieldSpec(Field.RECORDING_DATE, "recording date", "recordingDetails",
              lambda r: (str(_get("recordingDetails")(r).get("recordingDate") or "")[:10]
                         or None), _set_recording_date),
    FieldSpec(Field.PRIVACY, "privacy", "status",
              lambda r: _status(r).get("privacyStatus"), _setter("privacyStatus")),
    FieldSpec(Field.PUBLISH_AT, "scheduled publishing (publishAt)", "status",
              lambda r: _publish_at(_status(r).get("publishAt")), _setter("publishAt")),
)
SPEC: dict[Field, FieldSpec] = {s.field: s for s in SPECS}


def values_of(resource: Mapping[str, Any]) -> dict[Field, Any]:
    """Every correctable field of a video resource (as `videos.list` returns it)."""
    return {spec.field: spec.read(resource) for spec in SPECS}


def wanted(meta: VideoMeta, publish_at: dt.datetime | None) -> dict[Field, Any]:
    """What the video should hold: read from the very body an upload would send, so that a
    correction and an upload can never disagree on what a setting means."""
    body, _ = insert_body(meta, publish_at)
    return values_of(body)


def update_request(resource: Mapping[str, Any], changes: Mapping[Field, Any]
                   ) -> tuple[dict[str, Any], str]:
    """The `videos.update` body and `part` that set `changes` on the video `resource` (read
    with READ_PARTS) and keep every other property of each part it names."""
    parts = sorted({SPEC[f].part for f in changes})
    body: dict[str, Any] = {"id": resource["id"]}
    for part in parts:
        current = dict(resource.get(part) or {})
        body[part] = {k: v for k, v in current.items()
                      if k not in _READ_ONLY.get(part, frozenset())}
    for f, value in changes.items():
        SPEC[f].write(body[SPEC[f].part], value)
    status = body.get("status")
    if status is not None and status.get("publishAt") and \
            status.get("privacyStatus") != "private":
        status.pop("publishAt")  # publishAt only ever applies to a private video
    return body, ",".join(parts)


def shown(value: Any) -> str:
    """A field's value in one line, for people."""
    if value is None or value == [] or value == {}:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{lang}: {loc.get('title', '')}" if isinstance(loc, dict)
                         else f"{lang}: {loc}" for lang, loc in value.items())
    text = str(value)
    return text if len(text) <= 80 and "\n" not in text else \
        text.replace("\n", " ⏎ ")[:77] + "…"
