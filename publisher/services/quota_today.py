"""Today's YouTube quota as publisher counted it, in the ledger of the home's Google Cloud
project: each bucket's use, limit and what is left, what is kept for today's releases,
and when both reset (`publisher quota`, `doctor` and the console's Needs-you page)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.quota_project import QuotaProject


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
    #: The ledger: the home's Google Cloud project (publisher/quota_project.py), whose
    #: figures every home of the project shares.
    project: QuotaProject
    #: Units of `units.remaining` that only today's releases may spend (quota.py).
    held_for_releases: int = 0

    @property
    def buckets(self) -> tuple[Bucket, Bucket]:
        return self.uploads, self.units

    @property
    def used_up(self) -> list[Bucket]:
        return [b for b in self.buckets if b.remaining == 0]


def quota_today(app: App, now: dt.datetime) -> QuotaToday:
    """From publisher's own ledger of the calls made (refused ones too) in the current
    Pacific-time day by every home whose OAuth client belongs to this home's Google Cloud
    project; calls by other programs sharing the project are not counted."""
    from publisher.platforms.youtube.errors import next_quota_reset
    from publisher.quota import UNITS, UPLOADS, pacific_day, release_reserve, used_today
    from publisher.quota_project import quota_project

    project = quota_project(app.home, app.config, app.credentials)
    with app.transaction() as session:
        used = used_today(session, now, project.key)
        reserve = release_reserve(session, now, project.key)
    yt = app.config.youtube
    units = Bucket(UNITS, used[UNITS], yt.daily_units)
    return QuotaToday(day=pacific_day(now),
                      uploads=Bucket(UPLOADS, used[UPLOADS], yt.daily_uploads),
                      units=units, resets_at=next_quota_reset(now), project=project,
                      held_for_releases=min(reserve, units.remaining))
