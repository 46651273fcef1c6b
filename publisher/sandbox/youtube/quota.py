"""The quota ledger (§1.1): units spent per bucket per Pacific day, and every charge made."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from publisher.sandbox.youtube.errors import ApiError
from publisher.sandbox.youtube.facts import DEFAULT_BUCKET, METHODS, method_id


@dataclass(frozen=True)
class QuotaCharge:
    method: str
    bucket: str
    cost: int
    at: datetime
    #: True when the call was refused with quotaExceeded (and cost nothing).
    refused: bool = False


class QuotaLedger:
    """Units spent per bucket per Pacific day (§1.1). Thread-safe."""

    def __init__(self, limits: dict[str, int], clock: Callable[[], datetime]) -> None:
        self.limits = dict(limits)
        self._clock = clock
        self._lock = threading.Lock()
        self._used: dict[str, int] = {}
        self._charges: list[QuotaCharge] = []
        self._day = self._pacific_day()

    def _pacific_day(self) -> str:
        return self._clock().astimezone(ZoneInfo("America/Los_Angeles")).date().isoformat()

    def _roll(self) -> None:
        day = self._pacific_day()
        if day != self._day:
            self._day = day
            self._used.clear()

    def used(self, bucket: str = DEFAULT_BUCKET) -> int:
        with self._lock:
            self._roll()
            return self._used.get(bucket, 0)

    def remaining(self, bucket: str = DEFAULT_BUCKET) -> int:
        with self._lock:
            self._roll()
            return self.limits[bucket] - self._used.get(bucket, 0)

    @property
    def charges(self) -> list[QuotaCharge]:
        with self._lock:
            return list(self._charges)

    def spent_on(self, method: str) -> int:
        """Units charged to one method (e.g. "captions.insert") over the fake's life."""
        method = method_id(method)
        with self._lock:
            return sum(c.cost for c in self._charges if c.method == method)

    def exhaust(self, bucket: str = DEFAULT_BUCKET) -> None:
        with self._lock:
            self._roll()
            self._used[bucket] = self.limits[bucket]

    def reset(self) -> None:
        with self._lock:
            self._used.clear()

    def charge(self, method: str) -> None:
        bucket, cost, _ = METHODS[method]
        with self._lock:
            self._roll()
            now = self._clock()
            if self._used.get(bucket, 0) + cost > self.limits[bucket]:
                self._charges.append(QuotaCharge(method, bucket, 0, now, refused=True))
                raise ApiError(403, "quotaExceeded", domain="youtube.quota")
            self._used[bucket] = self._used.get(bucket, 0) + cost
            self._charges.append(QuotaCharge(method, bucket, cost, now))
