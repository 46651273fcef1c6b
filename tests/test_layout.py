"""The test suite's own layout: shared helpers live in tests/helpers/ or conftest.py, never in
a test module, and `pytest -m "not slow"` (the development loop) still tries every module."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers.marks import QUICK_MODULES

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _is_test_module(dotted: str) -> bool:
    return dotted.rpartition(".")[2].startswith("test_")


def imported_test_modules(source: str, module: str) -> list[str]:
    """The test modules `source` (the text of `module`, dotted) imports, in any form:
    `import tests.test_x`, `from tests.test_x import y`, `from tests import test_x`, and the
    relative forms, at the top or inside a function."""
    package = module.rpartition(".")[0]
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if _is_test_module(a.name)]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, *([base] if base else [])])
            if _is_test_module(base):
                found.append(base)
            found += [f"{base}.{a.name}" for a in node.names if _is_test_module(a.name)]
    return found


@pytest.mark.parametrize(("source", "expected"), [
    ("from tests.test_run_due import events", ["tests.test_run_due"]),
    ("import tests.test_run_due as t", ["tests.test_run_due"]),
    ("from tests import conftest, test_run_due", ["tests.test_run_due"]),
    ("def f():\n    from .test_run_due import events", ["tests.test_run_due"]),
    ("from . import test_run_due", ["tests.test_run_due"]),
    ("from .sandbox.test_youtube_fake import x", ["tests.sandbox.test_youtube_fake"]),
    ("from tests.helpers.rows import events\nfrom tests.conftest import HomeFixture", []),
    ("from tests.crash_harness import connect\nimport pytest", []),
])
def test_the_import_check_sees_every_form(source: str, expected: list[str]) -> None:
    assert imported_test_modules(source, "tests.test_example") == expected


def test_no_module_imports_a_test_module() -> None:
    """A helper two test modules need goes to tests/helpers/ (or conftest.py): importing a test
    module runs its module-level code twice over and ties the two files together."""
    offenders = {
        str(path.relative_to(ROOT)): imported
        for path in sorted(TESTS.rglob("*.py"))
        if (imported := imported_test_modules(path.read_text(encoding="utf-8"),
                                            _module_name(path)))
    }
    assert not offenders, f"move these helpers to tests/helpers/: {offenders}"


def quick_modules_collected_again() -> dict[str, bool]:
    """What `pytest -m "not slow" --collect-only` keeps, module by module (False: none)."""
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-m", "not slow", "-p", "no:cacheprovider", str(TESTS)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    kept = {line.partition("::")[0] for line in proc.stdout.splitlines() if "::" in line}
    return {str(p.relative_to(ROOT)): str(p.relative_to(ROOT)) in kept
            for p in TESTS.rglob("test_*.py")} | dict.fromkeys(kept, True)


def test_the_quick_loop_tries_every_test_module(request: pytest.FixtureRequest) -> None:
    """Each test module keeps at least one test not marked slow, so `pytest -m "not slow"`
    breaks early whatever a change breaks; the slow rest runs in CI's plain `pytest`.

    When this run collected every module (the whole suite, or the quick loop: tests/conftest.py
    notes the marks before `-m` deselects), its collection answers; otherwise (a run of a few
    files) the suite is collected again in a child process."""
    modules = {str(p.relative_to(ROOT)) for p in TESTS.rglob("test_*.py")}
    quick = request.config.stash.get(QUICK_MODULES, {})
    if set(quick) != modules:
        quick = quick_modules_collected_again()
    assert set(quick) <= modules, set(quick) - modules
    assert {m for m in modules if not quick.get(m)} == set(), \
        "every test is marked slow in these modules"


@pytest.mark.parametrize(("markexpr", "chosen", "xdist", "worker", "pdb", "cpus", "expected"), [
    ("not slow", None, True, False, False, 2, 3),      # the quick loop: a core and one more
    (" not slow ", None, True, False, False, 16, 4),   # at most four processes
    ("", None, True, False, False, 2, None),           # the whole suite (CI): as asked
    ("slow", None, True, False, False, 2, None),
    ("not slow", 0, True, False, False, 2, None),      # -n 0: one process, as asked
    ("not slow", 3, True, False, False, 2, None),      # -n 3: left to xdist
    ("not slow", None, False, False, False, 2, None),  # -p no:xdist
    ("not slow", None, True, True, False, 2, None),    # inside a worker: no workers of its own
    ("not slow", None, True, False, True, 2, None),    # --pdb
    ("not slow", None, True, False, False, 1, None),   # one core
    ("not slow", None, True, False, False, None, None),
])
def test_only_the_quick_loop_is_spread_over_the_cores(
        markexpr: str, chosen: int | None, xdist: bool, worker: bool, pdb: bool,
        cpus: int | None, expected: int | None) -> None:
    from tests.helpers.quick_loop import processes_for

    assert processes_for(markexpr, chosen, has_xdist=xdist, in_worker=worker, debugging=pdb,
                         cpus=cpus) == expected


@pytest.mark.slow  # two pytest runs in child processes, about 7 s: CI
def test_the_quick_loop_runs_in_several_processes() -> None:
    """The real command line: `-m "not slow"` starts xdist's workers, `-n 0` does not."""
    args = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
            "tests/test_layout.py::test_no_module_imports_a_test_module"]
    # As from a shell: this test may itself run in one of xdist's workers.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_XDIST")}
    spread = subprocess.run([*args, "-m", "not slow"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, env=env)
    one = subprocess.run([*args, "-m", "not slow", "-n", "0"], cwd=ROOT, capture_output=True,
                         text=True, timeout=120, env=env)
    assert "workers" in spread.stdout + spread.stderr, spread.stdout[-2000:]
    assert "workers" not in one.stdout + one.stderr, one.stdout[-2000:]
