"""The Interview page's actions on what is on YouTube, through the CLI's own application
code: comparing with YouTube and bringing it in line (`publisher sync ID [--dry-run]
[--force]`, publisher/services/corrections.py), replacing an X or Bluesky post a correction
left as it was (`publisher sync ID --replace PLATFORM`, after a confirmation page),
withdrawing (`publisher withdraw ID --reason …`) and republishing (`publisher republish ID`,
publisher/services/withdrawals.py).

The comparison is a page of its own (it asks YouTube: one videos.list, 1 quota unit), with
the confirm buttons; each change is a POST form with its CSRF token, and comes back to the
Interview page with what it did. publisher/web/auth.py refuses a viewer's POST.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from publisher.errors import InputError, NotFoundError, PublisherError
from publisher.services.corrections import field_text, replacement_of, sync_interview
from publisher.services.withdrawals import republish_interview, withdraw_interview
from publisher.web import context
from publisher.web.labels import STATE_LABELS, SYNC_OUTCOME_LABELS, YOUTUBE_FIELD_LABELS
from publisher.web.routes.errors import not_found

if TYPE_CHECKING:
    from publisher.services.corrections import SyncReport

#: Outcomes of a sync that leave nothing for a person to do (publisher/pipeline/correct.py's
#: Outcome values: the console imports the application layer only).
_FINE = frozenset({"applied", "up_to_date", "dry_run"})
_SAME, _STUDIO = "same", "studio"  # its Verdict values


def _back(request: Request, interview_id: int) -> RedirectResponse:
    return RedirectResponse(str(request.app.url_path_for("interview",
                                                         interview_id=interview_id)),
                            status_code=303)


def _refused(request: Request, interview_id: int, exc: PublisherError) -> Response:
    if isinstance(exc, NotFoundError):
        return not_found(request, str(exc))
    _ = context.translator(request).gettext
    context.flash(request, "error", _("The change was refused; nothing was changed:") + " "
                  + str(exc))
    return _back(request, interview_id)


async def compare(request: Request) -> Response:
    """`publisher sync ID --dry-run`, as a page: field by field, what YouTube holds and
    what publisher would send, the posts' edits, and the buttons that send them."""
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    _ = context.translator(request).gettext
    try:
        report = await run_in_threadpool(partial(sync_interview, console.app, interview_id,
                                                 dry_run=True))
    except NotFoundError as exc:
        return not_found(request, str(exc))
    except PublisherError as exc:
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("YouTube cannot be compared now"),
                                    message=str(exc))
    user = context.account(request)
    return console.pages.render(
        request, "interview_sync.html", interview_id=interview_id, report=report,
        fine=report.outcome.value in _FINE,
        changes=any(d.verdict.value != _SAME for d in report.fields)
        or any(p.outcome == "would_edit" for p in report.posts),
        studio=any(d.verdict.value == _STUDIO for d in report.fields),
        field_label=lambda d: _(YOUTUBE_FIELD_LABELS[d.field.value])
        if d.field.value in YOUTUBE_FIELD_LABELS else d.label,
        field_text=field_text,
        outcome_label=_(SYNC_OUTCOME_LABELS.get(report.outcome.value, report.outcome.value)),
        can_change=user is not None and user.can_change)


async def sync(request: Request) -> Response:
    """`publisher sync ID [--force]`."""
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    form = await request.form()
    force = form.get("force") == "yes"
    _ = context.translator(request).gettext
    try:
        report = await run_in_threadpool(partial(sync_interview, console.app, interview_id,
                                                 force=force, actor=context.actor(request)))
    except PublisherError as exc:
        return _refused(request, interview_id, exc)
    _flash_report(request, report)
    return _back(request, interview_id)


def _flash_report(request: Request, report: SyncReport) -> None:
    """What a sync did: YouTube's outcome, then each post's."""
    _ = context.translator(request).gettext
    outcome = _(SYNC_OUTCOME_LABELS.get(report.outcome.value, report.outcome.value))
    context.flash(request, "done" if report.outcome.value in _FINE else "error",
                  _("YouTube: %(outcome)s.") % {"outcome": outcome} + " " + report.detail)
    for post in report.posts:
        context.flash(request, "error" if post.needs_someone else "info",
                      f"{post.platform}: {post.detail or post.outcome}")


