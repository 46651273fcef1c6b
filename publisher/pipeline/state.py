"""Small facts kept between runs: when run_due last looked, the daemon's heartbeat. Each
programme keeps its own (the key of a row is the session's programme and the fact's name)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from publisher.store.models import RuntimeState
from publisher.store.scope import require_programme


def get(session: Session, key: str) -> dict[str, Any]:
    row = session.get(RuntimeState, (require_programme(session), key))
    return dict(row.value) if row is not None else {}


def put(session: Session, key: str, value: dict[str, Any], at: dt.datetime) -> None:
    row = session.get(RuntimeState, (require_programme(session), key))
    if row is not None and row.value == value:
        return
    replace(session, key, value, at)


def replace(session: Session, key: str, value: dict[str, Any], at: dt.datetime) -> None:
    """`put` without looking first (the caller knows the value changed)."""
    from publisher.store.upsert import upsert

    upsert(session, RuntimeState, {"key": key}, {"value": value, "updated_at": at})
    session.expire_all()
