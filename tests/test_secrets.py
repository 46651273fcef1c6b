"""No secret ever leaks: the whole publish path runs with known secret values, and every log
line, exception message, command output, database cell and home file is searched for them.

Every credential gets a distinctive value the loopback fakes are configured to accept; the
tokens the fakes mint themselves (YouTube access tokens, Bluesky session JWTs) are read back
from the fakes after the run. Each secret is searched whole and by its first 8 characters
(of its secret part, when a token starts with a public id), and percent-encoded.

Each CLI command runs as if in a fresh process: the log redaction is reset to a pristine
logging setup before it, so every command must install it for itself.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import stat
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, select

from publisher import redact
from publisher.notify import notify
from publisher.platforms.base import CrossPoster, PostContent
from publisher.platforms.bluesky import BlueskyPoster
from publisher.platforms.facebook import FacebookPoster, appsecret_proof
from publisher.platforms.mastodon import MastodonPoster
from publisher.platforms.telegram import TelegramPoster
from publisher.platforms.x import XPoster
from publisher.sandbox.bluesky import FakeBluesky
from publisher.sandbox.facebook import FakeFacebook
from publisher.sandbox.mastodon import FakeMastodon
from publisher.sandbox.telegram import FakeTelegram
from publisher.sandbox.x import FakeX, XKeys
from publisher.sandbox.youtube import FakeYouTube
from publisher.store.models import Base
from tests.conftest import HomeFixture, Media, Result, add_args, invoke
from tests.helpers.clock import Clock

# ---- the known secrets --------------------------------------------------------------------

YT_CLIENT_ID = "314159-sandbox.apps.googleusercontent.com"  # public, not searched
YT_CLIENT_SECRET = "GOCSPX-q7ZcLiEnTsEcReT-w3rT"
YT_REFRESH_TOKEN = "1-04rFrEsHrEfReShToKeN-Q9xYz"
X_KEYS = XKeys(consumer_key="xCkEy9Rt2LmQpWvA", consumer_secret="xCsEc4Hh8NnBbVvCcXxZz01",
               access_token="1500000000000000001-xAtOk7Jj3KkLlMm",
               access_token_secret="xAtSeC5Gg6Ff7Dd8Ss9Aa0")
MASTODON_TOKEN = "mAsToKeN-3x7Q9zR1vB5nK8pL"
BLUESKY_HANDLE = "studi.bsky.social"
BLUESKY_APP_PASSWORD = "q9z2-k7m4-w3x8-p1n6"
TELEGRAM_TOKEN = "5839201746:AAGtElEgRaMsEcReT_q9Z-x7Y3w1V5u"
FACEBOOK_TOKEN = "EAAFbPaGeToKeN7q3Z9xW1vB5nM2kL8"
FACEBOOK_APP_SECRET = "fBaPpSeCrEt5q8Z2x7W4v1B9n3M6kL0"
FACEBOOK_PROOF = appsecret_proof(FACEBOOK_TOKEN, FACEBOOK_APP_SECRET)  # sent with every call
MAIL_PASSWORD = "MaIlPaSsW0rD-Q7z3-9xK"
HOOK_PASSWORD = "HoOkPaSsW0rD-K2m8-4qR"
NOTIFY_BOT_TOKEN = "6120394857:AAFnOtIfYbOtToKeN_k3J-z8X1c4V7b"  # apprise's tgram:// bot

START = dt.datetime(2027, 2, 1, 18, 0, tzinfo=dt.UTC)   # a Monday: stage Tuesday's slot
SLOT_1 = dt.datetime(2027, 2, 2, 17, 0, tzinfo=dt.UTC)  # Tuesday 18:00 Rome
UPLOAD_2 = dt.datetime(2027, 2, 3, 17, 0, tzinfo=dt.UTC)  # 48 h before Friday's slot
UPLOAD_3 = dt.datetime(2027, 2, 7, 17, 0, tzinfo=dt.UTC)  # 48 h before the next Tuesday's


def needles(secret: str, public_prefix: str = "") -> set[str]:
    """What gives a secret away: the whole value (as is and percent-encoded), and its first
    8 characters. A token that starts with a public id (Telegram's bot id before `:`, X's
    user id before `-`, which the platforms show to anyone) is cut by its secret part."""
    part = secret[len(public_prefix):] if public_prefix else secret
    found = {secret, quote(secret, safe=""), part[:8]}
    if secret.startswith("eyJ"):  # a JWT: the header is the same in every token, so also
        found.add(secret.rsplit(".", 1)[-1][:8])  # its signature, the part that is unique
    return found


def static_secrets() -> dict[str, set[str]]:
    return {
        "youtube.client_secret": needles(YT_CLIENT_SECRET),
        "youtube.refresh_token": needles(YT_REFRESH_TOKEN),
        "x.consumer_key": needles(X_KEYS.consumer_key),
        "x.consumer_secret": needles(X_KEYS.consumer_secret),
        "x.access_token": needles(X_KEYS.access_token, "1500000000000000001-"),
        "x.access_token_secret": needles(X_KEYS.access_token_secret),
        "mastodon.access_token": needles(MASTODON_TOKEN),
        "bluesky.app_password": needles(BLUESKY_APP_PASSWORD),
        "telegram.bot_token": needles(TELEGRAM_TOKEN, "5839201746:"),
        "facebook.page_access_token": needles(FACEBOOK_TOKEN),
        "facebook.app_secret": needles(FACEBOOK_APP_SECRET),
        "facebook appsecret_proof": needles(FACEBOOK_PROOF),
        "notifications mailto password": needles(MAIL_PASSWORD),
        "notifications json password": needles(HOOK_PASSWORD),
        "notifications telegram bot token": needles(NOTIFY_BOT_TOKEN, "6120394857:"),
    }


@dataclass
class Scanner:
    secrets: dict[str, set[str]]
    scanned: dict[str, int] = field(default_factory=dict)
    hits: list[str] = field(default_factory=list)

    def scan(self, kind: str, where: str, text: str) -> list[str]:
        self.scanned[kind] = self.scanned.get(kind, 0) + 1
        found = []
        for name, probes in self.secrets.items():
            for probe in probes:
                at = text.find(probe)
                if at >= 0:
                    found.append(f"{kind} {where}: {name} ({probe!r}) in "
                                 f"...{text[max(0, at - 80):at + len(probe) + 40]!r}...")
                    break
        self.hits.extend(found)
        return found


# ---- capturing everything -----------------------------------------------------------------

NOISY_LOGGERS = ("httpx", "httpcore", "httplib2", "urllib3", "requests", "requests_oauthlib",
                 "oauthlib", "googleapiclient", "google", "google.auth", "google_auth_httplib2",
                 "atproto", "atproto_client", "tweepy", "mastodon", "apprise", "publisher")


class Capture(logging.Handler):
    """Keeps every record's message, args, exception text and stack as the handler sees it."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.texts: list[tuple[str, str]] = []
        self._fmt = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: its parts are still searched
            message = f"{record.msg!r}"
        exc = record.exc_text or (self._fmt.formatException(record.exc_info)
                                  if record.exc_info else "")
        self.texts.append((record.name, "\n".join(
            (message, repr(record.msg), repr(record.args), exc, record.stack_info or ""))))


