"""Homes made by `publisher init` once per test session, then copied for each test.

`init` runs every migration: about half a second on SQLite and more on PostgreSQL, and some
six hundred tests start from a fresh home. A copy of what `init` made is that home: the folder
is copied file by file with its permission bits (credentials.json stays 0600), the SQLite file
byte for byte (`init` closes its engine, so no write-ahead log is left beside it), and a
PostgreSQL database is made with `CREATE DATABASE … TEMPLATE` from one that `init` migrated and
that nobody stays connected to. tests/test_home_template.py checks that a copy equals a freshly
initialised home: the same files with the same modes and bytes, the same schema, the same rows.

Tests about `init` itself keep calling it.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import create_engine, text

from publisher.home import DEFAULT_DB_FILE

_names = itertools.count()
#: What SQLite leaves beside a database that is still open or was not closed cleanly.
_SQLITE_SIDE_FILES = ("-wal", "-shm", "-journal")


def run_init(path: Path, db_url: str | None = None) -> None:
    """`publisher init` through the real entry point, on `db_url` if given."""
    from tests.conftest import invoke

    args = ("--db", db_url, "init", str(path)) if db_url else ("init", str(path))
    result = invoke(*args)
    assert result.exit_code == 0, result.output


def sqlite_url(database: Path) -> str:
    return f"sqlite:///{database}"


def copy_sqlite_database(source: Path, target: Path) -> None:
    """Copy a closed SQLite database (journal mode included: it lives in the file's header)."""
    left = [source.name + s for s in _SQLITE_SIDE_FILES if Path(f"{source}{s}").exists()]
    assert not left, f"{source} is still open or was not closed cleanly: {left}"
    shutil.copyfile(source, target)
    shutil.copymode(source, target)


class HomeTemplate:
    """One home made by `init` (SQLite database inside it), copied on demand."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._path: Path | None = None

    @property
    def path(self) -> Path:
        if self._path is None:
            path = self.folder / "home"
            run_init(path)
            self._path = path
        return self._path

    def copy_folder(self, target: Path, *, with_database: bool) -> None:
        """The home's files into `target` (which must not exist), with the SQLite database
        inside or not."""
        source = self.path

        def leave_out(folder: str, names: list[str]) -> list[str]:
            return [DEFAULT_DB_FILE] if Path(folder) == source and not with_database else []

        if with_database:
            assert not [s for s in _SQLITE_SIDE_FILES
                        if (source / f"{DEFAULT_DB_FILE}{s}").exists()]
        shutil.copytree(source, target, copy_function=shutil.copy, ignore=leave_out)

    def sqlite_home(self, target: Path) -> str:
        """What `publisher init TARGET` makes (its database inside); returns the database URL."""
        self.copy_folder(target, with_database=True)
        return sqlite_url(target / DEFAULT_DB_FILE)

    def sqlite_home_with_database(self, target: Path, database: Path) -> str:
        """What `publisher --db sqlite:///DATABASE init TARGET` makes; returns the URL."""
        self.copy_folder(target, with_database=False)
        copy_sqlite_database(self.path / DEFAULT_DB_FILE, database)
        return sqlite_url(database)


def database_url(server_url: str, name: str) -> str:
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def create_pg_database(server_url: str, template: str | None = None
                       ) -> tuple[str, Callable[[], None]]:
    """A new database on the server (a copy of `template` if given, else empty): its URL and
    the function that drops it."""
    name = f"publisher_test_{os.getpid()}_{next(_names)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    source = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"{source}'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return database_url(server_url, name), drop


def make_pg_template(server_url: str, scratch: Path) -> tuple[str, Callable[[], None]]:
    """A database migrated by `publisher init` (its home folder in `scratch` is thrown away),
    to be the TEMPLATE of each test's database: its name and the function that drops it."""
    url, drop = create_pg_database(server_url)
    run_init(scratch / "pg-template-home", url)
    # CREATE DATABASE … TEMPLATE refuses a source anyone is connected to; init closed its
    # engine, so this only waits for the server to notice.
    return url.rsplit("/", 1)[1], drop
