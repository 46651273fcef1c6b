"""The console: server time per page with 10,000 interviews in the queue (and 10,000 more
that went out, each with its five publication records) and a year of slots, as the ratio
to a static file served by the same application in the same run.

The real application (`create_app`, every middleware: security headers, session, CSRF,
login) is driven in this process by Starlette's TestClient, logged in as an organizer; a
timing wrapper around the ASGI application measures each request's server time (from the
request entering the middleware stack to the last byte of the answer leaving it; the
client's own work is not counted). Each page is requested --repeat times after one
untimed request; the row is the median. Reference: `/static/console.css` (StaticFiles,
through the same middleware).

Target (issue 14): ≤ 100 ms per page.

    python benchmarks/console.py [--rows 10000] [--repeat 15] [--json-out FILE]
    python benchmarks/console.py --explain [--rows 10000]

`--explain` measures nothing: it prints the plan of every statement the Published page sends
(its first 100 rows and their count: all, one month, one platform, YouTube), on the
benchmark's SQLite database (EXPLAIN QUERY PLAN) and on a copy of it in a throwaway
PostgreSQL server (tests/pg_server.py; EXPLAIN, after VACUUM ANALYZE).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from daemon import quiet_home  # a sibling benchmark's home builder

Scope = MutableMapping[str, Any]
ASGI = Callable[[Scope, Any, Any], Awaitable[None]]
PASSWORD = "benchmark password"


class Timed:
    """The application, with each request's server time recorded."""

    def __init__(self, app: ASGI) -> None:
        self.app = app
        self.last = 0.0
        self.last_cpu = 0.0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        start, cpu = time.perf_counter(), time.process_time()
        try:
            await self.app(scope, receive, send)
        finally:
            self.last = time.perf_counter() - start
            # The process's CPU over the request: the server's (the client thread waits).
            self.last_cpu = time.process_time() - cpu


def pages(now: dt.datetime, rows: int) -> dict[str, str]:
    """The pages timed; `rows` interviews went out (a video and two posts each: the
    Published list's last page of 100 is the ceiling of 3 × rows / 100)."""
    month = now.strftime("%Y-%m")
    return {"Queue": "/queue", "Calendar month": f"/calendar?month={month}",
            "Needs you": "/needs-you", "Interview": f"/interviews/{rows + rows // 2}",
            "Published": "/published",
            "Published month": f"/published?month={(now - dt.timedelta(days=365)):%Y-%m}",
            "Published mastodon": "/published?platform=mastodon",
            "Published last": f"/published?page={-(-3 * rows // 100)}"}


def add_journal(home: Path) -> None:
    """The journal a real home would have: each published interview's life (queued, its
    upload, staged, released, each post, published: eight entries), and each queued one's
    `queued` entry. The Published page takes each time from it."""
    from sqlalchemy import create_engine, insert, select

    from publisher.store.models import Event, Interview, Programme

    engine = create_engine(f"sqlite:///{home / 'publisher.db'}")
    with engine.begin() as conn:
        programme = conn.execute(select(Programme.id)).scalar_one()
        events: list[dict[str, Any]] = []
        for iid, state, slot in conn.execute(select(Interview.id, Interview.state,
                                                    Interview.slot_at)):
            if state != "published":
                events.append({"interview_id": iid, "at": dt.datetime.now(dt.UTC),
                               "kind": "queued", "actor": "cli", "detail": {}})
                continue
            day = dt.timedelta(days=1)
            for at, kind, detail in (
                    (slot - 20 * day, "queued", {}),
                    (slot - day, "upload_session_started", {}),
                    (slot - day, "uploaded", {"video_id": f"v{iid}"}),
                    (slot - day, "staged", {}),
                    (slot, "released", {"video_id": f"v{iid}"}),
                    (slot + dt.timedelta(minutes=1), "posted", {"platform": "mastodon"}),
                    (slot + dt.timedelta(minutes=2), "posted", {"platform": "bluesky"}),
                    (slot + dt.timedelta(minutes=2), "published", {})):
                events.append({"interview_id": iid, "at": at, "kind": kind,
                               "actor": "daemon", "detail": detail})
        for event in events:
            event["programme_id"] = programme
        conn.execute(insert(Event.__table__), events)  # type: ignore[arg-type]
        stamp_went_out(conn, events)
    engine.dispose()


