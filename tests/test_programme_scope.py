"""Programmes on one database (publisher/store/scope.py): migration 0010 keeps an existing
database's rows under programme 1, and a session of one programme never reads, changes or
deletes another's rows; a session that names no programme fails closed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import delete, func, insert, orm, select, text, update
from sqlalchemy.engine import Engine

from publisher.pipeline import state
from publisher.store.db import SCHEMA_HEAD, current_revision, make_engine, transaction
from publisher.store.migrate import downgrade, ours, upgrade
from publisher.store.models import (
    Base,
    Event,
    Interview,
    Programme,
    Publication,
    QuotaUsage,
    RuntimeState,
    Speaker,
    WebUser,
)
from publisher.store.scope import ALL_PROGRAMMES, UnscopedQuery
from tests.helpers.scoped import Session

NOW = dt.datetime(2026, 12, 3, 10, 0, tzinfo=dt.UTC)


def _interview(title: str, **extra: Any) -> Interview:
    return Interview(position=1, state="queued", video_path="/v/a.mp4", video_size=1,
                     video_sha256="aa", video_duration_s=1.0, video_width=64, video_height=48,
                     video_codec="h264", container_format="mp4", title=title, language="it",
                     **extra)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database with a second programme, "b" (id 2), beside "default" (id 1)."""
    eng = make_engine(db_url)
    upgrade(eng)
    with eng.begin() as conn:
        conn.execute(insert(Programme).values(name="b", state="active", created_at=NOW,
                                              updated_at=NOW))
    yield eng
    eng.dispose()


@pytest.fixture
def two(engine: Engine) -> tuple[int, int]:
    """One interview in each programme, with a speaker, a post record and a journal line;
    returns (A's interview id, B's)."""
    ids = []
    for pid, title in ((1, "A-only"), (2, "B-only")):
        with transaction(engine, pid) as s:
            item = _interview(title)
            item.speakers.append(Speaker(position=1, name=f"{title} speaker"))
            item.publications.append(Publication(platform="x"))
            s.add(item)
            s.flush()
            s.add(Event(interview_id=item.id, kind="queued", actor="cli"))
            ids.append(item.id)
    return ids[0], ids[1]


def test_rows_get_their_session_programme(engine: Engine, two: tuple[int, int]) -> None:
    with engine.connect() as conn:
        for table in ("interviews", "speakers", "publications", "events"):
            rows = conn.execute(text(f"SELECT programme_id FROM {table} ORDER BY id")).all()
            assert [r[0] for r in rows] == [1, 2], table


def test_another_programmes_row_is_not_found(engine: Engine, two: tuple[int, int]) -> None:
    a, b = two
    with transaction(engine, 1) as s:
        assert s.get(Interview, b) is None
        assert s.get(Interview, a) is not None
        assert s.scalars(select(Interview.title)).all() == ["A-only"]
        assert s.scalar(select(func.count()).select_from(Interview)) == 1
        assert s.scalars(select(Speaker.name)).all() == ["A-only speaker"]
        # joins and entities named only in WHERE are scoped too
        joined = s.execute(select(Interview.title, Publication.platform)
                           .join(Publication, Publication.interview_id == Interview.id)).all()
        assert joined == [("A-only", "x")]
        assert s.scalars(select(Event.interview_id).where(
            Event.interview_id.in_(select(Interview.id)))).all() == [a]
        assert s.scalars(select(Publication).where(Publication.interview_id == b)).all() == []


def test_updates_and_deletes_reach_only_the_sessions_programme(
        engine: Engine, two: tuple[int, int]) -> None:
    a, b = two
    with transaction(engine, 1) as s:
        s.execute(update(Interview).values(title="changed"))
        s.execute(update(Interview).where(Interview.id == b).values(state="held"))
        s.execute(delete(Event))
        s.execute(delete(Speaker).where(Speaker.interview_id == b))
    with engine.connect() as conn:
        assert conn.execute(text("SELECT id, title, state FROM interviews ORDER BY id")
                            ).all() == [(a, "changed", "queued"), (b, "B-only", "queued")]
        assert conn.execute(text("SELECT interview_id FROM events")).scalars().all() == [b]
        assert conn.execute(text("SELECT count(*) FROM speakers")).scalar() == 2


