"""`publisher programmes`: list, add from a home, pause, resume, remove --yes; a paused
programme's due work is left alone by run-due (and so by the daemon, which runs run_due)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args, invoke
from tests.helpers.youtube import connect

IN_LEAD_TIME = "2027-02-01T18:00:00Z"  # Tuesday 2027-02-02 18:00 Rome is due for upload


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def _home(tmp_path: Path, db_url: str, name: str, programme: str | None = None
          ) -> HomeFixture:
    path = tmp_path / name
    result = invoke("--db", db_url, "init", str(path))
    assert result.exit_code == 0, result.output
    if programme is not None:
        toml = path / "publisher.toml"
        toml.write_text(f'programme = "{programme}"\n' + toml.read_text())
    return HomeFixture(path, db_url)


def _listed(home: HomeFixture) -> dict[str, dict[str, object]]:
    return {r["name"]: r for r in json.loads(home.ok("programmes", "list", "--json").stdout)}


def _sql(db_url: str, statement: str) -> list[tuple[object, ...]]:
    engine = create_engine(db_url)
    try:
        with engine.begin() as conn:
            result = conn.execute(text(statement))
            return [tuple(r) for r in result] if result.returns_rows else []
    finally:
        engine.dispose()


def test_add_list_pause_resume_remove(tmp_path: Path, db_url: str, yt: FakeYouTube) -> None:
    a = _home(tmp_path, db_url, "a")
    b = _home(tmp_path, db_url, "b", "festival")
    assert "publisher programmes add --home" in b.run("queue", "list").output

    added = b.ok("programmes", "add")
    assert "Registered programme 'festival'" in added.stdout
    assert "already registered" in b.ok("programmes", "add").stdout
    a.ok("programmes", "add", "--home", a.path)  # the default programme learns its home
    listed = _listed(a)
    assert listed["festival"]["home"] == str(b.path) and listed["festival"]["state"] == "active"
    assert listed["default"]["home"] == str(a.path)
    assert "festival" in a.ok("programmes").stdout  # the list, without a subcommand

    intruder = _home(tmp_path, db_url, "c", "festival")
    refused = intruder.run("programmes", "add")
    assert refused.exit_code == 2 and "already registered for the home" in refused.output

    connect(b, yt)
    media = Media(tmp_path / "media")
    b.ok(*add_args(media.video(), "Festival: apertura"))
    a.ok(*add_args(media.video(), "Studi: uno"))
    assert _listed(a)["festival"]["interviews"] == 1

    assert "paused" in a.ok("programmes", "pause", "festival").stdout
    assert "already paused" in a.ok("programmes", "pause", "festival").stdout
    assert _listed(a)["festival"]["state"] == "paused"
    paused = b.run("run-due", "--at", IN_LEAD_TIME, "--json")
    assert paused.exit_code == 0, paused.output
    report = json.loads(paused.stdout)
    assert report["paused"] is True and report["actions"] == []
    assert "is paused" in b.ok("run-due", "--at", IN_LEAD_TIME).stdout
    assert not yt.sessions, "a paused programme uploads nothing"
    assert "'festival' is paused" in b.run("status").stdout
    assert json.loads(b.run("status", "--json").stdout)["programme"] == {
        "name": "festival", "paused": True}
    assert json.loads(b.ok("queue", "list", "--json").stdout)[0]["state"] == "queued"

    assert "resumed" in a.ok("programmes", "resume", "festival").stdout
    assert "was not paused" in a.ok("programmes", "resume", "festival").stdout
    b.ok("run-due", "--at", IN_LEAD_TIME)
    assert len(yt.sessions) == 1
    assert json.loads(b.ok("queue", "list", "--json").stdout)[0]["state"] == "staged"

    unconfirmed = a.run("programmes", "remove", "festival")
    assert unconfirmed.exit_code == 2 and "--yes" in unconfirmed.output
    assert "festival" in _listed(a)
    unknown = a.run("programmes", "remove", "museo", "--yes")
    assert unknown.exit_code == 2 and "no programme 'museo'" in unknown.output

    removed = a.ok("programmes", "remove", "festival", "--yes")
    assert "its 1 interview(s)" in removed.stdout
    assert set(_listed(a)) == {"default"}
    for table in ("interviews", "events", "publications", "runtime_state"):
        assert _sql(db_url, f"SELECT DISTINCT programme_id FROM {table}") in ([], [(1,)]), table
    assert [r["title"] for r in json.loads(a.ok("queue", "list", "--json").stdout)] == [
        "Studi: uno"]
    assert b.run("queue", "list").exit_code == 3  # its programme is gone: it must be added


def test_remove_is_refused_while_an_interview_is_worked_on(tmp_path: Path,
                                                          db_url: str) -> None:
    b = _home(tmp_path, db_url, "b", "festival")
    b.ok("programmes", "add")
    b.ok(*add_args(Media(tmp_path / "media").video(), "Festival: apertura"))
    _sql(db_url, "UPDATE interviews SET lease_owner = 'daemon:h:1:ab', "
                 "lease_expires_at = '2999-01-01 00:00:00'")
    assert _listed(b)["festival"]["leases"] == 1
    refused = b.run("programmes", "remove", "festival", "--yes")
    assert refused.exit_code == 2 and "busy" in refused.output
    assert "festival" in _listed(b)


def test_a_moved_home_is_refused_until_moved_and_a_copy_never_takes_the_queue(
        tmp_path: Path, db_url: str, media: Media) -> None:
    old = _home(tmp_path, db_url, "old", "festival")
    old.ok("programmes", "add")
    old.ok(*add_args(media.video()))
    new_path = tmp_path / "moved"
    copy = tmp_path / "copy"
    import shutil

    shutil.copytree(old.path, copy)
    before = old.snapshot()

    # A copy of the home while the original is still there: refused, nothing changes.
    twin = HomeFixture(copy, db_url)
    refused = twin.run("queue", "list")
    assert refused.exit_code != 0 and "belongs to the home" in refused.output
    assert "programmes move --home" in refused.output
    moved = twin.run("programmes", "move")
    assert moved.exit_code != 0, moved.output
    assert f"the home {old.path} still names the programme 'festival'" in moved.output
    assert old.snapshot() == before

    # The original moved away: `programmes move` from its new folder keeps the queue.
    shutil.rmtree(copy)
    old.path.rename(new_path)
    home = HomeFixture(new_path, db_url)
    assert home.run("queue", "list").exit_code != 0
    assert f"now belongs to the home {new_path} (it was {old.path})" in \
        home.ok("programmes", "move").stdout
    assert "Maria Rossi" in home.ok("queue", "list").stdout
    assert "nothing was changed" in home.ok("programmes", "move").stdout
    assert _listed(home)["festival"]["home"] == str(new_path)
