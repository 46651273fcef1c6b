"""`publisher auth youtube`, `publisher auth status` and `publisher quota`, with the real
google-auth (and google-auth-oauthlib's loopback server) against the loopback FakeYouTube."""

from __future__ import annotations

import datetime as dt
import json
import os
import queue
import socket
import stat
import subprocess
import sys
import threading
import time
import types
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from publisher.credentials import write_private
from publisher.platforms.youtube.errors import next_quota_reset
from publisher.quota import pacific_day
from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, Result, add_args, invoke

CLIENT_ID = "1234-sandbox.apps.googleusercontent.com"
CLIENT_SECRET = "GOCSPX-sandbox-client-secret-4f9a"
REFRESH_TOKEN = "1//sandbox-refresh-token-7c2e"
FORCE_SSL = "https://www.googleapis.com/auth/youtube.force-ssl"


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    # With client_id/secret set, the fake's token endpoint checks them too.
    with FakeYouTube(client_id=CLIENT_ID, client_secret=CLIENT_SECRET) as fake:
        yield fake


def credentials(home: HomeFixture) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads((home.path / "credentials.json").read_text())
    return doc


def set_credentials(home: HomeFixture, doc: dict[str, Any]) -> None:
    write_private(home.path / "credentials.json", json.dumps(doc).encode())


def client_file(home: HomeFixture, name: str = "client_secret.json",
                kind: str = "installed") -> Path:
    path = home.path / name
    write_private(path, json.dumps({kind: {
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "project_id": "sandbox",
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
        "redirect_uris": ["http://localhost"]}}).encode())
    return path


def connect(home: HomeFixture, yt: FakeYouTube, *, token: bool = True) -> Path:
    """Point the home at the fake (endpoints by environment), with the client file and, unless
    told otherwise, a token file as `publisher auth youtube` writes it (0600)."""
    client_file(home)
    token_file = home.path / "youtube-token.json"
    if token:
        info = yt.authorized_user_info(refresh_token=REFRESH_TOKEN)
        write_private(token_file, json.dumps(info).encode())
    doc = credentials(home)
    doc["youtube"] = {"client_secrets_file": "client_secret.json",
                      "token_file": "youtube-token.json"}
    set_credentials(home, doc)
    home.env.update({"PUBLISHER_YOUTUBE_API_ROOT": yt.root,
                     "PUBLISHER_GOOGLE_TOKEN_URI": yt.token_uri})
    return token_file


def token_requests(yt: FakeYouTube) -> list[str]:
    return [str(r) for r in yt.requests if r.path == "/token"]


def assert_no_secret(result: Result, *more: str) -> None:
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, "ya29.", *more):
        assert secret not in result.output, f"{secret!r} was printed"


def status_of(result: Result) -> dict[str, dict[str, Any]]:
    doc = json.loads(result.stdout)
    return {p["platform"]: p for p in doc["platforms"]}


def line_of(result: Result, platform: str) -> str:
    lines = [ln for ln in result.stdout.splitlines() if ln.split()[:1] == [platform]]
    assert len(lines) == 1, result.output
    return lines[0]


# ---- auth status: YouTube ------------------------------------------------------------------