@dataclass
class Platforms:
    yt: FakeYouTube
    x: FakeX
    mastodon: FakeMastodon
    bluesky: FakeBluesky
    telegram: FakeTelegram
    facebook: FakeFacebook


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def platforms(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Platforms]:
    with FakeYouTube(clock=clock, client_id=YT_CLIENT_ID, client_secret=YT_CLIENT_SECRET) as yt, \
            FakeX(keys=X_KEYS) as x, FakeMastodon(access_token=MASTODON_TOKEN) as ma, \
            FakeBluesky(handle=BLUESKY_HANDLE, app_password=BLUESKY_APP_PASSWORD) as bs, \
            FakeTelegram(token=TELEGRAM_TOKEN) as tg, FakeFacebook(
                token=FACEBOOK_TOKEN, app_secret=FACEBOOK_APP_SECRET,
                require_app_secret=True) as fb:
        # apprise's tgram:// posts to the Bot API: here, the loopback fake (which refuses the
        # unknown bot), so the request line with /bot<token>/ is logged by urllib3.
        from apprise.plugins.telegram import NotifyTelegram

        monkeypatch.setattr(NotifyTelegram, "notify_url", f"{tg.api_root}/bot")
        yield Platforms(yt, x, ma, bs, tg, fb)


@pytest.fixture
def capture() -> Iterator[Capture]:
    """Every logger at DEBUG into one handler; the logging setup is restored afterwards."""
    root = logging.getLogger()
    handler = Capture()
    saved_levels = {name: logging.getLogger(name).level for name in ("", *NOISY_LOGGERS)}
    saved_factory = logging.getLogRecordFactory()
    saved_handler_filters = {h: list(h.filters) for h in root.handlers}
    root.addHandler(handler)
    for name in ("", *NOISY_LOGGERS):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        for name, level in saved_levels.items():
            logging.getLogger(name).setLevel(level)
        logging.setLogRecordFactory(saved_factory)
        for h, filters in saved_handler_filters.items():
            h.filters[:] = filters
        redact.reset()


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def notification_urls() -> list[str]:
    """E-mail, a JSON webhook and a Telegram bot, each with a secret, none reachable (apprise's
    Telegram plugin is pointed at a closed loopback port by the `platforms` fixture)."""
    return [f"mailto://studio:{MAIL_PASSWORD}@127.0.0.1:{closed_port()}"
            "?to=staff@studio.test&from=publisher@studio.test",
            f"json://hook:{HOOK_PASSWORD}@127.0.0.1:{closed_port()}/notify",
            f"tgram://{NOTIFY_BOT_TOKEN}/-1001234567890"]


