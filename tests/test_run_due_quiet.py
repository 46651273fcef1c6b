"""`run-due`'s fast answer (publisher/pipeline/quiet.py) against the full path: on random
queues, at random later instants, whenever the fast answer is given the full run_due at the
same instant does nothing, says the same next wake-up in the same words, and leaves the
database exactly as the fast answer does. And the cases where it must not answer."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from publisher.app import App
from publisher.cli.run_cmds import describe_next
from publisher.home import Home
from publisher.pipeline import quiet
from publisher.pipeline.run_due import RunReport, run_due
from publisher.pipeline.runtime import Runtime
from publisher.store.db import make_engine, transaction
from publisher.store.models import Interview, Publication
from tests.conftest import HomeFixture
from tests.helpers.home_template import HomeTemplate
from tests.helpers.random_queues import NOW, rows

STATES = ("queued",) * 6 + ("held", "published", "cancelled", "needs_attention")
DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def make_home(template: HomeTemplate, folder: Path, rng: random.Random,
              size: int | None = None) -> Path:
    template.sqlite_home(folder)  # what `publisher init FOLDER` makes
    slots = sorted({f"{rng.choice(DAYS)} {rng.choice(('09:00', '18:00'))}"
                    for _ in range(rng.randint(1, 4))})
    (folder / "schedules" / "studi-aperti.toml").write_text(
        'name = "studi-aperti"\ntimezone = "Europe/Rome"\n'
        f"slots = {json.dumps(slots)}\nper_week = {rng.randint(1, len(slots))}\n"
        f'lead_time = "{rng.choice(("1h", "48h", "150h"))}"\nstart = "2026-11-01"\n')
    queue = rows(rng, rng.choice((0, 3, 30, 120)) if size is None else size)
    for row in queue:
        row["state"] = rng.choice(STATES)
        row["schedule"] = rng.choice((None, None, "studi-aperti", "gone"))
        if row["state"] != "published":
            row["slot_at"] = None
    waits = [{"interview_id": row["id"], "platform": "youtube", "step": "video",
              "state": "pending", "next_attempt_at": NOW + dt.timedelta(
                  hours=rng.randint(-12, 60))}
             for row in queue if row["state"] == "queued" and rng.random() < 0.1]
    engine = make_engine(f"sqlite:///{folder / 'publisher.db'}")
    with transaction(engine, 1) as s:  # the home's programme (the default, id 1)
        if queue:
            s.execute(insert(Interview), queue)
        if waits:
            s.execute(insert(Publication), waits)
    engine.dispose()
    return folder


def runtime(folder: Path, db: Path, now: dt.datetime) -> tuple[App, Runtime]:
    app = App(Home.resolve(folder, f"sqlite:///{db}"))
    rt = app.runtime("test")
    rt.clock = lambda: now
    rt.sleep = lambda s: None
    return app, rt


def full(folder: Path, db: Path, now: dt.datetime, *, remember: bool
         ) -> tuple[RunReport, str]:
    """What `run-due` does without a fast answer (with `remember`: as the command does)."""
    home = Home.resolve(folder, f"sqlite:///{db}")
    seen = quiet.before(home)
    app, rt = runtime(folder, db, now)
    try:
        report = run_due(rt, now)
        line = describe_next(app, report)
        if remember:
            quiet.remember(rt, seen, report, now, line)
    finally:
        app.close()
    return report, line


def tables(db: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, the fast answer's own row aside."""
    conn = sqlite3.connect(db)
    try:
        names = [n for (n,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {n: sorted(map(tuple, conn.execute(f"SELECT * FROM {n}" + (
            f" WHERE key != '{quiet.KEY}'" if n == "runtime_state" else ""))), key=repr)
            for n in names}
    finally:
        conn.close()


@pytest.mark.slow  # about 9 s of random queues: CI; the quick loop keeps the others
def test_the_fast_answer_is_the_full_paths_on_random_queues(
        tmp_path: Path, home_template: HomeTemplate) -> None:
    answered = compared = 0
    for seed in range(10):
        rng = random.Random(seed)
        folder = make_home(home_template, tmp_path / f"home{seed}", rng)
        db = folder / "publisher.db"
        full(folder, db, NOW, remember=True)   # the day's chores: they write, nothing kept
        full(folder, db, NOW, remember=True)   # nothing changes: its answer is kept
        for _ in range(6):
            later = NOW + dt.timedelta(minutes=rng.randint(0, 60 * 40))
            copy = tmp_path / f"copy{seed}.db"
            shutil.copyfile(db, copy)
            before = tables(db)
            got = quiet.answer(Home.resolve(folder, f"sqlite:///{db}"), later)
            report, line = full(folder, copy, later, remember=False)
            compared += 1
            if got is None:
                assert tables(db) == before, "no fast answer, yet something was written"
                continue
            answered += 1
            assert report.actions == [], f"seed {seed}: due at {later}, yet a fast answer"
            assert got.next_wake == (report.next_wake.isoformat() if report.next_wake
                                     else None)
            assert got.next_line == line
            assert tables(db) == tables(copy)
    # Both outcomes occur: a fast path never taken would prove nothing.
    assert 0 < answered < compared


def test_a_write_a_file_or_the_grace_sends_it_down_the_full_path(
        tmp_path: Path, home_template: HomeTemplate) -> None:
    folder = make_home(home_template, tmp_path / "home", random.Random(3), 30)
    db = folder / "publisher.db"
    home = Home.resolve(folder, f"sqlite:///{db}")
    full(folder, db, NOW, remember=True)
    full(folder, db, NOW, remember=True)
    soon = NOW + dt.timedelta(minutes=1)
    assert quiet.answer(home, soon) is not None
    # Any write to the queue (here by hand, as a script might) moves the counter.
    conn = sqlite3.connect(db)
    conn.execute("UPDATE interviews SET title = title || '!' WHERE id = "
                 "(SELECT min(id) FROM interviews)")
    conn.commit()
    conn.close()
    assert quiet.answer(home, soon) is None
    full(folder, db, soon, remember=True)
    assert quiet.answer(home, soon) is not None
    # A schedule edited (even keeping its modification time) changes the stamp.
    path = folder / "schedules" / "studi-aperti.toml"
    path.write_text(path.read_text() + "\n")
    assert quiet.answer(home, soon) is None
    full(folder, db, soon, remember=True)
    assert quiet.answer(home, soon) is not None
    # Time going back, or a look too long ago (slots may have been missed): full path.
    assert quiet.answer(home, NOW) is None
    assert quiet.answer(home, soon + dt.timedelta(hours=7)) is None


def test_every_table_has_its_change_triggers(sqlite_home: HomeFixture) -> None:
    """Every table has its triggers after the migrations (publisher/store/change_counter.py);
    without them run-due never answers fast."""
    conn = sqlite3.connect(sqlite_home.path / "publisher.db")
    try:
        assert quiet._triggers_complete(conn) is not None
    finally:
        conn.close()


def test_a_rebuilt_table_gets_its_triggers_back_from_the_migration_runner(
        sqlite_home: HomeFixture) -> None:
    """A SQLite rebuild (what batch_alter_table does) drops a table's triggers; the next
    upgrade through publisher's runner gives them back, so no migration has to."""
    from publisher.store.db import make_engine
    from publisher.store.migrate import upgrade

    path = sqlite_home.path / "publisher.db"
    conn = sqlite3.connect(path)
    try:
        conn.execute("DROP TRIGGER change_counter_speakers_update")
        conn.commit()
        assert quiet._triggers_complete(conn) is None
    finally:
        conn.close()
    engine = make_engine(sqlite_home.db_url)
    upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(path)
    try:
        assert quiet._triggers_complete(conn) is not None
    finally:
        conn.close()


def test_the_command_answers_fast_with_the_same_output(sqlite_home: HomeFixture,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite_home.ok("run-due")              # the day's chores: they write, nothing kept
    full_text = sqlite_home.ok("run-due")  # nothing changed since: its answer kept

    def no_full_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the full path ran")

    with monkeypatch.context() as patch:
        patch.setattr("publisher.pipeline.run_due.run_due", no_full_run)
        fast_text = sqlite_home.ok("run-due")
        fast_json = json.loads(sqlite_home.ok("run-due", "--json").output)
        # An instant given with --at always takes the full path.
        assert sqlite_home.run("run-due", "--at", "2030-01-01T00:00:00Z").exit_code != 0
    assert fast_text.output == full_text.output
    conn = sqlite3.connect(sqlite_home.path / "publisher.db")
    conn.execute("DELETE FROM runtime_state WHERE key = ?", (quiet.KEY,))
    conn.commit()
    conn.close()
    full_json = json.loads(sqlite_home.ok("run-due", "--json").output)
    assert fast_json["actions"] == [] and fast_json["sandbox"] is False
    assert {k: v for k, v in fast_json.items() if k != "now"} == \
        {k: v for k, v in full_json.items() if k != "now"}
