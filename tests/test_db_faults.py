"""The database failing under a CLI command and the daemon: SQLite busy (a CLI command and the
daemon at once), the disk full during a write, PostgreSQL restarted under the daemon.

What must hold every time: a clear message and exit status 3 for the CLI, with the queue and
the journal exactly as they were (a half write is never visible); the daemon logs the error,
does not die, tries again with a backoff, and then does the work that was due exactly once.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine

from publisher.app import App
from publisher.daemon import Daemon
from publisher.home import Home
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import BUSY_MESSAGE, ENV_SQLITE_BUSY_TIMEOUT
from tests.conftest import HomeFixture, Media, Result, add_args, invoke
from tests.helpers.marks import quick_sample, slow_except
from tests.helpers.rows import events, interviews
from tests.helpers.youtube import connect
from tests.pg_server import PostgresUnavailable, TempPostgres

ROME = ZoneInfo("Europe/Rome")
Snapshot = dict[str, list[tuple[Any, ...]]]


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def due_now(home: HomeFixture, slots: int = 1) -> None:
    """A cadence of `slots` slots 3 h away (a minute apart) with a 48 h lead: the first
    `slots` queued interviews are due for upload at once (and their release is hours away,
    so they stay `staged`); the next one waits for next week."""
    first = dt.datetime.now(ROME).replace(second=0, microsecond=0) + dt.timedelta(hours=3)
    times = [f"{first + dt.timedelta(minutes=k):%A %H:%M}" for k in range(slots)]
    (home.path / "schedules" / "studi-aperti.toml").write_text(
        'name = "studi-aperti"\ntimezone = "Europe/Rome"\n'
        f'slots = {json.dumps(times)}\nper_week = {slots}\nlead_time = "48h"\n')


def wait_for(predicate: Callable[[], object], timeout: float = 30.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what or predicate}")


def sqlite_path(home: HomeFixture) -> Path:
    return Path(home.db_url.removeprefix("sqlite:///"))


def journal(home: HomeFixture) -> list[tuple[int, str]]:
    engine = create_engine(home.db_url)
    with engine.connect() as conn:
        rows = [(r[0], r[1]) for r in conn.execute(
            text("SELECT interview_id, kind FROM events ORDER BY id"))]
    engine.dispose()
    return rows


def assert_consistent(home: HomeFixture) -> None:
    """Every interview that left `queued` has the journal events of the states it went
    through, and no event names an interview state that did not happen."""
    kinds: dict[int, list[str]] = {}
    for interview_id, kind in journal(home):
        kinds.setdefault(interview_id, []).append(kind)
    for item in interviews(home):
        got = kinds.get(item.id, [])
        assert "queued" in got, (item.id, got)
        if item.state in ("staged", "released", "published"):
            assert got.count("staged") == 1, (item.id, item.state, got)
        else:
            assert "staged" not in got, (item.id, item.state, got)
        if item.state == "held":
            assert got[-1] == "held", got


# --- SQLite busy: a CLI command and the daemon at once ------------------------------------


class WriteLock:
    """Another process's transaction on the SQLite file: BEGIN IMMEDIATE, held until released
    (from any thread, e.g. a timer)."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("BEGIN IMMEDIATE")
        self.held = True
        self._lock = threading.Lock()

    def release(self) -> None:
        with self._lock:
            if self.held:
                self.conn.execute("ROLLBACK")
                self.conn.close()
                self.held = False


@contextmanager
def write_lock(home: HomeFixture, release_after: float | None = None) -> Iterator[WriteLock]:
    lock = WriteLock(sqlite_path(home))
    timer = threading.Timer(release_after, lock.release) if release_after is not None else None
    if timer is not None:
        timer.start()
    try:
        yield lock
    finally:
        if timer is not None:
            timer.cancel()
        lock.release()


