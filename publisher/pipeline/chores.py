"""run_due's daily and weekly chores: a pre-release check of what is planned soon, and a
digest for the organizers, in the campaign's language (publisher/i18n.py). Each runs at
most once per day (or week), remembered in runtime_state, so run_due stays idempotent."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from publisher.pipeline import state
from publisher.pipeline.planning import upcoming
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_quota import ledger
from publisher.quota import UNITS, UPLOADS, pacific_day
from publisher.store.models import Interview, QuotaUsage, State

CHECK_AHEAD = dt.timedelta(days=7)
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finding:
    interview_id: int | None  # None: about the home (credentials, disk, ...)
    text: str


def _periods(now: dt.datetime) -> tuple[str, str]:
    """The day and the week the chores are done for at `now`."""
    iso = now.isocalendar()
    return now.date().isoformat(), f"{iso.year}-W{iso.week:02d}"


def chores_due(session: Session, now: dt.datetime) -> bool:
    """Whether a chore's day (or week) has come since they last ran: run_due performs the
    chores, and a worker's plan defers them, only then."""
    done = state.get(session, "chores")
    return (done.get("daily"), done.get("weekly")) != _periods(now)


def next_chores_at(now: dt.datetime) -> dt.datetime:
    """When the next day (so the next chores) begins: weeks begin on a day too."""
    return dt.datetime.combine(now.date() + dt.timedelta(days=1), dt.time(0), now.tzinfo)


def due_chores(rt: Runtime, now: dt.datetime) -> list[Finding]:
    """Run the chores whose day has come; returns what they found (for the report)."""

    found: list[Finding] = []
    with rt.transaction() as s:
        done = state.get(s, "chores")
    before = (done.get("daily"), done.get("weekly"))
    today, week = _periods(now)
    if done.get("daily") != today:
        doctor = doctor_failures(rt, now)
        # The doctor hashes the next few files; the pre-release check looks at the whole
        # week by size: an interview the doctor already reported is not reported twice.
        seen = {f.interview_id for f in doctor}
        found += [f for f in pre_release_check(rt, now) if f.interview_id not in seen]
        found += doctor
        if found:
            _ = rt.translator().gettext
            rt.notify(_("Check before release"),
                      "\n".join(f"- {f.text}" for f in found) + "\n\n"
                      + _("Run `publisher doctor` for the whole picture."))
        done["daily"] = today
        track_youtube_grant(rt, now)
    if done.get("weekly") != week:
        rt.notify(rt.translator().gettext("Weekly digest"), digest(rt, now))
        done["weekly"] = week
    if (done.get("daily"), done.get("weekly")) != before:
        with rt.transaction() as s:
            state.put(s, "chores", done, now)
    return found


TESTING_GRANT_DAYS = 7  # Google's limit for an OAuth app whose consent screen is in Testing


def track_youtube_grant(rt: Runtime, now: dt.datetime) -> dt.date | None:
    """When the current YouTube authorisation was granted (first seen): a new refresh token
    starts a new grant. Only a fingerprint of the token is kept, never the token."""
    import hashlib
    import json

    name = rt.credentials.section("youtube").get("token_file")
    if not name:
        return None
    try:
        token = json.loads(rt.path(str(name)).read_text()).get("refresh_token")
    except (OSError, ValueError, AttributeError):
        return None
    if not token:
        return None
    fingerprint = hashlib.sha256(str(token).encode()).hexdigest()[:16]
    with rt.transaction() as s:
        grant = state.get(s, "youtube_grant")
        # A first sight later than today (a rehearsal's clock ran ahead, or this computer's
        # was set back) would make the grant's age negative: seen first today, then.
        if grant.get("fingerprint") != fingerprint \
                or grant.get("first_seen", "") > now.date().isoformat():
            grant = {"fingerprint": fingerprint, "first_seen": now.date().isoformat()}
            state.put(s, "youtube_grant", grant, now)
    return dt.date.fromisoformat(grant["first_seen"])


def credentials_outlook(rt: Runtime, now: dt.datetime) -> list[str]:
    """What the digest says about credentials that will (or may) expire."""
    from publisher.i18n import campaign_locale, format_date

    granted = track_youtube_grant(rt, now)
    if granted is None:
        return []
    _ = rt.translator().gettext
    locale = campaign_locale(rt.config.campaign.language)
    age = (now.date() - granted).days
    ends = granted + dt.timedelta(days=TESTING_GRANT_DAYS)
    line = _("YouTube authorisation: granted %(age)s day(s) ago (first seen %(day)s).") % {
        "age": age, "day": format_date(granted, locale)}
    if age < TESTING_GRANT_DAYS:
        line += " " + _("If the OAuth app's consent screen is in \"Testing\", Google ends it "
                        "on %(day)s: publish the app \"In production\", or run `publisher auth "
                        "youtube` again before then.") % {"day": format_date(ends, locale)}
    return [line]


