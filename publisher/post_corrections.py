"""Corrections of the posts already out: what an edit of an interview changes in them.

A post says what `text/posts.py` rendered from the interview when it went out. An edit of an
interview on YouTube (publisher/corrections.py's `record_edit`) renders each post that is out
before and after the edit, exactly as the cross-post did (`post_text`): where the text
changes,

- on a platform whose spec `can_edit` (Mastodon, Telegram, Facebook), a pending correction
  is recorded for that platform (a `corrections` row, `platform` = the platform, its one
  field "post", `known` = the text publisher last put there), which
  publisher/pipeline/correct_posts.py applies: the post is edited in place;
- elsewhere (X, Bluesky) the post stays as it was: the edit's journal entry says so, with
  the text out there and the corrected one, and `preview` / `sync --dry-run` tell it
  (`kept_posts`).

One open correction per (interview, platform) gathers the edits, keeping the oldest known
text; one being sent right now (in flight) is left alone and a new one is opened beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.lifecycle import OPEN_CORRECTION, EventKind, Step, journal, set_correction
from publisher.store.models import (
    Correction,
    CorrectionState,
    Event,
    Interview,
    Publication,
    PublicationState,
)

if TYPE_CHECKING:
    from publisher.config import Config
    from publisher.platform_limits import PlatformLimits
    from publisher.schedules import Schedule
    from publisher.text.posts import RenderedPost

#: The one field of a post correction.
POST_FIELD = "post"
#: The one field of a post's replacement (pipeline/replace_posts.py): asked for by an
#: organizer where the post cannot be edited.
REPLACE_FIELD = "replace"
#: Open post corrections an edit may add to (one in flight is being sent now).
_MERGEABLE = frozenset(OPEN_CORRECTION - {CorrectionState.IN_FLIGHT})


def post_text(config: Config, schedules: dict[str, Schedule], item: Interview,
              platform: str, link: str, limits: PlatformLimits | None) -> RenderedPost:
    """The post for `platform`, rendered exactly as pipeline/crosspost.py renders it."""
    from publisher.queue import text_of
    from publisher.text.posts import render_post

    return render_post(config, text_of(item, schedules, config.campaign.default_schedule),
                       platform, link, limits=limits)


def posts_out(session: Session, interview_id: int) -> dict[str, Publication]:
    """The interview's posts that went out (done, with their remote id), by platform."""
    return {p.platform: p for p in session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.step == Step.POST.value,
        Publication.state == PublicationState.DONE.value,
        Publication.remote_id.is_not(None)))}


#: A post record whose request went out with an outcome not known yet (a crash, a lost
#: answer, Telegram's "cannot check" that needs a person): the post may be out.
_MAYBE_OUT = (PublicationState.IN_FLIGHT.value, PublicationState.UNKNOWN.value,
              PublicationState.NEEDS_ATTENTION.value)


def posts_maybe_out(session: Session, interview_id: int) -> dict[str, Publication]:
    """The interview's posts that may be out without a record saying so yet (a handle
    committed, the outcome unknown), by platform. An edit follows them too: once the
    post is found or resolved, its correction edits it."""
    return {p.platform: p for p in session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.step == Step.POST.value,
        Publication.state.in_(_MAYBE_OUT), Publication.handle.is_not(None)))}


def video_link(session: Session, interview_id: int) -> str:
    return session.scalar(select(Publication.url).where(
        Publication.interview_id == interview_id, Publication.platform == "youtube",
        Publication.step == Step.VIDEO.value)) or ""


def posted_texts(session: Session, config: Config, schedules: dict[str, Schedule],
                 item: Interview) -> dict[str, str]:
    """What each post out says, as the interview stands now (call it before an edit)."""
    from publisher.platform_limits import known

    out = {**posts_maybe_out(session, item.id), **posts_out(session, item.id)}
    if not out:
        return {}
    link = video_link(session, item.id)
    limits = known(session)
    return {platform: post_text(config, schedules, item, platform, link,
                                limits.get(platform)).text for platform in out}


@dataclass(frozen=True)
class PostChange:
    """What an edit changes in one post that is out."""

    platform: str
    old: str
    new: str
    editable: bool
    correction_id: int | None  # the correction that edits it (None: it stays as it was)

    def note(self, interview_id: int) -> str:
        from publisher.platforms.spec import get

        label = get(self.platform).label
        if self.editable:
            return (f"{label}: the post will be edited to the corrected text (at the "
                    f"daemon's next run, or now with `publisher sync {interview_id}`)")
        return kept_note(self.platform, interview_id)


