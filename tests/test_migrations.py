"""Migrations on both databases: empty → head, head → base, and models agree with them."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from publisher.store.db import SCHEMA_HEAD, current_revision, make_engine
from publisher.store.migrate import alembic_config, downgrade, migrations_dir, ours, upgrade
from publisher.store.models import Base
from tests.conftest import HomeFixture, invoke

TABLES = {"interviews", "speakers", "caption_tracks", "localizations", "events"}


def test_schema_head_constant_matches_alembic() -> None:
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert heads == [SCHEMA_HEAD], "bump SCHEMA_HEAD in publisher/store/schema_head.py"


def test_migrations_ship_from_top_level_alembic_folder() -> None:
    assert migrations_dir() == Path(__file__).resolve().parent.parent / "alembic"


def test_upgrade_downgrade_and_models_match(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD
        assert set(inspect(engine).get_table_names()) >= TABLES
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"include_name": ours}), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) - {"alembic_version"} == set()
        upgrade(engine)  # and up again, as after a rollback
        assert current_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()


def test_commands_refuse_a_database_that_is_behind(home: HomeFixture) -> None:
    engine = make_engine(home.db_url)
    downgrade(engine, "base")
    engine.dispose()
    result = home.run("queue", "list")
    assert result.exit_code == 3
    assert "publisher db upgrade" in result.stderr
    home.ok("db", "upgrade")
    assert home.ok("queue", "list").stdout.strip() == "The queue is empty."


def test_older_revision_is_reported_as_behind(home: HomeFixture) -> None:
    engine = make_engine(home.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))
    engine.dispose()
    result = home.run("queue", "list")
    assert result.exit_code == 3
    assert "behind" in result.stderr and "publisher db upgrade" in result.stderr


def test_newer_database_asks_to_upgrade_publisher(home: HomeFixture) -> None:
    engine = make_engine(home.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    result = home.run("queue", "list")
    assert result.exit_code == 3
    assert "upgrade publisher" in result.stderr


def test_db_upgrade_is_idempotent_and_current_reports(home: HomeFixture) -> None:
    assert "up to date" in home.ok("db", "upgrade").stdout
    assert f"schema {SCHEMA_HEAD} (up to date)" in home.ok("db", "current").stdout


def test_unreachable_database_is_a_clear_error(tmp_path: Path) -> None:
    invoke("init", str(tmp_path / "h"))
    result = invoke("--home", str(tmp_path / "h"), "--db",
                    "postgresql://nobody:secret@127.0.0.1:1/none", "queue", "list")
    assert result.exit_code == 3
    assert "cannot open the database" in result.stderr
    assert "secret" not in result.output  # the password never appears


def test_sqlite_is_set_up_for_a_daemon_and_a_cli(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 5000
    engine.dispose()


def test_upgrading_keeps_the_rows_and_never_reuses_an_id(db_url: str) -> None:
    """0005 rebuilds SQLite's interviews table AUTOINCREMENT: the rows, their speakers and
    journal stay, and the next id comes after every id the journal knows, even a removed
    interview's (on PostgreSQL the sequence is moved past them if it were behind)."""
    engine = make_engine(db_url)
    try:
        upgrade(engine, "0004")
        columns = ("position, state, video_path, video_size, video_sha256, video_duration_s, "
                   "video_width, video_height, video_codec, container_format, title, "
                   "description, hashtags, language, created_at, updated_at")
        values = ("1, 'queued', '/v/uno.mp4', 10, 'aa', 1.5, 64, 48, 'h264', 'mp4', 'Uno', '', "
                  "'[]', 'it', '2026-11-01 10:00:00', '2026-11-01 10:00:00'")
        with engine.begin() as conn:
            for _ in range(2):
                conn.execute(text(f"INSERT INTO interviews ({columns}) VALUES ({values})"))
            conn.execute(text("DELETE FROM interviews WHERE id = 2"))  # as `queue remove` does
            conn.execute(text("INSERT INTO speakers (interview_id, position, name, links) "
                              "VALUES (1, 1, 'Maria Rossi', '[]')"))
            for interview_id, kind in ((1, "queued"), (2, "queued"), (2, "removed"),
                                       (7, "removed")):  # 7: a journal older than the rows
                conn.execute(text("INSERT INTO events (interview_id, at, kind, actor, detail) "
                                  "VALUES (:i, '2026-11-01 10:00:00', :k, 'cli', '{}')"),
                             {"i": interview_id, "k": kind})
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id, title FROM interviews")).all() == [(1, "Uno")]
            assert conn.execute(text("SELECT interview_id, name FROM speakers")).all() == [
                (1, "Maria Rossi")]
            assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 4
            if db_url.startswith("sqlite"):
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            conn.execute(text(f"INSERT INTO interviews (programme_id, {columns}) "
                              f"VALUES (1, {values})"))
            assert conn.execute(text("SELECT max(id) FROM interviews")).scalar() == 8
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(
                conn, opts={"include_name": ours}), Base.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        downgrade(engine, "0004")
        with engine.begin() as conn:
            assert conn.execute(text("SELECT id FROM interviews ORDER BY id")).scalars().all() \
                == [1, 8]
    finally:
        engine.dispose()


