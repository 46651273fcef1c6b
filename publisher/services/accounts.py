"""The accounts publisher uses: which are set up in credentials.json and whether they work
(`publisher auth status`, `publisher doctor`).

Secrets are never returned: only which keys are filled in, file paths, and what a token
endpoint answered (its error codes, never a token).
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.credentials import Credentials



def sections() -> tuple[str, ...]:
    """Every section `auth status` reports: YouTube, each cross-posting platform (from
    the specs), the notifications."""
    from publisher.credentials import NOTIFICATIONS
    from publisher.platforms.spec import crosspost_names

    return ("youtube", *crosspost_names(), NOTIFICATIONS)


@dataclass(frozen=True)
class AccountStatus:
    platform: str
    configured: bool
    state: str         # machine-readable: valid, not_configured, incomplete, ...
    detail: str        # for people
    needs_person: bool = False
    expires_at: str | None = None


@dataclass(frozen=True)
class AccountsReport:
    """Every account's status, and warnings about the files that hold the secrets."""

    statuses: list[AccountStatus]
    warnings: list[str] = field(default_factory=list)

    @property
    def needs_person(self) -> bool:
        return any(s.needs_person for s in self.statuses)


def in_home(app: App, name: str) -> Path:
    """A path from credentials.json: relative to the home unless absolute."""
    path = Path(name).expanduser()
    return path if path.is_absolute() else app.home.path / path


def check_accounts(app: App, *, prove: bool = True) -> AccountsReport:
    """Every platform's account (YouTube's token proved by a refresh, unless `prove` is
    False: then no call is made; the others only checked for filled-in values), and the
    secret files readable by others."""
    _ = app.config  # a home with a valid publisher.toml, before anything else
    credentials = app.credentials
    warnings: list[str] = []
    if not credentials.path.exists():
        warnings.append(f"{credentials.path} does not exist: no platform is configured "
                        "(`publisher init` writes one to fill in)")
    statuses = [youtube_status(app, prove=prove)]
    statuses += [platform_status(name, credentials.section(name)) for name in sections()[1:]]
    warnings += mode_warnings(secret_files(app, credentials))
    return AccountsReport(statuses, warnings)


def youtube_status(app: App, *, prove: bool = True) -> AccountStatus:
    """The YouTube token, proved by refreshing it at the token endpoint (no API quota); with
    `prove` False only read from its file (state "saved"), with no call."""
    from publisher.platforms.errors import AuthError, TransientError
    from publisher.platforms.youtube import auth as yt_auth
    from publisher.platforms.youtube.client import Endpoints, make_http

    yt = app.config.youtube
    section = app.credentials.section("youtube")
    secrets_name = section.get("client_secrets_file") or ""
    token_name = section.get("token_file") or ""
    if not secrets_name and not token_name:
        return AccountStatus("youtube", False, "not_configured", "not configured")
    if not token_name:
        return AccountStatus("youtube", True, "not_authorised",
                             "not authorised yet: credentials.json names no "
                             "youtube.token_file; set it, then run `publisher auth youtube`",
                             needs_person=True)
    token_file = in_home(app, token_name)
    if not token_file.exists():
        first = ""
        if not secrets_name:
            first = " (first name the OAuth client file in youtube.client_secrets_file)"
        elif not in_home(app, secrets_name).exists():
            first = (f" (first save the \"Desktop app\" OAuth client's JSON as "
                     f"{in_home(app, secrets_name)})")
        return AccountStatus("youtube", True, "not_authorised",
                             f"not authorised yet: run `publisher auth youtube`{first}",
                             needs_person=True)
    endpoints = Endpoints.resolve(yt.api_root, yt.token_uri)
    try:
        creds = yt_auth.load_credentials(token_file, endpoints)
    except AuthError as exc:  # unreadable or incomplete: the message names the file only
        return AccountStatus("youtube", True, "unreadable", str(exc), needs_person=True)
    if not prove:
        return AccountStatus("youtube", True, "saved",
                             "authorised (a token is saved; not checked with Google now)")
    try:
        yt_auth.refresh(creds, make_http(None, timeout=yt.timeout_s))
    except AuthError:
        return AccountStatus("youtube", True, "expired_or_revoked",
                             "expired or revoked: run `publisher auth youtube` (if the OAuth "
                             "consent screen is in \"Testing\", Google expires tokens after 7 "
                             "days: publish it \"In production\")", needs_person=True)
    except (TransientError, OSError) as exc:
        # auth.refresh leaves a refused connection or a timeout (OSError) unwrapped:
        # google_auth_httplib2 only wraps httplib2's and http.client's own errors.
        why = str(exc) if isinstance(exc, TransientError) else f"{type(exc).__name__}: {exc}"
        return AccountStatus("youtube", True, "unreachable",
                             f"cannot reach the token endpoint {endpoints.token_uri} ({why}): "
                             "try again later, or check the network or [youtube] token_uri",
                             needs_person=True)
    expiry = creds.expiry  # naive UTC in google-auth
    if expiry is None:
        return AccountStatus("youtube", True, "valid", "valid (token refreshed)")
    from publisher.services.times import moment

    expires = expiry.replace(tzinfo=dt.UTC)
    return AccountStatus("youtube", True, "valid",
                         f"valid (token refreshed, expires at {moment(expires, app.zone)})",
                         expires_at=expires.isoformat())


def platform_status(name: str, section: dict[str, Any]) -> AccountStatus:
    """A cross-posting platform's or the notifications' values: filled in or not."""
    from publisher.credentials import is_placeholder

    if name == "notifications":
        urls = [u for u in section.get("urls") or [] if isinstance(u, str)]
        real = [u for u in urls if not is_placeholder(u)]
        if not real:
            return AccountStatus(name, False, "not_configured", "not configured")
        if len(real) < len(urls):
            return AccountStatus(name, True, "incomplete",
                                 f"incomplete: {len(urls) - len(real)} of the {len(urls)} "
                                 "urls are still placeholders", needs_person=True)
        plural = "s" if len(real) > 1 else ""
        return AccountStatus(name, True, "configured",
                             f"configured ({len(real)} url{plural}, not checked yet)")
    from publisher.platforms.spec import get

    spec = get(name)
    missing = spec.missing(section)  # the one definition of "configured"
    if len(missing) == len(spec.required_keys):
        return AccountStatus(name, False, "not_configured", "not configured")
    if missing:
        return AccountStatus(name, True, "incomplete",
                             f"incomplete: {', '.join(missing)} not filled in (empty or a "
                             "placeholder)", needs_person=True)
    return AccountStatus(name, True, "configured", "configured (not checked yet)")


def secret_files(app: App, credentials: Credentials) -> list[Path]:
    """credentials.json and the files it names that hold secrets."""
    files = [credentials.path]
    section = credentials.section("youtube")
    for key in ("token_file", "client_secrets_file"):
        if section.get(key):
            files.append(in_home(app, section[key]))
    return files


def mode_warnings(files: list[Path]) -> list[str]:
    """One warning per file that users other than its owner can read."""
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
