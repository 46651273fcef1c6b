"""Reading a parsed TOML/JSON document key by key, refusing what is malformed.

Every error names the file, the dotted key and what was expected, so an organizer can fix it
without reading code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from publisher.errors import ConfigError


def _kind(value: object) -> str:
    kinds = {
        bool: "true/false",
        int: "a whole number",
        float: "a number",
        str: "text",
        list: "a list",
        dict: "a table",
    }
    return kinds.get(type(value), type(value).__name__)


class Section:
    """One table of a configuration document, with its file and dotted prefix for messages."""

    def __init__(self, path: Path, data: Mapping[str, Any], prefix: str = "") -> None:
        self.path = path
        self.data = data
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def error(self, name: str | None, problem: str) -> ConfigError:
        return ConfigError(self.path, self.key(name) if name else (self.prefix.rstrip(".") or None),
                           problem)

    def has(self, name: str) -> bool:
        return name in self.data

    def reject_unknown(self, known: set[str] | frozenset[str], *, ignore_underscore: bool = False
                       ) -> None:
        """Refuse keys we do not know: a typo must not be silently ignored."""
        for name in self.data:
            if ignore_underscore and name.startswith("_"):
                continue
            if name not in known:
                choices = ", ".join(sorted(known))
                raise self.error(name, f"unknown key (expected one of: {choices})")

    def _get(self, name: str, types: tuple[type, ...], expected: str, default: Any,
             required: bool) -> Any:
        if name not in self.data:
            if required:
                raise self.error(name, f"missing; expected {expected}")
            return default
        value = self.data[name]
        # bool is a subclass of int: never accept true/false where a number is expected.
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
            raise self.error(name, f"expected {expected}, found {_kind(value)} {value!r}")
        return value

    def text(self, name: str, default: str | None = None, *, required: bool = False,
             allow_empty: bool = False) -> str | None:
        value: str | None = self._get(name, (str,), "text", default, required)
        if value is not None and not allow_empty and not value.strip() and name in self.data:
            raise self.error(name, "expected non-empty text")
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def boolean(self, name: str, default: bool) -> bool:
        return bool(self._get(name, (bool,), "true or false", default, False))

    def integer(self, name: str, default: int | None = None, *, required: bool = False,
                minimum: int | None = None, maximum: int | None = None) -> int | None:
        value: int | None = self._get(name, (int,), "a whole number", default, required)
        if value is not None and name in self.data:
            if minimum is not None and value < minimum:
                raise self.error(name, f"expected a whole number ≥ {minimum}, found {value}")
            if maximum is not None and value > maximum:
                raise self.error(name, f"expected a whole number ≤ {maximum}, found {value}")
        return value

    def text_list(self, name: str, default: list[str] | None = None) -> list[str]:
        value = self._get(name, (list,), "a list of text", default or [], False)
        for i, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(f"{name}[{i}]",
                                 f"expected text, found {_kind(item)} {item!r}")
        return list(value)

    def table(self, name: str, *, required: bool = False) -> Section:
        value = self._get(name, (dict,), "a table", {}, required)
        return Section(self.path, value, f"{self.key(name)}.")

    def tables(self, name: str) -> list[Section]:
        value = self._get(name, (list,), "a list of tables", [], False)
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.error(f"{name}[{i}]", f"expected a table, found {_kind(item)}")
            out.append(Section(self.path, item, f"{self.key(name)}[{i}]."))
        return out


def load_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning syntax errors into a ConfigError that names the file."""
    import tomllib

    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(path, None, "file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise _toml_syntax_error(path, exc) from None
    except UnicodeDecodeError:
        raise ConfigError(path, None, "not valid UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot be read: {exc.strerror}") from None


def load_json_object(path: Path) -> dict[str, Any]:
    """Parse a JSON file whose top level must be an object."""
    import json

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, None, "file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(path, None, "not valid UTF-8 text") from None
    except OSError as exc:
        raise ConfigError(path, None, f"cannot be read: {exc.strerror}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_syntax_error(path, text, exc) from None
    if not isinstance(data, dict):
        raise ConfigError(path, None, f"expected a JSON object at the top, found {_kind(data)}")
    return data


# --- syntax errors, shown where they are ---------------------------------------------------

def excerpt(text: str, line: int, column: int, *,
            mask: Callable[[str], str] | None = None) -> list[str]:
    """The line (1-based) with a caret under the column (1-based), as message lines;
    `mask` hides what must not be shown (and keeps the length, so the caret stays true)."""
    lines = text.splitlines()
    if not 1 <= line <= len(lines):
        return []
    shown = mask(lines[line - 1]) if mask else lines[line - 1]
    # The caret's indentation copies the line's tabs, so it lands under the column.
    pad = "".join(ch if ch == "\t" else " " for ch in shown[: max(column - 1, 0)])
    gutter = f"{line} | "
    return [f"    {gutter}{shown}", f"    {' ' * (len(gutter) - 2)}| {pad}^"]


def mask_json_values(line: str) -> str:
    """A line of JSON with every text value starred out, keys kept: credentials.json holds
    secrets, and an error message must never show one (even an unfinished one)."""
    out: list[str] = []
    i = 0
    while i < len(line):
        if line[i] != '"':
            out.append(line[i])
            i += 1
            continue
        j = i + 1
        while j < len(line) and line[j] != '"':
            j += 2 if line[j] == "\\" else 1
        closed = j < len(line)
        body = line[i + 1:min(j, len(line))]
        is_key = closed and line[j + 1:].lstrip().startswith(":")
        out.append('"' + (body if is_key else "*" * len(body)) + ('"' if closed else ""))
        i = j + 1
    return "".join(out)


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    return line, pos - (text.rfind("\n", 0, pos) + 1) + 1


def _trailing_comma(text: str, pos: int) -> int | None:
    """Where the comma is, when the error is a `,` right before a closing `}` or `]`."""
    if text[pos:pos + 1] not in ("}", "]"):
        return None
    before = len(text[:pos].rstrip())
    if before and text[before - 1] == ",":
        return before - 1
    return None


def _json_syntax_error(path: Path, text: str, exc: Any) -> ConfigError:
    """Where the JSON breaks, shown with a caret, and the usual cause when we can tell."""
    comma = _trailing_comma(text, exc.pos)
    if comma is not None:
        line, column = _line_col(text, comma)
        closer = "}" if text[exc.pos] == "}" else "]"
        return ConfigError(path, None, "\n".join([
            f"not valid JSON: a comma after the last entry, at line {line}, column {column}",
            *excerpt(text, line, column, mask=mask_json_values),
            f"  hint: JSON allows no comma before a closing {closer} (a trailing comma): "
            "remove it"]))
    lines = [f"not valid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
             *excerpt(text, exc.lineno, exc.colno, mask=mask_json_values)]
    if text[exc.pos:exc.pos + 1] == "'":
        lines.append('  hint: JSON writes text in double quotes ("…"), not single ones')
    elif text[exc.pos:exc.pos + 2] in ("//", "/*") or text[exc.pos:exc.pos + 1] == "#":
        lines.append("  hint: JSON has no comments: remove the line, or put the note in a "
                     '"_comment" key')
    return ConfigError(path, None, "\n".join(lines))


_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def _toml_syntax_error(path: Path, exc: Exception) -> ConfigError:
    """tomllib's message, with the line shown and a caret under the place."""
    message = str(exc)
    where = _TOML_WHERE.search(message)
    if where is None:
        return ConfigError(path, None, f"not valid TOML: {message}")
    line, column = int(where.group(1)), int(where.group(2))
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        text = ""
    return ConfigError(path, None, "\n".join([
        f"not valid TOML at line {line}, column {column}: {message[:where.start()]}",
        *excerpt(text, line, column)]))
