"""The crash matrix: the real `publisher run-due` in a child process, killed with SIGKILL at
every point of the publish path, restarted, and judged from the platforms' side.

A *world* is a fresh home (SQLite) with two queued interviews and every platform enabled
(YouTube, X, Mastodon, Bluesky, Telegram, Facebook), all loopback fakes served by this
process on a clock it controls. Its *timeline* is six runs of a child `publisher`: three
`run-due --at` instants — staging both uploads three hours before the first slot, the first
slot (release and cross-posts), the second slot, before which an organizer corrects the
first interview's description and its speaker's role, which that run applies to YouTube and
to the posts that can be edited (issue 15) —; then three organizer commands after it:
`sync 1 --replace x --replace bluesky` (those posts replaced by corrected ones, as the
organizer asked), `withdraw 2` (the video
private, every post deleted) and `republish 2` (the video back); then a settling run, which
posts the second interview anew. A *case* kills one run of the timeline (a world plays up
to six cases, one in each run, so the full matrix costs a sixth as many worlds):

* at a named crash point (`PUBLISHER_CRASH_AT=name@N`, publisher/faults.py): every commit of
  the pipeline (`db.before_commit`, `db.after_commit`), every request of the upload,
  decoration, release, cross-posts, corrections, post edits and replacement, withdrawal
  and republishing; the list comes from a traced run of the same timeline
  (`PUBLISHER_CRASH_TRACE`), so a new step is in the matrix the day it is written;
* or from outside, at a random moment (seeded).

The killed run is started again at the same instant (an organizer's command: run again, as
they would; `republish` then may answer that it is done), the rest of the timeline follows,
and then the judgement: on YouTube one video per interview with the file's bytes, title and
publishAt, public, one thumbnail, one playlist entry, one caption track per language (the
corrected interview: its new thumbnail, in the new playlist only, its captions corrected); on
every other platform one post per interview linking to its video, or, where the platform offers no
way to check (Telegram), a needs-attention record that the organizer resolves as they would
(`resolve` when the post is there, `retry` when not), after which there is exactly one; every
interview published, no lease left; bytes re-sent after the kill no more than one chunk; the
correction on YouTube, sent in exactly one `videos.update`; the first interview's posts on
Mastodon, Telegram and Facebook edited to the corrected text once, its X and Bluesky posts
the corrected ones (the old ones deleted, once); the second interview's video public
again and its posts out once each, as new posts.

`python -m tests.crash_matrix [--full] [--random N]` runs it standalone and prints the
figures; tests/test_crash_matrix.py runs a reduced set in CI (`PUBLISHER_CRASH_MATRIX=full`
runs all of it under pytest).
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import contextlib
import datetime as dt
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select

from publisher.faults import ENV as CRASH_ENV
from publisher.faults import TRACE_ENV
from publisher.samples import SAMPLE_SRT, SAMPLE_VTT, make_png, make_video
from publisher.sandbox.platforms import SandboxPlatforms, cross_posters, post_text
from publisher.store.db import make_engine
from publisher.store.models import Interview, Publication
from tests import crash_harness as harness
from tests.conftest import HomeFixture, invoke
from tests.helpers.clock import Clock
from tests.helpers.scoped import Session

REPO = Path(__file__).resolve().parents[1]
MIB = 1024 * 1024
CHILD_TIMEOUT_S = 90.0
LANGUAGES = ["en", "it"]
PLAYLIST = "Studi Aperti 2026"
TITLES = ["Maria Rossi nel suo studio", "Il museo oltre il lockdown"]
#: Before this run of the timeline, the organizer corrects the first interview: its
#: description, its thumbnail, its playlist, and its captions (Italian replaced, English
#: removed, French added).
CORRECTION_RUN = 2
CORRECTED = "Una ceramista di Carrara racconta il suo lavoro (corretto)."
NEW_PLAYLIST = "Studi Aperti 2026: ceramica"
CORRECTED_LANGUAGES = ["fr", "it"]
CORRECTED_SRT = "1\n00:00:00,000 --> 00:00:01,500\nCiao, corretto\n"
FRENCH_SRT = "1\n00:00:00,000 --> 00:00:01,500\nBonjour\n"
#: The speaker's role, corrected with the description: it is in every post's text.
ROLE, CORRECTED_ROLE = "ceramista", "ceramista e scultrice"
EDITED = ("mastodon", "telegram", "facebook")   # edited in place
REPLACED = ("x", "bluesky")                     # replaced on the organizer's word
CAMPAIGN_HASHTAGS = ["#StudiApertiOltreilLockdown", "#CarraraUnescoCreativeCity",
                     "#ItalyComestoYou"]
SCHEDULE = """\
name = "studi-aperti"
timezone = "Europe/Rome"
slots = ["Tuesday 18:00", "Tuesday 20:00"]
per_week = 2
lead_time = "3h"
crosspost_delay = "0m"
platforms = ["youtube", "x", "mastodon", "bluesky", "telegram", "facebook"]
"""


def first_tuesday_after(now: dt.datetime) -> dt.datetime:
    """A Tuesday at least two days ahead, 18:00 in Rome (CET in winter, CEST in summer)."""
    from zoneinfo import ZoneInfo

    rome = ZoneInfo("Europe/Rome")
    day = (now + dt.timedelta(days=2)).astimezone(rome).date()
    while day.weekday() != 1:
        day += dt.timedelta(days=1)
    return dt.datetime(day.year, day.month, day.day, 18, tzinfo=rome).astimezone(dt.UTC)


@dataclass
class Sample:
    video: Path
    size: int
    sha256: str


def make_samples(folder: Path) -> list[Sample]:
    """Two ~4 MB videos that do not compress (several 1 MiB chunks each); made once."""
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(len(TITLES)):
        path = folder / f"noisy-{i}.mp4"
        if not path.exists():
            make_video(path, seconds=3, width=640, height=480, noise=True, seed=100 + i)
        data = path.read_bytes()
        out.append(Sample(path, len(data), hashlib.sha256(data).hexdigest()))
    return out


@dataclass
class Run(harness.Run):
    """A `run-due` child's end, and the instant it acted as."""

    at: dt.datetime = dt.datetime.min


