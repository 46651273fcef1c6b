"""Fixtures of the browser tests: one headless chromium for the session, skipped where
chromium and chromedriver are not installed but failing in CI (as PostgreSQL does in
tests/conftest.py), and a fresh `publisher web` process per test on its own home."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from selenium.webdriver import Chrome

from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.youtube import FakeYouTube
from tests.browser.harness import ConsoleProcess, Page, missing_binaries, start_driver
from tests.conftest import HomeFixture
from tests.helpers.web_console import add_user


@pytest.fixture(scope="session")
def driver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chrome]:
    missing = missing_binaries()
    if missing:
        why = (f"{' and '.join(missing)} not installed "
               "(apt-get install chromium chromium-driver)")
        if os.environ.get("CI"):
            pytest.fail(f"the browser tests need a browser in CI: {why}")
        pytest.skip(why)
    browser = start_driver(tmp_path_factory.mktemp("chromium-profile"))
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def console(sqlite_home: HomeFixture, tmp_path: Path) -> Iterator[ConsoleProcess]:
    """`publisher web` on a home made by `publisher init`, with the organizer anna: started
    here, and waited for by `page`, so it starts up while the test fills its home."""
    add_user(sqlite_home, "anna")
    server = ConsoleProcess(sqlite_home, tmp_path / "publisher-web.log").launch()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def page(driver: Chrome, console: ConsoleProcess) -> Page:
    """The browser, its cookies cleared, on the console."""
    console.wait_until_up()
    driver.execute_cdp_cmd("Network.clearBrowserCookies", {})
    driver.get("about:blank")
    driver.get_log("browser")  # the previous test's console lines
    return Page(driver, console.base_url)


@pytest.fixture
def youtube() -> Iterator[FakeYouTube]:
    """The loopback YouTube, for what needs an upload."""
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    """The loopback Mastodon, for what is posted."""
    with FakeMastodon() as fake:
        yield fake


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    """The loopback Telegram, for what is posted."""
    with FakeTelegram() as fake:
        yield fake
