"""`publisher upload` and `publisher auth`: YouTube work an organizer can start by hand."""

from __future__ import annotations

import datetime as dt
import logging

import click

from publisher.cli.app import App
from publisher.cli.output import print_json


def setup_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s",
                        datefmt="%Y-%m-%d %H:%M:%S")


def planned_slot(app: App, interview_id: int, now: dt.datetime) -> dt.datetime | None:
    """The slot the plan gives this interview (searching a year ahead)."""
    from publisher.cadence import make_plan
    from publisher.errors import InputError
    from publisher.pipeline.planning import plan_items
    from publisher.store.models import Interview, State

    with app.transaction() as session:
        item = session.get(Interview, interview_id)
        if item is None:
            raise InputError(f"there is no interview {interview_id} (see `publisher queue "
                             "list`)")
        if item.state == State.STAGING.value:
            return item.slot_at  # resuming: keep the slot it started with
        if item.state != State.QUEUED.value:
            raise InputError(f"interview {interview_id} is {item.state}: only queued "
                             "interviews can be uploaded")
        items, _held = plan_items(session, now)
    plan = make_plan(app.schedules, items, now, dt.timedelta(weeks=52),
                     default_schedule=app.config.campaign.default_schedule,
                     daily_uploads=app.config.youtube.daily_uploads)
    for entry in plan.entries:
        if entry.interview is not None and entry.interview.id == interview_id:
            return entry.slot.at
    raise InputError(f"interview {interview_id} has no slot in the coming year (see "
                     "`publisher plan --weeks 52`); nothing was uploaded")


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

    setup_logging()
    now = dt.datetime.now(dt.UTC)
    slot = planned_slot(app, item_id, now)
    result = stage(app.runtime("upload"), item_id, slot)
    if as_json:
        print_json({"id": item_id, "outcome": result.outcome, "detail": result.detail,
                    "video_id": result.video_id,
                    "slot": slot.isoformat() if slot else None})
    elif result.outcome == "staged":
        when = f" for {slot:%Y-%m-%d %H:%M} UTC" if slot else ""
        click.echo(f"Interview {item_id} is on YouTube as private{when}: "
                   f"https://www.youtube.com/watch?v={result.video_id}")
        if result.detail:
            click.secho(f"warning: {result.detail}", fg="yellow", err=True)
    else:
        click.secho(f"Interview {item_id}: {result.outcome}: {result.detail}", fg="yellow",
                    err=True)
    if result.outcome != "staged":
        raise SystemExit(4)
