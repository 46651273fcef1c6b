"""`publisher init`, the home's files, and refusing malformed configuration at load."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from publisher.config import load_config
from publisher.credentials import load_credentials
from publisher.resources import resource
from publisher.schedules import load_schedule
from tests.conftest import HomeFixture, Media, add_args, invoke


def test_init_creates_a_working_home(tmp_path: Path) -> None:
    home = tmp_path / "studi"
    result = invoke("init", str(home))
    assert result.exit_code == 0, result.output
    assert (home / "publisher.toml").is_file()
    assert (home / "schedules" / "studi-aperti.toml").is_file()
    creds = home / "credentials.json"
    assert stat.S_IMODE(os.stat(creds).st_mode) == 0o600
    assert json.loads(creds.read_text()) == json.loads(
        resource("credentials.example.json").read_text())
    cfg = load_config(home / "publisher.toml")
    assert cfg.campaign.language == "it"
    assert cfg.campaign.hashtags == ("#StudiApertiOltreilLockdown",
                                     "#CarraraUnescoCreativeCity", "#ItalyComestoYou")
    assert cfg.campaign.website and cfg.campaign.website.startswith("https://")
    sched = load_schedule(home / "schedules" / "studi-aperti.toml")
    assert sched.timezone == "Europe/Rome" and sched.per_week == 2
    assert [str(s) for s in sched.slots] == ["Tuesday 18:00", "Friday 18:00"]
    listed = invoke("--home", str(home), "queue", "list")
    assert listed.exit_code == 0 and "empty" in listed.stdout


def test_init_on_an_existing_home_changes_nothing(sqlite_home: HomeFixture) -> None:
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text() + "\n# my edit\n")
    before = {p: p.read_bytes() for p in sqlite_home.path.rglob("*") if p.is_file()
              and "publisher.db" not in p.name}
    result = invoke("init", str(sqlite_home.path))
    assert result.exit_code == 0
    assert "nothing was changed" in result.stdout
    after = {p: p.read_bytes() for p in sqlite_home.path.rglob("*") if p.is_file()
             and "publisher.db" not in p.name}
    assert after == before


def test_home_from_environment(tmp_path: Path) -> None:
    home = tmp_path / "envhome"
    assert invoke("init", str(home)).exit_code == 0
    result = invoke("queue", "list", env={"PUBLISHER_HOME": str(home)})
    assert result.exit_code == 0, result.output


def test_commands_outside_a_home_say_what_to_do(tmp_path: Path) -> None:
    result = invoke("--home", str(tmp_path), "queue", "list")
    assert result.exit_code == 3
    assert "publisher.toml" in result.stderr and "publisher init" in result.stderr


@pytest.mark.parametrize(("edit", "expected"), [
    ("[campaign]\nlanguage = 'it'\n", "campaign.name: missing"),
    ("[campaign]\nname = 42\n", "campaign.name: expected text, found a whole number 42"),
    ("[campaign]\nname = 'x'\nlangauge = 'it'\n", "campaign.langauge: unknown key"),
    ("[campaign]\nname = 'x'\nlanguage = 'klingon-x'\n", "campaign.language: expected a BCP-47"),
    ("[campaign]\nname = 'x'\nhashtags = ['two words']\n", "campaign.hashtags: hashtag"),
    ("[campaign]\nname = 'x'\nwebsite = 'www.example.org'\n", "campaign.website: expected a web"),
    ("[campaign]\nname = 'x'\n[templates]\ntitle = '{{ title '\n", "templates.title: expected a "
                                                                   "valid Jinja2 template"),
    ("[campaign]\nname = 'x'\n[youtube]\nprivacy = 'secret'\n", "youtube.privacy: expected one"),
    ("[campaign]\nname = 'x'\n[youtube]\nmade_for_kids = 'no'\n",
     "youtube.made_for_kids: expected true or false"),
    ("[campaign\nname = 'x'\n", "not valid TOML"),
    ("[campaign]\nname = 'x'\n[x]\napi_root = 'ftp://proxy'\n",
     "x.api_root: expected an address"),
    ("[campaign]\nname = 'x'\n[mastodon]\nroot = 'https://a'\n", "mastodon.root: unknown key"),
])
def test_malformed_publisher_toml_is_refused(sqlite_home: HomeFixture, edit: str,
                                             expected: str) -> None:
    (sqlite_home.path / "publisher.toml").write_text(edit)
    result = sqlite_home.run("plan")
    assert result.exit_code == 3
    assert "publisher.toml" in result.stderr
    assert expected in result.stderr


@pytest.mark.parametrize(("content", "expected"), [
    ("name = 'x'\nslots = ['Tuesday 18:00']\n", "timezone: missing"),
    ("timezone = 'Europe/Carrara'\nslots = ['Tuesday 18:00']\n", "unknown time zone"),
    ("timezone = 'Europe/Rome'\nslots = ['Mardi 18:00']\n", "slots[0]: unknown weekday 'Mardi'"),
    ("timezone = 'Europe/Rome'\nslots = ['Tuesday 25:00']\n", "slots[0]: malformed time"),
    ("timezone = 'Europe/Rome'\nslots = ['Tuesday at six']\n", "slots[0]: expected a weekday"),
    ("timezone = 'Europe/Rome'\nslots = ['Tuesday 18:00']\nper_week = 2\n",
     "per_week: 2 a week can never be filled by 1 weekly slot"),
    ("timezone = 'Europe/Rome'\nslots = ['Tue 18:00']\nstart = 2026-09-01\nend = 2026-06-01\n",
     "end: the schedule ends (2026-06-01) before it starts (2026-09-01)"),
    ("timezone = 'Europe/Rome'\nslots = ['Tue 18:00']\nlead_time = 'two days'\n",
     "lead_time: expected a duration"),
    ("timezone = 'Europe/Rome'\nslots = ['Tue 18:00']\nplatforms = ['youtube', 'myspace']\n",
     "platforms[1]: unknown platform 'myspace'"),
    ("timezone = 'Europe/Rome'\nslots = ['Tue 18:00']\nblackouts = ['2026-12-31..2026-12-24']\n",
     "blackouts[0]: range ends"),
])
def test_malformed_schedule_is_refused(sqlite_home: HomeFixture, content: str,
                                       expected: str) -> None:
    (sqlite_home.path / "schedules" / "bad.toml").write_text(content)
    result = sqlite_home.run("plan")
    assert result.exit_code == 3
    assert "bad.toml" in result.stderr
    assert expected in result.stderr


@pytest.mark.parametrize(("content", "expected"), [
    ("{not json", "not valid JSON"),
    ("[]", "expected a JSON object"),
    ('{"youtube": {"token_fil": "x"}}', "youtube.token_fil: unknown key"),
    ('{"x": {"consumer_key": 5}}', "x.consumer_key: expected text"),
    ('{"notifications": {"urls": "mailto://a"}}', "notifications.urls: expected a list"),
    ('{"tiktok": {}}', "tiktok: unknown key"),
])
def test_malformed_credentials_are_refused(tmp_path: Path, content: str, expected: str) -> None:
    path = tmp_path / "credentials.json"
    path.write_text(content)
    from publisher.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        load_credentials(path)
    assert str(path) in str(info.value) and expected in str(info.value)


def test_credentials_redacted_view_hides_secrets() -> None:
    creds = load_credentials(resource("credentials.example.json"))
    shown = json.dumps(creds.redacted())
    assert "YOUR-X-CONSUMER-SECRET" not in shown and "xxxx-xxxx" not in shown
    assert "studiaperti.example.com" in shown  # a handle is not a secret


def test_example_credentials_hold_only_placeholders() -> None:
    text = resource("credentials.example.json").read_text()
    for section in ("youtube", "x", "mastodon", "bluesky", "telegram", "facebook",
                    "notifications"):
        assert f'"{section}"' in text
    assert "client_secrets_file" in text and "token_file" in text


def test_gitignore_keeps_secrets_out() -> None:
    ignore = (Path(__file__).resolve().parent.parent / ".gitignore").read_text()
    assert "credentials.json" in ignore and "*token*.json" in ignore


def test_postgres_url_without_driver_is_accepted(home: HomeFixture, media: Media) -> None:
    url = home.db_url.replace("postgresql+psycopg://", "postgresql://")
    result = invoke("--home", str(home.path), "--db", url, *map(str, add_args(media.video())))
    assert result.exit_code == 0, result.output
