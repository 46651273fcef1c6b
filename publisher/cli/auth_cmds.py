"""`publisher auth youtube`, `publisher auth status` and `publisher quota`: the accounts
publisher uses, and how much of today's YouTube quota is left.

Secrets are never printed: only which keys are filled in, file paths, and what a token
endpoint answered (its error codes, never a token).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

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

    from publisher.errors import ConfigError, InputError
    from publisher.platforms.errors import AuthError, TransientError
    from publisher.platforms.youtube import auth as yt_auth
    from publisher.platforms.youtube.client import Endpoints
    from publisher.services.accounts import in_home

    config = app.config  # a home, with a valid publisher.toml
    creds_file = app.home.credentials_file
    if not creds_file.exists():
        raise ConfigError(creds_file, None, "not found: `publisher init` writes one to fill "
                                            "in (its shape: credentials.example.json)")
    section = app.credentials.section("youtube")
    secrets_name = section.get("client_secrets_file")
    if not secrets_name:
        raise ConfigError(creds_file, "youtube.client_secrets_file",
                          "not set: name the JSON file of a \"Desktop app\" OAuth client from "
                          "Google Cloud Console (relative to the home), e.g. "
                          "\"client_secret.json\"")
    token_name = section.get("token_file")
    if not token_name:
        raise ConfigError(creds_file, "youtube.token_file",
                          "not set: name the file the YouTube token is to be saved to "
                          "(relative to the home), e.g. \"youtube-token.json\"")
    secrets_file = in_home(app, secrets_name)
    token_file = in_home(app, token_name)
    _check_client_file(creds_file, secrets_file)
    endpoints = Endpoints.resolve(config.youtube.api_root, config.youtube.token_uri)

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
        from oauthlib.oauth2.rfc6749.errors import (  # type: ignore[import-untyped]
            InsecureTransportError,
            OAuth2Error,
        )
        from requests.exceptions import RequestException

        if isinstance(exc, InsecureTransportError):
            raise AuthError(f"the token endpoint {endpoints.token_uri} is not https, which "
                            "the authorisation flow refuses (for a local test server only, "
                            "set OAUTHLIB_INSECURE_TRANSPORT=1)", platform="youtube") from None
        if isinstance(exc, OAuth2Error):
            what = exc.error + (f": {exc.description}" if exc.description else "")
            raise AuthError(f"Google did not authorise publisher ({what}): run `publisher "
                            "auth youtube` again and accept on the consent page",
                            platform="youtube", reason=exc.error) from None
        if isinstance(exc, RequestException):
            raise TransientError(f"cannot reach the token endpoint {endpoints.token_uri}: "
                                 f"{type(exc).__name__}", platform="youtube") from None
        if isinstance(exc, OSError) and exc.errno == errno.EADDRINUSE:
            raise InputError(f"port {port} is already in use on this machine: choose "
                             "another with --port N") from None
        raise
    if not creds.refresh_token:
        raise AuthError("Google sent no refresh token, so the authorisation would not "
                        "last: remove publisher's access at "
                        "https://myaccount.google.com/permissions, then run `publisher auth "
                        "youtube` again", platform="youtube")
    token_file.parent.mkdir(parents=True, exist_ok=True)
    yt_auth.save_credentials(creds, token_file)
    click.echo(f"YouTube is authorised: the token is saved in {token_file} (mode 0600; it "
               "gives access to the channel, keep it private).")
    click.echo("If the Google Cloud project's OAuth consent screen is in \"Testing\", Google "
               "expires the token after 7 days: publish the app \"In production\" to avoid "
               "it. `publisher auth status` checks the token.")


def _check_client_file(creds_file: Path, secrets_file: Path) -> None:
    """The OAuth client file exists and is a Desktop app client (never echoes its values)."""
    import json

    from publisher.errors import ConfigError

    if not secrets_file.is_file():
        raise ConfigError(creds_file, "youtube.client_secrets_file",
                          f"names {secrets_file}, which does not exist: in Google Cloud "
                          "Console (APIs & Services > Credentials) create an OAuth client of "
                          "type \"Desktop app\", download its JSON and save it there")
    try:
        doc = json.loads(secrets_file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else type(exc).__name__
        raise ConfigError(secrets_file, None, f"cannot be read as JSON ({problem}): download "
                                              "the OAuth client's JSON again") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("installed"), dict):
        if isinstance(doc, dict) and "web" in doc:
            raise ConfigError(secrets_file, "web", "this is a \"Web application\" OAuth "
                              "client: publisher needs one of type \"Desktop app\" (its JSON "
                              "starts with {\"installed\": …})")
        raise ConfigError(secrets_file, None, "not an OAuth client file: expected the JSON of "
                          "a \"Desktop app\" client, with an \"installed\" section")
    for key in ("client_id", "client_secret"):
        if not doc["installed"].get(key):
            raise ConfigError(secrets_file, f"installed.{key}",
                              "missing: download the OAuth client's JSON again")


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
    (every other call) in publisher.toml's [youtube]. Calls by other programs sharing the
    Google Cloud project are not counted. The quotas reset at midnight Pacific time, shown
    in the campaign's time zone.
    """
    from publisher.platforms.youtube.errors import next_quota_reset
    from publisher.quota import UNITS, UPLOADS, pacific_day, used_today

    now = dt.datetime.now(dt.UTC)
    with app.transaction() as session:
        used = used_today(session, now)
    limits = {UPLOADS: app.config.youtube.daily_uploads, UNITS: app.config.youtube.daily_units}
    from publisher.services.times import moment

    reset = next_quota_reset(now)
    local = reset.astimezone(app.zone)
    buckets = {b: {"used": used[b], "limit": limits[b], "remaining": max(0, limits[b] - used[b])}
               for b in (UPLOADS, UNITS)}
    if as_json:
        print_json({"day": pacific_day(now).isoformat(), "buckets": buckets,
                    "resets_at": reset.isoformat(), "resets_at_local": local.isoformat()})
        return
    click.echo(f"YouTube quota for {pacific_day(now):%Y-%m-%d} (Pacific time), as counted by "
               "publisher:")
    labels = {UPLOADS: "uploads (videos.insert)", UNITS: "units (every other call)"}
    table(["bucket", "used", "limit", "remaining"],
          [(labels[b], v["used"], v["limit"], v["remaining"]) for b, v in buckets.items()])
    click.echo(f"Resets at {moment(reset, app.zone)} (midnight Pacific time).")
    full = [labels[b] for b, v in buckets.items() if v["remaining"] == 0]
    if full:
        warn([f"{', '.join(full)}: used up for today; YouTube work waits for the reset"])
