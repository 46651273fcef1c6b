"""The organizer's queue commands, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select, text

from publisher.store.db import make_engine
from publisher.store.models import Event
from tests.conftest import HomeFixture, Media, add_args


def _list(home: HomeFixture, *args: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(home.ok("queue", "list", "--json", *args).stdout)
    return data


def _journal(home: HomeFixture, item_id: int) -> list[str]:
    engine = make_engine(home.db_url)
    with engine.connect() as conn:
        kinds = list(conn.scalars(select(Event.kind).where(Event.interview_id == item_id)
                                  .order_by(Event.id)))
    engine.dispose()
    return kinds


def _set_state(home: HomeFixture, item_id: int, state: str) -> None:
    engine = make_engine(home.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET state = :s WHERE id = :i"),
                     {"s": state, "i": item_id})
    engine.dispose()


def test_add_with_every_option_is_stored_and_shown(home: HomeFixture, media: Media) -> None:
    video, thumb, srt, vtt = media.video(), media.png(), media.srt(), media.vtt()
    desc = media.file("desc.txt", "Nel suo studio di Carrara, tra marmo e argilla.\n")
    result = home.ok("queue", "add", video, "--title", "Maria Rossi: il marmo",
                     "--speaker", "Maria Rossi", "--role", "ceramista",
                     "--speaker", "Luca Bianchi", "--role", "direttore del museo",
                     "--speaker-link", "Maria Rossi=https://mariarossi.example",
                     "--description-file", desc, "--hashtag", "Ceramica", "--hashtag", "#Marmo",
                     "--thumbnail", thumb, "--captions", f"it={srt}", "--captions", f"en={vtt}",
                     "--language", "it", "--playlist", "Studi Aperti 2026",
                     "--not-before", "2026-12-01", "--schedule", "studi-aperti",
                     "--privacy", "unlisted", "--category", "27", "--made-for-kids",
                     "--synthetic-media", "--license", "creativeCommon",
                     "--recording-date", "2026-05-04", "--recording-place", "Carrara",
                     "--json")
    item = json.loads(result.stdout)
    assert item["title"] == "Maria Rossi: il marmo"
    assert item["speakers"] == [
        {"name": "Maria Rossi", "role": "ceramista", "links": ["https://mariarossi.example"]},
        {"name": "Luca Bianchi", "role": "direttore del museo", "links": []}]
    assert item["hashtags"] == ["#Ceramica", "#Marmo"]
    assert set(item["captions"]) == {"it", "en"}
    assert item["resolution"] == "64x48" and item["video_codec"] == "h264"
    assert item["audio_codec"] == "aac" and item["duration_s"] > 0.5
    assert len(item["video_sha256"]) == 64
    # The date as entered, at midnight in Rome (the schedule's zone), with Rome's offset.
    assert item["not_before"] == "2026-12-01T00:00:00+01:00"
    assert (item["privacy"], item["category_id"], item["license"]) == (
        "unlisted", "27", "creativeCommon")
    assert item["made_for_kids"] is True and item["synthetic_media"] is True
    shown = json.loads(home.ok("queue", "show", item["id"], "--json").stdout)
    yt = shown["youtube"]
    assert yt["title"] == "Maria Rossi: il marmo"
    assert yt["description"].endswith(
        "#StudiApertiOltreilLockdown #CarraraUnescoCreativeCity #ItalyComestoYou "
        "#Ceramica #Marmo")
    assert "Luca Bianchi, direttore del museo" in yt["description"]
    assert yt["tags"][:3] == ["StudiApertiOltreilLockdown", "CarraraUnescoCreativeCity",
                              "ItalyComestoYou"]
    assert "Maria Rossi" in yt["tags"]
    text_view = home.ok("queue", "show", item["id"]).stdout
    assert "On YouTube:" in text_view and "Maria Rossi: il marmo" in text_view


def test_list_shows_queue_order_and_filters(home: HomeFixture, media: Media) -> None:
    for title in ("Primo", "Secondo", "Terzo"):
        home.ok(*add_args(media.video(), title))
    assert [(i["id"], i["position"], i["title"]) for i in _list(home)] == [
        (1, 1, "Primo"), (2, 2, "Secondo"), (3, 3, "Terzo")]
    home.ok("queue", "hold", 2, "--reason", "waiting for the artist's approval")
    assert [i["id"] for i in _list(home, "--state", "held")] == [2]
    table = home.ok("queue", "list").stdout
    assert "Secondo" in table and "held" in table and "ID" in table


def test_move_to_and_before(home: HomeFixture, media: Media) -> None:
    for title in ("A", "B", "C", "D"):
        home.ok(*add_args(media.video(), title))
    home.ok("queue", "move", 4, "--to", 1)
    assert [i["title"] for i in _list(home)] == ["D", "A", "B", "C"]
    home.ok("queue", "move", 4, "--before", 3)
    assert [i["title"] for i in _list(home)] == ["A", "B", "D", "C"]
    assert [i["position"] for i in _list(home)] == [1, 2, 3, 4]
    bad = home.run("queue", "move", 1, "--to", 9)
    assert bad.exit_code == 2 and "between 1 and 4" in bad.stderr
    assert home.run("queue", "move", 1).exit_code == 2
    assert "moved" in _journal(home, 4)


def test_hold_release_cancel(home: HomeFixture, media: Media) -> None:
    home.ok(*add_args(media.video()))
    home.ok("queue", "hold", 1)
    again = home.run("queue", "hold", 1)
    assert again.exit_code == 2 and "only queued interviews can be held" in again.stderr
    home.ok("queue", "release", 1)
    assert _list(home)[0]["state"] == "queued"
    home.ok("queue", "cancel", 1, "--reason", "artist withdrew")
    assert _list(home) == []
    assert _list(home, "--state", "cancelled")[0]["id"] == 1
    assert _journal(home, 1) == ["queued", "held", "unheld", "cancelled"]


def test_remove_asks_or_takes_yes(home: HomeFixture, media: Media) -> None:
    home.ok(*add_args(media.video()))
    refused = home.run("queue", "remove", 1)  # not a terminal: cannot ask
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert len(_list(home)) == 1
    home.ok("queue", "remove", 1, "--yes")
    assert _list(home, "--state", "all") == []
    assert _journal(home, 1) == ["queued", "removed"]  # the journal outlives it


def test_uploaded_interview_cannot_be_removed_only_cancelled(home: HomeFixture,
                                                             media: Media) -> None:
    home.ok(*add_args(media.video()))
    _set_state(home, 1, "staged")
    before = home.snapshot()
    result = home.run("queue", "remove", 1, "--yes")
    assert result.exit_code == 2
    assert "cannot be removed, only cancelled" in result.stderr
    assert "publisher queue cancel 1" in result.stderr
    assert home.snapshot() == before
    edit = home.run("queue", "edit", 1, "--title", "Nuovo")  # a correction (issue 15)
    assert edit.exit_code == 0 and "publisher sync 1" in edit.stderr
    home.ok("queue", "cancel", 1)


def test_edit_changes_only_what_is_given(home: HomeFixture, media: Media) -> None:
    home.ok(*add_args(media.video(), "Titolo", "--hashtag", "Marmo"))
    item = json.loads(home.ok("queue", "edit", 1, "--title", "Titolo nuovo", "--json").stdout)
    assert item["title"] == "Titolo nuovo"
    assert item["hashtags"] == ["#Marmo"]
    assert item["speakers"][0]["name"] == "Maria Rossi"
    new_video = media.video()
    item = json.loads(home.ok("queue", "edit", 1, "--video", new_video, "--speaker", "Ada",
                              "--json").stdout)
    assert item["video"] == str(new_video) and [s["name"] for s in item["speakers"]] == ["Ada"]
    assert _journal(home, 1) == ["queued", "edited", "edited"]
    nothing = home.run("queue", "edit", 1)
    assert nothing.exit_code == 2 and "nothing to change" in nothing.stderr


def test_duplicate_video_is_accepted_with_allow_duplicate(home: HomeFixture,
                                                          media: Media) -> None:
    video = media.video()
    home.ok(*add_args(video))
    refused = home.run(*add_args(video))
    assert refused.exit_code == 2 and "already interview 1" in refused.stderr
    home.ok(*add_args(video, "Di nuovo", "--allow-duplicate"))
    assert len(_list(home)) == 2


def test_cancelled_video_can_be_queued_again(home: HomeFixture, media: Media) -> None:
    video = media.video()
    home.ok(*add_args(video))
    home.ok("queue", "cancel", 1)
    home.ok(*add_args(video))


def test_unknown_id(home: HomeFixture) -> None:
    for args in (("show", 7), ("hold", 7), ("remove", 7, "--yes"), ("move", 7, "--to", 1)):
        result = home.run("queue", *args)
        assert result.exit_code == 2
        assert "there is no interview 7" in result.stderr
