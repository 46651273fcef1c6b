"""The queue of interviews: enqueue, import, edit, reorder, hold, cancel, remove, all validated.

Every function here either completes its change in one transaction or raises InputError with
every problem it found, leaving the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from publisher.config import Config
from publisher.errors import InputError, NotFoundError
from publisher.lifecycle import EventKind, journal, transition
from publisher.media import (
    MediaError,
    VideoFacts,
    check_caption,
    check_thumbnail,
    is_valid_language,
    probe_video,
)
from publisher.platforms.youtube import limits
from publisher.schedules import Schedule, find_schedule
from publisher.store.models import (
    ACTIVE,
    NOT_UPLOADED,
    CaptionTrack,
    Interview,
    Localization,
    Speaker,
    State,
)
from publisher.store.types import utcnow
from publisher.text.youtube_text import (
    InterviewText,
    SpeakerText,
    hidden_chars,
    render_youtube,
)

UNSET: Any = object()  # "not given" in an edit, as opposed to "set to None"


@dataclass
class SpeakerSpec:
    name: str
    role: str | None = None
    links: list[str] = field(default_factory=list)


@dataclass
class InterviewSpec:
    """What an organizer says about an interview. In an edit, UNSET fields stay as they are."""

    video: Path = UNSET
    title: str = UNSET
    speakers: list[SpeakerSpec] = UNSET
    description: str = UNSET
    hashtags: list[str] = UNSET
    language: str | None = UNSET
    thumbnail: Path | None = UNSET
    captions: dict[str, Path] = UNSET
    localizations: dict[str, tuple[str, str]] = UNSET
    playlist: str | None = UNSET
    not_before: str | None = UNSET
    schedule: str | None = UNSET
    category_id: str | None = UNSET
    privacy: str | None = UNSET
    made_for_kids: bool | None = UNSET
    synthetic_media: bool | None = UNSET
    license: str | None = UNSET
    recording_date: str | None = UNSET
    recording_place: str | None = UNSET
    templates: dict[str, str] | None = UNSET  # title / description / post overrides

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not UNSET}


@dataclass
class Context:
    """What validation needs besides the input: the campaign and the schedules."""

    config: Config
    schedules: dict[str, Schedule]
    actor: str = "cli"


@dataclass
class Prepared:
    """A spec that passed every check, ready to be written."""

    values: dict[str, Any]
    speakers: list[SpeakerSpec] | None
    captions: dict[str, tuple[str, str]] | None
    localizations: dict[str, tuple[str, str]] | None
    warnings: list[str]


def _parse_not_before(raw: str, tz: ZoneInfo | dt.timezone) -> dt.datetime:
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


def prepare(ctx: Context, spec: InterviewSpec, *, base: Interview | None = None,
            base_dir: Path | None = None) -> Prepared:
    """Validate a new interview (base=None) or an edit of `base`; collect every problem."""
    problems: list[str] = []
    warnings: list[str] = []
    values: dict[str, Any] = {}
    given = spec.given()
    if base is not None and not given:
        raise InputError("nothing to change: give at least one option (see --help)")

    def path_of(p: Path) -> Path:
        p = Path(p).expanduser()
        if base_dir is not None and not p.is_absolute():
            p = base_dir / p
        # A NUL cannot be resolved (nor be in a file's name): the file check refuses it.
        return p if "\x00" in str(p) else p.resolve()

    if base is None:
        for required in ("video", "title", "speakers"):
            if required not in given or given[required] in (None, [], ""):
                what = {"video": "a video file", "title": "a title (--title)",
                        "speakers": "at least one speaker (--speaker)"}[required]
                problems.append(f"{required}: missing; an interview needs {what}")

    if given.get("video") is not None:
        video_path = path_of(given["video"])
        try:
            facts = probe_video(video_path)
        except MediaError as exc:
            problems.append(f"video: {exc}")
        else:
            values.update(_video_values(video_path, facts))

    if "title" in given and given["title"] is not None:
        values["title"] = given["title"].strip()
    if "description" in given:
        values["description"] = (given["description"] or "").strip()

    speakers: list[SpeakerSpec] | None = None
    if given.get("speakers"):
        speakers = []
        for i, s in enumerate(given["speakers"], 1):
            name = (s.name or "").strip()
            if not name:
                problems.append(f"speaker {i}: the name is empty")
            problems += _text_problems(f"speaker {i} name", name)
            problems += _text_problems(f"speaker {i} role", s.role or "")
            for link in s.links:
                if not link.startswith(("https://", "http://")):
                    problems.append(f"speaker {i} ({name}): link {link!r} is not a web "
                                    "address (expected https://…)")
            speakers.append(SpeakerSpec(name, (s.role or "").strip() or None, list(s.links)))
    if "hashtags" in given:
        values["hashtags"] = list(given["hashtags"] or [])

    if "language" in given:
        lang = given["language"] or ctx.config.campaign.language
        if not is_valid_language(lang):
            problems.append(f"language: unknown language code {lang!r} (expected a BCP-47 "
                            "code such as 'it', 'en' or 'fr-CA')")
        values["language"] = lang
    elif base is None:
        values["language"] = ctx.config.campaign.language

    if "thumbnail" in given:
        if given["thumbnail"] is None:
            values["thumbnail_path"] = None
        else:
            thumb = path_of(given["thumbnail"])
            try:
                check_thumbnail(thumb)
            except MediaError as exc:
                problems.append(f"thumbnail: {exc}")
            values["thumbnail_path"] = str(thumb)

    captions: dict[str, tuple[str, str]] | None = None
    if "captions" in given:
        captions = {}
        seen_langs: set[str] = set()
        for lang, cpath in (given["captions"] or {}).items():
            if lang.casefold() in seen_langs:
                problems.append(f"captions: language {lang!r} is given twice "
                                "(language codes ignore case)")
                continue
            seen_langs.add(lang.casefold())
            if not is_valid_language(lang):
                problems.append(f"captions: {lang!r} is not a BCP-47 language code "
                                "(expected e.g. it=subs.srt, en-GB=subs.vtt)")
                continue
            full = path_of(cpath)
            try:
                fmt = check_caption(full)
            except MediaError as exc:
                problems.append(f"captions ({lang}): {exc}")
                continue
            captions[lang] = (str(full), fmt)

    localizations: dict[str, tuple[str, str]] | None = None
    if "localizations" in given:
        localizations = {}
        for lang, (ltitle, ldesc) in (given["localizations"] or {}).items():
            if not is_valid_language(lang):
                problems.append(f"localizations: {lang!r} is not a BCP-47 language code")
                continue
            for p in [*limits.check_title(ltitle), *hidden_chars("title", ltitle),
                      *limits.check_description(ldesc), *hidden_chars("description", ldesc)]:
                problems.append(f"localized ({lang}) {p}")
            localizations[lang] = (ltitle, ldesc)

    if "schedule" in given:
        name = given["schedule"]
        if name is not None and name not in ctx.schedules:
            known = ", ".join(sorted(ctx.schedules)) or "none: schedules/ is empty"
            problems.append(f"schedule: unknown schedule {name!r} (known: {known})")
        values["schedule"] = name

    if "not_before" in given:
        raw = given["not_before"]
        if raw is None or raw == "":
            values["not_before"] = None
        else:
            sched = values.get("schedule", base.schedule if base else None)
            try:
                moment = _parse_not_before(raw, _schedule_tz(ctx, sched))
            except ValueError as exc:
                problems.append(f"not-before: {exc}")
            else:
                values["not_before"] = moment
                if moment < utcnow():
                    warnings.append(f"not-before {raw} is already in the past; it does not "
                                    "delay this interview")

    if "recording_date" in given:
        raw = given["recording_date"]
        if raw:
            try:
                values["recording_date"] = dt.date.fromisoformat(raw.strip())
            except ValueError:
                problems.append(f"recording-date: cannot read {raw!r} as a date (YYYY-MM-DD)")
        else:
            values["recording_date"] = None
    if "recording_place" in given:
        values["recording_place"] = given["recording_place"] or None
    if "playlist" in given:
        values["playlist"] = given["playlist"] or None
    for key, label in (("recording_place", "recording_place"), ("playlist", "playlist")):
        if values.get(key):
            problems += _text_problems(label, values[key])
    if given.get("privacy") is not None and given["privacy"] not in limits.PRIVACY_STATUSES:
        problems.append(f"privacy: expected one of {', '.join(limits.PRIVACY_STATUSES)}, "
                        f"found {given['privacy']!r}")
    if given.get("license") is not None and given["license"] not in limits.LICENSES:
        problems.append(f"license: expected one of {', '.join(limits.LICENSES)}, "
                        f"found {given['license']!r}")
    category = given.get("category_id")
    if category is not None and not (str(category).isascii() and str(category).isdigit()):
        problems.append(f"category: expected a numeric YouTube category id such as 22, "
                        f"found {given['category_id']!r}")
    for key in ("privacy", "license", "category_id", "made_for_kids", "synthetic_media"):
        if key in given:
            values[key] = given[key]

    # The texts are checked as YouTube will receive them: after templates and hashtags.
    if "templates" in given:
        from publisher.text.templates import TemplateError, compile_template

        own_templates = dict(given["templates"] or {})
        for kind, source in own_templates.items():
            if kind not in ("title", "description", "post"):
                problems.append(f"templates: unknown template {kind!r} (expected title, "
                                "description or post)")
                continue
            try:
                compile_template(source, f"templates.{kind}")
            except TemplateError as exc:
                problems.append(f"templates: {exc}")
        values["templates"] = own_templates or None
    if not any(p.startswith(("title:", "speakers:", "templates:")) for p in problems):
        sched_name = values.get("schedule", base.schedule if base else None)
        text = _interview_text(values, speakers, base, schedule_templates(
            ctx.schedules, ctx.config.campaign.default_schedule, sched_name))
        if text is not None:
            rendered = render_youtube(ctx.config, text)
            problems += list(rendered.problems)
            warnings += list(rendered.warnings)
            if rendered.hashtags and not rendered.problems:
                # Store the interview's own hashtags normalised (campaign ones stay in config).
                own = {h.casefold() for h in ctx.config.campaign.hashtags}
                if "hashtags" in values:
                    values["hashtags"] = [h for h in rendered.hashtags if h.casefold() not in own]
            if not rendered.problems:
                sched = values.get("schedule", base.schedule if base else None)
                problems += post_problems(ctx, text, sched)

    if problems:
        raise InputError("\n".join(problems))
    return Prepared(values, speakers, captions, localizations, warnings)


def _text_problems(what: str, text: str) -> list[str]:
    """Characters a short published text cannot carry: controls, bad bytes, invisibles."""
    return limits.unpublishable_chars(what, text) + hidden_chars(what, text)


def crosspost_platforms(ctx: Context, schedule: str | None) -> tuple[str, ...]:
    """The platforms besides YouTube that an interview on this schedule is posted to."""
    found = find_schedule(schedule, ctx.schedules, ctx.config.campaign.default_schedule)
    return tuple(p for p in found.platforms if p != "youtube") if found else ()


def post_problems(ctx: Context, text: InterviewText, schedule: str | None) -> list[str]:
    """Every cross-post text checked now, against each platform's limit (with a stand-in
    YouTube URL of the real length)."""
    from publisher.text.posts import PLACEHOLDER_URL, render_post

    out = []
    for platform in crosspost_platforms(ctx, schedule):
        post = render_post(ctx.config, text, platform, PLACEHOLDER_URL)
        if post.problem:
            out.append(f"posts: {post.problem}")
    return out


def _video_values(path: Path, facts: VideoFacts) -> dict[str, Any]:
    return {"video_path": str(path), "video_size": facts.size, "video_sha256": facts.sha256,
            "video_duration_s": facts.duration_s, "video_width": facts.width,
            "video_height": facts.height, "video_codec": facts.video_codec,
            "audio_codec": facts.audio_codec, "container_format": facts.container}


def _interview_text(values: dict[str, Any], speakers: list[SpeakerSpec] | None,
                    base: Interview | None,
                    schedule_templates: tuple[tuple[str, str], ...] = ()
                    ) -> InterviewText | None:
    def pick(key: str, default: Any = None) -> Any:
        if key in values:
            return values[key]
        return getattr(base, key) if base is not None else default

    title = pick("title")
    if title is None:
        return None
    if speakers is not None:
        sp = tuple(SpeakerText(s.name, s.role, tuple(s.links)) for s in speakers)
    elif base is not None:
        sp = tuple(SpeakerText(s.name, s.role, tuple(s.links)) for s in base.speakers)
    else:
        sp = ()
    return InterviewText(title=title, description=pick("description", "") or "", speakers=sp,
                         hashtags=tuple(pick("hashtags", []) or []),
                         language=pick("language", "it") or "it",
                         recording_date=pick("recording_date"),
                         recording_place=pick("recording_place"),
                         templates=tuple({**dict(schedule_templates),
                                          **(pick("templates") or {})}.items()))


def schedule_templates(schedules: dict[str, Schedule], default: str | None,
                       name: str | None) -> tuple[tuple[str, str], ...]:
    """The template overrides of the schedule an interview follows (none if unknown)."""
    found = find_schedule(name, schedules, default)
    return found.templates if found else ()


def text_of(item: Interview, schedules: dict[str, Schedule] | None = None,
            default_schedule: str | None = None) -> InterviewText:
    """The organizer's words about a stored interview, for rendering, with the template
    overrides of its schedule and its own."""
    text = _interview_text({}, None, item, schedule_templates(
        schedules or {}, default_schedule, item.schedule))
    assert text is not None
    return text


# --- writing ----------------------------------------------------------------------------------


def _find_duplicate(session: Session, sha256: str, exclude_id: int | None = None
                    ) -> Interview | None:
    q = select(Interview).where(Interview.video_sha256 == sha256,
                                Interview.state != State.CANCELLED.value)
    if exclude_id is not None:
        q = q.where(Interview.id != exclude_id)
    return session.scalars(q.order_by(Interview.id).limit(1)).first()


def _duplicate_message(sha256: str, other: Interview) -> str:
    return (f"video: the same video file (sha256 {sha256[:12]}…) is already interview "
            f"{other.id} {other.title!r} ({other.state}); pass --allow-duplicate to queue "
            "it again")


def _next_position(session: Session) -> int:
    return int(session.scalar(select(func.coalesce(func.max(Interview.position), 0))) or 0) + 1


def _apply(item: Interview, prepared: Prepared) -> None:
    for key, value in prepared.values.items():
        setattr(item, key, value)
    session = object_session(item)
    replaced: list[tuple[list[Any], object | None]] = [
        (item.speakers, prepared.speakers), (item.captions, prepared.captions),
        (item.localizations, prepared.localizations)]
    if session is not None and any(new is not None and old for old, new in replaced):
        for old, new in replaced:
            if new is not None:
                old.clear()
        # Delete the old rows before inserting their replacements (unique positions).
        session.flush()
    if prepared.speakers is not None:
        item.speakers.extend(Speaker(position=i, name=s.name, role=s.role, links=s.links)
                             for i, s in enumerate(prepared.speakers, 1))
    if prepared.captions is not None:
        item.captions.extend(CaptionTrack(language=lang, path=p, format=fmt)
                             for lang, (p, fmt) in sorted(prepared.captions.items()))
    if prepared.localizations is not None:
        item.localizations.extend(Localization(language=lang, title=t, description=d)
                                  for lang, (t, d) in sorted(prepared.localizations.items()))


def add(session: Session, ctx: Context, prepared: Prepared, *, allow_duplicate: bool = False
        ) -> Interview:
    """Queue one prepared interview at the end of the queue."""
    return _insert(session, ctx, [prepared], allow_duplicate=allow_duplicate)[0]


def _insert(session: Session, ctx: Context, batch: Sequence[Prepared], *,
            allow_duplicate: bool, row_labels: Sequence[str] | None = None
            ) -> list[Interview]:
    problems = []
    seen: dict[str, str] = {}
    for i, prepared in enumerate(batch):
        label = f"{row_labels[i]}: " if row_labels else ""
        sha = prepared.values["video_sha256"]
        if not allow_duplicate:
            other = _find_duplicate(session, sha)
            if other is not None:
                problems.append(label + _duplicate_message(sha, other))
            elif sha in seen:
                problems.append(f"{label}video: the same video file as {seen[sha]} of this "
                                "file; pass --allow-duplicate to queue it twice")
        seen.setdefault(sha, row_labels[i] if row_labels else "another item")
    if problems:
        raise InputError("\n".join(problems))
    position = _next_position(session)
    out = []
    for offset, prepared in enumerate(batch):
        item = Interview(position=position + offset)  # queued: the model's default
        _apply(item, prepared)
        session.add(item)
        session.flush()
        journal(session, item.id, EventKind.QUEUED, ctx.actor, title=item.title,
                 video=item.video_path, sha256=item.video_sha256)
        out.append(item)
    return out


def prepare_many(ctx: Context, specs: Sequence[tuple[str, InterviewSpec, Path]]
                 ) -> list[Prepared]:
    """Validate a whole season; every problem of every row is reported together.

    `specs` holds (row label, spec, folder that relative paths start from).
    """
    problems: list[str] = []
    prepared: list[Prepared] = []
    for label, spec, base_dir in specs:
        try:
            prepared.append(prepare(ctx, spec, base_dir=base_dir))
        except InputError as exc:
            problems += [f"{label}: {line}" for line in str(exc).splitlines()]
    if problems:
        raise InputError("\n".join(problems))
    if not prepared:
        raise InputError("the file holds no interviews")
    return prepared


def add_many(session: Session, ctx: Context, prepared: Sequence[Prepared],
             labels: Sequence[str], *, allow_duplicate: bool = False) -> list[Interview]:
    """Queue a whole season at once: every row valid, or nothing written."""
    return _insert(session, ctx, prepared, allow_duplicate=allow_duplicate, row_labels=labels)


def get(session: Session, item_id: int) -> Interview:
    item = session.get(Interview, item_id, options=[selectinload(Interview.speakers),
                                                     selectinload(Interview.captions),
                                                     selectinload(Interview.localizations)])
    if item is None:
        raise NotFoundError(f"there is no interview {item_id} (see `publisher queue list`)")
    return item


def check_editable(item: Interview) -> None:
    if item.state not in NOT_UPLOADED:
        raise InputError(f"interview {item.id} is {item.state}: it is already on its way to "
                         "YouTube and can no longer be edited here")


def apply_edit(session: Session, ctx: Context, item_id: int, prepared: Prepared, *,
               seen_updated_at: dt.datetime, allow_duplicate: bool = False) -> Interview:
    """Write an edit prepared from the interview as it was at `seen_updated_at`.

    Preparing (probing a new video can take minutes) happens outside any transaction; if the
    interview changed meanwhile, the edit is refused rather than overwriting that change.
    """
    item = get(session, item_id)
    check_editable(item)
    if item.updated_at != seen_updated_at:
        raise InputError(f"interview {item_id} was changed by someone else while this edit "
                         "was being checked; run the command again")
    sha = prepared.values.get("video_sha256")
    if sha and not allow_duplicate:
        other = _find_duplicate(session, sha, exclude_id=item.id)
        if other is not None:
            raise InputError(_duplicate_message(sha, other))
    changed = sorted(set(prepared.values) | {k for k in ("speakers", "captions", "localizations")
                                              if getattr(prepared, k) is not None})
    _apply(item, prepared)
    item.updated_at = utcnow()
    journal(session, item.id, EventKind.EDITED, ctx.actor, fields=changed)
    return item


def active_order(session: Session) -> list[Interview]:
    q = select(Interview).where(Interview.state.in_([s.value for s in ACTIVE]))
    return list(session.scalars(q.order_by(Interview.position, Interview.id)))


def move(session: Session, ctx: Context, item_id: int, *, to: int | None = None,
         before: int | None = None) -> Interview:
    """Put an interview at position `to` (1 = next out) or just before another one."""
    if (to is None) == (before is None):
        raise InputError("give exactly one of --to N or --before ID")
    item = get(session, item_id)
    if item.state not in NOT_UPLOADED:
        raise InputError(f"interview {item_id} is {item.state}: only queued or held "
                         "interviews can be moved")
    order = [i for i in active_order(session) if i.id != item.id]
    if before is not None:
        if before == item_id:
            raise InputError("an interview cannot be moved before itself")
        target = get(session, before)
        if target not in order:
            raise InputError(f"interview {before} is {target.state}: it has no place in the "
                             "queue to move before")
        index = order.index(target)
    else:
        assert to is not None
        if to < 1 or to > len(order) + 1:
            raise InputError(f"--to must be between 1 and {len(order) + 1}, found {to}")
        index = to - 1
    old = item.position
    order.insert(index, item)
    for pos, it in enumerate(order, 1):
        if it.position != pos:
            it.position = pos
    journal(session, item.id, EventKind.MOVED, ctx.actor, old_position=old,
            new_position=item.position)
    return item


def set_held(session: Session, ctx: Context, item_id: int, held: bool,
             reason: str | None = None) -> Interview:
    item = get(session, item_id)
    want_from, to = (State.QUEUED, State.HELD) if held else (State.HELD, State.QUEUED)
    if item.state != want_from.value:
        verb = "held" if held else "released"
        raise InputError(f"interview {item_id} is {item.state}: only {want_from.value} "
                         f"interviews can be {verb}")
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    transition(session, item, to, kind=EventKind.HELD if held else EventKind.UNHELD,
               actor=ctx.actor, **extra)
    return item


def cancel(session: Session, ctx: Context, item_id: int, reason: str | None = None
           ) -> Interview:
    item = get(session, item_id)
    if item.state in (State.CANCELLED.value, State.PUBLISHED.value):
        raise InputError(f"interview {item_id} is already {item.state}")
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    transition(session, item, State.CANCELLED, kind=EventKind.CANCELLED, actor=ctx.actor,
               previous_state=item.state, **extra)
    return item


def check_removable(item: Interview) -> None:
    if item.state not in NOT_UPLOADED:
        raise InputError(f"interview {item.id} is {item.state}: it has already been uploaded "
                         f"to YouTube, so it cannot be removed, only cancelled "
                         f"(publisher queue cancel {item.id})")


def remove(session: Session, ctx: Context, item_id: int) -> Interview:
    item = get(session, item_id)
    check_removable(item)
    journal(session, item.id, EventKind.REMOVED, ctx.actor, title=item.title,
            video=item.video_path)
    session.delete(item)
    return item


