"""The Published page: what `publisher published` lists, newest first with its links,
filtered by month and platform, and the same rows as CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from publisher.store.db import make_engine
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.web_console import Browser, Console, console_for
from tests.helpers.went_out import went_out

DEC_8 = dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
JAN_12 = dt.datetime(2027, 1, 12, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def console(sqlite_home: HomeFixture, media: Media, anna_account: str) -> Iterator[Console]:
    sqlite_home.ok(*add_args(media.video(), "Maria Rossi"))
    sqlite_home.ok(*add_args(media.video(), "Luca Bianchi"))
    engine = make_engine(sqlite_home.db_url)
    with engine.begin() as conn:  # as if it had come in some other way
        conn.execute(text("UPDATE interviews SET title = '=Luca <b>Bianchi</b>' WHERE id = 2"))
    engine.dispose()
    went_out(sqlite_home, 1, "vid1", DEC_8, {
        "mastodon": ("https://mastodon.example/@s/1001", DEC_8 + dt.timedelta(minutes=5))})
    went_out(sqlite_home, 2, "vid2", JAN_12, {
        "mastodon": ("https://mastodon.example/@s/1002", JAN_12 + dt.timedelta(minutes=5)),
        "bluesky": ("https://bsky.app/profile/s/post/2", JAN_12 + dt.timedelta(minutes=6))})
    yield from console_for(sqlite_home)


def _addresses(page: str) -> list[str]:
    return re.findall(r'<td class="address"><a href="([^"]+)"', page)


def test_everything_that_went_out_newest_first_with_its_links(console: Console,
                                                              anna: Browser) -> None:
    page = anna.get("/published")
    assert page.status_code == 200
    assert _addresses(page.text) == [
        "https://bsky.app/profile/s/post/2", "https://mastodon.example/@s/1002",
        "https://www.youtube.com/watch?v=vid2", "https://mastodon.example/@s/1001",
        "https://www.youtube.com/watch?v=vid1"]
    assert "Tue, Jan 12, 2027, 6:06\u202fPM" in page.text  # in Rome
    assert 'href="/interviews/2"' in page.text
    assert "&lt;b&gt;Bianchi&lt;/b&gt;" in page.text and "<b>Bianchi" not in page.text
    assert 'href="/published"' in anna.get("/queue").text  # in the navigation


def test_filtered_by_month_and_platform_as_the_cli_filters(console: Console,
                                                           anna: Browser) -> None:
    december = anna.get("/published?month=2026-12").text
    assert _addresses(december) == ["https://mastodon.example/@s/1001",
                                    "https://www.youtube.com/watch?v=vid1"]
    youtube = anna.get("/published?platform=youtube").text
    assert _addresses(youtube) == ["https://www.youtube.com/watch?v=vid2",
                                   "https://www.youtube.com/watch?v=vid1"]
    both = anna.get("/published?month=2027-01&platform=mastodon").text
    assert _addresses(both) == ["https://mastodon.example/@s/1002"]
    assert 'option value="mastodon" selected' in both
    assert "Nothing went out with these filters." in anna.get("/published?month=2025-01").text


def test_a_bad_filter_is_explained_next_to_its_field(anna: Browser) -> None:
    page = anna.get("/published?month=12/2026")
    assert page.status_code == 400
    assert 'id="published-month-error"' in page.text and "YYYY-MM" in page.text
    assert 'aria-invalid="true" aria-describedby="published-month-error"' in page.text
    assert _addresses(page.text) == []
    page = anna.get("/published?platform=myspace")
    assert page.status_code == 400 and 'id="published-platform-error"' in page.text
    assert anna.get("/published.csv?month=nope").status_code == 400


def test_the_csv_is_the_clis_csv(console: Console, anna: Browser) -> None:
    response = anna.get("/published.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == 'attachment; filename="published.csv"'
    assert response.text == console.home.ok("published", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert rows[0]["title"] == "'=Luca <b>Bianchi</b>"  # no formula for a spreadsheet
    filtered = anna.get("/published.csv?month=2026-12&platform=youtube")
    assert filtered.headers["content-disposition"] == \
        'attachment; filename="published-2026-12-youtube.csv"'
    assert filtered.text == console.home.ok("published", "--csv", "--month", "2026-12",
                                            "--platform", "youtube").stdout
    assert 'href="/published.csv?month=2026-12&amp;platform=youtube"' in anna.get(
        "/published?month=2026-12&platform=youtube").text


def test_nothing_out_yet_is_said_plainly(sqlite_home: HomeFixture, anna_account: str
                                         ) -> None:
    for console in console_for(sqlite_home):
        page = console.logged_in("anna").get("/published").text
        assert "Nothing has gone out yet." in page


def test_paged_newest_first_with_the_filters_kept_and_the_csv_whole(
        console: Console, anna: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.web.routes import published as route

    monkeypatch.setattr(route, "PAGE_SIZE", 2)
    second = anna.get("/published?page=2").text
    assert _addresses(second) == ["https://www.youtube.com/watch?v=vid2",
                                  "https://mastodon.example/@s/1001"]
    assert "Rows 3–4 of 5" in second
    assert 'href="/published"' in second and 'href="/published?page=3"' in second
    last = anna.get("/published?page=40").text  # past the last page: the last
    assert _addresses(last) == ["https://www.youtube.com/watch?v=vid1"]
    assert "Rows 5–5 of 5" in last and "Next page" not in last
    mastodon = anna.get("/published?platform=mastodon&page=1").text
    assert "Rows 1–2 of 2" in mastodon and "Next page" not in mastodon
    january = anna.get("/published?month=2027-01").text
    assert "Rows 1–2 of 3" in january and 'href="/published?month=2027-01&amp;page=2"' in january
    assert _addresses(anna.get("/published?month=2027-01&page=2").text) == [
        "https://www.youtube.com/watch?v=vid2"]
    everything = anna.get("/published.csv").text  # every row, whatever the page size
    assert len(everything.strip().splitlines()) == 1 + 5
