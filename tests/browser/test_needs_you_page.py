"""The Needs-you page in a real browser: an interview that needs attention, its reason and
what resolves it; the Queue page marks it too."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from publisher.sandbox.youtube import FakeYouTube
from tests.browser.harness import Page
from tests.browser.scenes import make_it_need_attention, queue_interview
from tests.conftest import HomeFixture, Media
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
