"""What the browser tests show the pages: interviews queued, held and in need of attention,
each made the way an organizer makes it, through the `publisher` commands."""

from __future__ import annotations

from pathlib import Path

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