def stamp_went_out(conn: Any, events: list[dict[str, Any]]) -> None:
    """What `lifecycle.journal` stamps with each entry saying something went out: its time
    on the video's (`released`) or the post's (`posted`) record. Skipped for a checkout
    from before `went_out_at` (a "before" run)."""
    from sqlalchemy import and_, bindparam, update

    from publisher.store.models import Publication

    table = Publication.__table__
    if "went_out_at" not in table.c:
        return
    stamps = [{"i": e["interview_id"], "p": (e["detail"] or {}).get("platform", "youtube"),
               "s": "video" if e["kind"] == "released" else "post", "at": e["at"]}
              for e in events if e["kind"] in ("released", "posted")]
    conn.execute(update(table).where(and_(
        table.c.interview_id == bindparam("i"), table.c.platform == bindparam("p"),
        table.c.step == bindparam("s"))).values(went_out_at=bindparam("at")), stamps)


def explain(rows: int) -> str:
    """The plans of the Published page's statements (see the module docstring)."""
    from sqlalchemy import create_engine, delete, insert, select, text

    from publisher.store.migrate import upgrade
    from publisher.store.models import Interview, Programme, Publication

    sys.path.insert(0, str(Path(__file__).parent.parent))
    from tests.pg_server import TempPostgres

    now = dt.datetime.now(dt.UTC)
    out: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        home = quiet_home(Path(tmp), 2 * rows, now, part="console")
        add_journal(home)
        sqlite_url = f"sqlite:///{home / 'publisher.db'}"
        out += ["# SQLite", *page_plans(home, sqlite_url, now, "EXPLAIN QUERY PLAN ")]
        server = TempPostgres()
        try:
            maintenance = create_engine(server.start(), isolation_level="AUTOCOMMIT")
            with maintenance.connect() as conn:
                conn.execute(text("CREATE DATABASE console"))
            maintenance.dispose()
            pg_url = server.url.rsplit("/", 1)[0] + "/console"
            source, target = create_engine(sqlite_url), create_engine(pg_url)
            upgrade(target)
            with source.connect() as src, target.begin() as dst:
                dst.execute(delete(Programme.__table__))  # type: ignore[arg-type]
                for table in (Programme.__table__, Interview.__table__, Publication.__table__):
                    dst.execute(insert(table), [dict(r) for r in  # type: ignore[arg-type]
                                                src.execute(select(table)).mappings()])
            # As autovacuum leaves it: statistics, and the visibility map index-only scans read.
            with target.execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
                conn.execute(text("VACUUM ANALYZE"))
            source.dispose()
            target.dispose()
            out += ["", "# PostgreSQL", *page_plans(home, pg_url, now, "EXPLAIN (COSTS OFF) ")]
        finally:
            server.stop()
    return "\n".join(out)