@dataclass(frozen=True)
class Step:
    """One run of the timeline: `publisher run-due --at AT`, or an organizer's command at
    that instant (the fakes' clock)."""

    at: dt.datetime
    command: tuple[str, ...] = ()

    def argv(self) -> list[str]:
        return list(self.command) or ["run-due", "--at", self.at.isoformat(), "--json"]

    def finished_before(self, run: Run) -> bool:
        """Run again after a kill, the command may say its work is done: `republish` of an
        interview the killed run had already republished."""
        return (self.command[:1] == ("republish",) and run.returncode == 2
                and "is not withdrawn" in run.output)


@dataclass
class Case:
    """Kill run number `run` of the timeline at `point` (`name@N`), after `after_s`, or from
    outside while YouTube holds upload chunk `mid_chunk` but has not answered it."""

    run: int
    point: str | None = None
    after_s: float | None = None
    mid_chunk: int | None = None

    @property
    def label(self) -> str:
        if self.point is not None:
            return f"run {self.run}: {self.point}"
        if self.mid_chunk is not None:
            return f"run {self.run}: kill -9 with chunk {self.mid_chunk} in flight"
        return f"run {self.run}: kill -9 after {self.after_s:.2f} s"


@dataclass
class Verdict:
    """One world's judgement, after one kill in each of its `cases`' runs."""

    cases: list[Case]
    kills: int
    videos: int = 0
    duplicates: int = 0
    losses: int = 0
    resent_bytes: int = 0
    thumbnail_repeats: int = 0
    attention: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def label(self) -> str:
        return "; ".join(c.label for c in self.cases)


