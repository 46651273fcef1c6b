"""The console's static files: a favicon every page names (so browsers ask for no
/favicon.ico and log no 404), served without a login; and the Queue's warnings wrap
anywhere, so a long path cannot widen the table past a 1280 px window."""

from __future__ import annotations

import re

from tests.helpers.web_console import Console


def test_every_page_names_a_favicon_that_is_served(console: Console) -> None:
    anonymous = console.browser()
    login = anonymous.get("/login").text
    found = re.search(r'<link rel="icon" href="([^"]+)"', login)
    assert found and found.group(1) == "/static/favicon.svg"
    icon = anonymous.get(found.group(1))
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg")
    assert '<link rel="icon"' in console.logged_in("anna").get("/queue").text


def test_warnings_wrap_anywhere(console: Console) -> None:
    css = console.browser().get("/static/console.css").text
    rule = re.search(r"\.warnings \{([^}]*)\}", css)
    assert rule and "overflow-wrap: anywhere" in rule.group(1)
