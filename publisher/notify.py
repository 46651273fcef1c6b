"""Telling organizers when something needs them, through apprise (e-mail, Telegram, Matrix,
… — the URLs in credentials.json's `notifications.urls`).

Every notification is also logged. A notification that cannot be delivered is logged and
never blocks publishing: it is the one side effect that is allowed to fail.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

log = logging.getLogger("publisher.notify")


def notify(subject: str, body: str, urls: Sequence[str] = ()) -> bool:
    """Send to every URL; True if all were delivered (or there were none to send to)."""
    from publisher.redact import install, register

    install()
    register(*urls)  # apprise's own log lines may name an address: never its password
    log.warning("%s: %s", subject, body)
    if not urls:
        return True
    try:
        import apprise

        sender = apprise.Apprise()
        for url in urls:
            if not sender.add(url):
                log.error("notification address not understood by apprise (check "
                          "credentials.json notifications.urls)")
        delivered = bool(sender.notify(title=f"publisher: {subject}", body=body))
    except Exception as exc:  # a broken notifier must never stop publishing
        log.error("notification failed: %s", type(exc).__name__)
        return False
    if not delivered:
        log.error("a notification could not be delivered: %s", subject)
    return delivered
