"""Talking to a running `publisher sandbox serve`."""

from __future__ import annotations

import subprocess


def read_exports(proc: subprocess.Popen[str]) -> dict[str, str]:
    """The `export NAME=VALUE` lines `sandbox serve` prints, read as they come."""
    assert proc.stdout is not None
    roots: dict[str, str] = {}
    for line in proc.stdout:
        if line.startswith("export "):
            name, _, value = line[len("export "):].strip().partition("=")
            roots[name] = value
        if len(roots) == 7:
            break
    return roots
