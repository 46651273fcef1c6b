"""`/healthz`: 200 when the console can reach its database at the right schema, else 503;
the body says nothing more (it needs no login)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from publisher.web import context


async def healthz(request: Request) -> PlainTextResponse:
    app = context.console(request).app
    try:
        await run_in_threadpool(app.check_ready, needs_config=False)
    except Exception:  # unreachable, behind, unreadable: all just "unavailable" here
        return PlainTextResponse("unavailable", status_code=503)
    return PlainTextResponse("ok")


ROUTES = [Route("/healthz", healthz, methods=["GET", "HEAD"], name="healthz")]
