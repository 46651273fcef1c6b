"""The layers hold: nothing below the CLI imports it, and no real run loads the sandbox.

Two checks. The import graph, read with `ast` from every module of publisher/ (imports inside
functions and TYPE_CHECKING blocks included, and module names given to importlib as
strings): only publisher/cli/ and publisher/__main__.py import `publisher.cli`; only
publisher/sandbox/ and the sandbox-only code of the CLI (`demo`, `sandbox serve`, and the
`--sandbox` branch of `run` and `run-due`, each in its own function) import
`publisher.sandbox`. The graph cannot see which branch runs, so the proof is the second
check: each production command, run for real in its own process, ends with no
`publisher.sandbox` module in `sys.modules`, while `run-due --sandbox` does load them.
"""

from __future__ import annotations

import ast
import functools
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.youtube import connect

PACKAGE = Path(__file__).resolve().parents[1] / "publisher"

# Outside publisher/sandbox/, the only functions that may import publisher.sandbox: the
# commands that exist to run the fakes, and the `--sandbox` branch of `run` and `run-due`.
SANDBOX_IMPORTERS = {
    ("publisher.cli.demo_cmd", "demo"),
    ("publisher.cli.sandbox_cmd", "serve"),
    ("publisher.cli.run_cmds", "runtime_for"),
}

# A string naming a module of ours, as given to importlib.import_module.
_MODULE_NAME = re.compile(r"publisher(\.[A-Za-z_]\w*)+")


