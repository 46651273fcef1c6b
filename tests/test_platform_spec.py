"""The promise of the spec table: a platform is one spec, one adapter and one fake.

A throwaway platform ("Pigeon post"), defined only in this file, is registered and then
known, with no other edit, by the configuration, schedules, credentials, `auth status`,
`doctor`, `preview`, the pipeline, `status`, the sandbox and its environment guard.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from publisher.platforms.base import CrossPoster, PostContent, Posted
from publisher.platforms.errors import AuthError
from publisher.platforms.spec import (
    CredentialKey,
    PlatformSpec,
    TextRule,
    crosspost_names,
    get,
    names,
    registered,
)
from publisher.sandbox.http import LoopbackServer, Request, Response
from tests.conftest import HomeFixture, Media, add_args

TOKEN = "pigeon-token-8c1f0e9a5b"


class PigeonPoster(CrossPoster):
    """A minimal adapter: POST /post with a bearer token; posts are found by their key."""

    name = "pigeon"

    def new_handle(self) -> str:
        return str(uuid.uuid4())

    def _post(self, path: str, payload: dict[str, Any]) -> dict[str, Any]:
        answer = httpx.post(f"{self.api_root}{path}", json=payload, timeout=self.timeout,
                            headers={"Authorization": f"Bearer {self.settings['token']}"})
        if answer.status_code == 401:
            raise AuthError("Pigeon refused the token", platform=self.name)
        answer.raise_for_status()
        found: dict[str, Any] = answer.json()
        return found

    def publish(self, post: PostContent, handle: str) -> Posted:
        made = self._post("post", {"text": post.text, "key": handle,
                                   "loft": self.settings["loft"]})
        return Posted(made["id"], made["url"])

    def lookup(self, post: PostContent, handle: str) -> Posted | None:
        made = self._post("find", {"key": handle})
        return Posted(made["id"], made["url"]) if made else None


class FakePigeon(LoopbackServer):
    """The loopback Pigeon service."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.posts: list[dict[str, Any]] = []
        self._guard = threading.Lock()

    def sandbox_credentials(self) -> dict[str, Any]:
        return {"token": TOKEN, "loft": "carrara"}

    def posts_with(self, link: str) -> list[dict[str, Any]]:
        return [p for p in self.posts if link in p["text"]]

    def handle(self, request: Request) -> Response:
        if request.header("Authorization") != f"Bearer {TOKEN}":
            return Response.json(401, {"error": "bad token"})
        body = request.json()
        with self._guard:
            if request.path == "/find":
                found = [p for p in self.posts if p["key"] == body["key"]]
                return Response.json(200, found[0] if found else {})
            post = {**body, "id": str(len(self.posts) + 1)}
            post["url"] = f"https://pigeon.example/{post['id']}"
            self.posts.append(post)
        return Response.json(200, post)


PIGEON = PlatformSpec(
    name="pigeon", label="Pigeon post",
    credentials=(CredentialKey("token", secret=True), CredentialKey("loft")),
    text=TextRule(120, len, "characters"), env_root="PUBLISHER_PIGEON_API_ROOT",
    daily_cap=3, adapter=f"{__name__}:PigeonPoster", fake=f"{__name__}:FakePigeon")


@pytest.fixture
def pigeon() -> Iterator[PlatformSpec]:
    with registered(PIGEON) as spec:
        yield spec


def _write_schedule(home: HomeFixture) -> None:
    """The home's cadence posts to YouTube and Pigeon, with a short post for Pigeon."""
    toml = home.path / "publisher.toml"
    toml.write_text(toml.read_text().replace("[posts]\n", '[posts]\npigeon = "{{ title }} '
                                             '{{ url }}"\n', 1))
    for path in (home.path / "schedules").glob("*.toml"):
        text = path.read_text()
        path.write_text(text.replace('platforms = ["youtube", "mastodon", "bluesky", '
                                     '"telegram"]', 'platforms = ["youtube", "pigeon"]'))
        assert '"pigeon"' in path.read_text()


def _credentials(home: HomeFixture, section: dict[str, Any]) -> None:
    creds = json.loads((home.path / "credentials.json").read_text())
    creds["pigeon"] = section
    (home.path / "credentials.json").write_text(json.dumps(creds))


def test_registered_it_is_a_platform_like_the_others(pigeon: PlatformSpec) -> None:
    assert "pigeon" in names() and "pigeon" in crosspost_names() and get("pigeon") is pigeon
    assert pigeon.required_keys == ("token", "loft") and pigeon.secret_keys == ("token",)
    assert pigeon.adapter_class() is PigeonPoster and pigeon.fake_class() is FakePigeon