async def confirm_replace(request: Request) -> Response:
    """The question before `publisher sync ID --replace PLATFORM`: the old post goes."""
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    platform = request.query_params.get("platform", "")
    try:
        label = await run_in_threadpool(replacement_of, console.app, interview_id, platform)
    except NotFoundError as exc:
        return not_found(request, str(exc))
    if label is None:
        _ = context.translator(request).gettext
        return not_found(request, _("Only an X or Bluesky post is replaced."))
    user = context.account(request)
    return console.pages.render(request, "confirm_replace.html", interview_id=interview_id,
                                platform=platform, label=label,
                                can_change=user is not None and user.can_change)


async def replace(request: Request) -> Response:
    """`publisher sync ID --replace PLATFORM`, once confirmed: YouTube brought in line, the
    platform's post deleted and the corrected text posted anew, once."""
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    form = await request.form()
    platform = str(form.get("platform", "")).strip().lower()
    if form.get("confirm") != "yes":  # to the question, for an interview of this programme
        try:
            await run_in_threadpool(replacement_of, console.app, interview_id, platform)
        except NotFoundError as exc:
            return not_found(request, str(exc))
        target = request.app.url_path_for("interview_replace_confirm",
                                          interview_id=interview_id)
        return RedirectResponse(f"{target}?{urlencode({'platform': platform})}",
                                status_code=303)
    try:
        report = await run_in_threadpool(partial(sync_interview, console.app, interview_id,
                                                 replace=(platform,),
                                                 actor=context.actor(request)))
    except PublisherError as exc:
        return _refused(request, interview_id, exc)
    _flash_report(request, report)
    return _back(request, interview_id)


async def withdraw(request: Request) -> Response:
    """`publisher withdraw ID --reason …`."""
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    form = await request.form()
    reason = str(form.get("reason", "")).strip()
    _ = context.translator(request).gettext
    if not reason:
        return _refused(request, interview_id,
                        InputError(_("Say why it is withdrawn: the journal keeps it.")))
    try:
        report = await run_in_threadpool(withdraw_interview, console.app, interview_id, reason,
                                         context.actor(request))
    except PublisherError as exc:
        return _refused(request, interview_id, exc)
    context.flash(request, "done", _("Interview %(id)s is withdrawn. Video on YouTube: "
                                     "%(video)s.") % {"id": interview_id,
                                                      "video": report.video})
    for platform, why in {**report.waiting, **report.needs_you}.items():
        context.flash(request, "error", f"{platform}: {why}")
    return _back(request, interview_id)


async def republish(request: Request) -> Response:
    """`publisher republish ID`."""
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    _ = context.translator(request).gettext
    try:
        report = await run_in_threadpool(republish_interview, console.app, interview_id,
                                         context.actor(request))
    except PublisherError as exc:
        return _refused(request, interview_id, exc)
    state = report.back_to.value if report.back_to else ""
    context.flash(request, "done", _("Interview %(id)s is back: %(state)s. Video on YouTube: "
                                     "%(video)s.") % {
        "id": interview_id, "state": _(STATE_LABELS[state]) if state in STATE_LABELS
        else state, "video": report.video})
    if report.reposting:
        context.flash(request, "info", _("Posted again on: %(platforms)s.") % {
            "platforms": ", ".join(report.reposting)})
    return _back(request, interview_id)


ROUTES = [
    Route("/interviews/{interview_id:int}/sync", compare, methods=["GET"],
          name="interview_compare"),
    Route("/interviews/{interview_id:int}/sync", sync, methods=["POST"], name="interview_sync"),
    Route("/interviews/{interview_id:int}/replace", confirm_replace, methods=["GET"],
          name="interview_replace_confirm"),
    Route("/interviews/{interview_id:int}/replace", replace, methods=["POST"],
          name="interview_replace"),
    Route("/interviews/{interview_id:int}/withdraw", withdraw, methods=["POST"],
          name="interview_withdraw"),
    Route("/interviews/{interview_id:int}/republish", republish, methods=["POST"],
          name="interview_republish"),
]
