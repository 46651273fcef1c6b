"""The console as an ASGI application: routes, static files and the middleware stack.

From the outside in: security headers; cookies marked Secure behind TLS; the signed
session; CSRF checks (asgi-csrf); the login requirement and the viewer's read-only rule
(publisher/web/auth.py); then the routes. `publisher web` serves it with uvicorn; the tests
drive it with Starlette's TestClient.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from publisher.app import App
from publisher.web.auth import RequireLogin
from publisher.web.context import Console
from publisher.web.csrf import protect
from publisher.web.pages import Pages
from publisher.web.routes import all_routes
from publisher.web.security import SecureCookies, SecurityHeaders
from publisher.web.settings import WebSettings
from publisher.web.throttle import LoginThrottle

SESSION_COOKIE = "session"


def create_app(app: App, settings: WebSettings) -> Starlette:
    idle = int(settings.idle_timeout.total_seconds())
    web = Starlette(
        routes=[*all_routes(),
                Mount("/static", StaticFiles(packages=[("publisher.web", "static")]),
                      name="static")],
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SecureCookies, always=settings.secure_cookies),
            Middleware(SessionMiddleware, secret_key=settings.key("session"),
                       session_cookie=SESSION_COOKIE, max_age=idle, same_site="lax",
                       https_only=settings.secure_cookies),
            Middleware(protect, signing_secret=settings.key("csrf")),
            Middleware(RequireLogin),
        ])
    web.state.console = Console(app=app, settings=settings, pages=Pages(),
                                throttle=LoginThrottle())
    return web
