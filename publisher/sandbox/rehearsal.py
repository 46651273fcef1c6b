"""`publisher demo`: the whole programme against the loopback platforms, on a fast clock.

A fresh home with the example campaign; short sample interviews made with PyAV; the
loopback platforms started in this process (SandboxPlatforms, walled off by
publisher/guard.py); then the real pipeline (`run_due`) driven through a few simulated
weeks, jumping from one due moment to the next exactly as the daemon sleeps. What each
platform received is read from the platforms' side. Nothing here can reach a real platform:
every endpoint is the sandbox's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publisher.home import Home
from publisher.sandbox.platforms import SandboxPlatforms, environment, post_text

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine
    from sqlalchemy.orm import Session

INTERVIEWS = [
    ("Maria Rossi, ceramista: il marmo e la terra", "Maria Rossi", "ceramista",
     "Nel suo studio a Carrara, Maria Rossi racconta il dialogo tra marmo e argilla.",
     ["#Ceramica", "#Marmo"]),
    ("Il museo oltre il lockdown", "Luca Bianchi", "direttore del museo",
     "Come un museo civico ha aperto le sue sale online durante il lockdown.", ["#Musei"]),
    ("Le cave di Colonnata", "Nicolò Désirée", "scultore",
     "Dalle cave allo studio: un blocco di marmo diventa scultura.", ["#Scultura"]),
]


@dataclass
class Clock:
    now: dt.datetime

    def __call__(self) -> dt.datetime:
        return self.now


@dataclass
class Outcome:
    home: Path
    zone: dt.tzinfo = dt.UTC  # the campaign's: every time the demo shows is in it
    calendar: list[tuple[str, str, str]] = field(default_factory=list)  # slot, title, what
    videos: list[dict[str, Any]] = field(default_factory=list)
    posts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    actions: int = 0
    recoveries: list[str] = field(default_factory=list)
    #: Failures each platform answered (from its request log): 429s, 5xx and "dropped"
    #: connections (not the 401s that make a client refresh an expired token).
    failures: dict[str, list[str]] = field(default_factory=dict)


def rehearse(home_dir: Path, *, weeks: int = 4, faults: bool = False,
             progress: Callable[[str | None, float], None] = lambda line, done: None
             ) -> Outcome:
    """Build the demo home in `home_dir` (new) and run `weeks` simulated weeks.

    `progress(line, done)` hears each action (or None) and the share of the simulated time
    done. With `faults`, realistic failures are injected (see `inject_faults`); the outcome
    says what recovered from what.
    """
    from publisher import queue as q
    from publisher.app import App
    from publisher.credentials import write_private
    from publisher.guard import registered, sandbox_mode
    from publisher.home import Home
    from publisher.progress import NoProgress
    from publisher.resources import resource
    from publisher.samples import SAMPLE_SRT, SAMPLE_VTT, make_png, make_video
    from publisher.sandbox.platforms import SandboxPlatforms
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
    logging.getLogger("publisher").setLevel(logging.CRITICAL)
    with SandboxPlatforms(clock=clock) as platforms, registered(platforms.ports), \
            environment(platforms.endpoints()), sandbox_mode():
        creds = platforms.credentials(home.path)
        write_private(home.credentials_file, json.dumps(creds, indent=2).encode())
        app = App(home, actor="demo")
        _queue(app, home.path / "media", q, make_video, make_png, SAMPLE_SRT, SAMPLE_VTT)
        progress(f"queued {len(INTERVIEWS)} sample interviews", 0.0)
        if faults:
            inject_faults(platforms)
        rt = app.runtime("demo")
        rt.progress, rt.clock, rt.sleep, rt.sandbox = NoProgress(), clock, lambda s: None, True
        outcome = Outcome(home.path, app.zone)
        outcome.actions = _simulate(rt, clock, weeks, progress, app.zone)
        app.close()
        outcome.calendar = _calendar(home, app.zone)
        outcome.videos = [{"title": v.title, "privacy": v.privacy_status,
                           "publish_at": v.metadata["status"].get("publishAt"),
                           "description": v.metadata["snippet"]["description"],
                           "captions": sorted(v.captions), "sha256": v.sha256, "url":
                           f"https://www.youtube.com/watch?v={v.id}"}
                          for v in platforms.youtube.videos.values()]
        links = [v["url"] for v in outcome.videos]
        for name in DEMO_PLATFORMS:
            outcome.posts[name] = [{"text": post_text(p)} for link in links
                                   for p in platforms.posts_with(name, link)]
        if faults:
            outcome.recoveries = _recoveries(home, platforms, app.zone)
        outcome.failures = {name: [str(r.status or "dropped") for r in fake.requests
                                   if r.status is None or r.status == 429 or r.status >= 500]
                            for name, fake in platforms.by_name.items()}
    return outcome


DEMO_PLATFORMS = ("mastodon", "bluesky", "telegram")


def inject_faults(platforms: SandboxPlatforms) -> None:
    """Failures organizers meet in real life, one per platform the demo posts to."""
    platforms.youtube.drop_chunk(1, after_bytes=4096)  # connection reset mid-upload
    platforms.youtube.fail_next("thumbnails.set", 503, "backendError")
    platforms.mastodon.drop_next_post(after_storing=True)  # stored, answer lost
    platforms.bluesky.rate_limit_next_post(reset_in_s=900)  # 429 with ratelimit-reset
    platforms.telegram.rate_limit_next_post(reset_in_s=120)  # 429 with retry_after


def _recoveries(home: Home, platforms: SandboxPlatforms, zone: dt.tzinfo) -> list[str]:
    """What each injected fault did and how the pipeline got over it, from the journal and
    the platforms' side."""
    from sqlalchemy import select

    from publisher.store.db import make_engine
    from publisher.store.models import Event

    engine = make_engine(home.database_url)
    with _demo_session(engine, home) as s:
        events = [(e.interview_id, e.kind, e.at, (e.detail or {}).get("platform"))
                  for e in s.scalars(select(Event).order_by(Event.at, Event.id))]
    engine.dispose()

    def trail(platform: str) -> str:
        """The journal of the post the fault hit, e.g. 'retry at Tue 18:05 → found at …'."""
        posts = [(i, kind.removeprefix("post_"), at) for i, kind, at, where in events
                 if where == platform and kind.startswith("post")]
        hit = next((i for i, kind, _ in posts if kind != "posted"), None)
        steps = [f"{kind} at {at.astimezone(zone):%a %H:%M}" for i, kind, at in posts
                 if i == hit]
        return " → ".join(steps) or "not hit"

    yt = platforms.youtube
    sessions = [x for x in yt.sessions.values() if x.kind == "video"]
    resent = sum(x.bytes_received for x in sessions) - sum(v.size for v in yt.videos.values())
    intact = all(v.sha256 for v in yt.videos.values())
    dropped = sum(1 for r in yt.requests if r.method == "PUT" and r.status is None)
    thumb_503 = sum(1 for r in yt.requests if "thumbnails" in r.path and r.status == 503)
    lines = [
        f"YouTube reset the connection mid-upload ({dropped}x): the upload asked YouTube "
        f"where it had stopped and went on from there ({max(resent, 0)} bytes sent twice); "
        f"{len(yt.videos)} videos, each the file's exact bytes"
        + ("" if intact else " (NOT INTACT)"),
        f"YouTube answered 503 to thumbnails.set ({thumb_503}x): retried; "
        f"{sum(v.thumbnails_set for v in yt.videos.values())} thumbnails set, one per video",
    ]
    for name, fault in (("mastodon", "stored the post but the answer was lost"),
                        ("bluesky", "answered 429 (rate limited)"),
                        ("telegram", "answered 429 (retry_after 2 minutes)")):
        counts = [len(platforms.posts_with(name, f"https://www.youtube.com/watch?v={v}"))
                  for v in yt.videos]
        lines.append(f"{name.capitalize()} {fault}: {trail(name)}; posts per video: "
                     f"{counts}")
    return lines


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


