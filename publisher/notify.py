"""Telling organizers when something needs them.

Every notification is logged and journaled; delivery through apprise (the URLs in
credentials.json) is wired in with the reliability work. A notification never blocks
publishing.
"""

from __future__ import annotations

import logging

log = logging.getLogger("publisher.notify")


def notify(subject: str, body: str) -> None:
    log.warning("%s: %s", subject, body)
