"""The Queue page in a real browser, driven by keyboard: what the CLI queued, reordering,
hold and release, removal after a confirmation, and a refusal with its reason."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from tests.browser.harness import Page
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

pytestmark = pytest.mark.browser

TITLES = ("Uno", "Due", "Tre")


@pytest.fixture
def queued(sqlite_home: HomeFixture, media: Media) -> HomeFixture:
    """Three interviews queued with `publisher queue add`."""
    for title in TITLES:
        sqlite_home.ok(*add_args(media.video(), title))
    return sqlite_home


@pytest.fixture
def anna(page: Page, queued: HomeFixture) -> Page:
    page.open("/login")
    page.log_in("anna", PASSWORD)
    assert page.path == "/queue"
    return page


def state_of(page: Page, interview_id: int) -> str:
    return page.queue_row(interview_id).find_element("css selector", ".state").text


def test_the_queue_shows_what_the_cli_queued_and_later_changes_at_once(
        anna: Page, queued: HomeFixture, media: Media) -> None:
    assert anna.queue_ids() == [1, 2, 3]
    row = anna.queue_row(1)
    assert "Uno" in row.text and "Maria Rossi, ceramista" in row.text
    assert state_of(anna, 1) == "queued"
    queued.ok(*add_args(media.video(), "Quattro"))
    queued.ok("queue", "move", 4, "--to", 1)
    anna.open("/queue")
    assert anna.queue_ids() == [4, 1, 2, 3]


@SLOW
def test_move_down_with_enter_and_up_with_space(anna: Page, queued: HomeFixture) -> None:
    anna.activate(anna.button("Move down interview 1"), Keys.ENTER)
    assert anna.queue_ids() == [2, 1, 3]
    assert "Interview 1 “Uno” is now at position 2." in anna.messages()
    assert anna.path == "/queue#interview-1"

    anna.activate(anna.button("Move up interview 3"), Keys.SPACE)
    assert anna.queue_ids() == [2, 3, 1]
    assert "Interview 3 “Tre” is now at position 2." in anna.messages()
    listed = queued.ok("queue", "list").stdout
    assert listed.index("Due") < listed.index("Tre") < listed.index("Uno"), listed


def test_a_row_dragged_by_its_handle_moves_and_the_cli_agrees(
        anna: Page, queued: HomeFixture) -> None:
    handle = anna.queue_row(3).find_element(By.CSS_SELECTOR, ".drag-handle")
    assert handle.get_attribute("aria-hidden") == "true"  # the keyboard has the buttons
    first = anna.queue_row(1)
    with anna.navigating():  # dropped on the upper half of the first row: before it
        ActionChains(anna.driver).click_and_hold(handle).move_by_offset(0, -10) \
            .move_to_element_with_offset(first, 0, -first.size["height"] // 4) \
            .release().perform()
    assert anna.queue_ids() == [3, 1, 2]
    assert "Interview 3 “Tre” is now at position 1." in anna.messages()
    handle = anna.queue_row(3).find_element(By.CSS_SELECTOR, ".drag-handle")
    last = anna.queue_row(2)
    with anna.navigating():  # on the lower half of the last row: after it
        ActionChains(anna.driver).click_and_hold(handle).move_by_offset(0, 10) \
            .move_to_element_with_offset(last, 0, last.size["height"] // 4) \
            .release().perform()
    assert anna.queue_ids() == [1, 2, 3]
    listed = queued.ok("queue", "list").stdout
    assert listed.index("Uno") < listed.index("Due") < listed.index("Tre"), listed


@SLOW
def test_hold_and_release(anna: Page) -> None:
    anna.activate(anna.button("Hold interview 2"))
    assert "Interview 2 “Due” is held: it is skipped until released." in anna.messages()
    assert state_of(anna, 2) == "held"
    assert "not planned while held" in anna.queue_row(2).text

    anna.activate(anna.button("Release interview 2"), Keys.SPACE)
    assert "Interview 2 “Due” is queued again." in anna.messages()
    assert state_of(anna, 2) == "queued"
    assert anna.queue_ids() == [1, 2, 3]


@SLOW
def test_remove_asks_first_and_no_keeps_it(anna: Page, queued: HomeFixture) -> None:
    anna.activate(anna.button("Remove interview 3"))
    assert anna.path == "/queue/3/remove"
    assert anna.h1() == "Remove an interview"
    assert "Remove interview 3 “Tre” from the queue?" in anna.text()
    anna.activate(anna.button("No, keep it"))
    assert anna.path == "/queue"
    assert anna.queue_ids() == [1, 2, 3]

    anna.activate(anna.button("Remove interview 3"))
    anna.activate(anna.button("Yes, remove it"))
    assert "Interview 3 “Tre” is removed." in anna.messages()
    assert anna.queue_ids() == [1, 2]
    assert "Tre" not in queued.ok("queue", "list", "--state", "all").stdout


@SLOW
def test_a_refused_change_shows_its_reason_and_changes_nothing(
        anna: Page, queued: HomeFixture) -> None:
    """The page offered Hold; meanwhile someone held it from the command line."""
    hold = anna.button("Hold interview 2")
    queued.ok("queue", "hold", 2)
    anna.activate(hold)
    alert = anna.driver.find_element("css selector", "[role=alert]")
    assert "The change was refused; nothing was changed:" in alert.text
    assert "interview 2 is held: only queued interviews can be held" in alert.text
    assert state_of(anna, 2) == "held"
    assert anna.queue_ids() == [1, 2, 3]