def wire(home: HomeFixture, p: Platforms) -> None:
    """credentials.json with the known secrets, the fakes' roots in the environment."""
    client = {"installed": {"client_id": YT_CLIENT_ID, "client_secret": YT_CLIENT_SECRET,
                            "auth_uri": "https://accounts.google.com/o/oauth2/auth",
                            "token_uri": p.yt.token_uri, "redirect_uris": ["http://localhost"]}}
    # The OAuth client file is the organizer's own (kept 0600, as doctor asks); the token
    # file starts world-readable: publisher must rewrite it 0600 when it refreshes it.
    for name, doc, mode in (
            ("client_secret.json", client, 0o600),
            ("youtube-token.json",
             p.yt.authorized_user_info(refresh_token=YT_REFRESH_TOKEN), 0o644)):
        path = home.path / name
        path.write_text(json.dumps(doc))
        path.chmod(mode)
    creds = {
        "youtube": {"client_secrets_file": "client_secret.json",
                    "token_file": "youtube-token.json"},
        "x": X_KEYS.as_settings(),
        "mastodon": {"api_base_url": "https://mastodon.social", "access_token": MASTODON_TOKEN},
        "bluesky": {"handle": BLUESKY_HANDLE, "app_password": BLUESKY_APP_PASSWORD,
                    "service_url": "https://bsky.social"},
        "telegram": {"bot_token": TELEGRAM_TOKEN, "chat_id": p.telegram.chat_username},
        "facebook": {"page_id": p.facebook.page_id, "page_access_token": FACEBOOK_TOKEN,
                     "app_secret": FACEBOOK_APP_SECRET},
        "notifications": {"urls": notification_urls()},
    }
    (home.path / "credentials.json").write_text(json.dumps(creds))  # keeps init's 0600
    sched = home.path / "schedules" / "studi-aperti.toml"
    sched.write_text(sched.read_text().replace(
        'platforms = ["youtube", "mastodon", "bluesky", "telegram"]',
        'platforms = ["youtube", "x", "mastodon", "bluesky", "telegram", "facebook"]'))
    toml = home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[youtube]\n", "[youtube]\nchunk_size_mib = 1\n"))
    home.env.update({"PUBLISHER_YOUTUBE_API_ROOT": p.yt.root,
                     "PUBLISHER_GOOGLE_TOKEN_URI": p.yt.token_uri,
                     "PUBLISHER_X_API_ROOT": p.x.root,
                     "PUBLISHER_MASTODON_API_ROOT": p.mastodon.root,
                     "PUBLISHER_BLUESKY_API_ROOT": p.bluesky.root,
                     "PUBLISHER_TELEGRAM_API_ROOT": p.telegram.api_root,
                     "PUBLISHER_FACEBOOK_GRAPH_ROOT": p.facebook.api_root})


