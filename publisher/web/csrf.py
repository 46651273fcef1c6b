"""CSRF protection on every state-changing request, by asgi-csrf (a signed double-submit
cookie; the token travels in each form's hidden `csrftoken` field, first in the form).

asgi-csrf lets a POST that carries no cookie at all through (it cannot be a forged one
riding on a session); such a request reaches publisher/web/auth.py as anonymous and is
refused there, except on the public routes, which are always checked here.
"""

from __future__ import annotations

from typing import Any

from asgi_csrf import asgi_csrf
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Scope, Send

from publisher.web import context
from publisher.web.auth import PUBLIC_PATHS

COOKIE = "csrftoken"


def protect(app: ASGIApp, *, signing_secret: str) -> ASGIApp:
    protected: ASGIApp = asgi_csrf(app, signing_secret=signing_secret, cookie_name=COOKIE,
                                   always_protect=set(PUBLIC_PATHS),
                                   send_csrf_failed=_refused)
    return protected


async def _refused(scope: Scope, send: Send, _reason: Any) -> None:
    async def no_body() -> Message:
        return {"type": "http.disconnect"}

    request = Request(scope, no_body)
    _ = context.translator(request).gettext
    response = context.console(request).pages.render(
        request, "error.html", status_code=403, title=_("Form expired"),
        message=_("This form was not accepted: it is out of date or did not come from this "
                  "console. Go back, reload the page and try again."))
    await response(scope, no_body, send)
