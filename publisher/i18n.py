"""The gettext catalogues (Babel) of everything organizers read: the console's pages and
the notifications they receive. One set of catalogues, `publisher/web/locale/*/messages.po`,
read from files (no import of publisher.web, which only the interfaces may import) and
compiled in memory on first use (Babel's `write_mo`): nothing to build.

The console picks a visitor's language (publisher/web/i18n.py); the notifications speak the
campaign's (publisher.toml's `[campaign] language`), through `campaign_translations`.
`tests/web/test_web_i18n.py` fails when a catalogue lacks a message the console or a
notification uses (publisher/web/catalogues.py extracts both).
"""

from __future__ import annotations

import datetime as dt
import io
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from babel.support import Translations

#: The languages organizers can read, in the order the console's switch offers them.
LOCALES = ("it", "en", "fr")
DEFAULT_LOCALE = "en"
DOMAIN = "messages"
#: Where the catalogues live (inside the package; they ship in the wheel).
LOCALE_ROOT = Path(__file__).resolve().parent / "web"
#: The modules whose notifications are translated (their `_("…")` messages are in the
#: catalogues), relative to the package.
NOTIFYING_MODULES = ("pipeline/chores.py", "pipeline/notices.py")


def catalogue_path(locale: str) -> str:
    """A catalogue's path, relative to LOCALE_ROOT."""
    return f"locale/{locale}/LC_MESSAGES/{DOMAIN}.po"


@cache
def translations(locale: str) -> Translations:
    """The compiled catalogue of `locale` (fuzzy entries left out, as msgfmt does)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import Translations

    with (LOCALE_ROOT / catalogue_path(locale)).open("rb") as po:
        catalogue = read_po(po, locale=locale, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def campaign_locale(language: str) -> str:
    """The catalogue for a campaign's language (`it`, `it-CH`), else DEFAULT_LOCALE."""
    primary = language.replace("_", "-").split("-")[0].casefold()
    return primary if primary in LOCALES else DEFAULT_LOCALE


def campaign_translations(language: str) -> Translations:
    return translations(campaign_locale(language))


@lru_cache(maxsize=4096)  # a page shows the same slots again and again
def format_moment(at: dt.datetime, zone: dt.tzinfo, locale: str) -> str:
    """A moment in `zone`, as the language writes it: `mar 8 dic 2026, 18:00`,
    `Tue, Dec 8, 2026, 6:00 PM`, `mar. 8 déc. 2026, 18:00`."""
    from babel.dates import format_skeleton, format_time, get_datetime_format

    local = at.astimezone(zone)
    date = format_skeleton("yMMMEd", local, locale=locale)
    time = format_time(local, "short", locale=locale)
    pattern = get_datetime_format("medium", locale=locale)
    return str(pattern).replace("{1}", date).replace("{0}", time)


def format_date(day: dt.date, locale: str) -> str:
    """A calendar day (no time zone to apply): `mar 8 dic 2026`."""
    from babel.dates import format_skeleton

    return str(format_skeleton("yMMMEd", day, locale=locale))
