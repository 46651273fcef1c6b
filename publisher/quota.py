"""The YouTube quota ledger: what each call costs, what today used, what must wait.

Two buckets since June 2026: `videos.insert` calls (100 a day by default) and the shared
units of every other call (10,000 a day). Both reset at midnight Pacific Time. Work that would
overrun a bucket is deferred to the reset, never attempted (every call, even a refused one,
costs at least one unit). Costs are from the platform facts, youtube-api.md §1.1.

The quota belongs to a Google Cloud project, so the ledger is kept per project
(`quota_project`, publisher/quota_project.py): homes whose OAuth clients share a project
share it. Each call is charged before it is made, by `charge`: the check and the count are
one statement, so two workers can never both take the last units. Releases come first: any
other work leaves today's releases the units they may need (`release_reserve`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, func, select, update
from sqlalchemy.orm import Session

from publisher.platforms.errors import DeferredError
from publisher.platforms.youtube.errors import PACIFIC, next_quota_reset
from publisher.store.models import Interview, QuotaUsage, State

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
#: What one release may need: videos.list, then videos.update for a privacy YouTube does not
#: set by itself (unlisted).
RELEASE_UNITS = COSTS["videos.list"][1] + COSTS["videos.update"][1]
#: The key of the rows counted before ledgers had one (migration 0012): taken into the
#: ledger of the first home that uses it (`adopt_unassigned`).
UNASSIGNED = "unassigned"
_TABLE = cast(Table, QuotaUsage.__table__)  # for the statements that need a row count


@dataclass(frozen=True)
class QuotaLimits:
    uploads: int = 100
    units: int = 10_000

    def of(self, bucket: str) -> int:
        return self.uploads if bucket == UPLOADS else self.units


def pacific_day(now: dt.datetime) -> dt.date:
    return now.astimezone(PACIFIC).date()


def used_today(session: Session, now: dt.datetime, project: str | None = None
               ) -> dict[str, int]:
    """Each bucket's use today in `project`'s ledger (None: every ledger of the database)."""
    query = select(QuotaUsage.bucket, func.sum(QuotaUsage.units).label("units")).where(
        QuotaUsage.day == pacific_day(now)).group_by(QuotaUsage.bucket)
    if project is not None:
        adopt_unassigned(session, project)
        query = query.where(QuotaUsage.quota_project == project)
    out = {UPLOADS: 0, UNITS: 0}
    out.update({r.bucket: int(r.units or 0) for r in session.execute(query)})
    return out


def release_reserve(session: Session, now: dt.datetime, project: str | None = None) -> int:
    """Units the releases due before the quota's next reset may need: one videos.list,
    perhaps one videos.update, for each staged interview whose slot comes before it.

    With `project`, the staged interviews of every programme whose calls count in that
    ledger (`programmes.quota_project`, recorded by `record_ledger`), and of the session's
    own: programmes sharing a Cloud project share its quota, so one's uploads must leave
    another's releases of the day their units. A deployment-wide query: the interviews of
    the other programmes are counted, never read. Without it, the session's programme's."""
    from publisher.store.models import Programme
    from publisher.store.scope import ALL_PROGRAMMES, require_programme

    due = select(func.count()).select_from(Interview).where(
        Interview.state == State.STAGED.value, Interview.slot_at <= next_quota_reset(now))
    if project is not None:
        own = require_programme(session)
        sharing = select(Programme.id).where(Programme.quota_project == project)
        due = due.where((Interview.programme_id == own)
                        | Interview.programme_id.in_(sharing)
                        ).execution_options(**{ALL_PROGRAMMES: True})
    return int(session.scalar(due) or 0) * RELEASE_UNITS


def record_ledger(session: Session, programme_id: int, project: str) -> None:
    """Note which ledger the programme's calls count in, for the other programmes of its
    project (`release_reserve`); written only when it changed."""
    from publisher.store.models import Programme

    table = cast(Table, Programme.__table__)
    session.connection().execute(
        update(table).where(table.c.id == programme_id,
                            (table.c.quota_project.is_(None))
                            | (table.c.quota_project != project))
        .values(quota_project=project))


def ensure_room(session: Session, now: dt.datetime, limits: QuotaLimits, *methods: str,
                project: str | None = None, reserve: int = 0) -> None:
    """Raise DeferredError (until the reset) if these calls would overrun today's quota,
    with `reserve` units kept for today's releases. A look before a run of calls, so that
    none starts that cannot finish today; each call is still charged by `charge`."""
    need: dict[str, int] = {}
    for method in methods:
        bucket, cost = COSTS[method]
        need[bucket] = need.get(bucket, 0) + cost
    used = used_today(session, now, project)
    for bucket, cost in need.items():
        kept = reserve if bucket == UNITS else 0
        if used[bucket] + cost + kept > limits.of(bucket):
            raise _no_room(now, limits, bucket, used[bucket], cost, kept)


def charge(session: Session, now: dt.datetime, limits: QuotaLimits, method: str, *,
           project: str, reserve: int = 0) -> None:
    """Count one call of `method` in `project`'s ledger before it is made, or raise
    DeferredError (until the reset) if it would overrun today's quota with `reserve` units
    kept for today's releases (0 for a release itself).

    Atomic: the row is created if missing, then one conditional UPDATE adds the cost only if
    it fits. On PostgreSQL the UPDATE holds the row's lock until the commit and re-reads the
    row a concurrent charge committed meanwhile, so concurrent charges never overrun; SQLite
    runs one writer at a time (BEGIN IMMEDIATE)."""
    from publisher.store.upsert import upsert

    bucket, cost = COSTS[method]
    kept = reserve if bucket == UNITS else 0
    day = pacific_day(now)
    adopt_unassigned(session, project)
    upsert(session, QuotaUsage, {"quota_project": project, "day": day, "bucket": bucket},
           {"units": 0}, add=("units",))
    table = _TABLE
    row = ((table.c.quota_project == project) & (table.c.day == day)
           & (table.c.bucket == bucket))
    done = session.connection().execute(
        update(table).where(row, table.c.units + cost <= limits.of(bucket) - kept)
        .values(units=table.c.units + cost))
    if done.rowcount != 1:
        used = int(session.scalar(select(table.c.units).where(row)) or 0)
        raise _no_room(now, limits, bucket, used, cost, kept)


def spend(session: Session, now: dt.datetime, method: str, calls: int = 1, *,
          project: str = UNASSIGNED) -> None:
    """Record calls made without a check (refused ones too: YouTube charges them)."""
    from publisher.store.upsert import upsert

    bucket, cost = COSTS[method]
    upsert(session, QuotaUsage, {"quota_project": project, "day": pacific_day(now),
                                 "bucket": bucket}, {"units": cost * calls}, add=("units",))


def adopt_unassigned(session: Session, project: str) -> None:
    """Take the rows counted before ledgers had a key into `project`'s ledger. A database
    served one home then, so they are that home's. The rows are deleted and returned in one
    statement: of two homes adopting at once, only one gets them."""
    from publisher.store.upsert import upsert

    if project == UNASSIGNED:
        return
    if session.scalar(select(QuotaUsage.day).where(
            QuotaUsage.quota_project == UNASSIGNED).limit(1)) is None:
        return
    table = _TABLE
    taken = session.connection().execute(
        delete(table).where(table.c.quota_project == UNASSIGNED)
        .returning(table.c.day, table.c.bucket, table.c.units)).all()
    for r in taken:
        upsert(session, QuotaUsage, {"quota_project": project, "day": r.day,
                                     "bucket": r.bucket}, {"units": r.units}, add=("units",))


def _no_room(now: dt.datetime, limits: QuotaLimits, bucket: str, used: int, cost: int,
             kept: int) -> DeferredError:
    until = next_quota_reset(now)
    held = f", {kept} kept for today's releases" if kept else ""
    return DeferredError(
        f"today's YouTube quota would be exceeded ({bucket}: {used} of {limits.of(bucket)} "
        f"used{held}, {cost} needed); waiting for the reset at {until:%Y-%m-%d %H:%M} UTC",
        until=until, platform="youtube", reason="quotaLedger")
