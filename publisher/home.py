"""Where an instance lives: its home folder, its files and its database URL."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

CONFIG_FILE = "publisher.toml"
CREDENTIALS_FILE = "credentials.json"
SCHEDULES_DIR = "schedules"
DEFAULT_DB_FILE = "publisher.db"
SANDBOX_DIR = "sandbox"  # the rehearsal copy of the queue (`run --sandbox`), inside the home

ENV_HOME = "PUBLISHER_HOME"
ENV_DATABASE_URL = "PUBLISHER_DATABASE_URL"


@dataclass(frozen=True)
class Home:
    """The folder of one instance: publisher.toml, credentials.json, schedules/ and the database."""

    path: Path
    database_url: str
    database_url_given: bool = False  # --db or the environment named one

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None, db_url: str | None) -> Home:
        """Pick the home and database from the options, then the environment, then defaults.

        Default home: the current folder, or the nearest folder above it that is a home (as
        git finds its repository), so a command run in `media/` inside a home works on that
        home. Default database: SQLite `publisher.db` in the home.
        """
        raw_home = home if home is not None else os.environ.get(ENV_HOME) or None
        if raw_home is None:
            path = find_home(Path.cwd()) or Path.cwd()
        else:
            path = Path(raw_home).expanduser().resolve()
        given = db_url or os.environ.get(ENV_DATABASE_URL)
        url = given or sqlite_url(path / DEFAULT_DB_FILE)
        return cls(path=path, database_url=normalize_database_url(url),
                   database_url_given=bool(given))

    @property
    def config_file(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def credentials_file(self) -> Path:
        return self.path / CREDENTIALS_FILE

    @property
    def schedules_dir(self) -> Path:
        return self.path / SCHEDULES_DIR

    def is_initialized(self) -> bool:
        return self.config_file.is_file()


def find_home(start: Path) -> Path | None:
    """The nearest of `start` and the folders above it that holds a publisher.toml."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    return None


def not_a_home_hint(folder: Path) -> str:
    """What to do when `folder` is no home: point at the existing one, or make one."""
    return (f"{folder} is not a publisher home. If you have one, run the command inside it "
            f"(or in a folder within it), or name it: `publisher --home DIR …`, or "
            f"`export {ENV_HOME}=DIR` once in this shell. To make a new home: "
            "`publisher init DIR`")


#: The `_about` of a home's own credentials.json (the example's says "Copy to …").
CREDENTIALS_ABOUT = (
    "This home's accounts: fill in what you use (`publisher auth status` shows what is set "
    "up). Leave a platform out, or its values empty, to not use it. Paths are relative to "
    "the home folder. Written by publisher init with mode 0600: keep it private and never "
    "commit it.")


def starting_credentials(example: bytes) -> bytes:
    """The credentials.json a new home starts with: the example, with its own `_about`."""
    import json

    data = json.loads(example)
    if isinstance(data, dict) and "_about" in data:
        data["_about"] = CREDENTIALS_ABOUT
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode()


def sandbox_home_path(home_path: Path) -> Path:
    """The folder of the home's rehearsal copy (publisher/sandbox/run.py makes it)."""
    return home_path / SANDBOX_DIR


def sandbox_database_url(home_path: Path) -> str:
    """The rehearsal copy's database: SQLite in its folder, whatever the real one is."""
    return sqlite_url(sandbox_home_path(home_path) / DEFAULT_DB_FILE)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def normalize_database_url(url: str) -> str:
    """Accept the URLs people write and give SQLAlchemy the driver we ship.

    `postgresql://` and `postgres://` mean psycopg 3 (psycopg2 is not a dependency).
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def redact_database_url(url: str) -> str:
    """The URL with any password replaced by ***, for messages and logs."""
    scheme, sep, rest = url.partition("://")
    if not sep or "@" not in rest:
        return url
    creds, _, host = rest.rpartition("@")
    if ":" in creds:
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url