def test_a_session_without_programme_fails_closed(engine: Engine,
                                                  two: tuple[int, int]) -> None:
    with orm.Session(engine) as s:
        with pytest.raises(UnscopedQuery):
            s.scalars(select(Interview)).all()
        with pytest.raises(UnscopedQuery):
            s.get(Interview, two[0])
        with pytest.raises(UnscopedQuery):
            s.execute(update(Publication).values(attempts=1))
        with pytest.raises(UnscopedQuery):
            s.scalars(select(Event.id).where(Event.interview_id == 1)).all()
        s.add(_interview("nobody's"))
        with pytest.raises(UnscopedQuery):
            s.flush()
        s.rollback()
        # deployment-level tables need no programme; a deployment-wide query says so
        assert s.scalars(select(QuotaUsage)).all() == []
        assert len(s.scalars(select(Interview).execution_options(
            **{ALL_PROGRAMMES: True})).all()) == 2


def test_a_row_of_another_programme_cannot_be_added(engine: Engine) -> None:
    with pytest.raises(UnscopedQuery), transaction(engine, 1) as s:
        s.add(_interview("smuggled", programme_id=2))


def test_bulk_inserts_get_the_sessions_programme(engine: Engine) -> None:
    row = {c: getattr(_interview("bulk"), c) for c in (
        "position", "state", "video_path", "video_size", "video_sha256", "video_duration_s",
        "video_width", "video_height", "video_codec", "container_format", "title",
        "language")}
    with transaction(engine, 2) as s:
        s.execute(insert(Interview), [{**row, "hashtags": [], "description": ""}] * 2)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT programme_id FROM interviews")).scalars().all() == [
            2, 2]
    with pytest.raises(UnscopedQuery), transaction(engine, 1) as s:
        s.execute(insert(Interview), [{**row, "programme_id": 2}])
    with pytest.raises(UnscopedQuery), orm.Session(engine) as s:
        s.execute(insert(Interview), [row])


def test_runtime_facts_and_console_names_are_per_programme(engine: Engine) -> None:
    for pid in (1, 2):
        with transaction(engine, pid) as s:
            state.put(s, "run_due", {"last_now": f"programme {pid}"}, NOW)
            s.add(WebUser(name="anna", password_hash="x"))
    for pid in (1, 2):
        with transaction(engine, pid) as s:
            assert state.get(s, "run_due") == {"last_now": f"programme {pid}"}
            assert s.scalars(select(WebUser.programme_id)).all() == [pid]
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RuntimeState)).scalar() == 2


def test_the_test_session_is_programme_one(engine: Engine, two: tuple[int, int]) -> None:
    with Session(engine) as s:
        assert s.scalars(select(Interview.title)).all() == ["A-only"]
    with Session(engine, programme_id=2) as s:
        assert s.scalars(select(Interview.title)).all() == ["B-only"]


def _rows_at_0009(conn: Any) -> None:
    cols = ("position, state, video_path, video_size, video_sha256, video_duration_s, "
            "video_width, video_height, video_codec, container_format, title, description, "
            "hashtags, language, created_at, updated_at")
    vals = ("1, 'queued', '/v/uno.mp4', 10, 'aa', 1.5, 64, 48, 'h264', 'mp4', 'Uno', '', "
            "'[]', 'it', '2026-11-01 10:00:00', '2026-11-01 10:00:00'")
    when = "'2026-11-01 10:00:00'"
    for _ in range(3):
        conn.execute(text(f"INSERT INTO interviews ({cols}) VALUES ({vals})"))
    conn.execute(text("DELETE FROM interviews WHERE id = 3"))
    conn.execute(text("INSERT INTO speakers (interview_id, position, name, links) "
                      "VALUES (1, 1, 'Maria Rossi', '[]')"))
    conn.execute(text("INSERT INTO caption_tracks (interview_id, language, path, format) "
                      "VALUES (1, 'it', '/v/uno.srt', 'srt')"))
    conn.execute(text("INSERT INTO localizations (interview_id, language, title, description) "
                      "VALUES (1, 'en', 'One', '')"))
    conn.execute(text("INSERT INTO events (interview_id, at, kind, actor, detail) "
                      f"VALUES (3, {when}, 'removed', 'cli', '{{}}')"))
    conn.execute(text("INSERT INTO publications (interview_id, platform, step, account, state, "
                      "progress, attempts, created_at, updated_at) "
                      f"VALUES (1, 'x', 'post', '', 'pending', 0, 0, {when}, {when})"))
    conn.execute(text("INSERT INTO corrections (interview_id, platform, state, fields, known, "
                      "attempts, actor, created_at, updated_at) VALUES (2, 'youtube', "
                      f"'pending', '[]', '{{}}', 0, 'cli', {when}, {when})"))
    conn.execute(text("INSERT INTO quota_usage (day, bucket, units) "
                      "VALUES ('2026-11-01', 'units', 1600)"))
    conn.execute(text("INSERT INTO runtime_state (key, value, updated_at) "
                      f"VALUES ('run_due', '{{}}', {when})"))
    conn.execute(text("INSERT INTO web_users (name, role, password_hash, session_epoch, "
                      f"created_at, updated_at) VALUES ('anna', 'organizer', 'h', 0, {when}, "
                      f"{when})"))


