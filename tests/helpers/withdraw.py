"""Shared by the withdrawal tests: the loopback YouTube, Mastodon, Bluesky and Telegram
wired into a home, and what the database holds of the interview and its posts."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import select

from publisher.sandbox.bluesky import FakeBluesky
from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import Interview, Publication
from tests.conftest import HomeFixture
from tests.helpers.scoped import Session
from tests.helpers.youtube import connect

BLUESKY_HANDLE = "studi.bsky.social"
BLUESKY_PASSWORD = "abcd-efgh-ijkl-mnop"


@dataclass
class Platforms:
    yt: FakeYouTube
    mastodon: FakeMastodon
    bluesky: FakeBluesky
    telegram: FakeTelegram


@contextlib.contextmanager
def started_platforms() -> Iterator[Platforms]:
    """The four loopback platforms of the withdrawal tests, running for the block."""
    with FakeYouTube() as yt, FakeMastodon() as ma, \
            FakeBluesky(handle=BLUESKY_HANDLE, app_password=BLUESKY_PASSWORD) as bs, \
            FakeTelegram() as tg:
        yield Platforms(yt, ma, bs, tg)


def wire(home: HomeFixture, p: Platforms) -> None:
    connect(home, p.yt)
    creds = json.loads((home.path / "credentials.json").read_text())
    creds["mastodon"] = {"api_base_url": "https://mastodon.social",
                         "access_token": p.mastodon.access_token}
    creds["bluesky"] = {"handle": BLUESKY_HANDLE, "app_password": BLUESKY_PASSWORD,
                        "service_url": "https://bsky.social"}
    creds["telegram"] = {"bot_token": p.telegram.token, "chat_id": p.telegram.chat_username}
    (home.path / "credentials.json").write_text(json.dumps(creds))
    home.env.update({"PUBLISHER_MASTODON_API_ROOT": p.mastodon.root,
                     "PUBLISHER_BLUESKY_API_ROOT": p.bluesky.root,
                     "PUBLISHER_TELEGRAM_API_ROOT": p.telegram.api_root})


def posts(home: HomeFixture) -> dict[str, tuple[str, str | None]]:
    """Each platform's post record: (state, url)."""
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        out = {p.platform: (p.state, p.url) for p in s.scalars(
            select(Publication).where(Publication.step == "post"))}
    engine.dispose()
    return out


def state(home: HomeFixture) -> str:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        value = s.scalars(select(Interview.state)).one()
    engine.dispose()
    return value
