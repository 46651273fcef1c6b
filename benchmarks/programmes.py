"""Many programmes on one PostgreSQL: the tick's database work per programme at 100, 1,000
and 10,000 programmes, the query plans, slot-to-release time and throughput of 1, 2 and 4
worker processes, and each worker's memory.

For each size N (`--sizes`), on a throwaway PostgreSQL server (tests/pg_server.py) or
`--postgres-url`:

seed      A database at the schema head (`publisher db upgrade`); N homes on disk (one
          `publisher init`, copied with `programme = "pNNNNN"`), all on one loopback YouTube;
          N programmes and, per programme, 4 interviews (one published with its records and
          journal, a caption track, a title in English and a correction applied; one staged
          for a slot tomorrow; two queued for in two months), today's chores done, inserted
          in bulk (Core executemany), then ANALYZE.
tick      The tick's own work (the programmes to plan: `Deployment.programmes_to_plan`)
          and the deferral of one plan job per programme to plan (Procrastinate, in batches
          as the tick does: `tasks.defer_plans`), timed over the first `--defer-most`; per
          programme, and for all N. Twice: every programme due (before gating, or a fresh
          deployment), then one in DUE_SHARE (the others planned, waiting for their next
          event, their home files unchanged: `programmes.next_wake_at`, `home_stamp`); then
          the worker time the plans of one tick take (N, or the due ones, × a warm plan).
plan      `--sample` programmes spread over the ids: the plan's decision (`tasks.decide`:
          the missed slots told, the due work found) with every SQL statement counted and
          its time in the database summed; cold (the programme's App loaded: configuration,
          schedules, credentials) and warm (the App cached, as in a running worker).
replay    The database work of one whole tick: every SELECT the sample's warm plan sent,
          sent again for every one of the N programmes (its programme id put in), on one
          connection; the row is the total and the cost per programme, and its ratio to as
          many `SELECT 1` round trips sent after each programme's (the reference, at the
          same moments: what the machine's load does to any statement).
plans     At the largest size: EXPLAIN of every distinct statement of one programme's tick,
          plan and due steps (release), checked: a scan of a programme's table must use an
          index whose first column is programme_id (`--explain-out` writes them as text).
release   At each size: `--releases` programmes (default 100, spread over the ids) have their
          staged interview's slot one second ago, the others wait for their next event,
          their home files unchanged; a tick is deferred and `--release-workers` processes
          (default 2) drain the queues. Slot to release as below: it should not grow with
          the programmes that wait.
workers   At `--workers-size` programmes: every programme's staged interview gets a slot one
          second ago; a tick is deferred and K processes (benchmarks/programmes_worker.py,
          `--concurrency` jobs each) drain the queues (plans, then releases); for K in
          `--workers`. Throughput = jobs done / (first job started .. last job ended), as a
          ratio to K = 1. Slot to release: the journal's `released` time minus the slot, over
          all programmes (median, p95, max): it includes the whole tick's planning, but not
          the wait for the tick itself (at most a minute with `* * * * *`). Memory: each
          worker's peak RSS, beside a bare Python's.

Figures are ratios and per-programme costs measured in the same run: absolute times depend
on the machine and its load (printed before and after). Nothing should grow with N per
programme. The exit status is 1 only when something fails to run, or a plan uses no index.

    python benchmarks/programmes.py                 # 100, 1,000, 10,000; workers at 100
    python benchmarks/programmes.py --quick         # 100 and 1,000; workers at 50
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

#: The names SQLAlchemy gives the programme's id in a statement: the scoping's `pid_1`, the
#: first of runtime_state's key in `session.get` (`pk_1`; replaced only when it is that id).
PROGRAMME_PARAM = re.compile(r"^(pid|programme_id|pk)(_\d+)?$")
PER_PROGRAMME = 4  # interviews: one published, one staged, two queued
SCOPED = ("interviews", "speakers", "caption_tracks", "localizations", "events",
          "publications", "corrections", "runtime_state", "web_users")


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


# --- statements seen by SQLAlchemy ----------------------------------------------------------

@dataclass
class Seen:
    statement: str
    parameters: Any
    seconds: float


@dataclass
class Recorder:
    """Every statement any engine of this process sends, with its time in the database."""

    on: bool = False
    seen: list[Seen] = field(default_factory=list)
    _started: dict[int, float] = field(default_factory=dict)

    def install(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.engine import Engine

        event.listen(Engine, "before_cursor_execute", self._before)
        event.listen(Engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, parameters: Any,
                context: Any, executemany: bool) -> None:
        self._started[id(cursor)] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, parameters: Any,
               context: Any, executemany: bool) -> None:
        took = time.perf_counter() - self._started.pop(id(cursor), time.perf_counter())
        if self.on and not executemany:
            self.seen.append(Seen(statement, parameters, took))

    @contextmanager
    def recording(self) -> Iterator[list[Seen]]:
        self.seen = []
        self.on = True
        try:
            yield self.seen
        finally:
            self.on = False


RECORDER = Recorder()


# --- the deployment -------------------------------------------------------------------------

def publisher_cmd(*args: str) -> list[str]:
    return [sys.executable, "-m", "publisher", *args]


def make_template(work: Path, url: str, yt: Any) -> Path:
    """One home made by `publisher init`, wired to the loopback YouTube; its schedule
    publishes on YouTube only (the cross-posts would need more fakes and say nothing more
    about the database)."""
    home = work / "template"
    subprocess.run(publisher_cmd("--db", url, "init", str(home)), check=True,
                   capture_output=True, cwd=work)
    (home / "youtube-token.json").write_text(json.dumps(yt.authorized_user_info()))
    creds = json.loads((home / "credentials.json").read_text())
    creds["youtube"]["token_file"] = "youtube-token.json"
    (home / "credentials.json").write_text(json.dumps(creds))
    schedule = home / "schedules" / "studi-aperti.toml"
    text = schedule.read_text()
    text = re.sub(r'^platforms = .*$', 'platforms = ["youtube"]', text, flags=re.M)
    text = re.sub(r'^blackouts = .*$', 'blackouts = []', text, flags=re.M)
    schedule.write_text(text)
    return home


def make_homes(template: Path, root: Path, count: int) -> list[Path]:
    root.mkdir()
    config = (template / "publisher.toml").read_text()
    files = {name: (template / name).read_bytes()
             for name in ("credentials.json", "youtube-token.json")}
    schedule = (template / "schedules" / "studi-aperti.toml").read_bytes()
    homes = []
    for pid in range(1, count + 1):
        home = root / f"p{pid:05d}"
        (home / "schedules").mkdir(parents=True)
        (home / "publisher.toml").write_text(f'programme = "p{pid:05d}"\n' + config)
        for name, data in files.items():
            (home / name).write_bytes(data)
            os.chmod(home / name, 0o600)
        (home / "schedules" / "studi-aperti.toml").write_bytes(schedule)
        homes.append(home)
    return homes


def fresh_database(server_url: str, name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{server_url.rsplit('/', 1)[0]}/{name}"


def seed(url: str, homes: list[Path], now: dt.datetime) -> dict[str, int]:
    """N programmes and their rows, in bulk; the staged interviews' video ids."""
    from sqlalchemy import create_engine, insert, text

    sys.path.insert(0, str(Path(__file__).parent))
    from cli_startup import make_rows

    from publisher.store.models import (
        CaptionTrack,
        Correction,
        Event,
        Interview,
        Localization,
        Programme,
        Publication,
        RuntimeState,
        Speaker,
    )

    n = len(homes)
    interviews, speakers = make_rows(n * PER_PROGRAMME)
    publications: list[dict[str, Any]] = []
    journal: list[dict[str, Any]] = []
    # The published interview's Italian caption track and English title, and one correction
    # applied long ago: rows in every table the plan reads (an empty table is scanned).
    captions: list[dict[str, Any]] = []
    localizations: list[dict[str, Any]] = []
    corrections: list[dict[str, Any]] = []
    tomorrow = now + dt.timedelta(days=1)
    long_ago = now - dt.timedelta(days=30)
    for row in interviews:
        i = row["id"]
        pid = (i - 1) // PER_PROGRAMME + 1
        kind = (i - 1) % PER_PROGRAMME  # 0 published, 1 staged, 2-3 queued
        # The queued ones wait two months (nothing to upload now: no media files here).
        row.update(programme_id=pid, position=kind + 1, schedule="studi-aperti",
                   not_before=now + dt.timedelta(days=60), slot_at=None)
        journal.append({"programme_id": pid, "interview_id": i, "at": long_ago,
                        "kind": "queued", "actor": "cli", "detail": {}})
        if kind in (0, 1):
            slot = long_ago if kind == 0 else tomorrow
            row.update(state="published" if kind == 0 else "staged", slot_at=slot)
            steps = [("video", "done"), ("release", "done" if kind == 0 else "pending")]
            for step, state in steps:
                publications.append({
                    "programme_id": pid, "interview_id": i, "platform": "youtube",
                    "step": step, "account": "", "state": state, "handle": None,
                    "remote_id": video_id(i), "url": None, "progress": 0, "total": None,
                    "attempts": 1, "next_attempt_at": None, "last_error": None,
                    "created_at": long_ago, "updated_at": long_ago})
            if kind == 0:
                captions.append({"programme_id": pid, "interview_id": i, "language": "it",
                                 "path": f"/srv/captions/{i}.it.srt", "format": "srt"})
                localizations.append({"programme_id": pid, "interview_id": i,
                                      "language": "en", "title": f"Interview {i}",
                                      "description": ""})
                corrections.append({
                    "programme_id": pid, "interview_id": i, "platform": "youtube",
                    "state": "done", "fields": ["title"], "known": {}, "sent": None,
                    "attempts": 1, "next_attempt_at": None, "last_error": None,
                    "actor": "cli", "created_at": long_ago, "updated_at": long_ago,
                    "applied_at": long_ago})
            for what in ("staging", "staged") + (("released", "published") if kind == 0
                                                 else ()):
                journal.append({"programme_id": pid, "interview_id": i, "at": long_ago,
                                "kind": what, "actor": "worker", "detail": {}})
    for s in speakers:
        s["programme_id"] = (s["interview_id"] - 1) // PER_PROGRAMME + 1
    # Today's and this week's chores done: every plan's chores job finds nothing to do.
    iso = now.isocalendar()
    chores = [{"programme_id": pid, "key": "chores", "updated_at": now,
               "value": {"daily": now.date().isoformat(),
                         "weekly": f"{iso.year}-W{iso.week:02d}"}}
              for pid in range(1, n + 1)]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM programmes"))  # 'default', made by the migration
        conn.execute(insert(Programme.__table__), [  # type: ignore[arg-type]
            {"id": pid, "name": f"p{pid:05d}", "home_path": str(home), "state": "active",
             "created_at": long_ago, "updated_at": long_ago}
            for pid, home in enumerate(homes, start=1)])
        conn.execute(text("SELECT setval(pg_get_serial_sequence('programmes', 'id'), :n)"),
                     {"n": n})
        conn.execute(insert(Interview.__table__), interviews)  # type: ignore[arg-type]
        conn.execute(text("SELECT setval(pg_get_serial_sequence('interviews', 'id'), :n)"),
                     {"n": len(interviews)})
        conn.execute(insert(Speaker.__table__), speakers)  # type: ignore[arg-type]
        conn.execute(insert(Publication.__table__), publications)  # type: ignore[arg-type]
        conn.execute(insert(Event.__table__), journal)  # type: ignore[arg-type]
        conn.execute(insert(RuntimeState.__table__), chores)  # type: ignore[arg-type]
        conn.execute(insert(CaptionTrack.__table__), captions)  # type: ignore[arg-type]
        conn.execute(insert(Localization.__table__), localizations)  # type: ignore[arg-type]
        conn.execute(insert(Correction.__table__), corrections)  # type: ignore[arg-type]
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return {"interviews": len(interviews), "publications": len(publications),
            "events": len(journal)}


