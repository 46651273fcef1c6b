"""`publisher published`: everything that went out, with its addresses."""

from __future__ import annotations

import click

from publisher.app import App
from publisher.cli.attention_cmds import PLATFORM_CHOICE
from publisher.cli.output import print_csv, print_json, table


@click.command()
@click.option("--month", metavar="YYYY-MM",
              help="Only what went out in this month (in the campaign's time zone).")
@click.option("--platform", type=PLATFORM_CHOICE, help="Only this platform (youtube, x, …).")
@click.option("--json", "as_json", is_flag=True,
              help="Print a JSON array: at (ISO 8601 with offset), interview_id, title, "
                   "platform, url.")
@click.option("--csv", "as_csv", is_flag=True,
              help="Print CSV for a spreadsheet, with the same columns as --json.")
@click.pass_obj
def published(app: App, month: str | None, platform: str | None, as_json: bool,
              as_csv: bool) -> None:
    """List everything that went out, newest first: each video once public on YouTube, and
    each post, with its address and when (in the campaign's time zone)."""
    from publisher.services.published import CSV_COLUMNS, check_month
    from publisher.services.published import published as went_out
    from publisher.services.times import moment

    if as_json and as_csv:
        raise click.UsageError("give --json or --csv, not both")
    rows = went_out(app, month=check_month(month) if month else None, platform=platform)
    zone = app.zone
    if as_json or as_csv:
        data = [r.as_json(zone) for r in rows]
        if as_json:
            print_json(data)
        else:
            print_csv(CSV_COLUMNS, data)
        return
    if not rows:
        click.echo("Nothing has gone out" + (f" in {month}" if month else "")
                   + (f" on {platform}" if platform else "") + " yet.")
        return
    table(["WHEN", "ID", "PLATFORM", "TITLE", "ADDRESS"],
          [(moment(r.at, zone), r.interview_id, r.platform, r.title, r.url) for r in rows],
          max_width=200)
