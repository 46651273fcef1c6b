"""Adding and editing an interview with a form: files uploaded through the browser (streamed
to the home's media folder, publisher/web/uploads.py) or picked from the inbox folder, and
everything checked by `publisher queue add` / `queue edit`'s own code
(publisher/services/queue_edits.py); each problem is shown next to its field, and nothing
is written — not even the uploaded files kept — when anything is wrong."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from publisher.errors import InputError, NotFoundError, PublisherError
from publisher.services.inbox import (
    FileKind,
    fresh_path,
    inbox_files,
    inbox_folder,
    max_upload_bytes,
    media_folder,
    pick,
)
from publisher.services.queue_edits import (
    Saved,
    add_interview,
    edit_interview,
    editable,
    problems_of,
)
from publisher.web import context
from publisher.web.interview_form import (
    CAPTION_ROWS,
    FormValues,
    Problems,
    build_spec,
    by_field,
    file_field,
    values_from,
    values_of,
)
from publisher.web.routes.errors import not_found
from publisher.web.uploads import NotAForm, Received, UploadTooLarge, receive_form


def _lists(app: Any) -> dict[str, Any]:
    return {"inbox_videos": inbox_files(app, FileKind.VIDEO),
            "inbox_images": inbox_files(app, FileKind.IMAGE),
            "inbox_captions": inbox_files(app, FileKind.CAPTIONS),
            "inbox_path": str(inbox_folder(app)),
            "max_upload_mib": app.config.web.max_upload_mib}


async def _render(request: Request, values: FormValues, *, problems: Problems | None = None,
                  status_code: int = 200, interview_id: int | None = None,
                  current: dict[str, Any] | None = None) -> Response:
    console = context.console(request)
    _ = context.translator(request).gettext
    user = context.account(request)
    if user is None or not user.can_change:
        return console.pages.render(
            request, "error.html", status_code=403, title=_("Not allowed"),
            message=_("Your account can look at everything but change nothing; ask an "
                      "organizer."))
    try:
        lists = await run_in_threadpool(_lists, console.app)
    except PublisherError as exc:
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("The form cannot be shown"), message=str(exc))
    return console.pages.render(
        request, "interview_form.html", status_code=status_code, values=values,
        problems=problems or {}, interview_id=interview_id, current=current,
        caption_rows=CAPTION_ROWS, **lists)


async def new_form(request: Request) -> Response:
    return await _render(request, FormValues())


async def edit_form(request: Request) -> Response:
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    try:
        current = await run_in_threadpool(editable, console.app, interview_id)
    except NotFoundError as exc:
        return not_found(request, str(exc))
    except InputError as exc:
        _ = context.translator(request).gettext
        return console.pages.render(request, "error.html", status_code=409,
                                    title=_("This interview can no longer be edited"),
                                    message=str(exc))
    return await _render(request, values_of(current), interview_id=interview_id,
                         current=current)


async def add(request: Request) -> Response:
    return await _save(request, None)


async def edit(request: Request) -> Response:
    return await _save(request, int(request.path_params["interview_id"]))


def _store(received: Received, media: Path) -> dict[str, Path]:
    """Each upload under a name of its own in the media folder (from the browser's)."""
    stored: dict[str, Path] = {}
    try:
        for name, upload in received.files.items():
            target = fresh_path(media, upload.filename)
            os.replace(upload.path, target)
            stored[name] = target
    except BaseException:
        _discard(stored)
        received.discard()  # those not moved yet
        raise
    return stored


def _discard(stored: dict[str, Path]) -> None:
    for path in stored.values():
        path.unlink(missing_ok=True)


async def _save(request: Request, interview_id: int | None) -> Response:
    console = context.console(request)
    app = console.app
    _ = context.translator(request).gettext
    current: dict[str, Any] | None = None
    try:
        if interview_id is not None:
            current = await run_in_threadpool(editable, app, interview_id)
        media, limit = media_folder(app), max_upload_bytes(app)
    except NotFoundError as exc:
        return not_found(request, str(exc))
    except InputError as exc:
        return console.pages.render(request, "error.html", status_code=409,
                                    title=_("This interview can no longer be edited"),
                                    message=str(exc))
    except PublisherError as exc:
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("The form cannot be used"), message=str(exc))
    start = values_of(current) if current is not None else FormValues()
    try:
        received = await receive_form(request, media, limit)
    except UploadTooLarge as exc:
        message = _("The file is larger than this console accepts (%(limit)s MiB, "
                    "[web] max_upload_mib in publisher.toml); nothing was kept.") % {
            "limit": exc.limit // (1024 * 1024)}
        return await _render(request, start, problems={file_field(exc.field): [message]},
                             status_code=413, interview_id=interview_id, current=current)
    except NotAForm as exc:
        return console.pages.render(request, "error.html", status_code=400,
                                    title=_("The form could not be read"), message=str(exc))
    stored = await run_in_threadpool(_store, received, media)
    try:
        return await _check_and_write(request, received, stored, interview_id, current,
                                      context.actor(request))
    except BaseException:
        await run_in_threadpool(_discard, stored)
        raise


async def _check_and_write(request: Request, received: Received, stored: dict[str, Path],
                           interview_id: int | None, current: dict[str, Any] | None,
                           actor: str) -> Response:
    app = context.console(request).app
    _ = context.translator(request).gettext
    built = build_spec(received, stored, pick=lambda rel, field: pick(app, rel, field),
                       gettext=_, current=current)
    allow_duplicate = received.get("allow_duplicate") == "yes"
    messages: list[str] = []  # the app layer's, each naming its field
    own = list(built.problems)
    saved: Saved | None = None
    try:
        if own:  # every other problem too, in one go (nothing is written)
            messages += await run_in_threadpool(problems_of, app, built.spec, interview_id)
        elif interview_id is None:
            saved = await run_in_threadpool(lambda: add_interview(
                app, built.spec, actor, allow_duplicate=allow_duplicate))
        else:
            seen = _seen(received.get("seen"))
            if seen is None:
                own.append(("form", _("The form is out of date: open it again.")))
            else:
                saved = await run_in_threadpool(lambda: edit_interview(
                    app, interview_id, built.spec, actor, seen_updated_at=seen,
                    allow_duplicate=allow_duplicate))
    except InputError as exc:
        messages += str(exc).splitlines()
    if saved is None:
        await run_in_threadpool(_discard, stored)
        values = values_from(received)
        if current is not None:
            values.seen = current["updated_at_exact"]
        return await _render(request, values, problems=by_field(messages, own),
                             status_code=422, interview_id=interview_id, current=current)
    if interview_id is None:
        context.flash(request, "done", _("Interview %(id)s “%(title)s” is queued.")
                      % {"id": saved.interview_id, "title": saved.title})
    else:
        context.flash(request, "done", _("Interview %(id)s “%(title)s” is changed.")
                      % {"id": saved.interview_id, "title": saved.title})
    for warning in saved.warnings:
        context.flash(request, "info", warning)
    target = str(request.app.url_path_for("interview", interview_id=saved.interview_id))
    return RedirectResponse(target, status_code=303)


def _seen(raw: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(raw)
    except ValueError:
        return None


ROUTES = [
    Route("/interviews/new", new_form, methods=["GET"], name="new_interview"),
    Route("/interviews/new", add, methods=["POST"], name="add_interview"),
    Route("/interviews/{interview_id:int}/edit", edit_form, methods=["GET"],
          name="edit_interview"),
    Route("/interviews/{interview_id:int}/edit", edit, methods=["POST"],
          name="edit_interview_post"),
]
