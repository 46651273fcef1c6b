"""The Calendar page: a month or a week of every cadence's slots with the interview the plan
gives each (the plan `publisher plan` shows), empty slots and why, blackout days, today, the
day the queue runs dry; each slot opens its interview, and an organizer moves a slot's
interview up or down from here."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from publisher.store.db import make_engine
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.clock import Clock
from tests.helpers.web_console import Browser, Console, add_user, console_for

# Tuesday 1 December 2026, 09:00 in Rome; the example cadence: Tuesday and Friday at 18:00,
# a blackout from 24 December to 6 January.
NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def console(sqlite_home: HomeFixture, media: Media, anna_account: str) -> Iterator[Console]:
    for title in ("Uno", "Due", "Tre"):
        sqlite_home.ok(*add_args(media.video(), title))
    add_user(sqlite_home, "vera", role="viewer")
    yield from console_for(sqlite_home, clock=Clock(NOW))


def _cell(page: str, day: str) -> str:
    """The month view's cell of `day` (as its hidden full date, e.g. `Tue, Dec 8, 2026`)."""
    found = re.search(r'<td class="day[^"]*"[^>]*>\s*<a class="daynum"[^>]*>'
                      r'<span aria-hidden="true">\d+</span><span class="visually-hidden">'
                      + re.escape(day) + r"</span></a>(.*?)</td>", page, re.S)
    assert found, day
    return found.group(1)


def _plan(home: HomeFixture) -> dict[int, dt.datetime]:
    plan = json.loads(home.ok("plan", "--weeks", "8", "--at", NOW.isoformat(),
                              "--json").stdout)
    return {e["interview_id"]: dt.datetime.fromisoformat(e["slot_utc"]) for e in plan
            if e["interview_id"] is not None}


def test_the_month_shows_each_interview_on_the_day_the_plan_gives_it(
        console: Console, anna: Browser) -> None:
    page = anna.get("/calendar")
    assert page.status_code == 200
    assert "December 2026" in page.text
    planned = _plan(console.home)
    assert sorted(planned) == [1, 2, 3]
    for interview_id, slot in planned.items():
        day = f"{slot:%a, %b} {slot.day}, {slot.year}"
        cell = _cell(page.text, day)
        assert f'href="/interviews/{interview_id}"' in cell, (interview_id, day)
        assert "6:00\u202fPM" in cell  # 18:00 in Rome
    assert 'href="/calendar"' in anna.get("/queue").text  # in the navigation


def test_today_blackouts_and_the_day_the_queue_runs_dry_are_marked(
        console: Console, anna: Browser) -> None:
    page = anna.get("/calendar?view=month&date=2026-12").text
    today = _cell(page, "Tue, Dec 1, 2026")
    assert "today" in today
    assert re.search(r'<td class="day today[^"]*" aria-current="date">', page)
    # Three interviews: 1, 4 and 8 December; the 11th is the first slot left empty.
    dry = _cell(page, "Fri, Dec 11, 2026")
    assert "the queue runs dry" in dry and "empty: no interview left in the queue" in dry
    assert "The queue runs out: from Fri, Dec 11, 2026, 6:00\u202fPM" in page
    christmas = _cell(page, "Fri, Dec 25, 2026")
    assert "blackout (studi-aperti)" in christmas
    assert "blackout: nothing goes out" in christmas
    assert "blackout" not in _cell(page, "Wed, Dec 23, 2026")


def test_prev_next_and_the_week_view(console: Console, anna: Browser) -> None:
    month = anna.get("/calendar?view=month&date=2026-12").text
    assert 'href="/calendar?view=month&amp;date=2026-11" rel="prev"' in month
    assert 'href="/calendar?view=month&amp;date=2027-01" rel="next"' in month
    january = anna.get("/calendar?view=month&date=2027-01").text
    assert "January 2027" in january
    week = anna.get("/calendar?view=week&date=2026-12-03")
    assert week.status_code == 200
    assert "Week of Mon, Nov 30, 2026" in week.text
    assert week.text.count("<h3>") == 7
    assert 'href="/calendar?view=week&amp;date=2026-11-23" rel="prev"' in week.text
    assert 'href="/calendar?view=week&amp;date=2026-12-07" rel="next"' in week.text
    assert "cadence studi-aperti" in week.text
    # A day of the month opens its week.
    assert 'href="/calendar?view=week&amp;date=2026-12-08"' in month


def test_dates_follow_the_visitors_language(anna: Browser) -> None:
    anna.post("/language", {"lang": "it", "next": "/calendar"})
    page = anna.get("/calendar?date=2026-12").text
    assert "dicembre 2026" in page and "<th scope=\"col\">lun</th>" in page
    assert "18:00" in page


def test_a_bad_date_is_said_and_today_shown(anna: Browser) -> None:
    page = anna.get("/calendar?date=next-tuesday")
    assert page.status_code == 400
    assert "Expected a month (YYYY-MM) or a day (YYYY-MM-DD)" in page.text
    assert "December 2026" in page.text


def test_a_slots_interview_moves_from_the_calendar(console: Console, anna: Browser) -> None:
    here = "/calendar?view=week&date=2026-12-01"
    week = anna.get(here).text
    assert 'action="/queue/2/up"' in week and 'action="/queue/2/down"' in week
    moved = anna.post("/queue/2/up", {"next": here})
    assert moved.status_code == 303 and moved.headers["location"] == here
    assert "is now at position 1" in anna.follow(moved).text
    assert list(_plan(console.home)) == [2, 1, 3]
    before = console.home.snapshot()
    refused = anna.post("/queue/2/up", {"next": here})
    assert refused.headers["location"] == here
    assert "already the next to go out" in anna.follow(refused).text
    assert console.home.snapshot() == before
    # Elsewhere is never a place to go back to.
    away = anna.post("/queue/1/down", {"next": "https://evil.example/"})
    assert away.headers["location"].startswith("/queue")


def test_a_viewer_sees_the_calendar_without_buttons(console: Console) -> None:
    vera = console.logged_in("vera")
    page = vera.get("/calendar?view=week&date=2026-12-01")
    assert page.status_code == 200
    assert 'href="/interviews/1"' in page.text and "/queue/1/up" not in page.text


def test_slots_gone_by_show_the_interview_that_had_them(console: Console) -> None:
    engine = make_engine(console.home.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET state = 'published', "
                          "slot_at = '2026-12-01 17:00:00.000000' WHERE id = 1"))
    engine.dispose()
    console.clock.now = NOW + dt.timedelta(days=9)
    page = console.logged_in("anna").get("/calendar?date=2026-12").text
    cell = _cell(page, "Tue, Dec 1, 2026")
    assert 'href="/interviews/1"' in cell and "published" in cell
    assert "/queue/1/up" not in cell  # out: nothing to move
