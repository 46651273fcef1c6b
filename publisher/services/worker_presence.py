"""Which `publisher worker` processes serve a database, read from the `workers` table
(publisher/workers/registry.py writes it): for `status`, and for the rule that a programme is
never run both by workers and by a `publisher run` daemon.

The rule (first come holds the programme):
- `publisher run` refuses to start while live workers serve the database (they serve every
  active programme of it);
- a worker's plan and steps skip a programme whose home has a live daemon (one that started
  before any worker did).
Both checks run under the programme's daemon lock (services/daemon_claim.py), so a daemon
starting while a worker plans cannot slip between them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.store.models import Worker

#: A worker beats this often (from a task of its event loop, even during a long upload).
BEAT_EVERY = dt.timedelta(seconds=60)
#: A worker silent this long is taken for gone (killed, its machine lost or frozen).
SILENT_AFTER = 3 * BEAT_EVERY


@dataclass(frozen=True)
class SeenWorker:
    name: str  # worker:host:pid:uuid
    host: str
    pid: int
    concurrency: int
    started_at: dt.datetime
    heartbeat_at: dt.datetime
    alive: bool  # False: silent past SILENT_AFTER (and not stopped cleanly)

    def beat_age(self, now: dt.datetime) -> int:
        return max(0, int((now - self.heartbeat_at).total_seconds()))


def seen_workers(session: Session, now: dt.datetime, *,
                 silent_for_at_most: dt.timedelta = dt.timedelta(days=1)) -> list[SeenWorker]:
    """The workers not stopped cleanly that beat within a day: the live ones and the silent
    ones (killed: they never say they stopped), oldest first."""
    rows = session.scalars(select(Worker).where(
        Worker.stopped_at.is_(None), Worker.heartbeat_at >= now - silent_for_at_most)
        .order_by(Worker.started_at, Worker.id)).all()
    return [SeenWorker(w.name, w.host, w.pid, w.concurrency, w.started_at, w.heartbeat_at,
                       alive=now - w.heartbeat_at < SILENT_AFTER) for w in rows]


def live_workers(session: Session, now: dt.datetime) -> list[SeenWorker]:
    return [w for w in seen_workers(session, now, silent_for_at_most=SILENT_AFTER) if w.alive]


def worker_of(lease_owner: str | None, workers: list[SeenWorker]) -> SeenWorker | None:
    """The worker whose job holds a lease: a job's lease owner is `worker:host:pid:…`, the
    host and pid of the worker process that runs it (leases.new_owner)."""
    parts = (lease_owner or "").split(":")
    if len(parts) != 4 or parts[0] != "worker":
        return None
    # A pid may be reused: a later worker of the same host and pid is the holder.
    matches = [w for w in workers if w.host == parts[1] and str(w.pid) == parts[2]]
    return max(matches, key=lambda w: w.started_at) if matches else None


def describe(worker: SeenWorker) -> str:
    return f"pid {worker.pid} on {worker.host}"
