"""How one console runs: its signing secret, cookies, idle timeout and clock.

The secret lives in the home (`web-secret`, readable by its owner only), made on first
start, so sessions survive a restart; two keys are derived from it, one per purpose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publisher.store.types import utcnow

SECRET_FILE = "web-secret"
DEFAULT_IDLE = dt.timedelta(minutes=30)


@dataclass(frozen=True)
class WebSettings:
    secret: str
    #: Cookies marked Secure even on plain HTTP (the TLS ends at a proxy that does not say
    #: X-Forwarded-Proto); behind TLS they are marked Secure anyway.
    secure_cookies: bool = False
    #: A session with no request for this long is over.
    idle_timeout: dt.timedelta = DEFAULT_IDLE
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    def key(self, purpose: str) -> str:
        """A key for one purpose (sessions, CSRF tokens), derived from the secret."""
        return hmac.new(self.secret.encode(), purpose.encode(), hashlib.sha256).hexdigest()


def load_or_create_secret(home_path: Path) -> str:
    """The home's console secret, made (0600) the first time."""
    path = home_path / SECRET_FILE
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
        if secret:
            return secret
        fd = os.open(path, os.O_WRONLY | os.O_TRUNC)  # left empty by a crash: make it again
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_urlsafe(48) + "\n")
    return path.read_text(encoding="ascii").strip()
