"""The programmes a worker serves, and the Runtime each job of theirs gets.

A worker serves every active programme of its database (`publisher programmes`), each from
its own home (`programmes.home_path`: configuration, credentials, schedules); the home the
worker was started with serves its own programme even before `programmes add` named its path.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from publisher.app import App
from publisher.home import Home

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from publisher.pipeline.runtime import Runtime

class Deployment:
    """The programmes of one database, as a worker serves them."""

    def __init__(self, home: Home, *,
                 prepare: Callable[[Runtime], None] | None = None) -> None:
        self.home = home
        self.database_url = home.database_url
        self._prepare = prepare  # tests: a controlled clock, the loopback platforms
        self._apps: dict[int, App] = {}
        self._own_app: App | None = None
        self._lock = threading.Lock()  # jobs run in threads; an App loads itself once

    def programme_ids(self) -> list[int]:
        """The programmes to plan at each tick: the active ones that have a home."""
        from sqlalchemy import or_, select

        from publisher.store.models import Programme, ProgrammeState

        own = self._own_programme()
        with self._engine().connect() as conn:
            return list(conn.scalars(
                select(Programme.id).where(
                    Programme.state == ProgrammeState.ACTIVE.value,
                    or_(Programme.home_path.is_not(None), Programme.id == own))
                .order_by(Programme.id)))

    def home_of(self, programme_id: int) -> Home:
        from sqlalchemy import select

        from publisher.store.models import Programme

        if programme_id == self._own_programme():
            return self.home
        with self._engine().connect() as conn:
            path = conn.scalar(select(Programme.home_path).where(Programme.id == programme_id))
        if path is None:
            raise LookupError(f"this worker serves no programme {programme_id}")
        from pathlib import Path

        return Home(path=Path(path), database_url=self.database_url, database_url_given=True)

    def _own_programme(self) -> int:
        with self._lock:
            app = self._own_app
            if app is None:
                app = self._own_app = App(self.home, actor="worker")
        return app.programme_id

    def _engine(self) -> Engine:
        self._own_programme()
        assert self._own_app is not None
        return self._own_app.engine

    def runtime(self, programme_id: int) -> Runtime:
        """A fresh Runtime for one job: its own lease owner (worker:host:pid:…) and its own
        YouTube client (httplib2 is not thread-safe); the App (configuration, schedules,
        credentials, engine) is shared by the jobs of a programme."""
        with self._lock:
            app = self._apps.get(programme_id)
        if app is None:
            made = App(self.home_of(programme_id), actor="worker")
            # One pool for the worker, not one per programme: each App's own engine kept its
            # connections open, and a worker serving a few hundred programmes exhausted the
            # server's max_connections (benchmarks/programmes.py).
            made.engine = self._engine()
            with self._lock:
                app = self._apps.setdefault(programme_id, made)
        with self._lock:
            rt = app.runtime("worker")
        if self._prepare is not None:
            self._prepare(rt)
        return rt

    def close(self) -> None:
        for app in self._apps.values():
            app.close()
        self._apps.clear()
        if self._own_app is not None:
            self._own_app.close()
            self._own_app = None
