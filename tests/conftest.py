"""Shared fixtures: the database backends (a real SQLite file and a real PostgreSQL server),
an initialised home, a CLI runner that goes through the real entry point, sample media."""

from __future__ import annotations

import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, create_engine, select

from publisher.cli import main
from publisher.samples import SAMPLE_SRT, SAMPLE_VTT, make_png, make_video
from tests.helpers.home_template import HomeTemplate, create_pg_database, make_pg_template
from tests.helpers.marks import QUICK_MODULES, quick_modules
from tests.helpers.quick_loop import spread_quick_loop
from tests.pg_server import PostgresUnavailable, TempPostgres

# The hundreds of child processes the tests start (the CLI, daemons, workers, the console,
# the crash harness) may keep their compiled bytecode: with PYTHONDONTWRITEBYTECODE set in
# the environment each of them compiled publisher again, about a quarter second apiece.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> None:
    """`pytest -m "not slow"` spreads over the cores (tests/helpers/quick_loop.py)."""
    spread_quick_loop(config)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Before `-m` and `-k` deselect: note which modules the quick loop keeps a test of, so
    that tests/test_layout.py need not collect the suite again when this run collected it."""
    config.stash[QUICK_MODULES] = quick_modules(items, Path(__file__).resolve().parents[1])


@pytest.fixture(autouse=True)
def sql_guard() -> Iterator[Any]:
    """Every statement publisher sends that names a programme's table names its programme_id
    too (tests/helpers/sql_guard.py): an escape from the scoping fails the test."""
    from tests.helpers.sql_guard import SqlGuard

    with SqlGuard() as guard:
        yield guard
    assert not guard.violations, "unscoped SQL:\n" + "\n".join(guard.violations[:5])


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of the maintenance database of a PostgreSQL server for this test session."""
    external = os.environ.get("PUBLISHER_TEST_POSTGRES_URL")
    if external:
        yield external
        return
    try:
        server = TempPostgres()
        url = server.start()
    except PostgresUnavailable as exc:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")
    try:
        yield url
    finally:
        server.stop()


@pytest.fixture(scope="session")
def home_template(tmp_path_factory: pytest.TempPathFactory) -> HomeTemplate:
    """A home made by `publisher init` once for the session; the home fixtures copy it."""
    return HomeTemplate(tmp_path_factory.mktemp("home-template"))


@pytest.fixture(scope="session")
def pg_template(postgres_server: str, tmp_path_factory: pytest.TempPathFactory
                ) -> Iterator[str]:
    """The name of a database `publisher init` migrated once for the session, which each
    PostgreSQL home's database is copied from."""
    name, drop = make_pg_template(postgres_server, tmp_path_factory.mktemp("pg-template"))
    try:
        yield name
    finally:
        drop()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    """The database a test runs on: each test that asks for one runs on both."""
    return str(request.param)


@pytest.fixture
def db_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The same test against a real SQLite file and a real PostgreSQL database: an empty one,
    or the home's when the test has a `home` too."""
    if "home" in request.fixturenames:
        yield request.getfixturevalue("home").db_url
        return
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'publisher.db'}"
        return
    url, drop = create_pg_database(request.getfixturevalue("postgres_server"))
    try:
        yield url
    finally:
        drop()


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the real `publisher` entry point in-process, capturing its streams and exit code."""
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return Result(code, out.getvalue().decode(), err.getvalue().decode())


@dataclass
class HomeFixture:
    path: Path
    db_url: str
    env: dict[str, str] = field(default_factory=dict)

    def run(self, *args: Any, input: str | None = None) -> Result:
        return invoke("--home", str(self.path), "--db", self.db_url, *map(str, args),
                      input=input, env=self.env)

    def ok(self, *args: Any, input: str | None = None) -> Result:
        result = self.run(*args, input=input)
        assert result.exit_code == 0, result.output
        return result

    def snapshot(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table: a bad command must leave this exactly as it was."""
        engine = create_engine(self.db_url)
        meta = MetaData()
        meta.reflect(engine)
        out = {}
        with engine.connect() as conn:
            for name, table in sorted(meta.tables.items()):
                order = list(table.primary_key.columns) or list(table.columns)
                out[name] = [tuple(r) for r in conn.execute(select(table).order_by(*order))]
        engine.dispose()
        return out


