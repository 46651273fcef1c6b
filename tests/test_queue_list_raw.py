"""`queue list` on SQLite reads with the standard library's driver (services/queue_queries.py
`raw_list_queue`): the same rows, in the same order, with the same values and types as the
SQLAlchemy Core read it replaces, on random queues, for every filter and page."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from sqlalchemy import insert

from publisher.app import App
from publisher.home import Home
from publisher.services import queue_queries
from publisher.services.queue_queries import list_queue, raw_list_queue
from publisher.store.db import make_engine, transaction
from publisher.store.models import Interview
from publisher.store.states import State
from tests.conftest import HomeFixture
from tests.helpers.random_queues import rows

FILTERS = ["active", "all", *(s.value for s in State)]


def test_the_raw_read_gives_the_core_reads_rows(sqlite_home: HomeFixture,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(7)
    queue = rows(rng, 300)
    for row in queue:
        row["state"] = rng.choice([s.value for s in State])
        row["title"] = rng.choice(["Intervista", "L'arte — città", "a\nb", "ß"]) + str(row["id"])
        row["video_duration_s"] = rng.choice([0.0, 59.5, 3600.25])
    engine = make_engine(sqlite_home.db_url)
    with transaction(engine, 1) as s:  # the home's programme (the default, id 1)
        s.execute(insert(Interview), queue)
    engine.dispose()
    app = App(Home.resolve(sqlite_home.path, sqlite_home.db_url))
    try:
        for state in FILTERS:
            for offset, limit in ((0, None), (0, 10), (25, 100), (7, None), (290, 50)):
                raw = raw_list_queue(app, state, offset=offset, limit=limit)
                assert raw is not None
                with monkeypatch.context() as patch:
                    patch.setattr(queue_queries, "raw_list_queue", lambda *a, **k: None)
                    core = list_queue(app, state, offset=offset, limit=limit)
                assert raw == core, (state, offset, limit)
                assert [list(map(type, r)) for r in raw] == [list(map(type, r)) for r in core]
        assert len(raw_list_queue(app, "all") or []) == 300
    finally:
        app.close()


def test_anything_but_a_plain_sqlite_file_at_this_schema_takes_the_core_read(
        sqlite_home: HomeFixture, tmp_path: Path) -> None:
    app = App(Home.resolve(sqlite_home.path, sqlite_home.db_url + "?timeout=5"))
    assert raw_list_queue(app, "all") is None
    missing = App(Home.resolve(sqlite_home.path, f"sqlite:///{tmp_path / 'none.db'}"))
    assert raw_list_queue(missing, "all") is None
    assert not (tmp_path / "none.db").exists(), "the fast read created a database"
    import sqlite3

    conn = sqlite3.connect(sqlite_home.path / "publisher.db")
    conn.execute("UPDATE alembic_version SET version_num = '0001'")
    conn.commit()
    conn.close()
    behind = App(Home.resolve(sqlite_home.path, sqlite_home.db_url))
    assert raw_list_queue(behind, "all") is None


def test_the_raw_reads_wait_for_the_database_as_long_as_the_full_path() -> None:
    from publisher.store.db import SQLITE_BUSY_TIMEOUT_MS
    from publisher.store.raw_sqlite import BUSY_TIMEOUT_MS

    assert BUSY_TIMEOUT_MS == SQLITE_BUSY_TIMEOUT_MS