# ---- the self-check -----------------------------------------------------------------------

def test_the_scanner_finds_a_planted_secret() -> None:
    scanner = Scanner(static_secrets())
    assert scanner.scan("planted", "whole", f"GET /bot{TELEGRAM_TOKEN}/getMe")
    assert scanner.scan("planted", "partial", f"token={MASTODON_TOKEN[:8]}…")
    assert scanner.scan("planted", "encoded", f"oauth_token={quote(X_KEYS.access_token)}")
    assert scanner.scan("planted", "secret part", "5839201746:AAGtElEg…")
    assert not scanner.scan("planted", "clean", "bot id 5839201746 posted as 1500000000000000001")
    assert len(scanner.hits) == 4


def test_redaction_keeps_messages_useful() -> None:
    redact.register(MASTODON_TOKEN)
    try:
        assert redact.redact(f"POST https://api.telegram.org/bot{TELEGRAM_TOKEN}/sendMessage") \
            == "POST https://api.telegram.org/bot<bot_token>/sendMessage"
        assert redact.redact(f"mailtos://u:{MAIL_PASSWORD}@mail.test") == \
            "mailtos://u:<redacted>@mail.test"
        assert redact.redact(f"the token {MASTODON_TOKEN} was revoked") == \
            "the token <redacted> was revoked"
        assert redact.redact(f"?access_token={FACEBOOK_TOKEN}&after=2") == \
            "?access_token=<redacted>&after=2"
        assert redact.redact("Authorization: Bearer ya29.abcdefghijkl") == \
            "Authorization: Bearer <redacted>"
    finally:
        redact.reset()


# ---- the whole path -----------------------------------------------------------------------

