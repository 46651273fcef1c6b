"""The YouTube quota belongs to a Google Cloud project: homes whose OAuth clients share one
project share one ledger (issue 16), charges are atomic, releases come first, and a
project whose quota is spent waits for the reset without holding up another project.

Two homes on one database stand for two programmes until the store is scoped by programme.
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from publisher.app import App
from publisher.home import Home
from publisher.pipeline.run_due import release_now
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_quota import charge_call
from publisher.pipeline.youtube_stage import stage
from publisher.platforms.errors import DeferredError
from publisher.platforms.youtube.errors import next_quota_reset
from publisher.quota import (
    RELEASE_UNITS,
    UNASSIGNED,
    UNITS,
    UPLOADS,
    QuotaLimits,
    charge,
    pacific_day,
    used_today,
)
from publisher.quota_project import home_key, project_of_client_id, quota_project
from publisher.sandbox.youtube import FakeYouTube
from publisher.services.quota_today import quota_today
from publisher.store.db import make_engine, transaction
from publisher.store.migrate import downgrade, upgrade
from publisher.store.models import Publication, QuotaUsage
from tests.conftest import HomeFixture, Media, add_args, invoke
from tests.helpers.clock import Clock
from tests.helpers.youtube import client_file, connect, set_youtube

# A Tuesday in February: Pacific midnight is 08:00 UTC, so the next reset is 2027-02-03 08:00.
NOW = dt.datetime(2027, 2, 2, 10, 0, tzinfo=dt.UTC)
SLOT = dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC)


def make_home(tmp_path: Path, db_url: str, name: str) -> HomeFixture:
    """One more home on the database `db_url` (which may hold others already)."""
    path = tmp_path / name
    result = invoke("--db", db_url, "init", str(path))
    assert result.exit_code == 0, result.output
    return HomeFixture(path, db_url)


def app(home: HomeFixture) -> App:
    return App(Home.resolve(home.path, home.db_url))


def runtime(home: HomeFixture, monkeypatch: pytest.MonkeyPatch, clock: Clock) -> Runtime:
    for key, value in home.env.items():
        monkeypatch.setenv(key, value)
    rt = app(home).runtime("test")
    rt.clock = clock
    rt.sleep = lambda s: None
    return rt


def quota_json(home: HomeFixture) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(home.ok("quota", "--json").stdout)
    return doc


def ledger_rows(db_url: str) -> list[tuple[str, str, int]]:
    engine = make_engine(db_url)
    with Session(engine) as s:
        rows = [(r.quota_project, r.bucket, r.units) for r in s.scalars(
            select(QuotaUsage).order_by(QuotaUsage.quota_project, QuotaUsage.bucket))]
    engine.dispose()
    return rows


# ---- the key -----------------------------------------------------------------------------------

def test_the_client_id_names_the_project() -> None:
    assert project_of_client_id("1234-abc.apps.googleusercontent.com") == "gcp:1234"
    assert project_of_client_id("0987654321-x9y.apps.googleusercontent.com") == "gcp:987654321"
    for odd in ("sandbox-client-id", "abc-1234.apps.googleusercontent.com", "1234", None, 7,
                "1234-.apps.googleusercontent.com", "1234-abc.example.com"):
        assert project_of_client_id(odd) is None, odd


def test_the_ledger_key_from_the_client_file_the_token_the_setting_or_the_home(
        tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    home = make_home(tmp_path, url, "a")

    def key() -> tuple[str, str]:
        a = app(home)
        found = quota_project(a.home, a.config, a.credentials)
        return found.key, found.source

    # Nothing to go by: the home's own ledger, different for another home.
    alone = key()
    assert alone[0] == home_key(app(home).home) and alone[0].startswith("home:")
    assert home_key(app(make_home(tmp_path, url, "b")).home) != alone[0]
    # The token file's client id, when there is no client file.
    (home.path / "youtube-token.json").write_text(json.dumps(
        {"client_id": "55-tok.apps.googleusercontent.com", "refresh_token": "r"}))
    assert key()[0] == "gcp:55"
    # The client file wins over the token, a web client as well as a desktop one.
    client_file(home, "1234-abc.apps.googleusercontent.com")
    assert key() == ("gcp:1234", "the OAuth client's id in client_secret.json")
    client_file(home, "77-web.apps.googleusercontent.com", kind="web")
    assert key()[0] == "gcp:77"
    # A client id without a number: the project id.
    client_file(home, "odd-client-id", project_id="studi-aperti")
    (home.path / "youtube-token.json").unlink()
    assert key() == ("studi-aperti", "the project_id in client_secret.json")
    # An unreadable client file falls back to the home.
    (home.path / "client_secret.json").write_text("{not json")
    assert key()[0] == alone[0]
    # The setting wins over everything.
    client_file(home, "1234-abc.apps.googleusercontent.com")
    set_youtube(home, quota_project="festival-2027")
    assert key() == ("festival-2027", "[youtube] quota_project")
    set_youtube(home, quota_project=" spaced ")
    bad = home.run("quota")
    assert bad.exit_code != 0 and "quota_project" in bad.stderr


# ---- one ledger per project --------------------------------------------------------------------

def test_homes_whose_clients_share_a_project_share_one_ledger(
        tmp_path: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = Clock()  # now: `publisher quota` shows today
    museum, festival, other = (make_home(tmp_path, db_url, n)
                               for n in ("museum", "festival", "other"))
    # Two OAuth clients of project 1234, one of project 999.
    client_file(museum, "1234-museum.apps.googleusercontent.com")
    client_file(festival, "1234-festival.apps.googleusercontent.com")
    client_file(other, "999-other.apps.googleusercontent.com")

    charge_call(runtime(museum, monkeypatch, clock), "videos.update")
    charge_call(runtime(festival, monkeypatch, clock), "videos.insert")
    charge_call(runtime(other, monkeypatch, clock), "captions.insert")

    for home in (museum, festival):
        doc = quota_json(home)
        assert doc["quota_project"] == "gcp:1234"
        assert doc["buckets"][UNITS]["used"] == 50
        assert doc["buckets"][UPLOADS]["used"] == 1
    doc = quota_json(other)
    assert doc["quota_project"] == "gcp:999"
    assert (doc["buckets"][UNITS]["used"], doc["buckets"][UPLOADS]["used"]) == (400, 0)
    shown = museum.ok("quota").stdout
    assert "Ledger: gcp:1234 (from the OAuth client's id in client_secret.json)" in shown

    # One limit for the project: what the museum spent, the festival cannot.
    set_youtube(museum, daily_units=100)
    set_youtube(festival, daily_units=100)
    charge_call(runtime(festival, monkeypatch, clock), "thumbnails.set")  # 50 + 50: fits
    with pytest.raises(DeferredError, match="quota would be exceeded"):
        charge_call(runtime(museum, monkeypatch, clock), "videos.list")  # one more: no
    assert quota_json(museum)["buckets"][UNITS] == {"used": 100, "limit": 100, "remaining": 0}
    assert quota_json(other)["buckets"][UNITS]["used"] == 400  # another project: untouched
    assert sorted(ledger_rows(db_url)) == [("gcp:1234", UNITS, 100), ("gcp:1234", UPLOADS, 1),
                                           ("gcp:999", UNITS, 400)]


def test_charges_from_many_threads_never_overrun_the_limit(db_url: str) -> None:
    """Check and count are one statement: with 8 workers racing for the last units, exactly
    as many calls as the limit pays for are counted, and the others are told to wait."""
    engine = make_engine(db_url)
    upgrade(engine)
    limits = QuotaLimits(uploads=5, units=1000)
    threads, per_thread = 8, 6  # 48 tries at 50 units for 20 that fit
    start = threading.Barrier(threads)
    granted: list[int] = []
    refused: list[int] = []
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            start.wait()
            for _ in range(per_thread):
                try:
                    with transaction(engine, 1) as s:
                        charge(s, NOW, limits, "videos.update", project="gcp:1")
                    granted.append(n)
                except DeferredError:
                    refused.append(n)
        except BaseException as exc:
            errors.append(exc)

    pool = [threading.Thread(target=worker, args=(n,)) for n in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    assert errors == []
    assert len(granted) == 20 and len(refused) == threads * per_thread - 20
    with Session(engine) as s:
        assert used_today(s, NOW, "gcp:1")[UNITS] == 1000
    engine.dispose()


def test_a_charge_leaves_todays_releases_their_units(db_url: str) -> None:
    """Every call but a release's is charged with the releases' reserve held back: the last
    units go to a release, never to other work, whatever checks came before."""
    engine = make_engine(db_url)
    upgrade(engine)
    limits = QuotaLimits(units=100)
    with transaction(engine, 1) as s:
        charge(s, NOW, limits, "videos.list", project="gcp:1", reserve=RELEASE_UNITS)
    with pytest.raises(DeferredError, match="51 kept for today's releases"), \
            transaction(engine, 1) as s:
        charge(s, NOW, limits, "thumbnails.set", project="gcp:1", reserve=RELEASE_UNITS)
    for method in ("videos.list", "videos.update"):  # a release's own calls: reserve 0
        with transaction(engine, 1) as s:
            charge(s, NOW, limits, method, project="gcp:1")
    with pytest.raises(DeferredError), transaction(engine, 1) as s:
        charge(s, NOW, limits, "videos.update", project="gcp:1")  # 52 + 50: beyond 100
    with Session(engine) as s:
        assert used_today(s, NOW, "gcp:1")[UNITS] == 52
        assert used_today(s, NOW, "gcp:2")[UNITS] == 0
    engine.dispose()


# ---- releases first ----------------------------------------------------------------------------

@pytest.fixture
def clock() -> Clock:
    return Clock(NOW)


@pytest.fixture
def yt(clock: Clock) -> Iterator[FakeYouTube]:
    with FakeYouTube(clock=clock) as fake:
        yield fake


def test_an_upload_waits_while_another_homes_release_goes_out(
        tmp_path: Path, db_url: str, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Two homes of one project; the museum's interview is staged for today's slot. When
    the units left today are only what its release needs, the festival's upload does not
    start, the museum's release goes out on time, and the upload follows after the reset."""
    museum, festival = make_home(tmp_path, db_url, "museum"), make_home(tmp_path, db_url,
                                                                        "festival")
    for home, name in ((museum, "museum"), (festival, "festival")):
        connect(home, yt)
        client_file(home, f"1234-{name}.apps.googleusercontent.com")
    museum.ok(*add_args(media.video("museum.mp4"), "Al museo", "--privacy", "unlisted"))
    festival.ok(*add_args(media.video("festival.mp4"), "Al festival"))
    # The shared tables give the interviews ids 1 and 2 (one database, not yet scoped).
    museum_rt = runtime(museum, monkeypatch, clock)
    assert stage(museum_rt, 1, SLOT).outcome == "staged"
    video = next(iter(yt.videos.values()))
    yt.finish_processing(video.id)

    engine = make_engine(db_url)
    with Session(engine) as s:
        used = used_today(s, NOW, "gcp:1234")
    engine.dispose()
    for home in (museum, festival):  # what is left: the release's units exactly
        set_youtube(home, daily_units=used[UNITS] + RELEASE_UNITS)
    today = quota_today(app(festival), NOW)
    assert today.project.key == "gcp:1234" and today.held_for_releases == RELEASE_UNITS
    assert today.units.remaining == RELEASE_UNITS

    festival_rt = runtime(festival, monkeypatch, clock)
    waiting = stage(festival_rt, 2, SLOT + dt.timedelta(days=1))
    assert waiting.outcome == "waiting" and "kept for today's releases" in waiting.detail
    assert len(yt.videos) == 1  # nothing was sent for it
    reset = next_quota_reset(NOW)
    assert publication(db_url, 2).next_attempt_at == reset  # back at the reset, not before

    clock.now = SLOT + dt.timedelta(minutes=1)
    museum_rt = runtime(museum, monkeypatch, clock)
    released = release_now(museum_rt, 1, clock.now)
    assert released.outcome == "released", released
    assert video.privacy_status == "unlisted"
    units = quota_today(app(museum), clock.now).units
    assert units.used == units.limit and units.remaining == 0  # all of it, and no more

    clock.now = reset + dt.timedelta(minutes=1)
    assert stage(runtime(festival, monkeypatch, clock), 2, SLOT + dt.timedelta(days=1)
                 ).outcome == "staged"
    assert len(yt.videos) == 2


