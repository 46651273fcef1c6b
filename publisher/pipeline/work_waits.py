"""Until when a piece of due work waits, after it was tried: back-pressure for the workers.

A platform that rate-limits (429 with its reset time), a YouTube quota spent (the ledger or
YouTube itself: until the Pacific reset) or a passing failure records the time of the next
attempt on the publication (`next_attempt_at`). `due_work` skips it until then; a worker's
job for that work is deferred to that time (publisher/workers/tasks.py), so it waits in the
database without looping and without holding a worker.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from publisher.lifecycle import Step
from publisher.pipeline.run_due import STAGE_KINDS, Work, WorkKind
from publisher.store.models import Publication, PublicationState

if TYPE_CHECKING:
    from publisher.pipeline.runtime import Runtime

_SETTLED = (PublicationState.DONE.value, PublicationState.NEEDS_ATTENTION.value,
            PublicationState.SKIPPED.value)


def waits_until(rt: Runtime, work: Work, now: dt.datetime) -> dt.datetime | None:
    """The earliest time a publication this work acts on waits for, if it is later than
    `now`; None when nothing of it waits (done, or due again at once)."""
    if work.interview_id is None:
        return None
    query = select(func.min(Publication.next_attempt_at)).where(
        Publication.interview_id == work.interview_id, Publication.next_attempt_at > now,
        Publication.state.not_in(_SETTLED))
    if work.kind in STAGE_KINDS:
        query = query.where(Publication.platform == "youtube",
                            Publication.step == Step.VIDEO.value)
    elif work.kind == WorkKind.RELEASE:
        query = query.where(Publication.platform == "youtube",
                            Publication.step == Step.RELEASE.value)
    elif work.kind == WorkKind.CROSSPOST:
        query = query.where(Publication.platform != "youtube")
    else:
        return None  # the next plan decides again: their waits are kept elsewhere
    with rt.transaction() as s:
        found = s.scalar(query)
    return found if found is not None and found > now else None
