"""The checks of an interview's fields: a table of small validators, one or two per field.

Each validator reads what the organizer gave (`Draft.given`), records what would be stored
(`Draft.values`, the speakers, captions, localizations, warnings) and returns its field's
problems, each naming the field, the value and the limit. `check_fields` runs the table in
order and tags every problem with the field its validator declares, so that a later step (the
rendering of the texts in `publisher.queue.prepare`) can tell by data which fields are sound.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from publisher.media import (
    MediaError,
    VideoFacts,
    check_caption,
    check_thumbnail,
    is_valid_language,
    probe_video,
)
from publisher.platforms.youtube import limits
from publisher.schedules import find_schedule
from publisher.store.types import utcnow
from publisher.text.youtube_text import hidden_chars

if TYPE_CHECKING:
    from publisher.queue import Context, SpeakerSpec
    from publisher.store.models import Interview


@dataclass
class Draft:
    """An interview being checked: the input, and what would be stored if it all passes."""

    ctx: Context
    given: dict[str, Any]  # the fields the organizer gave (InterviewSpec.given())
    base: Interview | None  # the interview being edited; None for a new one
    base_dir: Path | None  # the folder relative paths start from (a season file's)
    values: dict[str, Any] = field(default_factory=dict)
    speakers: list[SpeakerSpec] | None = None
    captions: dict[str, tuple[str, str]] | None = None
    localizations: dict[str, tuple[str, str]] | None = None
    warnings: list[str] = field(default_factory=list)

    def path_of(self, p: Path) -> Path:
        p = Path(p).expanduser()
        if self.base_dir is not None and not p.is_absolute():
            p = self.base_dir / p
        # A NUL cannot be resolved (nor be in a file's name): the file check refuses it.
        return p if "\x00" in str(p) else p.resolve()

    def schedule(self) -> str | None:
        """The schedule the interview will follow: the one given, else the edited one's."""
        name: str | None = self.values.get("schedule", self.base.schedule if self.base else None)
        return name


Validator = Callable[[Draft], list[str]]


@dataclass(frozen=True)
class FieldCheck:
    field: str  # the field whose problems `validate` returns
    validate: Validator


class Problem(NamedTuple):
    field: str
    message: str


def check_fields(draft: Draft) -> list[Problem]:
    """Run every check of FIELD_CHECKS in order; every problem, tagged with its field."""
    return [Problem(check.field, message)
            for check in FIELD_CHECKS for message in check.validate(draft)]


# --- presence ----------------------------------------------------------------------------------

_REQUIRED = {"video": "a video file", "title": "a title (--title)",
             "speakers": "at least one speaker (--speaker)"}


def _required(name: str) -> Validator:
    """A new interview must give the field, and not empty."""
    def validate(draft: Draft) -> list[str]:
        if draft.base is not None:
            return []
        if name not in draft.given or draft.given[name] in (None, [], ""):
            return [f"{name}: missing; an interview needs {_REQUIRED[name]}"]
        return []
    return validate


# --- the video and the texts --------------------------------------------------------------------

def _video(draft: Draft) -> list[str]:
    if draft.given.get("video") is None:
        return []
    video_path = draft.path_of(draft.given["video"])
    try:
        facts = probe_video(video_path)
    except MediaError as exc:
        return [f"video: {exc}"]
    draft.values.update(_video_values(video_path, facts))
    return []


def _video_values(path: Path, facts: VideoFacts) -> dict[str, Any]:
    return {"video_path": str(path), "video_size": facts.size, "video_sha256": facts.sha256,
            "video_duration_s": facts.duration_s, "video_width": facts.width,
            "video_height": facts.height, "video_codec": facts.video_codec,
            "audio_codec": facts.audio_codec, "container_format": facts.container}


def _title(draft: Draft) -> list[str]:
    # Its length and characters are checked as YouTube will receive it, once rendered.
    if draft.given.get("title") is not None:
        draft.values["title"] = draft.given["title"].strip()
    return []


def _description(draft: Draft) -> list[str]:
    if "description" in draft.given:
        draft.values["description"] = (draft.given["description"] or "").strip()
    return []


def _speaker_entries(draft: Draft) -> list[str]:
    if not draft.given.get("speakers"):
        return []
    problems: list[str] = []
    draft.speakers = []
    for i, s in enumerate(draft.given["speakers"], 1):
        name = (s.name or "").strip()
        if not name:
            problems.append(f"speaker {i}: the name is empty")
        problems += text_problems(f"speaker {i} name", name)
        problems += text_problems(f"speaker {i} role", s.role or "")
        problems += [f"speaker {i} ({name}): link {link!r} is not a web address (expected "
                     "https://…)" for link in s.links
                     if not link.startswith(("https://", "http://"))]
        draft.speakers.append(dataclasses.replace(
            s, name=name, role=(s.role or "").strip() or None, links=list(s.links)))
    return problems


def text_problems(what: str, text: str) -> list[str]:
    """Characters a short published text cannot carry: controls, bad bytes, invisibles."""
    return limits.unpublishable_chars(what, text) + hidden_chars(what, text)


