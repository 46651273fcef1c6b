"""`run --sandbox` / `run-due --sandbox`: the real pipeline on a copy of the queue, against
the in-process sandbox, with the sandbox's own credentials.

The sandbox's platforms live as long as the process, so each sandbox run starts from a fresh
copy of the real queue in `<home>/sandbox/publisher.db` (SQLite, whatever the real database
is). Interviews already in flight on the real platforms (staging, staged, released) have
nothing on the sandbox's platforms, so in the copy they go back to the queue, keeping their
committed slot. The real database, credentials and platforms are never touched: the copy is
made in a read-only transaction, and the process is walled off from everything but loopback
(publisher/guard.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.pipeline.runtime import Runtime

BANNER = "SANDBOX"
log = logging.getLogger(__name__)


def copy_queue(source_url: str, target_url: str, programme_id: int, programme_name: str
               ) -> int:
    """A fresh copy of the programme's rows of the real database into the sandbox's (where
    it is the only programme, with its name); returns the number of interviews copied.
    In-flight interviews go back to the queue in the copy."""
    from sqlalchemy import delete, func, insert, select, update

    from publisher.pipeline.authorisation import KEY as AUTHORISATION_KEY
    from publisher.services.daemon_claim import KEY as DAEMON_KEY
    from publisher.store.db import make_engine
    from publisher.store.migrate import upgrade
    from publisher.store.models import (
        Base,
        Interview,
        Programme,
        Publication,
        RuntimeState,
        State,
    )

    target_path = Path(target_url.removeprefix("sqlite:///"))
    target_path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target_path}{suffix}").unlink(missing_ok=True)
    source, target = make_engine(source_url), make_engine(target_url)
    try:
        upgrade(target)
        # The copy is a database of its own: Core statements, which the ORM's programme
        # scoping does not see, so each names the programme itself.
        with source.connect() as src, target.begin() as dst:
            copy_id = dst.execute(select(Programme.id)).scalar_one()  # the migration's one
            dst.execute(update(Programme).where(Programme.id == copy_id)
                        .values(name=programme_name))
            for table in Base.metadata.sorted_tables:
                if table.name in (Programme.__tablename__, "change_counter"):  # the copy's own
                    continue
                if table.name == "workers":  # the real ones: a rehearsal daemon runs alone
                    continue
                query = select(table)
                if "programme_id" in table.c:
                    query = query.where(table.c.programme_id == programme_id)
                rows = [dict(r) for r in src.execute(query).mappings()]
                if "programme_id" in table.c:
                    rows = [{**r, "programme_id": copy_id} for r in rows]
                if rows:
                    dst.execute(insert(table), rows)
            in_flight = [State.STAGING.value, State.STAGED.value, State.RELEASED.value]
            moved = select(Interview.id).where(Interview.programme_id == copy_id,
                                               Interview.state.in_(in_flight))
            dst.execute(delete(Publication).where(Publication.programme_id == copy_id,
                                                  Publication.interview_id.in_(moved)))
            dst.execute(update(Interview).where(Interview.programme_id == copy_id,
                                                Interview.state.in_(in_flight))
                        .values(state=State.QUEUED.value))
            dst.execute(update(Interview).where(Interview.programme_id == copy_id)
                        .values(lease_owner=None, lease_expires_at=None))
            # The real daemon's claim and the real home's wait for an authorisation are not
            # the rehearsal's: it runs beside the real daemon, on a fake YouTube.
            dst.execute(delete(RuntimeState).where(
                RuntimeState.programme_id == copy_id,
                RuntimeState.key.in_([DAEMON_KEY, AUTHORISATION_KEY])))
            count = int(dst.scalar(select(func.count()).select_from(Interview)
                                   .where(Interview.programme_id == copy_id)) or 0)
    finally:
        source.dispose()
        target.dispose()
    return count


class BannerFormatter(logging.Formatter):
    """Every log line of a sandbox run starts with [SANDBOX], continuation lines too."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        return "\n".join(f"[{BANNER}] {line}"
                         for line in self.inner.format(record).splitlines())


def banner_logging() -> None:
    for handler in logging.getLogger().handlers:
        if not isinstance(handler.formatter, BannerFormatter):
            handler.setFormatter(BannerFormatter(handler.formatter))


@contextlib.contextmanager
def sandbox_runtime(app: App, kind: str, *, clock: Callable[[], dt.datetime] | None = None,
                    echo: Callable[[str], None] = print) -> Iterator[Runtime]:
    """A Runtime on the sandbox copy of the queue, with every platform in this process."""
    from publisher.credentials import Credentials
    from publisher.guard import registered, sandbox_mode
    from publisher.home import Home, sandbox_database_url, sandbox_home_path
    from publisher.leases import new_owner
    from publisher.pipeline.runtime import Runtime
    from publisher.progress import for_terminal
    from publisher.sandbox.platforms import SandboxPlatforms, environment
    from publisher.services.programmes import require
    from publisher.store.db import make_engine

    app.check_ready()
    box_home = Home(path=sandbox_home_path(app.home.path),
                    database_url=sandbox_database_url(app.home.path))
    copied = copy_queue(app.home.database_url, box_home.database_url, app.programme_id,
                        app.programme_name)
    with SandboxPlatforms(clock=clock) as platforms, registered(platforms.ports), \
            environment(platforms.endpoints()), sandbox_mode():
        creds = Credentials(path=box_home.path / "credentials.json",
                            sections=platforms.credentials(box_home.path))
        engine = make_engine(box_home.database_url)
        box_programme = require(engine, app.programme_name, str(box_home.path))
        echo(f"[{BANNER}] rehearsal: {copied} interview(s) copied from the real queue into "
             f"{box_home.path / 'publisher.db'}; every platform is a loopback fake in this "
             "process; nothing real is read or written.")
        for name, root in platforms.endpoints().items():
            echo(f"[{BANNER}]   {name}={root}")
        try:
            yield Runtime(home=box_home, config=app.config, credentials=creds,
                          schedules=app.schedules, engine=engine,
                          owner=new_owner(f"sandbox-{kind}"), programme_id=box_programme.id,
                          progress=for_terminal(),
                          sandbox=True)
        finally:
            engine.dispose()
