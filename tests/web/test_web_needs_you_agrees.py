"""One rule for "needs you": the same home seen by `publisher status --json` (and its exit
status) and by the console's Needs-you page gives the same list of what waits on the
organizer — quiet, a daemon that stopped, run-due from cron recently or long ago, a post
that failed, a correction waiting or in conflict, YouTube not authorised."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable, Iterator

import pytest

from publisher.pipeline import state
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.db import make_engine
from publisher.store.models import Correction, Publication
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.scoped import Session
from tests.helpers.web_console import Console, console_for
from tests.helpers.youtube import connect

_NEED = re.compile(r'data-need="([^"]+)"')


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


@pytest.fixture
def console(sqlite_home: HomeFixture, anna_account: str) -> Iterator[Console]:
    yield from console_for(sqlite_home)


def write(console: Console, change: Callable[[Session], None]) -> None:
    engine = make_engine(console.home.db_url)
    with Session(engine) as s, s.begin():
        change(s)
    engine.dispose()


def ago(console: Console, **delta: float) -> dt.datetime:
    return console.clock.now - dt.timedelta(**delta)


def daemon(console: Console, beat: dt.datetime, *, stopped: bool) -> None:
    value = {"heartbeat": beat.isoformat(), "owner": None,
             "stopped_at": beat.isoformat() if stopped else None}
    write(console, lambda s: state.put(s, "daemon", value, beat))


def run_due(console: Console, at: dt.datetime) -> None:
    write(console, lambda s: state.put(s, "run_due", {"last_now": at.isoformat()}, at))


def seen_by_both(console: Console) -> list[str]:
    """What waits on the organizer, as `status --json` lists it; the page lists the same,
    and each says "all is well" exactly when the other does."""
    result = console.home.run("status", "--json")
    listed = [n["key"] for n in json.loads(result.stdout)["needs_you"]]
    assert result.exit_code == (4 if listed else 0), result.output
    page = console.logged_in("anna").get("/needs-you").text
    assert sorted(_NEED.findall(page)) == sorted(listed), page
    assert ("All is well: nothing waits on you." in page) == (not listed)
    assert ("Something waits on you:" in page) == bool(listed)
    text = console.home.run("status").stdout
    assert ("Nothing needs attention." in text) == (not listed)
    return listed


def test_the_console_and_status_give_the_same_list(console: Console, yt: FakeYouTube,
                                                   media: Media) -> None:
    home = console.home
    # A fresh home: YouTube not authorised; nothing has run it yet, which is not late.
    assert seen_by_both(console) == ["account:youtube"]
    connect(home, yt)
    assert seen_by_both(console) == []  # quiet: nothing queued, nothing to run yet
    home.ok(*add_args(media.video(), "Uno"))

    daemon(console, ago(console, seconds=30), stopped=False)
    assert seen_by_both(console) == []  # a daemon beating
    daemon(console, ago(console, hours=2), stopped=True)
    assert seen_by_both(console) == ["runner:daemon_stopped"]
    page = console.logged_in("anna").get("/needs-you").text
    assert "the daemon is not running, and no “publisher run-due” has run since" in page
    assert "publisher run" in home.run("status").stdout

    run_due(console, ago(console, minutes=3))  # cron took over: healthy
    assert seen_by_both(console) == []
    assert "run-due: last run at" in home.run("status").stdout
    page = console.logged_in("anna").get("/needs-you").text
    assert "No daemon: “publisher run-due” runs the queue" in page

    run_due(console, ago(console, hours=1))  # the timer stopped
    assert seen_by_both(console) == ["runner:run_due_late"]
    assert "cron job or timer" in home.run("status").stdout
    run_due(console, ago(console, days=-18))  # a rehearsal's clock: said, not counted
    assert seen_by_both(console) == []
    assert "later than now: a rehearsal's simulated clock" in home.run("status").stdout
    assert "later than now: a rehearsal's simulated clock" in \
        console.logged_in("anna").get("/needs-you").text
    run_due(console, ago(console, minutes=1))

    def failed_post(s: Session) -> None:
        s.add(Publication(interview_id=1, platform="mastodon", step="post",
                          state="needs_attention", last_error="refused: 422"))

    write(console, failed_post)
    assert seen_by_both(console) == ["interview:1:mastodon"]
    write(console, lambda s: s.query(Publication).delete())

    def correction(to: str) -> Callable[[Session], None]:
        def add(s: Session) -> None:
            s.query(Correction).delete()
            s.add(Correction(interview_id=1, platform="youtube", state=to, fields=["title"],
                             known={}, attempts=1, actor="cli",
                             last_error="changed in YouTube Studio"))
        return add

    write(console, correction("waiting"))  # the runner tries again: nothing for a person
    assert seen_by_both(console) == []
    write(console, correction("conflict"))
    assert seen_by_both(console) == ["interview:1:youtube"]