def _hashtags(draft: Draft) -> list[str]:
    # Checked (and normalised) with the campaign's own when the texts are rendered.
    if "hashtags" in draft.given:
        draft.values["hashtags"] = list(draft.given["hashtags"] or [])
    return []


def _language(draft: Draft) -> list[str]:
    if "language" not in draft.given:
        if draft.base is None:
            draft.values["language"] = draft.ctx.config.campaign.language
        return []
    lang = draft.given["language"] or draft.ctx.config.campaign.language
    draft.values["language"] = lang
    if not is_valid_language(lang):
        return [f"language: unknown language code {lang!r} (expected a BCP-47 code such as "
                "'it', 'en' or 'fr-CA')"]
    return []


# --- the files besides the video ---------------------------------------------------------------

def _thumbnail(draft: Draft) -> list[str]:
    if "thumbnail" not in draft.given:
        return []
    if draft.given["thumbnail"] is None:
        draft.values["thumbnail_path"] = None
        return []
    thumb = draft.path_of(draft.given["thumbnail"])
    draft.values["thumbnail_path"] = str(thumb)
    try:
        check_thumbnail(thumb)
    except MediaError as exc:
        return [f"thumbnail: {exc}"]
    return []


def _captions(draft: Draft) -> list[str]:
    if "captions" not in draft.given:
        return []
    problems: list[str] = []
    draft.captions = {}
    seen_langs: set[str] = set()
    for lang, cpath in (draft.given["captions"] or {}).items():
        if lang.casefold() in seen_langs:
            problems.append(f"captions: language {lang!r} is given twice (language codes "
                            "ignore case)")
            continue
        seen_langs.add(lang.casefold())
        if not is_valid_language(lang):
            problems.append(f"captions: {lang!r} is not a BCP-47 language code (expected e.g. "
                            "it=subs.srt, en-GB=subs.vtt)")
            continue
        full = draft.path_of(cpath)
        try:
            fmt = check_caption(full)
        except MediaError as exc:
            problems.append(f"captions ({lang}): {exc}")
            continue
        draft.captions[lang] = (str(full), fmt)
    return problems


def _localizations(draft: Draft) -> list[str]:
    if "localizations" not in draft.given:
        return []
    problems: list[str] = []
    draft.localizations = {}
    for lang, (ltitle, ldesc) in (draft.given["localizations"] or {}).items():
        if not is_valid_language(lang):
            problems.append(f"localizations: {lang!r} is not a BCP-47 language code")
            continue
        problems += [f"localized ({lang}) {p}" for p in [
            *limits.check_title(ltitle), *hidden_chars("title", ltitle),
            *limits.check_description(ldesc), *hidden_chars("description", ldesc)]]
        draft.localizations[lang] = (ltitle, ldesc)
    return problems


# --- when and where ----------------------------------------------------------------------------

def _schedule(draft: Draft) -> list[str]:
    if "schedule" not in draft.given:
        return []
    name = draft.given["schedule"]
    draft.values["schedule"] = name
    schedules = draft.ctx.schedules
    if name is not None and name not in schedules:
        known = ", ".join(sorted(schedules)) or "none: schedules/ is empty"
        return [f"schedule: unknown schedule {name!r} (known: {known})"]
    return []


def _not_before(draft: Draft) -> list[str]:
    """Read in the time zone of the interview's schedule: after _schedule in the table."""
    if "not_before" not in draft.given:
        return []
    raw = draft.given["not_before"]
    if raw is None or raw == "":
        draft.values["not_before"] = None
        return []
    try:
        moment = parse_not_before(raw, _schedule_tz(draft.ctx, draft.schedule()))
    except ValueError as exc:
        return [f"not-before: {exc}"]
    draft.values["not_before"] = moment
    if moment < utcnow():
        draft.warnings.append(f"not-before {raw} is already in the past; it does not delay "
                              "this interview")
    return []


def parse_not_before(raw: str, tz: ZoneInfo | dt.timezone) -> dt.datetime:
    """A day (midnight in `tz`) or a moment (in `tz` unless it gives an offset), in UTC."""
    text = raw.strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        try:
            return dt.datetime.combine(day, dt.time(0, 0), tzinfo=tz).astimezone(dt.UTC)
        except OverflowError:
            raise ValueError(f"{raw!r} is out of range") from None
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"cannot read {raw!r} as a date (expected YYYY-MM-DD or "
                         "YYYY-MM-DDTHH:MM, optionally with a UTC offset)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=tz)
    try:
        return moment.astimezone(dt.UTC)
    except OverflowError:
        raise ValueError(f"{raw!r} is out of range") from None


def _schedule_tz(ctx: Context, name: str | None) -> ZoneInfo | dt.timezone:
    found = find_schedule(name, ctx.schedules, ctx.config.campaign.default_schedule)
    return ZoneInfo(found.timezone) if found else dt.UTC


