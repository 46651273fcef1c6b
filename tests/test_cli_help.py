"""Every command has help, every option a sentence of help, and the README documents each."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from publisher.cli import cli
from tests.conftest import invoke

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group = cli, prefix: tuple[str, ...] = ()
              ) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # the top group loads its commands lazily
        command = group.get_command(ctx, name)
        assert command is not None, name
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from _commands(command, path)


COMMANDS = list(_commands())


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_command_has_help_and_every_option_too(path: tuple[str, ...],
                                               command: click.Command) -> None:
    assert command.help and len(command.help.strip()) > 20, f"{path} has no help"
    for param in command.params:
        if isinstance(param, click.Option):
            assert param.help, f"publisher {' '.join(path)} {param.opts[0]} has no help"
    result = invoke(*path, "--help")
    assert result.exit_code == 0
    assert "Usage: publisher " + " ".join(path) in result.stdout


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=[" ".join(p) for p, _ in COMMANDS])
def test_readme_documents_command(path: tuple[str, ...]) -> None:
    assert f"publisher {' '.join(path)}" in README, f"README does not mention {path}"


def test_top_level_options_have_help() -> None:
    for param in cli.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, param.opts


def test_python_dash_m_works() -> None:
    proc = subprocess.run([sys.executable, "-m", "publisher", "--help"], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0
    assert "queue" in proc.stdout and "init" in proc.stdout


def test_unknown_command_is_a_usage_error() -> None:
    result = invoke("qeue", "list")
    assert result.exit_code == 2
    assert "No such command" in result.stderr


def test_readme_lines_fit_outside_code_blocks_and_tables() -> None:
    """Prose is wrapped at 100 characters (code blocks and tables may run longer)."""
    long, in_code = [], False
    for number, line in enumerate(README.splitlines(), 1):
        if line.lstrip().startswith("```"):
            in_code = not in_code
            continue
        if not in_code and not line.lstrip().startswith("|") and len(line) > 100:
            long.append(f"README.md:{number}: {len(line)} characters")
    assert not long, "\n".join(long)


def test_readme_commands_run_after_its_first_command() -> None:
    """After `pip install` into .venv, `publisher` is not on the PATH: the README says how
    to reach it, and says how `queue remove` behaves without a terminal."""
    assert "source .venv/bin/activate" in README and ".venv/bin/publisher" in README
    assert "without one\n  (a script, a cron job) it refuses unless given `--yes`" in README
