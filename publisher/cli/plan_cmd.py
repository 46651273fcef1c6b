"""`publisher plan`: which interview goes out in which slot."""

from __future__ import annotations

import datetime as dt

import click

from publisher.app import App
from publisher.cli.output import echo, print_json, table


def parse_instant(raw: str) -> dt.datetime:
    """An ISO 8601 instant; without an offset it is read as UTC."""
    from publisher.errors import InputError

    try:
        moment = dt.datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InputError(f"--at: cannot read {raw!r} as an ISO 8601 date and time "
                         "(e.g. 2026-12-01T18:00+01:00)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


@click.command()
@click.option("--weeks", type=click.IntRange(1, 520), default=4, show_default=True,
              help="How many weeks ahead to plan.")
@click.option("--at", "at", metavar="ISO8601",
              help="Plan as if it were this instant (for rehearsals). Default: now.")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON list of slots: slot, slot_utc, upload_at, interview_id, "
                   "title, schedule, note.")
@click.pass_obj
def plan(app: App, weeks: int, at: str | None, as_json: bool) -> None:
    """Show the coming slots and which interview each gets.

    Follows the queue order, holds, not-before dates, blackouts and each schedule's weekly
    limit. Says plainly when the queue runs out within the weeks shown.
    """
    from publisher.services.planning import plan_ahead, unconfigured_platforms

    now = parse_instant(at) if at else dt.datetime.now(dt.UTC)
    result = plan_ahead(app, now, dt.timedelta(weeks=weeks))
    if as_json:
        print_json([{
            "slot": e.slot.local.isoformat(), "slot_utc": e.slot.at.isoformat(),
            "upload_at": e.upload_at.isoformat(),
            "interview_id": e.interview.id if e.interview else None,
            "title": e.interview.title if e.interview else None,
            "schedule": e.slot.schedule, "note": e.note or e.slot.dst_note,
        } for e in result.entries])
        return
    if not app.schedules:
        click.echo("There is no schedule in schedules/: nothing can be planned.")
        return
    from publisher.services.times import moment

    zone = app.zone
    click.echo(f"Plan for the {weeks} week(s) from {moment(now, zone)}:\n")
    if result.entries:
        table(["SLOT (LOCAL)", "UTC", "UPLOAD FROM", "SCHEDULE", "ID", "INTERVIEW", "NOTE"],
              [(f"{e.slot.local:%a %Y-%m-%d %H:%M %Z}", f"{e.slot.at:%Y-%m-%d %H:%M}Z",
                moment(e.upload_at, e.slot.local.tzinfo or zone, weekday=True),
                e.slot.schedule,
                e.interview.id if e.interview else "—",
                e.interview.title if e.interview else "(empty)",
                e.note or e.slot.dst_note or "") for e in result.entries], max_width=50)
    else:
        click.echo("No slot falls within these weeks.")
    click.echo("")
    dry = result.runs_dry()
    if dry is not None:
        empty = sum(1 for e in result.entries if e.interview is None
                    and (e.note or "").startswith("no interview"))
        echo(f"The queue runs out: from {dry.slot.local:%a %Y-%m-%d %H:%M %Z} there is "
             f"no interview left ({empty} empty slot(s) in these {weeks} week(s)). "
             "Queue more with `publisher queue add` or `publisher queue import`.",
             fg="yellow")
    if result.held:
        echo(f"Held, so not planned: {', '.join(map(str, result.held))} "
             "(`publisher queue release ID` lets one go).")
    if result.unplaced:
        click.echo(f"{len(result.unplaced)} queued interview(s) go beyond these {weeks} "
                   "week(s) or cannot be planned.")
    for note in result.notes:
        click.echo(f"note: {note}")
    for platform in unconfigured_platforms(app):
        click.echo(f"note: {platform} is not configured in credentials.json: posts to it are "
                   "skipped (fill it in, or remove it from the schedule's platforms)")
