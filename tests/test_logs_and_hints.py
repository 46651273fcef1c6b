"""Organizer-facing output: each message once, log lines in the campaign's time zone, the
libraries quiet unless --verbose, and hints that run as written in a new shell (issue 12)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import click
import pytest

from publisher.app import App
from publisher.cli.hints import command_for, runnable
from publisher.cli.logs import Once, news_of, setup_logging
from publisher.home import Home
from tests.conftest import HomeFixture, Media, add_args

STAMP = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d CES?T (INFO|WARNING) ")


def test_not_authorised_is_said_once_for_one_upload(sqlite_home: HomeFixture,
                                                    media: Media) -> None:
    sqlite_home.ok(*add_args(media.video()))
    result = sqlite_home.run("upload", "1")
    assert result.exit_code == 4, result.output
    said = [ln for ln in result.stderr.splitlines() if "YouTube is not authorised yet" in ln]
    assert len(said) == 1, result.stderr
    assert STAMP.match(said[0]), said[0]  # the campaign's zone (Rome), to the second
    assert "`publisher auth youtube`" in said[0]


def _log_through_setup(app: App, verbose: bool) -> None:
    with click.Context(click.Command("x")) as ctx:
        ctx.meta["verbose"] = verbose
        setup_logging(app)
        logging.getLogger("alembic.runtime.migration").info("Context impl SQLiteImpl.")
        logging.getLogger("apscheduler.scheduler").info("Scheduler started")
        logging.getLogger("apscheduler.scheduler").warning("Run time of job was missed")
        logging.getLogger("publisher.daemon").info("next: stage interview 1")


def test_libraries_info_lines_only_with_verbose(sqlite_home: HomeFixture,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    app = App(Home.resolve(sqlite_home.path, sqlite_home.db_url))
    _log_through_setup(app, verbose=False)
    quiet = capsys.readouterr().err
    assert "Context impl" not in quiet and "Scheduler started" not in quiet
    assert "Run time of job was missed" in quiet and "next: stage interview 1" in quiet
    assert all(STAMP.match(line) for line in quiet.splitlines()), quiet
    _log_through_setup(app, verbose=True)
    loud = capsys.readouterr().err
    assert "Context impl" in loud and "Scheduler started" in loud
    # The command is over: its handler is gone.
    logging.getLogger("publisher.daemon").warning("after the command")
    assert "after the command" not in capsys.readouterr().err


def test_the_same_news_told_twice_is_said_once() -> None:
    assert news_of("interview 3: YouTube is not authorised yet") == \
        news_of("Interview 3: waiting: YouTube is not authorised yet")
    now = [0.0]
    once = Once(clock=lambda: now[0])
    assert once.first("interview 3: quota used up")
    assert not once.first("Interview 3: waiting: quota used up")
    assert once.first("interview 4: quota used up")  # another interview: other news
    now[0] = 61.0
    assert once.first("interview 3: quota used up")  # a minute later: said again


# --- hints that work in a new shell -----------------------------------------------------------

def test_the_command_is_named_the_way_it_can_be_run(tmp_path: Path) -> None:
    script = tmp_path / "venv" / "bin" / "publisher"
    script.parent.mkdir(parents=True)
    script.write_text("#!/bin/sh\n")
    python = str(tmp_path / "venv" / "bin" / "python")
    assert command_for(str(script), None, python) == str(script)
    assert command_for(str(script), str(script), python) == "publisher"
    assert command_for(str(script), "/usr/bin/publisher", python) == str(script)
    main = tmp_path / "site" / "publisher" / "__main__.py"
    assert command_for(str(main), None, python) == f"{python} -m publisher"
    assert command_for("/usr/bin/pytest", None, python) == "publisher"
    spaced = tmp_path / "my venv" / "publisher"
    spaced.parent.mkdir()
    spaced.write_text("")
    assert command_for(str(spaced), None, python) == f"'{spaced}'"


def test_hints_name_the_executable_when_the_path_does_not_find_it(tmp_path: Path) -> None:
    env = {**os.environ, "PATH": "/usr/bin:/bin"}
    env.pop("PUBLISHER_HOME", None)
    script = Path(sys.executable).parent / "publisher"
    assert script.is_file(), "the console script is installed beside the interpreter"
    proc = subprocess.run([str(script), "--home", str(tmp_path), "queue", "list"], env=env,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 3
    assert f"`{script} --home DIR …`" in proc.stderr, proc.stderr
    assert f"`{script} init DIR`" in proc.stderr
    module = subprocess.run([sys.executable, "-m", "publisher", "--home", str(tmp_path),
                             "queue", "list"], env=env, capture_output=True, text=True,
                            check=False)
    assert f"`{sys.executable} -m publisher init DIR`" in module.stderr, module.stderr


def test_runnable_rewrites_only_commands_in_backticks(monkeypatch: pytest.MonkeyPatch) -> None:
    import publisher.cli.hints as hints

    monkeypatch.setattr(hints, "invocation", lambda: "/opt/v/bin/publisher")
    assert runnable("run `publisher auth youtube`; publisher is fine") == \
        "run `/opt/v/bin/publisher auth youtube`; publisher is fine"
    assert runnable("`publisherx` `publisher`") == "`publisherx` `/opt/v/bin/publisher`"