def test_status_valid_token_is_proved_by_a_refresh(sqlite_home: HomeFixture,
                                                   yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    before = dt.datetime.now(dt.UTC)
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 0, result.output
    line = line_of(result, "youtube")
    assert "valid (token refreshed, expires at " in line
    assert token_requests(yt) == ["POST /token -> 200"]
    # The fake's tokens live 3599 s: the time shown is the refreshed token's, in the
    # campaign's time zone (Rome).
    rome = ZoneInfo("Europe/Rome")
    shown = (before + dt.timedelta(seconds=3599)).astimezone(rome).strftime("%Y-%m-%d %H:%M %Z")
    later = (before + dt.timedelta(seconds=3659)).astimezone(rome).strftime("%Y-%m-%d %H:%M %Z")
    assert f"expires at {shown})" in line or f"expires at {later})" in line, line
    for other in ("x", "mastodon", "bluesky", "telegram", "facebook", "notifications"):
        assert line_of(result, other).split(None, 1)[1] == "not configured"
    assert "chmod" not in result.stderr and "warning" not in result.stderr
    assert_no_secret(result)

    as_json = sqlite_home.run("auth", "status", "--json")
    assert as_json.exit_code == 0, as_json.output
    doc = json.loads(as_json.stdout)
    assert doc["ok"] is True and doc["warnings"] == []
    youtube = status_of(as_json)["youtube"]
    assert youtube["state"] == "valid" and youtube["configured"] is True
    expires = dt.datetime.fromisoformat(youtube["expires_at"])
    assert abs(expires - (before + dt.timedelta(seconds=3599))) < dt.timedelta(seconds=60)
    assert_no_secret(as_json)


def test_status_revoked_token_needs_a_person(sqlite_home: HomeFixture,
                                             yt: FakeYouTube) -> None:
    token_file = connect(sqlite_home, yt)
    saved = token_file.read_bytes()
    yt.revoke_tokens()
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 4, result.output
    assert "expired or revoked: run `publisher auth youtube`" in line_of(result, "youtube")
    assert token_requests(yt) == ["POST /token -> 400"]
    assert token_file.read_bytes() == saved  # status changes nothing
    assert_no_secret(result)
    assert status_of(sqlite_home.run("auth", "status", "--json"))["youtube"]["state"] == \
        "expired_or_revoked"


def test_status_without_a_token_file_is_not_authorised(sqlite_home: HomeFixture,
                                                       yt: FakeYouTube) -> None:
    connect(sqlite_home, yt, token=False)
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 4, result.output
    assert "not authorised yet: run `publisher auth youtube`" in line_of(result, "youtube")
    assert token_requests(yt) == []
    (sqlite_home.path / "client_secret.json").unlink()
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 4
    assert "client_secret.json" in line_of(result, "youtube")


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """google-auth retries a 5xx token answer three times with 1 s, 2 s waits: skip them."""
    import google.auth._exponential_backoff as backoff

    monkeypatch.setattr(backoff, "time", types.SimpleNamespace(sleep=lambda _s: None))


def test_status_token_endpoint_down(sqlite_home: HomeFixture, yt: FakeYouTube,
                                    no_backoff: None) -> None:
    connect(sqlite_home, yt)
    # One failure is absorbed by google-auth's own retries: fail every attempt.
    yt.fail_token_endpoint(503, times=3)
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 4, result.output
    line = line_of(result, "youtube")
    assert f"cannot reach the token endpoint {yt.token_uri}" in line
    assert token_requests(yt) == ["POST /token -> 503"] * 3
    assert_no_secret(result)


def test_status_token_endpoint_not_listening(sqlite_home: HomeFixture,
                                             yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    sqlite_home.env["PUBLISHER_GOOGLE_TOKEN_URI"] = f"http://127.0.0.1:{port}/token"
    result = sqlite_home.run("auth", "status", "--json")
    assert result.exit_code == 4, result.output
    assert status_of(result)["youtube"]["state"] == "unreachable"
    assert_no_secret(result)


def test_status_unreadable_token_file(sqlite_home: HomeFixture, yt: FakeYouTube) -> None:
    token_file = connect(sqlite_home, yt)
    write_private(token_file, json.dumps({"client_id": CLIENT_ID,
                                          "client_secret": CLIENT_SECRET}).encode())
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 4, result.output
    assert "incomplete" in line_of(result, "youtube")
    assert token_requests(yt) == []
    assert_no_secret(result)


def test_status_without_a_youtube_section_is_fine(sqlite_home: HomeFixture) -> None:
    doc = credentials(sqlite_home)
    del doc["youtube"]
    set_credentials(sqlite_home, doc)
    result = sqlite_home.run("auth", "status", "--json")
    assert result.exit_code == 0, result.output
    assert status_of(result)["youtube"]["state"] == "not_configured"


# ---- auth status: other platforms, placeholders, file modes --------------------------------

REAL = {
    "x": {"consumer_key": "xk-8fj3", "consumer_secret": "xs-secret-93kd",
          "access_token": "98765-at-kk2", "access_token_secret": "xats-secret-11qq"},
    "notifications": {"urls": ["tgram://bot-secret-5521/12345"]},
}


def test_example_placeholders_count_as_not_configured(sqlite_home: HomeFixture,
                                                      yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    doc = credentials(sqlite_home)
    # A fresh home's file is credentials.example.json: every other platform is a placeholder.
    assert doc["x"]["consumer_key"] == "YOUR-X-CONSUMER-KEY"
    result = sqlite_home.run("auth", "status", "--json")
    assert result.exit_code == 0, result.output
    states = {k: v["state"] for k, v in status_of(result).items()}
    assert states == {"youtube": "valid", "x": "not_configured", "mastodon": "not_configured",
                      "bluesky": "not_configured", "telegram": "not_configured",
                      "facebook": "not_configured", "notifications": "not_configured"}

    # Placeholders in the example's style, not only its exact values.
    doc.update(REAL)
    doc["bluesky"] = {"handle": "someone.example.org", "app_password": "xxxx-xxxx-xxxx"}
    doc["telegram"] = {"bot_token": "123456789:YOUR-BOT-TOKEN-HERE", "chat_id": "@channel"}
    doc["facebook"] = {"page_id": "00000000", "page_access_token": "EAAB-page-token-19"}
    doc["mastodon"] = {"api_base_url": "https://mastodon.social",
                       "access_token": "YOUR-TOKEN"}
    set_credentials(sqlite_home, doc)
    result = sqlite_home.run("auth", "status", "--json")
    got = status_of(result)
    assert {k: v["state"] for k, v in got.items()} == {
        "youtube": "valid", "x": "configured", "mastodon": "incomplete",
        "bluesky": "not_configured", "telegram": "incomplete", "facebook": "incomplete",
        "notifications": "configured"}
    # Half-filled platforms need a person: exit 4, naming the keys still to fill in.
    assert result.exit_code == 4
    assert got["mastodon"]["detail"].startswith("incomplete: access_token not filled in")
    assert got["telegram"]["detail"].startswith("incomplete: bot_token not filled in")
    assert got["facebook"]["detail"].startswith("incomplete: page_id not filled in")
    assert_no_secret(result, *REAL["x"].values(), REAL["notifications"]["urls"][0],
                     "YOUR-TOKEN", "EAAB-page-token-19")

    text = sqlite_home.run("auth", "status")
    assert line_of(text, "x").split(None, 1)[1] == "configured (not checked yet)"
    assert "configured (1 url, not checked yet)" in line_of(text, "notifications")
    assert_no_secret(text, *REAL["x"].values(), REAL["notifications"]["urls"][0])


def test_every_configured_platform_fine_is_exit_0(sqlite_home: HomeFixture,
                                                  yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    doc = credentials(sqlite_home)
    doc.update(REAL)
    set_credentials(sqlite_home, doc)
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 0, result.output
    assert_no_secret(result, *REAL["x"].values(), REAL["notifications"]["urls"][0])


def test_secrets_readable_by_others_are_warned_about(sqlite_home: HomeFixture,
                                                     yt: FakeYouTube) -> None:
    token_file = connect(sqlite_home, yt)
    creds_file = sqlite_home.path / "credentials.json"
    os.chmod(creds_file, 0o644)
    os.chmod(token_file, 0o640)
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 0, result.output  # a warning, the token still works
    warnings = [ln for ln in result.stderr.splitlines() if ln.startswith("warning:")]
    assert len(warnings) == 2, result.stderr
    assert f"{creds_file} holds secrets and is open to other users (mode 0644): run " \
           f"`chmod 600 {creds_file}`" in warnings[0]
    assert f"{token_file} holds secrets and is open to its group (mode 0640)" in warnings[1]
    assert f"`chmod 600 {token_file}`" in warnings[1]
    as_json = sqlite_home.run("auth", "status", "--json")
    assert len(json.loads(as_json.stdout)["warnings"]) == 2
    os.chmod(creds_file, 0o600)
    os.chmod(token_file, 0o600)
    assert "chmod" not in sqlite_home.run("auth", "status").stderr


# ---- auth youtube: errors ------------------------------------------------------------------

def test_auth_youtube_without_the_client_file(sqlite_home: HomeFixture,
                                              yt: FakeYouTube) -> None:
    connect(sqlite_home, yt, token=False)
    (sqlite_home.path / "client_secret.json").unlink()
    result = sqlite_home.run("auth", "youtube", "--no-browser")
    assert result.exit_code == 3, result.output
    assert "credentials.json: youtube.client_secrets_file: names " in result.stderr
    assert str(sqlite_home.path / "client_secret.json") in result.stderr
    assert "Desktop app" in result.stderr
    assert not (sqlite_home.path / "youtube-token.json").exists()


@pytest.mark.parametrize("key", ["client_secrets_file", "token_file"])
def test_auth_youtube_with_a_key_missing(sqlite_home: HomeFixture, yt: FakeYouTube,
                                         key: str) -> None:
    connect(sqlite_home, yt, token=False)
    doc = credentials(sqlite_home)
    del doc["youtube"][key]
    set_credentials(sqlite_home, doc)
    result = sqlite_home.run("auth", "youtube", "--no-browser")
    assert result.exit_code == 3, result.output
    assert f"credentials.json: youtube.{key}: not set" in result.stderr
    assert not (sqlite_home.path / "youtube-token.json").exists()


def test_auth_youtube_refuses_a_web_client(sqlite_home: HomeFixture, yt: FakeYouTube) -> None:
    connect(sqlite_home, yt, token=False)
    client_file(sqlite_home, kind="web")
    result = sqlite_home.run("auth", "youtube", "--no-browser")
    assert result.exit_code == 3, result.output
    assert "client_secret.json: web: this is a \"Web application\" OAuth client" in \
        result.stderr
    assert_no_secret(result)


def test_auth_youtube_port_in_use(sqlite_home: HomeFixture, yt: FakeYouTube) -> None:
    connect(sqlite_home, yt, token=False)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = sqlite_home.run("auth", "youtube", "--no-browser", "--port", port)
    assert result.exit_code == 2, result.output
    assert f"port {port} is already in use" in result.stderr


# ---- auth youtube: success -----------------------------------------------------------------

def check_token_file(token_file: Path, yt: FakeYouTube) -> None:
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    saved = json.loads(token_file.read_text())
    assert saved["refresh_token"] == REFRESH_TOKEN
    assert saved["client_id"] == CLIENT_ID and saved["client_secret"] == CLIENT_SECRET
    assert saved["token_uri"] == yt.token_uri  # the configured endpoint, not Google's
    assert FORCE_SSL in saved["scopes"]


def test_auth_youtube_saves_the_flow_credentials(sqlite_home: HomeFixture, yt: FakeYouTube,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """The fake's token endpoint has no authorization_code grant, so the consent and code
    exchange (run_local_server) are replaced by credentials the fake will honour."""
    from google.oauth2.credentials import Credentials
    from google_auth_oauthlib.flow import InstalledAppFlow

    token_file = connect(sqlite_home, yt, token=False)
    calls: list[dict[str, Any]] = []

    def run_local_server(self: InstalledAppFlow, **kwargs: Any) -> Credentials:
        calls.append({"client_id": self.client_config["client_id"],
                      "token_uri": self.client_config["token_uri"],
                      "scopes": list(self.oauth2session.scope), **kwargs})
        info = yt.authorized_user_info(refresh_token=REFRESH_TOKEN)
        creds = Credentials.from_authorized_user_info(info, [FORCE_SSL])
        # As the real flow does: credentials aimed at the client config's token URI.
        return creds.with_token_uri(self.client_config["token_uri"])

    monkeypatch.setattr(InstalledAppFlow, "run_local_server", run_local_server)
    result = sqlite_home.run("auth", "youtube")
    assert result.exit_code == 0, result.output
    assert len(calls) == 1
    assert calls[0]["port"] == 8080 and calls[0]["open_browser"] is True
    assert calls[0]["prompt"] == "consent"
    assert calls[0]["client_id"] == CLIENT_ID and calls[0]["scopes"] == [FORCE_SSL]
    assert calls[0]["token_uri"] == yt.token_uri
    check_token_file(token_file, yt)
    assert f"saved in {token_file} (mode 0600" in result.stdout
    assert_no_secret(result)
    # What it saved works: status refreshes it at the fake.
    status = sqlite_home.run("auth", "status")
    assert status.exit_code == 0, status.output
    assert "valid (token refreshed" in line_of(status, "youtube")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class FlowRun:
    """`publisher auth youtube --no-browser --port PORT` in a thread, with the real loopback
    server of google-auth-oauthlib; the test plays the browser coming back from Google."""

    def __init__(self, home: HomeFixture, monkeypatch: pytest.MonkeyPatch) -> None:
        from google_auth_oauthlib.flow import Flow, InstalledAppFlow

        self.port = free_port()
        self.redirect_uri = f"http://localhost:{self.port}/"
        self._urls: queue.Queue[tuple[str, str]] = queue.Queue()
        self._outcome: list[Result] = []
        real_authorization_url = InstalledAppFlow.authorization_url

        def authorization_url(flow: Flow, **kwargs: Any) -> tuple[str, str]:  # a spy
            url, state = real_authorization_url(flow, **kwargs)
            self._urls.put((url, state))
            return url, state

        monkeypatch.setattr(InstalledAppFlow, "authorization_url", authorization_url)
        monkeypatch.setattr("webbrowser.open", lambda *a, **k: pytest.fail("opened a browser"))
        args = ("--home", home.path, "--db", home.db_url, "auth", "youtube", "--no-browser",
                "--port", self.port)
        self._worker = threading.Thread(target=lambda: self._outcome.append(
            invoke(*map(str, args), env=home.env)))
        self._worker.start()

    def wait_for_address(self) -> tuple[str, str]:
        """The consent address the command printed, and its state (once it listens)."""
        return self._urls.get(timeout=20)

    def come_back(self, **params: str) -> str:
        url = self.redirect_uri + "?" + urllib.parse.urlencode(params)
        with urllib.request.urlopen(url, timeout=10) as answer:
            return str(answer.read().decode())

    def result(self) -> Result:
        self._worker.join(timeout=20)
        if self._worker.is_alive():  # unblock the server so that the thread ends
            urllib.request.urlopen(self.redirect_uri, timeout=5).close()
            self._worker.join(timeout=5)
        [result] = self._outcome
        return result


def test_auth_youtube_no_browser_completes_the_redirect(sqlite_home: HomeFixture,
                                                        yt: FakeYouTube,
                                                        monkeypatch: pytest.MonkeyPatch
                                                        ) -> None:
    """Only the code-for-token exchange is replaced (the fake's token endpoint has no
    authorization_code grant); oauthlib still checks the state the redirect carries."""
    from google_auth_oauthlib.flow import Flow, InstalledAppFlow

    token_file = connect(sqlite_home, yt, token=False)
    exchanged: list[str] = []

    def fetch_token(self: Flow, **kwargs: Any) -> dict[str, Any]:
        session = self.oauth2session
        # Real oauthlib: raises MismatchingStateError unless the redirect carries our state.
        session._client.parse_request_uri_response(kwargs["authorization_response"],
                                                   state=session._state)
        exchanged.append(session._client.code)
        session.token = {"access_token": yt.issue_access_token(), "token_type": "Bearer",
                         "refresh_token": REFRESH_TOKEN, "expires_in": 3599,
                         "expires_at": time.time() + 3599, "scope": [FORCE_SSL]}
        return dict(session.token)

    monkeypatch.setattr(InstalledAppFlow, "fetch_token", fetch_token)
    run = FlowRun(sqlite_home, monkeypatch)
    try:
        url, state = run.wait_for_address()
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
        assert query["redirect_uri"] == [run.redirect_uri]
        assert query["client_id"] == [CLIENT_ID] and query["scope"] == [FORCE_SSL]
        assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
        assert query["code_challenge_method"] == ["S256"]
        page = run.come_back(state=state, code="4/sandbox-code", scope=FORCE_SSL)
        assert "publisher is authorised" in page
    finally:
        result = run.result()
    assert result.exit_code == 0, result.output
    assert exchanged == ["4/sandbox-code"]
    assert url in result.stdout  # printed for the person to open
    assert f"ssh -L {run.port}:localhost:{run.port} server" in result.stdout
    check_token_file(token_file, yt)
    assert_no_secret(result)


def test_auth_youtube_forged_redirect_saves_nothing(sqlite_home: HomeFixture,
                                                   yt: FakeYouTube,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Everything real: a redirect without the flow's state is refused by oauthlib."""
    token_file = connect(sqlite_home, yt, token=False)
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake's token URI is http
    run = FlowRun(sqlite_home, monkeypatch)
    try:
        run.wait_for_address()
        run.come_back(state="forged", code="4/stolen-code")
    finally:
        result = run.result()
    assert result.exit_code == 1, result.output
    assert "Google did not authorise publisher (mismatching_state" in result.stderr
    assert not token_file.exists()
    assert token_requests(yt) == []


def test_auth_youtube_plain_http_token_endpoint_is_explained(sqlite_home: HomeFixture,
                                                             yt: FakeYouTube,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    """Everything real: requests-oauthlib will not exchange a code over plain http."""
    token_file = connect(sqlite_home, yt, token=False)
    monkeypatch.delenv("OAUTHLIB_INSECURE_TRANSPORT", raising=False)
    run = FlowRun(sqlite_home, monkeypatch)
    try:
        _, state = run.wait_for_address()
        run.come_back(state=state, code="4/sandbox-code")
    finally:
        result = run.result()
    assert result.exit_code == 1, result.output
    assert f"the token endpoint {yt.token_uri} is not https" in result.stderr
    assert not token_file.exists()


def test_auth_youtube_through_a_pipe_prints_the_address_at_once(sqlite_home: HomeFixture,
                                                                yt: FakeYouTube) -> None:
    """`ssh server publisher auth youtube --no-browser`: stdout is a pipe, yet the address
    must show while the command waits. Then the person refuses on Google's page."""
    connect(sqlite_home, yt, token=False)
    port = free_port()
    env = {**os.environ, **sqlite_home.env, "OAUTHLIB_INSECURE_TRANSPORT": "1"}
    env.pop("PYTHONUNBUFFERED", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "publisher", "--home", str(sqlite_home.path), "--db",
         sqlite_home.db_url, "auth", "youtube", "--no-browser", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None and proc.stderr is not None
    reader = threading.Thread(target=lambda: [lines.put(ln) for ln in proc.stdout or ()],
                              daemon=True)
    reader.start()
    try:
        address = ""
        while not address.startswith("https://"):
            address = lines.get(timeout=20).strip()
        state = urllib.parse.parse_qs(urllib.parse.urlsplit(address).query)["state"][0]
        with urllib.request.urlopen(f"http://localhost:{port}/?" + urllib.parse.urlencode(
                {"error": "access_denied", "state": state}), timeout=10) as answer:
            answer.read()
        assert proc.wait(timeout=30) == 1
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    stderr = proc.stderr.read()
    assert "Google did not authorise publisher (access_denied)" in stderr
    assert not (sqlite_home.path / "youtube-token.json").exists()


# ---- quota ---------------------------------------------------------------------------------

def test_quota_after_uploads(home: HomeFixture, media: Media, yt: FakeYouTube,
                             monkeypatch: pytest.MonkeyPatch) -> None:
    connect(home, yt)
    toml = home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace(
        "[youtube]\n", "[youtube]\ndaily_uploads = 5\ndaily_units = 2000\n", 1))
    empty = json.loads(home.ok("quota", "--json").stdout)
    assert empty["buckets"]["videos.insert"] == {"used": 0, "limit": 5, "remaining": 5}
    for n in (1, 2):
        home.ok(*add_args(media.video(), f"Intervista {n}"))
        home.ok("upload", n)
    assert len(yt.videos) == 2
    units = yt.quota.used("default")
    assert units > 0

    doc = json.loads(home.ok("quota", "--json").stdout)
    assert doc["buckets"] == {
        "videos.insert": {"used": 2, "limit": 5, "remaining": 3},
        "units": {"used": units, "limit": 2000, "remaining": 2000 - units}}
    now = dt.datetime.now(dt.UTC)
    reset = next_quota_reset(now)
    assert dt.datetime.fromisoformat(doc["resets_at"]) == reset
    assert doc["day"] == pacific_day(now).isoformat()

    # The reset is shown in the campaign's zone (Rome), whatever the server's zone is.
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        result = home.ok("quota")
    finally:
        monkeypatch.undo()
        time.tzset()
    out = result.stdout
    uploads = next(ln for ln in out.splitlines() if ln.startswith("uploads"))
    assert uploads.split()[-3:] == ["2", "5", "3"]
    unit_line = next(ln for ln in out.splitlines() if ln.startswith("units"))
    assert unit_line.split()[-3:] == [str(units), "2000", str(2000 - units)]
    rome = reset.astimezone(ZoneInfo("Europe/Rome"))
    assert f"Resets at {rome:%Y-%m-%d %H:%M %Z} (midnight Pacific time)." in out, out
    assert "JST" not in out


def test_quota_used_up_is_said(sqlite_home: HomeFixture) -> None:
    from publisher.quota import spend
    from publisher.store.db import make_engine
    from tests.helpers.scoped import Session

    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[youtube]\n", "[youtube]\ndaily_uploads = 1\n", 1))
    engine = make_engine(sqlite_home.db_url)
    with Session(engine) as session, session.begin():
        spend(session, dt.datetime.now(dt.UTC), "videos.insert")
    engine.dispose()
    result = sqlite_home.ok("quota")
    assert "uploads (videos.insert): used up for today" in result.stderr
    assert "units" not in result.stderr
