"""`publisher auth youtube`, `publisher auth status` and `publisher quota`: the accounts
publisher uses, and how much of today's YouTube quota is left.

Secrets are never printed: only which keys are filled in, file paths, and what a token
endpoint answered (its error codes, never a token).
"""

from __future__ import annotations

import datetime as dt

import click

from publisher.app import App
from publisher.cli.output import print_json, table, warn

NEEDS_PERSON = 4  # exit status: something needs a person (or could not be checked)


# ---- publisher auth ------------------------------------------------------------------------

@click.group()
def auth() -> None:
    """Authorise publisher's accounts and check that their credentials still work.

    The secrets themselves live in credentials.json and the files it names; these commands
    never print them.
    """


@auth.command("youtube")
@click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
              help="The local port Google's consent page redirects back to "
                   "(http://localhost:PORT/); 0 picks a free one.")
@click.option("--no-browser", is_flag=True,
              help="Do not open a browser: print the address to open instead. On a server "
                   "without a browser, first run `ssh -L PORT:localhost:PORT server` on your "
                   "own computer, then open the address there.")
@click.pass_obj
def youtube(app: App, port: int, no_browser: bool) -> None:
    """Authorise publisher to manage the channel's videos on YouTube (Google's consent page).

    Uses the "Desktop app" OAuth client whose JSON file credentials.json names
    (youtube.client_secrets_file) and saves the token to youtube.token_file, mode 0600
    (both relative to the home). Google's page redirects to http://localhost:PORT/, where
    this command waits. On a server without a browser: run with --no-browser, open an SSH
    tunnel from your own computer (`ssh -L 8080:localhost:8080 server`) and open the
    printed address there.
    """
    import errno
    import sys
    import webbrowser

    from publisher.errors import InputError
    from publisher.platforms.youtube import auth as yt_auth
    from publisher.services.youtube_consent import consent_files

    files = consent_files(app)
    secrets_file, token_file, endpoints = (files.client_secrets_file, files.token_file,
                                           files.endpoints)

    # The flow print()s the address and then waits: make it reach the person at once even
    # when stdout is a pipe (`ssh server publisher auth youtube --no-browser`).
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(line_buffering=True)
    if no_browser and port:
        click.echo(f"Waiting for Google's answer on http://localhost:{port}/. If this machine "
                   f"has no browser, run `ssh -L {port}:localhost:{port} server` on your own "
                   "computer (server: this machine's address) and open the address below "
                   "there.")
    try:
        creds = yt_auth.run_installed_flow(secrets_file, endpoints, port=port,
                                           open_browser=not no_browser)
    except webbrowser.Error:
        raise InputError("no web browser was found on this machine: run again with "
                         "--no-browser and open the printed address yourself") from None
    except Exception as exc:
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            raise InputError(f"port {port} is already in use on this machine: choose "
                             "another with --port N") from None
        failure = yt_auth.consent_failure(exc, endpoints)
        if failure is exc:
            raise
        raise failure from None
    yt_auth.save_authorisation(creds, token_file)
    click.echo(f"YouTube is authorised: the token is saved in {token_file} (mode 0600; it "
               "gives access to the channel, keep it private).")
    click.echo("If the Google Cloud project's OAuth consent screen is in \"Testing\", Google "
               "expires the token after 7 days: publish the app \"In production\" to avoid "
               "it. `publisher auth status` checks the token.")


@auth.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def status(app: App, as_json: bool) -> None:
    """Show which accounts are set up in credentials.json and whether they work.

    For YouTube the token is proved by refreshing it at the token endpoint (this uses no
    API quota); the other platforms are only checked for filled-in values for now (the
    example placeholders, such as "YOUR-…", count as not configured). Warns when a secrets
    file can be read by other users. Never shows a secret. Exit status 4 when something
    needs a person (or could not be checked).
    """
    from publisher.services.accounts import check_accounts

    report = check_accounts(app)
    results = report.statuses
    if as_json:
        print_json({"ok": not report.needs_person,
                    "platforms": [{"platform": r.platform, "configured": r.configured,
                                   "state": r.state, "needs_person": r.needs_person,
                                   "detail": r.detail, "expires_at": r.expires_at}
                                  for r in results],
                    "warnings": report.warnings})
    else:
        table(["platform", "status"], [(r.platform, r.detail) for r in results],
              max_width=400)
    warn(report.warnings)
    if report.needs_person:
        raise SystemExit(NEEDS_PERSON)


# ---- publisher quota -----------------------------------------------------------------------

@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def quota(app: App, as_json: bool) -> None:
    """Show today's YouTube API quota: what publisher used, its limits and when they reset.

    Counted from publisher's own ledger of the calls it made (refused ones too) in the
    current Pacific-time day, against daily_uploads (videos.insert calls) and daily_units
    (every other call) in publisher.toml's [youtube]. The quota belongs to the Google Cloud
    project of the OAuth client: every home whose client belongs to it counts in one ledger
    ([youtube] quota_project names it when the client file cannot). Calls by other programs
    sharing the project are not counted. The quotas reset at midnight Pacific time, shown
    in the campaign's time zone.
    """
    from publisher.quota import UNITS, UPLOADS
    from publisher.services.quota_today import quota_today
    from publisher.services.times import moment

    today = quota_today(app, dt.datetime.now(dt.UTC))
    reset = today.resets_at
    local = reset.astimezone(app.zone)
    buckets = {b.name: {"used": b.used, "limit": b.limit, "remaining": b.remaining}
               for b in today.buckets}
    project = today.project
    if as_json:
        print_json({"day": today.day.isoformat(), "buckets": buckets,
                    "resets_at": reset.isoformat(), "resets_at_local": local.isoformat(),
                    "quota_project": project.key, "quota_project_from": project.source,
                    "held_for_releases": today.held_for_releases})
        return
    click.echo(f"YouTube quota for {today.day:%Y-%m-%d} (Pacific time), as counted by "
               "publisher:")
    labels = {UPLOADS: "uploads (videos.insert)", UNITS: "units (every other call)"}
    table(["bucket", "used", "limit", "remaining"],
          [(labels[b], v["used"], v["limit"], v["remaining"]) for b, v in buckets.items()])
    click.echo(f"Resets at {moment(reset, app.zone)} (midnight Pacific time).")
    if project.shared:
        click.echo(f"Ledger: {project.key} (from {project.source}), shared by every home "
                   "whose OAuth client belongs to that Google Cloud project.")
    else:
        click.echo(f"Ledger: this home's own ({project.key}): no Google Cloud project found "
                   "in its OAuth client; [youtube] quota_project in publisher.toml names one.")
    if today.held_for_releases:
        click.echo(f"{today.held_for_releases} of the units left are kept for today's "
                   "releases: other work does not spend them.")
    full = [labels[b] for b, v in buckets.items() if v["remaining"] == 0]
    if full:
        warn([f"{', '.join(full)}: used up for today; YouTube work waits for the reset"])
