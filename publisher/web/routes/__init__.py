"""The console's routes, one module per page."""

from __future__ import annotations

from starlette.routing import BaseRoute


def all_routes() -> list[BaseRoute]:
    from publisher.web.routes import (
        account,
        calendar,
        health,
        interview,
        interview_form,
        interview_youtube,
        needs_you,
        published,
        queue,
        youtube_auth,
    )

    return [*health.ROUTES, *account.ROUTES, *queue.ROUTES, *interview_form.ROUTES,
            *interview.ROUTES,
            *interview_youtube.ROUTES,
            *needs_you.ROUTES, *published.ROUTES, *calendar.ROUTES,
            *youtube_auth.ROUTES]