def test_no_secret_in_logs_outputs_errors_database_or_files(
        sqlite_home: HomeFixture, media: Media, platforms: Platforms, clock: Clock,
        capture: Capture) -> None:
    home, p = sqlite_home, platforms
    wire(home, p)
    pristine_factory = logging.getLogRecordFactory()
    outputs: list[tuple[str, Result]] = []

    def run(*args: Any) -> Result:
        # A fresh process knows no secret and has no redaction until the command sets it up.
        redact.reset()
        logging.setLogRecordFactory(pristine_factory)
        result = invoke("--home", str(home.path), "--db", home.db_url, *map(str, args),
                        env=home.env)
        outputs.append((" ".join(map(str, args)), result))
        return result

    def at(when: dt.datetime, *extra: str) -> Result:
        clock.now = when
        return run("run-due", "--at", when.isoformat(), "--json", *extra)

    def actions(result: Result) -> list[tuple[str, str]]:
        return [(a["step"], a["outcome"]) for a in json.loads(result.stdout)["actions"]]

    changed = media.video()
    for args in (add_args(media.video(), "Maria Rossi, ceramista", "--thumbnail", media.png()),
                 add_args(changed, "Luca Bianchi, direttore"),
                 add_args(media.video(), "Ada Neri, curatrice")):
        assert run(*args).exit_code == 0, outputs[-1][1].output
    assert run("preview", 1, "--json").exit_code == 0
    assert run("plan", "--json", "--at", START.isoformat()).exit_code == 0

    # Stage at upload time, release at the slot, cross-post after the delay (with faults).
    assert ("stage", "staged") in actions(at(START)), outputs[-1][1].output
    assert ("release", "released") in actions(at(SLOT_1)), outputs[-1][1].output
    p.mastodon.fail_next_post(500)                         # a 500: retried later
    p.x.fail_next_post(500, after_storing=True)            # unknown: looked up, not repeated
    p.facebook.fail_next_post(500, after_storing=False)    # a 500 from the Graph API
    p.telegram.revoke_token()                              # a 401: waits for a new token
    for n in range(120):  # the Page kept posting: the lookup reads past the first page
        p.facebook.add_post(f"altro post {n}", created=dt.datetime.now(dt.UTC)
                            + dt.timedelta(seconds=n + 1))
    at(SLOT_1 + dt.timedelta(minutes=6))
    p.bluesky.expire_access_tokens()                       # the saved session is refused
    at(SLOT_1 + dt.timedelta(minutes=30))
    at(SLOT_1 + dt.timedelta(hours=2))
    link = f"https://www.youtube.com/watch?v={next(iter(p.yt.videos))}"
    for platform in ("x", "mastodon", "bluesky", "facebook"):
        assert len(getattr(p, platform).posts_with(link)) == 1, platform
    assert run("retry", 1, "--platform", "telegram").exit_code == 0
    at(SLOT_1 + dt.timedelta(hours=3))

    # The second video changed after it was queued: it needs attention.
    changed.write_bytes(changed.read_bytes() + b"edited")
    assert at(UPLOAD_2).exit_code == 4, outputs[-1][1].output
    assert run("status", "--json").exit_code == 4
    assert run("history", 1, "--json").exit_code == 0
    assert run("history", 2, "--json").exit_code == 0
    assert run("queue", "show", 1, "--json").exit_code == 0

    # YouTube's authorisation revoked: the third interview waits for a person.
    with p.yt.lock:
        minted = list(p.yt.oauth.tokens)  # every access token the fake issued (revoking forgets)
    p.yt.revoke_tokens()
    p.yt.expire_access_tokens()
    waiting = at(UPLOAD_3)
    assert "publisher auth youtube" in waiting.output, waiting.output
    assert run("upload", 3).exit_code == 4
    assert run("auth", "status").exit_code == 4
    assert run("auth", "status", "--json").exit_code == 4
    assert run("doctor").exit_code == 4
    assert run("doctor", "--json").exit_code == 4
    assert run("quota", "--json").exit_code == 0
    assert run("status").exit_code == 4
    assert run("resolve", 1, "--platform", "telegram", "--url", "https://t.me/s/1").exit_code == 0

    # Exceptions straight from the adapters: revoked or wrong credentials, unreachable roots.
    elsewhere = home.path.parent / "adapter-state"  # the revoked login deletes its session
    elsewhere.mkdir()
    for session in home.path.glob("bluesky-session-*.json"):
        (elsewhere / session.name).write_bytes(session.read_bytes())
    errors = adapter_errors(p, elsewhere)
    notify("Test", "a notification that cannot be delivered", notification_urls())

    # ---- the scan ---------------------------------------------------------------------------
    secrets = static_secrets()
    for token in minted:
        secrets[f"youtube access token {token[:16]}"] = needles(token, "ya29.sandbox-")
    with p.bluesky.lock:
        jwts = list(p.bluesky._tokens)
    for token in jwts:
        secrets[f"bluesky session token ...{token[-6:]}"] = needles(token)
    assert minted and jwts, "the fakes issued tokens (else there is nothing to look for)"
    scanner = Scanner(secrets)

    for name, text in capture.texts:
        scanner.scan("log record", name, text)
    for command, result in outputs:
        scanner.scan("stdout", command, result.stdout)
        scanner.scan("stderr", command, result.stderr)
    for where, text in errors:
        scanner.scan("exception", where, text)
    scan_database(scanner, home.db_url)
    scan_home(scanner, home.path)

    print(f"scanned: {scanner.scanned}; secrets: {len(secrets)}; "
          f"needles: {sum(map(len, secrets.values()))}")
    assert scanner.scanned["log record"] > 200
    assert scanner.scanned["database cell"] > 200
    assert scanner.scanned["exception"] >= 10
    assert not scanner.hits, "\n".join(scanner.hits)