class World:
    """One home, two queued interviews, every platform faked; see the module docstring."""

    def __init__(self, folder: Path, samples: list[Sample]) -> None:
        self.folder = folder
        self.samples = samples
        self.slot = first_tuesday_after(dt.datetime.now(dt.UTC))
        after = self.slot + dt.timedelta(hours=2)
        self.timeline = [
            Step(self.slot - dt.timedelta(hours=3)), Step(self.slot), Step(after),
            Step(after + dt.timedelta(minutes=10),
                 ("sync", "1", *(a for p in REPLACED for a in ("--replace", p)))),
            Step(after + dt.timedelta(minutes=20),
                 ("withdraw", "2", "--reason", "the artist withdrew consent")),
            Step(after + dt.timedelta(minutes=30), ("republish", "2")),
        ]
        self.settle_at = self.slot + dt.timedelta(hours=3)
        self.clock = Clock(self.timeline[0].at - dt.timedelta(hours=1))
        self.platforms = SandboxPlatforms(clock=self.clock)
        self.home: HomeFixture | None = None
        self.runs: list[Run] = []

    def __enter__(self) -> World:
        self.platforms.start()
        try:
            self._build()
        except BaseException:
            self.platforms.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.platforms.stop()

    def _build(self) -> None:
        path = self.folder / "home"
        db_url = f"sqlite:///{path / 'publisher.db'}"
        result = invoke("init", str(path))
        assert result.exit_code == 0, result.output
        (path / "schedules" / "studi-aperti.toml").write_text(SCHEDULE)
        toml = path / "publisher.toml"
        toml.write_text(toml.read_text().replace("[youtube]\n",
                                                 "[youtube]\nchunk_size_mib = 1\n", 1))
        creds = self.platforms.credentials(path)
        from publisher.credentials import write_private

        write_private(path / "credentials.json", json.dumps(creds).encode())
        self.home = HomeFixture(path, db_url, dict(self.platforms.endpoints()))
        media = self.folder / "media"
        media.mkdir(exist_ok=True)
        (media / "subs.it.srt").write_text(SAMPLE_SRT, encoding="utf-8")
        (media / "subs.en.vtt").write_text(SAMPLE_VTT, encoding="utf-8")
        (media / "subs.it.v2.srt").write_text(CORRECTED_SRT, encoding="utf-8")
        (media / "subs.fr.srt").write_text(FRENCH_SRT, encoding="utf-8")
        make_png(media / "thumb-corrected.png", color=(30, 160, 200))
        for i, (sample, title) in enumerate(zip(self.samples, TITLES, strict=True)):
            video = media / f"interview-{i}.mp4"
            shutil.copyfile(sample.video, video)
            thumb = make_png(media / f"thumb-{i}.png", color=(120 + 40 * i, 90, 60))
            self.home.ok("queue", "add", video, "--title", title, "--speaker", "Maria Rossi",
                         "--role", ROLE, "--thumbnail", thumb, "--playlist", PLAYLIST,
                         "--captions", f"it={media / 'subs.it.srt'}",
                         "--captions", f"en={media / 'subs.en.vtt'}")

    # ---- running -----------------------------------------------------------------------

    def organizer_before(self, run: int) -> None:
        """What the organizer does before a run of the timeline: a correction (issue 15)."""
        assert self.home is not None
        if run == CORRECTION_RUN:
            media = self.folder / "media"
            self.home.ok("queue", "edit", 1, "--description", CORRECTED,
                         "--speaker", "Maria Rossi", "--role", CORRECTED_ROLE,
                         "--thumbnail", media / "thumb-corrected.png",
                         "--playlist", NEW_PLAYLIST,
                         "--captions", f"it={media / 'subs.it.v2.srt'}",
                         "--captions", f"fr={media / 'subs.fr.srt'}")

    def _env(self, extra: dict[str, str]) -> dict[str, str]:
        assert self.home is not None
        env = {k: v for k, v in os.environ.items()
               if k not in (CRASH_ENV, TRACE_ENV) and not k.startswith("PUBLISHER_")}
        env.update(self.home.env)
        env["PYTHONUNBUFFERED"] = "1"
        env.update(extra)
        return env

    def start(self, step: Step | dt.datetime, extra: dict[str, str] | None = None
              ) -> subprocess.Popen[str]:
        assert self.home is not None
        step = step if isinstance(step, Step) else Step(step)
        self.clock.now = step.at
        argv = [sys.executable, "-m", "publisher", "--home", str(self.home.path),
                "--db", self.home.db_url, *step.argv()]
        return subprocess.Popen(argv, cwd=REPO, env=self._env(extra or {}),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc: subprocess.Popen[str], at: dt.datetime, started: float) -> Run:
        try:
            out, err = proc.communicate(timeout=CHILD_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            raise AssertionError(f"run-due at {at} hung for {CHILD_TIMEOUT_S} s:\n{err}"
                                 ) from None
        run = Run(proc.returncode, out, err, time.monotonic() - started, at)
        self.runs.append(run)
        return run

    def run(self, step: Step | dt.datetime, extra: dict[str, str] | None = None) -> Run:
        step = step if isinstance(step, Step) else Step(step)
        started = time.monotonic()
        return self.finish(self.start(step, extra), step.at, started)

    def run_ok(self, step: Step | dt.datetime, *, again: bool = False) -> Run:
        """`again`: the restart of a killed run (its command may find its work done)."""
        step = step if isinstance(step, Step) else Step(step)
        run = self.run(step)
        assert run.returncode in (0, 4) or (again and step.finished_before(run)), \
            f"{' '.join(step.argv())} at {step.at} failed:\n{run.output}"
        return run

    # ---- reading the outcome -----------------------------------------------------------

    @contextlib.contextmanager
    def _session(self) -> Iterator[Session]:
        assert self.home is not None
        engine = make_engine(self.home.db_url)
        try:
            with Session(engine) as s:
                yield s
        finally:
            engine.dispose()

    def interviews(self) -> list[tuple[int, str, str | None]]:
        with self._session() as s:
            return [(r.id, r.state, r.lease_owner) for r in s.scalars(
                select(Interview).order_by(Interview.id))]

    def publications(self) -> dict[tuple[int, str], tuple[str, str | None]]:
        """(interview, platform) → (state, url) of every cross-post record."""
        with self._session() as s:
            return {(p.interview_id, p.platform): (p.state, p.url) for p in s.scalars(
                select(Publication).where(Publication.step == "post"))}

    def video_url(self, interview_id: int) -> str | None:
        with self._session() as s:
            return s.scalar(select(Publication.url).where(
                Publication.interview_id == interview_id, Publication.step == "video"))


def trace_timeline(world: World) -> list[list[str]]:
    """Run the whole timeline without a kill, recording every crash point each run passes
    through, in order: the raw material of the matrix (and a clean run to judge)."""
    traces: list[list[str]] = []
    for step in world.timeline:
        world.organizer_before(len(traces))
        trace = world.folder / f"trace-{len(traces)}.txt"
        run = world.run(step, {TRACE_ENV: str(trace)})
        assert run.returncode in (0, 4), run.output
        traces.append(trace.read_text().split() if trace.exists() else [])
    return traces


def cases_from(traces: list[list[str]]) -> list[Case]:
    """Every (run, point@N) the traced timeline reached: each commit and request once."""
    cases = []
    for run, names in enumerate(traces):
        seen: collections.Counter[str] = collections.Counter()
        for name in names:
            seen[name] += 1
            cases.append(Case(run, f"{name}@{seen[name]}"))
    return cases


def play(world: World, cases: list[Case]) -> Verdict:
    """The timeline with a kill in each case's run, each killed run restarted at the same
    instant, the settling run, then the judgement."""
    started = time.monotonic()
    by_run = {c.run: c for c in cases}
    assert len(by_run) == len(cases), "at most one kill per run of the timeline"
    kills = 0
    for i, step in enumerate(world.timeline):
        world.organizer_before(i)
        case = by_run.get(i)
        if case is None:
            world.run_ok(step)
            continue
        if case.point is not None:
            crashed = world.run(step, {CRASH_ENV: case.point})
        elif case.mid_chunk is not None:
            crashed = _kill_mid_chunk(world, step, case.mid_chunk)
        else:
            assert case.after_s is not None
            t0 = time.monotonic()
            proc = world.start(step)
            try:
                proc.wait(timeout=case.after_s)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, signal.SIGKILL)
            crashed = world.finish(proc, step.at, t0)
        if crashed.returncode == -signal.SIGKILL:
            kills += 1
        else:
            assert crashed.returncode in (0, 4), f"{case.label}:\n{crashed.output}"
        world.run_ok(step, again=True)  # the restart, at the same instant
    world.run_ok(world.settle_at)
    verdict = judge(world, cases, kills)
    verdict.seconds = time.monotonic() - started
    return verdict


