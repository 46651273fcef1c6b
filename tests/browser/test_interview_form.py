"""Adding an interview with the form in a real browser, by keyboard, its video uploaded from
the browser: a refused form says each problem next to its field and writes nothing, kept no
file; the fixed form queues it."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.browser.harness import Page
from tests.conftest import HomeFixture, Media
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

pytestmark = pytest.mark.browser

#: 119 characters: over YouTube's 100.
LONG_TITLE = " ".join(["Maria Rossi"] * 10)


def problems_at(page: Page, field: str) -> list[str]:
    """The problems shown under one field of the form."""
    return [li.text for li in page.driver.find_elements(By.CSS_SELECTOR, f"#error-{field} li")]


def media_files(home: HomeFixture) -> list[str]:
    return sorted(p.name for p in (home.path / "media").glob("*") if p.is_file())


@pytest.fixture
def form(page: Page) -> Page:
    page.open("/queue")
    page.log_in("anna", PASSWORD)
    page.activate(page.button("Add an interview"))
    assert page.path == "/interviews/new" and page.h1() == "Add an interview"
    return page


def test_a_refused_form_explains_each_field_and_writes_nothing_then_it_is_queued(
        form: Page, sqlite_home: HomeFixture, media: Media) -> None:
    video = media.video("maria-rossi.mp4")
    before = sqlite_home.snapshot()
    form.attach(form.by_id("video-file"), video)
    form.type_into(form.by_id("title"), LONG_TITLE)
    form.type_into(form.by_id("speaker-name-1"), "Maria Rossi")
    form.type_into(form.by_id("speaker-role-1"), "ceramista")
    form.type_into(form.by_id("description"), "Nel suo studio di Carrara.")
    form.type_into(form.by_id("not-before"), "2026-13-45")
    form.activate(form.button("Add to the queue"))

    assert form.path == "/interviews/new"
    assert "Nothing was saved: see the problems marked below." in form.messages()[0]
    title_problems = problems_at(form, "title")
    assert len(title_problems) == 1, form.text()
    assert "title is 119 characters, over YouTube's limit of 100 by 19" in title_problems[0]
    assert form.by_id("title").get_attribute("aria-invalid") == "true"
    assert form.by_id("title").get_attribute("aria-describedby") == "error-title"
    date_problems = problems_at(form, "not_before")
    assert len(date_problems) == 1 and "cannot read '2026-13-45' as a date" in date_problems[0]
    assert form.by_id("not-before").get_attribute("aria-invalid") == "true"
    assert problems_at(form, "video") == [], "the uploaded video was fine"
    assert problems_at(form, "form") == [], "a problem not put next to its field"
    assert form.by_id("title").get_attribute("value") == LONG_TITLE, "what was typed is kept"
    assert form.by_id("speaker-role-1").get_attribute("value") == "ceramista"
    assert form.by_id("description").get_attribute("value") == "Nel suo studio di Carrara."
    assert sqlite_home.snapshot() == before, "a refused form wrote something"
    assert media_files(sqlite_home) == [], "a refused form kept its upload"

    form.attach(form.by_id("video-file"), video)  # a browser never keeps a file field
    form.type_into(form.by_id("title"), "Maria Rossi nel suo studio")
    form.type_into(form.by_id("not-before"), "")
    form.activate(form.button("Add to the queue"))

    assert form.path == "/interviews/1"
    assert "Interview 1 “Maria Rossi nel suo studio” is queued." in form.messages()
    assert media_files(sqlite_home) == ["maria-rossi.mp4"]
    listed = sqlite_home.ok("queue", "list").stdout
    assert "Maria Rossi nel suo studio" in listed
    form.activate(form.button("Queue"))
    assert form.queue_ids() == [1]
    row = form.queue_row(1).text
    assert "Maria Rossi nel suo studio" in row and "Maria Rossi, ceramista" in row


@SLOW
def test_a_file_that_is_not_a_video_is_refused_next_to_the_video_field(
        form: Page, sqlite_home: HomeFixture, media: Media) -> None:
    not_a_video = media.folder / "notes.mp4"
    not_a_video.write_text("not a video at all\n")
    before = sqlite_home.snapshot()
    form.attach(form.by_id("video-file"), not_a_video)
    form.type_into(form.by_id("title"), "Maria Rossi nel suo studio")
    form.type_into(form.by_id("speaker-name-1"), "Maria Rossi")
    form.activate(form.button("Add to the queue"))

    assert form.path == "/interviews/new"
    video_problems = problems_at(form, "video")
    assert len(video_problems) == 1 and video_problems[0].startswith("video: "), video_problems
    assert form.by_id("video-file").get_attribute("aria-invalid") == "true"
    assert problems_at(form, "title") == [] and problems_at(form, "speakers") == []
    assert media_files(sqlite_home) == []
    assert sqlite_home.snapshot() == before


@SLOW
def test_the_try_after_a_refusal_is_uploaded_with_the_progress_bar_too(
        form: Page, media: Media) -> None:
    video = media.video()
    form.attach(form.by_id("video-file"), video)
    form.type_into(form.by_id("title"), LONG_TITLE)
    form.type_into(form.by_id("speaker-name-1"), "Maria Rossi")
    form.driver.execute_script("window.sentByScript = true")  # gone if the page is reloaded
    form.activate(form.button("Add to the queue"))
    assert form.driver.execute_script("return window.sentByScript === true"), \
        "the first try was not sent by upload.js"
    assert problems_at(form, "title")

    form.attach(form.by_id("video-file"), video)
    form.type_into(form.by_id("title"), "Maria Rossi nel suo studio")
    form.activate(form.button("Add to the queue"))
    assert form.path == "/interviews/1"
    assert form.driver.execute_script("return window.sentByScript === true"), \
        "the second try was sent as a plain form"
