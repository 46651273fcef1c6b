"""The console's languages: gettext catalogues (Babel) for it, en and fr, the choice of
language (the visitor's, else the browser's), and dates in the language's own format.

The catalogues (publisher/i18n.py loads them, for the notifications too) ship as .po files
inside the package and are compiled in memory on first use: nothing to build.
`tests/web/test_web_i18n.py` fails when a catalogue lacks a message the console uses.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from babel.dates import format_skeleton, format_time

from publisher.i18n import (
    DEFAULT_LOCALE,
    DOMAIN,
    LOCALES,
    catalogue_path,
    format_date,
    format_moment,
    translations,
)

__all__ = ["DEFAULT_LOCALE", "DOMAIN", "LOCALES", "catalogue_path", "format_date",
           "format_moment", "translations"]

#: Each language's name in itself, for the language switch.
LOCALE_NAMES = {"it": "Italiano", "en": "English", "fr": "Français"}
#: The cookie that keeps a visitor's choice of language (it outlives a logout).
LANG_COOKIE = "lang"


def parse_accept_language(header: str) -> list[str]:
    """The languages of an Accept-Language header, most wanted first (`q=0` left out)."""
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _, _, tag in sorted(weighted)]


def choose_locale(chosen: str | None, accept_language: str | None) -> str:
    """The visitor's choice if it is one of LOCALES, else the browser's first language
    the console speaks (`it-CH` is Italian), else DEFAULT_LOCALE."""
    if chosen in LOCALES:
        assert chosen is not None
        return chosen
    for tag in parse_accept_language(accept_language or ""):
        primary = tag.replace("_", "-").split("-")[0].casefold()
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def format_day(at: dt.datetime, zone: dt.tzinfo, locale: str) -> str:
    """A day in `zone`, as the language writes it: `mar 8 dic 2026`."""
    return format_skeleton("yMMMEd", at.astimezone(zone), locale=locale)


def format_clock(at: dt.datetime, zone: dt.tzinfo, locale: str) -> str:
    """A time of day in `zone`, as the language writes it: `18:00`, `6:00 PM`."""
    return str(format_time(at.astimezone(zone), "short", locale=locale))


def format_month(day: dt.date, locale: str) -> str:
    """A month and its year: `dicembre 2026`, `December 2026`, `décembre 2026`."""
    return str(format_skeleton("yMMMM", day, locale=locale))


def format_short_date(day: dt.date, locale: str) -> str:
    """A day of a week's view: `mar 8 dic`, `Tue, Dec 8`."""
    return str(format_skeleton("MMMEd", day, locale=locale))


def weekday_names(locale: str,
                  width: Literal["abbreviated", "wide"] = "abbreviated") -> list[str]:
    """Monday to Sunday, as the language names them."""
    from babel.dates import get_day_names

    names = get_day_names(width, locale=locale)
    return [str(names[i]) for i in range(7)]
