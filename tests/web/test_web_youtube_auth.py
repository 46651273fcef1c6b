"""Authorising YouTube from the console: the whole round trip against the loopback fake
Google (its consent page says yes at once; its token endpoint redeems the code with the
PKCE verifier), the token saved 0600 as `publisher auth youtube` saves it and good for an
upload afterwards; a redirect with a state this session did not start saves nothing; no
secret in a page or a log line."""

from __future__ import annotations

import base64
import json
import logging
import stat
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from publisher.credentials import write_private
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.web_console import Browser, Console, add_user, console_for

CLIENT_ID = "2718-console.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-console-secret-9d1e"


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake:
        yield fake


@pytest.fixture
def console(sqlite_home: HomeFixture, yt: FakeYouTube, monkeypatch: pytest.MonkeyPatch,
            anna_account: str) -> Iterator[Console]:
    """A home whose client file (a "Desktop app" client, as Google's) names the fake's
    consent page; the endpoints by environment, as for `publisher auth youtube`."""
    write_private(sqlite_home.path / "client_secret.json", json.dumps({"installed": {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "project_id": "sandbox",
        "auth_uri": yt.auth_uri, "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}).encode())
    env = {"PUBLISHER_YOUTUBE_API_ROOT": yt.root, "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri,
           "OAUTHLIB_INSECURE_TRANSPORT": "1"}  # the fake's token endpoint is plain http
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    sqlite_home.env.update(env)
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[youtube]\n", "[youtube]\nchunk_size_mib = 1\n",
                                             1))
    add_user(sqlite_home, "vera", role="viewer")
    yield from console_for(sqlite_home)


def token_file(console: Console) -> Path:
    return console.home.path / "youtube-token.json"


def start(browser: Browser) -> str:
    """Press "Authorise YouTube": the address of Google's consent page."""
    page = browser.get("/needs-you").text
    assert 'action="/auth/youtube"' in page
    answer = browser.post("/auth/youtube")
    assert answer.status_code == 303, answer.text
    return str(answer.headers["location"])


def consent(address: str) -> str:
    """The fake user consents: where Google sends the browser back."""
    answer = httpx.get(address, follow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return str(answer.headers["location"])


def test_the_round_trip_saves_a_token_that_uploads(console: Console, yt: FakeYouTube,
                                                   media: Media,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    anna = console.logged_in("anna")
    before = anna.get("/needs-you").text
    assert "not authorised yet" in before and "All is well" not in before
    address = start(anna)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)
    assert address.startswith(yt.auth_uri)
    assert query["redirect_uri"] == ["http://testserver/auth/youtube/callback"]
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    assert CLIENT_SECRET not in address
    back = urllib.parse.urlsplit(consent(address))
    assert back.path == "/auth/youtube/callback"
    done = anna.get(f"{back.path}?{back.query}")
    assert done.status_code == 303 and done.headers["location"] == "/needs-you"
    page = anna.follow(done).text
    assert "YouTube is authorised" in page

    path = token_file(console)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    saved = json.loads(path.read_text())
    assert saved["refresh_token"] == yt.oauth.refresh_tokens_issued[0]
    assert saved["client_id"] == CLIENT_ID and saved["token_uri"] == yt.token_uri
    assert not yt.oauth.grants  # the code was redeemed (with its verifier)

    # The token works: an upload with it, by the CLI, as after `publisher auth youtube`.
    console.home.ok(*add_args(media.video(), "Intervista"))
    console.home.ok("upload", "1")
    assert len(yt.videos) == 1

    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    secrets = (CLIENT_SECRET, saved["refresh_token"], "ya29.", basic[-16:])
    for text in (page, before, caplog.text, anna.get("/needs-you?checks=run").text):
        for secret in secrets:
            assert secret not in text


def test_a_redirect_with_another_state_is_refused(console: Console, yt: FakeYouTube) -> None:
    anna = console.logged_in("anna")
    back = urllib.parse.urlsplit(consent(start(anna)))
    params = dict(urllib.parse.parse_qsl(back.query))
    forged = anna.get(back.path + "?" + urllib.parse.urlencode({**params, "state": "forged"}))
    assert forged.status_code == 400
    assert "nothing was saved" in forged.text
    assert not token_file(console).exists()
    # The session's consent is spent: the right state, afterwards, is refused too.
    again = anna.get(f"{back.path}?{back.query}")
    assert again.status_code == 400 and not token_file(console).exists()
    assert yt.oauth.grants  # no code was ever exchanged


def test_another_sessions_state_is_refused(console: Console, yt: FakeYouTube) -> None:
    """A consent started by one session cannot be completed by another (a link sent to an
    organizer by someone else)."""
    mallory = console.logged_in("anna")
    back = urllib.parse.urlsplit(consent(start(mallory)))
    anna = console.logged_in("anna")
    assert anna.get(f"{back.path}?{back.query}").status_code == 400
    assert not token_file(console).exists()


def test_google_saying_no_saves_nothing(console: Console) -> None:
    anna = console.logged_in("anna")
    address = start(anna)
    state = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)["state"][0]
    denied = anna.get("/auth/youtube/callback?" + urllib.parse.urlencode(
        {"state": state, "error": "access_denied"}))
    assert denied.status_code == 400 and "access_denied" in denied.text
    assert not token_file(console).exists()


def test_a_viewer_cannot_authorise(console: Console) -> None:
    vera = console.logged_in("vera")
    assert 'action="/auth/youtube"' not in vera.get("/needs-you").text
    assert vera.post("/auth/youtube").status_code == 403
    assert vera.get("/auth/youtube/callback?state=x&code=y").status_code == 403


def test_without_a_client_file_the_fix_is_shown(console: Console) -> None:
    (console.home.path / "client_secret.json").unlink()
    anna = console.logged_in("anna")
    refused = anna.post("/auth/youtube")
    assert refused.status_code == 409
    assert "client_secret.json" in refused.text and "Desktop app" in refused.text
