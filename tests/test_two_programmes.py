"""Two homes, two programmes, one database (a SQLite file, a PostgreSQL database): no command
of one home sees, reorders, changes, publishes or counts the other's interviews, posts or
journal (publisher/store/scope.py).

Home B queues two interviews and stages one on its own loopback YouTube; its rows are
snapshotted. Home A then runs every queue command, status, plan, published, quota, history
and run-due against its own loopback YouTube. B's rows are the same after, no output of A
names a B title, B's ids are "no such interview" to A, and B's YouTube saw nothing more.

The quota ledger is the deployment's, not a programme's (quota_usage has no programme_id:
YouTube's quota belongs to a Google Cloud project, which programmes may share), so it is not
part of B's snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args, invoke
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


def _rows_of(db_url: str, programme_id: int) -> dict[str, list[tuple[Any, ...]]]:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return {t: [tuple(r) for r in conn.execute(text(
                f"SELECT * FROM {t} WHERE programme_id = :p ORDER BY "
                f"{'key' if t == 'runtime_state' else 'id'}"), {"p": programme_id})]
                for t in SCOPED}
    finally:
        engine.dispose()


def _programme_id(db_url: str, name: str) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT id FROM programmes WHERE name = :n"),
                                    {"n": name}).scalar_one())
    finally:
        engine.dispose()


def test_no_command_of_one_home_reaches_the_other_programme(
        tmp_path: Path, db_url: str, yt_a: FakeYouTube, yt_b: FakeYouTube) -> None:
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
    before = _rows_of(db_url, b_pid)
    assert before["publications"] and before["runtime_state"], "B has posts' records and facts"
    b_uploads = len(yt_b.sessions)
    assert b_uploads >= 1

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
    run_a("queue", "list")
    run_a("queue", "list", "--state", "all", "--csv")
    run_a("queue", "show", a_ids[0])
    run_a("queue", "edit", a_ids[0], "--title", "A: Uno, rivisto")
    run_a("queue", "move", a_ids[2], "--to", 1)
    run_a("queue", "hold", a_ids[1])
    run_a("queue", "release", a_ids[1])
    run_a("queue", "cancel", a_ids[1])
    run_a("queue", "restore", a_ids[1])
    run_a("queue", "cancel", a_ids[1])
    run_a("queue", "remove", a_ids[1], "--yes")
    run_a("status", code=None)
    run_a("status", "--json", code=None)
    run_a("plan")
    run_a("published")
    run_a("quota")
    run_a("history", a_ids[0])
    run_a("run-due", "--at", IN_LEAD_TIME, "--json", code=None)
    run_a("queue", "list", "--state", "all", "--json")

    # B's interviews do not exist for A, whatever the command
    for args in (("queue", "show"), ("queue", "edit", "--title", "x"), ("queue", "hold"),
                 ("queue", "cancel"), ("queue", "remove", "--yes"), ("upload",),
                 ("retry",)):
        for b_id in b_ids:
            result = a.run(*args[:2], b_id, *args[2:]) if args[0] == "queue" else \
                a.run(*args, b_id)
            assert result.exit_code == 2, (args, result.output)
            assert f"no interview {b_id}" in result.output.lower(), (args, result.output)
            outputs.append(result.output)
    history = a.run("history", b_ids[0])
    assert history.exit_code == 2 and f"interview {b_ids[0]} has no journal" in history.output
    assert a.run("queue", "move", b_ids[0], "--to", 1).exit_code == 2

    seen = "\n".join(outputs)
    for title in b_titles:
        assert title not in seen
    assert "festival" not in seen
    assert _rows_of(db_url, b_pid) == before, "A changed B's rows"
    assert len(yt_b.sessions) == b_uploads, "A's run reached B's YouTube"
    assert len(yt_a.sessions) >= 1, "A's own run-due staged on A's YouTube"

    # and B still sees exactly its own
    listed = json.loads(b.ok("queue", "list", "--state", "all", "--json").stdout)
    assert [r["title"] for r in listed] == b_titles


def test_a_home_whose_programme_is_not_registered_is_told_how(tmp_path: Path,
                                                              db_url: str) -> None:
    a = _home(tmp_path, db_url, "a", None)
    toml = a.path / "publisher.toml"
    toml.write_text('programme = "museo"\n' + toml.read_text())
    result = a.run("queue", "list")
    assert result.exit_code == 3
    assert "publisher programmes add --home" in result.output and "'museo'" in result.output