@pytest.fixture
def queued(sqlite_home: HomeFixture, media: Media) -> HomeFixture:
    """A SQLite home with one interview in the queue (id 1) and a video ready for another."""
    sqlite_home.ok(*add_args(media.video(name="first.mp4"), "Prima"))
    media.video(name="second.mp4")
    return sqlite_home


CLI_COMMANDS: dict[str, Callable[[Media], list[Any]]] = {
    "queue add": lambda media: add_args(media.folder / "second.mp4", "Seconda"),
    "queue hold": lambda media: ["queue", "hold", "1", "--reason", "attesa"],
    "status": lambda media: ["status"],
}


def check_done(home: HomeFixture, command: str, result: Result) -> None:
    # This home has no YouTube token: `status` says the next upload waits for it (exit 4).
    waits = command == "status" and "waiting for YouTube authorisation" in result.stdout
    assert result.exit_code == (4 if waits else 0), result.output
    states = [(i.title, i.state) for i in interviews(home)]
    if command == "queue add":
        assert states == [("Prima", "queued"), ("Seconda", "queued")]
    elif command == "queue hold":
        assert states == [("Prima", "held")]
    else:
        assert "Daemon:" in result.stdout and "Next:" in result.stdout, result.stdout


# Each waits 1.5 s for the lock: the quick loop tries a write; CI every command.
@pytest.mark.parametrize("command", slow_except(CLI_COMMANDS, keep={"queue add"}))
def test_a_cli_command_waits_for_the_lock_and_succeeds_when_it_is_released(
        queued: HomeFixture, media: Media, command: str) -> None:
    queued.env[ENV_SQLITE_BUSY_TIMEOUT] = "60"
    t0 = time.monotonic()
    with write_lock(queued, release_after=1.5):
        result = queued.run(*CLI_COMMANDS[command](media))
    assert time.monotonic() - t0 >= 1.4, "it waited for the lock rather than failing"
    check_done(queued, command, result)
    assert_consistent(queued)


@pytest.mark.parametrize("command", slow_except(CLI_COMMANDS, keep={"status"}))
def test_a_cli_command_gives_up_clearly_when_the_lock_outlasts_the_busy_timeout(
        queued: HomeFixture, media: Media, command: str) -> None:
    queued.env[ENV_SQLITE_BUSY_TIMEOUT] = "0.5"
    before = queued.snapshot()
    with write_lock(queued):
        result = queued.run(*CLI_COMMANDS[command](media))
    assert result.exit_code == 3, result.output
    assert f"error: {BUSY_MESSAGE}" in result.stderr
    assert "Traceback" not in result.output and "OperationalError" not in result.output
    assert queued.snapshot() == before
    # Once the lock is gone, the same command goes through.
    check_done(queued, command, queued.run(*CLI_COMMANDS[command](media)))


def test_a_bad_busy_timeout_setting_is_named(queued: HomeFixture) -> None:
    queued.env[ENV_SQLITE_BUSY_TIMEOUT] = "soon"
    result = queued.run("queue", "list")
    assert result.exit_code == 3
    assert ENV_SQLITE_BUSY_TIMEOUT in result.stderr


def in_process_daemon(home: HomeFixture, monkeypatch: pytest.MonkeyPatch,
                      max_sleep: float) -> Daemon:
    """The daemon `publisher run` starts, built in this process (its environment set first)."""
    for key, value in home.env.items():
        monkeypatch.setenv(key, value)
    app = App(Home.resolve(str(home.path), home.db_url))
    return Daemon(app.runtime("daemon"), max_sleep=dt.timedelta(seconds=max_sleep))


@contextmanager
def daemon_thread(daemon: Daemon) -> Iterator[threading.Thread]:
    """`daemon.run()` in a thread (no signal handlers there), shut down at the end."""
    thread = threading.Thread(target=daemon.run, kwargs={"handle_signals": False},
                              daemon=True)
    thread.start()
    try:
        yield thread
    finally:
        daemon.stopping.set()
        wait_for(lambda: daemon.scheduler.running, 10, "the scheduler to start")
        daemon.scheduler.shutdown(wait=True)
        thread.join(15)
        daemon.rt.engine.dispose()


