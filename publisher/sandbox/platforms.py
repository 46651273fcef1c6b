"""Every loopback platform at once, with the credentials and endpoints that reach them.

One place knows how to wire a home to the sandbox: `publisher run --sandbox`, `run-due
--sandbox`, `demo`, `sandbox serve` and the crash matrix all use it. The credentials are the
fakes' own values (nothing secret: they open nothing but these loopback servers).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from publisher.platforms.spec import crossposters
from publisher.sandbox.youtube import FakeYouTube

YOUTUBE_TOKEN_FILE = "sandbox-youtube-token.json"


def cross_posters() -> tuple[str, ...]:
    """The cross-posting platforms that have a loopback fake (every built-in one)."""
    return tuple(spec.name for spec in crossposters() if spec.fake)


class SandboxPlatforms:
    """YouTube and every cross-posting platform's fake on 127.0.0.1, from the specs.

    A cross-posting fake offers ``for_sandbox(port=, clock=)``, ``sandbox_root`` (the value
    of its spec's API-root environment variable) and ``sandbox_credentials()`` (its section
    of credentials.json), beside ``posts_with(link)``. Each is reachable as an attribute
    (``platforms.mastodon``)."""

    def __init__(self, *, clock: Callable[[], dt.datetime] | None = None, port: int = 0
                 ) -> None:
        def at(offset: int) -> int:
            return port + offset if port else 0

        self.youtube = FakeYouTube(port=at(0), clock=clock)
        self.fakes: dict[str, Any] = {"youtube": self.youtube}
        for offset, spec in enumerate((s for s in crossposters() if s.fake), start=1):
            self.fakes[spec.name] = spec.fake_class().for_sandbox(port=at(offset), clock=clock)
        self._stack = contextlib.ExitStack()

    def __getattr__(self, name: str) -> Any:
        fakes = self.__dict__.get("fakes") or {}
        if name in fakes:
            return fakes[name]
        raise AttributeError(name)

    @property
    def by_name(self) -> dict[str, Any]:
        return dict(self.fakes)

    def start(self) -> Self:
        for fake in self.fakes.values():
            self._stack.enter_context(fake)
        return self

    def stop(self) -> None:
        self._stack.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def ports(self) -> list[int]:
        return [fake.port for fake in self.fakes.values()]

    def endpoints(self) -> dict[str, str]:
        """The environment variables that point publisher at these fakes."""
        out = {"PUBLISHER_YOUTUBE_API_ROOT": self.youtube.root,
               "PUBLISHER_GOOGLE_TOKEN_URI": self.youtube.token_uri}
        for spec in crossposters():
            if spec.name in self.fakes and spec.env_root:
                out[spec.env_root] = self.fakes[spec.name].sandbox_root
        return out

    def credentials(self, home: Path) -> dict[str, Any]:
        """credentials.json content for these fakes; writes the YouTube token file into
        `home` (the fake's refresh token: it opens nothing but this loopback server)."""
        from publisher.credentials import write_private

        token = json.dumps(self.youtube.authorized_user_info()).encode()
        write_private(home / YOUTUBE_TOKEN_FILE, token)
        out: dict[str, Any] = {
            "youtube": {"client_secrets_file": "sandbox-client-secret.json",
                        "token_file": YOUTUBE_TOKEN_FILE}}
        for name, fake in self.fakes.items():
            if name != "youtube":
                out[name] = fake.sandbox_credentials()
        return out

    def posts_with(self, platform: str, link: str) -> list[dict[str, Any]]:
        """What `platform` holds that links to `link` (the fakes' own records)."""
        found: list[dict[str, Any]] = self.by_name[platform].posts_with(link)
        return found


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """`values` in os.environ while the block runs (the endpoints' variables win over
    publisher.toml), restored afterwards."""
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def post_text(post: dict[str, Any]) -> str:
    """The text of a post as any fake records it."""
    text = post.get("text") or post.get("message") or (post.get("record") or {}).get("text")
    return str(text or "")
