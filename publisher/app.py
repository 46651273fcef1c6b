"""The application object: one home, its configuration, schedules, credentials and database,
each loaded on first use, and the runtime a real run gets from them.

The CLI, the daemon's chores and (later) the web console all build one; the service
functions (publisher/services/) take it and return data. Everything is imported lazily:
`publisher --help` builds an App and must stay fast."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cached_property
from typing import TYPE_CHECKING, Any

from publisher.home import Home

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session

    from publisher.config import Config
    from publisher.credentials import Credentials
    from publisher.pipeline.runtime import Runtime
    from publisher.queue import Context
    from publisher.schedules import Schedule
    from publisher.services.programmes import Found
    from publisher.services.times import Zone, Zones


class App:
    def __init__(self, home: Home, actor: str = "cli", *, engine: Engine | None = None
                 ) -> None:
        """`engine`: one shared with other Apps of the same database (a worker's programmes),
        which this App then neither makes nor disposes."""
        self.home = home
        self.actor = actor
        self._owns_engine = engine is None
        if engine is not None:
            self.__dict__["engine"] = engine

    @cached_property
    def config(self) -> Config:
        from publisher.config import ensure_exists, load_config

        ensure_exists(self.home.config_file)
        return load_config(self.home.config_file)

    @cached_property
    def raw_config(self) -> dict[str, Any]:
        """publisher.toml parsed but not validated: cheap (tomllib), and enough to notice a
        syntax error or read the campaign's default schedule."""
        from publisher.filecheck import load_toml

        if not self.home.config_file.is_file():
            from publisher.config import ensure_exists  # its message; not imported otherwise

            ensure_exists(self.home.config_file)
        return load_toml(self.home.config_file)

    @cached_property
    def zones(self) -> Zones:
        """The time zones dates are shown in (publisher/services/times.py)."""
        from publisher.services.times import load_zones

        return load_zones(self.home, self.raw_config)

    @property
    def zone(self) -> Zone:
        """The campaign's time zone: every date and time an organizer sees is in it."""
        return self.zones.campaign

    @cached_property
    def schedules(self) -> dict[str, Schedule]:
        from publisher.schedules import load_schedules

        return load_schedules(self.home.schedules_dir)

    @cached_property
    def engine(self) -> Engine:
        from publisher.store.db import make_engine

        return make_engine(self.home.database_url)

    @cached_property
    def programme_name(self) -> str:
        """The programme this home runs: publisher.toml's `programme` (default "default")."""
        from publisher.config import programme_name

        return programme_name(self.raw_config, self.home.config_file)

    @cached_property
    def programme(self) -> Found:
        """This home's programme in the database (its id, whether it is paused); an error
        naming `publisher programmes add` when the database does not know it."""
        from publisher.services.programmes import require

        self.check_ready(needs_config=False)  # a home, and a database at this schema
        return require(self.engine, self.programme_name, str(self.home.path))

    @property
    def programme_id(self) -> int:
        """Every session of this App sees and changes only this programme's rows."""
        return self.programme.id

    def queue_context(self) -> Context:
        from publisher.platform_limits import StoredLimits
        from publisher.queue import Context

        return Context(config=self.config, schedules=self.schedules, actor=self.actor,
                       limits=StoredLimits(self.engine, lambda: self.programme_id))

    def check_ready(self, *, needs_config: bool = True) -> None:
        """A home with a valid configuration and a database at this version's schema.

        Read-only listings skip validating the configuration (it costs a tenth of a second
        of imports) but still require the home to exist and its publisher.toml to parse.
        """
        from publisher.store.db import check_schema

        if needs_config:
            _ = self.config
            _ = self.schedules
        else:
            _ = self.raw_config
        check_schema(self.engine)

    @contextmanager
    def transaction(self, *, needs_config: bool = True) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        from publisher.store.db import transaction

        self.check_ready(needs_config=needs_config)
        with transaction(self.engine, self.programme_id) as session:
            yield session

    @contextmanager
    def reading(self, *, needs_config: bool = False) -> Iterator[Connection]:
        """One transaction for reads through SQLAlchemy Core (publisher/store/light.py), no
        ORM: for listings that must start fast. Needs only the database by default. No hook
        scopes Core: every query here names `programme_id = app.programme_id` itself."""
        self.check_ready(needs_config=needs_config)
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @cached_property
    def credentials(self) -> Credentials:
        from publisher.credentials import load_credentials

        return load_credentials(self.home.credentials_file)

    def runtime(self, kind: str = "cli", *, actor: str | None = None) -> Runtime:
        """Everything a pipeline step needs, for a worker named after `kind` (`actor`: the
        person the journal names instead, e.g. `web:anna`): a real run, which refuses
        endpoints that point at a running sandbox (publisher/guard.py)."""
        from publisher.guard import protect_real_mode
        from publisher.leases import new_owner
        from publisher.pipeline.runtime import Runtime, endpoints_in_use
        from publisher.progress import for_terminal

        self.check_ready()
        protect_real_mode(endpoints_in_use(self.config, self.credentials))
        return Runtime(home=self.home, config=self.config, credentials=self.credentials,
                       schedules=self.schedules, engine=self.engine, owner=new_owner(kind),
                       programme_id=self.programme_id, progress=for_terminal(),
                       acting_for=actor)

    def close(self) -> None:
        if "engine" in self.__dict__ and self._owns_engine:
            self.engine.dispose()