def messages(caplog: pytest.LogCaptureFixture, needle: str) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "publisher.daemon" and needle in r.getMessage()]


@pytest.mark.slow
def test_the_daemon_waits_out_a_cli_holding_the_lock_and_does_the_work_once(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="publisher.daemon")
    home = sqlite_home
    connect(home, yt)
    due_now(home)
    home.ok(*add_args(media.video(), "Uno"))
    monkeypatch.setenv(ENV_SQLITE_BUSY_TIMEOUT, "0.3")
    daemon = in_process_daemon(home, monkeypatch, max_sleep=1)
    # The lock: a CLI command in the middle of its transaction.
    with write_lock(home) as lock, daemon_thread(daemon) as thread:
        wait_for(lambda: len(messages(caplog, BUSY_MESSAGE)) >= 3, 30,
                 "three busy ticks")
        assert thread.is_alive() and daemon.scheduler.running
        assert daemon.ticks == 0 and not yt.videos
        lock.release()
        wait_for(lambda: interviews(home)[0].state == "staged", 60, "the upload")
        ticks = daemon.ticks
        wait_for(lambda: daemon.ticks >= ticks + 2, 30, "two more ticks")
        assert thread.is_alive()
    busy = messages(caplog, BUSY_MESSAGE)
    delays = [float(m) for m in re.findall(r"trying again in ([\d.]+) s", "\n".join(busy))]
    assert delays[:2] == [1, 1], delays  # 1 s, then capped by max_sleep (1 s here)
    assert not messages(caplog, "Traceback")
    assert len(yt.videos) == 1 and len(yt.sessions) == 1, "uploaded once"
    assert [e.kind for e in events(home, "staged")] == ["staged"]
    assert_consistent(home)


