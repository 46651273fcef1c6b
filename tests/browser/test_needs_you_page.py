"""The Needs-you page in a real browser: an interview that needs attention, its reason and
what resolves it; the Queue page marks it too; its buttons resolve it (retry, record a post
found by hand) and it leaves the list."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.youtube import FakeYouTube
from tests.browser.harness import Page
from tests.browser.scenes import (
    connect_posting,
    make_a_post_need_attention,
    make_it_need_attention,
    queue_interview,
)
from tests.conftest import HomeFixture, Media
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

pytestmark = pytest.mark.browser


def test_an_interview_that_needs_attention_is_shown_with_its_reason_and_fix(
        page: Page, sqlite_home: HomeFixture, media: Media, youtube: FakeYouTube) -> None:
    video = media.video()
    queue_interview(sqlite_home, video, "Uno")
    queue_interview(sqlite_home, media.video(), "Due")
    make_it_need_attention(sqlite_home, youtube, 1, video)

    page.open("/needs-you")
    page.log_in("anna", PASSWORD)
    assert page.path == "/needs-you" and page.h1() == "Needs you"
    rows = page.driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby="
                                                      "attention-heading] tbody tr")
    assert len(rows) == 1
    row = rows[0].text
    assert "1 Uno" in row
    assert "changed since it was queued" in row
    assert "publisher retry 1" in row
    assert "Next: interview 2 “Due”" in page.text()

    page.activate(page.button("Queue"))
    assert "needs attention" in page.queue_row(1).text
    assert "changed since it was queued" in page.queue_row(1).text


def attention_rows(page: Page) -> list[str]:
    return [row.text for row in page.driver.find_elements(
        By.CSS_SELECTOR, "section[aria-labelledby=attention-heading] tbody tr")]


@SLOW
def test_retry_after_the_fix_takes_it_off_the_list(
        page: Page, sqlite_home: HomeFixture, media: Media, youtube: FakeYouTube) -> None:
    video = media.video()
    original = video.read_bytes()
    queue_interview(sqlite_home, video, "Uno")
    make_it_need_attention(sqlite_home, youtube, 1, video)
    video.write_bytes(original)  # the organizer put the original file back

    page.open("/needs-you")
    page.log_in("anna", PASSWORD)
    assert len(attention_rows(page)) == 1
    page.activate(page.button("Retry now interview 1 on youtube"))
    assert page.path == "/needs-you"
    assert "Interview 1 will be tried again at once." in page.messages()
    assert attention_rows(page) == []
    assert "Nothing in the queue needs you." in page.driver.find_element(
        By.CSS_SELECTOR, "section[aria-labelledby=attention-heading]").text
    # Nothing else waits on the organizer: the page says so at the top, as `status` does
    # (nothing has run this new home yet: said, but not late).
    assert "All is well: nothing waits on you." in " ".join(page.messages())
    assert sqlite_home.run("status").exit_code == 0


@SLOW
def test_a_post_found_by_hand_is_recorded_with_its_address_and_leaves_the_list(
        page: Page, sqlite_home: HomeFixture, media: Media, youtube: FakeYouTube,
        mastodon: FakeMastodon, telegram: FakeTelegram) -> None:
    connect_posting(sqlite_home, youtube, mastodon, telegram)
    queue_interview(sqlite_home, media.video(), "Uno")
    make_a_post_need_attention(sqlite_home, telegram, 1)
    found = "https://t.me/studiaperti_sandbox/100"

    page.open("/needs-you")
    page.log_in("anna", PASSWORD)
    rows = attention_rows(page)
    assert len(rows) == 1 and "telegram" in rows[0], rows
    assert page.button("Skip this platform interview 1 on telegram")
    page.type_into(page.by_id("resolve-1-telegram"), found)
    page.activate(page.button("Record it interview 1 on telegram"))
    assert (f"Recorded: interview 1 is on telegram at {found}; it will not be sent again."
            in page.messages())
    assert attention_rows(page) == []
    assert len(telegram.posts) == 1, "recording it sent nothing"

    page.activate(page.button("Published"))
    assert found in page.text()
    assert "published" in sqlite_home.ok("queue", "list", "--state", "all").stdout
