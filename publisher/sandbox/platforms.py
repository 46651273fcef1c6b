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

from publisher.sandbox.bluesky import FakeBluesky
from publisher.sandbox.facebook import FakeFacebook
from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.x import FakeX
from publisher.sandbox.youtube import FakeYouTube

BLUESKY_HANDLE = "studiaperti.bsky.sandbox"
BLUESKY_APP_PASSWORD = "sand-boxa-ppxx-pass"
YOUTUBE_TOKEN_FILE = "sandbox-youtube-token.json"
CROSS_POSTERS = ("x", "mastodon", "bluesky", "telegram", "facebook")


class SandboxPlatforms:
    """YouTube, X, Mastodon, Bluesky, Telegram and Facebook fakes on 127.0.0.1."""

    def __init__(self, *, clock: Callable[[], dt.datetime] | None = None, port: int = 0
                 ) -> None:
        def at(offset: int) -> int:
            return port + offset if port else 0

        self.youtube = FakeYouTube(port=at(0), clock=clock)
        self.x = FakeX(port=at(1))
        self.mastodon = FakeMastodon(port=at(2), clock=clock)
        self.bluesky = FakeBluesky(handle=BLUESKY_HANDLE, app_password=BLUESKY_APP_PASSWORD,
                                   port=at(3))
        self.telegram = FakeTelegram(port=at(4))
        self.facebook = FakeFacebook(port=at(5))
        self._stack = contextlib.ExitStack()

    @property
    def by_name(self) -> dict[str, Any]:
        return {"youtube": self.youtube, "x": self.x, "mastodon": self.mastodon,
                "bluesky": self.bluesky, "telegram": self.telegram, "facebook": self.facebook}

    def start(self) -> Self:
        for fake in self.by_name.values():
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
        return [fake.port for fake in self.by_name.values()]

    def endpoints(self) -> dict[str, str]:
        """The environment variables that point publisher at these fakes."""
        return {
            "PUBLISHER_YOUTUBE_API_ROOT": self.youtube.root,
            "PUBLISHER_GOOGLE_TOKEN_URI": self.youtube.token_uri,
            "PUBLISHER_X_API_ROOT": self.x.root,
            "PUBLISHER_MASTODON_API_ROOT": self.mastodon.root,
            "PUBLISHER_BLUESKY_API_ROOT": self.bluesky.root,
            "PUBLISHER_TELEGRAM_API_ROOT": self.telegram.api_root,
            "PUBLISHER_FACEBOOK_GRAPH_ROOT": self.facebook.api_root,
        }

    def credentials(self, home: Path) -> dict[str, Any]:
        """credentials.json content for these fakes; writes the YouTube token file into
        `home` (the fake's refresh token: it opens nothing but this loopback server)."""
        from publisher.credentials import write_private

        token = json.dumps(self.youtube.authorized_user_info()).encode()
        write_private(home / YOUTUBE_TOKEN_FILE, token)
        return {
            "youtube": {"client_secrets_file": "sandbox-client-secret.json",
                        "token_file": YOUTUBE_TOKEN_FILE},
            "x": self.x.keys.as_settings(),
            "mastodon": {"api_base_url": "https://mastodon.sandbox",
                         "access_token": self.mastodon.access_token},
            "bluesky": {"handle": BLUESKY_HANDLE, "app_password": BLUESKY_APP_PASSWORD,
                        "service_url": "https://bsky.sandbox"},
            "telegram": {"bot_token": self.telegram.token,
                         "chat_id": self.telegram.chat_username},
            "facebook": {"page_id": self.facebook.page_id,
                         "page_access_token": self.facebook.token},
        }

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
