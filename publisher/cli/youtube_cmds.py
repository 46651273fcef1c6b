"""`publisher upload` and `publisher auth`: YouTube work an organizer can start by hand."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from publisher.app import App
from publisher.cli.logs import say, setup_logging
from publisher.cli.output import print_json

if TYPE_CHECKING:
    from publisher.pipeline.youtube_stage import RideOut
    from publisher.platforms.errors import PlatformError


def ride_out(app: App, item_id: int) -> RideOut:
    """Keep retrying a dropped link for `[youtube] retry_for_minutes`, saying on stderr when
    the next try is (in the campaign's zone)."""
    from publisher.pipeline.youtube_stage import RideOut
    from publisher.services.times import moment

    def announce(at: dt.datetime, error: PlatformError) -> None:
        click.secho(f"Interview {item_id}: {error}; trying again at "
                    f"{moment(at, app.zone, seconds=True)}", err=True, fg="yellow")

    return RideOut(dt.timedelta(minutes=app.config.youtube.retry_for_minutes), announce)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_obj
def upload(app: App, item_id: int, as_json: bool) -> None:
    """Upload one interview now, as private with publishAt = its planned slot.

    Sets its thumbnail, playlist and captions and checks what YouTube holds; no
    cross-posting. A half-done upload is resumed, never started over. Exit status 4 when it
    is waiting (quota, authorisation, a retry) or needs attention.
    """
    from publisher.pipeline.youtube_stage import stage
    from publisher.services.planning import planned_slot

    setup_logging(app)
    now = dt.datetime.now(dt.UTC)
    slot = planned_slot(app, item_id, now)
    result = stage(app.runtime("upload"), item_id, slot, ride_out=ride_out(app, item_id))
    if as_json:
        print_json({"id": item_id, "outcome": result.outcome, "detail": result.detail,
                    "video_id": result.video_id,
                    "slot": slot.isoformat() if slot else None})
    elif result.outcome == "staged":
        from publisher.services.times import moment

        when = f" for {moment(slot, app.zone)}" if slot else ""
        click.echo(f"Interview {item_id} is on YouTube as private{when}: "
                   f"https://www.youtube.com/watch?v={result.video_id}")
        if result.detail:
            say(f"warning: {result.detail}", fg="yellow", err=True)
    else:
        # "waiting for YouTube authorisation: …" already says it waits: not twice.
        lead = "" if result.detail.startswith(result.outcome) else f"{result.outcome}: "
        say(f"Interview {item_id}: {lead}{result.detail}", fg="yellow", err=True)
    if result.outcome != "staged":
        raise SystemExit(4)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--now", "now_flag", is_flag=True, required=True,
              help="Publish it now, outside the cadence (required: says you mean it).")
@click.option("--json", "as_json", is_flag=True, help="Print the outcome as JSON.")
@click.pass_obj
def publish(app: App, item_id: int, now_flag: bool, as_json: bool) -> None:
    """Publish one interview immediately: upload (or finish uploading) and make it public.

    For the organizer who needs one out now. The same leases and checks as the daemon apply,
    so it never uploads twice, and a half-done upload is resumed. Exit status 4 when it is
    waiting (quota, authorisation, a retry) or needs attention.
    """
    from publisher.errors import InputError
    from publisher.pipeline.run_due import release_now
    from publisher.pipeline.youtube_stage import stage
    from publisher.store.models import Interview, State

    setup_logging(app)
    now = dt.datetime.now(dt.UTC)
    with app.transaction() as session:
        item = session.get(Interview, item_id)
        if item is None:
            raise InputError(f"there is no interview {item_id} (see `publisher queue list`)")
        state = item.state
    if state not in (State.QUEUED.value, State.STAGING.value, State.STAGED.value):
        raise InputError(f"interview {item_id} is {state}: only queued or uploaded interviews "
                         "can be published now")
    rt = app.runtime("publish")
    outcome, detail, video_id = "staged", "", None
    if state != State.STAGED.value:
        result = stage(rt, item_id, now, ride_out=ride_out(app, item_id))
        outcome, detail, video_id = result.outcome, result.detail, result.video_id
    posts: list[dict[str, str]] = []
    if outcome == "staged":
        action = release_now(rt, item_id, dt.datetime.now(dt.UTC))
        outcome, detail = action.outcome, action.detail or detail
    if outcome == "released":
        from publisher.pipeline.crosspost import crosspost_one

        posts = [{"platform": o.platform, "outcome": o.outcome, "detail": o.detail}
                 for o in crosspost_one(rt, item_id, dt.datetime.now(dt.UTC))]
    if as_json:
        print_json({"id": item_id, "outcome": outcome, "detail": detail,
                    "video_id": video_id, "posts": posts})
    elif outcome == "released":
        click.echo(f"Interview {item_id} is public on YouTube.")
        for line in posts:
            click.echo(f"  {line['platform']}: {line['outcome']} {line['detail']}".rstrip())
    else:
        say(f"Interview {item_id}: {outcome}: {detail}", fg="yellow", err=True)
    if outcome != "released":
        raise SystemExit(4)
