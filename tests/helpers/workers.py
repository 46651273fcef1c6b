"""Programmes on one PostgreSQL database served in process by the real worker code path: the
tick, the plans and the steps run by Procrastinate's `run_worker_async(wait=False)` (which
drains the queues and returns), on a controlled clock, with a record of every step performed
in the order the worker took it."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text

from publisher.home import Home
from publisher.pipeline.run_due import Action, Work
from publisher.pipeline.runtime import Runtime
from publisher.store.db import make_engine
from publisher.store.models import Interview
from publisher.workers import tasks
from publisher.workers.app import build_app
from publisher.workers.deployment import Deployment
from tests.conftest import HomeFixture, invoke
from tests.helpers.clock import Clock
from tests.helpers.scoped import Session

NEVER = "0 0 1 1 *"  # the tests defer ticks themselves: no periodic one at the real time


def programme_home(tmp_path: Path, db_url: str, name: str) -> HomeFixture:
    """A home of its own programme `name` on the database (registered: `programmes add`)."""
    path = tmp_path / name
    result = invoke("--db", db_url, "init", str(path))
    assert result.exit_code == 0, result.output
    home = HomeFixture(path, db_url)
    toml = path / "publisher.toml"
    toml.write_text(f'programme = "{name}"\n' + toml.read_text())
    home.ok("programmes", "add")
    return home


def programme_id(db_url: str, name: str) -> int:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT id FROM programmes WHERE name = :n"),
                                    {"n": name}).scalar_one())
    finally:
        engine.dispose()


def interviews(home: HomeFixture) -> list[Interview]:
    """The interviews of the home's programme (named after its folder: `programme_home`),
    in id order, detached."""
    pid = programme_id(home.db_url, home.path.name)
    engine = make_engine(home.db_url)
    with Session(engine, programme_id=pid) as s:
        rows = list(s.scalars(select(Interview).order_by(Interview.id)))
        s.expunge_all()
    engine.dispose()
    return rows


class Performed:
    """Every piece of work a step performed, in order: (programme id, kind, interview id)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.steps: list[tuple[int, str, int | None]] = []
        real = tasks.perform

        def recording(rt: Runtime, work: Work, now: dt.datetime, **kw: Any) -> list[Action]:
            self.steps.append((rt.programme_id, work.kind.value, work.interview_id))
            return real(rt, work, now, **kw)

        monkeypatch.setattr(tasks, "perform", recording)

    def of(self, programme: int, kind: str | None = None) -> list[tuple[int, str, int | None]]:
        return [s for s in self.steps if s[0] == programme and kind in (None, s[1])]


class WorkerHarness:
    """The worker's Deployment started from `home` (it serves every active programme of the
    database), on the test's clock, and the Procrastinate App."""

    def __init__(self, home: HomeFixture, clock: Clock) -> None:
        def prepare(rt: Runtime) -> None:
            rt.clock = clock
            rt.sleep = lambda s: None

        self.home = home
        self.deployment = Deployment(Home.resolve(home.path, home.db_url), prepare=prepare)
        self.app = build_app(home.db_url, tick_cron=NEVER)
        self.engine = make_engine(home.db_url)

    def jobs(self, where: str = "true") -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(text(
                f"SELECT id, task_name, status, queueing_lock, priority, scheduled_at, args "
                f"FROM procrastinate_jobs WHERE {where} ORDER BY id"))]

    async def drain(self, *, concurrency: int = 1) -> None:
        """Run one worker until nothing waits that is due (jobs defer more jobs: again)."""
        for _ in range(10):
            await self.app.run_worker_async(
                queues=list(tasks.QUEUES), concurrency=concurrency, wait=False,
                listen_notify=False, install_signal_handlers=False, delete_jobs="successful",
                additional_context={"deployment": self.deployment})
            if not self.jobs("status = 'todo' AND (scheduled_at IS NULL "
                             "OR scheduled_at <= now())"):
                return
        raise AssertionError(f"jobs keep coming: {self.jobs()}")

    async def tick(self) -> None:
        await self.app.configure_task(tasks.TICK, queueing_lock="tick").defer_async(
            timestamp=0)

    async def tick_and_drain(self) -> None:
        await self.tick()
        await self.drain()

    def run(self, *steps: Callable[[], Awaitable[None]]) -> None:
        async def main() -> None:
            async with self.app.open_async():
                for step in steps:
                    await step()

        asyncio.run(main())

    def close(self) -> None:
        self.deployment.close()
        self.engine.dispose()
