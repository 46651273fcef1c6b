"""SQLite through the standard library's driver, without SQLAlchemy: for the paths that
must start fast (`queue list`, `run-due` with nothing due). Importing SQLAlchemy alone costs
more than a whole listing of 10,000 interviews.

`open_home_database` gives a connection only when it is sure the full path would see the
same database: a plain SQLite file URL, a file that exists, at this version's schema. In
every other case (PostgreSQL, a URL with options, a missing file, another schema) it gives
None, and the caller takes the full path, which says what is wrong exactly as before.
Values come back as SQLAlchemy's types give them: `utc` for UTCDateTime columns.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from urllib.parse import quote

from publisher.store.schema_head import SCHEMA_HEAD

_PREFIX = "sqlite:///"
#: publisher.store.db.SQLITE_BUSY_TIMEOUT_MS (tests/test_queue_list_raw.py keeps them equal).
BUSY_TIMEOUT_MS = 30_000


def database_path(url: str) -> str | None:
    """The file of a `sqlite:///PATH` URL (pysqlite, no options); None for anything else."""
    if not url.startswith(_PREFIX) or "?" in url:
        return None
    path = url[len(_PREFIX):]
    return path if path and path != ":memory:" else None


def open_home_database(url: str) -> sqlite3.Connection | None:
    """A connection to the home's SQLite file at SCHEMA_HEAD, in autocommit mode (the
    caller says BEGIN); None when the fast path cannot be sure (see the module's doc)."""
    path = database_path(url)
    # A busy timeout of one's own (PUBLISHER_SQLITE_BUSY_TIMEOUT_S): the full path checks it.
    if path is None or os.environ.get("PUBLISHER_SQLITE_BUSY_TIMEOUT_S", "").strip():
        return None
    busy_timeout_ms = BUSY_TIMEOUT_MS
    try:
        # mode=rw: never create a file the full path would report as missing.
        conn = sqlite3.connect(f"file:{quote(path)}?mode=rw", uri=True,
                               timeout=busy_timeout_ms / 1000, isolation_level=None)
    except sqlite3.Error:
        return None
    try:
        conn.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        conn.close()
        return None
    if row is None or row[0] != SCHEMA_HEAD:
        conn.close()
        return None
    return conn


def utc(value: str | None) -> dt.datetime | None:
    """A UTCDateTime column's stored text as the aware UTC datetime SQLAlchemy gives."""
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(value)
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def stored(at: dt.datetime) -> str:
    """An aware datetime as SQLAlchemy stores a UTCDateTime on SQLite (naive UTC text)."""
    return at.astimezone(dt.UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
