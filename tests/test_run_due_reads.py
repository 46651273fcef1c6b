"""A wake with nothing due reads the programme once: the phases are decided in one
transaction, and a phase with nothing of its kind (the census: interviews by state, open
corrections) skips its query. What is due is still found (tests/test_run_due*.py)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event

from publisher.pipeline.run_due import run_due
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.run_due import START, queue, runtime, set_schedule
from tests.helpers.youtube import connect


def statements_of(rt_engine: object, wake: object) -> list[str]:
    seen: list[str] = []

    def note(conn: object, cursor: object, statement: str, *args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(rt_engine, "before_cursor_execute", note)
    try:
        wake()  # type: ignore[operator]
    finally:
        event.remove(rt_engine, "before_cursor_execute", note)
    return seen


def test_a_wake_with_nothing_due_reads_in_three_transactions(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        set_schedule(sqlite_home, start='"2027-02-05"')  # the first upload in days
        queue(sqlite_home, media, 2)
        rt = runtime(sqlite_home, clock, monkeypatch)
        run_due(rt, START)  # the day's chores
        later = START + dt.timedelta(minutes=5)
        clock.now = later
        report = None

        def wake() -> None:
            nonlocal report
            report = run_due(rt, later)

        seen = statements_of(rt.engine, wake)
    assert report is not None and report.actions == [] and report.next_wake is not None
    # The paused check and the last look; the phases; the next event.
    assert sum(s.startswith("BEGIN") for s in seen) == 3, seen
    # Nothing staging, staged, released or withdrawn, no correction open: not looked for.
    assert not [s for s in seen if "FROM corrections" in s and "count(*)" not in s]
    assert not [s for s in seen if "FROM publications" in s and "step = ?" not in s]
    assert not [s for s in seen if "interviews.slot_at <= ?" in s]  # the release's query
    assert len(seen) <= 13, "\n".join(seen)
