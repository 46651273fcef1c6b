"""Progress of long work: a rich bar on a terminal, plain periodic log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, Protocol

log = logging.getLogger("publisher.progress")


class Progress(Protocol):
    def start(self, label: str, total: int) -> None: ...

    def update(self, done: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    def start(self, label: str, total: int) -> None:
        pass

    def update(self, done: int) -> None:
        pass

    def finish(self) -> None:
        pass


class LogProgress:
    """One line every `every_s` seconds (and at the end): bytes, rate and time left."""

    def __init__(self, every_s: float = 10.0, clock: Any = time.monotonic) -> None:
        self.every_s = every_s
        self.clock = clock
        self.label, self.total, self.started, self.last, self.first = "", 0, 0.0, 0.0, 0

    def start(self, label: str, total: int) -> None:
        self.label, self.total = label, total
        self.started = self.last = self.clock()
        self.first = -1

    def update(self, done: int) -> None:
        now = self.clock()
        if self.first < 0:
            self.first = done  # resumed uploads start part-way
        if now - self.last < self.every_s and done < self.total:
            return
        self.last = now
        elapsed = max(now - self.started, 1e-9)
        rate = (done - self.first) / elapsed
        left = (self.total - done) / rate if rate > 0 else float("inf")
        eta = f"{left:.0f} s left" if left != float("inf") else "rate unknown"
        log.info("%s: %s of %s (%.0f%%), %s/s, %s", self.label, _size(done), _size(self.total),
                 100 * done / max(self.total, 1), _size(int(rate)), eta)

    def finish(self) -> None:
        pass


class BarProgress:
    """A rich progress bar with bytes, rate and ETA (on a terminal only)."""

    def __init__(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                 TransferSpeedColumn(), TimeRemainingColumn(), transient=False)
        self._task: Any = None

    def start(self, label: str, total: int) -> None:
        self._bar.start()
        self._task = self._bar.add_task(label, total=total)

    def update(self, done: int) -> None:
        self._bar.update(self._task, completed=done)

    def finish(self) -> None:
        self._bar.stop()


def for_terminal() -> Progress:
    return BarProgress() if sys.stderr.isatty() else LogProgress()


def _size(n: int) -> str:
    value = float(n)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}" if unit != "B" else f"{int(value)} B"
        value /= 1024
    return f"{value:.1f} GiB"
