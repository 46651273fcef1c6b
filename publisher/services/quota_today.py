"""Today's YouTube quota as publisher counted it: each bucket's use, limit and what is left,
and when both reset (`publisher quota`, `doctor` and the console's Needs-you page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App


@dataclass(frozen=True)
class Bucket:
    name: str  # publisher.quota.UPLOADS or UNITS
    used: int
    limit: int

    @property
    def remaining(self) -> int:
        return max(0, self.limit - self.used)


@dataclass(frozen=True)
class QuotaToday:
    day: dt.date             # the Pacific-time day the figures are for
    uploads: Bucket          # videos.insert calls
    units: Bucket            # every other call
    resets_at: dt.datetime   # midnight Pacific time, UTC

    @property
    def buckets(self) -> tuple[Bucket, Bucket]:
        return self.uploads, self.units

    @property
    def used_up(self) -> list[Bucket]:
        return [b for b in self.buckets if b.remaining == 0]


def quota_today(app: App, now: dt.datetime) -> QuotaToday:
    """From publisher's own ledger of the calls it made (refused ones too) in the current
    Pacific-time day; calls by other programs sharing the Google Cloud project are not
    counted."""
    from publisher.platforms.youtube.errors import next_quota_reset
    from publisher.quota import UNITS, UPLOADS, pacific_day, used_today

    with app.transaction() as session:
        used = used_today(session, now)
    yt = app.config.youtube
    return QuotaToday(day=pacific_day(now),
                      uploads=Bucket(UPLOADS, used[UPLOADS], yt.daily_uploads),
                      units=Bucket(UNITS, used[UNITS], yt.daily_units),
                      resets_at=next_quota_reset(now))
