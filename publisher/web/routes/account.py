"""Logging in and out, and the language switch."""

from __future__ import annotations

import math

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from publisher.services.web_users import authenticate, end_sessions
from publisher.web import context
from publisher.web.auth import start_session
from publisher.web.i18n import LANG_COOKIE, LOCALES

LANG_COOKIE_AGE = 365 * 24 * 3600


async def login_form(request: Request) -> Response:
    if context.account(request) is not None:
        return RedirectResponse(context.local_path(request.query_params.get("next")), 303)
    ended = request.session.pop("ended", None) if "ended" in request.session else None
    return _form(request, next_path=request.query_params.get("next"), ended=ended)


def _form(request: Request, *, next_path: str | None, status_code: int = 200,
          error: str | None = None, name: str = "", ended: str | None = None) -> Response:
    return context.console(request).pages.render(
        request, "login.html", status_code=status_code, error=error, name=name,
        next_path=context.local_path(next_path, ""), ended=ended)


async def login(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("name", "")).strip()
    password = str(form.get("password", ""))
    next_path = str(form.get("next", "")) or None
    console = context.console(request)
    _ = context.translator(request).gettext
    now = console.settings.clock()
    key = console.throttle.key(name, context.client_address(request))
    wait = console.throttle.attempt(key, now)
    if wait.total_seconds() > 0:
        seconds = math.ceil(wait.total_seconds())
        response = _form(request, next_path=next_path, status_code=429, name=name,
                         error=_("Too many failed attempts: wait %(seconds)s seconds, then "
                                 "try again.") % {"seconds": seconds})
        response.headers["Retry-After"] = str(seconds)
        return response
    user = await run_in_threadpool(authenticate, console.app, name, password)
    if user is None:
        return _form(request, next_path=next_path, status_code=401, name=name,
                     error=_("Wrong name or password."))
    console.throttle.succeeded(key)
    start_session(request, user, now)
    return RedirectResponse(context.local_path(next_path), status_code=303)


async def logout(request: Request) -> Response:
    """Ends every session of the account (this browser's and any other's)."""
    user = context.account(request)
    console = context.console(request)
    if user is not None:
        await run_in_threadpool(end_sessions, console.app, user.id)
    request.session.clear()
    context.flash(request, "info", context.translator(request).gettext("You are logged out."))
    return RedirectResponse(str(request.app.url_path_for("login")), status_code=303)


async def choose_language(request: Request) -> Response:
    form = await request.form()
    lang = str(form.get("lang", ""))
    response = RedirectResponse(context.local_path(str(form.get("next", ""))), 303)
    if lang in LOCALES:
        response.set_cookie(LANG_COOKIE, lang, max_age=LANG_COOKIE_AGE, httponly=True,
                            samesite="lax")
    return response


async def home(request: Request) -> Response:
    return RedirectResponse(str(request.app.url_path_for("queue")), status_code=303)


ROUTES = [
    Route("/", home, methods=["GET"], name="home"),
    Route("/login", login_form, methods=["GET"], name="login"),
    Route("/login", login, methods=["POST"], name="login_post"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/language", choose_language, methods=["POST"], name="language"),
]