def page_plans(home: Path, url: str, now: dt.datetime, prefix: str) -> list[str]:
    """Each statement `published_page` sends for the console's first page (100 rows and
    their count) of each filter, with its plan."""
    from sqlalchemy import event

    from publisher.app import App
    from publisher.home import Home
    from publisher.services.published import published_page

    app = App(Home.resolve(home, url), actor="web")
    sent: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
               executemany: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "publications" in statement:
            sent.append((statement, parameters))

    month = f"{(now - dt.timedelta(days=365)):%Y-%m}"
    out: list[str] = []
    try:
        app.programme_id  # noqa: B018 (loaded before the statements are recorded)
        event.listen(app.engine, "before_cursor_execute", record)
        for label, filters in (("all", {}), (f"month {month}", {"month": month}),
                               ("platform mastodon", {"platform": "mastodon"}),
                               ("platform youtube", {"platform": "youtube"})):
            sent.clear()
            published_page(app, offset=0, limit=100, **filters)
            with app.engine.connect() as conn:
                for statement, parameters in list(sent):
                    plan = conn.exec_driver_sql(prefix + statement, parameters).all()
                    out += ["", f"-- {label}: {' '.join(statement.split())}",
                            *(str(row[-1]) if prefix.startswith("EXPLAIN QUERY") else
                              str(row[0]) for row in plan)]
        event.remove(app.engine, "before_cursor_execute", record)
    finally:
        app.close()
    return out


def measure(rows: int, repeat: int) -> dict[str, Any]:
    from argon2 import PasswordHasher

    from publisher.app import App
    from publisher.home import Home
    from publisher.services import web_users
    from publisher.web.factory import create_app
    from publisher.web.settings import WebSettings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from starlette.testclient import TestClient

    now = dt.datetime.now(dt.UTC)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # 2 × rows: the first half went out long ago, the second half is the queue.
        home = quiet_home(work, 2 * rows, now, part="console")
        add_journal(home)
        toml = home / "publisher.toml"
        app = App(Home.resolve(home, f"sqlite:///{home / 'publisher.db'}"), actor="web")
        web_users._hasher = lambda: PasswordHasher(  # type: ignore[assignment]
            time_cost=1, memory_cost=1024, parallelism=1)
        web_users.add_user(app, "bench", "organizer", PASSWORD)
        timed = Timed(create_app(app, WebSettings(secret="benchmark", secure_cookies=False,
                                                  idle_timeout=dt.timedelta(hours=1))))
        assert toml.is_file()
        with TestClient(timed, base_url="http://testserver", follow_redirects=False) as client:
            login = client.get("/login").text
            token = login.split('name="csrftoken" value="', 1)[1].split('"', 1)[0]
            answer = client.post("/login", data={"csrftoken": token, "name": "bench",
                                                 "password": PASSWORD, "next": ""})
            assert answer.status_code == 303, answer.text
            targets = {"static file": "/static/console.css", **pages(now, rows)}
            out: dict[str, Any] = {}
            for name, path in targets.items():
                times, cpu = [], []
                for n in range(repeat + 1):
                    answer = client.get(path)
                    assert answer.status_code == 200, (path, answer.status_code)
                    if n:
                        times.append(timed.last)
                        cpu.append(timed.last_cpu)
                out[name] = {"path": path, "median_s": statistics.median(times),
                             "cpu_s": statistics.median(cpu), "bytes": len(answer.content)}
        app.close()
    static = out["static file"]["median_s"]
    for row in out.values():
        row["ratio"] = row["median_s"] / static
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000,
                        help="interviews in the queue (as many again went out; default 10000)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--json-out", type=Path)
    parser.add_argument("--explain", action="store_true",
                        help="print the Published page's query plans instead (SQLite and "
                             "PostgreSQL)")
    args = parser.parse_args()
    if args.explain:
        print(explain(args.rows))
        return
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    result = measure(args.rows, args.repeat)
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print(f"{'page':<18} {'median ms':>10} {'CPU ms':>7} {'× static':>9} {'KiB':>7}"
          "  target ≤ 100 ms")
    for name, row in result.items():
        verdict = "" if name == "static file" else (
            "ok" if row["median_s"] <= 0.1 else "MISSED")
        print(f"{name:<18} {1000 * row['median_s']:>10.1f} {1000 * row['cpu_s']:>7.1f} "
              f"{row['ratio']:>9.1f} {row['bytes'] / 1024:>7.0f}  {verdict}")
    if args.json_out:
        args.json_out.write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
