"""Withdrawing an interview and putting it back, for the CLI (and later the console):
`publisher withdraw`, `publisher republish`, and what `status` shows of withdrawn
interviews (publisher/pipeline/withdraw.py does the work)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from publisher.app import App
    from publisher.pipeline.withdraw import RepublishReport, WithdrawReport


def withdraw_interview(app: App, item_id: int, reason: str, actor: str | None = None
                       ) -> WithdrawReport:
    """`publisher withdraw ID --reason …`: the video private, the posts deleted, told
    (`actor`: who the journal names, as in `sync_interview`)."""
    from publisher.pipeline.withdraw import withdraw

    return withdraw(app.runtime("withdraw", actor=actor), item_id, reason)


def record_deleted_by_hand(app: App, item_id: int, platform: str) -> None:
    """`publisher withdraw ID --deleted-by-hand PLATFORM`."""
    from publisher.pipeline.withdraw import deleted_by_hand

    deleted_by_hand(app.runtime("withdraw"), item_id, platform)


def republish_interview(app: App, item_id: int, actor: str | None = None) -> RepublishReport:
    """`publisher republish ID`: the video back, then the deleted posts posted anew at once
    (each exactly once, through the cross-posting's own records)."""
    from publisher.pipeline.crosspost import crosspost_one
    from publisher.pipeline.withdraw import republish

    rt = app.runtime("republish", actor=actor)
    report = republish(rt, item_id)
    if report.reposting:
        crosspost_one(rt, item_id, rt.clock())
    return report


def withdrawals_status(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The withdrawn interviews (for `status`: why, since when, their posts), and the posts
    a withdrawal could not delete (with the link to delete by hand and the fix)."""
    from sqlalchemy import select

    from publisher.lifecycle import EventKind, Step
    from publisher.store.models import Event, Interview, Publication, PublicationState, State

    items = session.execute(select(Interview.id, Interview.title).where(
        Interview.state == State.WITHDRAWN.value).order_by(Interview.id)).all()
    withdrawn, needs = [], []
    for item in items:
        event = session.scalars(select(Event).where(
            Event.interview_id == item.id, Event.kind == EventKind.WITHDRAWN.value)
            .order_by(Event.id.desc())).first()
        posts = session.scalars(select(Publication).where(
            Publication.interview_id == item.id, Publication.step == Step.POST.value)
            .order_by(Publication.platform)).all()
        withdrawn.append({
            "interview_id": item.id, "title": item.title,
            "reason": (event.detail or {}).get("reason", "") if event else "",
            "since": event.at.isoformat() if event else None,
            "posts": {p.platform: p.state for p in posts}})
        for p in posts:
            if p.state == PublicationState.NEEDS_ATTENTION.value and p.remote_id:
                needs.append({"interview_id": item.id, "title": item.title,
                              "platform": p.platform,
                              "reason": f"withdrawn, but its post is still out: "
                                        f"{p.last_error or p.url or p.remote_id}",
                              "fix": f"publisher withdraw {item.id} --deleted-by-hand "
                                     f"{p.platform}"})
    return withdrawn, needs
