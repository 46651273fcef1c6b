"""Reading a season from CSV or YAML into interview specs (`publisher queue import`).

Paths in the file are relative to the file's own folder. Every problem names the row and the
column; the caller writes nothing unless every row is valid.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

from publisher.errors import InputError
from publisher.media import MediaError, read_bytes_file, read_text_file, text_problem
from publisher.platforms.youtube import limits
from publisher.queue import InterviewSpec, SpeakerSpec

COLUMNS = ("video", "title", "speakers", "description", "description_file", "hashtags",
           "thumbnail", "captions", "localizations", "language", "playlist", "not_before",
           "schedule", "category_id", "privacy", "made_for_kids", "synthetic_media", "license",
           "recording_date", "recording_place", "templates")
_SPEAKER_RE = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<role>[^()]*)\))?\s*$")
_TRUE = {"true", "yes", "1", "sì", "si", "y"}
_FALSE = {"false", "no", "0", "n", ""}
# A season file is text: even 10,000 interviews take a few megabytes.
SEASON_MAX_BYTES = 64 * 1024 * 1024
# A spreadsheet runs a cell that starts with = (or with +, - or @ before a function call, an
# external link or arithmetic) as a formula. Such a cell in a season file is a formula that
# was exported instead of its value, or a trap; it is never text to publish.
_FORMULA_AFTER_SIGN = re.compile(r"""
    [A-Za-z_][\w.]*\(                        # a function call: SUM(, HYPERLINK(
  | .*\|.*!                                   # an external (DDE) link: cmd|' /C calc'!A0
  | [\d\s.,()]*[-+*/^%][\d\s.,()+*/^%-]*$     # arithmetic: 2+3
""", re.VERBOSE)


class RowError(ValueError):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"column {column}: {problem}")


def read_season(path: Path) -> list[tuple[str, InterviewSpec, Path]]:
    """Parse the file into (row label, spec, base folder) triples."""
    if not path.exists() and not path.is_symlink():
        raise InputError(f"import file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path, _read(path))
    elif suffix in (".yaml", ".yml"):
        rows = _yaml_rows(path, _read(path))
    else:
        raise InputError(f"cannot import {path.name}: expected a .csv or .yaml file")
    base = path.resolve().parent
    out: list[tuple[str, InterviewSpec, Path]] = []
    problems = []
    for label, row in rows:
        try:
            out.append((label, _spec(row, base), base))
        except RowError as exc:
            problems.append(f"{label}: {exc}")
    if problems:
        raise InputError("\n".join(problems))
    return out


def _read(path: Path) -> str:
    """The season file's text; a FIFO, a device, a huge file or bytes not UTF-8 refused."""
    try:
        raw = read_bytes_file(path, SEASON_MAX_BYTES, "the largest season file publisher reads")
    except MediaError as exc:
        raise InputError(f"cannot import {path.name}: {exc}") from None
    problem = text_problem(raw)
    if problem:
        raise InputError(f"{path.name} is {problem}")
    return raw.decode("utf-8").removeprefix("\ufeff")


def formula_problem(value: str) -> str | None:
    """Why a CSV cell looks like a spreadsheet formula, or None (a leading ' quotes it)."""
    text = value.lstrip()
    if not text or text[0] not in "=+-@":
        return None
    if text[0] == "=" or _FORMULA_AFTER_SIGN.match(text[1:]):
        shown = text if len(text) <= 60 else text[:59] + "…"
        return (f"{shown!r} looks like a spreadsheet formula (it starts with {text[0]!r}); "
                "publisher does not publish formulas: export the sheet's values, or start "
                "the cell with an apostrophe (') if this is really the text")
    return None


def _starts_like_formula(value: str) -> bool:
    """A spreadsheet may run a cell starting (after blanks) with = + - or @ as a formula,
    and a leading tab or carriage return hides such a start."""
    return value[:1] in ("\t", "\r") or value.lstrip()[:1] in ("=", "+", "-", "@")


def quote_formula(value: str) -> str:
    """A CSV cell a spreadsheet could run as a formula, made plain text with a leading
    apostrophe (`publisher queue list --csv`); `queue import` takes the apostrophe off."""
    return "'" + value if _starts_like_formula(value) else value


def _unquote_formula(value: str) -> str:
    """A cell written '=… (an apostrophe, then what could be a formula) is that text."""
    if value.startswith("'") and _starts_like_formula(value[1:]):
        return value[1:]
    return value


def _norm_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _check_columns(columns: list[str], where: str) -> None:
    for col in columns:
        if _norm_key(col) not in COLUMNS:
            raise InputError(f"{where}: column {col!r} is unknown (expected some of: "
                             f"{', '.join(COLUMNS)})")


def _csv_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(text.splitlines(), dialect=dialect)
    if not reader.fieldnames:
        raise InputError(f"{path.name} is empty: expected a header row, then one row per "
                         "interview")
    _check_columns(list(reader.fieldnames), path.name)
    rows = []
    formulas: list[str] = []
    # "row N" as a spreadsheet shows it: the header is row 1 (a cell may span lines).
    for number, row in _numbered(reader, path):
        if None in row:
            raise InputError(f"{path.name}: row {number} has more values than the "
                             "header has columns")
        if not any((v or "").strip() for v in row.values()):
            continue
        cells = {_norm_key(k): v for k, v in row.items() if v is not None and v.strip() != ""}
        for key, value in cells.items():
            problem = formula_problem(value)
            if problem:
                formulas.append(f"row {number}: column {key}: {problem}")
        rows.append((f"row {number}", {k: _unquote_formula(v) for k, v in cells.items()}))
    if formulas:
        raise InputError("\n".join(formulas))
    return rows


def _numbered(reader: csv.DictReader[str], path: Path) -> list[tuple[int, dict[Any, Any]]]:
    """The data rows with their spreadsheet row number; a malformed cell names its row."""
    out: list[tuple[int, dict[Any, Any]]] = []
    try:
        for number, row in enumerate(reader, start=2):
            out.append((number, row))
    except csv.Error as exc:
        raise InputError(f"{path.name}: row {len(out) + 2} cannot be read: {exc} (no column "
                         f"holds that much: a description is at most "
                         f"{limits.DESCRIPTION_MAX_BYTES:,} bytes)"
                         if "field limit" in str(exc) else
                         f"{path.name}: row {len(out) + 2} cannot be read: {exc}") from None
    return out


def _yaml_rows(path: Path, text: str) -> list[tuple[str, dict[str, Any]]]:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"{path.name} is not valid YAML: {exc}") from None
    if isinstance(data, dict) and "interviews" in data:
        data = data["interviews"]
    if not isinstance(data, list):
        raise InputError(f"{path.name}: expected a list of interviews (or a mapping with an "
                         "'interviews' list)")
    rows = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict):
            raise InputError(f"{path.name}: interview {i} is not a mapping of columns")
        _check_columns([str(k) for k in item], f"{path.name}, interview {i}")
        rows.append((f"interview {i}", {_norm_key(str(k)): v for k, v in item.items()
                                        if v is not None}))
    return rows


