"""The systemd units of README's "Beyond one machine" are the files in deploy/systemd/, word
for word, and the command each one starts is one `publisher` accepts."""

from __future__ import annotations

import re
import shlex
import textwrap
from pathlib import Path

import pytest

from tests.conftest import invoke

REPO = Path(__file__).resolve().parent.parent
UNITS = sorted((REPO / "deploy" / "systemd").glob("*.service"))
# What systemd puts in: the instance name (%i) and the EnvironmentFile's ${PORT}.
EXPANSIONS = {"%i": "festival", "${PORT}": "8081"}


def readme_blocks() -> list[str]:
    """The ```ini blocks of README's "Beyond one machine" section, indentation removed."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Beyond one machine", 1)[1].split("\n### ", 1)[0]
    return [textwrap.dedent(block) for block in
            re.findall(r"^ *```ini\n(.*?)^ *```$", section, flags=re.M | re.S)]


def exec_start(unit: Path) -> list[str]:
    [line] = [line for line in unit.read_text().splitlines() if line.startswith("ExecStart=")]
    command = line.removeprefix("ExecStart=")
    for name, value in EXPANSIONS.items():
        command = command.replace(name, value)
    return shlex.split(command)


def test_there_are_units_for_the_workers_and_the_console() -> None:
    assert {u.name for u in UNITS} == {"publisher-worker@.service", "publisher-web@.service"}


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_the_readme_shows_each_unit_as_it_is(unit: Path) -> None:
    assert unit.read_text() in readme_blocks(), \
        f"README's {unit.name} differs from deploy/systemd/{unit.name}: copy it over"


def test_the_readme_shows_no_other_unit() -> None:
    assert len(readme_blocks()) == len(UNITS)


@pytest.mark.parametrize("unit", UNITS, ids=lambda u: u.name)
def test_each_unit_starts_a_command_publisher_accepts(unit: Path) -> None:
    program, *args = exec_start(unit)
    assert Path(program).name == "publisher"
    result = invoke(*args, "--help")
    assert result.exit_code == 0, result.stdout + result.stderr
    command = next(a for a in args if not a.startswith("-") and "/" not in a)
    assert f" {command} [OPTIONS]" in result.stdout, result.stdout  # that command's help


def test_a_wrong_option_in_a_unit_would_be_caught() -> None:
    _program, *args = exec_start(UNITS[0])
    assert invoke(*args, "--no-such-option", "--help").exit_code != 0
