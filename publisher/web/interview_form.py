"""The add and edit form of an interview: what it shows, how its fields become the same
`InterviewSpec` as `publisher queue add` / `queue edit` options do, and each problem put next
to the field it names.

The checks themselves are publisher/queue.py's and publisher/queue_fields.py's; their
messages start with the field they are about (`video: …`, `title is …`, `speaker 2 …`,
`not-before: …`), which `field_of` reads. What only the form can get wrong (a role without a
name, a caption file without its language, a pick outside the inbox) is said here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.queue import InterviewSpec, SpeakerSpec
from publisher.web.uploads import Received

#: The fields a problem can be shown next to; "form" is the form as a whole.
FIELDS = ("video", "title", "speakers", "description", "hashtags", "language", "thumbnail",
          "captions", "not_before", "form")
SPEAKER_ROWS = 4     # empty rows offered at least (more when the interview has more)
CAPTION_ROWS = 3

#: Which field a problem of the app layer is about, by how its message starts.
_FIELD_OF = [
    (re.compile(r"^video\b"), "video"),
    (re.compile(r"^(the )?title\b|^localized \S+ title"), "title"),
    (re.compile(r"^speakers?\b"), "speakers"),
    (re.compile(r"^(the )?description|^localized \S+ description"), "description"),
    (re.compile(r"^(tags|hashtags?)\b|^\d+ hashtags|^YouTube shows only the first"),
     "hashtags"),
    (re.compile(r"^language\b"), "language"),
    (re.compile(r"^thumbnail\b"), "thumbnail"),
    (re.compile(r"^captions?\b|^caption file|^WebVTT"), "captions"),
    (re.compile(r"^not-before\b"), "not_before"),
]
#: Which field an uploaded file belongs to.
_FILE_FIELD = {"video_file": "video", "thumbnail_file": "thumbnail"}


def field_of(message: str) -> str:
    for pattern, name in _FIELD_OF:
        if pattern.search(message):
            return name
    return "form"


def file_field(name: str) -> str:
    return _FILE_FIELD.get(name, "captions" if name.startswith("caption_file_") else "form")


Problems = dict[str, list[str]]


def by_field(messages: list[str], own: Sequence[tuple[str, str]] = ()) -> Problems:
    """Each problem under the field it names (`own`: the form's, already by field); a
    field's "missing" is dropped when the field has a problem of its own (the form said why
    it is not there)."""
    out: Problems = {}
    for name, message in own:
        out.setdefault(name, []).append(message)
    for message in messages:
        name = field_of(message)
        if message.startswith(f"{name}: missing") and out.get(name):
            continue
        out.setdefault(name, []).append(message)
    return out


@dataclass
class FormValues:
    """What the form shows: an interview's values, or what was sent (after a refusal)."""

    title: str = ""
    speakers: list[tuple[str, str]] = field(default_factory=list)
    description: str = ""
    hashtags: str = ""
    language: str = ""
    not_before: str = ""
    video_inbox: str = ""
    thumbnail_inbox: str = ""
    no_thumbnail: bool = False
    captions: list[tuple[str, str]] = field(default_factory=list)  # (language, inbox pick)
    allow_duplicate: bool = False
    seen: str = ""      # the interview's updated_at when the edit form was made

    def speaker_rows(self) -> list[tuple[str, str]]:
        rows = list(self.speakers)
        return rows + [("", "")] * max(SPEAKER_ROWS - len(rows), 2 if len(rows) else 0)

    def caption_rows(self) -> list[tuple[str, str]]:
        rows = list(self.captions)
        return rows + [("", "")] * max(CAPTION_ROWS - len(rows), 1)


def values_of(data: dict[str, Any]) -> FormValues:
    """The form of an interview as it is (`services/queue_edits.editable`'s data)."""
    return FormValues(
        title=data["title"], description=data["description"] or "",
        speakers=[(s["name"], s["role"] or "") for s in data["speakers"]],
        hashtags=" ".join(data["hashtags"] or []), language=data["language"] or "",
        not_before=data["not_before_entered"], seen=data["updated_at_exact"])


