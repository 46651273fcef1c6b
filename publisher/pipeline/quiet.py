"""`publisher run-due` with nothing due, without loading the pipeline: a proof from the
database that the last full run's answer still holds.

cron calls `run-due` every few minutes, and nearly always nothing is due; the full path
costs a second of imports and reads before it can say so. A full run that found nothing to
do and changed nothing (`remember`) leaves in runtime_state (key `run_due_quiet`) what it
saw and until when its answer holds; the next call (`answer`) reads that with the standard
library's SQLite driver and answers the same, with the same writes, when all of this holds:

- the database is the same: `change_counter.n` (moved by a trigger on every table at every
  write, migration 0010; run-due's own rows `run_due` and `run_due_quiet` aside) is the
  number the full run saw before it started and again when it ended, and every trigger is
  still there;
- the files and settings are the same: publisher.toml, schedules/, credentials.json, the
  YouTube token file, the environment's PUBLISHER_* variables, this version's schema and
  code (`stamp`);
- the time is inside the answer's span: not before the full run, and before the earliest
  of: its next wake-up (`next_event`), the next midnight UTC (the daily and weekly chores)
  and Pacific (YouTube's quota day), a day later, and every instant stored in the database
  after the full run's `now` (retry times, slots, leases, not-before dates, the look again
  of a waiting authorisation): run_due compares `now` with nothing else;
- no slot can have been missed: the last look (`run_due`'s `last_now`) is within the grace;
- no running sandbox is behind one of the endpoints (publisher/guard.py, as a real run).

Otherwise, or on any doubt (PostgreSQL, a database at another schema, a busy database),
`answer` gives None and the full path runs. tests/test_run_due_quiet.py compares the two
paths' decisions on random queues.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.store.raw_sqlite import open_home_database, stored
from publisher.store.schema_head import SCHEMA_HEAD

if TYPE_CHECKING:
    from publisher.home import Home
    from publisher.pipeline.run_due import RunReport
    from publisher.pipeline.runtime import Runtime

KEY = "run_due_quiet"
LAST_LOOK = "run_due"  # pipeline/run_due.py's _report_missed
#: store/change_counter.PREFIX, not imported: this path runs without SQLAlchemy.
TRIGGER_PREFIX = "change_counter_"
#: The longest an answer holds, whatever the queue: well within run_due's horizons.
LONGEST = dt.timedelta(days=1)
_CODE = ("__init__.py", "pipeline/run_due.py", "pipeline/quiet.py", "store/schema_head.py")


@dataclass(frozen=True)
class Quiet:
    """What `run-due` prints when nothing is due: the next wake-up and its line."""

    next_wake: str | None  # ISO 8601, as `--json` gives it
    next_line: str         # `next: …` as describe_next words it


@dataclass(frozen=True)
class Before:
    """What a full run saw before it started: the counter and the files."""

    counter: int
    stamp: dict[str, Any]


# --- The files and settings the answer rests on -------------------------------------------

def _stat(path: Path) -> list[int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return [st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mode]


def _token_path(home: Home) -> Path | None:
    """The YouTube token file credentials.json names (as Runtime.path resolves it)."""
    try:
        doc = json.loads(home.credentials_file.read_text(encoding="utf-8"))
        name = doc["youtube"]["token_file"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if not isinstance(name, str) or not name:
        return None
    path = Path(name).expanduser()
    return path if path.is_absolute() else home.path / path


def stamp(home: Home) -> dict[str, Any]:
    """Every file and setting a run reads besides the database, as stat figures (a change,
    even one that keeps the modification time, changes the inode change time)."""
    import publisher

    files: dict[str, list[int] | None] = {
        "config": _stat(home.config_file), "credentials": _stat(home.credentials_file),
        "schedules": _stat(home.schedules_dir)}
    if home.schedules_dir.is_dir():
        for entry in sorted(home.schedules_dir.iterdir()):
            files[f"schedules/{entry.name}"] = _stat(entry)
    token = _token_path(home)
    files["token"] = _stat(token) if token is not None else None
    code = Path(publisher.__file__).parent
    for name in _CODE:
        files[f"code/{name}"] = _stat(code / name)
    env = sorted((k, v) for k, v in os.environ.items() if k.startswith("PUBLISHER_"))
    return {"files": files, "schema": SCHEMA_HEAD, "version": publisher.__version__,
            "home": str(home.path), "database": hashlib.sha256(
                home.database_url.encode()).hexdigest(),
            "env": hashlib.sha256(json.dumps(env).encode()).hexdigest()}


# --- The database ---------------------------------------------------------------------------

def _counter(conn: sqlite3.Connection) -> int | None:
    row = conn.execute("SELECT n FROM change_counter WHERE id = 1").fetchone()
    return int(row[0]) if row is not None else None


def _triggers_complete(conn: sqlite3.Connection) -> int | None:
    """The number of change triggers when every table has its three; None otherwise."""
    tables = {name for (name,) in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")}
    tables -= {"alembic_version", "change_counter"}
    triggers = {(table, name) for table, name in conn.execute(
        "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' AND name LIKE ?",
        (TRIGGER_PREFIX + "%",))}
    for table in tables:
        for kind in ("insert", "update", "delete"):
            if (table, f"{TRIGGER_PREFIX}{table}_{kind}") not in triggers:
                return None
    return len(triggers)


#: The one programme's id: the fast path serves a database that holds exactly one (with
#: several, any write of another moves the counter anyway; the full path decides).
_PROGRAMME = "(SELECT min(id) FROM programmes)"


def _one_programme(conn: sqlite3.Connection) -> bool:
    return bool(conn.execute("SELECT count(*) = 1 FROM programmes").fetchone()[0])


def _value(conn: sqlite3.Connection, key: str) -> dict[str, Any] | None:
    row = conn.execute(f"SELECT value FROM runtime_state WHERE key = ? "
                       f"AND programme_id = {_PROGRAMME}", (key,)).fetchone()
    if row is None:
        return None
    value = json.loads(row[0]) if isinstance(row[0], str) else None
    return value if isinstance(value, dict) else None


def before(home: Home) -> Before | None:
    """Taken by a full run before it starts; None when its answer cannot be remembered."""
    first = stamp(home)
    conn = open_home_database(home.database_url)
    if conn is None:
        return None
    try:
        counter = _counter(conn)
    except sqlite3.Error:
        return None
    finally:
        conn.close()
    return Before(counter, first) if counter is not None else None


def _earliest_stored(conn: sqlite3.Connection, now: dt.datetime) -> dt.datetime | None:
    """The earliest instant after `now` among those run_due compares `now` with."""
    after = stored(now)
    found = [value for (value,) in conn.execute(
        "SELECT min(next_attempt_at) FROM publications WHERE next_attempt_at > ?1 "
        "UNION ALL SELECT min(next_attempt_at) FROM corrections WHERE next_attempt_at > ?1 "
        "UNION ALL SELECT min(lease_expires_at) FROM interviews WHERE lease_expires_at > ?1 "
        "UNION ALL SELECT min(slot_at) FROM interviews WHERE slot_at > ?1 "
        "UNION ALL SELECT min(not_before) FROM interviews WHERE not_before > ?1",
        (after,)) if value is not None]
    if not found:
        return None
    return dt.datetime.fromisoformat(min(found)).replace(tzinfo=dt.UTC)


def remember(rt: Runtime, seen: Before | None, report: RunReport, now: dt.datetime,
             next_line: str) -> bool:
    """After a full run at `now`: keep its answer when it did nothing and nothing changed
    while it ran (same counter, same files); otherwise forget any answer kept before.
    Returns whether the answer was kept."""
    from publisher.pipeline.authorisation import KEY as AUTHORISATION
    from publisher.pipeline.run_due import DEFAULT_GRACE
    from publisher.platforms.youtube.errors import next_quota_reset

    conn = open_home_database(rt.home.database_url)
    if conn is None:
        return False
    try:
        conn.execute("BEGIN IMMEDIATE")
        kept = False
        triggers = _triggers_complete(conn)
        if (seen is not None and not report.actions and not report.paused
                and triggers is not None and _one_programme(conn)
                and _counter(conn) == seen.counter and stamp(rt.home) == seen.stamp):
            bounds = [now + LONGEST, next_quota_reset(now),
                      dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0),
                                          tzinfo=dt.UTC)]
            if report.next_wake is not None:
                bounds.append(report.next_wake)
            earliest = _earliest_stored(conn, now)
            if earliest is not None:
                bounds.append(earliest)
            waiting = _value(conn, AUTHORISATION)
            if waiting and waiting.get("look_again_at"):
                bounds.append(dt.datetime.fromisoformat(waiting["look_again_at"]))
            from publisher.pipeline.runtime import endpoints_in_use

            until = min(bounds)
            if until > now:
                value = {"counter": seen.counter, "triggers": triggers, "stamp": seen.stamp,
                         "now": now.isoformat(), "until": until.isoformat(),
                         "grace_s": DEFAULT_GRACE.total_seconds(),
                         "endpoints": endpoints_in_use(rt.config, rt.credentials),
                         "next_wake": report.next_wake.isoformat() if report.next_wake
                         else None, "next_line": next_line}
                _put(conn, KEY, value, now)
                kept = True
        if not kept:
            conn.execute(f"DELETE FROM runtime_state WHERE key = ? "
                         f"AND programme_id = {_PROGRAMME}", (KEY,))
        conn.execute("COMMIT")
        return kept
    except sqlite3.Error:
        return False
    finally:
        conn.close()  # without COMMIT: rolled back


def _put(conn: sqlite3.Connection, key: str, value: dict[str, Any], at: dt.datetime) -> None:
    """As pipeline/state.put writes a row (SQLAlchemy's JSON: json.dumps's text)."""
    conn.execute(f"INSERT INTO runtime_state (programme_id, key, value, updated_at) "
                 f"VALUES ({_PROGRAMME}, ?, ?, ?) "
                 "ON CONFLICT (programme_id, key) DO UPDATE SET value = excluded.value, "
                 "updated_at = excluded.updated_at", (key, json.dumps(value), stored(at)))


def answer(home: Home, now: dt.datetime) -> Quiet | None:
    """What run-due at `now` would print, with its one write done (the last look moved to
    `now`), when the remembered answer provably holds; None otherwise (nothing written)."""
    conn = open_home_database(home.database_url)
    if conn is None:
        return None
    try:
        conn.execute("BEGIN IMMEDIATE")
        if not _one_programme(conn):
            return None
        kept = _value(conn, KEY)
        last = _value(conn, LAST_LOOK)
        if kept is None or last is None or not isinstance(last.get("last_now"), str):
            return None
        previous = dt.datetime.fromisoformat(last["last_now"])
        if not (dt.datetime.fromisoformat(kept["now"]) <= now
                < dt.datetime.fromisoformat(kept["until"])
                and (now - previous).total_seconds() <= kept["grace_s"]
                and _counter(conn) == kept["counter"]
                and _triggers_complete(conn) == kept["triggers"]
                and stamp(home) == kept["stamp"]):
            return None
        from publisher.guard import SandboxViolation, protect_real_mode

        try:
            protect_real_mode(kept["endpoints"])
        except SandboxViolation:
            return None  # the full path refuses, with its message
        if now > previous:  # as _report_missed: the last look never goes back
            _put(conn, LAST_LOOK, {"last_now": now.isoformat()}, now)
        conn.execute("COMMIT")
        return Quiet(kept["next_wake"], kept["next_line"])
    except (sqlite3.Error, KeyError, TypeError, ValueError):
        return None
    finally:
        conn.close()  # without COMMIT: rolled back
