"""The fault matrix: per platform and per fault, through the real pipeline (run_due, the
staging step) against the loopback fakes, that the outcome is the right one — retried with
backoff, deferred to a known time (the exact time), or needs a person with the reason — and
that nothing is duplicated (exactly one video or post on the fake's side) and nothing is lost
(once the fault clears, a later run publishes it).

Only the cells no earlier test covers in full are here; docs/fault-matrix.md lists every cell
with the test that covers it, and `test_the_documented_matrix_names_real_tests` keeps that
table honest.

Each run is `run_due` at a given instant (what `publisher run-due --at` calls), with a fresh
adapter for every cross-post. Client timeouts are 2 s (the fakes hold a timed-out answer
for 5 s), so a 2-core machine under load is not a problem.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
import hashlib
import json
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from publisher.app import App
from publisher.home import Home
from publisher.pipeline.crosspost import RETRY_BASE
from publisher.pipeline.run_due import Action, release_now, run_due
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_stage import stage
from publisher.platforms.youtube.errors import next_quota_reset
from publisher.platforms.youtube.upload import Backoff
from publisher.samples import make_video
from publisher.sandbox.bluesky import FakeBluesky
from publisher.sandbox.facebook import FakeFacebook
from publisher.sandbox.http import LoopbackServer
from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.x import FakeX
from publisher.sandbox.youtube import FakeYouTube, ProcessingScript
from publisher.store.db import make_engine
from publisher.store.models import Interview, Publication
from tests.conftest import HomeFixture, add_args, invoke
from tests.helpers.clock import Clock
from tests.helpers.marks import quick_sample
from tests.helpers.rows import events
from tests.helpers.scoped import Session
from tests.helpers.youtube import connect

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "fault-matrix.md"

TIMEOUT_S = 2      # every client's timeout in these tests ([youtube] timeout_s)
HELD_S = 5.0       # how long a fake holds an answer meant to time out
BSKY_HANDLE = "studi-aperti.bsky.social"
BSKY_PASSWORD = "abcd-efgh-ijkl-mnop"
UNKNOWN_FAULTS = ("500", "502", "503", "504", "reset_before", "reset_after", "timeout")
ACTED = {"500": True, "502": False, "503": False, "504": True, "reset_before": False,
         "reset_after": True, "timeout": True}  # did the platform store the post first?
RATE_RESET_S = 3600
QUOTA_RESET_S = {"x": 20 * 3600, "mastodon": 3 * 3600, "bluesky": 6 * 3600,
                 "telegram": 3 * 3600}


# ---- the cells ------------------------------------------------------------------------------

YOUTUBE_FAULTS = ("500", "502", "503", "504", "reset_before", "reset_after", "timeout", "429",
                  "quotaExceeded", "uploadLimitExceeded", "expired_access_token",
                  "revoked_invalid_grant", "upload_session_404", "processing_rejected")
CROSSPOST_FAULTS = (*UNKNOWN_FAULTS, "429", "quota", "revoked")
EXTRA_CELLS = ("x-daily_cap_pipeline", "x-reset_after_then_lookup_503",
               "bluesky-reset_after_then_lookup_503", "bluesky-expired_access_token",
               "facebook-expired_token_463", "facebook-quota_4", "facebook-quota_17",
               "facebook-quota_32")
#: The edit (a correction after release) and delete (a withdrawal) endpoints' faults: a 5xx
#: before the platform acted, the connection dropped after it acted, its 429, and
#: credentials that stopped working.
CALL_FAULTS = ("503", "reset_after", "429", "revoked")
EDITING = ("mastodon", "telegram", "facebook")
DELETING = ("x", "mastodon", "bluesky", "telegram", "facebook")
CALL_CELLS = ([f"{p}-edit_{f}" for p in EDITING for f in CALL_FAULTS]
              + [f"{p}-delete_{f}" for p in DELETING for f in CALL_FAULTS])
CELLS = ([f"youtube-{f}" for f in YOUTUBE_FAULTS]
         + [f"{p}-{f}" for p in ("x", "mastodon", "bluesky", "telegram", "facebook")
            for f in CROSSPOST_FAULTS]
         + list(EXTRA_CELLS) + CALL_CELLS)


# ---- the world: a home, the fakes, the clock -------------------------------------------------

@dataclass
class World:
    home: HomeFixture
    samples: list[Path]
    yt: FakeYouTube
    fake: Any = None                       # the cross-posting platform's fake
    platform: str = "youtube"
    fault: str = ""
    clock: Clock = field(default_factory=Clock)
    sleeps: list[float] = field(default_factory=list)
    videos: dict[int, Path] = field(default_factory=dict)

    _rt: Runtime | None = None

    def runtime(self) -> Runtime:
        """The worker's runtime: the home's configuration with short timeouts, this clock,
        and sleeps recorded instead of slept. Each cross-post builds a fresh adapter."""
        if self._rt is None:
            rt = App(Home.resolve(self.home.path, self.home.db_url)).runtime("test")
            yt_conf = dataclasses.replace(rt.config.youtube, timeout_s=TIMEOUT_S)
            rt.config = dataclasses.replace(rt.config, youtube=yt_conf)
            rt.clock = self.clock
            rt.sleep = self.sleeps.append
            self._rt = rt
        return self._rt

    def run(self, at: dt.datetime) -> list[Action]:
        """`publisher run-due --at AT`."""
        self.clock.now = at
        return run_due(self.runtime(), at).actions

    def close(self) -> None:
        if self._rt is not None:
            self._rt.engine.dispose()

    def queue(self, title: str) -> int:
        iid = len(self.videos) + 1
        video = self.home.path.parent / f"interview-{iid}.mp4"
        shutil.copyfile(self.samples[iid - 1], video)
        self.home.ok(*add_args(video, title))
        self.videos[iid] = video
        return iid

    def link(self, iid: int = 1) -> str:
        return f"https://www.youtube.com/watch?v={pub(self.home, iid, 'youtube').remote_id}"


def pub(home: HomeFixture, iid: int, platform: str) -> Publication:
    step = "video" if platform == "youtube" else "post"
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        row = s.scalars(select(Publication).where(
            Publication.interview_id == iid, Publication.platform == platform,
            Publication.step == step)).one()
        s.expunge(row)
    engine.dispose()
    return row


def interview(home: HomeFixture, iid: int = 1) -> Interview:
    engine = make_engine(home.db_url)
    with Session(engine) as s:
        row = s.get(Interview, iid)
        assert row is not None
        s.expunge(row)
    engine.dispose()
    return row


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def only(actions: list[Action], step: str) -> Action:
    found = [a for a in actions if a.step == step]
    assert len(found) == 1, actions
    return found[0]


def near(a: dt.datetime | None, b: dt.datetime, slack_s: float = 3.0) -> bool:
    return a is not None and abs((a - b).total_seconds()) <= slack_s


def write_creds(home: HomeFixture, section: str, values: dict[str, Any]) -> None:
    path = home.path / "credentials.json"
    creds = json.loads(path.read_text())
    creds[section] = values
    path.write_text(json.dumps(creds))


def post_to_only(home: HomeFixture, platform: str) -> None:
    path = home.path / "schedules" / "studi-aperti.toml"
    text = re.sub(r"^platforms = .*$", f'platforms = ["youtube", "{platform}"]',
                  path.read_text(), flags=re.M)
    path.write_text(text)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An initialised home and two sample videos, made once and copied for every cell."""
    folder = tmp_path_factory.mktemp("matrix-template")
    result = invoke("init", str(folder / "home"))
    assert result.exit_code == 0, result.output
    for seed in (1, 2):
        make_video(folder / f"sample-{seed}.mp4", seed=seed)
    return folder


