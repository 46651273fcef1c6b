"""`publisher demo`: the whole programme against the loopback platforms, on a fast clock.

A fresh home with the example campaign; short sample interviews made with PyAV; the
loopback YouTube, Mastodon, Bluesky and Telegram started in this process; then the real
pipeline (`run_due`) driven through a few simulated weeks, jumping from one due moment to the
next exactly as the daemon sleeps. What each platform received is read from the platforms'
side. Nothing here can reach a real platform: every endpoint is the sandbox's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.home import Home

INTERVIEWS = [
    ("Maria Rossi, ceramista: il marmo e la terra", "Maria Rossi", "ceramista",
     "Nel suo studio a Carrara, Maria Rossi racconta il dialogo tra marmo e argilla.",
     ["#Ceramica", "#Marmo"]),
    ("Il museo oltre il lockdown", "Luca Bianchi", "direttore del museo",
     "Come un museo civico ha aperto le sue sale online durante il lockdown.", ["#Musei"]),
    ("Le cave di Colonnata", "Nicolò Désirée", "scultore",
     "Dalle cave allo studio: un blocco di marmo diventa scultura.", ["#Scultura"]),
]
SANDBOX_SECRET = "sandbox-not-a-secret"


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Outcome:
    home: Path
    calendar: list[tuple[str, str, str]] = field(default_factory=list)  # slot, title, what
    videos: list[dict[str, Any]] = field(default_factory=list)
    posts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    actions: int = 0


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def rehearse(home_dir: Path, *, weeks: int = 4,
             progress: Callable[[str], None] = lambda line: None) -> Outcome:
    """Build the demo home in `home_dir` (new) and run `weeks` simulated weeks."""
    from publisher import queue as q
    from publisher.cli.app import App
    from publisher.credentials import write_private
    from publisher.home import Home
    from publisher.resources import resource
    from publisher.samples import SAMPLE_SRT, SAMPLE_VTT, make_png, make_video
    from publisher.sandbox.bluesky import FakeBluesky
    from publisher.sandbox.mastodon import FakeMastodon
    from publisher.sandbox.telegram import FakeTelegram
    from publisher.sandbox.youtube import FakeYouTube
    from publisher.store.db import make_engine
    from publisher.store.migrate import upgrade

    home = Home.resolve(home_dir, None)
    home.path.mkdir(parents=True, exist_ok=True)
    (home.path / "schedules").mkdir()
    (home.path / "schedules" / "studi-aperti.toml").write_text(
        resource("schedules/studi-aperti.toml").read_text())
    (home.path / "publisher.toml").write_text(resource("publisher.toml").read_text())
    engine = make_engine(home.database_url)
    upgrade(engine)
    engine.dispose()
    clock = Clock(_next_monday(dt.datetime.now(dt.UTC)))
    logging.getLogger("publisher").setLevel(logging.ERROR)
    with FakeYouTube(clock=clock) as yt, FakeMastodon() as mastodon, \
            FakeBluesky(handle="studiaperti.bsky.social", app_password="demo-app-password"
                        ) as bluesky, FakeTelegram() as telegram:
        (home.path / "youtube-token.json").write_text(json.dumps(yt.authorized_user_info()))
        creds = {
            "youtube": {"client_secrets_file": "client_secret.json",
                        "token_file": "youtube-token.json"},
            "mastodon": {"api_base_url": "https://mastodon.sandbox",
                         "access_token": mastodon.access_token},
            "bluesky": {"handle": "studiaperti.bsky.social", "app_password": "demo-app-password",
                        "service_url": "https://bsky.sandbox"},
            "telegram": {"bot_token": telegram.token, "chat_id": telegram.chat_username},
        }
        write_private(home.credentials_file, json.dumps(creds, indent=2).encode())
        env = {"PUBLISHER_YOUTUBE_API_ROOT": yt.root, "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri,
               "PUBLISHER_MASTODON_API_ROOT": mastodon.root,
               "PUBLISHER_BLUESKY_API_ROOT": bluesky.root,
               "PUBLISHER_TELEGRAM_API_ROOT": telegram.api_root}
        with _environment(env):
            app = App(home, actor="demo")
            _queue(app, home.path / "media", q, make_video, make_png, SAMPLE_SRT, SAMPLE_VTT)
            progress(f"queued {len(INTERVIEWS)} sample interviews")
            rt = app.runtime("demo")
            from publisher.progress import NoProgress

            rt.progress, rt.clock, rt.sleep = NoProgress(), clock, lambda s: None
            outcome = Outcome(home.path)
            outcome.actions = _simulate(rt, clock, clock.now + dt.timedelta(weeks=weeks),
                                        progress)
            app.close()
        outcome.calendar = _calendar(home)
        outcome.videos = [{"title": v.title, "privacy": v.privacy_status,
                           "publish_at": v.metadata["status"].get("publishAt"),
                           "description": v.metadata["snippet"]["description"],
                           "captions": sorted(v.captions), "url":
                           f"https://www.youtube.com/watch?v={v.id}"}
                          for v in yt.videos.values()]
        links = [v["url"] for v in outcome.videos]
        for name, fake in (("mastodon", mastodon), ("bluesky", bluesky),
                           ("telegram", telegram)):
            outcome.posts[name] = [_post_text(p) for link in links
                                   for p in fake.posts_with(link)]
    return outcome


def _next_monday(now: dt.datetime) -> dt.datetime:
    days = (7 - now.weekday()) % 7 or 7
    return (now + dt.timedelta(days=days)).replace(hour=8, minute=0, second=0, microsecond=0)


def _queue(app: Any, media: Path, q: Any, make_video: Any, make_png: Any, srt: str,
           vtt: str) -> None:
    media.mkdir()
    for i, (title, speaker, role, body, tags) in enumerate(INTERVIEWS, 1):
        video = make_video(media / f"intervista-{i}.mp4", seconds=2, seed=i)
        thumb = make_png(media / f"intervista-{i}.png", color=(180 + 20 * i, 170, 150))
        (media / f"intervista-{i}.it.srt").write_text(srt, encoding="utf-8")
        (media / f"intervista-{i}.en.vtt").write_text(vtt, encoding="utf-8")
        spec = q.InterviewSpec(
            video=video, title=title, speakers=[q.SpeakerSpec(speaker, role)],
            description=body, hashtags=tags, thumbnail=thumb, playlist="Studi Aperti",
            captions={"it": media / f"intervista-{i}.it.srt",
                      "en": media / f"intervista-{i}.en.vtt"}, recording_place="Carrara")
        prepared = q.prepare(app.queue_context(), spec)
        with app.transaction() as session:
            q.add(session, app.queue_context(), prepared)


def _simulate(rt: Any, clock: Clock, until: dt.datetime,
              progress: Callable[[str], None]) -> int:
    from publisher.pipeline.run_due import run_due

    actions = 0
    while clock.now < until:
        report = run_due(rt, clock.now)
        for a in report.actions:
            actions += 1
            progress(f"{clock.now:%a %Y-%m-%d %H:%M} UTC  {a.step} interview "
                     f"{a.interview_id}: {a.outcome}")
        wake = report.next_wake or clock.now + dt.timedelta(hours=12)
        clock.now = max(clock.now + dt.timedelta(seconds=1),
                        min(wake, clock.now + dt.timedelta(hours=12), until))
    return actions


def _calendar(home: Home) -> list[tuple[str, str, str]]:
    from zoneinfo import ZoneInfo

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from publisher.store.db import make_engine
    from publisher.store.models import Interview

    rome = ZoneInfo("Europe/Rome")
    engine = make_engine(home.database_url)
    with Session(engine) as s:
        rows = s.execute(select(Interview.slot_at, Interview.title, Interview.state)
                         .order_by(Interview.slot_at)).all()
    engine.dispose()
    return [(f"{r.slot_at.astimezone(rome):%a %Y-%m-%d %H:%M %Z}" if r.slot_at else "—",
             r.title, r.state) for r in rows]


def _post_text(post: dict[str, Any]) -> dict[str, Any]:
    text = post.get("text") or (post.get("record") or {}).get("text") or ""
    return {"text": text}
