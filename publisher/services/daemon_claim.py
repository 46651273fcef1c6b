"""One daemon per home: its claim when it starts, its heartbeat, its release when it stops.

The claim is the "daemon" row of runtime_state (what `status` shows): owner (kind, host, pid),
since when, the last heartbeat. A second `publisher run` on the same home finds a live owner
and refuses, naming it. An owner is taken over when it is stale: stopped cleanly, its process
gone (on this machine), or its heartbeat older than STALE_AFTER (another machine, or a frozen
one). The check and the write are one transaction: serialised by SQLite's BEGIN IMMEDIATE, and
on PostgreSQL by a transaction-scoped advisory lock keyed by the programme, so two daemons
starting at the same instant cannot both win, and daemons of different programmes sharing a
database never wait for each other.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from publisher.errors import PublisherError

KEY = "daemon"
# "daem": any constant shared by every publisher process; the lock's second key is the
# programme's id (PostgreSQL's two-int advisory locks are a space apart from the one-bigint).
_PG_LOCK = 0x64_61_65_6D


class DaemonAlreadyRunning(PublisherError):
    """Another daemon holds this home: a person decides which one runs (exit status 4)."""

    exit_code = 4


class WorkersServeThisProgramme(DaemonAlreadyRunning):
    """Live `publisher worker` processes serve this home's database, so its programme: a
    daemon would act on it too (exit status 4). Rule: services/worker_presence.py."""


def _serialise(session: Session) -> None:
    from publisher.store.scope import require_programme

    programme_id = require_programme(session)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k, :programme_id)"),
                        {"k": _PG_LOCK, "programme_id": programme_id})


def describe(owner: str) -> str:
    """`daemon:host:1234:ab12cd34` as people say it: "pid 1234 on host"."""
    parts = owner.split(":")
    return f"pid {parts[2]} on {parts[1]}" if len(parts) == 4 else owner


def _refusal(current: dict[str, Any], now: dt.datetime) -> DaemonAlreadyRunning:
    from publisher.services.status import STALE_AFTER

    since = current.get("started_at") or current.get("heartbeat")
    beat = dt.datetime.fromisoformat(current["heartbeat"])
    ago = max(0, int((now - beat).total_seconds()))
    when = f" since {dt.datetime.fromisoformat(since):%Y-%m-%d %H:%M:%S} UTC" if since else ""
    minutes = int(STALE_AFTER.total_seconds() // 60)
    return DaemonAlreadyRunning(
        f"another daemon is already running on this home: {describe(current['owner'])}"
        f"{when} (last heartbeat {ago} s ago). Stop it first (or let it be: one is enough); "
        f"if it is gone, its place is taken over at once on the same machine, or once its "
        f"heartbeat is {minutes} minutes old")


def _workers_refusal(workers: list[Any], now: dt.datetime) -> WorkersServeThisProgramme:
    from publisher.services.worker_presence import describe as describe_worker

    named = ", ".join(f"{describe_worker(w)} (last heartbeat {w.beat_age(now)} s ago)"
                      for w in workers)
    return WorkersServeThisProgramme(
        f"`publisher worker` processes serve this home's database, and so its programme: "
        f"{named}. A programme is run either by workers or by one `publisher run`, never "
        f"both: `publisher run` refuses while a worker is alive, and workers leave alone a "
        f"programme whose `publisher run` started first. Stop the workers to run this home "
        f"with `publisher run`, or let them serve it (`publisher status` shows them)")


def claim(session: Session, owner: str, now: dt.datetime) -> None:
    """Make `owner` the home's daemon, or raise DaemonAlreadyRunning naming the live one, or
    WorkersServeThisProgramme while live workers serve the database."""
    from publisher.pipeline import state
    from publisher.services.status import daemon_health
    from publisher.services.worker_presence import live_workers

    _serialise(session)
    current = state.get(session, KEY)
    if current.get("owner") not in (None, owner) and daemon_health(current, now)[1]:
        raise _refusal(current, now)
    workers = live_workers(session, now)
    if workers:
        raise _workers_refusal(workers, now)
    state.put(session, KEY, {"owner": owner, "started_at": now.isoformat(),
                             "heartbeat": now.isoformat(), "next_wake": None}, now)


def live_daemon(session: Session, now: dt.datetime) -> str | None:
    """The owner of the home's live daemon, or None: what a worker checks before it plans or
    performs a programme's work (under the same lock as `claim`, so a daemon that claims the
    home meanwhile is seen once its claim is committed)."""
    from publisher.pipeline import state
    from publisher.services.status import daemon_health

    _serialise(session)
    current = state.get(session, KEY)
    owner = current.get("owner")
    return str(owner) if owner and daemon_health(current, now)[1] else None


def beat(session: Session, owner: str, now: dt.datetime, started_at: dt.datetime,
         next_wake: dt.datetime | None) -> bool:
    """The heartbeat; False when another daemon has taken the home over meanwhile (this one
    was thought gone: it must stop)."""
    from publisher.pipeline import state

    _serialise(session)
    current = state.get(session, KEY)
    if current.get("owner") not in (None, owner):
        return False
    state.put(session, KEY, {"owner": owner, "started_at": started_at.isoformat(),
                             "heartbeat": now.isoformat(),
                             "next_wake": next_wake.isoformat() if next_wake else None}, now)
    return True


def release(session: Session, owner: str, now: dt.datetime) -> None:
    """A clean stop: the next daemon may start at once."""
    from publisher.pipeline import state

    _serialise(session)
    current = state.get(session, KEY)
    if current.get("owner") == owner:
        state.put(session, KEY, {**current, "stopped_at": now.isoformat()}, now)
