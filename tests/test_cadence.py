"""Slots and the planner: DST in Europe/Rome, blackouts, weekly limits, holds, not-before."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from publisher.cadence import PlanItem, make_plan, resolve_wall_time, slot_times
from publisher.schedules import Blackout, Schedule, Slot, load_schedule
from tests.conftest import HomeFixture, Media, add_args

ROME = ZoneInfo("Europe/Rome")
UTC = dt.UTC


def sched(*slots: str, per_week: int | None = None, **kw: object) -> Schedule:
    parsed = []
    for s in slots:
        day, time = s.split()
        weekday = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"].index(day.lower()[:3])
        hour, minute = map(int, time.split(":"))
        parsed.append(Slot(weekday, dt.time(hour, minute)))
    return Schedule(name=str(kw.pop("name", "s")), path=Path("s.toml"), timezone="Europe/Rome",
                    slots=tuple(parsed), per_week=per_week or len(parsed), **kw)  # type: ignore[arg-type]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def items(n: int, **kw: object) -> list[PlanItem]:
    return [PlanItem(i, f"Intervista {i}", i, **kw) for i in range(1, n + 1)]  # type: ignore[arg-type]


@pytest.mark.parametrize(("day", "time", "expected_utc", "note"), [
    # The wall-clock time stays 18:00 across both changes; the UTC instant moves.
    ("2026-03-24", "18:00", "2026-03-24T17:00+00:00", None),
    ("2026-03-31", "18:00", "2026-03-31T16:00+00:00", None),
    ("2026-10-20", "18:00", "2026-10-20T16:00+00:00", None),
    ("2026-10-27", "18:00", "2026-10-27T17:00+00:00", None),
    # Spring-forward gap: 02:30 does not exist; moved forward by the gap, to 03:30 CEST.
    ("2026-03-29", "02:30", "2026-03-29T01:30+00:00", "does not exist"),
    # Autumn overlap: 02:30 happens twice; the first (CEST, +02:00) is used.
    ("2026-10-25", "02:30", "2026-10-25T00:30+00:00", "happens twice"),
])
def test_wall_time_resolution_in_rome(day: str, time: str, expected_utc: str,
                                      note: str | None) -> None:
    local, got_note = resolve_wall_time(dt.date.fromisoformat(day),
                                        dt.time.fromisoformat(time), ROME)
    assert local.astimezone(UTC) == dt.datetime.fromisoformat(expected_utc)
    if note is None:
        assert got_note is None
        assert local.strftime("%H:%M") == time
    else:
        assert got_note is not None and note in got_note


def test_slots_across_spring_change_keep_the_wall_clock() -> None:
    got = list(slot_times(sched("Tue 18:00", "Fri 18:00"), at("2026-03-20T00:00+00:00"),
                          at("2026-04-04T00:00+00:00")))
    assert [s.local.strftime("%a %d %H:%M %Z") for s in got] == [
        "Fri 20 18:00 CET", "Tue 24 18:00 CET", "Fri 27 18:00 CET", "Tue 31 18:00 CEST",
        "Fri 03 18:00 CEST"]
    assert [s.at.hour for s in got] == [17, 17, 17, 16, 16]


def test_slot_window_bounds_and_schedule_dates() -> None:
    s = sched("Tue 18:00", start=dt.date(2026, 12, 8), end=dt.date(2026, 12, 22))
    got = [x.local.date().isoformat() for x in
           slot_times(s, at("2026-11-01T00:00+00:00"), at("2027-02-01T00:00+00:00"))]
    assert got == ["2026-12-08", "2026-12-15", "2026-12-22"]


NOW = at("2026-11-23T08:00+01:00")  # a Monday morning in Rome
FOUR_WEEKS = dt.timedelta(weeks=4)


def _assigned(plan_entries: list) -> list[tuple[str, int | None]]:  # type: ignore[type-arg]
    return [(e.slot.local.strftime("%a %m-%d"), e.interview.id if e.interview else None)
            for e in plan_entries]


@pytest.mark.parametrize(("schedule", "queue", "expected"), [
    pytest.param(sched("Tue 18:00", "Fri 18:00"), items(3),
                 [("Tue 11-24", 1), ("Fri 11-27", 2), ("Tue 12-01", 3), ("Fri 12-04", None),
                  ("Tue 12-08", None), ("Fri 12-11", None), ("Tue 12-15", None),
                  ("Fri 12-18", None)], id="two-a-week-queue-runs-out"),
    pytest.param(sched("Tue 18:00", "Fri 18:00", per_week=1), items(5),
                 [("Tue 11-24", 1), ("Fri 11-27", None), ("Tue 12-01", 2), ("Fri 12-04", None),
                  ("Tue 12-08", 3), ("Fri 12-11", None), ("Tue 12-15", 4), ("Fri 12-18", None)],
                 id="one-a-week"),
    pytest.param(sched("Tue 18:00", blackouts=(Blackout(dt.date(2026, 12, 1),
                                                        dt.date(2026, 12, 9)),)), items(3),
                 [("Tue 11-24", 1), ("Tue 12-01", None), ("Tue 12-08", None), ("Tue 12-15", 2)],
                 id="blackout-range"),
    pytest.param(sched("Tue 18:00", end=dt.date(2026, 12, 2)), items(3),
                 [("Tue 11-24", 1), ("Tue 12-01", 2)], id="end-date"),
    pytest.param(sched("Tue 18:00"), [], [("Tue 11-24", None), ("Tue 12-01", None),
                                          ("Tue 12-08", None), ("Tue 12-15", None)],
                 id="empty-queue"),
    pytest.param(sched("Tue 18:00"),
                 [PlanItem(1, "a", 1, not_before=at("2026-12-05T00:00+01:00")),
                  PlanItem(2, "b", 2)],
                 [("Tue 11-24", 2), ("Tue 12-01", None), ("Tue 12-08", 1), ("Tue 12-15", None)],
                 id="not-before-lets-the-next-go-first"),
])
def test_planner_cases(schedule: Schedule, queue: list[PlanItem],
                       expected: list[tuple[str, int | None]]) -> None:
    plan = make_plan({schedule.name: schedule}, queue, NOW, FOUR_WEEKS)
    assert _assigned(plan.entries) == expected


def test_planner_notes_reasons_and_upload_times() -> None:
    s = sched("Tue 18:00", "Fri 18:00", per_week=1,
              blackouts=(Blackout(dt.date(2026, 12, 1), dt.date(2026, 12, 1)),))
    plan = make_plan({"s": s}, items(1), NOW, dt.timedelta(weeks=2))
    notes = [e.note for e in plan.entries]
    assert notes == [None, "weekly limit reached (1 a week)", "blackout",
                     "no interview left in the queue"]
    assert plan.entries[0].upload_at == NOW  # the slot is closer than the lead time
    second = plan.entries[1]
    assert second.upload_at == second.slot.at - dt.timedelta(hours=48)
    assert plan.runs_dry() is plan.entries[3]


def test_upload_time_never_before_now() -> None:
    plan = make_plan({"s": sched("Mon 18:00")}, items(1), NOW, dt.timedelta(days=2))
    assert plan.entries[0].upload_at == NOW


def test_items_routed_to_their_schedule_or_default() -> None:
    a, b = sched("Tue 18:00", name="a"), sched("Fri 18:00", name="b")
    queue = [PlanItem(1, "x", 1, schedule="b"), PlanItem(2, "y", 2), PlanItem(3, "z", 3,
                                                                             schedule="gone")]
    plan = make_plan({"a": a, "b": b}, queue, NOW, dt.timedelta(weeks=1), default_schedule="a")
    assert [(e.slot.schedule, e.interview.id if e.interview else None)
            for e in plan.entries] == [("a", 2), ("b", 1)]
    assert any("'gone'" in n for n in plan.notes)
    assert [i.id for i in plan.unplaced] == [3]


def test_lead_time_longer_than_gap_is_explained_not_refused(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text("timezone = 'Europe/Rome'\nslots = ['Tue 18:00', 'Wed 18:00']\n"
                    "lead_time = '48h'\n")
    s = load_schedule(path)
    plan = make_plan({s.name: s}, items(2), NOW, dt.timedelta(weeks=1))
    assert any("longer than the shortest gap" in n for n in plan.notes)


def test_plan_command_json_and_text(home: HomeFixture, media: Media) -> None:
    for title in ("Uno", "Due", "Tre"):
        home.ok(*add_args(media.video(), title))
    home.ok("queue", "hold", 2)
    home.ok(*add_args(media.video(), "Quattro", "--not-before", "2026-12-02"))
    data = json.loads(home.ok("plan", "--weeks", "2", "--at", "2026-11-23T07:00Z",
                              "--json").stdout)
    assert [(d["slot"], d["interview_id"]) for d in data] == [
        ("2026-11-24T18:00:00+01:00", 1), ("2026-11-27T18:00:00+01:00", 3),
        ("2026-12-01T18:00:00+01:00", None), ("2026-12-04T18:00:00+01:00", 4)]
    assert data[0]["upload_at"] == "2026-11-23T07:00:00+00:00"  # sooner than the lead time
    assert data[1]["upload_at"] == "2026-11-25T17:00:00+00:00"
    assert all(d["schedule"] == "studi-aperti" for d in data)
    text = home.ok("plan", "--weeks", "2", "--at", "2026-11-23T07:00Z").stdout
    assert "Held, so not planned: 2" in text
    assert "Tue 2026-11-24 18:00 CET" in text and "2026-11-24 17:00Z" in text
    long = home.ok("plan", "--weeks", "6", "--at", "2026-11-23T07:00Z").stdout
    assert "The queue runs out" in long and "blackout" in long


def test_plan_bad_instant(sqlite_home: HomeFixture) -> None:
    result = sqlite_home.run("plan", "--at", "next tuesday")
    assert result.exit_code == 2 and "--at" in result.stderr


def test_planner_respects_the_daily_upload_quota() -> None:
    every_day = sched(*(f"{d} 18:00" for d in ("Mon", "Tue", "Wed", "Thu", "Fri")))
    plan = make_plan({"s": every_day}, items(5), NOW, dt.timedelta(days=3),
                     daily_uploads=1)
    # Slots on Mon 23 and Tue 24 both upload "now" (lead time 48 h): one a day is allowed.
    assert [(e.interview.id if e.interview else None) for e in plan.entries] == [1, None, 2]
    assert "quota" in (plan.entries[1].note or "")
