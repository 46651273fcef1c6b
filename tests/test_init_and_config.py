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
    written, example = (json.loads(creds.read_text()),
                        json.loads(resource("credentials.example.json").read_text()))
    assert {k: v for k, v in written.items() if k != "_about"} == {
        k: v for k, v in example.items() if k != "_about"}
    # The copy's own `_about` describes the copy, not how to make one.
    assert "Copy to credentials.json" in example["_about"]
    assert "Copy to" not in written["_about"] and "never commit" in written["_about"]
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


def test_the_home_is_found_in_a_folder_above(sqlite_home: HomeFixture, media: Media,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    sqlite_home.ok(*add_args(media.video()))
    inside = sqlite_home.path / "media" / "2026"
    inside.mkdir(parents=True)
    monkeypatch.delenv("PUBLISHER_HOME", raising=False)
    monkeypatch.delenv("PUBLISHER_DATABASE_URL", raising=False)
    monkeypatch.chdir(inside)
    listed = invoke("queue", "list")
    assert listed.exit_code == 0 and "Maria Rossi" in listed.stdout, listed.output
    # `init` there finds the home above instead of making a second, empty one.
    again = invoke("init")
    assert again.exit_code == 0 and "already a publisher home" in again.stdout
    assert not (inside / "publisher.toml").exists()


def test_outside_any_home_the_message_points_at_the_existing_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PUBLISHER_HOME", raising=False)
    monkeypatch.chdir(tmp_path)
    result = invoke("queue", "list")
    assert result.exit_code == 3
    assert "is not a publisher home" in result.stderr
    assert "`publisher --home DIR …`" in result.stderr and "PUBLISHER_HOME=DIR" in result.stderr
    assert "init` here" not in result.stderr


def test_init_says_to_go_into_the_home_and_authorise_youtube(tmp_path: Path) -> None:
    result = invoke("init", str(tmp_path / "studi aperti"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"  cd '{tmp_path / 'studi aperti'}'" in lines, result.stdout
    assert "  publisher auth youtube" in lines
    assert lines.index("  publisher auth youtube") > lines.index(
        f"  cd '{tmp_path / 'studi aperti'}'")


def test_a_syntax_error_in_publisher_toml_is_noticed_by_every_command(
        sqlite_home: HomeFixture) -> None:
    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace("[campaign]", "[campaign",
                                                             1), encoding="utf-8")
    for command in (["queue", "list"], ["queue", "list", "--json"], ["history", "1"],
                    ["published"]):
        result = sqlite_home.run(*command)
        assert result.exit_code == 3, (command, result.output)
        assert "publisher.toml: not valid TOML at line" in result.stderr
        assert "| [campaign\n" in result.stderr and "^" in result.stderr


def test_a_trailing_comma_in_credentials_json_is_shown_where_it_is(
        sqlite_home: HomeFixture) -> None:
    creds = sqlite_home.path / "credentials.json"
    creds.write_text('{\n  "mastodon": {\n    "instance": "https://m.example",\n'
                     '    "access_token": "s3cr3t-t0ken",\n  }\n}\n', encoding="utf-8")
    result = sqlite_home.run("auth", "status")
    assert result.exit_code == 3
    lines = result.stderr.splitlines()
    assert lines[0] == (f"error: {creds}: not valid JSON: a comma after the last entry, at "
                        "line 4, column 35")
    assert lines[1] == '    4 |     "access_token": "************",'
    assert lines[2] == "      |                                   ^"
    assert "trailing comma" in lines[3] and "remove it" in lines[3]
    assert "s3cr3t" not in result.stderr  # the line is shown, never a value in it


def test_single_quotes_in_json_get_their_hint(tmp_path: Path) -> None:
    from publisher.errors import ConfigError

    path = tmp_path / "credentials.json"
    path.write_text("{'x': {}}")
    with pytest.raises(ConfigError) as info:
        load_credentials(path)
    assert "line 1, column 2" in str(info.value) and "double quotes" in str(info.value)


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