def video_id(interview_id: int) -> str:
    return "v" + hashlib.sha256(f"video-{interview_id}".encode()).hexdigest()[:10]


def staged_ids(pids: int | list[int]) -> list[int]:
    """The staged interview of each programme (of the first N, or of those listed)."""
    listed = range(1, pids + 1) if isinstance(pids, int) else pids
    return [(pid - 1) * PER_PROGRAMME + 2 for pid in listed]


def add_videos(yt: Any, n: int, now: dt.datetime) -> None:
    """The staged interviews' videos on the loopback YouTube, processed and public."""
    from publisher.sandbox.youtube.model import FakeVideo
    from publisher.sandbox.youtube.processing import ProcessingScript

    for iid in staged_ids(n):
        vid = video_id(iid)
        yt.channel.videos[vid] = FakeVideo(
            id=vid, metadata={}, parts=("snippet", "status"),
            snippet={"title": f"interview {iid}"},
            status={"privacyStatus": "public", "uploadStatus": "processed"},
            localizations={}, recording_details={}, mime_type="video/mp4", size=1,
            sha256=None, bytes_received=1, upload_type="resumable",
            uploaded_at=now - dt.timedelta(days=1), processing=ProcessingScript(polls=0),
            ever_published=True)


# --- tick and plan --------------------------------------------------------------------------

