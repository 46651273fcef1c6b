"""The Interview page: a picture of the video (its thumbnail, else a frame), exactly what
each platform will receive with its count against the limit (`publisher preview`'s data,
publisher/services/preview.py), its journal (`publisher history`), and once out the links
to the video and every post (publisher/services/published.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from publisher.app import App
from publisher.errors import NotFoundError, PublisherError
from publisher.services.frames import picture_of
from publisher.services.preview import Preview, preview
from publisher.services.queue_queries import show_interview
from publisher.services.status import journal
from publisher.store.models import State
from publisher.web import context
from publisher.web.routes.errors import not_found

#: States in which an organizer may still change the interview's fields (queue.py decides;
#: this only hides an Edit button that would be refused).
EDITABLE = frozenset({State.QUEUED.value, State.HELD.value, State.STAGING.value,
                      State.NEEDS_ATTENTION.value})


@dataclass
class InterviewView:
    data: dict[str, Any]
    slot: dt.datetime | None
    preview: Preview | None
    preview_problem: str | None
    events: list[dict[str, Any]]


def _instant(text: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if text else None


def gather(app: App, interview_id: int, now: dt.datetime) -> InterviewView:
    """Everything the page shows; NotFoundError for an unknown id."""
    from publisher.services.planning import planned_slot
    from publisher.services.times import local_instant

    data = show_interview(app, interview_id)
    slot: dt.datetime | None = None
    if data["state"] in (State.QUEUED.value, State.STAGING.value):
        try:
            slot = planned_slot(app, interview_id, now)
        except PublisherError:
            slot = None
    try:
        found: Preview | None = preview(app, interview_id)
        problem = None
    except NotFoundError:
        raise
    except PublisherError as exc:  # credentials.json unreadable, say: the rest still shows
        found, problem = None, str(exc)
    zone = app.zone
    events = [{**e, "at": dt.datetime.fromisoformat(e["at"]),
               "detail": [(k, local_instant(v, zone)) for k, v in (e["detail"] or {}).items()
                          if v is not None]}
              for e in reversed(journal(app, interview_id))]
    return InterviewView(data, slot, found, problem, events)


async def interview_page(request: Request) -> Response:
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    now = console.settings.clock()
    try:
        view = await run_in_threadpool(gather, console.app, interview_id, now)
    except NotFoundError as exc:
        return not_found(request, str(exc))
    except PublisherError as exc:
        _ = context.translator(request).gettext
        return console.pages.render(request, "error.html", status_code=503,
                                    title=_("The interview cannot be shown"),
                                    message=str(exc))
    user = context.account(request)
    published = view.data["published"]
    video = published["youtube"]
    return console.pages.render(
        request, "interview.html", item=view.data, slot=view.slot, preview=view.preview,
        preview_problem=view.preview_problem, events=view.events,
        video=video, video_public_at=_instant(video["public_at"]) if video else None,
        posts=[{**p, "at": _instant(p["at"])} for p in published["posts"]],
        not_before=_instant(view.data["not_before"]),
        can_change=user is not None and user.can_change,
        editable=view.data["state"] in EDITABLE)


async def picture(request: Request) -> Response:
    """The interview's picture, with its own content type (never a file a visitor names)."""
    console = context.console(request)
    interview_id = int(request.path_params["interview_id"])
    try:
        found = await run_in_threadpool(picture_of, console.app, interview_id)
    except NotFoundError as exc:
        return not_found(request, str(exc))
    if found is None:
        _ = context.translator(request).gettext
        return not_found(request, _("This interview has no picture: no thumbnail, and no "
                                    "frame could be taken from its video."))
    return Response(found.data, media_type=found.content_type)


ROUTES = [
    Route("/interviews/{interview_id:int}", interview_page, methods=["GET"], name="interview"),
    Route("/interviews/{interview_id:int}/picture", picture, methods=["GET"],
          name="interview_picture"),
]