@pytest.fixture
def sqlite_home(tmp_path: Path, template: Path) -> HomeFixture:
    path = tmp_path / "home"
    shutil.copytree(template / "home", path)
    return HomeFixture(path, f"sqlite:///{path / 'publisher.db'}")


@pytest.fixture
def world(sqlite_home: HomeFixture, template: Path, monkeypatch: pytest.MonkeyPatch,
          request: pytest.FixtureRequest) -> Iterator[World]:
    cell: str = request.param
    platform, fault = cell.split("-", 1)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    processing = ProcessingScript(outcome="rejected", polls=0, rejection_reason="duplicate") \
        if cell == "youtube-processing_rejected" else None
    with FakeYouTube(processing=processing) as yt:
        connect(sqlite_home, yt)
        samples = [template / "sample-1.mp4", template / "sample-2.mp4"]
        w = World(sqlite_home, samples, yt, platform=platform, fault=fault)
        fake: LoopbackServer | None = None
        if platform != "youtube":
            fake = _start_platform(w, platform)
        for key, value in sqlite_home.env.items():
            monkeypatch.setenv(key, value)
        try:
            yield w
        finally:
            w.close()
            if fake is not None:
                fake.stop()
    assert yt.errors == [], yt.errors
    if fake is not None:
        assert fake.errors == [], fake.errors


