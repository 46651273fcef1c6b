"""The next-post fault queue the Mastodon, Telegram and Facebook fakes share: what the next post
request meets (a 5xx before or after storing, a dropped connection, a rate limit, a late
answer), taken in order, one per request."""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass
class PostFault:
    kind: str                  # "fail", "drop", "rate", "delay"
    after_storing: bool = False
    status: int = 500
    seconds: float = 0.0
    code: int | None = None    # the platform's own error code (Graph's), if it has one
    message: str | None = None


class PostFaults:
    """Mixed into a LoopbackServer (which provides `lock`)."""

    lock: threading.RLock
    _faults: list[PostFault]

    def drop_next_post(self, *, after_storing: bool = False) -> None:
        """Reset the connection on the next post without answering."""
        self._add_fault(PostFault("drop", after_storing))

    def rate_limit_next_post(self, reset_in_s: int) -> None:
        """Answer the next post 429, with the platform's reset `reset_in_s` ahead."""
        self._add_fault(PostFault("rate", status=429, seconds=float(reset_in_s)))

    def delay_next_post(self, seconds: float) -> None:
        """Store the next post, then answer only after `seconds`."""
        self._add_fault(PostFault("delay", True, seconds=seconds))

    def _add_fault(self, fault: PostFault) -> None:
        with self.lock:
            self._faults.append(fault)

    def _next_fault(self) -> PostFault | None:
        """The fault the current post meets (call with `lock` held)."""
        return self._faults.pop(0) if self._faults else None
