"""`publisher withdraw ID --reason …` and `publisher republish ID`: take an interview down
after it went out, and put it back."""

from __future__ import annotations

import click

from publisher.app import App
from publisher.cli.output import echo, print_json


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--reason", default="", help="Why it is withdrawn (kept in the journal, sent "
              "to the organizers). Required the first time.")
@click.option("--deleted-by-hand", "by_hand", metavar="PLATFORM",
              help="Record that you deleted its post on PLATFORM by hand (when the "
                   "withdrawal could not: Telegram after 48 hours).")
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def withdraw(app: App, item_id: int, reason: str, by_hand: str | None, as_json: bool) -> None:
    """Take an interview down at once: its video becomes private on YouTube (never
    deleted), every post is deleted where the platform allows it, the organizers are told.

    Run again, it finishes a withdrawal that was interrupted. Exit status 4 when a post is
    left for you to delete by hand (its link is shown) or waits for a retry.
    """
    from publisher.cli.logs import setup_logging
    from publisher.services.withdrawals import record_deleted_by_hand, withdraw_interview

    setup_logging(app)
    if by_hand:
        record_deleted_by_hand(app, item_id, by_hand)
        echo(f"Interview {item_id}: its {by_hand} post is recorded as deleted by hand.")
        return
    report = withdraw_interview(app, item_id, reason)
    if as_json:
        print_json(report.as_json())
    else:
        echo(f"Interview {item_id} withdrawn. Video on YouTube: {report.video}.")
        for platform, what in report.deleted.items():
            echo(f"  {platform}: post {what}")
        for platform, why in report.waiting.items():
            echo(f"  {platform}: waiting: {why}", err=True, fg="yellow")
        for platform, why in report.needs_you.items():
            echo(f"  {platform}: NEEDS YOU: {why}", err=True, fg="red")
        echo(f"`publisher republish {item_id}` puts it back.")
    if not report.finished:
        raise SystemExit(4)


@click.command()
@click.argument("item_id", metavar="ID", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print what was done as JSON.")
@click.pass_obj
def republish(app: App, item_id: int, as_json: bool) -> None:
    """Undo `publisher withdraw`: the video public again and the deleted posts posted
    again as new posts.

    A video whose slot is still ahead goes back to private with its scheduled publishing.
    A post that could not be deleted (still out) is not posted a second time.
    """
    from publisher.cli.logs import setup_logging
    from publisher.services.withdrawals import republish_interview

    setup_logging(app)
    report = republish_interview(app, item_id)
    if as_json:
        print_json(report.as_json())
        return
    state = report.back_to.value if report.back_to else "?"
    echo(f"Interview {item_id} is {state} again. Video on YouTube: {report.video}.")
    if report.reposting:
        echo(f"  posted again on: {', '.join(report.reposting)}")
