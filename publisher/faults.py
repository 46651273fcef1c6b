"""Deterministic crash points for the reliability tests: `PUBLISHER_CRASH_AT=name` makes the
process kill itself with SIGKILL when it reaches that point (`name@N`: the N-th time).

`PUBLISHER_CRASH_TRACE=FILE` appends the name of every point reached to FILE, one per line:
that is how the crash matrix learns which points a run passes through, and how often.

A crash point costs one environment lookup; without the variables it does nothing. It is
how the crash matrix proves that every step survives a kill -9 at its worst moment.
"""

from __future__ import annotations

import os
import signal

ENV = "PUBLISHER_CRASH_AT"
TRACE_ENV = "PUBLISHER_CRASH_TRACE"
_seen: dict[str, int] = {}


def crash_point(name: str) -> None:
    trace = os.environ.get(TRACE_ENV)
    if trace:
        with open(trace, "a", encoding="utf-8") as f:
            f.write(name + "\n")
    wanted = os.environ.get(ENV)
    if not wanted:
        return
    target, _, nth = wanted.partition("@")
    if target != name:
        return
    _seen[name] = _seen.get(name, 0) + 1
    if _seen[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