def _text(row: dict[str, Any], key: str) -> str:
    return _scalar(row[key], key).strip()


def _scalar(value: Any, key: str) -> str:
    """A YAML value as text; a list or mapping is refused (never printed: YAML aliases can
    make a small file a huge nested structure)."""
    if isinstance(value, (dict, list)):
        raise RowError(key, f"expected text, found {type(value).__name__}")
    return str(value)


def _bool(row: dict[str, Any], key: str) -> bool:
    value = row[key]
    if isinstance(value, bool):
        return value
    low = str(value).strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise RowError(key, f"expected true or false, found {value!r}")


def parse_speaker(text: str) -> SpeakerSpec:
    """'Maria Rossi (ceramista)' → name and role."""
    m = _SPEAKER_RE.match(text.strip())
    assert m is not None
    return SpeakerSpec(name=m.group("name").strip(), role=(m.group("role") or "").strip() or None)


def _speakers(value: Any) -> list[SpeakerSpec]:
    if isinstance(value, str):
        return [parse_speaker(part) for part in value.split(";") if part.strip()]
    if not isinstance(value, list):
        raise RowError("speakers", "expected 'Name (role); Name (role)' or a list")
    out = []
    for item in value:
        if isinstance(item, str):
            out.append(parse_speaker(item))
        elif isinstance(item, dict) and "name" in item:
            links = item.get("links") or []
            if isinstance(links, str):
                links = [links]
            role = item.get("role")
            out.append(SpeakerSpec(_scalar(item["name"], "speakers"),
                                   None if role is None else _scalar(role, "speakers"),
                                   [_scalar(x, "speakers") for x in links]))
        else:
            raise RowError("speakers", f"expected a name or a mapping with name/role/links, "
                                       f"found {item!r}")
    return out


