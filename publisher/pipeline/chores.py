"""run_due's daily and weekly chores: a pre-release check of what is planned soon, and a
digest for the organizers. Each runs at most once per day (or week), remembered in
runtime_state, so run_due stays idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select

from publisher.cadence import make_plan
from publisher.pipeline import state
from publisher.pipeline.planning import plan_items
from publisher.pipeline.runtime import Runtime
from publisher.store.models import Interview, State

CHECK_AHEAD = dt.timedelta(days=7)


def due_chores(rt: Runtime, now: dt.datetime) -> list[str]:
    """Run the chores whose day has come; returns what they found (for the report)."""

    found: list[str] = []
    with rt.transaction() as s:
        done = state.get(s, "chores")
    today = now.date().isoformat()
    iso = now.isocalendar()
    week = f"{iso.year}-W{iso.week:02d}"
    if done.get("daily") != today:
        found += pre_release_check(rt, now)
        for problem in found:
            rt.notify("Check before release", problem)
        done["daily"] = today
    if done.get("weekly") != week:
        rt.notify("Weekly digest", digest(rt, now))
        done["weekly"] = week
    with rt.transaction() as s:
        state.put(s, "chores", done, now)
    return found


def pre_release_check(rt: Runtime, now: dt.datetime) -> list[str]:
    """The files of interviews planned in the coming week are still there, the same size."""
    with rt.transaction() as s:
        items, _ = plan_items(s, now)
        files = {r.id: (r.video_path, r.video_size, r.thumbnail_path) for r in s.execute(
            select(Interview.id, Interview.video_path, Interview.video_size,
                   Interview.thumbnail_path).where(Interview.state == State.QUEUED.value))}
    plan = make_plan(rt.schedules, items, now, CHECK_AHEAD,
                     default_schedule=rt.config.campaign.default_schedule)
    problems = []
    for entry in plan.entries:
        if entry.interview is None or entry.interview.id not in files:
            continue
        video, size, thumb = files[entry.interview.id]
        when = f"{entry.slot.local:%a %Y-%m-%d %H:%M}"
        path = Path(video)
        if not path.is_file():
            problems.append(f"interview {entry.interview.id} (out {when}): its video file is "
                            f"missing: {video}")
        elif path.stat().st_size != size:
            problems.append(f"interview {entry.interview.id} (out {when}): its video file "
                            f"changed size since it was queued: {video}")
        if thumb and not Path(thumb).is_file():
            problems.append(f"interview {entry.interview.id} (out {when}): its thumbnail is "
                            f"missing: {thumb}")
    return problems


def digest(rt: Runtime, now: dt.datetime) -> str:
    """Published last week, planned next two weeks, queue depth and when it runs dry."""
    with rt.transaction() as s:
        published = s.scalars(select(Interview.title).where(
            Interview.state.in_([State.RELEASED.value, State.PUBLISHED.value]),
            Interview.slot_at > now - dt.timedelta(days=7), Interview.slot_at <= now)).all()
        depth = s.scalar(select(func.count()).select_from(Interview).where(
            Interview.state == State.QUEUED.value)) or 0
        attention = s.scalar(select(func.count()).select_from(Interview).where(
            Interview.state == State.NEEDS_ATTENTION.value)) or 0
        items, _ = plan_items(s, now)
    plan = make_plan(rt.schedules, items, now, dt.timedelta(weeks=2),
                     default_schedule=rt.config.campaign.default_schedule)
    planned = [f"{e.slot.local:%a %d %b %H:%M}: {e.interview.title}" for e in plan.entries
               if e.interview is not None]
    dry = plan.runs_dry()
    lines = [f"Published in the last 7 days: {len(published)}"]
    lines += [f"  - {t}" for t in published]
    lines += [f"Planned for the next two weeks: {len(planned)}"]
    lines += [f"  - {p}" for p in planned]
    lines.append(f"Queued: {depth}. " + (f"The queue runs dry at "
                                         f"{dry.slot.local:%a %d %b %H:%M}." if dry
                                         else "It lasts beyond two weeks."))
    if attention:
        lines.append(f"Needing attention: {attention} (see `publisher status`).")
    return "\n".join(lines)
