"""The quick loop, `pytest -m "not slow"`, spread over the machine's cores (pytest-xdist):
much of its time is spent waiting on child processes, servers and databases, so one
process more than the cores (three on two) keeps them busy. Each module's tests run in
one process (`--dist loadfile`).

Only that exact command is spread: the whole suite (CI's `pytest`) and any run that chose
its own `-n` (`-n 0`: one process), `--pdb`, or `-p no:xdist` run as asked.
"""

from __future__ import annotations

import os

import pytest

QUICK = "not slow"
#: The most processes the quick loop takes: past four, the PostgreSQL servers and the
#: browsers each process starts cost more than the spread gains.
MOST = 4


def processes_for(markexpr: str, chosen: object, *, has_xdist: bool, in_worker: bool,
                  debugging: bool, cpus: int | None) -> int | None:
    """How many processes the run should take, or None to leave it as it is."""
    if markexpr.strip() != QUICK or not has_xdist or in_worker or debugging:
        return None
    if chosen is not None:  # -n N given
        return None
    if not cpus or cpus < 2:
        return None
    # One more than the cores: a test waiting on a child process, a server or a database
    # leaves its core to another.
    return min(cpus + 1, MOST)


def spread_quick_loop(config: pytest.Config) -> int | None:
    """Set `-n` on a quick-loop run that did not choose it (see the module's docstring);
    the number of processes set, if any."""
    option = config.option
    count = processes_for(
        str(getattr(option, "markexpr", "") or ""), getattr(option, "numprocesses", None),
        has_xdist=config.pluginmanager.hasplugin("xdist"),
        in_worker="PYTEST_XDIST_WORKER" in os.environ,
        debugging=bool(getattr(option, "usepdb", False)), cpus=os.cpu_count())
    if count is not None:
        option.numprocesses = count
        if option.dist == "no":
            # Each module's tests in one process: its module-scoped fixtures (a console, a
            # browser, a PostgreSQL database) are made once, not once per process.
            option.dist = "loadfile"
    return count
