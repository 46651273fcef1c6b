"""The YouTube quota ledger: what each call costs, what today used, what must wait.

Two buckets since June 2026: `videos.insert` calls (100 a day by default) and the shared
units of every other call (10,000 a day). Both reset at midnight Pacific Time. Work that would
overrun a bucket is deferred to the reset, never attempted (every call, even a refused one,
costs at least one unit). Costs are from the platform facts, youtube-api.md §1.1.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.platforms.errors import DeferredError
from publisher.platforms.youtube.errors import PACIFIC, next_quota_reset
from publisher.store.models import QuotaUsage

UPLOADS = "videos.insert"
UNITS = "units"
COSTS: dict[str, tuple[str, int]] = {
    "videos.insert": (UPLOADS, 1),
    "videos.list": (UNITS, 1),
    "videos.update": (UNITS, 50),
    "thumbnails.set": (UNITS, 50),
    "playlists.list": (UNITS, 1),
    "playlists.insert": (UNITS, 50),
    "playlistItems.list": (UNITS, 1),
    "playlistItems.insert": (UNITS, 50),
    "playlistItems.delete": (UNITS, 50),
    "captions.list": (UNITS, 50),
    "captions.insert": (UNITS, 400),
    "captions.update": (UNITS, 450),
    "captions.delete": (UNITS, 50),
    "channels.list": (UNITS, 1),
}


@dataclass(frozen=True)
class QuotaLimits:
    uploads: int = 100
    units: int = 10_000

    def of(self, bucket: str) -> int:
        return self.uploads if bucket == UPLOADS else self.units


def pacific_day(now: dt.datetime) -> dt.date:
    return now.astimezone(PACIFIC).date()


def used_today(session: Session, now: dt.datetime) -> dict[str, int]:
    rows = session.execute(select(QuotaUsage.bucket, QuotaUsage.units)
                           .where(QuotaUsage.day == pacific_day(now))).all()
    out = {UPLOADS: 0, UNITS: 0}
    out.update({r.bucket: r.units for r in rows})
    return out


def ensure_room(session: Session, now: dt.datetime, limits: QuotaLimits,
                *methods: str) -> None:
    """Raise DeferredError (until the reset) if these calls would overrun today's quota."""
    need: dict[str, int] = {}
    for method in methods:
        bucket, cost = COSTS[method]
        need[bucket] = need.get(bucket, 0) + cost
    used = used_today(session, now)
    for bucket, cost in need.items():
        if used[bucket] + cost > limits.of(bucket):
            until = next_quota_reset(now)
            raise DeferredError(
                f"today's YouTube quota would be exceeded ({bucket}: {used[bucket]} of "
                f"{limits.of(bucket)} used, {cost} needed); waiting for the reset at "
                f"{until:%Y-%m-%d %H:%M} UTC", until=until, platform="youtube",
                reason="quotaLedger")


def spend(session: Session, now: dt.datetime, method: str, calls: int = 1) -> None:
    """Record calls made (refused ones too: YouTube charges them)."""
    bucket, cost = COSTS[method]
    day = pacific_day(now)
    from publisher.store.upsert import upsert

    upsert(session, QuotaUsage, {"day": day, "bucket": bucket}, {"units": cost * calls},
           add=("units",))
