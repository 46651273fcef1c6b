"""What organizers see is true: dates in the campaign's time zone, the addresses of what went
out (`queue show`, `publisher published`), and the queue exported to CSV (issue 12)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

import pytest

from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.went_out import went_out

ROME_WINTER = dt.timezone(dt.timedelta(hours=1))


def _queue(home: HomeFixture, media: Media, *extra: Any, title: str = "Maria Rossi") -> int:
    result = home.ok(*add_args(media.video(), title, *extra))
    return int(result.stdout.strip())


# --- dates: the day entered, in the campaign's zone ------------------------------------------

def test_not_before_is_listed_as_the_day_entered(sqlite_home: HomeFixture,
                                                 media: Media) -> None:
    _queue(sqlite_home, media, "--not-before", "2027-01-15")
    table = sqlite_home.ok("queue", "list").stdout
    assert "2027-01-15" in table and "2027-01-14" not in table, table
    shown = sqlite_home.ok("queue", "show", "1").stdout
    assert "  not before: 2027-01-15\n" in shown, shown
    item = json.loads(sqlite_home.ok("queue", "list", "--json").stdout)[0]
    assert item["not_before"] == "2027-01-15T00:00:00+01:00"
    assert dt.datetime.fromisoformat(item["created_at"]).utcoffset() == dt.timedelta(hours=1)


def test_not_before_with_a_time_is_shown_with_the_time_and_zone(sqlite_home: HomeFixture,
                                                                media: Media) -> None:
    _queue(sqlite_home, media, "--not-before", "2027-07-01T14:30")
    assert "2027-07-01 14:30 CEST" in sqlite_home.ok("queue", "list").stdout
    item = json.loads(sqlite_home.ok("queue", "show", "1", "--json").stdout)
    assert item["not_before"] == "2027-07-01T14:30:00+02:00"


def test_times_follow_the_default_schedules_zone(sqlite_home: HomeFixture,
                                                 media: Media) -> None:
    schedule = sqlite_home.path / "schedules" / "studi-aperti.toml"
    schedule.write_text(schedule.read_text(encoding="utf-8").replace(
        'timezone = "Europe/Rome"', 'timezone = "America/New_York"'), encoding="utf-8")
    _queue(sqlite_home, media, "--not-before", "2027-01-15")
    item = json.loads(sqlite_home.ok("queue", "list", "--json").stdout)[0]
    assert item["not_before"] == "2027-01-15T00:00:00-05:00"
    shown = sqlite_home.ok("queue", "show", "1").stdout
    created = next(ln for ln in shown.splitlines() if ln.startswith("  created at: "))
    assert created.endswith(" EST"), shown


def test_quota_reset_is_shown_in_the_campaigns_zone(sqlite_home: HomeFixture) -> None:
    out = sqlite_home.ok("quota").stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("Resets at "))
    assert line.endswith("(midnight Pacific time).") and (" CET " in line or " CEST " in line)
    data = json.loads(sqlite_home.ok("quota", "--json").stdout)
    local = dt.datetime.fromisoformat(data["resets_at_local"])
    assert local == dt.datetime.fromisoformat(data["resets_at"])
    assert local.utcoffset() in (dt.timedelta(hours=1), dt.timedelta(hours=2))


def test_history_is_in_the_campaigns_zone(sqlite_home: HomeFixture, media: Media) -> None:
    _queue(sqlite_home, media)
    out = sqlite_home.ok("history", "1").stdout
    assert out.splitlines()[0].startswith("WHEN ") and "UTC" not in out
    assert " CET " in out or " CEST " in out, out


def test_journal_instants_are_shown_in_the_campaigns_zone() -> None:
    from zoneinfo import ZoneInfo

    from publisher.services.times import local_instant

    rome = ZoneInfo("Europe/Rome")
    assert local_instant("2027-01-15T17:00:00+00:00", rome) == "2027-01-15 18:00 CET"
    assert local_instant("2027-07-15T16:00:05+00:00", rome) == "2027-07-15 18:00:05 CEST"
    for other in ("Prova", 3, "2027-01-15", "/tmp/2027-01-15T17:00:00+00:00.mp4"):
        assert local_instant(other, rome) == other


# --- what went out ----------------------------------------------------------------------------

DEC_8 = dt.datetime(2026, 12, 8, 17, 0, tzinfo=dt.UTC)
JAN_12 = dt.datetime(2027, 1, 12, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def two_out(sqlite_home: HomeFixture, media: Media) -> HomeFixture:
    _queue(sqlite_home, media, title="Maria Rossi")
    _queue(sqlite_home, media, title="Luca Bianchi")
    went_out(sqlite_home, 1, "vid1", DEC_8, {
        "mastodon": ("https://mastodon.example/@s/1001", DEC_8 + dt.timedelta(minutes=5))})
    went_out(sqlite_home, 2, "vid2", JAN_12, {
        "mastodon": ("https://mastodon.example/@s/1002", JAN_12 + dt.timedelta(minutes=5)),
        "bluesky": ("https://bsky.app/profile/s/post/2", JAN_12 + dt.timedelta(minutes=6))})
    return sqlite_home


def test_queue_show_gives_the_video_and_each_posts_address_and_time(two_out: HomeFixture
                                                                    ) -> None:
    data = json.loads(two_out.ok("queue", "show", "2", "--json").stdout)
    assert data["published"]["youtube"] == {
        "video_id": "vid2", "url": "https://www.youtube.com/watch?v=vid2",
        "public_at": "2027-01-12T18:00:00+01:00"}
    assert data["published"]["posts"] == [
        {"platform": "bluesky", "url": "https://bsky.app/profile/s/post/2",
         "at": "2027-01-12T18:06:00+01:00"},
        {"platform": "mastodon", "url": "https://mastodon.example/@s/1002",
         "at": "2027-01-12T18:05:00+01:00"}]
    text = two_out.ok("queue", "show", "2").stdout
    assert "youtube: https://www.youtube.com/watch?v=vid2  (public since 2027-01-12 18:00 CET)" \
        in text, text
    assert "mastodon: https://mastodon.example/@s/1002  (2027-01-12 18:05 CET)" in text


def test_published_lists_everything_newest_first(two_out: HomeFixture) -> None:
    rows = json.loads(two_out.ok("published", "--json").stdout)
    assert [(r["interview_id"], r["platform"], r["at"]) for r in rows] == [
        (2, "bluesky", "2027-01-12T18:06:00+01:00"),
        (2, "mastodon", "2027-01-12T18:05:00+01:00"),
        (2, "youtube", "2027-01-12T18:00:00+01:00"),
        (1, "mastodon", "2026-12-08T18:05:00+01:00"),
        (1, "youtube", "2026-12-08T18:00:00+01:00")]
    assert rows[-1]["url"] == "https://www.youtube.com/watch?v=vid1"
    table = two_out.ok("published").stdout
    assert table.splitlines()[1].startswith("2027-01-12 18:06 CET")


def test_published_filters_by_month_and_platform_and_exports_csv(two_out: HomeFixture) -> None:
    december = json.loads(two_out.ok("published", "--month", "2026-12", "--json").stdout)
    assert {r["interview_id"] for r in december} == {1}
    youtube = json.loads(two_out.ok("published", "--platform", "youtube", "--json").stdout)
    assert [r["url"] for r in youtube] == ["https://www.youtube.com/watch?v=vid2",
                                           "https://www.youtube.com/watch?v=vid1"]
    rows = list(csv.DictReader(io.StringIO(two_out.ok("published", "--csv").stdout)))
    assert list(rows[0]) == ["at", "interview_id", "title", "platform", "url"]
    assert len(rows) == 5 and rows[0]["title"] == "Luca Bianchi"
    bad = two_out.run("published", "--month", "12/2026")
    assert bad.exit_code == 2 and "--month: expected a month as YYYY-MM" in bad.stderr
    assert "Nothing has gone out in 2025-01" in two_out.ok("published", "--month",
                                                            "2025-01").stdout


def test_nothing_out_yet_is_said_plainly(sqlite_home: HomeFixture, media: Media) -> None:
    _queue(sqlite_home, media)
    assert sqlite_home.ok("published").stdout == "Nothing has gone out yet.\n"
    data = json.loads(sqlite_home.ok("queue", "show", "1", "--json").stdout)
    assert data["published"] == {"youtube": None, "posts": []}


# --- the queue as CSV -------------------------------------------------------------------------

def test_queue_list_csv_has_the_import_columns_and_guards_formulas(
        sqlite_home: HomeFixture, media: Media) -> None:
    _queue(sqlite_home, media, "--not-before", "2027-01-15", "--hashtag", "Marmo",
           title="-Maria Rossi")
    _queue(sqlite_home, media, title="=HYPERLINK(\"http://x\")")
    out = sqlite_home.ok("queue", "list", "--csv").stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["id", "position", "state", "title", "speakers", "hashtags",
                             "schedule", "not_before", "video", "duration_s"]
    assert rows[0]["title"] == "'-Maria Rossi"  # a spreadsheet would run it otherwise
    assert rows[1]["title"] == "'=HYPERLINK(\"http://x\")"
    assert rows[0]["speakers"] == "Maria Rossi (ceramista)"
    assert (rows[0]["hashtags"], rows[0]["not_before"]) == ("#Marmo", "2027-01-15")


def test_queue_list_csv_goes_back_through_queue_import(sqlite_home: HomeFixture,
                                                       media: Media, tmp_path: Any) -> None:
    _queue(sqlite_home, media, "--not-before", "2027-01-15", "--hashtag", "Marmo",
           title="-Maria Rossi: il marmo")
    out = sqlite_home.ok("queue", "list", "--csv").stdout
    sheet = [{k: v for k, v in row.items() if k in ("title", "speakers", "hashtags",
                                                    "not_before", "video")}
             for row in csv.DictReader(io.StringIO(out))]
    season = tmp_path / "again.csv"
    with season.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(sheet[0]))
        writer.writeheader()
        writer.writerows(sheet)
    sqlite_home.ok("queue", "import", season, "--allow-duplicate")
    items = json.loads(sqlite_home.ok("queue", "list", "--json").stdout)
    assert [i["title"] for i in items] == ["-Maria Rossi: il marmo"] * 2
    assert items[1]["not_before"] == "2027-01-15T00:00:00+01:00"
