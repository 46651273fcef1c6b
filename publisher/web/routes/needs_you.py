"""The Needs-you page (read-only for now): the daemon's health, what goes out next, what is
in flight, and everything that needs a person with its reason and the command that
resolves it — `publisher status`'s data (publisher/services/status.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.errors import PublisherError
from publisher.services.status import gather_status
from publisher.web import context


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


async def needs_you(request: Request) -> Response:
    console = context.console(request)
    now = console.settings.clock()
    try:
        status: dict[str, Any] = await run_in_threadpool(gather_status, console.app, now)
    except PublisherError as exc:
        _ = context.translator(request).gettext
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("The status cannot be shown"), message=str(exc))
    daemon = status["daemon"]
    nxt = status["next"]
    in_flight = [{**f, "slot_at": _instant(f["slot"]),
                  "percent": (100 * f["uploaded_bytes"] // f["total_bytes"])
                  if f["state"] == "staging" and f["total_bytes"] else None}
                 for f in status["in_flight"]]
    return console.pages.render(
        request, "needs_you.html", daemon=daemon,
        heartbeat=_instant(daemon["last_heartbeat"]),
        next_item=nxt, next_slot=_instant(nxt["slot"]) if nxt else None,
        next_upload=_instant(nxt["upload_at"]) if nxt else None,
        in_flight=in_flight, needs=status["needs_attention"])


ROUTES = [Route("/needs-you", needs_you, methods=["GET"], name="needs_you")]