def adapter_errors(p: Platforms, state_dir: Path) -> list[tuple[str, str]]:
    """Every adapter made to fail: each exception's text as the CLI and a traceback show it."""
    post = PostContent(text="Nuova intervista https://www.youtube.com/watch?v=abc",
                       link="https://www.youtube.com/watch?v=abc", title="Intervista",
                       description="Una prova")
    dead = f"http://127.0.0.1:{closed_port()}"
    cases: list[tuple[str, Callable[[], CrossPoster]]] = [
        ("x revoked", lambda: XPoster(X_KEYS.as_settings(), api_root=p.x.root)),
        ("x unreachable", lambda: XPoster(X_KEYS.as_settings(), api_root=dead)),
        ("mastodon revoked", lambda: MastodonPoster(
            {"api_base_url": "https://m.test", "access_token": MASTODON_TOKEN},
            api_root=p.mastodon.root)),
        ("mastodon unreachable", lambda: MastodonPoster(
            {"api_base_url": "https://m.test", "access_token": MASTODON_TOKEN}, api_root=dead)),
        ("bluesky revoked", lambda: BlueskyPoster(
            {"handle": BLUESKY_HANDLE, "app_password": BLUESKY_APP_PASSWORD},
            api_root=p.bluesky.root, state_dir=state_dir)),
        ("bluesky unreachable", lambda: BlueskyPoster(
            {"handle": BLUESKY_HANDLE, "app_password": BLUESKY_APP_PASSWORD}, api_root=dead)),
        ("telegram revoked", lambda: TelegramPoster(
            {"bot_token": TELEGRAM_TOKEN, "chat_id": "@c"}, api_root=p.telegram.api_root)),
        ("telegram unreachable", lambda: TelegramPoster(
            {"bot_token": TELEGRAM_TOKEN, "chat_id": "@c"}, api_root=dead)),
        ("telegram bad root", lambda: TelegramPoster(
            {"bot_token": TELEGRAM_TOKEN, "chat_id": "@c"}, api_root="ftp://127.0.0.1:1")),
        ("facebook revoked", lambda: FacebookPoster(
            {"page_id": p.facebook.page_id, "page_access_token": FACEBOOK_TOKEN,
             "app_secret": FACEBOOK_APP_SECRET}, api_root=p.facebook.api_root)),
        ("facebook unreachable", lambda: FacebookPoster(
            {"page_id": p.facebook.page_id, "page_access_token": FACEBOOK_TOKEN,
             "app_secret": FACEBOOK_APP_SECRET}, api_root=dead)),
    ]
    p.x.revoke_credentials()
    p.mastodon.revoke_token()
    p.bluesky.revoke_app_password(BLUESKY_APP_PASSWORD)
    p.facebook.revoke_token()
    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith("PUBLISHER_")}
    out: list[tuple[str, str]] = []
    try:
        for name, make in cases:
            for step in ("publish", "lookup"):
                try:
                    poster = make()
                    if step == "publish":
                        poster.publish(post, poster.new_handle())
                    else:
                        poster.lookup(post, poster.new_handle())
                except Exception as exc:
                    out.append((f"{name} {step}", "\n".join(
                        (str(exc), repr(exc), "".join(traceback.format_exception(exc))))))
    finally:
        os.environ.update(saved)
    assert len(out) >= 15, [n for n, _ in out]
    return out


