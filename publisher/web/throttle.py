"""Repeated failed logins slowed down, per account name and address (in memory: a restart
forgets, which costs a guesser nothing they could not get by waiting).

The first FREE_ATTEMPTS failures cost nothing; after that each attempt must wait twice as
long as the previous one, up to MAX_WAIT. An attempt counts when it starts, not when it
fails, so a burst of parallel guesses cannot slip through the free ones at once; a
successful login forgets the failures.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

FREE_ATTEMPTS = 3
FIRST_WAIT = dt.timedelta(seconds=1)
MAX_WAIT = dt.timedelta(minutes=15)
FORGET_AFTER = dt.timedelta(hours=24)
MAX_TRACKED = 10_000  # above this many (name, address) pairs, the stale ones are dropped

Key = tuple[str, str]


@dataclass
class _Record:
    attempts: int
    last: dt.datetime


@dataclass
class LoginThrottle:
    free_attempts: int = FREE_ATTEMPTS
    first_wait: dt.timedelta = FIRST_WAIT
    max_wait: dt.timedelta = MAX_WAIT
    _records: dict[Key, _Record] = field(default_factory=dict)

    @staticmethod
    def key(name: str, address: str) -> Key:
        return (name.strip().casefold(), address)

    def delay(self, attempts: int) -> dt.timedelta:
        """How long after the last attempt the next may start, after `attempts` attempts."""
        if attempts < self.free_attempts:
            return dt.timedelta(0)
        doublings = min(attempts - self.free_attempts, 30)
        return min(self.max_wait, self.first_wait * (1 << doublings))

    def wait(self, key: Key, now: dt.datetime) -> dt.timedelta:
        """How long `key` must still wait before another attempt (zero: it may try now)."""
        record = self._records.get(key)
        if record is None:
            return dt.timedelta(0)
        return max(dt.timedelta(0), record.last + self.delay(record.attempts) - now)

    def attempt(self, key: Key, now: dt.datetime) -> dt.timedelta:
        """Start an attempt: zero if allowed (and counted), else how long to wait."""
        remaining = self.wait(key, now)
        if remaining > dt.timedelta(0):
            return remaining
        record = self._records.get(key)
        if record is None:
            self._forget_stale(now)
            self._records[key] = _Record(1, now)
        else:
            record.attempts += 1
            record.last = now
        return dt.timedelta(0)

    def succeeded(self, key: Key) -> None:
        self._records.pop(key, None)

    def _forget_stale(self, now: dt.datetime) -> None:
        if len(self._records) < MAX_TRACKED:
            return
        for key in [k for k, r in self._records.items() if now - r.last > FORGET_AFTER]:
            del self._records[key]
        if len(self._records) >= MAX_TRACKED:  # a flood of addresses: keep the newest half
            newest = sorted(self._records.items(), key=lambda kv: kv[1].last)
            self._records = dict(newest[len(newest) // 2:])
