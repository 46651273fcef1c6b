"""The notifications organizers receive speak the campaign's language (publisher.toml's
`[campaign] language`), from the console's catalogues: an Italian campaign's weekly digest
and needs-attention messages are in Italian, its dates written the Italian way."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator

import pytest

from publisher.i18n import campaign_locale
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.notify_receiver import Receiver
from tests.helpers.youtube import connect


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.server.shutdown()


def notify_to(home: HomeFixture, receiver: Receiver) -> None:
    creds_file = home.path / "credentials.json"
    creds = json.loads(creds_file.read_text())
    creds["notifications"] = {"urls": [receiver.url]}
    creds_file.write_text(json.dumps(creds))


def set_language(home: HomeFixture, language: str) -> None:
    toml = home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace('\nlanguage = "it"\n',
                                             f'\nlanguage = "{language}"\n', 1))


def weekly_digest(home: HomeFixture, media: Media, receiver: Receiver) -> dict[str, str]:
    now = [dt.datetime.now(dt.UTC)]
    with FakeYouTube(clock=lambda: now[0]) as yt:
        connect(home, yt)
        notify_to(home, receiver)
        home.ok(*add_args(media.video(), "Intervista"))
        plan = json.loads(home.ok("plan", "--json").stdout)[0]
        now[0] = dt.datetime.fromisoformat(plan["upload_at"])
        assert home.run("run-due", "--at", plan["upload_at"]).exit_code == 0
    [digest] = [m for m in receiver.received if "Weekly" in m["title"]
                or "settimanale" in m["title"] or "semaine" in m["title"]]
    return digest


def test_an_italian_campaigns_digest_is_in_italian(sqlite_home: HomeFixture, media: Media,
                                                   receiver: Receiver) -> None:
    digest = weekly_digest(sqlite_home, media, receiver)  # publisher init's: language "it"
    assert digest["title"] == "publisher: Riepilogo settimanale"
    text = digest["message"]
    for line in ("Pubblicate negli ultimi 7 giorni: 0", "In programma nelle prossime due "
                 "settimane: 1", "Quota YouTube usata negli ultimi 7 giorni: 1 caricamenti",
                 "Autorizzazione YouTube: concessa 0 giorni fa"):
        assert line in text, text
    assert "Published" not in text and "Weekly" not in text
    # The planned slot, the Italian way: "ven 4 dic 2026, 18:00: Intervista".
    assert re.search(r"  - (lun|mar|mer|gio|ven|sab|dom) \d+ \w{3} \d{4}, \d\d:\d\d: "
                     r"Intervista", text), text


def test_a_french_campaigns_digest_is_in_french(sqlite_home: HomeFixture, media: Media,
                                                receiver: Receiver) -> None:
    set_language(sqlite_home, "fr-CH")
    digest = weekly_digest(sqlite_home, media, receiver)
    assert digest["title"] == "publisher: Résumé de la semaine"
    assert "Publiés ces 7 derniers jours : 0" in digest["message"]


def test_needs_attention_in_the_campaigns_language(sqlite_home: HomeFixture, media: Media,
                                                   receiver: Receiver) -> None:
    with FakeYouTube() as yt:
        connect(sqlite_home, yt)
        notify_to(sqlite_home, receiver)
        video = media.video()
        sqlite_home.ok(*add_args(video))
        video.write_bytes(b"changed")
        assert sqlite_home.run("upload", 1).exit_code == 4
    [message] = [m for m in receiver.received if "Riepilogo" not in m["title"]]
    assert message["title"] == "publisher: L’intervista 1 richiede attenzione"
    assert "Per risolvere:" in message["message"]
    assert "changed since it was queued" in message["message"]  # the reason as recorded


def test_a_language_without_a_catalogue_gets_english() -> None:
    assert campaign_locale("it-CH") == "it" and campaign_locale("de") == "en"