def deployment_for(homes: list[Path], url: str) -> Any:
    from publisher.home import Home
    from publisher.workers.deployment import Deployment

    return Deployment(Home.resolve(homes[0], url))


#: The share of programmes with something due at a gated tick (the others wait for their
#: next event: `programmes.next_wake_at`, store/plan_gate.py).
DUE_SHARE = 100  # one in a hundred


def timed_tick(deployment: Any) -> tuple[list[int], float, float]:
    """The tick's own work: the programmes to plan (its queries, and the home files of the
    waiting ones compared with their stamps); its wall and database times in ms."""
    with RECORDER.recording() as seen:
        started = time.perf_counter()
        ids = deployment.programmes_to_plan()
        took = time.perf_counter() - started
    return ids, took * 1000, sum(s.seconds for s in seen) * 1000


def gate(url: str, homes: list[Path], due: set[int], now: dt.datetime) -> int:
    """As if every programme had been planned and waited for its next event, its home files
    unchanged, but those in `due`: they have something due. Returns how many."""
    from sqlalchemy import create_engine, text

    from publisher.home import Home
    from publisher.workers.deployment import home_stamp

    later = (now + dt.timedelta(minutes=10)).astimezone(dt.UTC).replace(tzinfo=None)
    rows: list[dict[str, Any]] = [
        {"id": i, "wake": None if i in due else later,
         "stamp": home_stamp(Home(path=home, database_url=url, database_url_given=True))}
        for i, home in enumerate(homes, start=1)]
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE programmes SET next_wake_at = :wake, home_stamp = :stamp "
                          "WHERE id = :id"), rows)
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text("ANALYZE programmes"))
    engine.dispose()
    return sum(1 for r in rows if r["wake"] is None)


