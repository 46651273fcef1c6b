"""A home driven by run_due on a controlled clock: the simulated start, the runtime, the
schedule's knobs and a queue of sample interviews (tests/test_run_due.py and the workers')."""

from __future__ import annotations

import datetime as dt

import pytest

from publisher.app import App
from publisher.home import Home
from publisher.pipeline.runtime import Runtime
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock

START = dt.datetime(2027, 2, 1, 8, 0, tzinfo=dt.UTC)  # a Monday; no blackout in February


def runtime(home: HomeFixture, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Runtime:
    for key, value in home.env.items():
        monkeypatch.setenv(key, value)
    rt = App(Home.resolve(home.path, home.db_url)).runtime("test")
    rt.clock = clock
    rt.sleep = lambda s: None
    return rt


def set_schedule(home: HomeFixture, **changes: str) -> None:
    path = home.path / "schedules" / "studi-aperti.toml"
    text = path.read_text()
    for key, value in changes.items():
        lines = [ln for ln in text.splitlines() if not ln.startswith(f"{key} =")]
        text = "\n".join(lines) + f"\n{key} = {value}\n"
    path.write_text(text)


def queue(home: HomeFixture, media: Media, n: int) -> None:
    for i in range(1, n + 1):
        home.ok(*add_args(media.video(), f"Intervista {i}"))
