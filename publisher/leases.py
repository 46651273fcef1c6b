"""Leases: one worker at a time acts on an interview.

A claim is one conditional UPDATE (free, expired, or already ours), so it is atomic on
SQLite (whose writers are serialised) and on PostgreSQL (row lock) alike. A worker renews its
lease while a long upload runs; anyone may take over an expired one. Every write the
pipeline makes while holding a lease is guarded by the owner (`guarded_update`), so a worker
whose lease was taken over can no longer change the interview: it learns so (LeaseLost) and
stops.

Each step takes its lease for its own time (minutes); PUBLISHER_LEASE_TTL_S, when set, takes
every lease for that many seconds instead: how long a holder on another machine that stopped
(a lost host, a frozen VM) keeps others waiting, and how the tests make that wait short.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from typing import Any

from sqlalchemy import CursorResult, case, literal, or_, select, update
from sqlalchemy.orm import Session

from publisher.errors import PublisherError
from publisher.store.models import Interview

DEFAULT_TTL = dt.timedelta(minutes=5)
ENV_TTL = "PUBLISHER_LEASE_TTL_S"


class LeaseLost(PublisherError):
    """Another worker holds (or took over) the interview's lease."""


def new_owner(kind: str = "worker") -> str:
    """A name unique to this process and call, readable in `status`."""
    return f"{kind}:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def lease_ttl(default: dt.timedelta) -> dt.timedelta:
    """`default`, or PUBLISHER_LEASE_TTL_S seconds if set (see the module's docstring)."""
    raw = os.environ.get(ENV_TTL, "").strip()
    if not raw:
        return default
    try:
        seconds = float(raw)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 86_400:
        raise PublisherError(f"{ENV_TTL}={raw!r}: expected a number of seconds above 0 and "
                             "at most 86400")
    return dt.timedelta(seconds=seconds)


def _rowcount(result: Any) -> int:
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


def claim(session: Session, interview_id: int, owner: str, now: dt.datetime,
          ttl: dt.timedelta = DEFAULT_TTL) -> bool:
    """Take the lease if it is free, expired, already ours, or held by a dead process.

    True when we hold it. A process killed on this machine (kill -9, a crash, a power cut)
    cannot renew its lease; rather than wait out its expiry, a worker on the same host that
    sees the holder's process is gone takes over at once.
    """
    ttl = lease_ttl(ttl)
    since = case((Interview.lease_owner == owner, Interview.lease_since),
                 else_=literal(now, type_=Interview.lease_since.type))
    result = session.execute(
        update(Interview)
        .where(Interview.id == interview_id,
               or_(Interview.lease_owner.is_(None), Interview.lease_expires_at <= now,
                   Interview.lease_owner == owner))
        .values(lease_owner=owner, lease_expires_at=now + ttl, lease_since=since)
        .execution_options(synchronize_session=False))
    if _rowcount(result) == 1:
        return True
    holder = session.scalar(select(Interview.lease_owner).where(Interview.id == interview_id))
    if holder is None or not holder_is_dead(holder):
        return False
    result = session.execute(
        update(Interview)
        .where(Interview.id == interview_id, Interview.lease_owner == holder)
        .values(lease_owner=owner, lease_expires_at=now + ttl, lease_since=now)
        .execution_options(synchronize_session=False))
    return _rowcount(result) == 1


def holder_is_dead(holder: str) -> bool:
    """True if `holder` names a process on this host that no longer exists."""
    parts = holder.split(":")
    if len(parts) != 4 or parts[1] != socket.gethostname() or not parts[2].isdigit():
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, owned by another user
    return False


def renew(session: Session, interview_id: int, owner: str, now: dt.datetime,
          ttl: dt.timedelta = DEFAULT_TTL) -> None:
    """Extend our lease; raise LeaseLost if it is no longer ours."""
    guarded_update(session, interview_id, owner, lease_expires_at=now + lease_ttl(ttl))


def release(session: Session, interview_id: int, owner: str) -> None:
    """Give the lease back (a no-op if it was taken over meanwhile)."""
    session.execute(
        update(Interview)
        .where(Interview.id == interview_id, Interview.lease_owner == owner)
        .values(lease_owner=None, lease_expires_at=None)
        .execution_options(synchronize_session=False))


def guarded_update(session: Session, interview_id: int, owner: str, **values: Any) -> None:
    """Change the interview only while we hold its lease (fencing)."""
    result = session.execute(
        update(Interview)
        .where(Interview.id == interview_id, Interview.lease_owner == owner)
        .values(**values)
        .execution_options(synchronize_session=False))
    if _rowcount(result) != 1:
        raise LeaseLost(f"interview {interview_id}: the lease was taken over by another "
                        "worker; this one stops acting on it")