SCOPED = ("interviews", "speakers", "caption_tracks", "localizations", "events",
          "publications", "corrections", "runtime_state", "web_users")


def test_upgrading_puts_every_row_under_the_default_programme(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0009")
        with engine.begin() as conn:
            _rows_at_0009(conn)
            before = {t: conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                      for t in (*SCOPED, "quota_usage")}
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id, name, state, home_path FROM programmes")
                                ).all() == [(1, "default", "active", None)]
            for t in SCOPED:
                assert conn.execute(text(f"SELECT count(*) FROM {t}")).scalar() == before[t]
                assert conn.execute(text(f"SELECT DISTINCT programme_id FROM {t}")
                                    ).scalars().all() == [1], t
            assert conn.execute(text("SELECT units FROM quota_usage")).scalar() == 1600
            if db_url.startswith("sqlite"):
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"include_name": ours}), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        with transaction(engine, 1) as s:  # ids are never reused across the rebuild (0005)
            s.add(_interview("Nuova"))
            s.flush()
            assert s.scalar(select(func.max(Interview.id))) == 4
            assert state.get(s, "run_due") == {}
        downgrade(engine, "0009")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM interviews")).scalar() == 3
            assert conn.execute(text("SELECT count(*) FROM web_users")).scalar() == 1
    finally:
        engine.dispose()


def test_downgrade_is_refused_with_two_programmes(engine: Engine) -> None:
    with pytest.raises(RuntimeError, match="2 programmes"):
        downgrade(engine, "0009")
    # PostgreSQL rolls the whole downgrade back; on SQLite the later migrations went down
    # and the programmes' one (0011) refused.
    expected = SCHEMA_HEAD if engine.dialect.name == "postgresql" else "0011"
    assert current_revision(engine) == expected


@pytest.mark.parametrize(("statement", "unscoped"), [
    ("SELECT interviews.id FROM interviews WHERE interviews.programme_id = ?", False),
    ("SELECT interviews.id FROM interviews", True),
    ("SELECT speakers_1.name FROM interviews JOIN speakers AS speakers_1 ON speakers_1.id = 1 "
     "WHERE interviews.programme_id = ?", True),
    ("UPDATE interviews SET title=? WHERE interviews.id = ? AND interviews.programme_id = ?",
     False),
    ("UPDATE publications SET attempts=? WHERE publications.id = ?", True),
    ("DELETE FROM events WHERE events.interview_id = ?", True),
    ("INSERT INTO runtime_state (programme_id, key, value) VALUES (?, ?, ?)", False),
    ("INSERT INTO events (interview_id, kind) VALUES (?, ?)", True),
    ("SELECT quota_usage.units FROM quota_usage", False),
])
def test_the_sql_guard_tells_scoped_from_unscoped(statement: str, unscoped: bool) -> None:
    from tests.helpers.sql_guard import problems

    assert bool(problems(statement)) is unscoped


def test_the_sql_guard_sees_an_escape_from_publishers_code(engine: Engine,
                                                          sql_guard: Any) -> None:
    """A Core query that forgets programme_id, as if written in a module of publisher/."""
    from pathlib import Path

    import publisher
    from tests.helpers.sql_guard import SqlGuard

    source = ("def leak(engine):\n    with engine.connect() as conn:\n"
              "        return conn.execute(text('SELECT interviews.id FROM interviews')).all()\n")
    where = Path(publisher.__file__).parent / "services" / "leak.py"
    namespace: dict[str, Any] = {"text": text}
    exec(compile(source, str(where), "exec"), namespace)
    with SqlGuard() as guard:
        namespace["leak"](engine)
    assert len(guard.violations) == 1 and "leak.py" in guard.violations[0]
    assert sql_guard.violations == guard.violations  # the suite's own guard saw it too
    sql_guard.violations.clear()


def test_each_programme_has_its_own_daemon(engine: Engine) -> None:
    """One daemon per programme, not per database: a second programme's daemon starts beside
    the first; a second daemon of the same programme is refused."""
    from publisher.leases import new_owner
    from publisher.services.daemon_claim import DaemonAlreadyRunning, claim

    first, second, third = (new_owner("daemon") for _ in range(3))
    with transaction(engine, 1) as s:
        claim(s, first, NOW)
    with transaction(engine, 2) as s:
        claim(s, second, NOW)
    with pytest.raises(DaemonAlreadyRunning), transaction(engine, 1) as s:
        claim(s, third, NOW)
    with transaction(engine, 2) as s:
        assert state.get(s, "daemon")["owner"] == second
