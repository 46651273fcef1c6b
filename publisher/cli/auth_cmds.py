"""`publisher auth youtube`, `publisher auth status` and `publisher quota`: the accounts
publisher uses, and how much of today's YouTube quota is left.

Secrets are never printed: only which keys are filled in, file paths, and what a token
endpoint answered (its error codes, never a token).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from publisher.app import App
from publisher.cli.output import print_json, table, warn

if TYPE_CHECKING:
    from publisher.credentials import Credentials

NEEDS_PERSON = 4  # exit status: something needs a person (or could not be checked)

# The values each platform needs before it can be used (credentials.json's keys; optional
# ones such as bluesky.service_url are left out). YouTube and notifications are special.
REQUIRED: dict[str, tuple[str, ...]] = {
    "x": ("consumer_key", "consumer_secret", "access_token", "access_token_secret"),
    "mastodon": ("api_base_url", "access_token"),
    "bluesky": ("handle", "app_password"),
    "telegram": ("bot_token", "chat_id"),
    "facebook": ("page_id", "page_access_token"),
}
PLATFORMS = ("youtube", *REQUIRED, "notifications")


def _in_home(app: App, name: str) -> Path:
    """A path from credentials.json: relative to the home unless absolute."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else app.home.path / path


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
    secrets_file = _in_home(app, secrets_name)
    token_file = _in_home(app, token_name)
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


@dataclass(frozen=True)
class Status:
    platform: str
    configured: bool
    state: str         # machine-readable: valid, not_configured, incomplete, ...
    detail: str        # for people
    needs_person: bool = False
    expires_at: str | None = None


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
    config = app.config
    credentials = app.credentials
    warnings: list[str] = []
    if not credentials.path.exists():
        warnings.append(f"{credentials.path} does not exist: no platform is configured "
                        "(`publisher init` writes one to fill in)")
    results = [_youtube_status(app, credentials, config.youtube.api_root,
                               config.youtube.token_uri, config.youtube.timeout_s)]
    results += [_platform_status(name, credentials.section(name))
                for name in PLATFORMS[1:]]
    warnings += _mode_warnings(_secret_files(app, credentials))
    needs_person = any(r.needs_person for r in results)
    if as_json:
        print_json({"ok": not needs_person,
                    "platforms": [{"platform": r.platform, "configured": r.configured,
                                   "state": r.state, "needs_person": r.needs_person,
                                   "detail": r.detail, "expires_at": r.expires_at}
                                  for r in results],
                    "warnings": warnings})
    else:
        table(["platform", "status"], [(r.platform, r.detail) for r in results],
              max_width=400)
    warn(warnings)
    if needs_person:
        raise SystemExit(NEEDS_PERSON)


def _youtube_status(app: App, credentials: Credentials, api_root: str | None,
                    token_uri: str | None, timeout_s: float) -> Status:
    from publisher.platforms.errors import AuthError, TransientError
    from publisher.platforms.youtube import auth as yt_auth
    from publisher.platforms.youtube.client import Endpoints, make_http

    section = credentials.section("youtube")
    secrets_name = section.get("client_secrets_file") or ""
    token_name = section.get("token_file") or ""
    if not secrets_name and not token_name:
        return Status("youtube", False, "not_configured", "not configured")
    if not token_name:
        return Status("youtube", True, "not_authorised",
                      "not authorised yet: credentials.json names no youtube.token_file; set "
                      "it, then run `publisher auth youtube`", needs_person=True)
    token_file = _in_home(app, token_name)
    if not token_file.exists():
        first = ""
        if not secrets_name:
            first = " (first name the OAuth client file in youtube.client_secrets_file)"
        elif not _in_home(app, secrets_name).exists():
            first = (f" (first save the \"Desktop app\" OAuth client's JSON as "
                     f"{_in_home(app, secrets_name)})")
        return Status("youtube", True, "not_authorised",
                      f"not authorised yet: run `publisher auth youtube`{first}",
                      needs_person=True)
    endpoints = Endpoints.resolve(api_root, token_uri)
    try:
        creds = yt_auth.load_credentials(token_file, endpoints)
    except AuthError as exc:  # unreadable or incomplete: the message names the file only
        return Status("youtube", True, "unreadable", str(exc), needs_person=True)
    try:
        yt_auth.refresh(creds, make_http(None, timeout=timeout_s))
    except AuthError:
        return Status("youtube", True, "expired_or_revoked",
                      "expired or revoked: run `publisher auth youtube` (if the OAuth consent "
                      "screen is in \"Testing\", Google expires tokens after 7 days: publish "
                      "it \"In production\")", needs_person=True)
    except (TransientError, OSError) as exc:
        # auth.refresh leaves a refused connection or a timeout (OSError) unwrapped:
        # google_auth_httplib2 only wraps httplib2's and http.client's own errors.
        why = str(exc) if isinstance(exc, TransientError) else f"{type(exc).__name__}: {exc}"
        return Status("youtube", True, "unreachable",
                      f"cannot reach the token endpoint {endpoints.token_uri} ({why}): try "
                      "again later, or check the network or [youtube] token_uri",
                      needs_person=True)
    expiry = creds.expiry  # naive UTC in google-auth
    if expiry is None:
        return Status("youtube", True, "valid", "valid (token refreshed)")
    expires = expiry.replace(tzinfo=dt.UTC)
    return Status("youtube", True, "valid",
                  f"valid (token refreshed, expires at {expires:%Y-%m-%d %H:%M} UTC)",
                  expires_at=expires.isoformat())