def _kill_mid_chunk(world: World, step: Step, n: int) -> Run:
    """YouTube stores the n-th chunk of the run's first upload and holds its answer; the
    child is killed then, so it never learns the chunk arrived."""
    yt = world.platforms.youtube
    before = set(yt.sessions)
    yt.delay_chunk(n, 10.0)  # far longer than the poll needs; the kill ends the wait
    started = time.monotonic()
    proc = world.start(step)

    def chunk_in_flight() -> bool:
        return any(s.kind == "video" and s.data_puts >= n
                   for key, s in yt.sessions.items() if key not in before)

    harness.kill_when(proc, chunk_in_flight, timeout_s=CHILD_TIMEOUT_S)
    return world.finish(proc, step.at, started)


def judge(world: World, cases: list[Case], kills: int) -> Verdict:
    """Everything the issue asks, read from the fakes (what the platforms hold)."""
    v = Verdict(cases, kills)
    p = world.platforms
    yt = p.youtube
    v.videos = len(yt.videos)
    by_title = collections.defaultdict(list)
    for video in yt.videos.values():
        by_title[video.title].append(video)
    for title, sample in zip(TITLES, world.samples, strict=True):
        found = by_title.get(title, [])
        if not found:
            v.losses += 1
            v.problems.append(f"no YouTube video for {title!r}")
            continue
        if len(found) > 1:
            v.duplicates += len(found) - 1
            v.problems.append(f"{len(found)} YouTube videos for {title!r}")
        video = found[0]
        if (video.size, video.sha256) != (sample.size, sample.sha256):
            v.problems.append(f"{title!r}: YouTube holds {video.size} bytes that are not the "
                              "file's")
        description = video.metadata["snippet"].get("description", "")
        if not all(tag in description for tag in CAMPAIGN_HASHTAGS):
            v.problems.append(f"{title!r}: the description lacks the campaign hashtags")
        if video.privacy_status != "public":  # YouTube made it so at publishAt
            v.problems.append(f"{title!r} is {video.privacy_status}")
        # thumbnails.set has no lookup: a kill between sending it and committing its record
        # (thumbnail.sent, correction.thumbnail.sent, or that commit) sets the same image
        # again: idempotent, 50 more quota units. Counted, and allowed once per kill.
        corrected = title == TITLES[0]
        expected = 2 if corrected else 1  # the upload's, and the correction's
        v.thumbnail_repeats += max(0, video.thumbnails_set - expected)
        if not expected <= video.thumbnails_set <= expected + kills:
            v.problems.append(f"{title!r}: thumbnails.set {video.thumbnails_set}x")
        if corrected:
            _judge_correction(video, v)
        tracks = sorted(c.language for c in yt.captions.values() if c.video_id == video.id)
        if tracks != (CORRECTED_LANGUAGES if corrected else LANGUAGES):
            v.problems.append(f"{title!r}: caption tracks {tracks}")
        if corrected:
            _judge_caption_correction(yt, video, v)
    by_playlist = {}
    for name in (PLAYLIST, NEW_PLAYLIST):
        found_lists = [pl for pl in yt.playlists.values() if pl.title == name]
        if len(found_lists) != 1:
            v.problems.append(f"{len(found_lists)} playlists named {name!r}")
        else:
            by_playlist[name] = found_lists[0].video_ids
    ids = {x.title: x.id for x in yt.videos.values()}
    wanted_lists = {PLAYLIST: [ids.get(TITLES[1])], NEW_PLAYLIST: [ids.get(TITLES[0])]}
    for name, held in by_playlist.items():
        if held != wanted_lists[name]:
            if len(held) > len(wanted_lists[name]):
                v.duplicates += 1
            v.problems.append(f"playlist {name!r} holds {held}")
    v.resent_bytes = sum(s.bytes_received for s in yt.sessions.values()
                         if s.kind == "video") - sum(s.size for s in world.samples)
    if v.resent_bytes > MIB * max(1, kills):
        v.problems.append(f"{v.resent_bytes} bytes re-sent after {kills} kill(s) (one chunk "
                          f"is {MIB})")
    _judge_posts(world, v)
    _judge_post_corrections(world, v)
    for interview_id, state, lease in world.interviews():
        if state != "published":
            v.losses += 1
            v.problems.append(f"interview {interview_id} ended {state}")
        if lease is not None:
            v.problems.append(f"interview {interview_id} still leased by {lease}")
    return v