def _recording_date(draft: Draft) -> list[str]:
    if "recording_date" not in draft.given:
        return []
    raw = draft.given["recording_date"]
    if not raw:
        draft.values["recording_date"] = None
        return []
    try:
        draft.values["recording_date"] = dt.date.fromisoformat(raw.strip())
    except ValueError:
        return [f"recording-date: cannot read {raw!r} as a date (YYYY-MM-DD)"]
    return []


def _short_text(name: str) -> Validator:
    """A free text stored as given (empty means none), published as is: no hidden characters."""
    def validate(draft: Draft) -> list[str]:
        if name not in draft.given:
            return []
        text = draft.values[name] = draft.given[name] or None
        return text_problems(name, text) if text else []
    return validate


# --- YouTube's settings ------------------------------------------------------------------------

def _one_of(name: str, allowed: tuple[str, ...]) -> Validator:
    """A setting YouTube knows a fixed list of values for (None: YouTube's default)."""
    def validate(draft: Draft) -> list[str]:
        if name not in draft.given:
            return []
        value = draft.values[name] = draft.given[name]
        if value is not None and value not in allowed:
            return [f"{name}: expected one of {', '.join(allowed)}, found {value!r}"]
        return []
    return validate


def _category(draft: Draft) -> list[str]:
    if "category_id" not in draft.given:
        return []
    category = draft.values["category_id"] = draft.given["category_id"]
    if category is not None and not (str(category).isascii() and str(category).isdigit()):
        return [f"category: expected a numeric YouTube category id such as 22, found "
                f"{category!r}"]
    return []


def _flag(name: str) -> Validator:
    """A yes/no setting, stored as given (None: YouTube's default)."""
    def validate(draft: Draft) -> list[str]:
        if name in draft.given:
            draft.values[name] = draft.given[name]
        return []
    return validate


def _publish_at(draft: Draft) -> list[str]:
    """A new slot for a staged interview: YouTube's publishAt (and our release) moves."""
    if "publish_at" not in draft.given:
        return []
    raw = draft.given["publish_at"]
    base = draft.base
    if base is None or base.state != "staged" or base.slot_at is None:
        state = base.state if base is not None else "not queued yet"
        return [f"publish-at: only an interview uploaded and waiting for its slot (staged) "
                f"has a scheduled publishing time; this one is {state} (before the upload, "
                "use --not-before or `publisher queue move`)"]
    now = utcnow()
    if base.slot_at <= now:
        return [f"publish-at: its slot {base.slot_at:%Y-%m-%d %H:%M} UTC has passed: it is "
                "out (or going out) already"]
    try:
        moment = parse_not_before(raw, _schedule_tz(draft.ctx, draft.schedule()))
    except ValueError as exc:
        return [f"publish-at: {exc}"]
    if moment <= now:
        return [f"publish-at: {raw} is not in the future"]
    draft.values["slot_at"] = moment
    return []


# --- templates ---------------------------------------------------------------------------------

TEMPLATE_KINDS = ("title", "description", "post")


def _templates(draft: Draft) -> list[str]:
    if "templates" not in draft.given:
        return []
    from publisher.text.templates import TemplateError, compile_template

    problems: list[str] = []
    own_templates = dict(draft.given["templates"] or {})
    for kind, source in own_templates.items():
        if kind not in TEMPLATE_KINDS:
            problems.append(f"templates: unknown template {kind!r} (expected title, "
                            "description or post)")
            continue
        try:
            compile_template(source, f"templates.{kind}")
        except TemplateError as exc:
            problems.append(f"templates: {exc}")
    draft.values["templates"] = own_templates or None
    return problems


# In this order the problems are reported. A field may have several checks (presence first).
FIELD_CHECKS: tuple[FieldCheck, ...] = (
    FieldCheck("video", _required("video")),
    FieldCheck("title", _required("title")),
    FieldCheck("speakers", _required("speakers")),
    FieldCheck("video", _video),
    FieldCheck("title", _title),
    FieldCheck("description", _description),
    # Each speaker's own words: a flaw there leaves the list of speakers usable for rendering.
    FieldCheck("speaker entries", _speaker_entries),
    FieldCheck("hashtags", _hashtags),
    FieldCheck("language", _language),
    FieldCheck("thumbnail", _thumbnail),
    FieldCheck("captions", _captions),
    FieldCheck("localizations", _localizations),
    FieldCheck("schedule", _schedule),
    FieldCheck("not_before", _not_before),
    FieldCheck("recording_date", _recording_date),
    FieldCheck("recording_place", _short_text("recording_place")),
    FieldCheck("playlist", _short_text("playlist")),
    FieldCheck("privacy", _one_of("privacy", limits.PRIVACY_STATUSES)),
    FieldCheck("license", _one_of("license", limits.LICENSES)),
    FieldCheck("category_id", _category),
    FieldCheck("made_for_kids", _flag("made_for_kids")),
    FieldCheck("synthetic_media", _flag("synthetic_media")),
    FieldCheck("embeddable", _flag("embeddable")),
    FieldCheck("publish_at", _publish_at),
    FieldCheck("templates", _templates),
)