@pytest.fixture
def home(tmp_path: Path, backend: str, home_template: HomeTemplate,
         request: pytest.FixtureRequest) -> Iterator[HomeFixture]:
    """A home made by `publisher --db URL init`, on each database backend (a copy of the
    session's: tests/helpers/home_template.py)."""
    path = tmp_path / "home"
    if backend == "sqlite":
        url = home_template.sqlite_home_with_database(path, tmp_path / "publisher.db")
        yield HomeFixture(path, url)
        return
    home_template.copy_folder(path, with_database=False)
    url, drop = create_pg_database(request.getfixturevalue("postgres_server"),
                                   template=request.getfixturevalue("pg_template"))
    try:
        yield HomeFixture(path, url)
    finally:
        drop()


@pytest.fixture
def pg_database(postgres_server: str) -> Iterator[str]:
    """An empty database of its own on the session's PostgreSQL server (PostgreSQL only:
    the workers, the load and kill tests)."""
    url, drop = create_pg_database(postgres_server)
    try:
        yield url
    finally:
        drop()


@pytest.fixture
def pg_home(tmp_path: Path, postgres_server: str, pg_template: str,
            home_template: HomeTemplate) -> Iterator[HomeFixture]:
    """A home on PostgreSQL only (a copy of what `publisher init` makes)."""
    url, drop = create_pg_database(postgres_server, template=pg_template)
    path = tmp_path / "home"
    home_template.copy_folder(path, with_database=False)
    try:
        yield HomeFixture(path, url)
    finally:
        drop()


@pytest.fixture
def sqlite_home(tmp_path: Path, home_template: HomeTemplate) -> HomeFixture:
    """A home on SQLite only, for tests about files and text rather than the database (a copy
    of what `publisher init` makes)."""
    path = tmp_path / "home"
    return HomeFixture(path, home_template.sqlite_home(path))


class Media:
    """Makes sample files in a folder; every video has distinct content unless asked."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self._seed = itertools.count(1)

    def video(self, name: str = "", **kwargs: Any) -> Path:
        seed = kwargs.pop("seed", next(self._seed))
        path = self.folder / (name or f"interview-{seed}.mp4")
        return make_video(path, seed=seed, **kwargs)

    def png(self, name: str = "thumb.png") -> Path:
        return make_png(self.folder / name)

    def srt(self, name: str = "subs.it.srt") -> Path:
        path = self.folder / name
        path.write_text(SAMPLE_SRT, encoding="utf-8")
        return path

    def vtt(self, name: str = "subs.en.vtt") -> Path:
        path = self.folder / name
        path.write_text(SAMPLE_VTT, encoding="utf-8")
        return path

    def file(self, name: str, data: bytes | str) -> Path:
        path = self.folder / name
        if isinstance(data, str):
            path.write_text(data, encoding="utf-8")
        else:
            path.write_bytes(data)
        return path


@pytest.fixture
def media(tmp_path: Path) -> Media:
    return Media(tmp_path / "media")


@pytest.fixture
def one(sqlite_home: HomeFixture, media: Media) -> HomeFixture:
    """A SQLite home with one interview queued."""
    sqlite_home.ok(*add_args(media.video()))
    return sqlite_home


def add_args(video: Path, title: str = "Maria Rossi nel suo studio", *extra: Any) -> list[Any]:
    """Arguments of a valid `queue add`, to which a test adds or changes one thing."""
    return ["queue", "add", video, "--title", title, "--speaker", "Maria Rossi",
            "--role", "ceramista", *extra]
