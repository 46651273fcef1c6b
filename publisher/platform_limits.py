"""The post limits platforms reported about themselves, remembered between runs.

A Mastodon instance says how long a post may be and how long a link counts
(`/api/v2/instance`). Its adapter reads that when it posts; the pipeline keeps what it read
in the database (the `platform_limits` row of runtime_state), and the checks made before
anything is sent — `queue add`, `queue edit`, `queue import`, `preview` — count with it.
Until a platform has reported, its spec's documented limits apply (Mastodon: 500, links 23).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

    from publisher.platforms.spec import TextRule

KEY = "platform_limits"  # the runtime_state row


@dataclass(frozen=True)
class PlatformLimits:
    """What a platform's server said it accepts."""

    max_length: int
    url_length: int | None = None  # how long a link counts, where the server says
    seen_at: dt.datetime | None = None  # when the server first reported these values

    def applied_to(self, rule: TextRule) -> TextRule:
        """The platform's counting rule with these values."""
        return rule.reported(self.max_length, self.url_length)


def known(session: Session) -> dict[str, PlatformLimits]:
    """Every platform's last reported limits (an unreadable entry is left out: the
    platform's documented limits apply to it)."""
    from publisher.pipeline import state

    out = {}
    for platform, entry in state.get(session, KEY).items():
        try:
            url_length = entry.get("url_length")
            seen_at = entry.get("seen_at")
            out[platform] = PlatformLimits(
                int(entry["max_length"]), int(url_length) if url_length else None,
                dt.datetime.fromisoformat(seen_at) if seen_at else None)
        except (AttributeError, KeyError, TypeError, ValueError):
            continue
    return out


def remember(session: Session, platform: str, limits: PlatformLimits,
             at: dt.datetime) -> None:
    """Keep what `platform` reported at `at`; nothing is written when it reported the same
    as last time (`seen_at` is when the values were first seen)."""
    from publisher.pipeline import state

    value: dict[str, Any] = state.get(session, KEY)
    old = value.get(platform)
    if isinstance(old, dict) and (old.get("max_length"), old.get("url_length")) == \
            (limits.max_length, limits.url_length):
        return
    value[platform] = {"max_length": limits.max_length, "url_length": limits.url_length,
                       "seen_at": at.isoformat()}
    state.put(session, KEY, value, at)


class StoredLimits(Mapping[str, PlatformLimits]):
    """`known()`, read from the database at first use in a short transaction of its own.

    For `queue.Context`: most queue commands never look at it, and those that do check the
    posts before their write transaction begins. Never read it inside a transaction on
    SQLite, where every transaction takes the write lock: it would wait for itself.
    """

    def __init__(self, engine: Engine, programme_id: Callable[[], int]) -> None:
        self._engine = engine
        self._programme_id = programme_id  # called at first use: most commands never need it
        self._loaded: dict[str, PlatformLimits] | None = None

    def _limits(self) -> dict[str, PlatformLimits]:
        if self._loaded is None:
            from publisher.store.db import transaction

            with transaction(self._engine, self._programme_id()) as session:
                self._loaded = known(session)
        return self._loaded

    def __getitem__(self, platform: str) -> PlatformLimits:
        return self._limits()[platform]

    def __iter__(self) -> Iterator[str]:
        return iter(self._limits())

    def __len__(self) -> int:
        return len(self._limits())
