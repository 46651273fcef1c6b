"""The Interview page: a picture of the video (its thumbnail, else a frame cached in the home),
exactly what `publisher preview` says each platform will receive, its history, and once out
the links to the video and every post."""

from __future__ import annotations

import datetime as dt
import html
import io
import json
from collections.abc import Iterator

import pytest
from PIL import Image
from sqlalchemy import text

from publisher.lifecycle import EventKind
from publisher.services.frames import CACHE_DIR
from publisher.store.db import make_engine
from publisher.web.labels import EVENT_LABELS
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.web_console import Browser, Console, add_user, console_for
from tests.helpers.went_out import went_out


@pytest.fixture
def console(sqlite_home: HomeFixture, media: Media, anna_account: str) -> Iterator[Console]:
    sqlite_home.ok(*add_args(media.video(width=96, height=64), "Uno"))
    sqlite_home.ok(*add_args(media.video(), "Due", "--thumbnail", media.png()))
    add_user(sqlite_home, "vera", role="viewer")
    yield from console_for(sqlite_home)


def test_the_page_shows_what_each_platform_will_receive_as_preview_counts_it(
        console: Console, anna: Browser) -> None:
    page = anna.get("/interviews/1")
    assert page.status_code == 200
    text = html.unescape(page.text)
    data = json.loads(console.home.ok("preview", 1, "--json").stdout)
    for key in ("title", "description", "tags"):
        part = data["youtube"][key]
        assert f"{part['length']} of {part['limit']} {part['unit']}" in text, key
    assert data["youtube"]["title"]["text"] in text
    assert data["posts"], "the example schedule posts somewhere"
    for post in data["posts"]:
        assert post["text"] in text
        assert f"{post['length']} of {post['limit']}" in text
    assert "stand-in of the same length" in text  # no video on YouTube yet
    # Platforms without credentials are said to be skipped (init leaves them empty).
    assert "this post will be skipped" in text


def test_a_text_over_its_limit_is_marked(console: Console, anna: Browser) -> None:
    """As after a server reported a lower limit than the one the post was checked against."""
    long_post = json.dumps({"post": "parola " * 80})
    engine = make_engine(console.home.db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE interviews SET templates = :t WHERE id = 1"), {"t": long_post})
    engine.dispose()
    page = anna.get("/interviews/1")
    assert page.status_code == 200
    assert 'class="counted over"' in page.text
    assert "Not everything fits" in page.text


def test_the_history_is_the_journal_newest_first_in_the_visitors_language(
        console: Console, anna: Browser) -> None:
    console.home.ok("queue", "hold", 1)
    console.home.ok("queue", "release", 1)
    anna.post("/language", {"lang": "it", "next": "/interviews/1"})
    page = anna.get("/interviews/1").text
    history = page.split('id="history-heading"')[1]
    kinds = [e["what"] for e in json.loads(console.home.ok("history", 1, "--json").stdout)]
    assert kinds == ["queued", "held", "unheld"]
    # Newest first, named in Italian.
    assert history.index("liberata dalla sospensione") < history.index("sospesa") \
        < history.index("in coda")


def test_the_queue_links_each_row_to_its_interview(anna: Browser) -> None:
    page = anna.get("/queue").text
    assert 'href="/interviews/1"' in page and 'href="/interviews/2"' in page


def test_once_out_the_page_links_the_video_and_every_post(console: Console,
                                                          anna: Browser) -> None:
    at = dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
    went_out(console.home, 1, "vid1", at, {
        "mastodon": ("https://mastodon.example/@s/1001", at + dt.timedelta(minutes=5))})
    page = anna.get("/interviews/1").text
    assert 'href="https://www.youtube.com/watch?v=vid1"' in page
    assert 'href="https://mastodon.example/@s/1001"' in page
    assert "Tue, Dec 8, 2026, 6:00\u202fPM" in page  # public since, in Rome
    assert "stand-in" not in page  # the posts now carry the real link
    assert "https://www.youtube.com/watch?v=vid1" in page.split('id="preview-heading"')[1]


def test_without_a_thumbnail_the_picture_is_a_frame_cached_in_the_home(
        console: Console, anna: Browser) -> None:
    response = anna.get("/interviews/1/picture")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/jpeg"
    picture = Image.open(io.BytesIO(response.content))
    assert picture.format == "JPEG" and picture.size == (96, 64)
    cached = list((console.home.path / CACHE_DIR).iterdir())
    assert [p.suffix for p in cached] == [".jpg"]
    assert cached[0].read_bytes() == response.content
    # Served from the cache: the video need not be read again.
    video = json.loads(console.home.ok("queue", "show", 1, "--json").stdout)["video"]
    with open(video, "wb"):
        pass
    again = anna.get("/interviews/1/picture")
    assert again.status_code == 200 and again.content == response.content


def test_with_a_thumbnail_the_picture_is_the_thumbnail(console: Console, media: Media,
                                                       anna: Browser) -> None:
    response = anna.get("/interviews/2/picture")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == (media.folder / "thumb.png").read_bytes()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert '<img class="frame" src="/interviews/2/picture"' in anna.get("/interviews/2").text


def test_a_video_no_frame_can_be_taken_from_has_no_picture(console: Console,
                                                           anna: Browser) -> None:
    video = json.loads(console.home.ok("queue", "show", 1, "--json").stdout)["video"]
    with open(video, "wb") as out:
        out.write(b"not a video any more")
    response = anna.get("/interviews/1/picture")
    assert response.status_code == 404
    assert not (console.home.path / CACHE_DIR).exists() or \
        not list((console.home.path / CACHE_DIR).iterdir())


def test_an_unknown_interview_is_not_found(anna: Browser) -> None:
    for path in ("/interviews/99", "/interviews/99/picture"):
        response = anna.get(path)
        assert response.status_code == 404, path
        assert "there is no interview 99" in response.text


def test_a_viewer_sees_the_page(console: Console) -> None:
    vera = console.logged_in("vera")
    assert vera.get("/interviews/1").status_code == 200
    assert vera.get("/interviews/1/picture").status_code == 200


def test_every_kind_of_journal_entry_has_a_name() -> None:
    assert set(EVENT_LABELS) == {kind.value for kind in EventKind}