def measure_tick(url: str, deployment: Any, homes: list[Path], n: int, most: int
                 ) -> dict[str, float]:
    """The tick before gating (every programme planned: as the fresh seed, which no plan
    has gated yet) and after (one in DUE_SHARE due): its own work, and one plan job deferred
    per programme to plan, for at most `most` of them (each costs the same: a whole tick at
    10,000 takes minutes on a busy machine); then removed."""
    from sqlalchemy import create_engine, text

    from publisher.workers import tasks
    from publisher.workers.app import build_app

    deployment.programmes_to_plan()  # the deployment's own App, loaded
    ids, query_ms, query_db_ms = timed_tick(deployment)
    assert len(ids) == n, (len(ids), n)
    app = build_app(url, tick_cron="0 0 1 1 *")

    async def defer(pids: list[int]) -> float:
        async with app.open_async():
            started = time.perf_counter()
            await tasks.defer_plans(app, pids)  # as the tick does: in batches
            return time.perf_counter() - started

    def clear() -> None:
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM procrastinate_jobs"))
        engine.dispose()

    defer_s = asyncio.run(defer(ids[:most]))
    clear()
    deferred = min(n, most)
    due = gate(url, homes, {i for i in range(1, n + 1) if i % DUE_SHARE == 1},
               deployment.now())
    gated, gated_ms, gated_db_ms = timed_tick(deployment)
    assert len(gated) == due, (len(gated), due)
    gated_defer_s = asyncio.run(defer(gated))
    clear()
    return {"tick_query_ms": query_ms, "tick_query_db_ms": query_db_ms,
            "deferred": deferred, "defer_per_programme_ms": defer_s / deferred * 1000,
            "defer_total_s": defer_s / deferred * n,
            "gated_planned": len(gated), "gated_tick_ms": gated_ms,
            "gated_tick_db_ms": gated_db_ms, "gated_defer_s": gated_defer_s}


@dataclass
class PlanCost:
    statements: float
    db_ms: float
    wall_ms: float


def measure_plans(deployment: Any, sample: list[int]) -> tuple[PlanCost, PlanCost,
                                                                    list[Seen]]:
    from publisher.workers import tasks

    def run(pids: list[int]) -> tuple[PlanCost, list[Seen]]:
        counts, db, wall, every = [], [], [], []
        for pid in pids:
            with RECORDER.recording() as seen:
                started = time.perf_counter()
                tasks.decide(deployment, pid)
                wall.append(time.perf_counter() - started)
            counts.append(len(seen))
            db.append(sum(s.seconds for s in seen))
            every.extend(seen)
        return PlanCost(statistics.mean(counts), statistics.median(db) * 1000,
                        statistics.median(wall) * 1000), every

    cold, _ = run(sample)
    warm, seen = run(sample)
    return cold, warm, seen


