"""The programmes a worker serves, and the Runtime each job of theirs gets.

A worker serves every active programme of its database (`publisher programmes`), each from
its own home (`programmes.home_path`: configuration, credentials, schedules); the home the
worker was started with serves its own programme even before `programmes add` named its path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.app import App
from publisher.home import Home

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from publisher.pipeline.runtime import Runtime


#: How many programmes' Apps (configuration, schedules, credentials: about 20 KiB each) a
#: worker keeps: the least recently served beyond it is dropped, and read again from its
#: home at its next job. A worker's memory stays bounded however many programmes it serves.
KEPT_APPS = 1000


def home_stamp(home: Home) -> str:
    """What a home's files are now, in a few bytes: the name, size and modification time of
    publisher.toml, the credentials and each schedule. A plan records the stamp of the files
    it read; the tick plans a programme again when its stamp changed (an edited schedule)."""
    parts = []
    for path in (home.config_file, home.credentials_file,
                 *sorted(home.schedules_dir.glob("*.toml"))):
        try:
            st = path.stat()
        except OSError:  # gone or unreadable: the plan will say what is wrong
            parts.append(f"{path.name}:-")
            continue
        parts.append(f"{path.name}:{st.st_size}:{st.st_mtime_ns}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]


class Deployment:
    """The programmes of one database, as a worker serves them."""

    def __init__(self, home: Home, *,
                 prepare: Callable[[Runtime], None] | None = None,
                 kept_apps: int = KEPT_APPS) -> None:
        self.home = home
        self.database_url = home.database_url
        self._prepare = prepare  # tests: a controlled clock, the loopback platforms
        # Each App with the stamp of the files it read; the most recently served last.
        self._apps: OrderedDict[int, tuple[App, str]] = OrderedDict()
        self._kept_apps = max(1, kept_apps)
        self._own_app: App | None = None
        self._lock = threading.Lock()  # jobs run in threads; an App loads itself once

    def programmes_to_plan(self) -> list[int]:
        """The programmes the tick plans: the active ones with a home whose next wake has
        come (store/plan_gate.py), and those whose home files changed since their last plan
        (an edited schedule). The others have nothing due before their wake."""
        from publisher.store.plan_gate import due_programmes, waiting_homes

        own, now = self._own_programme(), self.now()
        with self._engine().connect() as conn:
            due = due_programmes(conn, now, own)
            waiting = waiting_homes(conn, now, own)
        changed = [pid for pid, path, stamp in waiting
                   if home_stamp(self._home_at(pid, path)) != stamp]
        return sorted(due + changed)

    def now(self) -> dt.datetime:
        """The deployment's time: the clock its Runtimes get (a test's `prepare` replaces
        it), which the plans write their wakes in."""
        if self._prepare is None:
            return dt.datetime.now(dt.UTC)
        return self.runtime(self._own_programme()).clock()

    def home_of(self, programme_id: int) -> Home:
        from sqlalchemy import select

        from publisher.store.models import Programme

        if programme_id == self._own_programme():
            return self.home
        with self._engine().connect() as conn:
            path = conn.scalar(select(Programme.home_path).where(Programme.id == programme_id))
        if path is None:
            raise LookupError(f"this worker serves no programme {programme_id}")
        return self._home_at(programme_id, path)

    def _home_at(self, programme_id: int, path: str | None) -> Home:
        if path is None or programme_id == self._own_programme():
            return self.home
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
        credentials, engine) is shared by the jobs of a programme, and loaded again when its
        home files changed (`home_stamp`)."""
        with self._lock:
            loaded = self._apps.get(programme_id)
            if loaded is not None:
                self._apps.move_to_end(programme_id)
        if loaded is None or loaded[1] != home_stamp(loaded[0].home):
            home = self.home_of(programme_id) if loaded is None else loaded[0].home
            stamp = home_stamp(home)  # before reading the files: a change meanwhile is seen
            # One engine (one pool of connections) for every programme: not one per App,
            # which with many programmes would hold more connections than the server allows.
            made = (App(home, actor="worker", engine=self._engine()), stamp)
            with self._lock:
                if loaded is None:
                    loaded = self._apps.setdefault(programme_id, made)
                else:
                    loaded = self._apps[programme_id] = made
                self._apps.move_to_end(programme_id)
                while len(self._apps) > self._kept_apps:
                    # Not closed: a job may still use it, and its engine is the worker's.
                    self._apps.popitem(last=False)
        app = loaded[0]
        with self._lock:
            rt = app.runtime("worker")
        if self._prepare is not None:
            self._prepare(rt)
        return rt

    def loaded_stamp(self, programme_id: int) -> str | None:
        """The stamp of the home files the programme's App read (None: not loaded, or
        dropped since)."""
        with self._lock:
            loaded = self._apps.get(programme_id)
        return loaded[1] if loaded is not None else None

    def kept_programmes(self) -> list[int]:
        """The programmes whose App this worker keeps, the least recently served first."""
        with self._lock:
            return list(self._apps)

    def close(self) -> None:
        for app, _stamp in self._apps.values():
            app.close()
        self._apps.clear()
        if self._own_app is not None:
            self._own_app.close()
            self._own_app = None