def scan_database(scanner: Scanner, url: str) -> None:
    """Every column of every table, JSON columns as JSON and as Python's repr."""
    sessions: list[str] = []
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    for column, value in zip(table.columns, row, strict=True):
                        text = value if isinstance(value, str) else repr(value)
                        if isinstance(value, dict | list):
                            text += json.dumps(value, ensure_ascii=False)
                        # Kept on purpose: publications.handle holds the YouTube resumable
                        # upload session URI, needed to resume an upload. It is a capability
                        # URL (its upload_id lets anyone PUT bytes to that one upload for about
                        # a week) but no user credential: it grants nothing else, and it is
                        # scanned like every other cell, so it must not carry an access token.
                        scanner.scan("database cell", f"{table.name}.{column.name}", text)
                        if column.name == "handle" and "upload_id=" in text:
                            sessions.append(text)
    finally:
        engine.dispose()
    assert sessions, "the upload session URI is kept (and was scanned)"


SECRET_FILES = ("credentials.json", "youtube-token.json", "client_secret.json")


def scan_home(scanner: Scanner, home: Path) -> None:
    """Files that legitimately hold secrets are private (0600); every other file is clean."""
    sessions = list(home.glob("bluesky-session-*.json"))
    assert sessions, "the Bluesky session was saved"
    for path in sorted(home.rglob("*")):
        if not path.is_file():
            continue
        if path.name in SECRET_FILES or path in sessions:
            mode = stat.S_IMODE(path.stat().st_mode)
            assert mode == 0o600, f"{path.name} has mode {mode:o}"
            continue
        scanner.scan("home file", str(path.relative_to(home)),
                     path.read_bytes().decode("utf-8", errors="replace"))


# ---- the console --------------------------------------------------------------------------

def test_no_secret_on_any_console_page(sqlite_home: HomeFixture, media: Media,
                                       platforms: Platforms, capture: Capture,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page and response of the console — each GET route as an organizer and as a
    viewer (the Needs-you page with its checks run, which refresh the YouTube token and read
    credentials.json), every POST route, the YouTube consent's redirect, the CSV — and every
    log line meanwhile, searched for the secrets credentials.json is full of."""
    from tests.helpers.web_console import add_user, cheap_hashes, console_for

    home, p = sqlite_home, platforms
    wire(home, p)
    cheap_hashes(monkeypatch)
    for key, value in home.env.items():
        monkeypatch.setenv(key, value)
    assert home.run(*add_args(media.video(), "Maria Rossi, ceramista", "--thumbnail",
                              media.png())).exit_code == 0
    assert home.run(*add_args(media.video(), "Luca Bianchi")).exit_code == 0
    add_user(home, "anna")
    add_user(home, "vera", role="viewer")
    scanner = Scanner(static_secrets())
    for console in console_for(home):
        gets = console.get_routes()
        assert {"/queue", "/needs-you", "/calendar", "/published", "/interviews/1",
                "/auth/youtube/callback"} <= set(gets), gets
        extra = ["/needs-you?checks=run", "/published.csv", "/calendar?view=week",
                 "/auth/youtube/callback?state=forged&code=x"]
        for name in ("anna", "vera"):
            browser = console.logged_in(name)
            for path in [*gets, *extra]:
                answer = browser.get(path)
                scanner.scan("page", f"{name} GET {path} ({answer.status_code})",
                             answer.text + repr(dict(answer.headers)))
            for path in console.post_routes():
                if path in ("/logout", "/login"):
                    continue
                answer = browser.post(path, {"platform": "mastodon", "url": "https://x.test/1"})
                scanner.scan("response", f"{name} POST {path} ({answer.status_code})",
                             answer.text + repr(dict(answer.headers)))
        # The consent's way out: Google's address carries the client's id, never its secret.
        anna = console.logged_in("anna")
        start = anna.post("/auth/youtube")
        assert start.status_code == 303 and YT_CLIENT_ID in start.headers["location"]
        scanner.scan("response", "POST /auth/youtube", repr(dict(start.headers)))
        # The checks ran for real: the token was refreshed at the fake.
        assert [r for r in p.yt.requests if r.path == "/token"]
    for name, text in capture.texts:
        scanner.scan("log", name, text)
    assert scanner.scanned["page"] >= 2 * 12 and scanner.scanned["response"] >= 10
    assert scanner.hits == [], "\n".join(scanner.hits)
