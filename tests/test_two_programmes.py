"""Two homes, two programmes, one database (a SQLite file, a PostgreSQL database): no command
of one home sees, reorders, changes, publishes or counts the other's interviews, posts or
journal (publisher/store/scope.py).

Home B queues two interviews and stages one on its own loopback YouTube; its rows are
snapshotted. Home A then runs every command that reads or writes the store (every queue
command, import, status, plan, preview, doctor, published, quota, history, run-due, skip,
resolve, sync, withdraw, republish) against its own loopback YouTube, and every page of the
web console on A. B's rows are the same after, no output or page of A names a B title, B's
ids are "no such interview" to A (404 in the console), and B's YouTube saw nothing more.
Two homes that swap their programme names are refused, each naming the home the programme
belongs to.

The quota ledger belongs to a Google Cloud project, not to a programme (quota_usage has no
programme_id; programmes may share a project). Here the two homes' OAuth clients name no
project, so each keeps its own ledger (`home:…`): B's is part of B's snapshot.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from starlette.routing import Route

from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args, invoke
from tests.helpers.web_console import add_user, cheap_hashes, console_for
from tests.helpers.youtube import connect

IN_LEAD_TIME = "2027-02-01T18:00:00Z"  # Tuesday 2027-02-02 18:00 Rome is due for upload
SCOPED = ("interviews", "speakers", "caption_tracks", "localizations", "events",
          "publications", "corrections", "runtime_state", "web_users")


@pytest.fixture
def yt_a() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def yt_b() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def _home(tmp_path: Path, db_url: str, name: str, programme: str | None) -> HomeFixture:
    path = tmp_path / name
    result = invoke("--db", db_url, "init", str(path))
    assert result.exit_code == 0, result.output
    home = HomeFixture(path, db_url)
    if programme is not None:
        toml = path / "publisher.toml"
        toml.write_text(f'programme = "{programme}"\n' + toml.read_text())
        home.ok("programmes", "add")
    return home


def _rows_of(db_url: str, programme_id: int, ledger: str | None = None
             ) -> dict[str, list[tuple[Any, ...]]]:
    """B's rows in every scoped table, and its quota ledger's rows."""
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = {t: [tuple(r) for r in conn.execute(text(
                f"SELECT * FROM {t} WHERE programme_id = :p ORDER BY "
                f"{'key' if t == 'runtime_state' else 'id'}"), {"p": programme_id})]
                for t in SCOPED}
            if ledger is not None:
                rows["quota_usage"] = [tuple(r) for r in conn.execute(text(
                    "SELECT * FROM quota_usage WHERE quota_project = :k ORDER BY day, "
                    "bucket"), {"k": ledger})]
            return rows
    finally:
        engine.dispose()


def _ledger(home: HomeFixture) -> str:
    from publisher.home import Home
    from publisher.quota_project import home_key

    return home_key(Home.resolve(home.path, home.db_url))


def _programme_id(db_url: str, name: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT id FROM programmes WHERE name = :n"),
                                    {"n": name}).scalar_one())
    finally:
        engine.dispose()


@dataclass
class TwoHomes:
    """A ("default") and B ("festival") on one database, B's rows snapshotted."""

    a: HomeFixture
    b: HomeFixture
    yt_a: FakeYouTube
    yt_b: FakeYouTube
    media_a: Media
    b_ids: list[int]
    b_titles: list[str]
    b_pid: int
    b_ledger: str | None  # None: B's ledger is shared with A (one Cloud project)
    before: dict[str, list[tuple[Any, ...]]]
    b_uploads: int

    def b_unchanged(self) -> None:
        assert _rows_of(self.a.db_url, self.b_pid, self.b_ledger) == self.before, \
            "A changed B's rows"
        assert len(self.yt_b.sessions) == self.b_uploads, "A reached B's YouTube"

    def no_b_in(self, seen: str) -> None:
        for title in self.b_titles:
            assert title not in seen
        assert "festival" not in seen


