"""The Calendar page in a real browser, by keyboard: the month with today marked and a slot
that opens its interview; the week; the previous and next month and week."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By

from publisher.web.i18n import format_clock, format_date, format_month
from tests.browser.harness import Page
from tests.browser.scenes import queue_interview, slot_of
from tests.conftest import HomeFixture, Media
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

pytestmark = pytest.mark.browser
ROME = ZoneInfo("Europe/Rome")  # the campaign's zone (`publisher init`)


@pytest.fixture
def slot(sqlite_home: HomeFixture, media: Media) -> dt.datetime:
    """Two interviews queued; the first one's slot."""
    queue_interview(sqlite_home, media.video(), "Uno")
    queue_interview(sqlite_home, media.video(), "Due", "Luca Bianchi", "scultore")
    return slot_of(sqlite_home, 1)


@pytest.fixture
def month(page: Page, slot: dt.datetime) -> Page:
    """Logged in on the calendar, on the month of the first slot."""
    page.open("/calendar")
    page.log_in("anna", PASSWORD)
    assert page.path == "/calendar" and page.h1() == "Calendar"
    if page.by_id("period-heading").text != format_month(slot.date(), "en"):
        page.activate(page.button("Next month"))  # the slot is early next month
    assert page.by_id("period-heading").text == format_month(slot.date(), "en")
    return page


def day_cell(page: Page, day: dt.date) -> str:
    """The text of the month view's cell of `day`."""
    link = page.button(format_date(day, "en"))
    return str(link.find_element(By.XPATH, "ancestor::td").text)


def test_the_month_shows_the_slot_and_the_slot_opens_its_interview(
        month: Page, slot: dt.datetime) -> None:
    cell = day_cell(month, slot.date())
    assert "1 Uno" in cell and format_clock(slot, ROME, "en") in cell, cell
    if slot.month == dt.datetime.now(ROME).month:
        assert month.driver.find_elements(By.CSS_SELECTOR, "td[aria-current=date]")
    month.activate(month.button("1 Uno"))
    assert month.path == "/interviews/1"
    assert month.h1() == "1 Uno"


@SLOW
def test_the_week_of_a_day_and_the_previous_and_next_weeks_and_months(
        month: Page, slot: dt.datetime) -> None:
    shown = slot.date().replace(day=1)
    month.activate(month.button("Next month"))
    after = (shown + dt.timedelta(days=31)).replace(day=1)
    assert month.by_id("period-heading").text == format_month(after, "en")
    assert month.path == f"/calendar?view=month&date={after:%Y-%m}"
    month.activate(month.button("Previous month"))
    month.activate(month.button("Previous month"))
    before = (shown - dt.timedelta(days=1)).replace(day=1)
    assert month.by_id("period-heading").text == format_month(before, "en")
    month.activate(month.button("Next month"))

    month.activate(month.button(format_date(slot.date(), "en")))  # the day's number
    monday = slot.date() - dt.timedelta(days=slot.weekday())
    assert month.path == f"/calendar?view=week&date={slot.date().isoformat()}"
    assert month.by_id("period-heading").text == f"Week of {format_date(monday, 'en')}"
    assert month.button("Week").get_attribute("aria-current") == "page"
    days = month.driver.find_elements(By.CSS_SELECTOR, "ol.week > li")
    assert len(days) == 7
    shown_day = days[slot.weekday()].text
    assert format_date(slot.date(), "en") in shown_day
    assert "1 Uno" in shown_day and "cadence studi-aperti" in shown_day

    month.activate(month.button("Next week"))
    following = monday + dt.timedelta(days=7)
    assert month.by_id("period-heading").text == f"Week of {format_date(following, 'en')}"
    month.activate(month.button("Previous week"))
    month.activate(month.button("Previous week"))
    assert month.by_id("period-heading").text == \
        f"Week of {format_date(monday - dt.timedelta(days=7), 'en')}"
    month.activate(month.button("Month"))
    assert month.path.startswith("/calendar?view=month")


@pytest.mark.slow  # about 7 s: CI; the quick loop keeps the month and week views
def test_an_interview_dragged_onto_another_slot_takes_its_place_and_the_cli_agrees(
        page: Page, sqlite_home: HomeFixture, media: Media) -> None:
    """Three interviews; the later of two in one month is dragged by its handle onto the
    earlier one's slot: it goes before it in the queue (`queue list` agrees), and back on
    the calendar it has that slot. The Move up / Move down buttons stay for the keyboard."""
    for title in ("Uno", "Due", "Tre"):
        queue_interview(sqlite_home, media.video(), title)
    slots = {n: slot_of(sqlite_home, n) for n in (1, 2, 3)}
    first = 1 if (slots[1].year, slots[1].month) == (slots[2].year, slots[2].month) else 2
    second = first + 1
    page.open("/calendar")
    page.log_in("anna", PASSWORD)
    page.open(f"/calendar?view=month&date={slots[first]:%Y-%m}")
    assert page.button(f"Move up interview {second}")  # the keyboard's way

    def slot_item(interview_id: int) -> Any:
        return page.driver.find_element(By.CSS_SELECTOR,
                                        f'li.slot[data-interview="{interview_id}"]')

    handle = slot_item(second).find_element(By.CSS_SELECTOR, ".drag-handle")
    assert handle.get_attribute("aria-hidden") == "true"
    with page.navigating():
        ActionChains(page.driver).click_and_hold(handle).move_by_offset(0, -10) \
            .move_to_element(slot_item(first)).release().perform()
    assert page.path.startswith("/calendar")
    assert f"Interview {second}" in " ".join(page.messages())
    order = [e["interview_id"] for e in json.loads(sqlite_home.ok("plan", "--json").stdout)
             if e["interview_id"] is not None]
    assert order.index(second) < order.index(first), order
    listed = sqlite_home.ok("queue", "list").stdout
    titles = {1: "Uno", 2: "Due", 3: "Tre"}
    assert listed.index(titles[second]) < listed.index(titles[first]), listed
    assert slot_of(sqlite_home, second) == slots[first]  # it took that slot
