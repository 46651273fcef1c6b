"""What the browser tests show the pages: interviews queued, held and in need of attention,
each made the way an organizer makes it, through the `publisher` commands."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media
from tests.helpers.youtube import connect

#: A season like the real one: title, speaker, role.
SEASON = (
    ("Maria Rossi nel suo studio", "Maria Rossi", "ceramista"),
    ("Il marmo dopo il lockdown", "Luca Bianchi", "scultore"),
    ("Un museo che riapre", "Giulia Neri", "direttrice del museo"),
    ("Carrara città creativa", "Paolo Verdi", "assessore alla cultura"),
    ("La bottega di via Roma", "Anna Conti", "orafa"),
)


def queue_interview(home: HomeFixture, video: Path, title: str, speaker: str = "Maria Rossi",
                    role: str = "ceramista") -> None:
    home.ok("queue", "add", video, "--title", title, "--speaker", speaker, "--role", role)


def queue_season(home: HomeFixture, media: Media) -> None:
    for title, speaker, role in SEASON:
        queue_interview(home, media.video(), title, speaker, role)


def make_it_need_attention(home: HomeFixture, yt: FakeYouTube, interview_id: int,
                           video: Path) -> None:
    """`publisher upload` (to the loopback YouTube) finds the interview's video changed
    since it was queued: the interview needs attention."""
    connect(home, yt)
    video.write_bytes(video.read_bytes()[:-1000])
    assert home.run("upload", interview_id).exit_code == 4
    status = home.run("status")
    assert status.exit_code == 4 and "changed since it was queued" in status.stdout, status.output


def slot_of(home: HomeFixture, interview_id: int) -> dt.datetime:
    """The interview's planned slot, in the campaign's time zone (`publisher plan`)."""
    plan = json.loads(home.ok("plan", "--json").stdout)
    return dt.datetime.fromisoformat(
        next(e["slot"] for e in plan if e["interview_id"] == interview_id))


def connect_posting(home: HomeFixture, yt: FakeYouTube, mastodon: FakeMastodon,
                    telegram: FakeTelegram) -> None:
    """Point the home at the loopback YouTube, Mastodon and Telegram (publisher/sandbox/,
    the platforms `--sandbox` rehearses on), as credentials.json and the API-root variables
    do; Bluesky, X and Facebook stay unconfigured, so skipped."""
    connect(home, yt)
    creds = json.loads((home.path / "credentials.json").read_text())
    creds["mastodon"] = {"api_base_url": "https://mastodon.social",
                         "access_token": mastodon.access_token}
    creds["telegram"] = {"bot_token": telegram.token, "chat_id": telegram.chat_username}
    (home.path / "credentials.json").write_text(json.dumps(creds))
    home.env.update({"PUBLISHER_MASTODON_API_ROOT": mastodon.root,
                     "PUBLISHER_TELEGRAM_API_ROOT": telegram.api_root})


def publish_now(home: HomeFixture, interview_id: int) -> dict[str, Any]:
    """`publisher publish ID --now`: uploaded, public and posted at once; what it says."""
    result = home.run("publish", interview_id, "--now", "--json")
    assert result.exit_code == 0, result.output
    said: dict[str, Any] = json.loads(result.stdout)
    return said


def make_a_post_need_attention(home: HomeFixture, telegram: FakeTelegram,
                               interview_id: int) -> None:
    """Telegram stores the post but its answer is lost; Telegram cannot be asked whether
    the post exists, so the next `run-due` leaves the post needing a person."""
    telegram.drop_next_post(after_storing=True)
    outcomes = {p["platform"]: p["outcome"] for p in publish_now(home, interview_id)["posts"]}
    assert outcomes["telegram"] == "retry", outcomes
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=10)).isoformat()
    assert home.run("run-due", "--at", later).exit_code == 4
    status = home.run("status")
    assert f"publisher retry {interview_id} --platform telegram" in status.stdout, status.output