def test_0016_fills_went_out_at_from_the_journal(db_url: str) -> None:
    """0016 gives each video and post record the time the journal gives for it — the latest
    release (videos), or post, post found or resolve naming its platform — and the rest
    NULL; downgrading drops it again."""
    import datetime as dt
    import random

    from sqlalchemy import select

    from publisher.store.models import Event, Publication

    engine = make_engine(db_url)
    rng = random.Random(14)
    base = dt.datetime(2026, 11, 30, 22, 30)  # naive UTC, as stored
    kinds = ("released", "posted", "post_found", "resolved", "queued", "post_retry")
    platforms = ("youtube", "mastodon", "bluesky")
    steps = (("youtube", "video"), ("youtube", "release"), ("youtube", "thumbnail"),
             ("mastodon", "post"), ("bluesky", "post"))
    columns = ("programme_id, position, state, video_path, video_size, video_sha256, "
               "video_duration_s, video_width, video_height, video_codec, container_format, "
               "title, description, hashtags, language, created_at, updated_at")
    try:
        upgrade(engine, "0015")
        with engine.begin() as conn:
            programme = conn.execute(text("SELECT id FROM programmes")).scalar_one()
            for n in range(1, 13):
                conn.execute(text(
                    f"INSERT INTO interviews ({columns}) VALUES (:p, :n, 'published', "
                    f"'/v/{n}.mp4', 10, 'sha{n}', 1.5, 64, 48, 'h264', 'mp4', 'T', '', '[]', "
                    "'it', '2026-11-01 10:00:00', '2026-11-01 10:00:00')"),
                    {"p": programme, "n": n})
            for iid in range(1, 13):
                for platform, step in steps:
                    conn.execute(text(
                        "INSERT INTO publications (programme_id, interview_id, platform, "
                        "step, account, state, progress, attempts, created_at, updated_at) "
                        "VALUES (:p, :i, :platform, :step, '', 'done', 0, 0, :at, :at)"),
                        {"p": programme, "i": iid, "platform": platform, "step": step,
                         "at": base})
                for _ in range(rng.randrange(7)):
                    detail = rng.choice(('{}', *(f'{{"platform": "{p}"}}' for p in platforms)))
                    conn.execute(text(
                        "INSERT INTO events (programme_id, interview_id, at, kind, actor, "
                        "detail) VALUES (:p, :i, :at, :kind, 't', :detail)"),
                        {"p": programme, "i": iid, "kind": rng.choice(kinds), "detail": detail,
                         "at": base + dt.timedelta(hours=rng.randrange(-40, 40),
                                                   microseconds=rng.randrange(10**6))})
        upgrade(engine, "0016")  # 0017 then clears the times of videos never made public
        events, pubs = Event.__table__, Publication.__table__
        with engine.connect() as conn:
            journal = conn.execute(select(events.c.interview_id, events.c.kind, events.c.at,
                                          events.c.detail)).all()
            stamped = conn.execute(select(pubs.c.interview_id, pubs.c.platform, pubs.c.step,
                                          pubs.c.went_out_at)).all()
        assert len(stamped) == 12 * len(steps)
        filled = 0
        for iid, platform, step, went_out_at in stamped:
            times = [at for i, kind, at, detail in journal if i == iid and (
                (kind == "released" and step == "video")
                or (kind in ("posted", "post_found", "resolved")
                    and (detail or {}).get("platform") == platform))]
            expected = max(times) if times and step in ("video", "post") else None
            assert went_out_at == expected, (iid, platform, step)
            filled += expected is not None
        assert filled > 10  # the journal named most records
        downgrade(engine, "0015")
        assert "went_out_at" not in {c["name"] for c in inspect(engine).get_columns(
            "publications")}
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()


