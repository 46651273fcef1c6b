"""The Queue and Needs-you pages: the queue in publishing order with state, slot and
warnings; every change goes through the same functions as `publisher queue …` (what the
console changes the CLI sees at once, and the other way round), and a refusal of the app
layer is shown, with nothing changed."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select, text

from publisher.store.db import make_engine
from publisher.store.models import Event, Publication
from publisher.web.i18n import format_moment
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session
from tests.helpers.web_console import Browser, Console, add_user, console_for


@pytest.fixture
def console(sqlite_home: HomeFixture, media: Media, anna_account: str) -> Iterator[Console]:
    for title in ("Uno", "Due", "Tre"):
        sqlite_home.ok(*add_args(media.video(), title))
    yield from console_for(sqlite_home)


def _queue(home: HomeFixture, state: str = "active") -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        home.ok("queue", "list", "--state", state, "--json").stdout)
    return rows


def _titles_in_page(page: str) -> list[str]:
    return re.findall(r'<span class="title">([^<]*)</span>', page)


def _sql(home: HomeFixture, statement: str) -> None:
    engine = make_engine(home.db_url)
    with engine.begin() as conn:
        conn.execute(text(statement))
    engine.dispose()


def test_the_queue_page_shows_the_publishing_order_states_and_slots(
        console: Console, anna: Browser) -> None:
    console.home.ok("queue", "hold", 2)
    console.home.ok("queue", "edit", 3, "--not-before", "2030-01-15")
    chosen = anna.post("/language", {"lang": "it", "next": "/queue"})
    assert chosen.headers["location"] == "/queue"
    page = anna.follow(chosen)
    assert page.status_code == 200
    assert _titles_in_page(page.text) == [r["title"] for r in _queue(console.home)]
    assert "sospesa" in page.text and "non pianificata finché è sospesa" in page.text
    # The slot of interview 1 is the one `publisher plan` gives it, written the Italian way.
    plan = json.loads(console.home.ok("plan", "--weeks", "8", "--json").stdout)
    slot = next(dt.datetime.fromisoformat(e["slot_utc"]) for e in plan
                if e["interview_id"] == 1)
    written = format_moment(slot, console.app.zone, "it")
    assert re.fullmatch(r"\w{3} \d{1,2} \w{3} \d{4}, \d{2}:\d{2}", written), written
    row = page.text.split('id="interview-1"')[1].split("</tr>")[0]
    assert written in row
    later = page.text.split('id="interview-3"')[1].split("</tr>")[0]
    assert "non prima del mar 15 gen 2030, 00:00" in later


def test_changes_in_the_console_are_the_clis_and_journaled_as_the_user(
        console: Console, anna: Browser) -> None:
    home = console.home
    done = anna.post("/queue/1/hold")
    assert done.status_code == 303
    assert done.headers["location"] == "/queue#interview-1"
    assert "Interview 1 “Uno” is held" in anna.follow(done).text
    assert [r["state"] for r in _queue(home)] == ["held", "queued", "queued"]
    anna.post("/queue/1/release")
    assert [r["state"] for r in _queue(home)] == ["queued"] * 3
    anna.post("/queue/3/up")
    assert [r["title"] for r in _queue(home)] == ["Uno", "Tre", "Due"]
    moved = anna.follow(anna.post("/queue/1/down"))
    assert "is now at position 2" in moved.text
    assert [r["title"] for r in _queue(home)] == ["Tre", "Uno", "Due"]
    assert _titles_in_page(moved.text) == ["Tre", "Uno", "Due"]
    anna.post("/queue/2/cancel")
    assert [r["title"] for r in _queue(home)] == ["Tre", "Uno"]
    restored = anna.post("/queue/2/restore", {"shown": "all"})
    assert restored.headers["location"] == "/queue?state=all#interview-2"
    assert [r["title"] for r in _queue(home)] == ["Tre", "Uno", "Due"]
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        actors = set(s.scalars(select(Event.actor).where(Event.kind != "queued")))
    engine.dispose()
    assert actors == {"web:anna"}


def test_a_row_dropped_before_or_after_another_moves_there_as_queue_move_does(
        console: Console, anna: Browser) -> None:
    page = anna.get("/queue").text
    assert 'data-reorder' in page and '<script src="/static/reorder.js" defer></script>' in page
    assert '<script src="/static/drag_reorder.js" defer></script>' in page
    assert 'data-move="/queue/3/move"' in page
    dropped = anna.post("/queue/3/move", {"before": "1", "page": "1"})
    assert dropped.status_code == 303 and dropped.headers["location"] == "/queue#interview-3"
    assert "Interview 3 “Tre” is now at position 1." in anna.follow(dropped).text
    assert [r["title"] for r in _queue(console.home)] == ["Tre", "Uno", "Due"]
    anna.post("/queue/3/move", {"after": "2"})
    assert [r["title"] for r in _queue(console.home)] == ["Uno", "Due", "Tre"]
    anna.post("/queue/1/move", {"after": "2"})
    assert [r["title"] for r in _queue(console.home)] == ["Due", "Uno", "Tre"]
    for refused in ({}, {"before": "1", "after": "2"}, {"before": "x"}, {"after": "1"},
                    {"before": "99"}):
        answer = anna.post("/queue/1/move", refused)
        assert answer.status_code in (404, 409), refused
        assert "The change was refused; nothing was changed:" in answer.text
    assert [r["title"] for r in _queue(console.home)] == ["Due", "Uno", "Tre"]
    # Only the queue's own order can be dragged: not the other lists, not by a viewer.
    assert "data-reorder" not in anna.get("/queue?state=all").text
    add_user(console.home, "vera", "viewer")
    assert "data-reorder" not in console.logged_in("vera").get("/queue").text


def test_remove_asks_for_confirmation_first(console: Console, anna: Browser) -> None:
    confirm = anna.get("/queue/2/remove")
    assert confirm.status_code == 200
    assert "Remove interview 2 “Due” from the queue?" in confirm.text
    before = console.home.snapshot()
    unconfirmed = anna.post("/queue/2/remove")
    assert unconfirmed.status_code == 200 and "Yes, remove it" in unconfirmed.text
    assert console.home.snapshot() == before
    done = anna.post("/queue/2/remove", {"confirm": "yes"})
    assert "Interview 2 “Due” is removed." in anna.follow(done).text
    assert [r["title"] for r in _queue(console.home, "all")] == ["Uno", "Tre"]


def test_a_change_made_with_the_cli_shows_in_the_console_at_once(
        console: Console, anna: Browser, media: Media) -> None:
    assert "Quattro" not in anna.get("/queue").text
    console.home.ok(*add_args(media.video(), "Quattro"))
    console.home.ok("queue", "cancel", 1)
    page = anna.get("/queue").text
    assert _titles_in_page(page) == ["Due", "Tre", "Quattro"]
    every = anna.get("/queue?state=all").text
    assert "Uno" in every and 'action="/queue/1/restore"' in every


def _staged_on_youtube(home: HomeFixture, item_id: int) -> None:
    _sql(home, f"UPDATE interviews SET state = 'staged' WHERE id = {item_id}")
    engine = make_engine(home.db_url)
    with Session(engine) as s, s.begin():
        s.add(Publication(interview_id=item_id, platform="youtube", step="video", account="",
                          state="done", remote_id="abcdefghijk",
                          url="https://www.youtube.com/watch?v=abcdefghijk", progress=0,
                          attempts=1))
    engine.dispose()


def test_the_app_layers_refusal_is_shown_and_nothing_changes(
        console: Console, anna: Browser) -> None:
    _staged_on_youtube(console.home, 1)
    before = console.home.snapshot()
    refused = anna.post("/queue/1/remove", {"confirm": "yes"})
    assert refused.status_code == 409
    assert "The change was refused; nothing was changed" in refused.text
    assert "it cannot be removed, only cancelled" in refused.text
    assert "https://www.youtube.com/watch?v=abcdefghijk" in refused.text
    assert anna.get("/queue/1/remove").status_code == 409  # not even the confirmation
    for action in ("hold", "up", "down", "restore", "release"):
        assert anna.post(f"/queue/1/{action}").status_code == 409, action
    assert anna.post("/queue/3/down").status_code == 409  # already the last
    assert "already the last in the queue" in anna.post("/queue/3/down").text
    after = console.home.snapshot()
    assert after["publications"] == before["publications"]
    assert [r["state"] for r in _queue(console.home)] == ["staged", "queued", "queued"]
    # The page does not offer what the app layer would refuse.
    page = anna.get("/queue").text
    row = page.split('id="interview-1"')[1].split("</tr>")[0]
    assert "/queue/1/remove" not in row and "/queue/1/cancel" in row


def test_an_unknown_interview_or_action_is_not_found(anna: Browser) -> None:
    missing = anna.post("/queue/99/hold")
    assert missing.status_code == 404
    assert "there is no interview 99" in missing.text
    assert anna.get("/queue/99/remove").status_code == 404
    assert anna.post("/queue/1/explode").status_code == 404


def test_needs_you_shows_what_needs_attention_with_its_reason_and_fix(
        console: Console, anna: Browser) -> None:
    _sql(console.home, "UPDATE interviews SET state = 'needs_attention', attention_reason = "
                       "'the video file is gone: /media/uno.mp4' WHERE id = 1")
    page = anna.get("/needs-you")
    assert page.status_code == 200
    assert "Nothing has run this home yet" in page.text
    assert "the video file is gone: /media/uno.mp4" in page.text
    assert "<code>publisher retry 1</code>" in page.text
    queue = anna.get("/queue").text
    row = queue.split('id="interview-1"')[1].split("</tr>")[0]
    assert "needs attention" in row and "the video file is gone" in row
    anna.post("/language", {"lang": "it"})
    assert "Cosa richiede il tuo intervento" in anna.get("/needs-you").text


def test_the_queue_is_paged_in_publishing_order_with_the_plans_slots(
        console: Console, anna: Browser, media: Media, monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.services import queue_board

    monkeypatch.setattr(queue_board, "PAGE_SIZE", 2)
    for title in ("Quattro", "Cinque"):
        console.home.ok(*add_args(media.video(), title))
    console.home.ok("queue", "hold", 1)
    queue = _queue(console.home)
    plan = json.loads(console.home.ok("plan", "--weeks", "52", "--json").stdout)
    slots = {e["interview_id"]: dt.datetime.fromisoformat(e["slot_utc"]) for e in plan
             if e["interview_id"] is not None}
    second = anna.get("/queue?page=2")
    assert second.status_code == 200
    assert _titles_in_page(second.text) == [r["title"] for r in queue[2:4]]
    assert "Rows 3–4 of 5" in second.text
    assert 'href="/queue"' in second.text and 'href="/queue?page=3"' in second.text
    for r in queue[2:4]:  # the slot the whole queue's plan gives it
        row = second.text.split(f'id="interview-{r["id"]}"')[1].split("</tr>")[0]
        assert format_moment(slots[r["id"]], console.app.zone, "en") in row
    # Past the last page: the last; not a number: the first.
    last = anna.get("/queue?page=99")
    assert _titles_in_page(last.text) == [queue[4]["title"]]
    assert "Rows 5–5 of 5" in last.text and "Next page" not in last.text
    assert _titles_in_page(anna.get("/queue?page=x").text) == [r["title"] for r in queue[:2]]
    # The filter is kept from page to page.
    held = anna.get("/queue?state=held&page=1")
    assert _titles_in_page(held.text) == [queue[0]["title"]]
    assert 'href="/queue?state=all&amp;page=2"' in anna.get("/queue?state=all").text
    # Moving the first row of page 2 up takes it, and the page shown, to page 1.
    first_of_two = queue[2]["id"]
    moved = anna.post(f"/queue/{first_of_two}/up", {"page": "2"})
    assert moved.headers["location"] == f"/queue#interview-{first_of_two}"
    assert [r["id"] for r in _queue(console.home)][1] == first_of_two
    back = anna.post(f"/queue/{first_of_two}/down", {"page": "1"})
    assert back.headers["location"] == f"/queue?page=2#interview-{first_of_two}"
