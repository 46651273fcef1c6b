"""When to try a failed step again: one policy for the upload, the cross-posts and the
corrections."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.store.models import Correction

RETRY_BASE = dt.timedelta(minutes=2)
RETRY_CAP = dt.timedelta(hours=6)
#: The shortest wait, even when a platform says "now" (a reset already past, clock skew).
MIN_WAIT = dt.timedelta(seconds=30)


def next_attempt(now: dt.datetime, attempts: int,
                 retry_at: dt.datetime | None = None) -> dt.datetime:
    """At the time the platform gave (a 429's reset, a Retry-After), else after an
    exponential backoff from RETRY_BASE, doubling per attempt up to RETRY_CAP."""
    if retry_at is not None:
        return max(retry_at, now + MIN_WAIT)
    backoff: dt.timedelta = RETRY_BASE * 2 ** min(attempts, 12)
    return now + min(RETRY_CAP, backoff)


def correction_failed(row: Correction, exc: Exception, now: dt.datetime, reason: str, *,
                      permanent: bool) -> None:
    """A correction's request failed: it needs the organizer (`permanent`), or it waits
    for the time the platform gave, else for the backoff."""
    from publisher.lifecycle import set_correction
    from publisher.platforms.errors import DeferredError
    from publisher.store.states import CorrectionState

    if permanent:
        set_correction(row, CorrectionState.NEEDS_ATTENTION, last_error=reason,
                       next_attempt_at=None)
        return
    until = (exc.until if isinstance(exc, DeferredError)
             else next_attempt(now, row.attempts, getattr(exc, "retry_at", None)))
    set_correction(row, CorrectionState.WAITING, last_error=reason, next_attempt_at=until,
                   attempts=row.attempts + 1)
