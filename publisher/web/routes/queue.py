"""The Queue page: the interviews in publishing order with state, slot and warnings, and
the changes an organizer makes to them (each a POST form with its CSRF token, through
publisher/services/queue_actions.py, so the CLI's rules decide)."""

from __future__ import annotations

from functools import partial

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from publisher.errors import InputError, NotFoundError, PublisherError
from publisher.services.queue_actions import Done, QueueAction, apply, check_removable
from publisher.services.queue_board import Placement, page_of, queue_board
from publisher.services.queue_queries import rank_in_queue
from publisher.web import context
from publisher.web.labels import FILTER_LABELS, N_

#: What each change says when it is done.
DONE_MESSAGES = {
    QueueAction.HOLD: N_("Interview %(id)s “%(title)s” is held: it is skipped until "
                         "released."),
    QueueAction.RELEASE: N_("Interview %(id)s “%(title)s” is queued again."),
    QueueAction.CANCEL: N_("Interview %(id)s “%(title)s” is cancelled."),
    QueueAction.RESTORE: N_("Interview %(id)s “%(title)s” is back in the queue, at position "
                            "%(position)s."),
    QueueAction.REMOVE: N_("Interview %(id)s “%(title)s” is removed."),
    QueueAction.UP: N_("Interview %(id)s “%(title)s” is now at position %(position)s."),
    QueueAction.DOWN: N_("Interview %(id)s “%(title)s” is now at position %(position)s."),
    QueueAction.MOVE: N_("Interview %(id)s “%(title)s” is now at position %(position)s."),
}


def _other(form: FormData, name: str) -> int | None:
    """The id in form field `name` (the drag and drop's "before" or "after"), if any;
    InputError when it is not an id."""
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise InputError(f"{name}: expected an interview's id, found {raw[:40]!r}")
    return int(raw)


def _filter(value: str | None) -> str:
    return value if value in FILTER_LABELS else "active"


def _page(value: object) -> int:
    """?page=N: a page number from 1 (anything else: the first page; one beyond the last:
    the last, as queue_board decides)."""
    text = str(value or "")
    return int(text) if text.isdigit() and 0 < len(text) < 9 else 1


def page_query(shown: str, page: int) -> str:
    """The query string of the Queue page showing filter `shown` at page `page`."""
    from urllib.parse import urlencode

    given = {k: v for k, v in (("state", shown if shown != "active" else ""),
                                ("page", str(page) if page > 1 else "")) if v}
    return f"?{urlencode(given)}" if given else ""


async def queue_page(request: Request, *, status_code: int = 200, refusal: str | None = None,
                     state: str | None = None, page: int | None = None) -> Response:
    console = context.console(request)
    shown = _filter(state or request.query_params.get("state"))
    wanted = page if page is not None else _page(request.query_params.get("page"))
    now = console.settings.clock()
    try:
        board = await run_in_threadpool(queue_board, console.app, shown, now, wanted)
    except PublisherError as exc:
        _ = context.translator(request).gettext
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("The queue cannot be shown"), message=str(exc))
    user = context.account(request)
    return console.pages.render(
        request, "queue.html", status_code=status_code, board=board, shown=shown,
        filters=list(FILTER_LABELS), refusal=refusal, Placement=Placement,
        can_change=user is not None and user.can_change, page_query=page_query)


async def change(request: Request) -> Response:
    try:
        action = QueueAction(request.path_params["action"])
    except ValueError:
        _ = context.translator(request).gettext
        return context.console(request).pages.render(
            request, "error.html", status_code=404, title=_("Not found"),
            message=_("There is no such page."))
    return await _change(request, action)


async def remove(request: Request) -> Response:
    form = await request.form()
    if form.get("confirm") != "yes":
        return await confirm_remove(request)
    return await _change(request, QueueAction.REMOVE)


async def _change(request: Request, action: QueueAction) -> Response:
    console = context.console(request)
    form = await request.form()
    shown = _filter(str(form.get("shown", "")) or None)
    page = _page(form.get("page"))
    interview_id = int(request.path_params["interview_id"])
    # Another page's form (the calendar's) comes back to that page, refusals included.
    back = context.local_path(str(form.get("next", "")), "") or None
    _ = context.translator(request).gettext
    try:
        where = {"before": _other(form, "before"), "after": _other(form, "after")} \
            if action is QueueAction.MOVE else {}
        done: Done = await run_in_threadpool(partial(apply, console.app, action, interview_id,
                                                     context.actor(request), **where))
    except InputError as exc:
        if back is not None:
            context.flash(request, "error", _("The change was refused; nothing was changed:")
                          + " " + str(exc))
            return RedirectResponse(back, status_code=303)
        code = 404 if isinstance(exc, NotFoundError) else 409
        return await queue_page(request, status_code=code, refusal=str(exc), state=shown,
                                page=page)
    context.flash(request, "done", _(DONE_MESSAGES[action]) % {
        "id": done.interview_id, "title": done.title, "position": done.position})
    if back is not None:
        return RedirectResponse(back, status_code=303)
    # Back to the page that now shows the interview (a move may take it to the next page).
    index = await run_in_threadpool(rank_in_queue, console.app, shown, interview_id)
    target = str(request.app.url_path_for("queue")) + page_query(
        shown, page if index is None else page_of(index))
    return RedirectResponse(f"{target}#interview-{interview_id}", status_code=303)


async def confirm_remove(request: Request) -> Response:
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    shown = _filter(request.query_params.get("state"))
    page = _page(request.query_params.get("page"))
    try:
        title = await run_in_threadpool(check_removable, console.app, interview_id)
    except NotFoundError as exc:
        return await queue_page(request, status_code=404, refusal=str(exc), state=shown,
                                page=page)
    except InputError as exc:
        return await queue_page(request, status_code=409, refusal=str(exc), state=shown,
                                page=page)
    return console.pages.render(request, "confirm_remove.html", interview_id=interview_id,
                                title=title, shown=shown, page=page, page_query=page_query)


ROUTES = [
    Route("/queue", queue_page, methods=["GET"], name="queue"),
    Route("/queue/{interview_id:int}/remove", confirm_remove, methods=["GET"],
          name="confirm_remove"),
    Route("/queue/{interview_id:int}/remove", remove, methods=["POST"], name="remove"),
    Route("/queue/{interview_id:int}/{action}", change, methods=["POST"], name="change"),
]
