"""Marking parameters slow so that `pytest -m "not slow"` runs a quick sample of a big table.

The whole suite (CI's plain `pytest`) runs every parameter; the quick development loop runs the
parameters kept here, spread over the table, so each kind of case is still tried.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import pytest
from _pytest.mark import ParameterSet

SLOW = pytest.mark.slow
T = TypeVar("T")


def _as_param(value: Any) -> ParameterSet:
    if isinstance(value, ParameterSet):
        return value
    return pytest.param(value)


def _slow(param: ParameterSet) -> ParameterSet:
    return pytest.param(*param.values, marks=[*param.marks, SLOW], id=param.id)


def quick_sample(params: Iterable[Any], *, every: int) -> list[ParameterSet]:
    """The parameters, all but the first and then each `every`-th one marked slow."""
    assert every >= 1
    out = [_as_param(p) for p in params]
    return [p if i % every == 0 else _slow(p) for i, p in enumerate(out)]


def slow_except(params: Iterable[Any], keep: Collection[str]) -> list[ParameterSet]:
    """The parameters, all marked slow but those whose id, or whose value (a string), is in
    `keep`; each name in `keep` must match a parameter."""
    out = [_as_param(p) for p in params]

    def name(p: ParameterSet) -> str | None:
        if p.id is not None:
            return str(p.id)
        value = p.values[0] if len(p.values) == 1 else None
        return value if isinstance(value, str) else None

    unknown = set(keep) - {name(p) for p in out}
    assert not unknown, f"no such parameters to keep: {sorted(unknown)}"
    return [p if name(p) in keep else _slow(p) for p in out]


#: Where the session's collection, before `-m` and `-k` deselect anything, leaves which test
#: modules keep a test not marked slow (tests/conftest.py; tests/test_layout.py reads it).
QUICK_MODULES = pytest.StashKey[dict[str, bool]]()


def quick_modules(items: Iterable[pytest.Item], root: Path) -> dict[str, bool]:
    """Each collected module (its path from `root`), and whether `-m "not slow"` keeps one of
    its tests: the same rule as `-m`, a `slow` mark on the test, its class or its module."""
    found: dict[str, bool] = {}
    for item in items:
        if not item.path.is_relative_to(root):
            continue
        module = item.path.relative_to(root).as_posix()
        found[module] = found.get(module, False) or item.get_closest_marker("slow") is None
    return found


#: The two shares of a "dying at each point then resuming" loop, a test's parameter: the quick
#: loop tries a sample of the points, CI's plain `pytest` the rest as well (each point once).
POINT_SHARES = [pytest.param("sample", id="sample"),
                pytest.param("rest", id="rest", marks=SLOW)]


def share_of(points: Sequence[T], share: str, *, every: int) -> list[T]:
    """The points of `share` (see POINT_SHARES): "sample" is the first, each `every`-th after
    it and the last; "rest" is the others."""
    assert share in ("sample", "rest") and every >= 1
    sample = {*range(0, len(points), every), len(points) - 1}
    return [p for i, p in enumerate(points) if (i in sample) == (share == "sample")]