def doctor_failures(rt: Runtime, now: dt.datetime) -> list[Finding]:
    """`publisher doctor`'s failing checks (credentials refreshed, the channel's thumbnail
    rights, the next files hashed, quota, disk, clock), for the daily chore. Not in a
    rehearsal: its credentials are the sandbox's own."""
    if rt.sandbox or not rt.home.config_file.is_file():
        return []
    from publisher.app import App  # the same checks the command runs, on the same home
    from publisher.services.doctor import run_checks

    app = App(rt.home, actor="daemon")
    try:
        checks = run_checks(app, now)
    except Exception as exc:  # a check that cannot run must not stop the pipeline
        log.warning("the daily doctor could not run: %s", exc)
        return [Finding(None, f"the daily checks could not run: {exc}")]
    finally:
        app.close()
    return [Finding(c.interview_id, f"doctor: {c.name}: {c.detail}") for c in checks
            if c.verdict == "fail"]


def pre_release_check(rt: Runtime, now: dt.datetime) -> list[Finding]:
    """The files of interviews planned in the coming week are still there, the same size."""
    with rt.transaction() as s:
        plan = upcoming(s, rt, now, CHECK_AHEAD)
        files = {r.id: (r.video_path, r.video_size, r.thumbnail_path) for r in s.execute(
            select(Interview.id, Interview.video_path, Interview.video_size,
                   Interview.thumbnail_path).where(Interview.state == State.QUEUED.value))}
    problems: list[Finding] = []
    for entry in plan.entries:
        if entry.interview is None or entry.interview.id not in files:
            continue
        video, size, thumb = files[entry.interview.id]
        where = f"interview {entry.interview.id} (out {entry.slot.local:%a %Y-%m-%d %H:%M})"
        path = Path(video)
        if not path.is_file():
            problems.append(Finding(entry.interview.id,
                                    f"{where}: its video file is missing: {video}"))
        elif path.stat().st_size != size:
            problems.append(Finding(entry.interview.id, f"{where}: its video file changed "
                                                        f"size since it was queued: {video}"))
        if thumb and not Path(thumb).is_file():
            problems.append(Finding(entry.interview.id,
                                    f"{where}: its thumbnail is missing: {thumb}"))
    return problems


def digest(rt: Runtime, now: dt.datetime) -> str:
    """Published last week, planned next two weeks, queue depth and when it runs dry, the
    quota used, and credentials that will expire."""
    with rt.transaction() as s:
        published = s.scalars(select(Interview.title).where(
            Interview.state.in_([State.RELEASED.value, State.PUBLISHED.value]),
            Interview.slot_at > now - dt.timedelta(days=7), Interview.slot_at <= now)).all()
        depth = s.scalar(select(func.count()).select_from(Interview).where(
            Interview.state == State.QUEUED.value)) or 0
        attention = s.scalar(select(func.count()).select_from(Interview).where(
            Interview.state == State.NEEDS_ATTENTION.value)) or 0
        plan = upcoming(s, rt, now, dt.timedelta(weeks=2))
        quota: dict[str, int] = {row[0]: int(row[1] or 0) for row in s.execute(
            select(QuotaUsage.bucket, func.sum(QuotaUsage.units)).where(
                QuotaUsage.quota_project == ledger(rt).key,
                QuotaUsage.day > pacific_day(now) - dt.timedelta(days=7)).group_by(
                QuotaUsage.bucket))}
    from publisher.i18n import campaign_locale, format_moment

    _ = rt.translator().gettext
    locale = campaign_locale(rt.config.campaign.language)

    def when(at: dt.datetime) -> str:
        return format_moment(at, at.tzinfo or dt.UTC, locale)  # a slot: in its zone

    planned = [f"{when(e.slot.local)}: {e.interview.title}" for e in plan.entries
               if e.interview is not None]
    dry = plan.runs_dry()
    lines = [_("Published in the last 7 days: %(num)s") % {"num": len(published)}]
    lines += [f"  - {t}" for t in published]
    lines += [_("Planned for the next two weeks: %(num)s") % {"num": len(planned)}]
    lines += [f"  - {p}" for p in planned]
    lines.append(_("Queued: %(num)s.") % {"num": depth} + " " + (
        _("The queue runs dry at %(when)s.") % {"when": when(dry.slot.local)} if dry
        else _("It lasts beyond two weeks.")))
    if attention:
        lines.append(_("Needing attention: %(num)s (see `publisher status`).")
                     % {"num": attention})
    lines.append(_("YouTube quota used in the last 7 days: %(uploads)s uploads, %(units)s "
                   "units (a day allows %(daily_uploads)s and %(daily_units)s).") % {
        "uploads": quota.get(UPLOADS, 0), "units": quota.get(UNITS, 0),
        "daily_uploads": rt.config.youtube.daily_uploads,
        "daily_units": rt.config.youtube.daily_units})
    lines += credentials_outlook(rt, now)
    return "\n".join(lines)
