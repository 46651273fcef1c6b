"""The `workers` table: each `publisher worker` says it is alive (at start, then every
minute) and that it stopped (at a clean stop), so `status` can name who holds what: the
lease owners of its jobs start with the worker's name."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid

from sqlalchemy import select, update
from sqlalchemy.engine import Engine

from publisher.services.worker_presence import BEAT_EVERY, SILENT_AFTER
from publisher.store.db import transaction
from publisher.store.models import Worker

BEAT_EVERY_S = BEAT_EVERY.total_seconds()


def new_name() -> str:
    return f"worker:{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def register(engine: Engine, name: str, concurrency: int, now: dt.datetime) -> None:
    with transaction(engine, None) as s:  # deployment-wide: workers serve every programme
        s.add(Worker(name=name, host=socket.gethostname(), pid=os.getpid(),
                     concurrency=concurrency, started_at=now, heartbeat_at=now))


def beat(engine: Engine, name: str, now: dt.datetime) -> None:
    with transaction(engine, None) as s:  # deployment-wide: workers serve every programme
        s.execute(update(Worker).where(Worker.name == name).values(heartbeat_at=now))


def stopped(engine: Engine, name: str, now: dt.datetime) -> None:
    with transaction(engine, None) as s:  # deployment-wide: workers serve every programme
        s.execute(update(Worker).where(Worker.name == name)
                  .values(heartbeat_at=now, stopped_at=now))


def alive(engine: Engine, now: dt.datetime, *, within: dt.timedelta = SILENT_AFTER
          ) -> list[Worker]:
    """The workers that beat lately and did not stop."""
    with transaction(engine, None) as s:  # deployment-wide: workers serve every programme
        rows = list(s.scalars(select(Worker).where(
            Worker.stopped_at.is_(None), Worker.heartbeat_at >= now - within)
            .order_by(Worker.started_at)))
        s.expunge_all()
    return rows
