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