@dataclass(frozen=True)
class Import:
    importer: str       # the importing module, e.g. publisher.pipeline.chores
    function: str | None  # the (innermost) function the import is in; None: module level
    module: str         # what it imports, e.g. publisher.cli.app
    line: int

    def __str__(self) -> str:
        where = f" in {self.function}()" if self.function else ""
        return f"{self.importer}:{self.line}{where} imports {self.module}"


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(source: str, importer: str, *, is_package: bool = False) -> list[Import]:
    """Every module `source` imports, wherever the import statement is."""
    found: list[Import] = []
    base = importer if is_package else importer.rpartition(".")[0]

    def visit(node: ast.AST, function: str | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function = node.name
        if isinstance(node, ast.Import):
            found.extend(Import(importer, function, alias.name, node.lineno)
                         for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            package = node.module or ""
            if node.level:  # relative: from the importer's package, `level` steps up
                anchor = base.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                package = ".".join([*anchor, *([node.module] if node.module else [])])
            found.append(Import(importer, function, package, node.lineno))
            # `from publisher import cli` imports the module publisher.cli
            found.extend(Import(importer, function, f"{package}.{alias.name}", node.lineno)
                         for alias in node.names)
        elif (isinstance(node, ast.Constant) and isinstance(node.value, str)
              and _MODULE_NAME.fullmatch(node.value)):
            found.append(Import(importer, function, node.value, node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child, function)

    visit(ast.parse(source), None)
    return found


@functools.cache
def _imports_of_package() -> tuple[Import, ...]:
    """Parsed once a run: five checks below read the same graph."""
    out: list[Import] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        out += imports_of(path.read_text(encoding="utf-8"), module_name(path),
                          is_package=path.name == "__init__.py")
    return tuple(out)


def all_imports() -> list[Import]:
    return list(_imports_of_package())


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_the_walker_sees_imports_in_functions_relative_ones_and_importlib_names() -> None:
    source = '''
from __future__ import annotations
import publisher.home
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    from publisher.app import App

def outer() -> None:
    def inner() -> None:
        from publisher import cli
    import importlib
    importlib.import_module("publisher.sandbox.run")

class C:
    def method(self) -> None:
        from ..sandbox import guard
        from . import output
'''
    got = {(i.module, i.function) for i in imports_of(source, "publisher.cli.example")}
    assert {("publisher.home", None), ("publisher.app", None), ("publisher.cli", "inner"),
            ("publisher.sandbox.run", "outer"), ("publisher.sandbox.guard", "method"),
            ("publisher.cli.output", "method")} <= got
    assert ("publisher.sandbox", "method") in {
        (i.module, i.function) for i in imports_of(source, "publisher.cli.example")}
    assert module_name(PACKAGE / "cli" / "__init__.py") == "publisher.cli"
    assert module_name(PACKAGE / "services" / "status.py") == "publisher.services.status"


def test_nothing_outside_the_cli_imports_the_cli() -> None:
    wrong = [str(i) for i in all_imports()
             if within(i.module, "publisher.cli")
             and not within(i.importer, "publisher.cli") and i.importer != "publisher.__main__"]
    assert wrong == []


def test_only_the_cli_and_the_console_import_the_console() -> None:
    wrong = [str(i) for i in all_imports() if within(i.module, "publisher.web")
             and not within(i.importer, "publisher.web")
             and not within(i.importer, "publisher.cli")]
    assert wrong == []


# What the console may use of the product: the application layer, the queue's and the
# attention's functions, the errors, the names of states and roles, and the gettext
# catalogues it shares with the notifications (publisher/i18n.py).
CONSOLE_MAY_IMPORT = ("publisher.web", "publisher.app", "publisher.services", "publisher.queue",
                      "publisher.attention", "publisher.errors", "publisher.store.models",
                      "publisher.store.types", "publisher.i18n")


def test_the_console_calls_only_the_application_layer() -> None:
    wrong = [str(i) for i in all_imports() if within(i.importer, "publisher.web")
             and within(i.module, "publisher") and i.module != "publisher"
             and not any(within(i.module, allowed) for allowed in CONSOLE_MAY_IMPORT)]
    assert wrong == []


def test_only_the_sandbox_and_its_commands_import_the_sandbox() -> None:
    importers = [i for i in all_imports() if within(i.module, "publisher.sandbox")
                 and not within(i.importer, "publisher.sandbox")]
    wrong = [str(i) for i in importers if (i.importer, i.function) not in SANDBOX_IMPORTERS]
    assert wrong == []
    # The allowance is not stale: each of these does import the sandbox, inside a function,
    # so that importing the CLI (every command's module) never loads it.
    assert {(i.importer, i.function) for i in importers} == SANDBOX_IMPORTERS


def test_only_the_workers_import_procrastinate() -> None:
    """Procrastinate is the workers' engine: only publisher/workers/ imports it, and only
    `publisher worker` imports the workers (inside its function, so that no other command
    loads Procrastinate). Its schema comes from migration 0011, outside the package."""
    wrong = [str(i) for i in all_imports() if within(i.module, "procrastinate")
             and not within(i.importer, "publisher.workers")]
    assert wrong == []
    importers = {(i.importer, i.function) for i in all_imports()
                 if within(i.module, "publisher.workers")
                 and not within(i.importer, "publisher.workers")}
    assert importers == {("publisher.cli.worker_cmd", "worker")}


# ---- the proof: real runs, and what they loaded ------------------------------------------

# Runs the real entry point, and on the way out (atexit: after sys.exit, as a real run
# ends) writes the publisher.sandbox modules loaded to the file $MODULES_OUT.
RUNNER = """
import atexit, json, os, sys

def report():
    loaded = sorted(m for m in sys.modules
                    if m == "publisher.sandbox" or m.startswith("publisher.sandbox."))
    with open(os.environ["MODULES_OUT"], "w") as out:
        json.dump(loaded, out)

atexit.register(report)
from publisher.cli import main
main(sys.argv[1:])
"""


@dataclass
class Run:
    code: int
    output: str
    sandbox_modules: list[str] | None  # None: the process ended without reporting


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def start(home: HomeFixture, report: Path, *args: object) -> subprocess.Popen[str]:
    env = {**os.environ, **home.env, "MODULES_OUT": str(report)}
    return subprocess.Popen(
        [sys.executable, "-c", RUNNER, "--home", str(home.path), "--db", home.db_url,
         *map(str, args)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)


def finish(proc: subprocess.Popen[str], report: Path, output: str = "") -> Run:
    try:
        rest, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    loaded = json.loads(report.read_text()) if report.exists() else None
    report.unlink(missing_ok=True)
    return Run(proc.returncode, output + rest, loaded)


def run(home: HomeFixture, report: Path, *args: object) -> Run:
    return finish(start(home, report, *args), report)


def run_daemon_one_tick(home: HomeFixture, report: Path) -> Run:
    """`publisher run` until its first tick is done (it logs what is next), then SIGTERM."""
    proc = start(home, report, "run", "--max-sleep", "10")
    seen: list[str] = []
    assert proc.stdout is not None
    for line in proc.stdout:
        seen.append(line)
        if "next:" in line:
            break
    proc.send_signal(signal.SIGTERM)
    return finish(proc, report, "".join(seen))


@pytest.mark.slow  # every command in a child process, about 8 s: CI
def test_no_production_command_loads_the_sandbox(sqlite_home: HomeFixture, media: Media,
                                                 yt: FakeYouTube, tmp_path: Path) -> None:
    connect(sqlite_home, yt)
    report = tmp_path / "modules.json"
    # In order, but the commands that only read run side by side (each its own process and
    # report file): on two cores that halves their wait.
    steps: list[dict[str, list[object]]] = [
        {"queue add": add_args(media.video(), "Uno", "--thumbnail", media.png())},
        {"queue add (another)": add_args(media.video(), "Due")},
        {"queue list": ["queue", "list"], "queue show": ["queue", "show", 1],
         "plan": ["plan"], "status": ["status"]},
        {"doctor": ["doctor"]},
        {"upload": ["upload", 1]},
        {"publish": ["publish", 2, "--now"]},
        {"run-due": ["run-due"]},
    ]
    runs: dict[str, Run] = {}
    for step in steps:
        reports = {name: tmp_path / f"modules-{i}.json" for i, name in enumerate(step)}
        started = {name: start(sqlite_home, reports[name], *args)
                   for name, args in step.items()}
        runs |= {name: finish(proc, reports[name]) for name, proc in started.items()}
    runs["run"] = run_daemon_one_tick(sqlite_home, report)
    # Each did its real work, so what follows is about real runs, not early errors (the
    # doctor may find this machine short of disk space: exit status 4).
    failed = {name: r.output for name, r in runs.items()
              if r.code != 0 and not (name == "doctor" and r.code == 4)}
    assert failed == {}
    assert "custom thumbnails: the channel" in runs["doctor"].output  # asked YouTube
    assert "is public on YouTube" in runs["publish"].output
    assert "next:" in runs["run"].output
    unreported = {name: r.output for name, r in runs.items() if r.sandbox_modules is None}
    assert unreported == {}
    assert {name: r.sandbox_modules for name, r in runs.items()} == {name: [] for name in runs}


def test_a_sandbox_run_does_load_the_sandbox(sqlite_home: HomeFixture, media: Media,
                                             tmp_path: Path) -> None:
    """The check above can fail: the same report, for `run-due --sandbox`."""
    report = tmp_path / "modules.json"
    assert run(sqlite_home, report, *add_args(media.video())).sandbox_modules == []
    rehearsal = run(sqlite_home, report, "run-due", "--sandbox")
    assert rehearsal.code == 0, rehearsal.output
    assert rehearsal.sandbox_modules is not None
    assert {"publisher.sandbox.run", "publisher.sandbox.platforms"} <= set(
        rehearsal.sandbox_modules)


def test_the_map_names_every_module() -> None:
    """docs/architecture.md's "Where things are" lists every module under publisher/ (the
    fakes under sandbox/ are described as a group), so the map cannot fall behind the house."""
    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "architecture.md").read_text(encoding="utf-8")
    where = text.split("## Where things are", 1)[1]
    package = root / "publisher"
    missing = [str(path.relative_to(package)) for path in sorted(package.rglob("*.py"))
               if path.name != "__init__.py" and "sandbox" not in path.relative_to(package).parts
               and f"`{path.relative_to(package).as_posix()}`" not in where]
    assert not missing, f"add to docs/architecture.md's 'Where things are': {missing}"
