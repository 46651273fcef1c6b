"""Pages rendered on the server: one Jinja2 environment per language (autoescaped, gettext
installed), and what every page gets (the account, the language switch, the CSRF token,
messages, and dates in the campaign's time zone in the language's format)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from publisher.web import context
from publisher.web.i18n import (
    LOCALE_NAMES,
    LOCALES,
    format_clock,
    format_date,
    format_day,
    format_moment,
    format_month,
    format_short_date,
    translations,
)
from publisher.web.labels import (
    EVENT_LABELS,
    FILTER_LABELS,
    ROLE_LABELS,
    STATE_LABELS,
    UNIT_LABELS,
)


def make_environment(locale: str) -> Environment:
    env = Environment(loader=PackageLoader("publisher.web", "templates"),
                      autoescape=select_autoescape(["html"], default=True),
                      undefined=StrictUndefined, extensions=["jinja2.ext.i18n"],
                      trim_blocks=True, lstrip_blocks=True)
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env


def _label(gettext: Callable[[str], str], labels: dict[str, str], value: str) -> str:
    """What the console calls an enum's value, translated (the value itself if unnamed)."""
    return gettext(labels[value]) if value in labels else value


def campaign_zone(console: context.Console) -> dt.tzinfo:
    """The campaign's time zone; UTC while publisher.toml cannot be read (the page that
    needs it says what is wrong)."""
    from publisher.errors import PublisherError

    try:
        return console.app.zone
    except PublisherError:
        return dt.UTC


class Pages:
    def __init__(self) -> None:
        self.environments = {locale: make_environment(locale) for locale in LOCALES}
        self._routes: dict[str, Route] | None = None

    def _routes_by_name(self, request: Request) -> dict[str, Route]:
        """The application's routes by name (Starlette's own lookup tries every route in
        turn, each failing with an exception)."""
        if self._routes is None:
            self._routes = {r.name: r for r in request.app.routes if isinstance(r, Route)}
        return self._routes

    def render(self, request: Request, template: str, status_code: int = 200,
               **values: Any) -> HTMLResponse:
        locale = context.locale(request)
        console = context.console(request)
        zone = campaign_zone(console)
        gettext = translations(locale).gettext

        def moment(at: dt.datetime | None) -> str:
            return format_moment(at, zone, locale) if at is not None else ""

        def day(at: dt.datetime | None) -> str:
            return format_day(at, zone, locale) if at is not None else ""

        root = str(request.scope.get("root_path", ""))
        routes = self._routes_by_name(request)

        def path(name: str, **params: Any) -> str:
            route = routes.get(name)  # straight to the route: a page builds hundreds
            found = route.url_path_for(name, **params) if route is not None else \
                request.app.url_path_for(name, **params)
            return root + str(found)

        common = {
            "request": request, "locale": locale, "locales": LOCALES,
            "locale_names": LOCALE_NAMES, "account": context.account(request),
            "csrf_token": context.csrf_token(request), "flashes": context.take_flashes(request),
            "moment": moment, "day": day, "path": path, "zone_name": str(zone),
            "clock": lambda at: format_clock(at, zone, locale),
            "date_label": lambda d: format_date(d, locale),
            "short_date": lambda d: format_short_date(d, locale),
            "month_label": lambda d: format_month(d, locale),
            "state_label": lambda value: _label(gettext, STATE_LABELS, value),
            "role_label": lambda value: _label(gettext, ROLE_LABELS, value),
            "filter_label": lambda value: _label(gettext, FILTER_LABELS, value),
            "event_label": lambda value: _label(gettext, EVENT_LABELS, value),
            "unit_label": lambda value: _label(gettext, UNIT_LABELS, value),
            "here": request.url.path + (f"?{request.url.query}" if request.url.query else ""),
        }
        html = self.environments[locale].get_template(template).render(**common, **values)
        return HTMLResponse(html, status_code=status_code)