def test_configuration_schedules_and_credentials_know_it(
        pigeon: PlatformSpec, sqlite_home: HomeFixture) -> None:
    from publisher.config import load_config
    from publisher.credentials import load_credentials
    from publisher.schedules import load_schedules

    toml = sqlite_home.path / "publisher.toml"
    toml.write_text(toml.read_text() + '\n[pigeon]\ndaily_cap = 2\napi_root = "https://p.it"\n')
    config = load_config(toml)
    assert config.daily_cap("pigeon") == 2 and config.api_root("pigeon") == "https://p.it"
    _write_schedule(sqlite_home)
    assert any("pigeon" in s.platforms for s in load_schedules(
        sqlite_home.path / "schedules").values())
    _credentials(sqlite_home, {"token": TOKEN, "loft": "YOUR-LOFT"})
    creds = load_credentials(sqlite_home.path / "credentials.json")
    assert creds.missing("pigeon") == ("loft",) and not creds.configured("pigeon")
    assert creds.redacted()["pigeon"]["token"] == "***"
    _credentials(sqlite_home, {"token": TOKEN, "loft": "carrara", "wings": 2})
    with pytest.raises(Exception, match=r"pigeon\.wings: unknown key"):
        load_credentials(sqlite_home.path / "credentials.json")


def test_auth_status_doctor_preview_and_plan_know_it(
        pigeon: PlatformSpec, sqlite_home: HomeFixture, media: Media) -> None:
    _write_schedule(sqlite_home)
    _credentials(sqlite_home, {"token": TOKEN, "loft": "YOUR-LOFT"})
    sqlite_home.ok(*add_args(media.video()))
    auth = sqlite_home.run("auth", "status")
    assert "pigeon" in auth.stdout and "loft not filled in" in auth.stdout, auth.output
    doctor = sqlite_home.run("doctor")
    assert "pigeon" in doctor.output and "loft" in doctor.output, doctor.output
    preview = sqlite_home.ok("preview", 1).stdout
    assert "Pigeon post" in preview and "of 120 characters" in preview
    assert "loft empty or a placeholder" in preview
    assert "pigeon" in sqlite_home.ok("plan").stdout


def test_a_text_over_its_limit_is_refused_at_the_door(
        pigeon: PlatformSpec, sqlite_home: HomeFixture, media: Media) -> None:
    _write_schedule(sqlite_home)
    before = sqlite_home.snapshot()
    result = sqlite_home.run(*add_args(media.video(), "Una lunga intervista " * 4))
    assert result.exit_code == 2 and "Pigeon post: the post is 127 characters, over the " \
        "limit of 120 by 7" in result.output, result.output
    assert sqlite_home.snapshot() == before


def test_the_sandbox_and_the_pipeline_post_to_it_once(
        pigeon: PlatformSpec, sqlite_home: HomeFixture, media: Media) -> None:
    from publisher.sandbox.platforms import SandboxPlatforms

    _write_schedule(sqlite_home)
    with SandboxPlatforms() as platforms:
        fake = platforms.pigeon
        assert isinstance(fake, FakePigeon)
        assert platforms.endpoints()["PUBLISHER_PIGEON_API_ROOT"] == fake.root
        creds = platforms.credentials(sqlite_home.path)
        assert creds["pigeon"] == {"token": TOKEN, "loft": "carrara"}
        (sqlite_home.path / "credentials.json").write_text(json.dumps(creds))
        sqlite_home.env.update(platforms.endpoints())
        sqlite_home.ok(*add_args(media.video()))
        result = sqlite_home.run("publish", 1, "--now", "--json")
        assert result.exit_code == 0, result.output
        link = next(iter(platforms.youtube.videos))
        assert len(fake.posts_with(link)) == 1 and fake.posts[0]["loft"] == "carrara"
        status = sqlite_home.run("status", "--json")
        assert status.exit_code == 0, status.output
        history = json.loads(sqlite_home.ok("history", 1, "--json").stdout)
        assert {"what": "posted", "platform": "pigeon"} in [
            {"what": e["what"], "platform": e["detail"].get("platform")} for e in history]


def test_the_sandbox_guard_refuses_its_address_in_a_real_run(pigeon: PlatformSpec) -> None:
    from publisher.guard import SandboxViolation, protect_real_mode, registered

    with FakePigeon() as fake, registered([fake.port]), \
            pytest.raises(SandboxViolation, match="PUBLISHER_PIGEON_API_ROOT"):
        protect_real_mode({"PUBLISHER_PIGEON_API_ROOT": fake.root})


def test_the_real_runs_endpoints_include_it(pigeon: PlatformSpec, sqlite_home: HomeFixture,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from publisher.config import load_config
    from publisher.credentials import load_credentials
    from publisher.pipeline.runtime import endpoints_in_use

    monkeypatch.setenv("PUBLISHER_PIGEON_API_ROOT", "http://127.0.0.1:9/")
    found = endpoints_in_use(load_config(sqlite_home.path / "publisher.toml"),
                             load_credentials(sqlite_home.path / "credentials.json"))
    assert found["PUBLISHER_PIGEON_API_ROOT"] == "http://127.0.0.1:9/"
