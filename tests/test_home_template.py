"""The home fixtures copy one home `publisher init` made for the session
(tests/helpers/home_template.py): each copy must be exactly what `init` makes, down to the
files' modes and bytes, the database's schema and its rows."""

from __future__ import annotations

import datetime as dt
import os
import re
import sqlite3
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from tests.conftest import HomeFixture
from tests.helpers.home_template import create_pg_database, run_init, sqlite_url
from tests.pg_server import bindir

#: The only value two runs of `init` write differently: when the default programme was made.
_WHEN = "<a time>"


def files(home: Path) -> dict[str, tuple[str, int, bytes | None]]:
    """Each file and folder of the home, the home itself included, but its database: kind,
    permission bits and bytes."""
    out = {}
    for path in [home, *sorted(home.rglob("*"))]:
        if path.name.startswith("publisher.db"):
            continue
        info = path.lstat()
        kind = "dir" if stat.S_ISDIR(info.st_mode) else "file" if stat.S_ISREG(
            info.st_mode) else "other"
        out[str(path.relative_to(home))] = (kind, stat.S_IMODE(info.st_mode),
                                           path.read_bytes() if kind == "file" else None)
    return out


def rows(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, with the times masked."""
    return {table: [tuple(_WHEN if isinstance(v, dt.datetime) else v for v in row)
                    for row in table_rows]
            for table, table_rows in HomeFixture(Path(), url).snapshot().items()}


def _clauses(sql: str | None) -> list[str]:
    """A CREATE statement's lines, sorted: the migrations' table rebuilds write a table's
    constraints in an order that varies from one run of `init` to the next."""
    return sorted(line.strip().rstrip(",") for line in (sql or "").splitlines())


def sqlite_schema(url: str) -> dict[str, Any]:
    """Everything SQLite keeps about a database's shape: its catalogue, its own sequence table
    and the settings stored in the file's header."""
    path = make_url(url).database
    assert path and Path(path).is_file(), url
    with sqlite3.connect(path) as conn:
        out: dict[str, Any] = {
            "catalogue": [(kind, name, table, _clauses(sql)) for kind, name, table, sql in
                          conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master "
                                       "ORDER BY type, name")],
            "sequences": conn.execute("SELECT * FROM sqlite_sequence ORDER BY name").fetchall()}
        for pragma in ("journal_mode", "user_version", "application_id", "page_size",
                       "auto_vacuum", "encoding", "foreign_keys"):
            out[pragma] = conn.execute(f"PRAGMA {pragma}").fetchall()
    conn.close()
    return out


def pg_schema(url: str) -> str:
    """pg_dump's account of the schema (sequences' positions included), without the names
    that differ between two databases."""
    parsed = make_url(url)
    libpq = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    proc = subprocess.run([str(bindir() / "pg_dump"), "--schema-only", "--no-owner",
                           "--no-privileges", libpq], capture_output=True, text=True,
                          check=True, timeout=120)
    dump = proc.stdout.replace(str(parsed.database), "<database>")
    # PostgreSQL 17.6+ guards a dump with a random key on \restrict lines.
    return re.sub(r"^\\(un)?restrict .*$", "", dump, flags=re.M)


def schema(url: str) -> Any:
    return sqlite_schema(url) if url.startswith("sqlite") else pg_schema(url)


def test_a_copied_home_is_what_init_makes_on_each_backend(
        home: HomeFixture, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    if home.db_url.startswith("sqlite"):
        fresh_url = sqlite_url(fresh / "publisher.db")
        drop = None
    else:
        fresh_url, drop = create_pg_database(request.getfixturevalue("postgres_server"))
    try:
        run_init(fresh / "home", fresh_url)
        assert files(home.path) == files(fresh / "home")
        assert stat.S_IMODE(os.stat(home.path / "credentials.json").st_mode) == 0o600
        assert not (home.path / "publisher.db").exists()  # the database is where --db says
        assert schema(home.db_url) == schema(fresh_url)
        assert rows(home.db_url) == rows(fresh_url)
        assert rows(home.db_url)["programmes"]  # the default programme, so rows were compared
    finally:
        if drop:
            drop()


def test_a_copied_sqlite_home_is_what_init_makes(sqlite_home: HomeFixture,
                                                 tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    run_init(fresh)
    fresh_url = sqlite_url(fresh / "publisher.db")
    assert sqlite_home.db_url == sqlite_url(sqlite_home.path / "publisher.db")
    assert files(sqlite_home.path) == files(fresh)
    assert sqlite_schema(sqlite_home.db_url) == sqlite_schema(fresh_url)
    assert rows(sqlite_home.db_url) == rows(fresh_url)


def test_each_test_gets_its_own_copy(sqlite_home: HomeFixture, home_template: Any,
                                     tmp_path: Path) -> None:
    """A test's changes stay in its copy: the next copy is as `init` made it."""
    sqlite_home.ok("programmes", "pause", "default")
    (sqlite_home.path / "publisher.toml").write_text("# changed\n")
    other = tmp_path / "other"
    url = home_template.sqlite_home(other)
    assert files(other) == files(home_template.path)
    assert rows(url) == rows(sqlite_url(home_template.path / "publisher.db"))
    assert rows(url) != rows(sqlite_home.db_url)
