"""When to try a failed step again: one policy for the upload and the cross-posts."""

from __future__ import annotations

import datetime as dt

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