def replay(url: str, seen: list[Seen], sample: list[int], n: int) -> dict[str, float]:
    """Every SELECT of one sampled programme's warm plan, sent again for each programme."""
    from sqlalchemy import create_engine

    first = sample[-1]  # not 1: the only id that is also an interview id (pk_1 below)
    mine = [s for s in seen if s.statement.lstrip().upper().startswith("SELECT")
            and isinstance(s.parameters, dict)
            and any(PROGRAMME_PARAM.match(k) and v == first for k, v in s.parameters.items())]
    template = mine  # the warm plan of `first`
    engine = create_engine(url)
    took = reference = 0.0
    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            for pid in range(1, n + 1):
                started = time.perf_counter()
                for s in template:
                    params = {k: (pid if PROGRAMME_PARAM.match(k) and v == first else v)
                              for k, v in s.parameters.items()}
                    cur.execute(s.statement, params)
                    cur.fetchall()
                # The reference, right after: as many round trips that do nothing.
                middle = time.perf_counter()
                for _ in template:
                    cur.execute("SELECT 1")
                    cur.fetchall()
                took += middle - started
                reference += time.perf_counter() - middle
        raw.rollback()
    engine.dispose()
    return {"replay_statements_per_programme": len(template), "replay_total_s": took,
            "replay_per_programme_ms": took / n * 1000,
            "reference_per_programme_ms": reference / n * 1000,
            "replay_ratio": took / reference}


# --- plans ----------------------------------------------------------------------------------

def index_first_columns(conn: Any) -> dict[str, tuple[str, str, bool]]:
    """Each index's table, first column, and whether it is unique."""
    rows = conn.exec_driver_sql(
        "SELECT i.relname, t.relname, a.attname, x.indisunique FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0] "
        "WHERE t.relnamespace = 'public'::regnamespace").all()
    return {r[0]: (r[1], r[2], bool(r[3])) for r in rows}


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def explain(url: str, statements: list[Seen]) -> tuple[list[dict[str, Any]], list[str],
                                                       set[str]]:
    """EXPLAIN of each distinct statement (with its parameters), what misses an index led by
    programme_id, and the unique indexes used for one key's rows (a primary key, one
    interview's publication record: bounded whatever the number of programmes)."""
    from sqlalchemy import create_engine

    engine = create_engine(url)
    out, problems, done, by_key = [], [], set(), set()
    with engine.connect() as conn:
        first_col = index_first_columns(conn)
        raw = conn.connection.driver_connection
        assert raw is not None
        for s in statements:
            if s.statement in done or not isinstance(s.parameters, (dict, tuple, list)):
                continue
            head = s.statement.lstrip().split(None, 1)[0].upper()
            if head not in ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH"):
                continue
            done.add(s.statement)
            with raw.cursor() as cur:
                cur.execute("EXPLAIN (COSTS OFF) " + s.statement, s.parameters)
                text_plan = "\n".join(r[0] for r in cur.fetchall())
                cur.execute("EXPLAIN (FORMAT JSON) " + s.statement, s.parameters)
                tree = cur.fetchone()[0][0]["Plan"]
            raw.rollback()
            verdicts = []
            for node in _nodes(tree):
                table = node.get("Relation Name")
                index = node.get("Index Name")
                kind = node["Node Type"]
                if table in SCOPED and kind == "Seq Scan":
                    verdicts.append(f"Seq Scan on {table}")
                table_of, first, unique = first_col.get(index or "", ("", "", False))
                if table_of in SCOPED and first != "programme_id":
                    if unique and f"({first} = " in node.get("Index Cond", ""):
                        by_key.add(f"{index} ({first} = …)")
                    else:
                        verdicts.append(f"{kind} using {index} (leads with {first})")
            if verdicts:
                problems.append(f"{' '.join(s.statement.split())[:160]}: "
                                + "; ".join(verdicts))
            out.append({"statement": " ".join(s.statement.split()), "plan": text_plan,
                        "problems": verdicts})
    engine.dispose()
    return out, problems, by_key


def capture_one_programme(url: str, deployment: Any, pid: int) -> list[Seen]:
    """The statements of one programme's tick, plan and due steps (its staged interview's
    slot moved to a second ago: a release, the commonest step)."""
    from sqlalchemy import create_engine, text

    from publisher.pipeline.run_due import perform
    from publisher.workers import tasks

    iid = (pid - 1) * PER_PROGRAMME + 2
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET slot_at = now() AT TIME ZONE 'UTC' "
                          "- interval '1 second' WHERE id = :i"), {"i": iid})
    engine.dispose()
    with RECORDER.recording() as seen, contextlib.redirect_stdout(io.StringIO()):
        deployment.programmes_to_plan()
        _missed, work = tasks.decide(deployment, pid)
        rt = deployment.runtime(pid)
        for piece in work:
            perform(rt, piece, rt.clock())
    return list(seen)


