"""`publisher web user …`: the console's accounts. Clear errors naming the field, the value
and the limit, exit status 2 and nothing written on any error; passwords only ever kept as
Argon2 hashes, never printed. SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from publisher.store.db import make_engine
from publisher.store.models import WebUser
from tests.conftest import HomeFixture
from tests.helpers.scoped import Session
from tests.helpers.web_console import cheap_hashes

#: Argon2 at its real cost here (tests/web/conftest.py): the accounts' hashes are checked.
pytestmark = pytest.mark.real_hashes

SECRET = "a long enough secret"


def _users(home: HomeFixture) -> list[tuple[str, str, str]]:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        rows = [(u.name, u.role, u.password_hash) for u in s.scalars(
            select(WebUser).order_by(WebUser.name))]
    engine.dispose()
    return rows


def test_add_list_change_and_remove_accounts(home: HomeFixture) -> None:
    added = home.ok("web", "user", "add", "anna", "--password-stdin", input=SECRET + "\n")
    assert added.stdout == "Added organizer anna.\n"
    home.ok("web", "user", "add", "vera", "--role", "viewer", "--password-stdin",
            input=SECRET + "\n")
    listed = json.loads(home.ok("web", "user", "list", "--json").stdout)
    assert [(u["name"], u["role"]) for u in listed] == [("anna", "organizer"),
                                                          ("vera", "viewer")]
    table = home.ok("web", "user", "list").stdout
    assert "anna" in table and "viewer" in table
    (name, role, hashed), _ = _users(home)
    assert (name, role) == ("anna", "organizer")
    assert hashed.startswith("$argon2id$") and SECRET not in hashed
    home.ok("web", "user", "password", "anna", "--password-stdin", input="another secret!\n")
    assert _users(home)[0][2] != hashed
    removed = home.ok("web", "user", "remove", "vera", "--yes")
    assert "Removed the account vera." in removed.stdout
    assert [u[0] for u in _users(home)] == ["anna"]


def test_the_password_is_asked_twice_hidden(sqlite_home: HomeFixture) -> None:
    result = sqlite_home.ok("web", "user", "add", "anna", input=f"{SECRET}\n{SECRET}\n")
    assert SECRET not in result.output  # hidden input is not echoed
    assert [u[0] for u in _users(sqlite_home)] == ["anna"]
    before = sqlite_home.snapshot()
    mismatch = sqlite_home.run("web", "user", "password", "anna",
                               input=f"{SECRET}\nsomething else\n")
    assert mismatch.exit_code != 0
    assert "do not match" in mismatch.output
    assert sqlite_home.snapshot() == before


@pytest.mark.parametrize(("args", "stdin", "message"), [
    (["add", "anna", "--role", "admin"], SECRET, "role: 'admin' is not a role; use organizer "
                                                 "or viewer"),
    (["add", "anna"], "", "password: empty; give a password of at least 8 characters"),
    (["add", "anna"], "short", "password: 5 characters, at least 8 needed"),
    (["add", "anna"], "x" * 1025, "password: 1025 characters, at most 1024 allowed"),
    (["add", "anna maria"], SECRET, "name: 'anna maria' may hold only letters, digits"),
    (["add", ""], SECRET, "name: empty"),
    (["add", "a" * 61], SECRET, "name: 61 characters, at most 60 allowed"),
    (["add", "bruno"], SECRET, "name: there is already an account 'bruno'"),
    (["remove", "nobody", "--yes"], "", "name: there is no account 'nobody'"),
    (["remove", "bruno"], "", "removing account 'bruno' needs confirmation: pass --yes"),
    (["password", "nobody"], SECRET, "name: there is no account 'nobody'"),
    (["password", "bruno"], "", "password: empty"),
])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(
        home: HomeFixture, args: list[str], stdin: str, message: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    cheap_hashes(monkeypatch)
    home.ok("web", "user", "add", "bruno", "--password-stdin", input=SECRET + "\n")
    before = home.snapshot()
    wants_password = args[0] in ("add", "password")
    result = home.run("web", "user", *args, *(["--password-stdin"] if wants_password else []),
                      input=stdin + "\n")
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert home.snapshot() == before
    if stdin:
        assert stdin not in result.output


def test_the_console_refuses_to_start_on_a_database_that_is_behind(
        sqlite_home: HomeFixture) -> None:
    from publisher.store.migrate import downgrade

    engine = make_engine(sqlite_home.db_url)
    downgrade(engine, "0005")
    engine.dispose()
    result = sqlite_home.run("web", "--port", "1")
    assert result.exit_code == 3
    assert "publisher db upgrade" in result.stderr
