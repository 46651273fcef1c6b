"""Driving the web console in tests: Starlette's TestClient on the real app, against a real
home made by `publisher init`, with accounts made by the real `publisher web user add`."""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

with warnings.catch_warnings():  # Starlette would rather have httpx2; httpx works as well
    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

from publisher.app import App
from publisher.home import Home
from publisher.web.factory import create_app
from publisher.web.settings import WebSettings
from tests.conftest import HomeFixture
from tests.helpers.clock import Clock

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrftoken" value="([^"]+)"')


def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its smallest cost: these tests log in and add accounts hundreds of times
    (test_web_users.py checks the real cost's hashes)."""
    from argon2 import PasswordHasher

    from publisher.services import web_users

    monkeypatch.setattr(web_users, "_hasher", lambda: PasswordHasher(
        time_cost=1, memory_cost=1024, parallelism=1))


def add_user(home: HomeFixture, name: str, role: str = "organizer",
             password: str = PASSWORD) -> None:
    home.ok("web", "user", "add", name, "--role", role, "--password-stdin",
            input=password + "\n")


@dataclass
class Console:
    """One console on a home; `browser()` opens a fresh client (its own cookies)."""

    home: HomeFixture
    clock: Clock = field(default_factory=Clock)
    secure_cookies: bool = False
    idle: dt.timedelta = dt.timedelta(minutes=30)

    def __post_init__(self) -> None:
        self.app = App(Home.resolve(self.home.path, self.home.db_url), actor="web")
        self.asgi: Starlette = create_app(self.app, WebSettings(
            secret="test-secret", secure_cookies=self.secure_cookies,
            idle_timeout=self.idle, clock=self.clock))
        self._clients: list[TestClient] = []

    def browser(self, base_url: str = "http://testserver") -> Browser:
        client = TestClient(self.asgi, base_url=base_url, follow_redirects=False)
        self._clients.append(client)
        return Browser(client)

    def logged_in(self, name: str, password: str = PASSWORD) -> Browser:
        browser = self.browser()
        response = browser.login(name, password)
        assert response.status_code == 303, response.text
        return browser

    def post_routes(self) -> list[str]:
        """A path of every POST route, its parameters filled with an existing interview."""
        return [_fill(r.path) for r in self.asgi.routes
                if isinstance(r, Route) and r.methods and "POST" in r.methods]

    def get_routes(self) -> list[str]:
        return [_fill(r.path) for r in self.asgi.routes
                if isinstance(r, Route) and r.methods and "GET" in r.methods]

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self.app.close()


def _fill(path: str) -> str:
    return path.replace("{interview_id:int}", "1").replace("{action}", "hold")


@dataclass
class Browser:
    client: TestClient

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.client.get(path, **kwargs)

    def token(self) -> str:
        """The CSRF token the site's forms carry (the queue page's, or the login page's)."""
        page = self.client.get("/queue")
        if page.status_code != 200:
            page = self.client.get("/login")
        found = _TOKEN.search(page.text)
        assert found, "no form with a CSRF token"
        return found.group(1)

    def post(self, path: str, data: dict[str, str] | None = None, *, token: str | None = "page"
             ) -> httpx.Response:
        """POST a form; `token`: "page" (the one the site gave), None (none), or a value."""
        fields = dict(data or {})
        if token == "page":
            token = self.token()
        if token is not None:
            fields = {"csrftoken": token, **fields}
        return self.client.post(path, data=fields)

    def login(self, name: str, password: str = PASSWORD, next_path: str = ""
              ) -> httpx.Response:
        return self.post("/login", {"name": name, "password": password, "next": next_path})

    def follow(self, response: httpx.Response) -> httpx.Response:
        assert response.status_code in (302, 303), (response.status_code, response.text)
        return self.get(response.headers["location"])


def console_for(home: HomeFixture, **kwargs: Any) -> Iterator[Console]:
    console = Console(home, **kwargs)
    try:
        yield console
    finally:
        console.close()
