"""The Published page: everything that went out, newest first, with its links, filtered by
month and platform, and the same list as CSV — `publisher published`'s data
(publisher/services/published.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from publisher.errors import InputError, PublisherError
from publisher.services.published import (
    Published,
    as_csv,
    check_month,
    platform_names,
    published,
)
from publisher.services.published import (
    published_page as went_out_page,
)
from publisher.web import context

if TYPE_CHECKING:
    from publisher.app import App


@dataclass(frozen=True)
class Filters:
    month: str | None
    platform: str | None
    month_error: str | None = None
    platform_error: str | None = None

    @property
    def query(self) -> str:
        return self.page_query(1)

    def page_query(self, page: int) -> str:
        """The query string of these filters at page `page` (from 1)."""
        from urllib.parse import urlencode

        given = {k: v for k, v in (("month", self.month), ("platform", self.platform),
                                   ("page", str(page) if page > 1 else "")) if v}
        return f"?{urlencode(given)}" if given else ""


PAGE_SIZE = 100


@dataclass(frozen=True)
class Page:
    """One page of the list: its rows, which page it is, and where it stands in the list."""

    rows: list[Published]
    total: int
    page: int
    pages: int

    @property
    def first(self) -> int:
        return (self.page - 1) * PAGE_SIZE + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def page_of(app: App, filters: Filters, raw: str | None) -> Page:
    """Page ?page=N of what went out with these filters (anything not a number: the first;
    past the last: the last), read a page at a time."""
    text = raw or ""
    wanted = int(text) if text.isdigit() and 0 < len(text) < 9 else 1
    rows, total = went_out_page(app, month=filters.month, platform=filters.platform,
                                offset=(wanted - 1) * PAGE_SIZE, limit=PAGE_SIZE)
    pages = max(1, -(-total // PAGE_SIZE))
    if wanted > pages:  # past the last page: read the last
        return page_of(app, filters, str(pages))
    return Page(rows, total, wanted, pages)


def _filters(request: Request) -> Filters:
    _ = context.translator(request).gettext
    raw_month = request.query_params.get("month", "").strip()
    raw_platform = request.query_params.get("platform", "").strip()
    month = platform = month_error = platform_error = None
    if raw_month:
        try:
            month = check_month(raw_month)
        except InputError:
            month_error = _("Expected a month as YYYY-MM (e.g. 2026-12).")
    if raw_platform:
        if raw_platform in platform_names():
            platform = raw_platform
        else:
            platform_error = _("There is no such platform.")
    return Filters(month, platform, month_error, platform_error)


async def published_page(request: Request) -> Response:
    console = context.console(request)
    filters = _filters(request)
    bad = filters.month_error is not None or filters.platform_error is not None
    try:
        board = Page([], 0, 1, 1) if bad else await run_in_threadpool(
            page_of, console.app, filters, request.query_params.get("page"))
    except PublisherError as exc:
        _ = context.translator(request).gettext
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("What went out cannot be shown"),
                                    message=str(exc))
    return console.pages.render(
        request, "published.html", status_code=400 if bad else 200,
        board=board, filters=filters,
        platforms=platform_names())


async def published_csv(request: Request) -> Response:
    console = context.console(request)
    filters = _filters(request)
    problem = filters.month_error or filters.platform_error
    if problem is not None:
        return PlainTextResponse(problem, status_code=400)
    app = console.app
    rows = await run_in_threadpool(published, app, month=filters.month,
                                   platform=filters.platform)
    name = "-".join(["published", *(v for v in (filters.month, filters.platform) if v)])
    return Response(as_csv(rows, app.zone), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


ROUTES = [
    Route("/published", published_page, methods=["GET"], name="published"),
    Route("/published.csv", published_csv, methods=["GET"], name="published_csv"),
]
