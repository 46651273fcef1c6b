"""The Procrastinate App of a deployment's database, and `publisher worker`'s loop.

Running a worker needs Procrastinate's async connector (psycopg 3, with its own pool next to
our SQLAlchemy engine), even though our tasks are plain functions: each sync job runs in a
thread of the event loop's default executor, which we size to the concurrency (its default,
cores + 4, would make jobs wait for a thread).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import procrastinate
from sqlalchemy import make_url

from publisher.errors import DatabaseError
from publisher.store.db import is_sqlite, make_engine
from publisher.workers import registry
from publisher.workers.deployment import Deployment
from publisher.workers.tasks import QUEUES, TICK_CRON, make_blueprint

log = logging.getLogger(__name__)

SQLITE_HINT = ("`publisher worker` needs PostgreSQL (its jobs live there, shared by every "
               "worker); this home's database is SQLite. Run `publisher run` instead, or move "
               "the home to PostgreSQL (README, \"Beyond one machine\")")
GRACEFUL_STOP_S = 30.0  # SIGTERM: running jobs get this long, then are asked to stop


def conninfo(database_url: str) -> str:
    """A libpq URI from our SQLAlchemy URL (`postgresql+psycopg://…`)."""
    return make_url(database_url).set(drivername="postgresql").render_as_string(
        hide_password=False)


def require_postgresql(database_url: str) -> None:
    if is_sqlite(database_url):
        raise DatabaseError(SQLITE_HINT)


def build_app(database_url: str, *, tick_cron: str = TICK_CRON,
              pool_size: int = 4) -> procrastinate.App:
    require_postgresql(database_url)
    connector = procrastinate.PsycopgConnector(conninfo=conninfo(database_url),
                                               min_size=1, max_size=pool_size)
    app = procrastinate.App(connector=connector)
    app.add_tasks_from(make_blueprint(tick_cron=tick_cron), namespace="")
    return app


def worker_options(deployment: Deployment, concurrency: int, name: str,
                   **overrides: Any) -> dict[str, Any]:
    options: dict[str, Any] = {
        "queues": list(QUEUES), "concurrency": concurrency, "name": name,
        "additional_context": {"deployment": deployment}, "delete_jobs": "successful",
        "shutdown_graceful_timeout": GRACEFUL_STOP_S}
    options.update(overrides)
    return options


class StopSignals:
    """SIGTERM and Ctrl-C for the whole life of `serve`, from its first line: a stop asked
    before Procrastinate's worker runs (while the worker registers, or the pool opens) ends
    it cleanly too, its row marked stopped, where the signal's default would have killed it
    on the spot. The first signal stops the worker gracefully (running jobs get
    GRACEFUL_STOP_S: Procrastinate's stop on cancelling `run_worker_async`); the handlers
    are then given back, so a second signal ends the process at once, as with Procrastinate's
    own handlers."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.requested = False
        self._worker: asyncio.Task[Any] | None = None
        for signum in self.SIGNALS:
            loop.add_signal_handler(signum, self._stop, signum)

    def _stop(self, signum: int) -> None:
        log.info("%s: stopping the worker", signal.Signals(signum).name)
        self.requested = True
        self.uninstall()
        if self._worker is not None:
            self._worker.cancel()

    def watch(self, worker: asyncio.Task[Any]) -> None:
        self._worker = worker
        if self.requested:
            worker.cancel()

    def uninstall(self) -> None:
        for signum in self.SIGNALS:
            self._loop.remove_signal_handler(signum)


async def serve(app: procrastinate.App, deployment: Deployment, concurrency: int, *,
                name: str | None = None, **overrides: Any) -> None:
    """Run one worker until it is stopped (SIGTERM, Ctrl-C: `StopSignals`), or, with
    `wait=False`, until the queues are empty; it says it is alive in the `workers` table
    meanwhile."""
    loop = asyncio.get_running_loop()
    signals = StopSignals(loop) if overrides.get("install_signal_handlers", True) else None
    loop.set_default_executor(
        ThreadPoolExecutor(max_workers=concurrency + 2, thread_name_prefix="publisher-job"))
    name = name or registry.new_name()
    engine = make_engine(deployment.database_url)
    now = dt.datetime.now(dt.UTC)
    await asyncio.to_thread(registry.register, engine, name, concurrency, now)
    beating = asyncio.create_task(_beat(engine, name))
    try:
        if signals is None or not signals.requested:
            async with app.open_async():
                options = worker_options(deployment, concurrency, name, **overrides)
                options["install_signal_handlers"] = False  # ours, from the first line
                worker = asyncio.create_task(app.run_worker_async(**options))
                if signals is not None:
                    signals.watch(worker)
                try:
                    await worker
                except asyncio.CancelledError:
                    if signals is None or not signals.requested:
                        raise  # serve itself was cancelled
    finally:
        if signals is not None and not signals.requested:
            signals.uninstall()
        beating.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await beating
        await asyncio.to_thread(registry.stopped, engine, name, dt.datetime.now(dt.UTC))
        engine.dispose()
        deployment.close()


async def _beat(engine: Any, name: str) -> None:
    while True:
        await asyncio.sleep(registry.BEAT_EVERY_S)
        try:
            await asyncio.to_thread(registry.beat, engine, name, dt.datetime.now(dt.UTC))
        except Exception:  # a missed beat is not worth stopping the jobs for
            log.exception("the worker's heartbeat failed")


def run_worker(deployment: Deployment, concurrency: int) -> None:
    """`publisher worker`: serve until stopped."""
    app = build_app(deployment.database_url, pool_size=concurrency + 2)
    asyncio.run(serve(app, deployment, concurrency))