def _start_platform(w: World, platform: str) -> LoopbackServer:
    home = w.home
    post_to_only(home, platform)
    fake: LoopbackServer
    if platform == "x":
        fx = FakeX().start()
        write_creds(home, "x", fx.settings())
        home.env["PUBLISHER_X_API_ROOT"] = fx.root
        fake = fx
    elif platform == "mastodon":
        ma = FakeMastodon().start()
        write_creds(home, "mastodon", {"api_base_url": "https://mastodon.social",
                                       "access_token": ma.access_token})
        home.env["PUBLISHER_MASTODON_API_ROOT"] = ma.root
        fake = ma
    elif platform == "bluesky":
        bs = FakeBluesky(handle=BSKY_HANDLE, app_password=BSKY_PASSWORD).start()
        write_creds(home, "bluesky", {"handle": BSKY_HANDLE, "app_password": BSKY_PASSWORD,
                                      "service_url": "https://bsky.social"})
        home.env["PUBLISHER_BLUESKY_API_ROOT"] = bs.root
        fake = bs
    elif platform == "telegram":
        tg = FakeTelegram().start()
        write_creds(home, "telegram", {"bot_token": tg.token, "chat_id": tg.chat_username})
        home.env["PUBLISHER_TELEGRAM_API_ROOT"] = tg.api_root
        fake = tg
    else:
        fb = FakeFacebook().start()
        write_creds(home, "facebook", {"page_id": fb.page_id, "page_access_token": fb.token})
        home.env["PUBLISHER_FACEBOOK_GRAPH_ROOT"] = fb.api_root
        fake = fb
    w.fake = fake
    return fake


# ---- the matrix -------------------------------------------------------------------------------

@pytest.mark.parametrize("world", quick_sample(CELLS, every=8), ids=CELLS, indirect=True)
def test_fault_matrix(world: World) -> None:
    fault = world.fault
    if world.platform == "youtube":
        YOUTUBE[fault](world)
    elif fault == "daily_cap_pipeline":
        _x_daily_cap(world)
    elif fault.startswith("edit_"):
        _edit_cell(world, fault.removeprefix("edit_"))
    elif fault.startswith("delete_"):
        _delete_cell(world, fault.removeprefix("delete_"))
    else:
        _crosspost(world, fault)


# ---- YouTube ----------------------------------------------------------------------------------

SLOT_AHEAD = dt.timedelta(days=3)


def _stage_first(w: World) -> tuple[Any, dt.datetime]:
    """Queue one interview and run its staging once, now (the fault is already set)."""
    w.queue("Maria Rossi nel suo studio")
    slot = w.clock.now + SLOT_AHEAD
    return stage(w.runtime(), 1, slot), slot


def _staged_once(w: World) -> None:
    """Nothing lost, nothing duplicated: staged, one video, the same bytes, sent once."""
    assert interview(w.home).state == "staged"
    assert len(w.yt.videos) == 1
    video = next(iter(w.yt.videos.values()))
    assert video.sha256 == sha(w.videos[1])
    assert video.bytes_received == w.videos[1].stat().st_size


def _upload_requests(w: World) -> int:
    """Requests of the publish path (not the daily doctor's token refresh and channel
    check, which may run on any day's first pass)."""
    return sum(1 for r in w.yt.requests
               if r.tag not in ("oauth2.token", "youtube.channels.list"))


def _deferred_then_staged(w: World, until: dt.datetime) -> None:
    """Deferred to exactly `until`: a run just before does nothing at all, a run at it
    finishes the upload."""
    assert pub(w.home, 1, "youtube").next_attempt_at == until
    before = _upload_requests(w)
    assert w.run(until - dt.timedelta(seconds=1)) == []
    assert _upload_requests(w) == before, "nothing may be tried before the known time"
    assert only(w.run(until), "resume").outcome == "staged"
    _staged_once(w)


def yt_server_error(status: int) -> Callable[[World], None]:
    def cell(w: World) -> None:
        attempts = Backoff().max_attempts
        w.yt.fail_next("videos.insert", status, times=attempts + 1)
        result, _ = _stage_first(w)
        # In-process: every attempt with a backoff sleep, then the pipeline's own backoff.
        assert result.outcome == "retry", result
        assert len(w.sleeps) == attempts
        assert not w.yt.sessions and not w.yt.videos
        _deferred_then_staged(w, w.clock.now + 2 * RETRY_BASE)
    return cell


def yt_reset_before(w: World) -> None:
    w.yt.drop_chunk(1, after_bytes=0)  # reset before the server stored a byte
    result, _ = _stage_first(w)
    assert result.outcome == "staged", result
    assert len(w.sleeps) == 1            # retried once, after a backoff
    _staged_once(w)


def yt_reset_after(w: World) -> None:
    w.yt.lose_final_response()           # stored, then the connection is reset
    result, _ = _stage_first(w)
    assert result.outcome == "staged", result
    assert len(w.sleeps) == 1
    _staged_once(w)                      # the status query found it: no second video


def yt_timeout(w: World) -> None:
    w.yt.delay_chunk(1, HELD_S)          # stored, answered after the client gave up
    result, _ = _stage_first(w)
    assert result.outcome == "staged", result
    assert len(w.sleeps) >= 1
    _staged_once(w)