@pytest.fixture
def two(tmp_path: Path, db_url: str, yt_a: FakeYouTube, yt_b: FakeYouTube) -> TwoHomes:
    a = _home(tmp_path, db_url, "a", None)          # the "default" programme
    b = _home(tmp_path, db_url, "b", "festival")
    connect(a, yt_a)
    connect(b, yt_b)
    media_a, media_b = Media(tmp_path / "media-a"), Media(tmp_path / "media-b")

    b_titles = ["B-only: il festival apre", "B-only: la notte bianca"]
    for title in b_titles:
        b.ok(*add_args(media_b.video(), title, "--captions", f"it={media_b.srt()}"))
    staged_b = b.run("run-due", "--at", IN_LEAD_TIME, "--json")
    assert staged_b.exit_code == 0, staged_b.output
    b_ids = [row["id"] for row in json.loads(b.ok("queue", "list", "--json").stdout)]
    assert len(b_ids) == 2
    b_pid = _programme_id(db_url, "festival")
    ledgers = {json.loads(h.ok("quota", "--json").stdout)["quota_project"] for h in (a, b)}
    b_ledger = _ledger(b) if len(ledgers) == 2 else None
    if b_ledger is not None:
        assert b_ledger in ledgers
    before = _rows_of(db_url, b_pid, b_ledger)
    assert before["publications"] and before["runtime_state"], "B has posts' records and facts"
    assert b_ledger is None or before["quota_usage"], "B's YouTube calls were counted"
    b_uploads = len(yt_b.sessions)
    assert b_uploads >= 1
    return TwoHomes(a, b, yt_a, yt_b, media_a, b_ids, b_titles, b_pid, b_ledger, before,
                    b_uploads)


def test_no_command_of_one_home_reaches_the_other_programme(two: TwoHomes,
                                                            tmp_path: Path) -> None:
    a, b, b_ids, media_a = two.a, two.b, two.b_ids, two.media_a
    outputs: list[str] = []

    def run_a(*args: Any, code: int | None = 0) -> str:
        result = a.run(*args)
        if code is not None:
            assert result.exit_code == code, (args, result.output)
        outputs.append(result.output)
        return result.stdout

    for title in ("A: Uno", "A: Due", "A: Tre"):
        run_a(*add_args(media_a.video(), title))
    a_ids = [row["id"] for row in json.loads(run_a("queue", "list", "--json"))]
    assert len(a_ids) == 3 and not set(a_ids) & set(b_ids)
    assert [r["position"] for r in json.loads(run_a("queue", "list", "--json"))] == [1, 2, 3]
    season = tmp_path / "season.csv"
    season.write_text("video,title,speakers\n"
                      f"{media_a.video()},A: Quattro,Maria Rossi (ceramista)\n")
    imported = json.loads(run_a("queue", "import", season, "--json"))
    assert [row["title"] for row in imported] == ["A: Quattro"]
    run_a("queue", "list")
    run_a("queue", "list", "--state", "all", "--csv")
    run_a("queue", "show", a_ids[0])
    run_a("queue", "show", a_ids[0], "--json")
    run_a("queue", "edit", a_ids[0], "--title", "A: Uno, rivisto")
    run_a("queue", "move", a_ids[2], "--to", 1)
    run_a("queue", "hold", a_ids[1])
    run_a("queue", "release", a_ids[1])
    run_a("queue", "cancel", a_ids[1])
    run_a("queue", "restore", a_ids[1])
    run_a("queue", "cancel", a_ids[1])
    run_a("queue", "remove", a_ids[1], "--yes")
    run_a("preview", a_ids[0])
    run_a("preview", a_ids[0], "--json")
    run_a("status", code=None)
    status = json.loads(run_a("status", "--json", code=None))
    run_a("plan")
    run_a("published")
    run_a("published", "--json")
    run_a("quota")
    run_a("doctor", code=None)
    run_a("doctor", "--json", code=None)
    run_a("history", a_ids[0])
    run_a("run-due", "--at", IN_LEAD_TIME, "--json", code=None)
    run_a("skip", a_ids[2], "--platform", "mastodon", code=None)
    run_a("resolve", a_ids[2], "--platform", "bluesky", "--url",
          "https://bsky.app/profile/a.example/post/3k", code=None)
    run_a("sync", a_ids[0], "--dry-run", code=None)
    run_a("withdraw", a_ids[0], "--reason", "prova di A", code=None)
    run_a("republish", a_ids[0], code=None)
    listed = json.loads(run_a("queue", "list", "--state", "all", "--json"))
    assert {r["id"] for r in listed} <= {*a_ids, *(r["id"] for r in imported)}
    assert "festival" not in json.dumps(status)

    # B's interviews do not exist for A, whatever the command
    for args in (("queue", "show"), ("queue", "edit", "--title", "x"), ("queue", "hold"),
                 ("queue", "release"), ("queue", "cancel"), ("queue", "restore"),
                 ("queue", "remove", "--yes"), ("upload",), ("retry",), ("preview",),
                 ("skip", "--platform", "mastodon"),
                 ("resolve", "--platform", "mastodon", "--url", "https://m.example/@a/1"),
                 ("sync", "--dry-run"), ("sync",), ("withdraw", "--reason", "no"),
                 ("republish",), ("publish", "--now")):
        for b_id in b_ids:
            result = a.run(*args[:2], b_id, *args[2:]) if args[0] == "queue" else \
                a.run(args[0], b_id, *args[1:])
            assert result.exit_code == 2, (args, result.output)
            assert f"no interview {b_id}" in result.output.lower(), (args, result.output)
            outputs.append(result.output)
    history = a.run("history", b_ids[0])
    assert history.exit_code == 2 and f"interview {b_ids[0]} has no journal" in history.output
    assert a.run("queue", "move", b_ids[0], "--to", 1).exit_code == 2

    two.no_b_in("\n".join(outputs))
    two.b_unchanged()
    assert len(two.yt_a.sessions) >= 1, "A's own run-due staged on A's YouTube"

    # and B still sees exactly its own
    listed = json.loads(b.ok("queue", "list", "--state", "all", "--json").stdout)
    assert [r["title"] for r in listed] == two.b_titles


