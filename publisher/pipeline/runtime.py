"""What a pipeline step needs from the outside world, gathered once per run."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from publisher.config import Config
from publisher.credentials import Credentials
from publisher.home import Home
from publisher.lifecycle import EventKind, journal, transition
from publisher.progress import NoProgress, Progress
from publisher.store.models import State

if TYPE_CHECKING:
    from babel.support import Translations

    from publisher.platforms.base import CrossPoster
    from publisher.platforms.youtube.api import YouTubeApi
    from publisher.schedules import Schedule


@dataclass
class Runtime:
    home: Home
    config: Config
    credentials: Credentials
    schedules: dict[str, Schedule]
    engine: Engine
    owner: str
    #: The programme this run acts for: every transaction sees only its rows.
    programme_id: int
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    progress: Progress = field(default_factory=NoProgress)
    should_stop: Callable[[], bool] = lambda: False
    sleep: Callable[[float], None] = time.sleep
    youtube_factory: Callable[[Runtime], tuple[YouTubeApi, Any]] | None = None
    poster_factory: Callable[[Runtime, str], CrossPoster] | None = None
    #: A rehearsal (`--sandbox`): notifications are logged, not sent.
    sandbox: bool = False
    #: Who the journal names when a person acts through the console (`web:anna`); else
    #: the kind of worker the owner names.
    acting_for: str | None = None
    #: Whether its writes make the workers' next tick plan the programme: all but a
    #: worker's plan, which says itself when it wakes next (store/plan_gate.py).
    wakes: bool = True
    _youtube: tuple[YouTubeApi, Any] | None = None

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One pipeline transaction; its commit is a pair of crash points (the crash matrix
        kills the process just before and just after each commit of the publish path)."""
        from publisher.faults import crash_point
        from publisher.store.db import transaction

        with transaction(self.engine, self.programme_id, wakes=self.wakes) as session:
            yield session
            crash_point("db.before_commit")
        crash_point("db.after_commit")

    @property
    def actor(self) -> str:
        """Who acts, for the journal: the person (`web:anna`), else the kind of worker
        ("daemon", "cli", …)."""
        return self.acting_for or self.owner.split(":")[0]

    def journal(self, session: Session, interview_id: int, kind: EventKind, **detail: Any
                ) -> None:
        journal(session, interview_id, kind, self.actor, self.clock(), **detail)

    def transition(self, session: Session, interview_id: int, to: State,
                   kind: EventKind | None, *, end_lease: bool = False,
                   attention: str | None = None, values: dict[str, Any] | None = None,
                   **detail: Any) -> State:
        """`lifecycle.transition` for this run's lease, actor and clock."""
        return transition(session, interview_id, to, kind=kind, actor=self.actor,
                          owner=self.owner, end_lease=end_lease, at=self.clock(),
                          attention=attention, values=values, **detail)

    def youtube(self, *, releasing: bool = False) -> tuple[YouTubeApi, Any]:
        """The YouTube API wrapper and its (authorised) http, created on first use. Every
        call it makes is charged to the home's quota ledger first
        (pipeline/youtube_quota.py); `releasing` (a release, a withdrawal) may spend the
        units that other work leaves for today's releases."""
        from dataclasses import replace
        from functools import partial

        from publisher.pipeline.youtube_quota import charge_call

        if self._youtube is None:
            factory = self.youtube_factory or default_youtube_factory
            self._youtube = factory(self)
        api, http = self._youtube
        return replace(api, charge=partial(charge_call, self, releasing=releasing)), http

    @property
    def notify_urls(self) -> list[str]:
        """Apprise URLs from credentials.json (the example's placeholders excluded)."""
        from publisher.credentials import is_placeholder

        urls = self.credentials.section("notifications").get("urls") or []
        return [u for u in urls if not is_placeholder(u)]

    def notify(self, subject: str, body: str) -> None:
        from publisher.notify import notify

        if self.sandbox:
            import logging

            logging.getLogger(__name__).warning("notification (sandbox: not sent): %s: %s",
                                                subject, body)
            return
        notify(subject, body, self.notify_urls)

    def translator(self) -> Translations:
        """The catalogue of the campaign's language, for what organizers are told."""
        from publisher.i18n import campaign_translations

        return campaign_translations(self.config.campaign.language)

    def path(self, relative: str) -> Path:
        p = Path(relative).expanduser()
        return p if p.is_absolute() else self.home.path / p


def endpoints_in_use(config: Config, credentials: Credentials) -> dict[str, str | None]:
    """Every address a run may send to, named after the setting that chose it."""
    import os

    from publisher.platforms.spec import crossposters
    from publisher.platforms.youtube.client import ENV_API_ROOT, ENV_TOKEN_URI, Endpoints

    yt = Endpoints.resolve(config.youtube.api_root, config.youtube.token_uri)
    out: dict[str, str | None] = {
        ENV_API_ROOT if os.environ.get(ENV_API_ROOT) else "[youtube] api_root": yt.api_root,
        ENV_TOKEN_URI if os.environ.get(ENV_TOKEN_URI) else "[youtube] token_uri":
            yt.token_uri}
    for spec in crossposters():
        env = spec.env_root
        from_env = os.environ.get(env) if env else None
        out[env if from_env and env else f"[{spec.name}] api_root"] = (
            from_env or config.api_root(spec.name))
        for key in spec.endpoint_keys:
            out[f"{spec.name}.{key} in credentials.json"] = credentials.section(
                spec.name).get(key)
    return out


def default_youtube_factory(rt: Runtime) -> tuple[YouTubeApi, Any]:
    """The real client from credentials.json's token file and the configured endpoints."""
    from publisher.platforms.errors import AuthError
    from publisher.platforms.youtube import auth
    from publisher.platforms.youtube.api import YouTubeApi
    from publisher.platforms.youtube.client import Endpoints, build_service, make_http

    section = rt.credentials.section("youtube")
    token_name = section.get("token_file")
    if not token_name:
        raise AuthError("credentials.json has no youtube.token_file: set it, then run "
                        "`publisher auth youtube`", platform="youtube")
    token_file = rt.path(token_name)
    endpoints = Endpoints.resolve(rt.config.youtube.api_root, rt.config.youtube.token_uri)
    creds = auth.load_credentials(token_file, endpoints)
    http = make_http(creds, timeout=rt.config.youtube.timeout_s)
    if not creds.valid:
        auth.refresh(creds, make_http(None, timeout=rt.config.youtube.timeout_s), token_file)
    service = build_service(http, endpoints)
    return YouTubeApi(service=service, http=http, now=rt.clock), http
