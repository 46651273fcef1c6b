"""A clock the test moves by hand, shared by the runtime and the fakes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class Clock:
    """Callable like `datetime.now`; returns `now`, which the test sets (default: real now)."""

    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now