def _judge_correction(video: Any, v: Verdict) -> None:
    """The corrected description is on YouTube, sent once (a kill after the request is
    resolved by reading the video back, never by sending it again)."""
    if CORRECTED not in video.snippet.get("description", ""):
        v.losses += 1
        v.problems.append("the corrected description is not on YouTube")
    sent = [u for u in video.updates if "snippet" in u]
    if len(sent) > 1:
        v.duplicates += len(sent) - 1
        v.problems.append(f"the correction was sent {len(sent)} times")


def _judge_caption_correction(yt: Any, video: Any, v: Verdict) -> None:
    """The corrected captions: the Italian track's file replaced once (same track), the
    English one deleted once, the French one inserted once, YouTube's own never touched."""
    italian = [c for c in yt.captions.values() if c.video_id == video.id
               and c.language == "it"]
    if italian and italian[0].updates != 1:
        v.duplicates += max(0, italian[0].updates - 1)
        v.problems.append(f"the Italian track was replaced {italian[0].updates} times")
    if italian and italian[0].sha256 != hashlib.sha256(CORRECTED_SRT.encode()).hexdigest():
        v.losses += 1
        v.problems.append("the Italian track does not hold the corrected file")
    deleted = [c.language for c in yt.deleted_captions if c.video_id == video.id]
    if deleted != ["en"]:
        v.problems.append(f"caption tracks deleted: {deleted}")


