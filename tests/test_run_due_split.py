"""run_due is report_missed, then perform each piece of due_work, then next_event.

Workers plan with `due_work` and run each piece as its own job (`perform`): the same steps
in the same order as the daemon's `run_due`, only dispatched differently.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from publisher.pipeline.run_due import (
    Action,
    RunReport,
    WakeQueue,
    Work,
    WorkKind,
    due_work,
    next_event,
    perform,
    report_missed,
    run_due,
)
from publisher.pipeline.runtime import Runtime
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media
from tests.helpers.clock import Clock
from tests.helpers.home_template import HomeTemplate
from tests.helpers.rows import events, interviews
from tests.helpers.run_due import START, queue, runtime, set_schedule
from tests.helpers.youtube import connect

MONDAY_EVENING = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)  # within Tuesday's lead time
# Down over Tuesday's slot: its staged video is released, and Friday's upload is due.
WEDNESDAY_EVENING = dt.datetime(2027, 2, 3, 18, 0, tzinfo=dt.UTC)


def composed(rt: Runtime, now: dt.datetime) -> RunReport:
    """What a worker's plan and its jobs do together, in one process."""
    report = RunReport(now)
    queue_ = WakeQueue(rt, now, report)
    report.actions += report_missed(rt, now, dt.timedelta(hours=6), queue_)
    for work in due_work(rt, now, queue=queue_):
        report.actions += perform(rt, work, now)
    found = next_event(rt, now, queue_)
    if found is not None:
        report.next_wake, report.next_what = found
    return report


def new_home(template: HomeTemplate, tmp_path: Path, name: str) -> HomeFixture:
    path = tmp_path / name
    return HomeFixture(path, template.sqlite_home(path))


def shape(actions: list[Action]) -> list[tuple[int | None, str, str]]:
    return [(a.interview_id, a.step, a.outcome) for a in actions]


def outcome(home: HomeFixture, yt: FakeYouTube) -> dict[str, Any]:
    return {"interviews": [(i.id, i.title, i.state, i.slot_at) for i in interviews(home)],
            "journal": [(e.interview_id, e.kind) for kind in ("staging", "staged", "released")
                        for e in events(home, kind)],
            "videos": sorted((v.title, v.privacy_status, v.publish_at)
                             for v in yt.videos.values())}


def drive(home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch,
          step: Any) -> tuple[list[RunReport], dict[str, Any]]:
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(home, yt)
        set_schedule(home, crosspost_delay='"72h"')  # no cross-post due in these wakes
        queue(home, media, 3)
        rt = runtime(home, clock, monkeypatch)
        reports = []
        for now in (MONDAY_EVENING, WEDNESDAY_EVENING):
            clock.now = now
            reports.append(step(rt, now))
        return reports, outcome(home, yt)


def test_run_due_is_perform_of_due_work(tmp_path: Path, media: Media,
                                        monkeypatch: pytest.MonkeyPatch,
                                        home_template: HomeTemplate) -> None:
    daemon_reports, daemon_end = drive(new_home(home_template, tmp_path, "daemon"), media,
                                       monkeypatch, run_due)
    worker_reports, worker_end = drive(new_home(home_template, tmp_path, "worker"), media,
                                       monkeypatch, composed)
    assert [shape(r.actions) for r in daemon_reports] == [
        [(1, "stage", "staged")],
        [(2, "stage", "staged"), (1, "release", "released")]]
    assert [shape(r.actions) for r in worker_reports] == [shape(r.actions)
                                                          for r in daemon_reports]
    assert [(r.next_wake, r.next_what) for r in worker_reports] == [
        (r.next_wake, r.next_what) for r in daemon_reports]
    assert worker_end == daemon_end
    assert [s for _, _, s, _ in daemon_end["interviews"]] == ["released", "staged", "queued"]


def test_due_work_changes_nothing_and_lists_what_is_due_in_order(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        set_schedule(sqlite_home, crosspost_delay='"72h"')
        queue(sqlite_home, media, 3)
        rt = runtime(sqlite_home, clock, monkeypatch)
        clock.now = MONDAY_EVENING
        run_due(rt, clock.now)
        clock.now = WEDNESDAY_EVENING
        before = sqlite_home.snapshot()
        work = due_work(rt, clock.now)
        assert sqlite_home.snapshot() == before
        assert work == [Work(WorkKind.STAGE, 2, dt.datetime(2027, 2, 5, 17, 0, tzinfo=dt.UTC)),
                        Work(WorkKind.RELEASE, 1), Work(WorkKind.CHORES)]
        assert [Work.from_json(w.to_json()) for w in work] == work


def test_a_duplicate_piece_of_work_never_acts_twice(
        sqlite_home: HomeFixture, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second job for work already done (a duplicate, a stalled job retried) is skipped
    under the interview's lease: YouTube is not called again."""
    clock = Clock(START)
    with FakeYouTube(clock=clock) as yt:
        connect(sqlite_home, yt)
        set_schedule(sqlite_home, crosspost_delay='"72h"')
        queue(sqlite_home, media, 3)
        rt = runtime(sqlite_home, clock, monkeypatch)
        clock.now = MONDAY_EVENING
        [stage_work] = [w for w in due_work(rt, clock.now) if w.kind == WorkKind.STAGE]
        assert shape(perform(rt, stage_work, clock.now)) == [(1, "stage", "staged")]
        assert shape(perform(rt, stage_work, clock.now)) == [(1, "stage", "skipped")]
        clock.now = WEDNESDAY_EVENING
        release = Work(WorkKind.RELEASE, 1)
        assert shape(perform(rt, release, clock.now)) == [(1, "release", "released")]
        calls = len(yt.quota.charges)
        before = outcome(sqlite_home, yt)
        assert shape(perform(rt, release, clock.now)) == [(1, "release", "skipped")]
        assert len(yt.quota.charges) == calls
        assert outcome(sqlite_home, yt) == before
        assert all(i.lease_owner is None for i in interviews(sqlite_home))
        assert len(yt.videos) == 1