def yt_429(w: World) -> None:
    w.yt.fail_next("videos.insert", 429, "rateLimitExceeded", retry_after=120)
    result, _ = _stage_first(w)
    assert result.outcome == "staged", result
    assert w.sleeps == [120.0]           # waited exactly what Retry-After said
    _staged_once(w)


def yt_quota(w: World) -> None:
    w.yt.exhaust_quota("videos.insert")
    result, _ = _stage_first(w)
    assert result.outcome == "waiting" and "quota" in result.detail, result
    assert w.sleeps == [] and not w.yt.sessions
    until = next_quota_reset(w.clock.now)   # midnight Pacific
    w.yt.quota.reset()                       # ...when YouTube's buckets refill
    _deferred_then_staged(w, until)


def yt_upload_limit(w: World) -> None:
    w.yt.exceed_upload_limit()
    result, _ = _stage_first(w)
    assert result.outcome == "waiting" and "24 hours" in result.detail, result
    assert w.sleeps == [] and not w.yt.sessions
    until = w.clock.now + dt.timedelta(hours=24)
    w.yt.exceed_upload_limit(False)
    _deferred_then_staged(w, until)


def yt_expired_access_token(w: World) -> None:
    w.queue("Maria Rossi nel suo studio")
    rt = w.runtime()
    rt.youtube()                          # a valid access token...
    w.yt.expire_access_tokens()           # ...that then expires
    result = stage(rt, 1, w.clock.now + SLOT_AHEAD)
    assert result.outcome == "staged", result   # refreshed transparently
    assert len([r for r in w.yt.requests if r.tag == "oauth2.token"]) == 2
    _staged_once(w)


def yt_revoked(w: World) -> None:
    w.yt.revoke_tokens()
    result, slot = _stage_first(w)
    assert result.outcome == "waiting" and "publisher auth youtube" in result.detail, result
    item = interview(w.home)
    assert item.state == "queued"          # it waits in the queue, never failed nor staging
    assert not w.yt.sessions
    status = w.home.run("status")
    assert status.exit_code == 4 and "waiting for YouTube authorisation" in status.stdout
    w.yt.restore_tokens()                  # `publisher auth youtube` was run
    result = stage(w.runtime(), 1, slot)   # `publisher upload 1`, or the daemon's next look
    assert result.outcome == "staged", result
    _staged_once(w)
    assert w.home.run("status").exit_code == 0


def yt_session_404(w: World) -> None:
    w.queue("Maria Rossi nel suo studio")
    rt = w.runtime()
    rt.should_stop = iter([False, True]).__next__   # stop right after the session started
    result = stage(rt, 1, w.clock.now + SLOT_AHEAD)
    rt.should_stop = lambda: False                  # the next run is not stopped
    assert result.outcome == "interrupted", result
    assert pub(w.home, 1, "youtube").handle is not None
    w.yt.expire_session()                           # the saved session is gone: 404
    assert only(w.run(w.clock.now + dt.timedelta(minutes=1)), "resume").outcome == "staged"
    assert len(w.yt.sessions) == 2
    started = [e.detail for e in events(w.home, "upload_session_started")]
    assert started == [{"replaces_expired": False}, {"replaces_expired": True}]
    _staged_once(w)


def yt_rejected(w: World) -> None:
    result, _ = _stage_first(w)
    assert result.outcome == "needs_attention" and "duplicate" in result.detail, result
    item = interview(w.home)
    assert item.state == "needs_attention"
    assert "rejected the video (duplicate)" in (item.attention_reason or "")
    assert "publisher retry 1" in (item.attention_reason or "")
    status = w.home.run("status")
    assert status.exit_code == 4 and "rejected the video" in status.stdout
    # Kept for a person, never uploaded again behind their back.
    w.run(w.clock.now + dt.timedelta(hours=1))
    assert len(w.yt.videos) == 1 and len(w.yt.sessions) == 1


YOUTUBE: dict[str, Callable[[World], None]] = {
    "500": yt_server_error(500), "502": yt_server_error(502), "503": yt_server_error(503),
    "504": yt_server_error(504), "reset_before": yt_reset_before,
    "reset_after": yt_reset_after, "timeout": yt_timeout, "429": yt_429,
    "quotaExceeded": yt_quota, "uploadLimitExceeded": yt_upload_limit,
    "expired_access_token": yt_expired_access_token, "revoked_invalid_grant": yt_revoked,
    "upload_session_404": yt_session_404, "processing_rejected": yt_rejected,
}


# ---- cross-posting ----------------------------------------------------------------------------

def _released(w: World, *titles: str) -> None:
    """Interviews uploaded and public on YouTube, their cross-posts not yet attempted."""
    for title in titles:
        w.queue(title)
    rt = w.runtime()
    for iid in range(1, len(titles) + 1):
        assert stage(rt, iid, None).outcome == "staged"
        assert release_now(rt, iid, w.clock.now).outcome == "released"


def _post_count(w: World, iid: int = 1) -> int:
    return len(w.fake.posts_with(w.link(iid)))


