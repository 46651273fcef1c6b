"""Pictures of the console's main pages, for the README. They go to $PUBLISHER_SCREENSHOTS
when set (the README's command: `PUBLISHER_SCREENSHOTS=docs/screenshots .venv/bin/python -m
pytest tests/browser -k screenshots`), else to a temporary folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from publisher.sandbox.youtube import FakeYouTube
from publisher.web.i18n import format_month
from tests.browser.harness import WINDOW, Page, png_size
from tests.browser.scenes import SEASON, make_it_need_attention, queue_interview, slot_of
from tests.conftest import HomeFixture, Media
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

README = Path(__file__).resolve().parents[2] / "README.md"
SHOTS = README.parent / "docs" / "screenshots"
COMMAND = ("PUBLISHER_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest tests/browser "
           "-k screenshots")


@pytest.fixture
def media() -> Iterator[Media]:
    """Videos in a folder with a short name: the pictures show their paths."""
    folder = Path(tempfile.mkdtemp(prefix="studi-aperti-"))
    try:
        yield Media(folder)
    finally:
        shutil.rmtree(folder)


@pytest.mark.browser
@SLOW  # five pages of a season, each audited and photographed: CI takes them
def test_screenshots_of_the_main_pages(page: Page, sqlite_home: HomeFixture, media: Media,
                                       youtube: FakeYouTube, tmp_path: Path) -> None:
    folder = Path(os.environ.get("PUBLISHER_SCREENSHOTS") or tmp_path / "screenshots")
    videos = [media.video(f"{speaker.lower().replace(' ', '-')}.mp4")
              for _, speaker, _ in SEASON]
    for video, (title, speaker, role) in zip(videos, SEASON, strict=True):
        queue_interview(sqlite_home, video, title, speaker, role)
    make_it_need_attention(sqlite_home, youtube, 2, videos[1])
    sqlite_home.ok("queue", "hold", 4)

    page.open("/login")
    shots = [page.screenshot(folder / "login.png")]
    page.log_in("anna", PASSWORD)
    assert page.h1() == "Queue" and len(page.queue_ids()) == len(SEASON)
    shots.append(page.screenshot(folder / "queue.png"))
    page.activate(page.button("Calendar"))
    first = slot_of(sqlite_home, 1)
    if page.by_id("period-heading").text != format_month(first.date(), "en"):
        page.activate(page.button("Next month"))  # the season starts next month
    title = SEASON[0][0]
    assert f"1 {title}" in page.text()
    shots.append(page.screenshot(folder / "calendar.png"))
    page.activate(page.button(f"1 {title}"))
    assert page.h1() == f"1 {title}"
    shots.append(page.screenshot(folder / "interview.png"))
    page.activate(page.button("Needs you"))
    assert "changed since it was queued" in page.text()
    shots.append(page.screenshot(folder / "needs-you.png"))

    for shot in shots:
        assert png_size(shot) == WINDOW, shot


def test_the_readme_shows_the_calendar_and_the_queue_and_the_command_that_takes_them_again(
        ) -> None:
    readme = README.read_text(encoding="utf-8")
    assert "](docs/screenshots/calendar.png)" in readme
    assert "](docs/screenshots/queue.png)" in readme
    assert COMMAND in readme
    for name in ("login.png", "queue.png", "calendar.png", "interview.png", "needs-you.png"):
        assert png_size(SHOTS / name) == WINDOW, name
