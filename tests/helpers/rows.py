"""Reading a test home's database rows, detached from their session."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from publisher.store.db import make_engine
from publisher.store.models import Event, Interview
from tests.helpers.scoped import Session

if TYPE_CHECKING:
    from tests.conftest import HomeFixture


def interviews(home: HomeFixture) -> list[Interview]:
    """Every interview, in queue order."""
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        rows = list(s.scalars(select(Interview).order_by(Interview.id)))
        s.expunge_all()
    engine.dispose()
    return rows


def events(home: HomeFixture, kind: str) -> list[Event]:
    """The events of one kind, oldest first."""
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        rows = list(s.scalars(select(Event).where(Event.kind == kind).order_by(Event.id)))
        s.expunge_all()
    engine.dispose()
    return rows
