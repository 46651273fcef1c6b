"""`publisher doctor`'s checks: everything that can fail on release day, run days ahead
(also by the daemon's daily chore, which notifies the failures)."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.services.times import Zone

NEXT_FILES = 3           # planned interviews whose files are hashed again
MIN_FREE_BYTES = 1024**3  # the database, logs and session files need room


@dataclass(frozen=True)
class Check:
    name: str
    verdict: str  # pass | warn | fail
    detail: str
    interview_id: int | None = None  # the check is about this interview's files


def run_checks(app: App, now: dt.datetime) -> list[Check]:
    """Every check, in order."""
    from publisher.services.accounts import (
        mode_warnings,
        platform_status,
        secret_files,
        sections,
        youtube_status,
    )

    out: list[Check] = []
    app.check_ready()
    out.append(Check("database", "pass", "reachable and at this version's schema"))
    creds = app.credentials
    yt = youtube_status(app)
    out.append(Check("youtube credentials", "fail" if yt.needs_person else "pass", yt.detail))
    if not yt.needs_person and yt.configured:
        out.append(_thumbnail_check(app, now))
    used = {p for s in app.schedules.values() for p in s.platforms if p != "youtube"}
    for name in sections()[1:]:
        status = platform_status(name, creds.section(name))
        if name in used and not creds.configured(name):
            out.append(Check(f"{name} credentials", "warn",
                             f"{status.detail}: a schedule posts to {name}, so those posts "
                             "will be skipped (fill it in, or remove it from the schedule)"))
        elif name in used or status.configured:
            out.append(Check(f"{name} credentials", "fail" if status.needs_person else "pass",
                             status.detail))
    modes = mode_warnings(secret_files(app, creds))
    out += [Check("file permissions", "warn", m) for m in modes] or [
        Check("file permissions", "pass", "secret files are readable by their owner only")]
    out += _file_checks(app, now)
    out.append(_quota_check(app, now))
    free = shutil.disk_usage(app.home.path).free
    out.append(Check("disk space", "pass" if free >= MIN_FREE_BYTES else "warn",
                     f"{free / 1024**3:.1f} GiB free in {app.home.path}"))
    out.append(_clock_check(now, app.zone))
    return out


def _file_checks(app: App, now: dt.datetime) -> list[Check]:
    from sqlalchemy import select

    from publisher.media import sha256_file
    from publisher.pipeline.planning import upcoming
    from publisher.store.models import Interview, State

    with app.transaction() as s:
        plan = upcoming(s, app, now, dt.timedelta(weeks=8))
        rows = {r.id: r for r in s.execute(
            select(Interview.id, Interview.title, Interview.video_path, Interview.video_sha256,
                   Interview.thumbnail_path).where(Interview.state == State.QUEUED.value))}
    next_ones = [e for e in plan.entries if e.interview and e.interview.id in rows][:NEXT_FILES]
    if not next_ones:
        return [Check("next videos", "warn", "nothing is planned in the next eight weeks")]
    out = []
    for entry in next_ones:
        assert entry.interview is not None
        row = rows[entry.interview.id]
        when = f"out {entry.slot.local:%a %Y-%m-%d %H:%M}"
        path = Path(row.video_path)
        if not path.is_file():
            out.append(Check(f"interview {row.id} video", "fail",
                             f"{when}: the file is missing: {path}", row.id))
        elif sha256_file(path) != row.video_sha256:
            out.append(Check(f"interview {row.id} video", "fail",
                             f"{when}: the file changed since it was queued: {path}", row.id))
        else:
            out.append(Check(f"interview {row.id} video", "pass",
                             f"{when}: present, unchanged", row.id))
        if row.thumbnail_path and not Path(row.thumbnail_path).is_file():
            out.append(Check(f"interview {row.id} thumbnail", "fail",
                             f"{when}: the thumbnail is missing: {row.thumbnail_path}",
                             row.id))
    return out


def _thumbnail_check(app: App, now: dt.datetime) -> Check:
    """Custom thumbnails need a verified channel; without one YouTube refuses them (the
    videos still go out, with YouTube's own still)."""
    from sqlalchemy import func, select

    from publisher.platforms.errors import PlatformError
    from publisher.store.models import Interview, State

    name = "custom thumbnails"
    with app.transaction() as s:
        wanted = s.scalar(select(func.count()).select_from(Interview).where(
            Interview.state == State.QUEUED.value, Interview.thumbnail_path.is_not(None))) or 0
    if not wanted:
        return Check(name, "pass", "no queued interview has a thumbnail")
    try:
        rt = app.runtime("doctor")
        api, _http = rt.youtube()
        status = api.channel_status()
    except PlatformError as exc:
        return Check(name, "warn", f"could not ask YouTube about the channel: {exc}")
    if status.get("longUploadsStatus") == "allowed":
        return Check(name, "pass", "the channel is verified: custom thumbnails are allowed")
    return Check(name, "fail", f"the channel is not verified, so YouTube will refuse the "
                               f"custom thumbnails of {wanted} queued interview(s): verify it "
                               "at https://www.youtube.com/verify (a phone number)")


def _quota_check(app: App, now: dt.datetime) -> Check:
    from publisher.services.quota_today import quota_today

    today = quota_today(app, now)
    up, units = today.uploads, today.units
    # One staged interview costs 1 upload and up to ~1,000 units (captions are 400 each).
    room = up.remaining >= 1 and units.limit - units.used >= 1000
    return Check("youtube quota", "pass" if room else "warn",
                 f"today: {up.used} of {up.limit} uploads, {units.used} of "
                 f"{units.limit} units")


def _clock_check(now: dt.datetime, zone: Zone) -> Check:
    from zoneinfo import ZoneInfo

    from publisher.services.times import moment

    built = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    if now < built:
        return Check("clock", "fail", f"the system clock says {now:%Y-%m-%d}, before this "
                                      "version of publisher was made: set the clock")
    try:
        ZoneInfo("Europe/Rome")
    except Exception:
        return Check("clock", "fail", "no time zone data: install tzdata")
    return Check("clock", "pass", f"{moment(now, zone)} ({now:%H:%M} UTC), time zone data "
                                  "present")
