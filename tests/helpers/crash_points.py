"""Dying at a named crash point in process (publisher/faults.py), for the tests that kill a
step at each of its points and resume it.

A point is `name@N`, the N-th time the run passes `name`. The modules given are those that
imported `crash_point` by name (`from publisher.faults import crash_point`): each one's copy
is replaced, as is the original.
"""

from __future__ import annotations

import collections
from collections.abc import Callable
from types import ModuleType

import pytest

import publisher.faults


class Died(BaseException):
    """The process dying at a crash point (BaseException: no handler of ours catches it)."""


def patch_points(monkeypatch: pytest.MonkeyPatch, modules: tuple[ModuleType, ...],
                 fn: Callable[[str], None]) -> None:
    for module in (publisher.faults, *modules):
        monkeypatch.setattr(module, "crash_point", fn)


def trace_points(monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> list[str]:
    """Every point the run passes from now on, in order (the list fills as it runs)."""
    seen: list[str] = []
    counts: collections.Counter[str] = collections.Counter()

    def note(name: str) -> None:
        counts[name] += 1
        seen.append(f"{name}@{counts[name]}")

    patch_points(monkeypatch, modules, note)
    return seen


def die_at(monkeypatch: pytest.MonkeyPatch, target: str, *modules: ModuleType) -> None:
    """Raise Died when the run reaches `target`."""
    counts: collections.Counter[str] = collections.Counter()

    def maybe_die(name: str) -> None:
        counts[name] += 1
        if f"{name}@{counts[name]}" == target:
            raise Died(target)

    patch_points(monkeypatch, modules, maybe_die)


def live_again(monkeypatch: pytest.MonkeyPatch, *modules: ModuleType) -> None:
    """No more dying: the resumed run passes every point."""
    patch_points(monkeypatch, modules, lambda name: None)