def test_0017_stamps_every_record_that_went_out_as_the_page_computed_its_time(
        db_url: str) -> None:
    """0017 gives each record the Published page counted as out, and that had no time,
    exactly the fallback the page used (a video: its interview's slot, else its release
    record's last change, else its own; a post: its own last change); it takes the time
    off a video record that is not public; every other time stays. Downgrading keeps them."""
    import datetime as dt
    import random

    from sqlalchemy import select

    from publisher.store.models import Interview, Publication

    engine = make_engine(db_url)
    rng = random.Random(17)
    base = dt.datetime(2026, 11, 30, 22, 30)  # naive UTC, as stored

    def moment() -> dt.datetime:
        return base + dt.timedelta(hours=rng.randrange(-40, 40),
                                   microseconds=rng.randrange(10**6))

    steps = (("youtube", "video"), ("youtube", "release"), ("youtube", "thumbnail"),
             ("mastodon", "post"), ("bluesky", "post"))
    columns = ("programme_id, position, state, video_path, video_size, video_sha256, "
               "video_duration_s, video_width, video_height, video_codec, container_format, "
               "title, description, hashtags, language, slot_at, created_at, updated_at")
    try:
        upgrade(engine, "0016")
        with engine.begin() as conn:
            programme = conn.execute(text("SELECT id FROM programmes")).scalar_one()
            for n in range(1, 41):
                conn.execute(text(
                    f"INSERT INTO interviews ({columns}) VALUES (:p, :n, :state, "
                    f"'/v/{n}.mp4', 10, 'sha{n}', 1.5, 64, 48, 'h264', 'mp4', 'T', '', '[]', "
                    "'it', :slot, '2026-11-01 10:00:00', '2026-11-01 10:00:00')"),
                    {"p": programme, "n": n, "slot": rng.choice((None, moment())),
                     "state": rng.choice(("staged", "released", "published", "withdrawn"))})
                for platform, step in steps:
                    if rng.random() < 0.15:
                        continue
                    conn.execute(text(
                        "INSERT INTO publications (programme_id, interview_id, platform, "
                        "step, account, state, remote_id, progress, attempts, created_at, "
                        "updated_at, went_out_at) VALUES (:p, :i, :platform, :step, '', "
                        ":state, :remote, 0, 0, :at, :at, :went)"),
                        {"p": programme, "i": n, "platform": platform, "step": step,
                         "state": rng.choice(("done", "done", "pending", "deleted")),
                         "remote": rng.choice((None, "", f"r{n}")), "at": moment(),
                         "went": rng.choice((None, None, moment()))
                         if step in ("video", "post") else None})
        interviews, pubs = Interview.__table__, Publication.__table__
        with engine.connect() as conn:
            states = {i: (state, slot) for i, state, slot in conn.execute(
                select(interviews.c.id, interviews.c.state, interviews.c.slot_at))}
            before = conn.execute(select(pubs.c.id, pubs.c.interview_id, pubs.c.platform,
                                         pubs.c.step, pubs.c.state, pubs.c.remote_id,
                                         pubs.c.updated_at, pubs.c.went_out_at)).all()
        releases = {r.interview_id: r for r in before if r.step == "release"}
        expected, out = {}, 0
        for r in before:  # the Published page's rule before 0017
            state, slot = states[r.interview_id]
            release = releases.get(r.interview_id)
            if r.step == "video":
                released = release is not None and release.state == "done"
                public = r.state == "done" and bool(r.remote_id) and (
                    released or state in ("released", "published"))
                released_at = release.updated_at if release is not None and released else None
                expected[r.id] = (r.went_out_at or slot or released_at or r.updated_at
                                  ) if public else None
                out += public
            elif r.step == "post" and r.state == "done":
                expected[r.id] = r.went_out_at or r.updated_at
                out += 1
            else:
                expected[r.id] = r.went_out_at
        assert out > 20 and any(r.went_out_at is None for r in before)
        upgrade(engine, "0017")
        with engine.connect() as conn:
            after = dict(conn.execute(select(pubs.c.id, pubs.c.went_out_at)).all())
        assert after == expected
        assert "ix_publications_programme_state_went_out_at" in {
            i["name"] for i in inspect(engine).get_indexes("publications")}
        downgrade(engine, "0016")
        with engine.connect() as conn:
            assert dict(conn.execute(select(pubs.c.id, pubs.c.went_out_at)).all()) == after
        upgrade(engine)
        assert current_revision(engine) == SCHEMA_HEAD
    finally:
        engine.dispose()
