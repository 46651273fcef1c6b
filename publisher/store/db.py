"""Engines and sessions: SQLite set up for a daemon and a CLI at once, PostgreSQL as it comes.

The schema check at start-up compares the database's Alembic revision with SCHEMA_HEAD
without importing Alembic (it costs half a second of start-up); a test keeps SCHEMA_HEAD equal
to the head of alembic/versions.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session

from publisher.errors import DatabaseError, SchemaBehindError
from publisher.home import redact_database_url

# The newest revision in alembic/versions. Bump it with every new migration.
SCHEMA_HEAD = "0004"
SQLITE_BUSY_TIMEOUT_MS = 30_000


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL; for SQLite: WAL, foreign keys, a busy timeout, BEGIN IMMEDIATE."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
                               **kwargs)
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: a transaction never fails half-way with
        # "database is locked" because another process wrote in between; it waits instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    except (OperationalError, ProgrammingError) as exc:
        if _is_missing_table(exc):
            return None
        raise DatabaseError(f"cannot open the database {redact_database_url(str(engine.url))}: "
                            f"{_first_line(exc)}") from None
    return row[0] if row else None


def _is_missing_table(exc: Exception) -> bool:
    msg = str(exc).lower()
    return "no such table" in msg or ("does not exist" in msg and "alembic_version" in msg)


def _first_line(exc: Exception) -> str:
    orig = getattr(exc, "orig", None) or exc
    return str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__


def check_schema(engine: Engine) -> None:
    """Refuse to work on a database that is not at this version's schema."""
    rev = current_revision(engine)
    if rev == SCHEMA_HEAD:
        return
    where = redact_database_url(str(engine.url))
    if rev is None:
        raise SchemaBehindError(f"the database {where} has no tables yet: run "
                                "`publisher db upgrade` (or `publisher init`)")
    if rev < SCHEMA_HEAD:
        raise SchemaBehindError(f"the database {where} is at schema {rev}, behind this "
                                f"version's {SCHEMA_HEAD}: run `publisher db upgrade`")
    raise DatabaseError(f"the database {where} is at schema {rev}, newer than this version of "
                        f"publisher knows ({SCHEMA_HEAD}): upgrade publisher")


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed together when the block ends, or not at all."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session
