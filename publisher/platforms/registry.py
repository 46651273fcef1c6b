"""The built-in cross-posting adapters, by name. Imported lazily: each pulls in a client
library that `publisher --help` has no business loading."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.platforms.base import CrossPoster

ADAPTERS: dict[str, tuple[str, str]] = {
    "x": ("publisher.platforms.x", "XPoster"),
    "mastodon": ("publisher.platforms.mastodon", "MastodonPoster"),
    "bluesky": ("publisher.platforms.bluesky", "BlueskyPoster"),
    "telegram": ("publisher.platforms.telegram", "TelegramPoster"),
    "facebook": ("publisher.platforms.facebook", "FacebookPoster"),
}


def adapter_class(name: str) -> type[CrossPoster]:
    module, cls = ADAPTERS[name]
    found = getattr(importlib.import_module(module), cls)
    assert isinstance(found, type)
    return found
