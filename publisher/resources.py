"""Files shipped with publisher: the commented publisher.toml, the example schedule and
credentials.example.json. In a source checkout the last two live at the project's top level;
a wheel carries copies inside the package."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource(name: str) -> Path:
    """Path of a shipped file, e.g. 'publisher.toml' or 'schedules/studi-aperti.toml'."""
    for candidate in (_PACKAGE / "resources" / name, _PACKAGE.parent / name):
        if candidate.exists():
            return candidate
    raise FileNotFoundError(f"{name} is missing from this installation of publisher")