def _published_once(w: World, iid: int = 1) -> None:
    assert _post_count(w, iid) == 1, "exactly one post on the platform"
    assert pub(w.home, iid, w.platform).state == "done"
    assert interview(w.home, iid).state == "published"


def _inject(w: World, fault: str) -> None:
    fake, p = w.fake, w.platform
    create = "com.atproto.repo.createRecord"
    if fault in ("500", "502", "503", "504"):
        fake.fail_next_post(int(fault), after_storing=ACTED[fault])
    elif fault in ("reset_before", "reset_after", "reset_after_then_lookup_503"):
        fake.drop_next_post(after_storing=fault != "reset_before")
    elif fault == "timeout":
        if p == "bluesky":
            fake.delay_next(create, HELD_S)
        else:
            fake.delay_next_post(HELD_S)
    elif fault == "429":
        fake.rate_limit_next_post(RATE_RESET_S)
    elif fault == "quota":
        if p == "x":
            fake.rate_limit_next_post(QUOTA_RESET_S["x"], daily=True)  # the 24-hour cap
        elif p == "bluesky":
            # createSession's daily limit: a PDS allows 300 logins a day.
            fake.rate_limit_next("com.atproto.server.createSession", QUOTA_RESET_S[p])
        elif p == "facebook":
            fake.fail_next_post(400, after_storing=False, code=613,
                                message="(#613) Calls to this api have exceeded the rate limit.")
        else:
            fake.rate_limit_next_post(QUOTA_RESET_S[p])
    elif fault.startswith("quota_"):  # Facebook's other throttle codes
        code = int(fault.removeprefix("quota_"))
        fake.fail_next_post(403 if code == 32 else 400, after_storing=False, code=code,
                            message=f"(#{code}) limit reached")
    elif fault == "revoked":
        {"x": lambda: fake.revoke_credentials(), "mastodon": lambda: fake.revoke_token(),
         "bluesky": lambda: fake.revoke_app_password(BSKY_PASSWORD),
         "telegram": lambda: fake.revoke_token(),
         "facebook": lambda: fake.revoke_token(460)}[p]()
    elif fault == "expired_token_463":
        fake.revoke_token(463)
    else:
        raise AssertionError(fault)


def _heal(w: World, fault: str) -> None:
    """The fault clears (for credentials: the organizer renewed them)."""
    fake, p = w.fake, w.platform
    if fault == "revoked":
        {"x": lambda: fake.restore_credentials(), "mastodon": lambda: fake.restore_token(),
         "bluesky": lambda: fake.add_app_password(BSKY_PASSWORD),
         "telegram": lambda: fake.restore_token(),
         "facebook": lambda: fake.restore_token()}[p]()
    elif fault == "expired_token_463":
        fake.restore_token()


def _crosspost(w: World, fault: str) -> None:
    _released(w, "Maria Rossi nel suo studio")
    step = f"post:{w.platform}"
    if fault == "expired_access_token":
        return _bluesky_expired(w)
    _inject(w, fault)
    if fault.endswith("_then_lookup_503"):
        # The next look-up fails too (an overloaded server): the post must stay "unknown".
        if w.platform == "x":
            w.fake.fail_next_read(503)
        else:
            w.fake.fail_next("com.atproto.repo.getRecord", 503)
    t1 = dt.datetime.now(dt.UTC)
    first = only(w.run(t1), step)
    record = pub(w.home, 1, w.platform)

    if fault in UNKNOWN_FAULTS or fault.endswith("_then_lookup_503"):
        # Outcome unknown: retried after a backoff, looking the post up before anything else.
        assert first.outcome == "retry", first
        assert record.state == "unknown" and record.next_attempt_at == t1 + RETRY_BASE
        stored = ACTED.get(fault, True)
        assert _post_count(w) == (1 if stored else 0)
        due = t1 + RETRY_BASE
        if fault.endswith("_then_lookup_503"):
            again = only(w.run(due), step)
            assert again.outcome == "retry", again
            record = pub(w.home, 1, w.platform)
            assert record.state == "unknown", "a failed look-up must not forget the attempt"
            assert record.next_attempt_at is not None
            due = record.next_attempt_at
            assert due - w.clock.now >= 2 * RETRY_BASE  # the backoff grew
        if w.platform == "telegram":
            return _telegram_needs_a_person(w, due, stored)
        _nothing_before(w, due)
        second = only(w.run(due), step)
        assert second.outcome == ("found" if stored else "posted"), second
        _published_once(w)
    elif fault in ("429", "quota") or fault.startswith("quota_"):
        # Deferred to the reset time the platform gave, exactly; nothing sent before it.
        assert first.outcome == "retry", first
        assert record.state == "failed" and _post_count(w) == 0
        wait = (dt.timedelta(hours=1) if w.platform == "facebook" and fault != "429"
                else dt.timedelta(seconds=RATE_RESET_S if fault == "429"
                                  else QUOTA_RESET_S[w.platform]))
        assert near(record.next_attempt_at, t1 + wait), (record.next_attempt_at, t1 + wait)
        assert record.next_attempt_at is not None
        _nothing_before(w, record.next_attempt_at)
        assert only(w.run(record.next_attempt_at), step).outcome == "posted"
        _published_once(w)
    else:  # credentials: a person must renew them; told why and how
        assert first.outcome == "needs_attention", first
        assert record.state == "needs_attention" and _post_count(w) == 0
        key = {"x": "access_token_secret", "mastodon": "access_token",
               "bluesky": "app_password", "telegram": "telegram.bot_token",
               "facebook": "facebook.page_access_token"}[w.platform]
        fix = f"publisher retry 1 --platform {w.platform}"
        assert key in (record.last_error or "") and fix in (record.last_error or "")
        status = w.home.run("status")
        assert status.exit_code == 4 and fix in status.stdout
        later = t1 + dt.timedelta(hours=2)
        assert w.run(later) == []           # never retried blindly
        _heal(w, fault)
        w.home.ok("retry", 1, "--platform", w.platform)
        assert only(w.run(later + dt.timedelta(seconds=1)), step).outcome == "posted"
        _published_once(w)
    # And a run after that changes nothing.
    w.run(w.clock.now + dt.timedelta(days=1))
    _published_once(w)
    return None


