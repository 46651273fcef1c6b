"""What the console's Needs-you buttons do: `publisher retry`, `skip` and `resolve`, through
the same functions of publisher/attention.py, each in its own transaction, journaled under
`actor` (e.g. `web:anna`).

Each returns what will happen (the CLI's words) or raises InputError with the reason, and
then writes nothing.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.platforms.base import CrossPoster


class AttentionAction(enum.StrEnum):
    RETRY = "retry"        # try again now (the YouTube part, or one platform's post)
    SKIP = "skip"          # do not post to this platform
    RESOLVE = "resolve"    # the post was found by hand, at this address


def apply(app: App, action: AttentionAction, interview_id: int, actor: str, *,
          platform: str | None = None, url: str = "") -> str:
    from publisher import attention

    ctx = dataclasses.replace(app.queue_context(), actor=actor)
    with app.transaction() as session:
        if action is AttentionAction.RETRY:
            return attention.retry(session, ctx, interview_id, platform)
        if platform is None:
            from publisher.errors import InputError

            raise InputError(f"{action.value}: which platform? (--platform)")
        if action is AttentionAction.SKIP:
            return attention.skip(session, ctx, interview_id, platform)
        return attention.resolve(session, ctx, interview_id, platform, url.strip(),
                                 _poster(app, platform))


def _poster(app: App, platform: str) -> CrossPoster | None:
    """The platform's adapter as the pipeline builds it, to check a post's address against
    the account's server. None for YouTube and a name no platform has (refused by `resolve`
    with the list)."""
    from publisher.pipeline.crosspost import build_poster
    from publisher.platforms.spec import names

    if platform == "youtube" or platform not in names():
        return None
    return build_poster(app.home, app.config, app.credentials, platform)
