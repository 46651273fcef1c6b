"""Printing: plain aligned tables (fast for 10,000 rows), JSON for scripts, CSV for
spreadsheets, warnings on stderr."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import click


def print_json(data: Any) -> None:
    # Indented for people; compact for scripts (and 2x faster: no pure-Python encoder).
    indent = 2 if is_tty() else None
    click.echo(json.dumps(data, ensure_ascii=False, indent=indent, default=str))


def print_csv(columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """A header row, then one row per item. A cell a spreadsheet could run as a formula
    (= + - @ first) gets a leading apostrophe, which `queue import` takes off again."""
    import csv
    import io

    from publisher.season_import import quote_formula

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([quote_formula("" if row.get(c) is None else str(row[c]))
                         for c in columns])
    click.echo(buffer.getvalue(), nl=False)


def warn(messages: Sequence[str]) -> None:
    from publisher.cli.hints import runnable

    for message in messages:
        click.secho(runnable(f"warning: {message}"), fg="yellow", err=True)


def echo(message: str, *, err: bool = False, **style: Any) -> None:
    """A line for organizers; the commands it suggests run as written (cli/hints.py)."""
    from publisher.cli.hints import runnable

    click.secho(runnable(message), err=err, **style)


def is_tty() -> bool:
    return sys.stdout.isatty()


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 60) -> None:
    """Aligned columns; long cells are shortened with … so a row stays on one line.

    Built column by column and printed with one format string per line: `queue list` prints
    10,000 rows."""
    def fit(text: str) -> str:
        if "\n" in text:
            text = text.replace("\n", " ")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    columns = []
    for i in range(len(headers)):
        texts = ["" if row[i] is None else str(row[i]) for row in rows]
        if any(len(t) > max_width or "\n" in t for t in texts):
            texts = [fit(t) for t in texts]
        columns.append(texts)
    widths = [max([len(h), *map(len, col)]) for h, col in zip(headers, columns, strict=True)]
    line = "  ".join(f"{{:<{w}}}" for w in widths).format
    head = line(*headers).rstrip()
    out = [click.style(head, bold=True) if is_tty() else head]
    out.extend(line(*cells).rstrip() for cells in zip(*columns, strict=True))
    click.echo("\n".join(out))