def _nothing_before(w: World, due: dt.datetime) -> None:
    before = len(w.fake.requests)
    assert w.run(due - dt.timedelta(seconds=1)) == []
    assert len(w.fake.requests) == before, "nothing may be tried before the known time"


def _telegram_needs_a_person(w: World, due: dt.datetime, stored: bool) -> None:
    """Telegram cannot be asked whether the post went out: a person looks, then records it
    or lets it be sent again; either way it ends up there exactly once."""
    step = "post:telegram"
    second = only(w.run(due), step)
    assert second.outcome == "needs_attention", second
    for command in ("publisher resolve 1 --platform telegram",
                    "publisher retry 1 --platform telegram"):
        assert command in second.detail
    status = w.home.run("status")
    assert status.exit_code == 4
    assert w.run(due + dt.timedelta(hours=1)) == []   # no blind retry
    if stored:
        [message] = w.fake.posts_with(w.link())
        url = f"https://t.me/{w.fake.chat_username.lstrip('@')}/{message['message_id']}"
        w.home.ok("resolve", 1, "--platform", "telegram", "--url", url)
    else:
        assert _post_count(w) == 0
        w.home.ok("retry", 1, "--platform", "telegram")
        assert only(w.run(due + dt.timedelta(hours=2)), step).outcome == "posted"
    _published_once(w)


def _bluesky_expired(w: World) -> None:
    from publisher.platforms.bluesky import BlueskyPoster, new_tid
    from tests.adapter_contract import sample_post

    # A session saved by an earlier run...
    BlueskyPoster({"handle": BSKY_HANDLE, "app_password": BSKY_PASSWORD},
                  state_dir=w.home.path).lookup(sample_post(), new_tid())
    assert w.fake.logins == 1
    w.fake.expire_access_tokens()         # ...whose access token has since expired
    first = only(w.run(dt.datetime.now(dt.UTC)), "post:bluesky")
    assert first.outcome == "posted", first   # renewed transparently, posted at once
    assert w.fake.logins == 2
    _published_once(w)


def _x_daily_cap(w: World) -> None:
    """The pipeline's own cap on X posts a day: the rest waits for the next (UTC) day."""
    toml = w.home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("daily_cap = 17", "daily_cap = 1"))
    _released(w, "Uno", "Due")
    t1 = dt.datetime.now(dt.UTC)
    outcomes = [a.outcome for a in w.run(t1) if a.step == "post:x"]
    assert outcomes == ["posted", "waiting"], outcomes
    midnight = dt.datetime.combine(t1.date() + dt.timedelta(days=1), dt.time(),
                                   tzinfo=dt.UTC)
    record = pub(w.home, 2, "x")
    assert record.next_attempt_at == midnight and "daily cap of 1" in (record.last_error or "")
    assert _post_count(w, 2) == 0
    _nothing_before(w, midnight)
    assert only(w.run(midnight), "post:x").outcome == "posted"
    _published_once(w, 1)
    _published_once(w, 2)


# ---- editing and deleting a post that is out --------------------------------------------------

NEW_TITLE = "Maria Rossi nel suo laboratorio"
CREDENTIAL_KEY = {"x": "access_token_secret", "mastodon": "access_token",
                  "bluesky": "app_password", "telegram": "bot_token",
                  "facebook": "page_access_token"}


