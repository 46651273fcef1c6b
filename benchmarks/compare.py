"""Before/after: the same benchmark rows measured with two checkouts in one run.

A benchmark that supports `--compare-with PYTHON` runs itself as a child process, once with
the Python of this checkout and once with PYTHON (another checkout's virtualenv, where
`import publisher` finds that checkout), alternately for `--rounds` rounds, each child writing
its rows as JSON (`{"rows": {name: seconds}}`). The figure of a row is the median over the
rounds; the table gives both and their ratio, after / before. See benchmarks/README.md.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path


def checkout_of(python: str) -> str:
    """Where `import publisher` leads for this Python (the checkout it measures)."""
    out = subprocess.run([python, "-c", "import publisher, pathlib; "
                          "print(pathlib.Path(publisher.__file__).parent.parent)"],
                         capture_output=True, text=True, check=True, cwd="/")
    return out.stdout.strip()


def child_rows(python: str, script: str, args: Sequence[str]) -> dict[str, float]:
    """Run `python script args --json-out FILE` and return its rows."""
    with tempfile.TemporaryDirectory(prefix="publisher-compare-") as tmp:
        out = Path(tmp) / "rows.json"
        proc = subprocess.run([python, script, *args, "--json-out", str(out)],
                              capture_output=True, text=True, check=False)
        if proc.returncode != 0:
            raise SystemExit(f"`{python} {script}` failed ({proc.returncode}):\n"
                             f"{proc.stdout}{proc.stderr}")
        rows = json.loads(out.read_text())["rows"]
    return {str(k): float(v) for k, v in rows.items()}


def compare(script: str, args: Sequence[str], other: str, *, rounds: int = 3,
            unit: str = "s") -> dict[str, dict[str, float]]:
    """Measure every row with this Python and with `other`, alternately; print the table
    (median over the rounds of each) and return {row: {"after", "before", "ratio"}}."""
    this = sys.executable
    print(f"after  (this checkout): {this} → {checkout_of(this)}")
    print(f"before (--compare-with): {other} → {checkout_of(other)}")
    samples: dict[str, dict[str, list[float]]] = {"after": {}, "before": {}}
    for r in range(rounds):
        order = [("after", this), ("before", other)]
        if r % 2:
            order.reverse()
        for label, python in order:
            print(f"  round {r + 1}/{rounds}: {label} ...", flush=True)
            for row, value in child_rows(python, script, args).items():
                samples[label].setdefault(row, []).append(value)
    result: dict[str, dict[str, float]] = {}
    width = max((len(row) for row in samples["after"]), default=10)
    print(f"\n{'row':<{width}}  {'before':>10}  {'after':>10}  after/before")
    for row, values in samples["after"].items():
        after = statistics.median(values)
        before_values = samples["before"].get(row)
        if not before_values:
            print(f"{row:<{width}}  {'(no row)':>10}  {after:>10.4g}")
            continue
        before = statistics.median(before_values)
        ratio = after / before if before else float("nan")
        result[row] = {"after": after, "before": before, "ratio": ratio}
        print(f"{row:<{width}}  {before:>10.4g}  {after:>10.4g}  {ratio:>8.2f}x")
    print(f"(medians over {rounds} rounds, in {unit}; below 1.00x is faster now)")
    return result


def strip_compare_args(argv: Sequence[str]) -> list[str]:
    """The command line without --compare-with/--rounds/--json-out (for the children)."""
    out: list[str] = []
    skip = False
    for arg in argv:
        if skip:
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if name in ("--compare-with", "--rounds", "--json-out"):
            skip = "=" not in arg
            continue
        out.append(arg)
    return out


def env_without_pythonpath() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
