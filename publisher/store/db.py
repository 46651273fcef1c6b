"""Engines and sessions: SQLite set up for a daemon and a CLI at once, PostgreSQL as it comes.

A CLI command and the daemon share one SQLite file: each transaction takes the write lock up
front (BEGIN IMMEDIATE) and waits for it up to the busy timeout (30 s, or
PUBLISHER_SQLITE_BUSY_TIMEOUT_S seconds). The failures that are not bugs (the database busy
past that, full, or unreachable) become DatabaseErrors with a message for organizers through
`database_problem`: the CLI prints them (exit status 3), the daemon logs them and retries.

The schema check at start-up compares the database's Alembic revision with SCHEMA_HEAD
without importing Alembic (it costs half a second of start-up); a test keeps SCHEMA_HEAD equal
to the head of alembic/versions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, ProgrammingError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

from publisher.errors import DatabaseError, SchemaBehindError
from publisher.home import redact_database_url
from publisher.store.schema_head import SCHEMA_HEAD as SCHEMA_HEAD  # bump it there

SQLITE_BUSY_TIMEOUT_MS = 30_000
# How long a SQLite transaction waits for another process's write lock, in seconds (tests and
# impatient machines); the default is SQLITE_BUSY_TIMEOUT_MS.
ENV_SQLITE_BUSY_TIMEOUT = "PUBLISHER_SQLITE_BUSY_TIMEOUT_S"


class DatabaseBusyError(DatabaseError):
    """SQLite's write lock was held by another process for longer than the busy timeout."""


class DatabaseFullError(DatabaseError):
    """The disk (or the database's size limit) had no room for a write; it was rolled back."""


class DatabaseUnreachableError(DatabaseError):
    """The database server cannot be reached (down, restarting) or dropped the connection."""


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def sqlite_busy_timeout_ms() -> int:
    """The busy timeout: PUBLISHER_SQLITE_BUSY_TIMEOUT_S seconds if set, else 30 s."""
    raw = os.environ.get(ENV_SQLITE_BUSY_TIMEOUT, "").strip()
    if not raw:
        return SQLITE_BUSY_TIMEOUT_MS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 86_400:
        raise DatabaseError(f"{ENV_SQLITE_BUSY_TIMEOUT}={raw!r}: expected a number of seconds "
                            "between 0 and 86400")
    return round(seconds * 1000)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for the URL; for SQLite: WAL, foreign keys, a busy timeout, BEGIN IMMEDIATE.

    PostgreSQL connections are pinged when taken from the pool, so that those a server
    restart broke are replaced rather than failing the next transaction.
    """
    if is_sqlite(url):
        timeout_ms = sqlite_busy_timeout_ms()
        engine = create_engine(url, connect_args={"timeout": timeout_ms / 1000}, **kwargs)
        _configure_sqlite(engine, timeout_ms)
    else:
        engine = create_engine(url, pool_pre_ping=True, **kwargs)
    where = display_url(str(engine.url))

    @event.listens_for(engine, "handle_error")
    def _name_the_database(ctx: Any) -> None:
        # So that a message about this error can say which database it was.
        if ctx.sqlalchemy_exception is not None:
            ctx.sqlalchemy_exception.publisher_database = where

    return engine


def display_url(url: str) -> str:
    """The URL as people write it, password hidden: postgresql://user:***@host/db."""
    return redact_database_url(url.replace("postgresql+psycopg://", "postgresql://", 1))


def _configure_sqlite(engine: Engine, timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # We issue BEGIN ourselves (below), so the driver must not.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
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
        where = display_url(str(engine.url))
        problem = database_problem(exc, where)
        if problem is not None:
            raise problem from None
        raise DatabaseError(f"cannot open the database {where}: {_first_line(exc)}") from None
    return row[0] if row else None


BUSY_MESSAGE = ("the database is busy: another publisher process (the daemon?) is writing; "
                "try again")

# PostgreSQL SQLSTATE classes and codes that mean "the server is not there (now)":
# 08 connection exception, 57P01-57P03 admin/crash shutdown and "cannot connect now".
_PG_UNREACHABLE = ("08", "57P01", "57P02", "57P03")
_UNREACHABLE_WORDS = ("connection refused", "could not connect", "connection failed",
                      "server closed the connection", "connection is closed",
                      "connection is lost", "terminating connection", "is starting up",
                      "is shutting down", "no such host", "name or service not known",
                      "timeout expired", "connection timed out", "consuming input failed")


def database_problem(exc: BaseException, where: str | None = None) -> DatabaseError | None:
    """The DatabaseError (with a message for organizers) that a driver error amounts to, when
    it is one of the failures that are not bugs: busy, full, unreachable. None otherwise.

    `where` names the database; by default the engine's (redacted) URL noted on the error.
    """
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    message = str(orig).lower()
    where = where or getattr(exc, "publisher_database", None)
    first = _first_line(exc)
    sqlstate = str(getattr(orig, "sqlstate", None) or "")
    if "database is locked" in message or "database is busy" in message \
            or "database table is locked" in message:
        return DatabaseBusyError(BUSY_MESSAGE)
    if "database or disk is full" in message or sqlstate == "53100" \
            or "no space left on device" in message:
        return DatabaseFullError(
            f"the database{' ' + where if where else ''} is full (no space left on the disk "
            f"for this write: {first}); nothing was changed. Free some space and try again")
    if exc.connection_invalidated or sqlstate.startswith(_PG_UNREACHABLE) or (
            not sqlstate and not isinstance(exc, ProgrammingError)
            and any(w in message for w in _UNREACHABLE_WORDS)):
        at = f" at {where}" if where else ""
        return DatabaseUnreachableError(
            f"cannot reach the database{at}: {first}. Is the server running? publisher "
            "cannot open the database until it answers")
    return None


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
def transaction(engine: Engine, programme_id: int | None, *, wakes: bool = True
                ) -> Iterator[Session]:
    """A session whose work is committed together when the block ends, or not at all.

    It sees and changes only the rows of programme `programme_id` (publisher/store/scope.py);
    None is a deployment-wide session, which any statement on a programme's rows refuses.
    When it wrote anything, the workers' next tick plans the programme (store/plan_gate.py),
    unless `wakes` is False (a worker's plan, which says itself when it wakes next).
    """
    from sqlalchemy.orm import Session  # not at the top: `queue list` reads without the ORM

    from publisher.store.plan_gate import wake_if_written
    from publisher.store.scope import scoped_info

    with Session(engine, expire_on_commit=False, info=scoped_info(programme_id)) as session:
        with session.begin():
            yield session
        if wakes and programme_id is not None:
            wake_if_written(session, programme_id)