def _posts(world: World) -> Iterator[tuple[int, str, str, list[dict[str, Any]]]]:
    """(interview, platform, its record's state, what the platform holds) for every
    interview on YouTube and every cross-posting platform."""
    pubs = world.publications()
    for interview_id, _state, _lease in world.interviews():
        link = world.video_url(interview_id)
        if link is None:
            continue
        for platform in cross_posters():
            state, _url = pubs.get((interview_id, platform), ("missing", None))
            yield interview_id, platform, state, world.platforms.posts_with(platform, link)


def _judge_posts(world: World, v: Verdict) -> None:
    """One post per interview per platform; a needs-attention record is resolved the way an
    organizer would, then the settling run must leave exactly one."""
    for interview_id, platform, state, held in list(_posts(world)):
        if state == "needs_attention":
            v.attention.append(f"{platform}#{interview_id}")
            _organizer_resolves(world, interview_id, platform, held)
    world.run_ok(world.settle_at + dt.timedelta(hours=1))
    for interview_id, platform, state, held in _posts(world):
        if len(held) > 1:
            v.duplicates += len(held) - 1
            v.problems.append(f"{len(held)} posts on {platform} for interview {interview_id}")
        if not held:
            v.losses += 1
            v.problems.append(f"no post on {platform} for interview {interview_id}")
        if state != "done":
            v.problems.append(f"{platform} record of interview {interview_id} is {state}")


def _judge_post_corrections(world: World, v: Verdict) -> None:
    """Interview 1's posts after its correction: edited in place once where the platform
    allows it, replaced (the old one deleted once) where the organizer asked for it."""
    link = world.video_url(1)
    if link is None:
        return
    for platform in (*EDITED, *REPLACED):
        held = world.platforms.posts_with(platform, link)
        if len(held) != 1:
            continue  # counted by _judge_posts
        text = post_text(held[0])
        if CORRECTED_ROLE not in text:
            v.losses += 1
            v.problems.append(f"interview 1's {platform} post is not corrected: {text!r}")
        if platform in EDITED:
            edits = _edit_count(world, platform, held[0])
            if edits > 1:
                v.duplicates += edits - 1
                v.problems.append(f"interview 1's {platform} post edited {edits} times")
    old = {"x": [p for p in world.platforms.x.deleted if link in p.sent_text],
           "bluesky": [p for p in world.platforms.bluesky.deleted if link in str(p.record)]}
    for platform, deleted in old.items():
        if len(deleted) != 1:
            v.problems.append(f"{len(deleted)} {platform} posts of interview 1 deleted "
                              "(one: the one replaced)")


def _edit_count(world: World, platform: str, post: dict[str, Any]) -> int:
    if platform == "mastodon":
        status = next(s for s in world.platforms.mastodon.statuses if s.id == post.get("id"))
        return len(status.edits)
    return len(post.get("edits") or [])


def _organizer_resolves(world: World, interview_id: int, platform: str,
                        held: list[dict[str, Any]]) -> None:
    assert world.home is not None
    if held:
        url = held[0].get("url") or f"https://t.me/sandbox/{held[0].get('message_id', 1)}"
        world.home.ok("resolve", interview_id, "--platform", platform, "--url", url)
    else:
        world.home.ok("retry", interview_id, "--platform", platform)


def run_world(samples: list[Sample], cases: list[Case]) -> Verdict:
    with tempfile.TemporaryDirectory(prefix="crash-matrix-") as tmp, \
            World(Path(tmp), samples) as world:
        return play(world, cases)


def run_case(samples: list[Sample], case: Case) -> Verdict:
    return run_world(samples, [case])


