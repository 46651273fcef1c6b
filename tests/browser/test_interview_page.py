"""An interview's page in a real browser: a picture of its video, exactly what each platform
will receive with its count against the limit, its history; once published, its links."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement

from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.youtube import FakeVideo, FakeYouTube
from tests.browser.harness import Page
from tests.browser.scenes import connect_posting, publish_now, queue_interview
from tests.conftest import HomeFixture, Media
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

pytestmark = pytest.mark.browser
TITLE = "Maria Rossi nel suo studio"


def picture_shown(page: Page, img: WebElement) -> tuple[int, int]:
    """The picture's own width and height once the browser decoded it (0, 0: it did not)."""
    size: list[int] = page.driver.execute_script(
        "const i = arguments[0]; return i.complete ? [i.naturalWidth, i.naturalHeight]"
        " : [0, 0];", img)
    return size[0], size[1]


def previews(page: Page) -> dict[str, list[str]]:
    """Each platform's heading in the preview and the headings of its counted parts."""
    section = page.driver.find_element(By.CSS_SELECTOR, "section[aria-labelledby="
                                                        "preview-heading]")
    out: dict[str, list[str]] = {}
    platform = ""
    for heading in section.find_elements(By.TAG_NAME, "h3"):
        if "platform" in str(heading.get_attribute("class")):
            platform = heading.text
            out[platform] = []
        else:
            out[platform].append(" ".join(heading.text.split()))
    return out


@pytest.fixture
def interview(page: Page, sqlite_home: HomeFixture, media: Media) -> Page:
    queue_interview(sqlite_home, media.video(), TITLE)
    sqlite_home.ok("queue", "edit", 1, "--hashtag", "Ceramica")
    page.open("/interviews/1")
    page.log_in("anna", PASSWORD)
    assert page.path == "/interviews/1" and page.h1() == f"1 {TITLE}"
    return page


def test_the_picture_what_each_platform_receives_with_its_count_and_the_history(
        interview: Page) -> None:
    img = interview.driver.find_element(By.CSS_SELECTOR, "img.frame")
    assert img.get_attribute("alt") == f"A picture of the video of “{TITLE}”"
    width, height = picture_shown(interview, img)
    assert width > 0 and height > 0, "the picture did not load"

    shown = previews(interview)
    title, description, tags = shown["YouTube"]
    assert title == f"Title {len(TITLE)} of 100 characters"
    assert description.startswith("Description ") and description.endswith("of 5000 bytes")
    assert tags.startswith("Tags ") and tags.endswith("of 500 characters")
    for platform, unit in (("mastodon", "of 500 characters"), ("bluesky", "of 300 graphemes"),
                           ("telegram", "of 4096 UTF-16 units")):
        heading = next(h for h in shown if h.lower().startswith(platform))
        assert len(shown[heading]) == 1 and shown[heading][0].endswith(unit), shown
    texts = [e.text for e in interview.driver.find_elements(By.CSS_SELECTOR, "pre.text")]
    assert texts[0] == TITLE
    assert any("#Ceramica" in t and "https://www.youtube.com/watch?v=" in t for t in texts)
    assert "The video's link is a stand-in of the same length" in interview.text()

    history = interview.driver.find_elements(
        By.CSS_SELECTOR, "section[aria-labelledby=history-heading] tbody tr")
    assert len(history) == 2, [r.text for r in history]
    assert "hashtags" in history[0].text, "newest first: the edit, then the queueing"


@SLOW
def test_once_published_it_links_to_the_video_and_each_post(
        interview: Page, sqlite_home: HomeFixture, youtube: FakeYouTube,
        mastodon: FakeMastodon, telegram: FakeTelegram) -> None:
    connect_posting(sqlite_home, youtube, mastodon, telegram)
    said = publish_now(sqlite_home, 1)
    interview.open("/interviews/1")
    out = interview.driver.find_element(By.CSS_SELECTOR,
                                        "section[aria-labelledby=out-heading]").text
    assert f"YouTube: https://www.youtube.com/watch?v={said['video_id']}" in out
    assert f"mastodon: {mastodon.root.rstrip('/')}/@studiaperti/" in out, out
    assert "telegram: https://t.me/studiaperti_sandbox/" in out, out
    assert "published" in interview.driver.find_element(By.CSS_SELECTOR, ".state").text


@pytest.fixture
def published(sqlite_home: HomeFixture, media: Media, youtube: FakeYouTube,
              mastodon: FakeMastodon, telegram: FakeTelegram) -> FakeVideo:
    """Interview 1 published at once to the loopback platforms, before the console starts
    (asked for before `page`): the console's environment names them too."""
    queue_interview(sqlite_home, media.video(), TITLE)
    connect_posting(sqlite_home, youtube, mastodon, telegram)
    said = publish_now(sqlite_home, 1)
    return youtube.videos[said["video_id"]]


@SLOW  # three round trips to the loopback platforms; the quick loop keeps the page's picture
def test_an_organizer_compares_withdraws_and_republishes_from_the_page(
        published: FakeVideo, page: Page, sqlite_home: HomeFixture) -> None:
    video = published
    page.open("/interviews/1")
    page.log_in("anna", PASSWORD)

    page.activate(page.button("Compare with YouTube"))
    assert page.path == "/interviews/1/sync"
    assert page.h1() == "Interview 1 and YouTube"
    assert "compared only" in page.text() and "will change" not in page.text()
    rows = page.driver.find_elements(By.CSS_SELECTOR, "table.sync tbody tr")
    assert rows and rows[0].find_element(By.TAG_NAME, "th").text == "Title"
    assert all(r.find_elements(By.TAG_NAME, "td")[-1].text == "the same" for r in rows)
    page.activate(page.button("Back to the interview"))

    page.type_into(page.by_id("withdraw-reason"), "the artist withdrew consent")
    page.activate(page.button("Withdraw: video private, posts deleted"))
    assert any("Interview 1 is withdrawn." in m for m in page.messages()), page.messages()
    assert video.privacy_status == "private"
    assert "withdrawn" in sqlite_home.ok("queue", "show", 1).stdout

    page.activate(page.button("Republish: video public again, posts posted again"))
    assert any("Interview 1 is back:" in m for m in page.messages()), page.messages()
    assert video.privacy_status == "public"
