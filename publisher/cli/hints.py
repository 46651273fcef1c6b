"""Hints that work as written: the commands the program suggests must run in a new shell.

After `python3 -m venv .venv && .venv/bin/pip install .`, `publisher` is not on the PATH:
a hint saying "`publisher queue list`" would fail with "command not found". When this
process was not started as the `publisher` the PATH finds, every "`publisher …`" in a hint
names the executable that was started instead (its full path), or `python -m publisher`.
"""

from __future__ import annotations

import re
import shlex
import shutil
import sys
from functools import cache
from pathlib import Path

_IN_BACKTICKS = re.compile(r"`publisher(?=[ `])")


@cache
def invocation() -> str:
    """How to run this publisher from a new shell: `publisher` when the PATH finds it."""
    return command_for(sys.argv[0] if sys.argv else "", shutil.which("publisher"),
                       sys.executable)


def command_for(argv0: str, on_path: str | None, python: str) -> str:
    """`publisher`, or the full path of the script that was started, or `python -m
    publisher` (started that way). Started some other way (embedded, tests): `publisher`."""
    started = Path(argv0)
    if started.name in ("publisher", "publisher.exe") and started.is_file():
        if on_path and Path(on_path).resolve() == started.resolve():
            return "publisher"
        return shlex.quote(str(started.absolute()))
    if started.name == "__main__.py" and started.parent.name == "publisher":
        if on_path and Path(on_path).parent.resolve() == Path(python).parent.resolve():
            return "publisher"  # the PATH finds the script of this very environment
        return f"{shlex.quote(python)} -m publisher"
    return "publisher"


def runnable(text: str) -> str:
    """The text with every "`publisher …`" made to run as written."""
    command = invocation()
    if command == "publisher" or "`publisher" not in text:
        return text
    return _IN_BACKTICKS.sub(lambda _m: "`" + command, text)