# --- workers --------------------------------------------------------------------------------

def reset_for_release(url: str, pids: list[int]) -> dt.datetime:
    """These programmes' staged interviews staged again, their slots a second ago; no jobs.
    Their plan is due at the next tick (the gate's other programmes wait)."""
    from sqlalchemy import create_engine, text

    slot = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(seconds=1)
    engine = create_engine(url)
    with engine.begin() as conn:
        ids = staged_ids(pids)
        conn.execute(text("DELETE FROM procrastinate_jobs"))
        conn.execute(text("DELETE FROM procrastinate_events"))
        # Written behind the application's back: wake them (store/plan_gate.py).
        conn.execute(text("UPDATE programmes SET next_wake_at = NULL WHERE id = ANY(:pids)"),
                     {"pids": pids})
        conn.execute(text("DELETE FROM events WHERE kind = 'released' AND interview_id = "
                          "ANY(:ids)"), {"ids": ids})
        conn.execute(text("UPDATE publications SET state = 'pending' WHERE step = 'release' "
                          "AND interview_id = ANY(:ids)"), {"ids": ids})
        conn.execute(text("UPDATE interviews SET state = 'staged', slot_at = :slot, "
                          "lease_owner = NULL, lease_expires_at = NULL WHERE id = ANY(:ids)"),
                     {"ids": ids, "slot": slot.replace(tzinfo=None)})
    engine.dispose()
    return slot


def run_workers(url: str, homes: list[Path], pids: list[int], count: int, concurrency: int,
                env: dict[str, str]) -> dict[str, Any]:
    """`count` worker processes serve the deployment until no job waits: the programmes in
    `pids` have a release due (their slot a second ago), the others wait for their next
    event, their home files unchanged."""
    from sqlalchemy import create_engine, text

    from publisher.workers import tasks
    from publisher.workers.app import build_app

    gate(url, homes, set(pids), dt.datetime.now(dt.UTC))
    slot = reset_for_release(url, pids)
    app = build_app(url, tick_cron="0 0 1 1 *")

    async def defer_tick() -> None:
        async with app.open_async():
            await app.configure_task(tasks.TICK, queueing_lock="tick").defer_async(
                timestamp=int(time.time()))

    asyncio.run(defer_tick())
    script = str(Path(__file__).parent / "programmes_worker.py")
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, script, str(homes[0]), url, str(concurrency)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env=env, cwd=REPO)
             for _ in range(count)]
    memories, errors = [], []
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"a worker failed ({proc.returncode}):\n{err[-3000:]}")
        memories.append(json.loads(out.strip().splitlines()[-1]))
        errors.append(err)
    wall = time.perf_counter() - started
    engine = create_engine(url)
    with engine.connect() as conn:
        by_status: dict[str, int] = dict(conn.execute(text(
            "SELECT status::text, count(*) FROM procrastinate_jobs GROUP BY status")).all())
        by_task: dict[str, int] = dict(conn.execute(text(
            "SELECT task_name, count(*) FROM procrastinate_jobs GROUP BY task_name")).all())
        first, last = conn.execute(text(
            "SELECT min(at) FILTER (WHERE type = 'started'), "
            "max(at) FILTER (WHERE type IN ('succeeded', 'failed')) "
            "FROM procrastinate_events")).one()
        lateness = [float(r[0]) for r in conn.execute(text(
            "SELECT extract(epoch FROM e.at - i.slot_at) FROM events e "
            "JOIN interviews i ON i.id = e.interview_id "
            "WHERE e.kind = 'released' AND i.id = ANY(:ids)"), {"ids": staged_ids(pids)})]
        states: dict[str, int] = dict(conn.execute(text(
            "SELECT state, count(*) FROM interviews WHERE id = ANY(:ids) GROUP BY state"),
            {"ids": staged_ids(pids)}).all())
    engine.dispose()
    done = sum(v for k, v in by_status.items() if k in ("succeeded", "failed"))
    span = (last - first).total_seconds()
    lateness.sort()
    return {
        "workers": count, "concurrency": concurrency, "jobs": done, "by_status": by_status,
        "by_task": by_task, "span_s": span, "jobs_per_s": done / span, "wall_s": wall,
        "released": len(lateness), "states": states, "slot": slot.isoformat(),
        "release_median_s": statistics.median(lateness) if lateness else None,
        "release_p95_s": lateness[int(0.95 * (len(lateness) - 1))] if lateness else None,
        "release_max_s": lateness[-1] if lateness else None,
        "peak_rss_mib": [m["VmHWM"] for m in memories],
        "stderr_tail": [e[-2000:] for e in errors] if by_status.get("failed") else [],
    }