def _posted(w: World) -> None:
    """An interview released and posted on the cell's platform."""
    _released(w, "Maria Rossi nel suo studio")
    assert only(w.run(dt.datetime.now(dt.UTC)), f"post:{w.platform}").outcome == "posted"
    _published_once(w)


def _inject_call(w: World, endpoint: Any, fault: str) -> None:
    if fault == "503":
        w.fake.fail_next_call(endpoint, 503)
    elif fault == "reset_after":
        w.fake.drop_next_call(endpoint)
    elif fault == "429":
        w.fake.rate_limit_next_call(endpoint, RATE_RESET_S)
    else:
        _inject(w, fault)


def _post_correction(w: World) -> Any:
    from publisher.store.models import Correction

    engine = make_engine(w.home.db_url)
    with Session(engine) as s:
        row = s.scalars(select(Correction).where(Correction.platform == w.platform)).one()
        s.expunge(row)
    engine.dispose()
    return row


def _edits(w: World) -> list[str]:
    """The texts the post had before each edit the platform recorded."""
    if w.platform == "mastodon":
        return list(w.fake.statuses[-1].edits)
    [post] = w.fake.posts_with(w.link())
    return list(post.get("edits") or [])


def _edited_once(w: World) -> None:
    [post] = w.fake.posts_with(w.link())
    assert NEW_TITLE in str(post.get("text") or post.get("message") or post.get("content")), \
        post
    assert len(_edits(w)) == 1, "edited exactly once on the platform"
    assert _post_correction(w).state == "done"
    applied = [e for e in events(w.home, "correction_applied")
               if (e.detail or {}).get("platform") == w.platform]
    assert len(applied) == 1, "recorded once"


def _edit_cell(w: World, fault: str) -> None:
    """A correction's edit of the post meets the fault: never lost (waiting, then edited at
    the known time), never applied twice (a dropped answer sends the same text again, which
    the platform takes as no change), a person asked with the reason when the credentials
    stopped working."""
    from publisher.sandbox.call_faults import Endpoint

    _posted(w)
    w.home.ok("queue", "edit", 1, "--title", NEW_TITLE)
    _inject_call(w, Endpoint.EDIT, fault)
    step = f"correct:{w.platform}"
    t1 = dt.datetime.now(dt.UTC)
    first = only(w.run(t1), step)
    row = _post_correction(w)
    if fault == "revoked":
        assert first.outcome == "needs_attention", first
        assert row.state == "needs_attention"
        reason = row.last_error or ""
        assert CREDENTIAL_KEY[w.platform] in reason and "publisher sync 1" in reason, reason
        status = w.home.run("status")
        assert status.exit_code == 4 and "publisher sync 1" in status.stdout
        assert [a for a in w.run(t1 + dt.timedelta(hours=2)) if a.step == step] == []
        _heal(w, fault)
        w.home.ok("sync", 1)
    else:
        assert first.outcome == "waiting", first
        assert row.state == "waiting" and row.next_attempt_at is not None
        if fault == "429":
            assert near(row.next_attempt_at, t1 + dt.timedelta(seconds=RATE_RESET_S)), \
                row.next_attempt_at
        assert len(_edits(w)) == (1 if fault == "reset_after" else 0)
        _nothing_before(w, row.next_attempt_at)
        assert only(w.run(row.next_attempt_at), step).outcome == "edited"
    _edited_once(w)
    w.run(w.clock.now + dt.timedelta(days=1))
    _edited_once(w)


def _deleted_once(w: World) -> None:
    assert pub(w.home, 1, w.platform).state == "deleted"
    assert _post_count(w) == 0 and len(w.fake.deleted) == 1, "deleted once, none left"
    assert len(events(w.home, "post_deleted")) == 1


def _delete_cell(w: World, fault: str) -> None:
    """A withdrawal's delete of the post meets the fault: the post is never left out (the
    delete waits and is sent again at the known time; after a dropped answer the platform
    says it is gone), a person asked with the reason when the credentials stopped working."""
    from publisher.pipeline.withdraw import withdraw
    from publisher.sandbox.call_faults import Endpoint

    _posted(w)
    _inject_call(w, Endpoint.DELETE, fault)
    t1 = dt.datetime.now(dt.UTC)
    w.clock.now = t1
    report = withdraw(w.runtime(), 1, "the artist withdrew consent")
    record = pub(w.home, 1, w.platform)
    if fault == "revoked":
        assert w.platform in report.needs_you, report
        assert record.state == "needs_attention"
        reason = record.last_error or ""
        assert CREDENTIAL_KEY[w.platform] in reason and "publisher withdraw 1" in reason, \
            reason
        assert _post_count(w) == 1
        status = w.home.run("status")
        assert status.exit_code == 4 and "publisher withdraw 1" in status.stdout
        assert w.run(t1 + dt.timedelta(hours=2)) == []  # never retried blindly
        _heal(w, fault)
        w.clock.now = t1 + dt.timedelta(hours=3)
        assert withdraw(w.runtime(), 1, "").finished
    else:
        assert w.platform in report.waiting, report
        assert record.state == "deleting" and record.next_attempt_at is not None
        if fault == "429":
            assert near(record.next_attempt_at, t1 + dt.timedelta(seconds=RATE_RESET_S)), \
                record.next_attempt_at
        assert _post_count(w) == (0 if fault == "reset_after" else 1)
        _nothing_before(w, record.next_attempt_at)
        assert only(w.run(record.next_attempt_at), "withdraw").outcome == "done"
    _deleted_once(w)
    w.run(w.clock.now + dt.timedelta(days=1))
    _deleted_once(w)