def _platform_status(name: str, section: dict[str, Any]) -> Status:
    from publisher.credentials import is_placeholder

    if name == "notifications":
        urls = [u for u in section.get("urls") or [] if isinstance(u, str)]
        real = [u for u in urls if not is_placeholder(u)]
        if not real:
            return Status(name, False, "not_configured", "not configured")
        if len(real) < len(urls):
            return Status(name, True, "incomplete",
                          f"incomplete: {len(urls) - len(real)} of the {len(urls)} urls are "
                          "still placeholders", needs_person=True)
        plural = "s" if len(real) > 1 else ""
        return Status(name, True, "configured",
                      f"configured ({len(real)} url{plural}, not checked yet)")
    keys = REQUIRED[name]
    filled = [k for k in keys
              if isinstance(section.get(k), str) and not is_placeholder(section[k])]
    if not filled:
        return Status(name, False, "not_configured", "not configured")
    missing = [k for k in keys if k not in filled]
    if missing:
        return Status(name, True, "incomplete",
                      f"incomplete: {', '.join(missing)} not filled in (empty or a "
                      "placeholder)", needs_person=True)
    return Status(name, True, "configured", "configured (not checked yet)")


def _secret_files(app: App, credentials: Credentials) -> list[Path]:
    files = [credentials.path]
    section = credentials.section("youtube")
    for key in ("token_file", "client_secrets_file"):
        if section.get(key):
            files.append(_in_home(app, section[key]))
    return files


def _mode_warnings(files: list[Path]) -> list[str]:
    out = []
    for path in files:
        try:
            mode = stat.S_IMODE(os.stat(path).st_mode)
        except OSError:
            continue
        if mode & 0o077:
            who = "other users" if mode & 0o007 else "its group"
            out.append(f"{path} holds secrets and is open to {who} (mode {mode:04o}): run "
                       f"`chmod 600 {path}`")
    return out


# ---- publisher quota -----------------------------------------------------------------------

@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
@click.pass_obj
def quota(app: App, as_json: bool) -> None:
    """Show today's YouTube API quota: what publisher used, its limits and when they reset.

    Counted from publisher's own ledger of the calls it made (refused ones too) in the
    current Pacific-time day, against daily_uploads (videos.insert calls) and daily_units
    (every other call) in publisher.toml's [youtube]. Calls by other programs sharing the
    Google Cloud project are not counted. The quotas reset at midnight Pacific time.
    """
    from publisher.platforms.youtube.errors import next_quota_reset
    from publisher.quota import UNITS, UPLOADS, pacific_day, used_today

    now = dt.datetime.now(dt.UTC)
    with app.transaction() as session:
        used = used_today(session, now)
    limits = {UPLOADS: app.config.youtube.daily_uploads, UNITS: app.config.youtube.daily_units}
    reset = next_quota_reset(now)
    local = reset.astimezone()
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
    click.echo(f"Resets at {reset:%Y-%m-%d %H:%M} UTC ({local:%Y-%m-%d %H:%M %Z} local time).")
    full = [labels[b] for b, v in buckets.items() if v["remaining"] == 0]
    if full:
        warn([f"{', '.join(full)}: used up for today; YouTube work waits for the reset"])
