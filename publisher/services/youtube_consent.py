"""Authorising YouTube: which files the consent uses (the OAuth client file and the token
file credentials.json names, each refused with the fix when missing or wrong), and the
consent that comes back to the console (`/auth/youtube/callback`) — its address with a state
and a PKCE verifier, then the code exchanged and the token saved 0600 exactly as
`publisher auth youtube` saves it (publisher/platforms/youtube/auth.py does both)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.app import App
    from publisher.platforms.youtube.client import Endpoints


@dataclass(frozen=True)
class ConsentFiles:
    client_secrets_file: Path
    token_file: Path
    endpoints: Endpoints


@dataclass(frozen=True)
class Consent:
    """A consent under way: the address to send the organizer to, the state the redirect
    must carry back, and the PKCE verifier (kept on the server, never sent to the page)."""

    address: str
    state: str
    verifier: str
    redirect_uri: str


def consent_files(app: App, *, web_client: bool = False) -> ConsentFiles:
    """The files of credentials.json's youtube section, checked. `web_client`: a "Web
    application" OAuth client is accepted too (the console's consent comes back to its own
    address; `publisher auth youtube`'s to localhost, which needs a "Desktop app")."""
    from publisher.errors import ConfigError
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
    check_client_file(creds_file, secrets_file, web_client=web_client)
    return ConsentFiles(secrets_file, in_home(app, token_name),
                        Endpoints.resolve(config.youtube.api_root, config.youtube.token_uri))


def check_client_file(creds_file: Path, secrets_file: Path, *, web_client: bool = False
                      ) -> None:
    """The OAuth client file exists and is a Desktop app client (or, with `web_client`, a
    Web application one); never echoes its values."""
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
    kinds = ("installed", "web") if web_client else ("installed",)
    kind = next((k for k in kinds if isinstance(doc, dict) and isinstance(doc.get(k), dict)),
                None)
    if kind is None:
        if isinstance(doc, dict) and "web" in doc:
            raise ConfigError(secrets_file, "web", "this is a \"Web application\" OAuth "
                              "client: publisher needs one of type \"Desktop app\" (its JSON "
                              "starts with {\"installed\": …})")
        raise ConfigError(secrets_file, None, "not an OAuth client file: expected the JSON of "
                          "a \"Desktop app\" client, with an \"installed\" section")
    for key in ("client_id", "client_secret"):
        if not doc[kind].get(key):
            raise ConfigError(secrets_file, f"{kind}.{key}",
                              "missing: download the OAuth client's JSON again")


def start_consent(app: App, redirect_uri: str) -> Consent:
    """Google's consent page for this home, coming back to `redirect_uri`."""
    from publisher.platforms.youtube import auth as yt_auth

    files = consent_files(app, web_client=True)
    address, state, verifier = yt_auth.consent_address(files.client_secrets_file,
                                                       files.endpoints, redirect_uri)
    return Consent(address, state, verifier, redirect_uri)


def finish_consent(app: App, consent: Consent, code: str) -> Path:
    """The redirect's code (its state already checked against `consent`'s) exchanged for a
    token, saved 0600 where `publisher auth youtube` saves it; returns that file."""
    from publisher.platforms.youtube import auth as yt_auth

    files = consent_files(app, web_client=True)
    creds = yt_auth.exchange_code(files.client_secrets_file, files.endpoints,
                                  consent.redirect_uri, code=code, verifier=consent.verifier)
    yt_auth.save_authorisation(creds, files.token_file)
    return files.token_file
