"""Logging in and out, and the language, in a real browser, by keyboard."""

from __future__ import annotations

import pytest

from tests.browser.harness import Page
from tests.helpers.marks import SLOW
from tests.helpers.web_console import PASSWORD

pytestmark = pytest.mark.browser


def test_a_wrong_password_is_refused_the_right_one_logs_in_and_log_out_ends_it(
        page: Page) -> None:
    page.open("/queue")
    assert page.path == "/login?next=/queue"
    assert page.lang == "en" and page.h1() == "Log in"

    page.log_in("anna", "not the password")
    assert page.path == "/login"
    error = page.by_id("login-error")
    assert error.text == "Wrong name or password."
    assert error.get_attribute("role") == "alert"
    assert page.by_id("login-name").get_attribute("value") == "anna"

    page.log_in("anna", PASSWORD)
    assert page.path == "/queue"
    assert page.h1() == "Queue"
    assert "anna (organizer)" in page.text()

    page.log_out()
    assert page.path == "/login"
    assert "You are logged out." in page.messages()
    page.open("/needs-you")
    assert page.path == "/login?next=/needs-you", "the session outlived the logout"


@SLOW
def test_switching_to_italian_and_back_to_english(page: Page) -> None:
    page.open("/login")
    page.log_in("anna", PASSWORD)
    assert page.lang == "en"

    page.choose(page.by_id("language-choice"), "Italiano")
    page.activate(page.button("Change language"))
    assert page.path == "/queue"
    assert page.lang == "it"
    assert page.h1() == "Coda"
    assert page.button("Serve il tuo intervento").get_attribute("aria-current") is None
    page.activate(page.button("Serve il tuo intervento"))
    assert page.h1() == "Serve il tuo intervento", "the choice did not last"

    page.choose(page.by_id("language-choice"), "English")
    page.activate(page.button("Cambia lingua"))
    assert page.path == "/needs-you"
    assert page.lang == "en" and page.h1() == "Needs you"
