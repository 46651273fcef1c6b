"""The programmes a worker serves, and the Runtime each job of theirs gets.

Today a worker serves the one programme of the home it was started with (programme id 1);
with programmes in the database, `programme_ids` becomes the query of the active ones and
`home_of` reads each programme's home path, and nothing else here changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from publisher.app import App
from publisher.home import Home

if TYPE_CHECKING:
    from publisher.pipeline.runtime import Runtime

#: The home's own programme, until the store knows programmes.
HOME_PROGRAMME = 1


class Deployment:
    """The programmes of one database, as a worker serves them."""

    def __init__(self, home: Home, *,
                 prepare: Callable[[Runtime], None] | None = None) -> None:
        self.home = home
        self.database_url = home.database_url
        self._prepare = prepare  # tests: a controlled clock, the loopback platforms
        self._apps: dict[int, App] = {}
        self._lock = threading.Lock()  # jobs run in threads; an App loads itself once

    def programme_ids(self) -> list[int]:
        """The programmes to plan at each tick."""
        return [HOME_PROGRAMME]

    def home_of(self, programme_id: int) -> Home:
        if programme_id != HOME_PROGRAMME:
            raise LookupError(f"this worker serves no programme {programme_id}")
        return self.home

    def runtime(self, programme_id: int) -> Runtime:
        """A fresh Runtime for one job: its own lease owner (worker:host:pid:…) and its own
        YouTube client (httplib2 is not thread-safe); the App (configuration, schedules,
        credentials, engine) is shared by the jobs of a programme."""
        with self._lock:
            app = self._apps.get(programme_id)
            if app is None:
                app = self._apps[programme_id] = App(self.home_of(programme_id),
                                                     actor="worker")
            rt = app.runtime("worker")
        if self._prepare is not None:
            self._prepare(rt)
        return rt

    def close(self) -> None:
        for app in self._apps.values():
            app.close()
        self._apps.clear()
