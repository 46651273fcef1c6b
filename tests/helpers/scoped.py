"""A SQLAlchemy session for tests that read or write a home's rows directly: scoped to one
programme (publisher/store/scope.py), by default programme 1, the one every test home runs
("default")."""

from __future__ import annotations

from typing import Any

from sqlalchemy import insert, orm
from sqlalchemy.engine import Engine

from publisher.store.scope import scoped_info
from publisher.store.types import utcnow

DEFAULT_PROGRAMME_ID = 1


class Session(orm.Session):
    def __init__(self, bind: Any = None, *, programme_id: int = DEFAULT_PROGRAMME_ID,
                 **kwargs: Any) -> None:
        super().__init__(bind, info=scoped_info(programme_id), **kwargs)


def create_all(engine: Engine) -> None:
    """Every table, and programme 1 ("default") for the rows to belong to (what `publisher
    db upgrade` gives a new database, without the migrations' time)."""
    from publisher.store.models import Base, Programme

    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(Programme).values(id=DEFAULT_PROGRAMME_ID, name="default",
                                              state="active", created_at=utcnow(),
                                              updated_at=utcnow()))


def session_of(db_url: str) -> Session:
    """A session of programme 1 on the database at `db_url`."""
    from publisher.store.db import make_engine

    return Session(make_engine(db_url))