# ---- the document -------------------------------------------------------------------------------

NODE = re.compile(r"`(tests/[\w/]+\.py)::([\w:]+)(?:\[([^\]`]+)\])?`")


def _defined(path: Path) -> dict[str, set[str]]:
    """Test functions of a module: '' → module-level names, 'Class' → its methods, with the
    methods of base classes imported from other test modules."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = {alias.asname or alias.name: node.module for node in tree.body
                if isinstance(node, ast.ImportFrom) and node.module
                and node.module.startswith("tests.") for alias in node.names}
    out: dict[str, set[str]] = {"": {n.name for n in tree.body
                                     if isinstance(n, ast.FunctionDef)}}
    for cls in (n for n in tree.body if isinstance(n, ast.ClassDef)):
        names = {n.name for n in cls.body if isinstance(n, ast.FunctionDef)}
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in imported:
                module = ROOT / (str(imported[base.id]).replace(".", "/") + ".py")
                names |= _defined(module).get(base.id, set())
            elif isinstance(base, ast.Name):
                names |= out.get(base.id, set())
        out[cls.name] = names
    return out


def test_the_documented_matrix_names_real_tests() -> None:
    text = DOC.read_text(encoding="utf-8")
    nodes = NODE.findall(text)
    assert len(nodes) > 50, "the table lost its test ids"
    cache: dict[str, dict[str, set[str]]] = {}
    for file, name, param in nodes:
        path = ROOT / file
        assert path.is_file(), f"{file} does not exist"
        defined = cache.setdefault(file, _defined(path))
        cls, _, func = name.rpartition("::")
        assert func.startswith("test") and func in defined.get(cls, set()), \
            f"{file}::{name} is not a test there"
        if file == "tests/test_fault_matrix.py" and func == "test_fault_matrix":
            assert param in CELLS, f"{param} is not a cell of the matrix"
    documented = {param for file, name, param in nodes if name == "test_fault_matrix"}
    assert set(CELLS) <= documented, f"cells missing from the document: " \
                                     f"{sorted(set(CELLS) - documented)}"


@pytest.mark.parametrize("world", ["x-reset_after_then_lookup_403"], indirect=True)
def test_a_lookup_refused_for_good_asks_the_organizer_to_look_before_retrying(
        world: World) -> None:
    """The first attempt's outcome is unknown and the lookup is then refused for good: the
    post may exist, so the organizer is told to look (and resolve) before `retry`, which
    would post anew."""
    _released(world, "Maria Rossi nel suo studio")
    world.fake.drop_next_post(after_storing=True)
    t1 = dt.datetime.now(dt.UTC)
    assert only(world.run(t1), "post:x").outcome == "retry"
    world.fake.fail_next_read(403)
    second = only(world.run(t1 + RETRY_BASE), "post:x")
    assert second.outcome == "needs_attention", second
    reason = pub(world.home, 1, "x").last_error or ""
    assert "publisher resolve 1 --platform x --url URL" in reason, reason
    assert reason.index("resolve") < reason.index("publisher retry 1 --platform x")
    assert _post_count(world) == 1  # the stored post, never a second one


@pytest.mark.parametrize(("attempts", "retry_in_s", "expected_s"), [
    (1, 7, 30),            # a tiny wait: never sooner than 30 s (no hammering)
    (1, 120, 120),         # the platform's reset, exactly (no backoff added on top)
    (5, 3600, 3600),
    (1, -60, 30),          # a reset already past (clock skew)
    (1, None, 240),        # no reset given: backoff, 2 min doubling per attempt
    (3, None, 960),
    (20, None, 6 * 3600),  # capped
])
def test_the_retry_time_is_the_platforms_when_it_gives_one(
        attempts: int, retry_in_s: int | None, expected_s: int) -> None:
    from publisher.pipeline.retry import next_attempt

    now = dt.datetime(2026, 12, 1, 17, 0, tzinfo=dt.UTC)
    retry_at = None if retry_in_s is None else now + dt.timedelta(seconds=retry_in_s)
    assert next_attempt(now, attempts, retry_at) == now + dt.timedelta(seconds=expected_s)