def test_a_busy_tick_is_retried_with_a_backoff_and_the_retry_does_the_work(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The same, one tick at a time: the backoff doubles up to max_sleep."""
    home = sqlite_home
    connect(home, yt)
    due_now(home)
    home.ok(*add_args(media.video(), "Uno"))
    monkeypatch.setenv(ENV_SQLITE_BUSY_TIMEOUT, "0.2")
    daemon = in_process_daemon(home, monkeypatch, max_sleep=30)
    armed: list[dt.datetime] = []
    monkeypatch.setattr(daemon, "_arm", armed.append)
    with write_lock(home):
        for _ in range(7):
            before = daemon.rt.clock()
            daemon.tick()  # never raises
            assert armed[-1] > before
        assert daemon.failures == 7 and daemon.ticks == 0
    waits = [float(m) for m in re.findall(r"trying again in ([\d.]+) s",
                                          "\n".join(messages(caplog, BUSY_MESSAGE)))]
    assert waits == [1, 2, 4, 8, 16, 30, 30]
    daemon.tick()
    assert daemon.failures == 0 and daemon.ticks == 1
    assert interviews(home)[0].state == "staged" and len(yt.videos) == 1
    daemon.tick()
    assert len(yt.videos) == 1 and len(events(home, "staged")) == 1
    daemon.rt.engine.dispose()
    assert_consistent(home)


# --- the disk full during a write ----------------------------------------------------------


class FullDisk:
    """The disk fills up: SQLite's `max_page_count` pinned to the file's current size, so the
    next write that needs one more page fails with SQLITE_FULL ("database or disk is full"),
    exactly as on a full disk.

    `at_connect`: every new connection is capped at once (the disk is full from the start),
    and every journal entry after the first `journal_room` is padded so that it needs new
    pages (on a full disk the journal growing is what fails; an UPDATE in place may still
    fit). Otherwise the disk fills up in the middle of a transaction, at its first write to the
    table `fail_at` after another write went through: if that write is the journal entry,
    the cap comes right before it and the entry is padded so that it needs new pages (a real
    SQLITE_FULL); any other write (an UPDATE in place needs no new page) gets the error
    SQLite raises then.
    """

    def __init__(self, *, at_connect: bool = False, fail_at: str = "events",
                 journal_room: int = 0) -> None:
        self.at_connect = at_connect
        self.journal_room = journal_room
        self.padded_kinds: list[str] = []  # the journal entries that needed room
        self.fail_at = fail_at
        self.writes: dict[int, list[str]] = {}  # per connection, since its BEGIN
        self.refused: list[str] = []  # the write that hit the full disk, and those before

    def __enter__(self) -> FullDisk:
        if self.at_connect:
            event.listen(Engine, "connect", self._cap_new_connection)
        event.listen(Engine, "before_cursor_execute", self._before_execute, retval=True)
        return self

    def __exit__(self, *_: object) -> None:
        if self.at_connect:
            event.remove(Engine, "connect", self._cap_new_connection)
        event.remove(Engine, "before_cursor_execute", self._before_execute)

    @staticmethod
    def _cap(dbapi_conn: Any) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    def _cap_new_connection(self, dbapi_conn: Any, _record: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            self._cap(dbapi_conn)

    def _before_execute(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                        _context: Any, _many: bool) -> tuple[str, Any]:
        if not isinstance(cursor, sqlite3.Cursor):
            return statement, parameters
        if self.at_connect:
            if not statement.upper().startswith("INSERT INTO EVENTS"):
                return statement, parameters
            if self.journal_room > 0:
                self.journal_room -= 1
                return statement, parameters
            return self._padded(statement, parameters)
        if self.refused:
            return statement, parameters
        words = statement.split()
        if words[0].upper() == "BEGIN":
            self.writes[id(cursor.connection)] = []
            return statement, parameters
        if words[0].upper() not in ("INSERT", "UPDATE", "DELETE"):
            return statement, parameters
        done = self.writes.setdefault(id(cursor.connection), [])
        done.append(" ".join(words[:3]))
        table = words[2] if words[0].upper() in ("INSERT", "DELETE") else words[1]
        if len(done) < 2 or table != self.fail_at:
            return statement, parameters
        self.refused = list(done)
        if table == "events":
            self._cap(cursor.connection)
            return self._padded(statement, parameters)
        raise sqlite3.OperationalError("database or disk is full")

    def _padded(self, statement: str, parameters: Any) -> tuple[str, Any]:
        columns = re.search(r"\(([^)]*)\)", statement)
        assert columns is not None
        names = [c.strip() for c in columns.group(1).split(",")]
        row = list(parameters)
        row[names.index("detail")] = json.dumps({"padding": "x" * 20_000})
        self.padded_kinds.append(row[names.index("kind")])
        return statement, tuple(row)


def vacuum(home: HomeFixture) -> None:
    """No free pages left in the file: a write that needs room must grow it."""
    conn = sqlite3.connect(sqlite_path(home), isolation_level=None)
    conn.execute("VACUUM")
    conn.close()


FULL = re.compile(r"error: the database \S+ is full \(no space left on the disk for this "
                  r"write: database or disk is full\); nothing was changed")


@pytest.mark.parametrize(("command", "fail_at"), [
    ("queue add", "events"),  # the interview and its speakers written, not its journal entry
    ("queue hold", "events"),  # the interview's new state written, not its journal entry
    ("queue edit", "interviews"),
])
def test_a_disk_full_mid_transaction_leaves_queue_and_journal_as_they_were(
        queued: HomeFixture, media: Media, command: str, fail_at: str) -> None:
    args = {"queue add": add_args(media.folder / "second.mp4", "Seconda"),
            "queue hold": ["queue", "hold", "1"],
            "queue edit": ["queue", "edit", "1", "--title", "Prima, rivista"]}[command]
    vacuum(queued)
    before = queued.snapshot()
    with FullDisk(fail_at=fail_at) as disk:
        result = queued.run(*args)
    # Some of the command's writes went through, then one hit the full disk.
    assert len(disk.refused) >= 2 and fail_at in disk.refused[-1], disk.refused
    assert result.exit_code == 3, result.output
    assert FULL.search(result.stderr), result.stderr
    assert "Traceback" not in result.output
    assert queued.snapshot() == before, "no interview row without its journal event"
    queued.ok(*args)  # space again: the same command goes through, row and event together
    assert_consistent(queued)


def test_a_disk_full_from_the_start_refuses_writes_but_still_shows_the_queue(
        queued: HomeFixture, media: Media) -> None:
    vacuum(queued)
    before = queued.snapshot()
    with FullDisk(at_connect=True):
        result = queued.run(*add_args(media.folder / "second.mp4", "Seconda"))
        listing = queued.run("queue", "list")
    assert result.exit_code == 3, result.output
    assert FULL.search(result.stderr), result.stderr
    assert queued.snapshot() == before
    assert listing.exit_code == 0 and "Prima" in listing.stdout, listing.output
    assert_consistent(queued)


@pytest.mark.parametrize(("journal_room", "refused"), [
    (0, "staging"),  # full before anything was sent
    (1, "upload_session_started"),  # the upload session opened on YouTube, not recorded
    (2, "uploaded"),  # the whole video sent, its arrival not recorded
])
def test_the_daemon_on_a_full_disk_stays_consistent_and_resumes_when_space_is_freed(
        sqlite_home: HomeFixture, media: Media, yt: FakeYouTube,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture,
        journal_room: int, refused: str) -> None:
    home = sqlite_home
    connect(home, yt)
    due_now(home)
    home.ok(*add_args(media.video(), "Uno"))
    home.ok(*add_args(media.video(), "Due"))
    vacuum(home)
    daemon = in_process_daemon(home, monkeypatch, max_sleep=30)
    monkeypatch.setattr(daemon, "_arm", lambda when: None)
    daemon.rt.engine.dispose()  # its next connections are made on the full disk
    with FullDisk(at_connect=True, journal_room=journal_room) as disk:
        for _ in range(3):
            daemon.tick()  # never raises
            assert_consistent(home)
    assert disk.padded_kinds[0] == refused, disk.padded_kinds
    assert daemon.failures == 3 and daemon.ticks == 0
    full = messages(caplog, "is full")
    assert len(full) == 3 and all("database or disk is full" in m for m in full), full
    assert all(i.state in ("queued", "staging") for i in interviews(home))
    assert len(yt.videos) <= 1
    daemon.rt.engine.dispose()  # space again: new connections are not capped
    daemon.tick()
    assert daemon.failures == 0 and daemon.ticks == 1
    assert [i.state for i in interviews(home)] == ["staged", "queued"]
    assert len(yt.videos) == 1, "what was sent on a full disk was not sent again"
    daemon.tick()
    assert len(yt.videos) == 1 and len(events(home, "staged")) == 1
    daemon.rt.engine.dispose()
    assert_consistent(home)


# --- PostgreSQL restarted under the daemon --------------------------------------------------


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[TempPostgres]:
    """A PostgreSQL server of this module's own, which the tests stop and start."""
    try:
        server = TempPostgres()
        server.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_home(own_postgres: TempPostgres, tmp_path: Path) -> Iterator[HomeFixture]:
    name = f"publisher_faults_{os.getpid()}_{time.monotonic_ns()}"
    admin = create_engine(own_postgres.url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    # A password in the URL (trust authentication ignores it): messages must hide it.
    url = own_postgres.url.rsplit("/", 1)[0].replace("publisher@", "publisher:s3cret@")
    url = f"{url}/{name}"
    path = tmp_path / "home"
    result = invoke("--db", url, "init", str(path))
    assert result.exit_code == 0, result.output
    admin.dispose()
    try:
        yield HomeFixture(path, url)
    finally:
        if not server_is_up(own_postgres):
            own_postgres.start_server()
        admin = create_engine(own_postgres.url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def server_is_up(server: TempPostgres) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", server.port)) == 0


@pytest.mark.slow
@pytest.mark.postgres
def test_the_daemon_survives_a_postgresql_restart_and_carries_on(
        own_postgres: TempPostgres, pg_home: HomeFixture, media: Media, yt: FakeYouTube,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="publisher.daemon")
    home = pg_home
    connect(home, yt)
    due_now(home, slots=2)
    home.ok(*add_args(media.video(), "Prima del riavvio"))
    daemon = in_process_daemon(home, monkeypatch, max_sleep=0.5)
    with daemon_thread(daemon) as thread:
        wait_for(lambda: interviews(home)[0].state == "staged", 60, "the first upload")
        own_postgres.stop_server()
        try:
            wait_for(lambda: len(messages(caplog, "cannot reach the database")) >= 3, 60,
                     "the daemon to notice, three times")
            assert thread.is_alive() and daemon.scheduler.running
        finally:
            own_postgres.start_server()
        ticks = daemon.ticks
        home.ok(*add_args(media.video(), "Dopo il riavvio"))
        wait_for(lambda: [i.state for i in interviews(home)] == ["staged", "staged"], 60,
                 "the upload queued after the restart")
        wait_for(lambda: daemon.ticks >= ticks + 2, 30, "ticks after the restart")
        assert thread.is_alive()
    down = messages(caplog, "cannot reach the database")
    assert all("s3cret" not in m and "postgresql://publisher:" in m for m in down), down[0]
    delays = [float(m) for m in re.findall(r"trying again in ([\d.]+) s", "\n".join(down))]
    assert delays[:3] == [0.5, 0.5, 0.5], delays  # 1 s capped by max_sleep (0.5 s here)
    assert sorted(v.title for v in yt.videos.values()) == [
        "Dopo il riavvio", "Prima del riavvio"]
    assert len(events(home, "staged")) == 2
    assert_consistent(home)


@pytest.mark.postgres
# Each stops and starts a PostgreSQL server: the quick loop tries the first.
@pytest.mark.parametrize("command", quick_sample(
    [["queue", "list"], ["status"], ["run-due"], "queue add"], every=4))
def test_the_cli_against_a_stopped_postgresql_says_so(
        own_postgres: TempPostgres, pg_home: HomeFixture, media: Media,
        command: list[str] | str) -> None:
    args = add_args(media.video(), "Uno") if command == "queue add" else command
    own_postgres.stop_server()
    try:
        result = pg_home.run(*args)
    finally:
        own_postgres.start_server()
    assert result.exit_code == 3, result.output
    where = pg_home.db_url.replace("postgresql+psycopg://", "postgresql://").replace(
        "s3cret", "***")
    assert f"error: cannot reach the database at {where}: " in result.stderr, result.stderr
    assert "s3cret" not in result.output
    assert "Traceback" not in result.output
    assert pg_home.ok("queue", "list")  # back up: the same home works again


@pytest.mark.postgres
def test_a_postgresql_restart_between_two_ticks_goes_unnoticed(
        own_postgres: TempPostgres, pg_home: HomeFixture, media: Media, yt: FakeYouTube,
        monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """The pooled connections the restart broke are replaced when taken (pool_pre_ping):
    the next tick does not even fail."""
    home = pg_home
    connect(home, yt)
    due_now(home)
    daemon = in_process_daemon(home, monkeypatch, max_sleep=30)
    monkeypatch.setattr(daemon, "_arm", lambda when: None)
    daemon.tick()
    own_postgres.restart()
    home.ok(*add_args(media.video(), "Uno"))
    daemon.tick()
    assert daemon.failures == 0 and daemon.ticks == 2, caplog.text
    assert interviews(home)[0].state == "staged" and len(yt.videos) == 1
    daemon.rt.engine.dispose()
