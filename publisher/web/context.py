"""What every request handler reaches for: the console (the App, its settings, the page
renderer, the login throttle), the visitor's account, language, CSRF token and messages."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from starlette.requests import Request

from publisher.web.i18n import LANG_COOKIE, choose_locale, translations

if TYPE_CHECKING:
    from babel.support import Translations

    from publisher.app import App
    from publisher.services.web_users import Account
    from publisher.web.pages import Pages
    from publisher.web.settings import WebSettings
    from publisher.web.throttle import LoginThrottle


@dataclass
class Console:
    """One running console: the home's App (its engine shared by every request), how it
    runs, its pages and its login throttle."""

    app: App
    settings: WebSettings
    pages: Pages
    throttle: LoginThrottle
    #: YouTube consents under way, by their state: (Consent, when it started); the PKCE
    #: verifier stays here, on the server (publisher/web/routes/youtube_auth.py).
    consents: dict[str, tuple[Any, dt.datetime]] = field(default_factory=dict)


def console(request: Request) -> Console:
    found = request.app.state.console
    assert isinstance(found, Console)
    return found


def account(request: Request) -> Account | None:
    """The logged-in account (set by publisher/web/auth.py), or None."""
    return getattr(request.state, "account", None)


def actor(request: Request) -> str:
    """Who the journal names for what the logged-in person does here: `web:NAME`."""
    user = account(request)
    assert user is not None  # publisher/web/auth.py lets no one else reach an action
    return f"web:{user.name}"


def locale(request: Request) -> str:
    """The visitor's language: their choice (a cookie), else their browser's."""
    return choose_locale(request.cookies.get(LANG_COOKIE),
                         request.headers.get("accept-language"))


def translator(request: Request) -> Translations:
    return translations(locale(request))


def csrf_token(request: Request) -> str:
    """The token every form that changes something carries (asgi-csrf checks it)."""
    token = request.scope["csrftoken"]()
    assert isinstance(token, str)
    return token


def flash(request: Request, kind: str, text: str) -> None:
    """A message shown once on the next page (kind: done, info, error)."""
    request.session.setdefault("flash", [])
    request.session["flash"] = [*request.session["flash"], [kind, text]]


def take_flashes(request: Request) -> list[tuple[str, str]]:
    found: list[Any] = request.session.pop("flash", []) if "flash" in request.session else []
    return [(str(kind), str(text)) for kind, text in found]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def local_path(target: str | None, default: str = "/") -> str:
    """`target` if it is a path on this site (no scheme, no host, no `//`), else `default`:
    a login's `next` must not send anyone elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 32 for c in target):
        return default
    return target
