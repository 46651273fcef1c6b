"""The Published page in a real browser: an interview published with `publisher publish
--now` against the loopback platforms (publisher/sandbox/: YouTube, Mastodon, Telegram),
its video and post links, the filters, and the CSV download."""

from __future__ import annotations

import csv
import io
import urllib.request

import pytest
from selenium.webdriver.common.by import By

from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.youtube import FakeYouTube
from tests.browser.harness import Page
from tests.browser.scenes import connect_posting, publish_now, queue_interview
from tests.conftest import HomeFixture, Media
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

pytestmark = pytest.mark.browser
TITLE = "Maria Rossi nel suo studio"


@pytest.fixture
def published(page: Page, sqlite_home: HomeFixture, media: Media, youtube: FakeYouTube,
              mastodon: FakeMastodon, telegram: FakeTelegram) -> tuple[Page, str]:
    """Interview 1 published (interview 2 still queued); logged in on Published; the
    video's address."""
    connect_posting(sqlite_home, youtube, mastodon, telegram)
    queue_interview(sqlite_home, media.video(), TITLE)
    queue_interview(sqlite_home, media.video(), "Il marmo dopo il lockdown", "Luca Bianchi",
                    "scultore")
    said = publish_now(sqlite_home, 1)
    assert {p["platform"]: p["outcome"] for p in said["posts"]
            if p["platform"] in ("mastodon", "telegram")} == {"mastodon": "posted",
                                                             "telegram": "posted"}
    page.open("/published")
    page.log_in("anna", PASSWORD)
    assert page.path == "/published" and page.h1() == "Published"
    return page, f"https://www.youtube.com/watch?v={said['video_id']}"


def rows(page: Page) -> dict[str, tuple[str, str]]:
    """Platform: (interview, address), as the table shows them."""
    out = {}
    for row in page.driver.find_elements(By.CSS_SELECTOR, "table.published tbody tr"):
        interview = row.find_element(By.CSS_SELECTOR, "th").text
        cells = row.find_elements(By.TAG_NAME, "td")
        out[cells[1].text] = (interview, cells[2].text)
    return out


def download(page: Page, href: str) -> tuple[str, str]:
    """What the browser's session gets at `href`: its type and its text."""
    cookies = "; ".join(f"{c['name']}={c['value']}" for c in page.driver.get_cookies())
    request = urllib.request.Request(href, headers={"Cookie": cookies})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.headers["Content-Type"], answer.read().decode("utf-8")


def test_what_went_out_is_listed_with_its_links_and_as_csv(
        published: tuple[Page, str], mastodon: FakeMastodon) -> None:
    page, video = published
    shown = rows(page)
    assert set(shown) == {"youtube", "mastodon", "telegram"}, shown
    assert shown["youtube"] == (f"1 {TITLE}", video)
    assert shown["mastodon"][1].startswith(f"{mastodon.root.rstrip('/')}/@studiaperti/")
    assert shown["telegram"][1].startswith("https://t.me/studiaperti_sandbox/")
    assert "Il marmo" not in page.text(), "a queued interview is not published"
    assert len(mastodon.posts_with(video)) == 1

    link = page.button("Download as CSV")
    href = str(link.get_attribute("href"))
    assert href == f"{page.base_url}/published.csv"
    assert link.get_attribute("download") is not None
    kind, text = download(page, href)
    assert kind.startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 3 and video in text, text

    page.activate(page.button(f"1 {TITLE}", within=page.driver.find_element(
        By.CSS_SELECTOR, "table.published tbody tr")))
    assert page.path == "/interviews/1"


@SLOW
def test_filtering_by_platform_and_month(published: tuple[Page, str]) -> None:
    page, _video = published
    page.choose(page.by_id("published-platform"), "telegram")
    page.activate(page.button("Show"))
    assert page.path == "/published?month=&platform=telegram"
    assert set(rows(page)) == {"telegram"}
    assert page.button("Download as CSV").get_attribute("href") == \
        f"{page.base_url}/published.csv?platform=telegram"

    page.open("/published?month=1999-01")
    assert "Nothing went out with these filters." in page.text()
    page.open("/published?month=not-a-month")
    assert page.by_id("published-month-error").text == \
        "Month: Expected a month as YYYY-MM (e.g. 2026-12)."
    assert page.by_id("published-month").get_attribute("aria-invalid") == "true"
