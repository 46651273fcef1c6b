"""What `status` shows of the workers that serve a home's database: each worker (name, host,
pid, heartbeat age; one silent past its heartbeat shown as such), and, for each interview of
the programme whose lease is held, who holds it (which worker, or a daemon, or a command),
doing what, since when and until when."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.services.worker_presence import SILENT_AFTER, seen_workers, worker_of
from publisher.store.models import Interview, State

#: What the holder of an interview's lease is doing, by the interview's state.
_DOING = {State.QUEUED.value: "starting its upload", State.STAGING.value: "uploading",
          State.STAGED.value: "releasing", State.RELEASED.value: "posting",
          State.PUBLISHED.value: "correcting", State.WITHDRAWN.value: "withdrawing"}


def workers_status(session: Session, now: dt.datetime) -> dict[str, Any]:
    """`workers`: every worker not stopped cleanly that beat within a day; `leases`: the
    programme's interviews whose lease is held now (the session's programme)."""
    workers = seen_workers(session, now)
    held = session.execute(
        select(Interview.id, Interview.title, Interview.state, Interview.lease_owner,
               Interview.lease_since, Interview.lease_expires_at)
        .where(Interview.lease_owner.is_not(None), Interview.lease_expires_at > now)
        .order_by(Interview.lease_since, Interview.id)).all()
    leases = []
    for r in held:
        worker = worker_of(r.lease_owner, workers)
        leases.append({
            "interview_id": r.id, "title": r.title, "state": r.state,
            "doing": _DOING.get(r.state, r.state), "holder": r.lease_owner,
            "worker": worker.name if worker else None,
            "worker_alive": worker.alive if worker else None,
            "since": r.lease_since.isoformat() if r.lease_since else None,
            "until": r.lease_expires_at.isoformat() if r.lease_expires_at else None})
    return {
        "workers": [{"name": w.name, "host": w.host, "pid": w.pid,
                     "concurrency": w.concurrency, "started_at": w.started_at.isoformat(),
                     "last_heartbeat": w.heartbeat_at.isoformat(),
                     "heartbeat_age_s": w.beat_age(now), "alive": w.alive}
                    for w in workers],
        "silent_after_s": int(SILENT_AFTER.total_seconds()),
        "leases": leases,
    }
