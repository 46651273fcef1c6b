"""Shared by the post corrections tests: one interview published on YouTube and on some
cross-posting platforms' loopback fakes, then corrected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from publisher.credentials import write_private
from publisher.sandbox.platforms import SandboxPlatforms
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.corrections import published


def posts(platforms: SandboxPlatforms, name: str) -> list[dict[str, Any]]:
    """The posts on `name`'s fake that carry the interview's link."""
    video = next(iter(platforms.youtube.videos.values()))
    return platforms.posts_with(name, f"https://www.youtube.com/watch?v={video.id}")


@contextmanager
def published_world(home: HomeFixture, media: Media, clock: Clock,
                    monkeypatch: pytest.MonkeyPatch, names: tuple[str, ...],
                    new_title: str | None = None
                    ) -> Iterator[tuple[HomeFixture, SandboxPlatforms]]:
    """Interview 1 published on YouTube and posted on `names`; its title then corrected to
    `new_title` (when given)."""
    with SandboxPlatforms(clock=clock) as platforms:
        schedule = home.path / "schedules" / "studi-aperti.toml"
        listed = ", ".join(f'"{n}"' for n in ("youtube", *names))
        text = "\n".join(
            f"platforms = [{listed}]" if line.startswith("platforms =") else
            'crosspost_delay = "0m"' if line.startswith("crosspost_delay =") else line
            for line in schedule.read_text().splitlines())
        schedule.write_text(text + "\n")
        write_private(home.path / "credentials.json",
                      json.dumps(platforms.credentials(home.path)).encode())
        home.env.update(platforms.endpoints())
        published(home, media, platforms.youtube, clock, monkeypatch)
        for name in names:
            assert len(posts(platforms, name)) == 1, name
        if new_title is not None:
            home.ok("queue", "edit", 1, "--title", new_title)
        yield home, platforms
