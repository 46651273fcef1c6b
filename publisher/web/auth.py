"""Who is asking: no page or action without a login, sessions that end, viewers who only
look.

A session (Starlette's signed, HttpOnly, SameSite=Lax cookie) holds the account's id, its
session epoch at login and when it was last seen. It is over when the account is gone, when
a logout or a new password moved the account's epoch on (so a copied cookie is worthless
too), or after the idle timeout.
An anonymous request for a page is sent to the login page; any other anonymous request gets
401. A viewer's request to change anything gets 403, whatever the route: new routes are
closed by default.
"""

from __future__ import annotations

import datetime as dt

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from publisher.services.web_users import Account, session_account
from publisher.web import context

#: Reachable without a login: they reveal nothing (the login form, a bare health check,
#: the language switch, the style sheet).
PUBLIC_PATHS = frozenset({"/login", "/healthz", "/language"})
PUBLIC_PREFIXES = ("/static/",)
#: What a viewer may still post: only about themselves (log in again, leave, pick a language).
VIEWER_POSTS = frozenset({"/login", "/logout", "/language"})
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def start_session(request: Request, user: Account, now: dt.datetime) -> None:
    """A fresh session for `user` (nothing of the anonymous one is kept)."""
    request.session.clear()
    request.session.update({"uid": user.id, "epoch": user.session_epoch,
                            "seen": now.isoformat()})


class RequireLogin:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        user = await self._account(request)
        scope.setdefault("state", {})["account"] = user
        path = request.url.path
        response: Response | None = None
        if user is None and not is_public(path):
            response = self._anonymous(request)
        elif (user is not None and not user.can_change and request.method not in SAFE_METHODS
              and path not in VIEWER_POSTS):
            response = self._viewer(request)
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _account(self, request: Request) -> Account | None:
        session = request.session
        if "uid" not in session:
            return None
        console = context.console(request)
        now = console.settings.clock()
        try:
            epoch = int(session["epoch"])
            seen = dt.datetime.fromisoformat(session["seen"])
            user_id = int(session["uid"])
        except (KeyError, TypeError, ValueError):
            session.clear()
            return None
        if now - seen > console.settings.idle_timeout:
            session.clear()
            session["ended"] = "idle"
            return None
        user = await run_in_threadpool(session_account, console.app, user_id, epoch)
        if user is None:
            session.clear()
            session["ended"] = "elsewhere"
            return None
        session["seen"] = now.isoformat()
        return user

    @staticmethod
    def _anonymous(request: Request) -> Response:
        _ = context.translator(request).gettext
        if request.method in ("GET", "HEAD"):
            target = context.local_path(
                request.url.path + (f"?{request.url.query}" if request.url.query else ""))
            login = str(request.app.url_path_for("login"))
            query = "" if target == "/" else "?" + _urlencode({"next": target})
            return RedirectResponse(login + query, status_code=303)
        return PlainTextResponse(_("Log in first."), status_code=401)

    @staticmethod
    def _viewer(request: Request) -> Response:
        _ = context.translator(request).gettext
        return context.console(request).pages.render(
            request, "error.html", status_code=403, title=_("Not allowed"),
            message=_("Your account can look at everything but change nothing; ask an "
                      "organizer."))


def _urlencode(params: dict[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode(params)