def kept_note(platform: str, interview_id: int) -> str:
    from publisher.platforms.spec import get

    label = get(platform).label
    return (f"{label}: the post stays as it was ({label} posts cannot be edited); "
            f"`publisher sync {interview_id} --replace {platform}` deletes it and posts the "
            "corrected text as a new post")


def record(session: Session, interview_id: int, actor: str, before: dict[str, str],
           after: dict[str, str]) -> list[PostChange]:
    """Record what the edit changes in each post out (see the module docstring), in the
    caller's transaction."""
    from publisher.platforms.spec import get

    changes = []
    for platform, old in before.items():
        new = after.get(platform, old)
        if new == old:
            continue
        editable = get(platform).can_edit
        correction_id = _merge(session, interview_id, platform, old, actor).id \
            if editable else None
        journal(session, interview_id, EventKind.CORRECTION_RECORDED, actor,
                correction=correction_id, platform=platform, fields=[POST_FIELD],
                changes={POST_FIELD: {"old": old, "new": new}},
                kept_as_it_was=not editable)
        changes.append(PostChange(platform, old, new, editable, correction_id))
    return changes


def open_post_corrections(session: Session, interview_id: int,
                          platform: str | None = None) -> list[Correction]:
    """The interview's open corrections of posts (of `platform`, or of every one), oldest
    first."""
    query = select(Correction).where(
        Correction.interview_id == interview_id, Correction.platform != "youtube",
        Correction.state.in_([s.value for s in OPEN_CORRECTION]))
    if platform is not None:
        query = query.where(Correction.platform == platform)
    return list(session.scalars(query.order_by(Correction.id)))


def _merge(session: Session, interview_id: int, platform: str, old: str,
           actor: str) -> Correction:
    found = next((c for c in open_post_corrections(session, interview_id, platform)
                  if CorrectionState(c.state) in _MERGEABLE
                  and REPLACE_FIELD not in (c.fields or [])), None)
    if found is None:
        found = Correction(interview_id=interview_id, platform=platform,
                           state=CorrectionState.PENDING.value, fields=[POST_FIELD],
                           known={POST_FIELD: old}, attempts=0, actor=actor)
        session.add(found)
    set_correction(found, CorrectionState.PENDING, next_attempt_at=None, last_error=None)
    session.flush()
    return found


#: The journal entries after which the post out is not the one an earlier correction was
#: about: the cross-post sent it (a replacement too) or found it after a lost answer, with
#: the text rendered then; or the post was deleted (what is out later went out later). Not
#: a resolve: it records the post out there, whose text it does not change.
_NEW_POST = frozenset({EventKind.POSTED.value, EventKind.POST_FOUND.value,
                       EventKind.POST_DELETED.value, EventKind.POST_DELETED_BY_HAND.value})


def kept_posts(session: Session, config: Config, schedules: dict[str, Schedule],
               item: Interview) -> dict[str, tuple[str, str]]:
    """The posts out on platforms that cannot edit whose text a correction changed since
    they went out: platform → (what the post says, what it would say now).

    "Since" in the journal's order (`_NEW_POST`), not by time: the entries of a run are on
    its clock (a rehearsal's), the CLI's on the wall clock; and a later `resolve` of the
    same post moves both the record's `updated_at` and its `went_out_at`."""
    from publisher.platform_limits import known
    from publisher.platforms.spec import get

    out = {p: pub for p, pub in posts_out(session, item.id).items() if not get(p).can_edit}
    if not out:
        return {}
    first: dict[str, dict[str, Any]] = {}  # the oldest correction of the post out
    for kind, detail in session.execute(select(Event.kind, Event.detail).where(
            Event.interview_id == item.id,
            Event.kind.in_([*_NEW_POST, EventKind.CORRECTION_RECORDED.value]))
            .order_by(Event.id)):
        platform = str((detail or {}).get("platform"))
        if platform not in out:
            continue
        if kind in _NEW_POST:
            first.pop(platform, None)  # an edit before this post went out: the post has it
        else:
            first.setdefault(platform, detail)
    link = video_link(session, item.id)
    limits = known(session)
    found: dict[str, tuple[str, str]] = {}
    for platform, detail in first.items():
        posted = str(((detail.get("changes") or {}).get(POST_FIELD) or {}).get("old") or "")
        now = post_text(config, schedules, item, platform, link, limits.get(platform)).text
        if posted and posted != now:
            found[platform] = (posted, now)
    return found