def bare_python_rss() -> float:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(2)"])
    time.sleep(1)
    try:
        return rss_mib(proc.pid)
    finally:
        proc.wait()


# --- main -----------------------------------------------------------------------------------

def seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f} s"


def spread(n: int, k: int) -> list[int]:
    k = min(k, n)
    return sorted({1 + (i * n) // k for i in range(k)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100,1000,10000")
    parser.add_argument("--sample", type=int, default=100,
                        help="programmes planned per size (default 100)")
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--workers-size", type=int, default=100)
    parser.add_argument("--defer-most", type=int, default=1000,
                        help="plan jobs deferred by the timed tick (default 1,000)")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--releases", type=int, default=100,
                        help="programmes releasing at once at each size (default 100; 0: "
                             "no slot-to-release row)")
    parser.add_argument("--release-workers", type=int, default=2,
                        help="worker processes for the slot-to-release row (default 2)")
    parser.add_argument("--quick", action="store_true",
                        help="sizes 100 and 1,000, sample 50, workers at 50 programmes")
    parser.add_argument("--postgres-url", help="an existing server's maintenance database")
    parser.add_argument("--explain-out", type=Path)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.sample, args.workers_size = "100,1000", 50, 50
    sizes = [int(s) for s in args.sizes.split(",")]
    worker_counts = [int(s) for s in args.workers.split(",") if s]

    from publisher.sandbox.youtube import FakeYouTube
    from tests.pg_server import TempPostgres

    RECORDER.install()
    report: dict[str, Any] = {"load_before": load_average(), "started": time.strftime(
        "%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "cores": os.cpu_count(), "sizes": {}}
    print(f"load average {report['load_before']}; {os.cpu_count()} cores")
    work = Path(tempfile.mkdtemp(prefix="publisher-programmes-"))
    server = None
    if args.postgres_url:
        server_url = args.postgres_url
    else:
        server = TempPostgres()
        server_url = server.start()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    yt = FakeYouTube(storage="discard").start()
    env = {**os.environ, "PUBLISHER_YOUTUBE_API_ROOT": yt.root,
           "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri}
    os.environ.update(PUBLISHER_YOUTUBE_API_ROOT=yt.root,
                      PUBLISHER_GOOGLE_TOKEN_URI=yt.token_uri)
    failed = False
    try:
        template_url = fresh_database(server_url, "bench_template")
        template = make_template(work, template_url, yt)
        todo = sorted(set(sizes) | ({args.workers_size} if worker_counts else set()))
        for n in todo:
            row: dict[str, Any] = {}
            url = fresh_database(server_url, f"bench_{n}")
            subprocess.run(publisher_cmd("--db", url, "--home", str(template), "db",
                                         "upgrade"), check=True, capture_output=True, cwd=work)
            t0 = time.perf_counter()
            homes = make_homes(template, work / f"homes-{n}", n)
            row["homes_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            row["rows"] = seed(url, homes, now)
            row["seed_s"] = time.perf_counter() - t0
            add_videos(yt, n, now)
            print(f"\n== {n:,} programmes ({row['rows']['interviews']:,} interviews): homes "
                  f"{row['homes_s']:.1f} s, seed {row['seed_s']:.1f} s")
            deployment = deployment_for(homes, url)
            try:
                if n in sizes:
                    row.update(measure_tick(url, deployment, homes, n, args.defer_most))
                    print(f"tick, every programme due: {row['tick_query_ms']:.1f} ms "
                          f"({row['tick_query_db_ms']:.1f} in the database); "
                          f"plan jobs deferred: {row['defer_per_programme_ms']:.2f} ms each "
                          f"(of {row['deferred']:,}), {row['defer_total_s']:.1f} s for all")
                    print(f"tick, one in {DUE_SHARE} due: {row['gated_tick_ms']:.1f} ms "
                          f"({row['gated_tick_db_ms']:.1f} in the database, the rest the "
                          f"home files' stamps); {row['gated_planned']:,} plan jobs deferred "
                          f"in {row['gated_defer_s'] * 1000:.1f} ms")
                    sample = spread(n, args.sample)
                    cold, warm, seen = measure_plans(deployment, sample)
                    row["plan_cold"], row["plan_warm"] = cold.__dict__, warm.__dict__
                    print(f"plan, cold App: {cold.statements:.1f} statements, "
                          f"{cold.db_ms:.2f} ms in the database, {cold.wall_ms:.1f} ms in all"
                          f" (median of {len(sample)})")
                    print(f"plan, warm App: {warm.statements:.1f} statements, "
                          f"{warm.db_ms:.2f} ms in the database, {warm.wall_ms:.1f} ms in all")
                    row["plans_worker_s_before"] = n * warm.wall_ms / 1000
                    row["plans_worker_s_after"] = row["gated_planned"] * warm.wall_ms / 1000
                    print(f"worker time of one tick's plans (warm): every programme "
                          f"{row['plans_worker_s_before']:.1f} s, one in {DUE_SHARE} "
                          f"{row['plans_worker_s_after']:.2f} s")
                    row.update(replay(url, seen, sample, n))
                    print(f"whole tick's plan SELECTs replayed for all {n:,}: "
                          f"{row['replay_total_s']:.2f} s, "
                          f"{row['replay_per_programme_ms']:.3f} ms per programme "
                          f"({row['replay_statements_per_programme']} statements each) = "
                          f"×{row['replay_ratio']:.2f} as many `SELECT 1` "
                          f"({row['reference_per_programme_ms']:.3f} ms)")
                    if n == max(sizes):
                        statements = capture_one_programme(url, deployment, n // 2)
                        plans, problems, by_key = explain(url, statements)
                        report["plans"], report["plan_problems"] = plans, problems
                        report["by_key"] = sorted(by_key)
                        print(f"EXPLAIN of {len(plans)} distinct statements at {n:,}: "
                              + ("every scan of a programme's table by an index leading "
                                 "with programme_id" if not problems else
                                 f"{len(problems)} without:\n  " + "\n  ".join(problems))
                              + f"; lookups by a unique key: {', '.join(sorted(by_key))}")
                        failed = failed or bool(problems)
                        if args.explain_out:
                            args.explain_out.write_text("\n\n".join(
                                f"-- {p['statement']}\n{p['plan']}" for p in plans) + "\n")
            finally:
                deployment.close()
            if n in sizes and args.releases:
                got = run_workers(url, homes, spread(n, args.releases), args.release_workers,
                                  args.concurrency, env)
                row["releasing"] = got
                print(f"slot → release, {got['released']} of {n:,} programmes releasing, "
                      f"{args.release_workers} worker(s) × {args.concurrency}: median "
                      f"{seconds(got['release_median_s'])}, p95 "
                      f"{seconds(got['release_p95_s'])}, max {seconds(got['release_max_s'])}"
                      f"; {got['jobs']} jobs {got['by_task']} in {got['span_s']:.1f} s")
                failed = failed or got["released"] != min(n, args.releases)
            if n == args.workers_size and worker_counts:
                runs = []
                for k in worker_counts:
                    got = run_workers(url, homes, list(range(1, n + 1)), k, args.concurrency,
                                      env)
                    runs.append(got)
                    print(f"{k} worker(s) × {args.concurrency}: {got['jobs']} jobs "
                          f"{got['by_task']} in {got['span_s']:.1f} s = "
                          f"{got['jobs_per_s']:.1f} jobs/s "
                          f"(×{got['jobs_per_s'] / runs[0]['jobs_per_s']:.2f} of 1 worker); "
                          f"released {got['released']}/{n}, slot → release median "
                          f"{seconds(got['release_median_s'])}, p95 "
                          f"{seconds(got['release_p95_s'])}, max "
                          f"{seconds(got['release_max_s'])}; peak RSS "
                          + ", ".join(f"{m:.0f}" for m in got["peak_rss_mib"]) + " MiB")
                    if got["released"] != n:
                        print(json.dumps(got, default=str))
                        failed = True
                row["workers"] = runs
                row["bare_python_rss_mib"] = bare_python_rss()
                print(f"bare python RSS {row['bare_python_rss_mib']:.0f} MiB")
            report["sizes"][n] = row
    finally:
        yt.stop()
        if server is not None and not args.keep:
            server.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept {work}" + (f" and the server at {server_url}" if server else ""))
    report["load_after"] = load_average()
    print(f"\nload average {report['load_before']} before, {report['load_after']} after")
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=1, default=str))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
