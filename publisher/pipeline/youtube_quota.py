"""A run's side of the YouTube quota ledger (publisher/quota.py): which ledger (the home's
Google Cloud project), today's limits, each call charged before it is made, and the look
before a run of calls.

Releases come first: a release (or a withdrawal) may spend every unit left today; anything
else (uploads, decorations, checks, corrections) leaves the units today's releases may need,
whichever programme of the project they belong to (each programme records its
project, so the others can count its releases).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from publisher.quota import (
    COSTS,
    UNITS,
    QuotaLimits,
    charge,
    ensure_room,
    record_ledger,
    release_reserve,
)
from publisher.quota_project import QuotaProject, quota_project

if TYPE_CHECKING:
    from publisher.pipeline.runtime import Runtime


def ledger(rt: Runtime) -> QuotaProject:
    """The ledger of this home's calls (read again each time: `auth youtube` with another
    OAuth client moves the home to that client's project)."""
    return quota_project(rt.home, rt.config, rt.credentials)


def limits(rt: Runtime) -> QuotaLimits:
    return QuotaLimits(uploads=rt.config.youtube.daily_uploads,
                       units=rt.config.youtube.daily_units)


def charge_call(rt: Runtime, method: str, *, releasing: bool = False) -> None:
    """Count one call in the ledger before it is sent, or DeferredError until the reset
    (check and count in one transaction: quota.charge)."""
    now = rt.clock()
    project = ledger(rt).key
    with rt.transaction() as s:
        record_ledger(s, rt.programme_id, project)
        reserve = 0 if releasing or COSTS[method][0] != UNITS else release_reserve(
            s, now, project)
        charge(s, now, limits(rt), method, project=project, reserve=reserve)


def ensure_room_for(rt: Runtime, *methods: str) -> None:
    """DeferredError until the reset unless today's quota pays for `methods` after what
    today's releases need: so that no run of calls starts that cannot finish today."""
    now = rt.clock()
    project = ledger(rt).key
    with rt.transaction() as s:
        record_ledger(s, rt.programme_id, project)
        ensure_room(s, now, limits(rt), *methods, project=project,
                    reserve=release_reserve(s, now, project))
