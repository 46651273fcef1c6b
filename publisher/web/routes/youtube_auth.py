"""Authorising YouTube from the browser: an organizer's button sends them to Google's
consent page; Google sends them back to `/auth/youtube/callback`, which checks the `state`
against the one this session started, exchanges the code (with its PKCE verifier, kept on
the server) and saves the token 0600 exactly as `publisher auth youtube` does
(publisher/services/youtube_consent.py)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from publisher.errors import PublisherError
from publisher.services.youtube_consent import Consent, finish_consent, start_consent
from publisher.web import context

log = logging.getLogger(__name__)
#: How long a consent may take before its state is forgotten.
CONSENT_TTL = dt.timedelta(minutes=15)
SESSION_KEY = "youtube_consent"


def _refused(request: Request, message: str, status_code: int) -> Response:
    _ = context.translator(request).gettext
    return context.console(request).pages.render(
        request, "error.html", status_code=status_code,
        title=_("YouTube was not authorised"), message=message)


def _organizer_only(request: Request) -> Response | None:
    user = context.account(request)
    if user is None or not user.can_change:
        _ = context.translator(request).gettext
        return _refused(request, _("Only an organizer can authorise YouTube."), 403)
    return None


async def start(request: Request) -> Response:
    """POST (with its CSRF token): off to Google's consent page."""
    if (refusal := _organizer_only(request)) is not None:
        return refusal
    console = context.console(request)
    redirect_uri = str(request.url_for("youtube_auth_callback"))
    try:
        consent = await run_in_threadpool(start_consent, console.app, redirect_uri)
    except PublisherError as exc:
        return _refused(request, str(exc), 409)
    now = console.settings.clock()
    pending = console.consents
    for key in [k for k, (_c, at) in pending.items() if now - at > CONSENT_TTL]:
        del pending[key]
    pending[consent.state] = (consent, now)
    request.session[SESSION_KEY] = consent.state
    return RedirectResponse(consent.address, status_code=303)


async def callback(request: Request) -> Response:
    """Google's redirect: the state must be the one this session started, and still fresh."""
    if (refusal := _organizer_only(request)) is not None:
        return refusal
    _ = context.translator(request).gettext
    console = context.console(request)
    expected = request.session.pop(SESSION_KEY, None)
    given = request.query_params.get("state", "")
    found = console.consents.get(given) if given else None
    if (not expected or not given or not secrets.compare_digest(str(expected), given)
            or found is None):
        log.warning("a YouTube authorisation redirect with a state this session did not "
                    "start was refused")
        return _refused(request, _("This answer from Google does not belong to a consent "
                                   "started here (or it came too late): nothing was saved. "
                                   "Start again from the Needs-you page."), 400)
    del console.consents[given]
    consent: Consent = found[0]
    if console.settings.clock() - found[1] > CONSENT_TTL:
        return _refused(request, _("The consent took too long: nothing was saved. Start "
                                   "again from the Needs-you page."), 400)
    if (error := request.query_params.get("error")) or not request.query_params.get("code"):
        return _refused(request, _("Google did not authorise publisher (%(why)s): nothing "
                                   "was saved.") % {"why": error or _("no code")}, 400)
    code = request.query_params["code"]
    try:
        token_file = await run_in_threadpool(finish_consent, console.app, consent, code)
    except PublisherError as exc:
        return _refused(request, str(exc), 502)
    user = context.account(request)
    log.info("YouTube authorised from the console by %s; token saved in %s",
             user.name if user else "?", token_file)
    context.flash(request, "done", _("YouTube is authorised: the token is saved in "
                                     "%(file)s (mode 0600).") % {"file": token_file})
    return RedirectResponse(str(request.app.url_path_for("needs_you")), status_code=303)


ROUTES = [
    Route("/auth/youtube", start, methods=["POST"], name="youtube_auth_start"),
    Route("/auth/youtube/callback", callback, methods=["GET"], name="youtube_auth_callback"),
]
