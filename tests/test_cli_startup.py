"""`publisher --help` stays light: it imports no command module, no database layer and no
fake, and lists every command with its own summary. (How fast it starts is measured by
benchmarks/cli_startup.py, not asserted here.)"""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import click
import pytest

from publisher.cli import COMMANDS, cli

# Run in a fresh interpreter: `publisher --help`, then the names of the loaded modules.
_WRAPPER = """
import json, sys
from publisher.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""

HEAVY = ("sqlalchemy", "sqlalchemy.orm", "publisher.store.models", "publisher.store.db",
         "publisher.sandbox", "publisher.config", "publisher.pipeline", "jinja2", "rich")


def _modules_after_help() -> list[str]:
    proc = subprocess.run([sys.executable, "-c", _WRAPPER], capture_output=True, text=True,
                          check=True)
    assert "Usage: publisher" in proc.stdout
    loaded: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return loaded


def test_help_imports_no_database_layer_no_fake_and_no_command_module() -> None:
    loaded = _modules_after_help()
    for name in HEAVY:
        assert not [m for m in loaded if m == name or m.startswith(name + ".")], name
    commands = [m for m in loaded if m.startswith("publisher.cli.")]
    assert commands == [], f"--help imported {commands}"


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_the_listed_summary_is_the_commands_own(name: str) -> None:
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.help
    assert COMMANDS[name].summary == inspect.cleandoc(command.help).split("\n\n")[0].replace(
        "\n", " ")
    for limit in (30, 45, 80):
        assert (click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit)
                == command.get_short_help_str(limit))


def test_every_command_is_listed() -> None:
    """A command registered without a COMMANDS entry would still run but never be listed."""
    assert set(cli.list_commands(click.Context(cli))) == set(COMMANDS)
    assert cli.commands == {}
