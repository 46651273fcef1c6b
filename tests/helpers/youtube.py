"""Wiring a test home to the loopback YouTube."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from publisher.sandbox.youtube import FakeYouTube
    from tests.conftest import HomeFixture


def connect(home: HomeFixture, yt: FakeYouTube) -> None:
    """Point the home at the fake: endpoints by environment, a token file by
    credentials.json, 1 MiB chunks."""
    from publisher.credentials import write_private

    # 0600, as `publisher auth youtube` saves it (one open to others needs the organizer).
    write_private(home.path / "youtube-token.json",
                  json.dumps(yt.authorized_user_info()).encode())
    creds = json.loads((home.path / "credentials.json").read_text())
    creds["youtube"]["token_file"] = "youtube-token.json"
    (home.path / "credentials.json").write_text(json.dumps(creds))
    toml = home.path / "publisher.toml"
    text = toml.read_text()
    assert "[youtube]\n" in text, "publisher.toml has no [youtube] section to configure"
    toml.write_text(text.replace("[youtube]\n", "[youtube]\nchunk_size_mib = 1\n", 1))
    home.env.update({"PUBLISHER_YOUTUBE_API_ROOT": yt.root,
                     "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri})


def client_file(home: HomeFixture, client_id: str, project_id: str = "studi-aperti",
                kind: str = "installed") -> None:
    """The home's OAuth client file (`client_secret.json`, 0600), of the Google Cloud
    project its client id names (`NUMBER-….apps.googleusercontent.com`)."""
    from publisher.credentials import write_private

    write_private(home.path / "client_secret.json", json.dumps({kind: {
        "client_id": client_id, "client_secret": "GOCSPX-test", "project_id": project_id,
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}).encode())


def set_youtube(home: HomeFixture, **settings: object) -> None:
    """Put settings at the top of publisher.toml's [youtube] (replacing earlier ones)."""
    toml = home.path / "publisher.toml"
    lines = [ln for ln in toml.read_text().splitlines(keepends=True)
             if not any(ln.startswith(f"{k} = ") for k in settings)]
    added = "".join(f"{k} = {json.dumps(v)}\n" for k, v in settings.items())
    toml.write_text("".join(lines).replace("[youtube]\n", "[youtube]\n" + added, 1))