def test_no_console_page_of_one_home_reaches_the_other_programme(
        two: TwoHomes, monkeypatch: pytest.MonkeyPatch) -> None:
    """The web console on A, every page, with A's ids and with B's: B's ids are 404, no page
    names B's interviews, and no form reaches B's rows."""
    cheap_hashes(monkeypatch)
    a = two.a
    a.ok(*add_args(two.media_a.video(), "A: Uno"))
    [a_id] = [row["id"] for row in json.loads(a.ok("queue", "list", "--json").stdout)]
    add_user(a, "anna")
    for console in console_for(a):
        anna = console.logged_in("anna")
        gets = [r.path for r in console.asgi.routes
                if isinstance(r, Route) and r.methods and "GET" in r.methods]
        posts = [r.path for r in console.asgi.routes
                 if isinstance(r, Route) and r.methods and "POST" in r.methods]
        assert any("{interview_id" in path for path in gets)
        pages: list[str] = []
        for path in gets:
            if "{interview_id" not in path:
                page = anna.get(path)
                assert page.status_code < 500, (path, page.status_code)
                pages.append(page.text)
                continue
            own = anna.get(_fill(path, a_id))
            assert own.status_code < 500, (path, own.status_code)
            pages.append(own.text)
            for b_id in two.b_ids:
                other = anna.get(_fill(path, b_id))
                assert other.status_code == 404, (path, b_id, other.status_code)
                pages.append(other.text)
        for path in posts:
            if "{interview_id" not in path:
                continue
            for b_id in two.b_ids:
                answer = anna.post(_fill(path, b_id), {"title": "x", "reason": "x"})
                assert answer.status_code == 404, (path, b_id, answer.status_code)
                pages.append(answer.text)
        two.no_b_in("\n".join(pages))
    two.b_unchanged()


def _fill(path: str, interview_id: int) -> str:
    return re.sub(r"\{action[^}]*\}", "hold",
                  re.sub(r"\{interview_id[^}]*\}", str(interview_id), path))


def test_two_homes_that_swap_their_programmes_are_refused(two: TwoHomes) -> None:
    """Each home's publisher.toml names the other's programme (a copied or swapped file):
    every command is refused, naming the home the programme belongs to; nothing changes."""
    a, b = two.a, two.b
    a.ok("programmes", "add")  # "default" gets A's home (until now it had none)
    for home, other in ((a, "festival"), (b, "default")):
        toml = home.path / "publisher.toml"
        lines = [line for line in toml.read_text().splitlines(keepends=True)
                 if not line.startswith("programme = ")]
        toml.write_text(f'programme = "{other}"\n' + "".join(lines))
    a.ok("programmes", "list")  # a deployment-wide command: not about this home's programme
    for args in (("queue", "list"), ("status",), ("run-due", "--at", IN_LEAD_TIME),
                 ("queue", "hold", str(two.b_ids[0]))):
        result = a.run(*args)
        assert result.exit_code == 3, (args, result.output)
        assert "'festival'" in result.output and str(b.path) in result.output, result.output
        two.no_b_in(result.stdout)
        result = b.run(*args)
        assert result.exit_code == 3, (args, result.output)
        assert "'default'" in result.output and str(a.path) in result.output, result.output
    two.b_unchanged()


def test_a_home_whose_programme_is_not_registered_is_told_how(tmp_path: Path,
                                                              db_url: str) -> None:
    a = _home(tmp_path, db_url, "a", None)
    toml = a.path / "publisher.toml"
    toml.write_text('programme = "museo"\n' + toml.read_text())
    result = a.run("queue", "list")
    assert result.exit_code == 3
    assert "publisher programmes add --home" in result.output and "'museo'" in result.output