def _hashtags(value: Any) -> list[str]:
    """Hashtags separated by commas or semicolons, or by blanks when each starts with #
    (`#Marmo #Ceramica`). A word without # after a blank is a hashtag with a space, which
    is refused as `--hashtag` refuses it, never split into two (`#Arte Contemporanea`)."""
    if isinstance(value, list):
        return [_scalar(v, "hashtags") for v in value]
    out: list[str] = []
    for part in re.split(r"[,;]", _scalar(value, "hashtags")):
        words = part.split()
        if len(words) > 1 and not all(w.startswith(("#", "＃")) for w in words):
            joined = "".join(w.lstrip("#＃") for w in words)
            raise RowError("hashtags", f"hashtag {part.strip()!r} contains a space (write it "
                                       f"as one word, e.g. #{joined}; separate hashtags with "
                                       "commas, or start each with #)")
        out += words
    return out


def _pairs(value: Any, key: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {_scalar(k, key): _scalar(v, key) for k, v in value.items()}
    out = {}
    for part in _scalar(value, key).split(";"):
        if not part.strip():
            continue
        lang, sep, file = part.partition("=")
        if not sep or not lang.strip() or not file.strip():
            raise RowError(key, f"expected LANG=FILE entries separated by ';', found {part!r}")
        out[lang.strip()] = file.strip()
    return out


def _spec(row: dict[str, Any], base: Path) -> InterviewSpec:
    spec = InterviewSpec()
    for key in ("title", "description", "language", "playlist", "not_before", "schedule",
                "category_id", "privacy", "license", "recording_date", "recording_place"):
        if key in row:
            setattr(spec, key, _text(row, key))
    if "video" in row:
        spec.video = Path(_text(row, "video"))
    if "thumbnail" in row:
        spec.thumbnail = Path(_text(row, "thumbnail"))
    if "description_file" in row:
        if "description" in row:
            raise RowError("description_file", "give description or description_file, not both")
        desc_path = base / _text(row, "description_file")
        try:
            spec.description = read_text_file(desc_path, limits.DESCRIPTION_MAX_BYTES,
                                              "YouTube's limit for a description")
        except MediaError as exc:
            raise RowError("description_file", str(exc)) from None
    if "speakers" in row:
        spec.speakers = _speakers(row["speakers"])
    if "hashtags" in row:
        spec.hashtags = _hashtags(row["hashtags"])
    if "captions" in row:
        spec.captions = {lang: Path(p) for lang, p in _pairs(row["captions"], "captions").items()}
    if "localizations" in row:
        loc = row["localizations"]
        if not isinstance(loc, dict):
            raise RowError("localizations", "expected a mapping LANG: {title, description} "
                                            "(YAML only)")
        out = {}
        for lang, val in loc.items():
            if not isinstance(val, dict) or "title" not in val:
                raise RowError("localizations", f"{lang}: expected title and description")
            out[_scalar(lang, "localizations")] = (
                _scalar(val["title"], "localizations"),
                _scalar(val.get("description", ""), "localizations"))
        spec.localizations = out
    for key in ("made_for_kids", "synthetic_media"):
        if key in row:
            setattr(spec, key, _bool(row, key))
    if "templates" in row:
        value = row["templates"]
        if not isinstance(value, dict):
            raise RowError("templates", "expected a mapping of title/description/post to "
                                        "templates (YAML only)")
        spec.templates = {_scalar(k, "templates"): _scalar(v, "templates")
                          for k, v in value.items()}
    return spec