def test_a_project_whose_quota_is_spent_waits_for_the_reset_and_holds_up_no_other(
        tmp_path: Path, db_url: str, media: Media, yt: FakeYouTube, clock: Clock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    spent, fresh = make_home(tmp_path, db_url, "spent"), make_home(tmp_path, db_url, "fresh")
    for home, number in ((spent, 1234), (fresh, 999)):
        connect(home, yt)
        client_file(home, f"{number}-c.apps.googleusercontent.com")
        set_youtube(home, daily_uploads=1)
    spent.ok(*add_args(media.video("a.mp4"), "Uno"))
    fresh.ok(*add_args(media.video("b.mp4"), "Due"))
    engine = make_engine(db_url)
    with transaction(engine, 1) as s:
        charge(s, NOW, QuotaLimits(uploads=1), "videos.insert", project="gcp:1234")
    engine.dispose()

    waiting = stage(runtime(spent, monkeypatch, clock), 1, SLOT)
    assert waiting.outcome == "waiting"
    assert publication(db_url, 1).next_attempt_at == next_quota_reset(NOW)
    assert stage(runtime(fresh, monkeypatch, clock), 2, SLOT).outcome == "staged"
    assert [v.title for v in yt.videos.values()] == ["Due"]


def publication(db_url: str, interview_id: int) -> Publication:
    engine = make_engine(db_url)
    with Session(engine) as s:
        pub = s.scalars(select(Publication).where(Publication.interview_id == interview_id,
                                                  Publication.step == "video")
                        .execution_options(all_programmes=True)).one()  # ids are global
        s.expunge_all()
    engine.dispose()
    return pub


# ---- the migration ------------------------------------------------------------------------------

def test_upgrading_keeps_the_ledger_under_the_homes_key(home: HomeFixture) -> None:
    """Rows counted before 0012 have no project: the home that uses the ledger first takes
    them into its own; a downgrade adds the projects' figures of each day up again."""
    today = pacific_day(dt.datetime.now(dt.UTC))
    engine = make_engine(home.db_url)
    downgrade(engine, "0009")
    with engine.begin() as conn:
        for bucket, units in ((UPLOADS, 3), (UNITS, 1200)):
            conn.execute(text("INSERT INTO quota_usage (day, bucket, units) VALUES (:d, :b, :u)"),
                         {"d": today, "b": bucket, "u": units})
        conn.execute(text("INSERT INTO quota_usage (day, bucket, units) VALUES (:d, :b, :u)"),
                     {"d": today - dt.timedelta(days=1), "b": UNITS, "u": 70})
    upgrade(engine)
    assert sorted(ledger_rows(home.db_url)) == [(UNASSIGNED, UNITS, 70), (UNASSIGNED, UNITS, 1200),
                                                (UNASSIGNED, UPLOADS, 3)]
    client_file(home, "1234-abc.apps.googleusercontent.com")
    doc = quota_json(home)
    assert doc["buckets"][UPLOADS]["used"] == 3 and doc["buckets"][UNITS]["used"] == 1200
    assert sorted(ledger_rows(home.db_url)) == [("gcp:1234", UNITS, 70), ("gcp:1234", UNITS, 1200),
                                                ("gcp:1234", UPLOADS, 3)]
    with transaction(engine, 1) as s:
        charge(s, dt.datetime.now(dt.UTC), QuotaLimits(), "videos.list", project="gcp:999")
    downgrade(engine, "0009")
    with engine.begin() as conn:
        rows = conn.execute(text("SELECT bucket, units FROM quota_usage WHERE day = :d "
                                 "ORDER BY bucket"), {"d": today}).all()
    assert [tuple(r) for r in rows] == [(UNITS, 1201), (UPLOADS, 3)]
    upgrade(engine)
    engine.dispose()
