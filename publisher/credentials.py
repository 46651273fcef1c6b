"""credentials.json: every secret the product uses, its shape validated at load.

Secrets are never printed: `redacted()` is the only view of them meant for people.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from publisher.filecheck import Section, load_json_object

NOTIFICATIONS = "notifications"  # apprise URLs: a section of its own, not a platform


def schema() -> dict[str, dict[str, bool]]:
    """section -> {key: is_secret}, from the platforms' specs. Keys starting with "_" are
    comments and ignored."""
    from publisher.platforms.spec import all_specs

    out = {s.name: {k.name: k.secret for k in s.credentials} for s in all_specs()}
    out[NOTIFICATIONS] = {"urls": True}
    return out


FILE_MODE = 0o600


@dataclass(frozen=True)
class Credentials:
    path: Path
    sections: dict[str, dict[str, Any]]

    def section(self, name: str) -> dict[str, Any]:
        return self.sections.get(name, {})

    def missing(self, platform: str) -> tuple[str, ...]:
        """The platform's required keys that are empty or still a placeholder."""
        from publisher.platforms.spec import get

        return get(platform).missing(self.section(platform))

    def configured(self, platform: str) -> bool:
        """Whether every required key of the platform is filled in (the example's
        placeholders are not): the one definition of "configured"."""
        return not self.missing(platform)

    def redacted(self) -> dict[str, dict[str, Any]]:
        """A copy safe to show: every secret value replaced by '***' (or '' when unset)."""
        known = schema()
        out: dict[str, dict[str, Any]] = {}
        for name, values in self.sections.items():
            out[name] = {k: ("***" if known[name].get(k) and v else v) for k, v in values.items()}
        return out


EXAMPLE_HOSTS = ("example.com", "example.org", "example.net")


@lru_cache(maxsize=1)
def example_values() -> frozenset[str]:
    """Every value in credentials.example.json: left as they are, they mean "not set"."""
    from publisher.resources import resource

    try:
        doc = json.loads(resource("credentials.example.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return frozenset()
    values: set[str] = set()
    for name, section in doc.items():
        if name.startswith("_") or not isinstance(section, dict) or name == "youtube":
            continue  # youtube's are file names, good as they are
        for key, value in section.items():
            if not key.startswith("_"):
                values.update(v.strip() for v in (value if isinstance(value, list) else [value])
                              if isinstance(v, str))
    return frozenset(values)


def is_placeholder(value: object) -> bool:
    """Empty, or a placeholder like the example file's ("YOUR-…", "xxxx-xxxx", "000000…",
    "123456789:YOUR-…", an address at example.com or *.example): not configured."""
    if not isinstance(value, str) or not value.strip():
        return True
    text = value.strip()
    if text in example_values() or "YOUR-" in text.upper() or "YOUR_" in text.upper():
        return True
    if re.fullmatch(r"[xX]+(?:-[xX]+)*", text) or re.fullmatch(r"0{6,}", text):
        return True
    if "://" in text:
        host = (urlsplit(text).hostname or "").lower()
    elif "." in text and " " not in text:
        host = text.lstrip("@").rsplit("@", 1)[-1].lower()
    else:
        return False
    return (host == "example" or host.endswith(".example") or host in EXAMPLE_HOSTS
            or host.endswith(tuple("." + h for h in EXAMPLE_HOSTS)))


def load_credentials(path: Path) -> Credentials:
    """Load credentials.json; a missing file means no platform is configured yet."""
    if not path.exists():
        return Credentials(path=path, sections={})
    doc = Section(path, load_json_object(path))
    known = schema()
    doc.reject_unknown(set(known), ignore_underscore=True)
    sections: dict[str, dict[str, Any]] = {}
    for name, keys in known.items():
        if not doc.has(name):
            continue
        sec = doc.table(name)
        sec.reject_unknown(set(keys), ignore_underscore=True)
        values: dict[str, Any] = {}
        for key in keys:
            if key == "urls":
                values[key] = sec.text_list(key)
            elif sec.has(key):
                values[key] = sec.text(key, allow_empty=True)
        sections[name] = values
    return Credentials(path=path, sections=sections)


def write_private(path: Path, data: bytes) -> None:
    """Write a secrets file atomically with mode 0600 (never world- or group-readable)."""
    # A name of its own: two processes refreshing one token at once must not share a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            os.fchmod(fd, FILE_MODE)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
