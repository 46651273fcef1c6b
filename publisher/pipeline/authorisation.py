"""Waiting for the organizer to authorise YouTube: one fact of the home, not of an interview.

When the YouTube client cannot be built or is refused (no token yet, a revoked one), nothing
is sent and no interview leaves the queue for it. The fact is kept in runtime_state under
"youtube_authorisation": the problem, since when, the interviews waiting for it, and when to
look again — an hour later, or at once when the token file changes (`publisher auth youtube`
was run). The first client that works clears it. `publisher status` shows it as "needs you".
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from publisher.pipeline import state

if TYPE_CHECKING:
    from publisher.pipeline.runtime import Runtime

KEY = "youtube_authorisation"
LOOK_AGAIN = dt.timedelta(hours=1)  # a refused token costs a token request each time
FIX = "publisher auth youtube"


def message(problem: str) -> str:
    """What organizers read: `waiting for YouTube authorisation: <why> … auth youtube`."""
    text = f"waiting for YouTube authorisation: {problem}"
    return text if FIX in problem else f"{text}; run `{FIX}`"


def token_stamp(rt: Runtime) -> int | None:
    """The token file's modification time (ns); None when there is none (yet)."""
    name = rt.credentials.section("youtube").get("token_file")
    if not name:
        return None
    try:
        return rt.path(str(name)).stat().st_mtime_ns
    except OSError:
        return None


def get(session: Session) -> dict[str, Any]:
    """The fact, or {} when YouTube last answered (or was never refused)."""
    return state.get(session, KEY)


def may_try(fact: dict[str, Any], now: dt.datetime, stamp: int | None) -> bool:
    """Whether to call YouTube now: nothing was refused, the hour has passed, or the token
    file changed since."""
    if not fact:
        return True
    if stamp != fact.get("token"):
        return True
    return now >= dt.datetime.fromisoformat(fact["look_again_at"])


def look_again_at(fact: dict[str, Any]) -> dt.datetime | None:
    return dt.datetime.fromisoformat(fact["look_again_at"]) if fact else None


def refused(session: Session, now: dt.datetime, problem: str, stamp: int | None,
            interview_id: int) -> tuple[bool, bool]:
    """Record that YouTube could not be used for want of authorisation, for `interview_id`.

    Returns (news, added): whether this is the first refusal since YouTube last answered,
    and whether the interview was not yet noted as waiting."""
    fact = get(session)
    waiting = set(fact.get("interviews", []))
    state.put(session, KEY, {
        "problem": problem, "since": fact.get("since", now.isoformat()),
        "look_again_at": (now + LOOK_AGAIN).isoformat(), "token": stamp,
        "interviews": sorted(waiting | {interview_id})}, now)
    return not fact, interview_id not in waiting


def note_waiting(session: Session, now: dt.datetime, interview_ids: list[int]) -> list[int]:
    """Note interviews that are due but wait for the authorisation; returns those new."""
    fact = get(session)
    waiting = set(fact.get("interviews", []))
    new = [i for i in interview_ids if i not in waiting]
    if fact and new:
        state.put(session, KEY, {**fact, "interviews": sorted(waiting | set(new))}, now)
    return new if fact else []


def look_again_now(session: Session, now: dt.datetime) -> None:
    """`publisher retry`: ask YouTube at the next run rather than at the hour."""
    fact = get(session)
    if fact:
        session.flush()  # state.put expires what the session holds: nothing may be pending
        state.put(session, KEY, {**fact, "look_again_at": now.isoformat()}, now)


def answered(session: Session, now: dt.datetime) -> None:
    """YouTube answered: nobody waits for an authorisation any more."""
    if get(session):
        state.put(session, KEY, {}, now)
