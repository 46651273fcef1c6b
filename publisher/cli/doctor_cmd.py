"""`publisher doctor`: every check that can fail on release day, run days ahead."""

from __future__ import annotations

import datetime as dt

import click

from publisher.app import App
from publisher.cli.output import print_json


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
@click.pass_obj
def doctor(app: App, as_json: bool) -> None:
    """Check now what could fail on release day: credentials, files, quota, disk, clock.

    Verifies every enabled platform's credentials (refreshing YouTube's token), that the
    channel can take custom thumbnails, that the video and thumbnail files of the next
    planned interviews are present and unchanged (sha256), secret files' permissions,
    today's quota, free disk space and the clock. The daemon runs the same checks daily and
    notifies the failures. Exit status 4 when a check fails.
    """
    from publisher.services.doctor import run_checks

    checks = run_checks(app, dt.datetime.now(dt.UTC))
    failed = any(c.verdict == "fail" for c in checks)
    if as_json:
        print_json({"ok": not failed, "checks": [vars(c) for c in checks]})
    else:
        colors = {"pass": "green", "warn": "yellow", "fail": "red"}
        for c in checks:
            click.echo(click.style(f"{c.verdict.upper():4}", fg=colors[c.verdict], bold=True)
                       + f"  {c.name}: {c.detail}")
    if failed:
        raise SystemExit(4)
