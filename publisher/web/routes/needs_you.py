"""The Needs-you page: the daemon's health, what goes out next, what is in flight, and
everything that needs a person with its reason — `publisher status`'s data
(publisher/services/status.py) — each account's authorisation, today's quota and, when
asked for (`?checks=run`: they call the network), `doctor`'s checks
(publisher/services/needs_you.py); and the buttons that resolve it: retry, skip a platform,
record a post found by hand (`publisher retry`, `skip`, `resolve`, through
publisher/services/attention_actions.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from publisher.errors import InputError, PublisherError
from publisher.services.attention_actions import AttentionAction, apply
from publisher.services.needs_you import needs_you as gather
from publisher.web import context
from publisher.web.labels import N_

#: What each action says when it is done.
DONE_MESSAGES = {
    AttentionAction.RETRY: N_("Interview %(id)s will be tried again at once."),
    AttentionAction.SKIP: N_("Interview %(id)s will not be posted to %(platform)s."),
    AttentionAction.RESOLVE: N_("Recorded: interview %(id)s is on %(platform)s at %(url)s; "
                                "it will not be sent again."),
}


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def _with_actions(need: dict[str, Any]) -> dict[str, Any]:
    """Which buttons resolve it: a retry where `publisher retry` is the fix (the whole
    interview, or one platform's post); skip and record-by-hand for a post."""
    fix = str(need["fix"])
    retry = fix.startswith("publisher retry")
    post = retry and "--platform" in fix
    return {**need, "retry": retry, "post": post}


async def needs_you(request: Request, *, status_code: int = 200,
                    refusal: str | None = None) -> Response:
    console = context.console(request)
    now = console.settings.clock()
    run_checks = request.query_params.get("checks") == "run"
    try:
        board = await run_in_threadpool(
            lambda: gather(console.app, now, run_checks=run_checks))
    except PublisherError as exc:
        _ = context.translator(request).gettext
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("The status cannot be shown"), message=str(exc))
    status = board.status
    daemon = status["daemon"]
    nxt = status["next"]
    in_flight = [{**f, "slot_at": _instant(f["slot"]),
                  "percent": (100 * f["uploaded_bytes"] // f["total_bytes"])
                  if f["state"] == "staging" and f["total_bytes"] else None}
                 for f in status["in_flight"]]
    return console.pages.render(
        request, "needs_you.html", daemon=daemon,
        heartbeat=_instant(daemon["last_heartbeat"]),
        run_due_at=_instant(status["last_run_due"]),
        next_item=nxt, next_slot=_instant(nxt["slot"]) if nxt else None,
        next_upload=_instant(nxt["upload_at"]) if nxt else None,
        in_flight=in_flight,
        needs=[_with_actions(n) for n in board.waiting if n["kind"] == "interview"],
        home_needs=[n for n in board.waiting if n["kind"] != "interview"],
        runner=status["runner"],
        board=board, quota=board.quota, accounts=board.accounts.statuses,
        account_warnings=board.accounts.warnings, checks=board.checks,
        checks_error=board.checks_error, all_well=board.all_well,
        status_code=status_code, refusal=refusal,
        can_change=(user := context.account(request)) is not None and user.can_change)


async def act(request: Request) -> Response:
    console = context.console(request)
    _ = context.translator(request).gettext
    try:
        action = AttentionAction(request.path_params["action"])
    except ValueError:
        from publisher.web.routes.errors import not_found

        return not_found(request)
    form = await request.form()
    platform = str(form.get("platform", "")) or None
    url = str(form.get("url", ""))
    interview_id = int(request.path_params["interview_id"])
    try:
        await run_in_threadpool(lambda: apply(console.app, action, interview_id,
                                              context.actor(request), platform=platform, url=url))
    except InputError as exc:
        return await needs_you(request, status_code=409, refusal=str(exc))
    context.flash(request, "done", _(DONE_MESSAGES[action]) % {
        "id": interview_id, "platform": platform or "youtube", "url": url.strip()})
    return RedirectResponse(str(request.app.url_path_for("needs_you")), status_code=303)


ROUTES = [
    Route("/needs-you", needs_you, methods=["GET"], name="needs_you"),
    Route("/needs-you/{interview_id:int}/{action}", act, methods=["POST"],
          name="attention_action"),
]
