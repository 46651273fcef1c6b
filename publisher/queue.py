"""The queue of interviews: enqueue, import, edit, reorder, hold, cancel, remove, all validated.

Every function here either completes its change in one transaction or raises InputError with
every problem it found, leaving the database exactly as it was.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, object_session, selectinload

from publisher.config import Config
from publisher.errors import InputError, NotFoundError
from publisher.lifecycle import (
    EventKind,
    journal,
    reached_youtube,
    transition,
    video_record,
)
from publisher.queue_fields import Draft, check_fields
from publisher.schedules import Schedule, find_schedule
from publisher.store.models import (
    ACTIVE,
    CaptionTrack,
    Interview,
    Localization,
    Speaker,
    State,
)
from publisher.store.types import utcnow
from publisher.text.youtube_text import InterviewText, SpeakerText, render_youtube

if TYPE_CHECKING:
    from publisher.platform_limits import PlatformLimits

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
    embeddable: bool | None = UNSET
    license: str | None = UNSET
    recording_date: str | None = UNSET
    recording_place: str | None = UNSET
    templates: dict[str, str] | None = UNSET  # title / description / post overrides
    #: A new slot for an interview uploaded and waiting for it (its publishAt on YouTube).
    publish_at: str = UNSET

    def given(self) -> dict[str, Any]:
        return {k: v for k, v in vars(self).items() if v is not UNSET}


@dataclass
class Context:
    """What validation needs besides the input: the campaign, the schedules and the post
    limits platforms reported (publisher/platform_limits.py; none: the documented ones)."""

    config: Config
    schedules: dict[str, Schedule]
    actor: str = "cli"
    limits: Mapping[str, PlatformLimits] = field(default_factory=dict)


@dataclass
class Prepared:
    """A spec that passed every check, ready to be written."""

    values: dict[str, Any]
    speakers: list[SpeakerSpec] | None
    captions: dict[str, tuple[str, str]] | None
    localizations: dict[str, tuple[str, str]] | None
    warnings: list[str]


# Rendering the texts needs these fields sound: a title and speakers present (a new interview
# without them is reported as incomplete, not as badly rendered) and templates that compile.
RENDERING_NEEDS = frozenset({"title", "speakers", "templates"})


def prepare(ctx: Context, spec: InterviewSpec, *, base: Interview | None = None,
            base_dir: Path | None = None) -> Prepared:
    """Validate a new interview (base=None) or an edit of `base`; collect every problem."""
    given = spec.given()
    if base is not None and not given:
        raise InputError("nothing to change: give at least one option (see --help)")
    draft = Draft(ctx, given, base, base_dir)
    found = check_fields(draft)
    problems = [p.message for p in found]
    # The texts are checked as YouTube will receive them: after templates and hashtags.
    if RENDERING_NEEDS.isdisjoint(p.field for p in found):
        problems += _rendering_problems(draft)
    if problems:
        raise InputError("\n".join(problems))
    return Prepared(draft.values, draft.speakers, draft.captions, draft.localizations,
                    draft.warnings)


def _rendering_problems(draft: Draft) -> list[str]:
    """The YouTube texts and every cross-post, rendered from the draft and checked.

    Adds the rendering's warnings to the draft and, when the texts pass, stores the
    interview's own hashtags normalised (the campaign's stay in the configuration).
    """
    ctx = draft.ctx
    sched = draft.schedule()
    text = _interview_text(draft.values, draft.speakers, draft.base, schedule_templates(
        ctx.schedules, ctx.config.campaign.default_schedule, sched))
    if text is None:
        return []
    rendered = render_youtube(ctx.config, text)
    draft.warnings += rendered.warnings
    if rendered.problems:
        return list(rendered.problems)
    if rendered.hashtags and "hashtags" in draft.values:
        own = {h.casefold() for h in ctx.config.campaign.hashtags}
        draft.values["hashtags"] = [h for h in rendered.hashtags if h.casefold() not in own]
    return post_problems(ctx, text, sched)


def crosspost_platforms(ctx: Context, schedule: str | None) -> tuple[str, ...]:
    """The platforms besides YouTube that an interview on this schedule is posted to."""
    found = find_schedule(schedule, ctx.schedules, ctx.config.campaign.default_schedule)
    return tuple(p for p in found.platforms if p != "youtube") if found else ()


def post_problems(ctx: Context, text: InterviewText, schedule: str | None) -> list[str]:
    """Every cross-post text checked now, against each platform's limit: the one its server
    last reported, else the documented one (with a stand-in YouTube URL of the real
    length)."""
    from publisher.text.posts import PLACEHOLDER_URL, render_post

    out = []
    for platform in crosspost_platforms(ctx, schedule):
        post = render_post(ctx.config, text, platform, PLACEHOLDER_URL,
                           limits=ctx.limits.get(platform))
        if post.problem:
            out.append(f"posts: {post.problem}")
    return out


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


def _next_position(session: Session, exclude_id: int | None = None) -> int:
    q = select(func.coalesce(func.max(Interview.position), 0))
    if exclude_id is not None:
        q = q.where(Interview.id != exclude_id)
    return int(session.scalar(q) or 0) + 1


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


# --- what an organizer may still change ---------------------------------------------------------
#
# The rule is written once: an interview with nothing on YouTube yet (lifecycle.reached_youtube)
# may be edited, held, moved and removed, whatever its state's name (staging while it waits
# for quota, needs_attention for a missing file); one that is staging or needs attention goes
# back to the queue first, so that the planner gives it a slot again. Once something is on
# YouTube it can only be cancelled. A cancelled interview that never reached YouTube can be
# restored. Every refusal says where the interview really stands.

# States an organizer's change takes back to the queue when nothing is on YouTube yet.
_BACK_TO_QUEUE = frozenset({State.STAGING, State.NEEDS_ATTENTION})


def _on_youtube(session: Session, item: Interview) -> str | None:
    """Where the interview stands on YouTube, in words; None when nothing is there."""
    if not reached_youtube(session, item):
        return None
    video = video_record(session, item.id)
    if video is not None and video.remote_id:
        url = video.url or f"https://www.youtube.com/watch?v={video.remote_id}"
        if item.state == State.STAGED.value:
            return f"it is on YouTube as a private video until its slot ({url})"
        if item.state in (State.RELEASED.value, State.PUBLISHED.value):
            return f"it is out on YouTube ({url})"
        return f"its video is on YouTube ({url})"
    if video is not None and video.handle:
        return "its upload to YouTube has started (part of the video may be there already)"
    return "it is on YouTube"


def _worker(owner: str) -> str:
    """`daemon:host:1234:ab12cd34` as people say it: "the daemon (pid 1234 on host)"."""
    parts = owner.split(":")
    if len(parts) == 4:
        return f"the {parts[0]} (pid {parts[2]} on {parts[1]})"
    return owner


def _check_no_worker(item: Interview, verb: str) -> None:
    """Refuse while a live worker holds the interview: it may be starting its upload."""
    from publisher.leases import holder_is_dead

    owner, until = item.lease_owner, item.lease_expires_at
    if owner and until is not None and until > utcnow() and not holder_is_dead(owner):
        raise InputError(f"interview {item.id} is being worked on right now by "
                         f"{_worker(owner)}, which may be starting its upload to YouTube: "
                         f"it cannot be {verb} now; try again in a minute")


def _restore_hint(item: Interview) -> str:
    return f"`publisher queue restore {item.id}` puts it back in the queue"


def _back_to_queue(session: Session, ctx: Context, item: Interview) -> str | None:
    """An interview staging or needing attention with nothing on YouTube goes back to the
    queue (no slot: the planner gives it one again); returns the state it left, if any."""
    if State(item.state) not in _BACK_TO_QUEUE:
        return None
    old = transition(session, item, State.QUEUED, kind=None, actor=ctx.actor,
                     end_lease=True, values={"slot_at": None})
    return old.value


def _locked(session: Session, item_id: int) -> Interview:
    """The interview, its row locked until the change commits (PostgreSQL; SQLite's writers
    are serialised already), so that no worker claims it between the check and the write."""
    item = session.get(Interview, item_id, with_for_update=True, populate_existing=True)
    if item is None:
        raise NotFoundError(f"there is no interview {item_id} (see `publisher queue list`)")
    return item


def _check_changeable(session: Session, item: Interview, verb: str) -> None:
    """Refuse to change (`verb`: edited, held, moved, removed) an interview with something on
    YouTube, a cancelled one (but for its removal), or one a worker holds right now."""
    where = _on_youtube(session, item)
    if where is not None:
        if item.state == State.CANCELLED.value:
            raise InputError(f"interview {item.id} is cancelled and {where}: it can no longer "
                             f"be {verb}")
        if item.state == State.PUBLISHED.value:
            tail = f"it can no longer be {verb}"
        elif verb == "removed":
            tail = f"it cannot be removed, only cancelled (publisher queue cancel {item.id})"
        else:
            tail = (f"it can no longer be {verb} here; `publisher queue cancel {item.id}` "
                    "stops it")
        raise InputError(f"interview {item.id} is {item.state}: {where}, so {tail}")
    if item.state == State.CANCELLED.value and verb != "removed":
        raise InputError(f"interview {item.id} is cancelled: {_restore_hint(item)}, then it "
                         f"can be {verb}")
    _check_no_worker(item, verb)


def check_editable(session: Session, item: Interview) -> None:
    """Whether an organizer may still edit it (see above); raises InputError if not."""
    _check_changeable(session, item, "edited")


def apply_edit(session: Session, ctx: Context, item_id: int, prepared: Prepared, *,
               seen_updated_at: dt.datetime, allow_duplicate: bool = False) -> Interview:
    """Write an edit prepared from the interview as it was at `seen_updated_at`.

    Preparing (probing a new video can take minutes) happens outside any transaction; if the
    interview changed meanwhile, the edit is refused rather than overwriting that change.
    """
    _locked(session, item_id)
    item = get(session, item_id)
    check_editable(session, item)
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
    left = _back_to_queue(session, ctx, item)
    _apply(item, prepared)
    item.updated_at = utcnow()
    extra: dict[str, Any] = {"previous_state": left} if left else {}
    journal(session, item.id, EventKind.EDITED, ctx.actor, fields=changed, **extra)
    return item


def active_order(session: Session) -> list[Interview]:
    q = select(Interview).where(Interview.state.in_([s.value for s in ACTIVE]))
    return list(session.scalars(q.order_by(Interview.position, Interview.id)))


def move(session: Session, ctx: Context, item_id: int, *, to: int | None = None,
         before: int | None = None) -> Interview:
    """Put an interview at position `to` (1 = next out) or just before another one."""
    if (to is None) == (before is None):
        raise InputError("give exactly one of --to N or --before ID")
    item = _locked(session, item_id)
    if item.state == State.CANCELLED.value and not reached_youtube(session, item):
        raise InputError(f"interview {item_id} is cancelled: it has no place in the queue "
                         f"({_restore_hint(item)})")
    _check_changeable(session, item, "moved")
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
    left = _back_to_queue(session, ctx, item)
    old = item.position
    order.insert(index, item)
    for pos, it in enumerate(order, 1):
        if it.position != pos:
            it.position = pos
    extra: dict[str, Any] = {"previous_state": left} if left else {}
    journal(session, item.id, EventKind.MOVED, ctx.actor, old_position=old,
            new_position=item.position, **extra)
    return item


def set_held(session: Session, ctx: Context, item_id: int, held: bool,
             reason: str | None = None) -> Interview:
    """Hold an interview (skipped by the planner until released), or release a held one.

    One staging or needing attention with nothing on YouTube yet is held too: it goes back
    to the queue, then is held."""
    item = _locked(session, item_id)
    if not held:
        if item.state != State.HELD.value:
            raise InputError(f"interview {item_id} is {item.state}: only held interviews can "
                             "be released")
        transition(session, item, State.QUEUED, kind=EventKind.UNHELD, actor=ctx.actor)
        return item
    if item.state == State.HELD.value:
        raise InputError(f"interview {item_id} is held: only queued interviews can be held")
    _check_changeable(session, item, "held")
    left = _back_to_queue(session, ctx, item)
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    if left:
        extra["previous_state"] = left
    transition(session, item, State.HELD, kind=EventKind.HELD, actor=ctx.actor, **extra)
    return item


def cancel(session: Session, ctx: Context, item_id: int, reason: str | None = None
           ) -> Interview:
    """Cancel an interview: it will not be published. One that never reached YouTube can be
    restored later (`restore`)."""
    item = _locked(session, item_id)
    if item.state == State.CANCELLED.value:
        hint = "" if reached_youtube(session, item) else f" ({_restore_hint(item)})"
        raise InputError(f"interview {item_id} is already cancelled{hint}")
    if item.state == State.PUBLISHED.value:
        raise InputError(f"interview {item_id} is already published")
    extra: dict[str, Any] = {"reason": reason} if reason else {}
    transition(session, item, State.CANCELLED, kind=EventKind.CANCELLED, actor=ctx.actor,
               previous_state=item.state, **extra)
    return item


def restore(session: Session, ctx: Context, item_id: int, *, allow_duplicate: bool = False
            ) -> Interview:
    """Put a cancelled interview that never reached YouTube back in the queue, at its end.

    One that did reach YouTube stays cancelled: queueing it again would upload a second
    video (the organizer can `queue add` the file again if that is what they mean)."""
    item = _locked(session, item_id)
    if item.state != State.CANCELLED.value:
        raise InputError(f"interview {item_id} is {item.state}, not cancelled: there is "
                         "nothing to restore")
    where = _on_youtube(session, item)
    if where is not None:
        raise InputError(f"interview {item_id} cannot be restored: {where} (queueing it "
                         "again would upload a second video; `publisher queue add` the file "
                         "again if that is what you mean)")
    if not allow_duplicate:
        other = _find_duplicate(session, item.video_sha256, exclude_id=item.id)
        if other is not None:
            raise InputError(_duplicate_message(item.video_sha256, other))
    video = video_record(session, item.id)
    if video is not None:  # an upload that never started: whatever it waited for is past
        video.next_attempt_at, video.last_error = None, None
    transition(session, item, State.QUEUED, kind=EventKind.RESTORED, actor=ctx.actor,
               end_lease=True, values={"slot_at": None,
                                       "position": _next_position(session, item.id)})
    return item


def check_removable(session: Session, item: Interview) -> None:
    """Whether an organizer may still remove it: nothing of it on YouTube, no worker on it."""
    _check_changeable(session, item, "removed")


def remove(session: Session, ctx: Context, item_id: int) -> Interview:
    """Delete an interview with nothing on YouTube; its journal stays (ids are never
    reused, so no later interview inherits it)."""
    item = _locked(session, item_id)
    check_removable(session, item)
    journal(session, item.id, EventKind.REMOVED, ctx.actor, title=item.title,
            video=item.video_path, state=item.state)
    session.delete(item)
    return item
