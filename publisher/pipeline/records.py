"""Publication records: one per (interview, platform, step, account), found or made."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.store.models import Publication


def record(session: Session, interview_id: int, platform: str, step: str,
           account: str = "") -> Publication:
    """The record of one side effect, created as pending the first time it is asked for."""
    found = session.scalars(select(Publication).where(
        Publication.interview_id == interview_id, Publication.platform == platform,
        Publication.step == step, Publication.account == account)).first()
    if found is not None:
        return found
    pub = Publication(interview_id=interview_id, platform=platform, step=step, account=account,
                      progress=0, attempts=0)  # pending: the model's default
    session.add(pub)
    session.flush()
    return pub

