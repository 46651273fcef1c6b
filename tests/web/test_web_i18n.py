"""The console speaks Italian and English completely (French as far as it goes): every
message its templates and code use is in the it and en catalogues, extracted with Babel's
extractor now, so a new message without its translations fails here. The language follows
the visitor's choice, else the browser's; dates are written the language's way."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
from babel.messages.catalog import Catalog

from publisher.web.catalogues import extract, read
from publisher.web.i18n import LOCALES, choose_locale, format_moment
from tests.helpers.web_console import Console

COMPLETE = ("it", "en")  # French may be partial, but its catalogue exists and is sound
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def used() -> set[str]:
    return {str(m.id) for m in extract() if m.id}


def missing(catalogue: Catalog, messages: set[str]) -> list[str]:
    """The messages `catalogue` does not translate (absent, empty or fuzzy)."""
    out = []
    for message in sorted(messages):
        entry = catalogue.get(message)
        if entry is None or not entry.string or entry.fuzzy:
            out.append(message)
    return out


def test_the_extractor_finds_the_templates_and_the_codes_messages() -> None:
    found = used()
    assert "Log in" in found  # login.html
    assert "Wrong name or password." in found  # routes/account.py
    assert "uploaded, private until its slot" in found  # labels.py, through N_
    assert "Move up" in found  # a macro's argument in queue.html
    assert len(found) > 80


@pytest.mark.parametrize("locale", COMPLETE)
def test_the_catalogue_translates_every_message_in_use(locale: str) -> None:
    assert missing(read(locale), used()) == []


def test_a_catalogue_lacking_a_message_is_caught() -> None:
    """The check above can fail: the Italian catalogue without one message."""
    catalogue = read("it")
    catalogue.delete("Log out")
    assert missing(catalogue, used()) == ["Log out"]
    catalogue.add("Log out", "")
    assert missing(catalogue, used()) == ["Log out"]


@pytest.mark.parametrize("locale", LOCALES)
def test_each_catalogue_is_sound(locale: str) -> None:
    """It holds no message no longer in use, and each translation keeps the placeholders
    of its message (a missing one would fail at the moment a page is shown)."""
    catalogue = read(locale)
    in_use = used()
    stale = [str(m.id) for m in catalogue if m.id and str(m.id) not in in_use]
    assert stale == [], "run `python -m publisher.web.catalogues`"
    for message in catalogue:
        if message.id and message.string:
            assert (sorted(_PLACEHOLDER.findall(str(message.id)))
                    == sorted(_PLACEHOLDER.findall(str(message.string)))), message.id


def test_dates_are_written_the_languages_way() -> None:
    at = dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
    rome = ZoneInfo("Europe/Rome")
    assert format_moment(at, rome, "it") == "mar 8 dic 2026, 18:00"
    assert format_moment(at, rome, "en") == "Tue, Dec 8, 2026, 6:00\u202fPM"
    assert format_moment(at, rome, "fr") == "mar. 8 déc. 2026, 18:00"
    assert format_moment(at, ZoneInfo("America/New_York"), "it") == "mar 8 dic 2026, 12:00"


@pytest.mark.parametrize(("chosen", "header", "expected"), [
    (None, "it-IT,it;q=0.9,en;q=0.8", "it"),
    (None, "de-DE, fr-CH;q=0.8, en;q=0.5", "fr"),
    (None, "en;q=0.2, it;q=0.9", "it"),
    (None, "de, ja", "en"),
    (None, "it;q=0, en", "en"),
    (None, None, "en"),
    ("fr", "it", "fr"),
    ("xx", "it", "it"),
])
def test_the_language_is_the_choice_else_the_browsers(chosen: str | None, header: str | None,
                                                      expected: str) -> None:
    assert choose_locale(chosen, header) == expected


def test_pages_follow_the_browser_then_the_choice_and_it_outlives_a_logout(
        console: Console) -> None:
    browser = console.browser()
    browser.client.headers["accept-language"] = "fr-FR,fr;q=0.9"
    assert "Se connecter" in browser.get("/login").text
    assert '<html lang="fr">' in browser.get("/login").text
    browser.login("anna")
    assert "File" in browser.get("/queue").text
    chosen = browser.post("/language", {"lang": "it", "next": "/needs-you"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/needs-you"
    cookie = chosen.headers["set-cookie"].lower()
    assert cookie.startswith("lang=it") and "httponly" in cookie and "samesite=lax" in cookie
    assert "Cosa richiede il tuo intervento" in browser.get("/needs-you").text
    browser.post("/logout")
    assert "Accedi" in browser.get("/login").text
    ignored = browser.post("/language", {"lang": "xx", "next": "https://evil.example/"})
    assert ignored.headers["location"] == "/"
    assert "Accedi" in browser.get("/login").text
    for locale in LOCALES:
        browser.post("/language", {"lang": locale})
        assert f'<html lang="{locale}">' in browser.get("/login").text
