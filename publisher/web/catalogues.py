"""The console's gettext catalogues as data: the messages its code and templates use
(extracted with Babel, as `pybabel extract -F publisher/web/babel.cfg` does), with those of
the notifications (publisher/i18n.py's NOTIFYING_MODULES), and those each catalogue
translates. `tests/web/test_web_i18n.py` compares them; for developers,
`python -m publisher.web.catalogues` writes messages.pot and adds each new message to the
.po files (untranslated, for a translator to fill in).
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from publisher.i18n import NOTIFYING_MODULES
from publisher.web.i18n import DOMAIN, LOCALES, catalogue_path

WEB = Path(__file__).resolve().parent
PACKAGE = WEB.parent


def extract() -> Catalog:
    """Every message the console's code and templates use, with where it is used."""
    with (WEB / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)  # type: ignore[no-untyped-call]
    catalogue = Catalog(domain=DOMAIN, project="publisher", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(WEB), method_map, options_map, strip_comment_tags=True):
        catalogue.add(message, None, [(f"publisher/web/{filename}", lineno)],
                      auto_comments=comments, context=context)
    for module in NOTIFYING_MODULES:  # the notifications organizers receive
        for lineno, message, comments, context in extract_from_file(
                "python", str(PACKAGE / module), strip_comment_tags=True):
            catalogue.add(message, None, [(f"publisher/{module}", lineno)],
                          auto_comments=comments, context=context)
    return catalogue


def read(locale: str) -> Catalog:
    with (WEB / catalogue_path(locale)).open("rb") as po:
        return read_po(po, locale=locale, domain=DOMAIN)


def update() -> None:
    """Write messages.pot, and bring each .po up to date with it (new messages untranslated,
    unused ones marked obsolete, as `pybabel update` does)."""
    template = extract()
    with (WEB / "locale" / f"{DOMAIN}.pot").open("wb") as out:
        write_po(out, template, width=100, sort_output=True)
    for locale in LOCALES:
        catalogue = read(locale)
        catalogue.update(template, no_fuzzy_matching=True)
        with (WEB / catalogue_path(locale)).open("wb") as out:
            write_po(out, catalogue, width=100, sort_output=True, ignore_obsolete=True)


if __name__ == "__main__":
    update()
