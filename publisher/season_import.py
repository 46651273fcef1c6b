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
from publisher.queue import InterviewSpec, SpeakerSpec

COLUMNS = ("video", "title", "speakers", "description", "description_file", "hashtags",
           "thumbnail", "captions", "localizations", "language", "playlist", "not_before",
           "schedule", "category_id", "privacy", "made_for_kids", "synthetic_media", "license",
           "recording_date", "recording_place", "templates")
_SPEAKER_RE = re.compile(r"^(?P<name>.*?)\s*(?:\((?P<role>[^()]*)\))?\s*$")
_TRUE = {"true", "yes", "1", "sì", "si", "y"}
_FALSE = {"false", "no", "0", "n", ""}


class RowError(ValueError):
    def __init__(self, column: str, problem: str) -> None:
        super().__init__(f"column {column}: {problem}")


def read_season(path: Path) -> list[tuple[str, InterviewSpec, Path]]:
    """Parse the file into (row label, spec, base folder) triples."""
    if not path.is_file():
        raise InputError(f"import file not found: {path}")
    suffix = path.suffix.lower()
    if suffix == ".csv":
        rows = _csv_rows(path)
    elif suffix in (".yaml", ".yml"):
        rows = _yaml_rows(path)
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


def _norm_key(key: str) -> str:
    return key.strip().lower().replace("-", "_").replace(" ", "_")


def _check_columns(columns: list[str], where: str) -> None:
    for col in columns:
        if _norm_key(col) not in COLUMNS:
            raise InputError(f"{where}: column {col!r} is unknown (expected some of: "
                             f"{', '.join(COLUMNS)})")


def _csv_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text; save it as UTF-8 CSV") from None
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
    # "row N" as a spreadsheet shows it: the header is row 1 (a cell may span lines).
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise InputError(f"{path.name}: row {number} has more values than the "
                             "header has columns")
        if not any((v or "").strip() for v in row.values()):
            continue
        rows.append((f"row {number}", {_norm_key(k): v for k, v in row.items()
                                                 if v is not None and v.strip() != ""}))
    return rows


def _yaml_rows(path: Path) -> list[tuple[str, dict[str, Any]]]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{path.name} is not UTF-8 text") from None
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
    value = row[key]
    if isinstance(value, (dict, list)):
        raise RowError(key, f"expected text, found {type(value).__name__}")
    return str(value).strip()


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
            out.append(SpeakerSpec(str(item["name"]), item.get("role"), [str(x) for x in links]))
        else:
            raise RowError("speakers", f"expected a name or a mapping with name/role/links, "
                                       f"found {item!r}")
    return out


def _hashtags(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [p for p in re.split(r"[,\s]+", str(value)) if p]


def _pairs(value: Any, key: str) -> dict[str, str]:
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    out = {}
    for part in str(value).split(";"):
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
            spec.description = desc_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise RowError("description_file", f"cannot read {desc_path}: {exc}") from None
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
            out[str(lang)] = (str(val["title"]), str(val.get("description", "")))
        spec.localizations = out
    for key in ("made_for_kids", "synthetic_media"):
        if key in row:
            setattr(spec, key, _bool(row, key))
    if "templates" in row:
        value = row["templates"]
        if not isinstance(value, dict):
            raise RowError("templates", "expected a mapping of title/description/post to "
                                        "templates (YAML only)")
        spec.templates = {str(k): str(v) for k, v in value.items()}
    return spec
