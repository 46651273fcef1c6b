"""The console's error pages that more than one route returns."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from publisher.web import context


def not_found(request: Request, message: str | None = None, status_code: int = 404
              ) -> Response:
    _ = context.translator(request).gettext
    return context.console(request).pages.render(
        request, "error.html", status_code=status_code, title=_("Not found"),
        message=message or _("There is no such page."))