def values_from(form: Received) -> FormValues:
    """What was sent, to show again."""
    names, roles = form.getlist("speaker_name"), form.getlist("speaker_role")
    speakers = [(n.strip(), (roles[i] if i < len(roles) else "").strip())
                for i, n in enumerate(names)]
    captions = [(form.get(f"caption_lang_{i}").strip(), form.get(f"caption_inbox_{i}"))
                for i in range(1, CAPTION_ROWS + 1)]
    return FormValues(
        title=form.get("title"), description=_text(form.get("description")),
        speakers=[s for s in speakers if s != ("", "")], hashtags=form.get("hashtags"),
        language=form.get("language").strip(), not_before=form.get("not_before").strip(),
        video_inbox=form.get("video_inbox"), thumbnail_inbox=form.get("thumbnail_inbox"),
        no_thumbnail=form.get("no_thumbnail") == "yes",
        captions=[c for c in captions if c != ("", "")],
        allow_duplicate=form.get("allow_duplicate") == "yes", seen=form.get("seen"))


def _text(raw: str) -> str:
    """A textarea's text as the CLI would have it: browsers send lines ended by CR LF."""
    return raw.replace("\r\n", "\n").replace("\r", "\n")


def _hashtags(raw: str) -> list[str]:
    return [h for h in re.split(r"[\s,]+", raw) if h]


@dataclass
class Built:
    spec: InterviewSpec
    problems: list[tuple[str, str]]   # what the form itself got wrong: (field, message)


def build_spec(form: Received, files: dict[str, Path], *,
               pick: Callable[[str, str], Path], gettext: Callable[[str], str],
               current: dict[str, Any] | None = None) -> Built:
    """The InterviewSpec the form says: for a new interview (`current` None) every field
    given; for an edit only those that differ from `current`. `files`: the uploads, stored,
    by field; `pick(relative, field)`: an inbox file (InputError when it is not one)."""
    from publisher.errors import InputError

    _ = gettext
    values = values_from(form)
    spec = InterviewSpec()
    problems: list[tuple[str, str]] = []
    new = current is None
    base: dict[str, Any] = current or {}

    def chosen(upload: str, inbox: str, name: str) -> Path | None:
        if upload in files:
            return files[upload]
        picked = form.get(inbox)
        if picked:
            try:
                return pick(picked, name)
            except InputError as exc:
                problems.append((name, str(exc)))
        return None

    if new or values.title != base["title"]:
        spec.title = values.title
    names, roles = form.getlist("speaker_name"), form.getlist("speaker_role")
    speakers: list[SpeakerSpec] = []
    for i, name in enumerate(names):
        role = (roles[i] if i < len(roles) else "").strip()
        if not name.strip():
            if role:
                problems.append(("speakers", _("the role “%(role)s” has no name beside it")
                                 % {"role": role}))
            continue
        speakers.append(SpeakerSpec(name.strip(), role or None))
    now = [(s.name, s.role or "") for s in speakers]
    if new or now != [(s["name"], s["role"] or "") for s in base["speakers"]]:
        spec.speakers = speakers
    if new or values.description != (base["description"] or ""):
        spec.description = values.description
    tags = _hashtags(values.hashtags)
    if tags if new else tags != _hashtags(" ".join(base["hashtags"] or [])):
        spec.hashtags = tags
    if values.language and (new or values.language != base["language"]):
        spec.language = values.language
    if values.not_before if new else values.not_before != base["not_before_entered"]:
        spec.not_before = values.not_before or None
    video = chosen("video_file", "video_inbox", "video")
    if video is not None:
        spec.video = video
    thumbnail = chosen("thumbnail_file", "thumbnail_inbox", "thumbnail")
    if thumbnail is not None:
        spec.thumbnail = thumbnail
    elif values.no_thumbnail and not new:
        spec.thumbnail = None
    captions: dict[str, Path] = {}
    for i in range(1, CAPTION_ROWS + 1):
        lang = form.get(f"caption_lang_{i}").strip()
        path = chosen(f"caption_file_{i}", f"caption_inbox_{i}", "captions")
        if lang and path is None and not any(f == "captions" for f, _m in problems):
            problems.append(("captions", _("no file given for the language “%(lang)s”")
                             % {"lang": lang}))
        elif path is not None and not lang:
            problems.append(("captions", _("a caption file needs its language (e.g. it, en)")))
        elif lang and path is not None:
            if lang.casefold() in {k.casefold() for k in captions}:
                problems.append(("captions", _("the language “%(lang)s” is given twice")
                                 % {"lang": lang}))
            captions[lang] = path
    if captions:
        spec.captions = captions
    return Built(spec, problems)
