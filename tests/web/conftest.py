"""Fixtures shared by the console's tests: Argon2 at its smallest cost (unless a test is
marked `real_hashes`), the organizer anna, a console on a fresh home, and anna logged in.

A module that needs more in its home (interviews, a fake YouTube) defines its own
`console`, asking for `anna_account`; `anna` then logs in to that one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import HomeFixture
from tests.helpers.web_console import Browser, Console, add_user, cheap_hashes, console_for


@pytest.fixture(autouse=True)
def _cheap_hashes(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests log in and add accounts hundreds of times; tests/web/test_web_users.py
    (marked real_hashes) checks the real cost's hashes."""
    if request.node.get_closest_marker("real_hashes") is None:
        cheap_hashes(monkeypatch)


@pytest.fixture
def anna_account(sqlite_home: HomeFixture) -> str:
    """The organizer anna (password web_console.PASSWORD), added with `publisher web user
    add`."""
    add_user(sqlite_home, "anna")
    return "anna"


@pytest.fixture
def console(sqlite_home: HomeFixture, anna_account: str) -> Iterator[Console]:
    """The console on a home made by `publisher init`, with anna."""
    yield from console_for(sqlite_home)


@pytest.fixture
def anna(console: Console, anna_account: str) -> Browser:
    """anna, logged in to the module's console."""
    return console.logged_in(anna_account)