def _simulate(rt: Any, clock: Clock, weeks: int,
              progress: Callable[[str | None, float], None], zone: dt.tzinfo) -> int:
    """Run the pipeline from one due moment to the next; each action is told with the
    simulated time, in the campaign's time zone."""
    from publisher.pipeline.run_due import run_due
    from publisher.services.times import moment

    actions = 0
    begin = clock.now
    until = begin + dt.timedelta(weeks=weeks)
    while clock.now < until:
        report = run_due(rt, clock.now)
        done = (clock.now - begin) / (until - begin)
        for a in report.actions:
            actions += 1
            progress(f"{moment(clock.now, zone, weekday=True)}  {a.describe()}", done)
        progress(None, done)
        wake = report.next_wake or clock.now + dt.timedelta(hours=12)
        clock.now = max(clock.now + dt.timedelta(seconds=1),
                        min(wake, clock.now + dt.timedelta(hours=12), until))
    progress(None, 1.0)
    return actions


def _demo_session(engine: Engine, home: Home) -> contextlib.AbstractContextManager[Session]:
    """A transaction on the demo home's programme (its database holds only that one)."""
    from publisher.services.programmes import require
    from publisher.store.db import transaction
    from publisher.store.states import DEFAULT_PROGRAMME

    return transaction(engine, require(engine, DEFAULT_PROGRAMME, str(home.path)).id)


def _calendar(home: Home, zone: dt.tzinfo) -> list[tuple[str, str, str]]:
    from sqlalchemy import select

    from publisher.store.db import make_engine
    from publisher.store.models import Interview

    engine = make_engine(home.database_url)
    with _demo_session(engine, home) as s:
        rows = s.execute(select(Interview.slot_at, Interview.title, Interview.state)
                         .order_by(Interview.slot_at)).all()
    engine.dispose()
    return [(f"{r.slot_at.astimezone(zone):%a %Y-%m-%d %H:%M %Z}" if r.slot_at else "—",
             r.title, r.state) for r in rows]