def worlds(cases: list[Case]) -> list[list[Case]]:
    """Cases grouped into worlds of one kill per run of the timeline (up to six kills a
    world: the same points, a sixth of the cost)."""
    by_run: dict[int, list[Case]] = collections.defaultdict(list)
    for case in cases:
        by_run[case.run].append(case)
    depth = max((len(v) for v in by_run.values()), default=0)
    return [[by_run[r][i] for r in sorted(by_run) if i < len(by_run[r])] for i in range(depth)]


def traced_cases(samples: list[Sample]) -> tuple[list[Case], Verdict, list[float]]:
    """The clean run's verdict, the cases it yields, and each run's duration."""
    with tempfile.TemporaryDirectory(prefix="crash-matrix-") as tmp, \
            World(Path(tmp), samples) as world:
        traces = trace_timeline(world)
        durations = [r.seconds for r in world.runs]
        world.run_ok(world.settle_at)
        clean = judge(world, [], kills=0)
    return cases_from(traces), clean, durations


def mid_chunk_cases() -> list[Case]:
    """A kill with each chunk of each upload in flight (run 0 uploads interview 1, run 1
    interview 2; each spans five 1 MiB chunks)."""
    return [Case(run, mid_chunk=n) for run in (0, 1) for n in range(1, 6)]


def random_cases(durations: list[float], n: int, seed: int) -> list[Case]:
    """`n` kills from outside at a random moment of a random run (seeded)."""
    rng = random.Random(seed)
    return [Case(run, after_s=rng.uniform(0.3, max(0.4, 0.9 * durations[run])))
            for run in (rng.randrange(len(durations)) for _ in range(n))]


def summary(verdicts: list[Verdict]) -> str:
    cases = [c for v in verdicts for c in v.cases]
    named = sum(c.point is not None for c in cases)
    mid = sum(c.mid_chunk is not None for c in cases)
    lines = [
        f"kill points: {named} named + {mid} mid-chunk + {len(cases) - named - mid} random, "
        f"in {len(verdicts)} worlds; "
        f"{sum(v.kills for v in verdicts)} processes killed (a random kill can come after "
        "the run ended)",
        f"duplicates: {sum(v.duplicates for v in verdicts)}",
        f"losses: {sum(v.losses for v in verdicts)}",
        f"bytes re-sent: max {max((v.resent_bytes for v in verdicts), default=0)} in a "
        f"world, total {sum(v.resent_bytes for v in verdicts)} (one chunk is {MIB})",
        f"thumbnails set twice (idempotent, 50 quota units): "
        f"{sum(v.thumbnail_repeats for v in verdicts)}",
        f"needs attention (resolved as an organizer would): "
        f"{sum(len(v.attention) for v in verdicts)} "
        f"({', '.join(sorted({a.split('#')[0] for v in verdicts for a in v.attention}))})",
        f"worlds failing: {sum(not v.ok for v in verdicts)}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full", action="store_true", help="every traced kill point")
    parser.add_argument("--random", type=int, default=10, help="random-time kills")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--every", type=int, default=1,
                        help="take every N-th traced point (a quicker sample)")
    parser.add_argument("--jobs", type=int, default=1, help="cases run at once")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="crash-samples-") as tmp:
        samples = make_samples(Path(tmp))
        cases, clean, durations = traced_cases(samples)
        assert clean.ok, clean.problems
        chosen = list(cases) if args.full else cases[::max(1, args.every)]
        chosen += mid_chunk_cases() + random_cases(durations, args.random, args.seed)
        print(f"{len(cases)} traced kill points; running {len(chosen)} cases", flush=True)
        groups = worlds(chosen)
        print(f"{len(groups)} worlds", flush=True)
        verdicts = []
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            for verdict in pool.map(run_world, [samples] * len(groups), groups):
                verdicts.append(verdict)
                status = "ok" if verdict.ok else "FAIL " + "; ".join(verdict.problems)
                print(f"{verdict.label:100} kills={verdict.kills} "
                      f"resent={verdict.resent_bytes:>8} "
                      f"attention={','.join(verdict.attention) or '-':16} "
                      f"{verdict.seconds:5.1f} s {status}", flush=True)
    print(summary(verdicts))
    return 0 if all(v.ok for v in verdicts) else 1


if __name__ == "__main__":
    raise SystemExit(main())
