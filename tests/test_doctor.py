"""`publisher doctor`: checks run days ahead, pass/warn/fail with an exit status."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from publisher.sandbox.youtube import FakeYouTube
from tests.conftest import HomeFixture, Media, add_args
from tests.helpers.youtube import connect


@pytest.fixture
def yt() -> Iterator[FakeYouTube]:
    with FakeYouTube() as fake:
        yield fake


def checks(home: HomeFixture) -> tuple[int, dict[str, tuple[str, str]]]:
    result = home.run("doctor", "--json")
    data = json.loads(result.stdout)
    return result.exit_code, {c["name"]: (c["verdict"], c["detail"]) for c in data["checks"]}


def test_a_healthy_home_passes_and_notes_unconfigured_platforms(sqlite_home: HomeFixture,
                                                                media: Media,
                                                                yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video()))
    code, found = checks(sqlite_home)
    assert code == 0
    assert found["youtube credentials"][0] == "pass"
    assert found["interview 1 video"] == ("pass", found["interview 1 video"][1])
    assert "present, unchanged" in found["interview 1 video"][1]
    verdict, detail = found["mastodon credentials"]
    assert verdict == "warn" and "will be skipped" in detail
    assert found["database"][0] == "pass" and found["clock"][0] == "pass"
    text = sqlite_home.run("doctor").stdout
    assert "PASS  youtube credentials" in text and "WARN  mastodon credentials" in text


def test_problems_before_release_day_fail(sqlite_home: HomeFixture, media: Media,
                                          yt: FakeYouTube) -> None:
    connect(sqlite_home, yt)
    video = media.video()
    sqlite_home.ok(*add_args(video, "Primo", "--thumbnail", media.png("t.png")))
    video.write_bytes(b"re-exported by mistake")
    (media.folder / "t.png").unlink()
    yt.revoke_tokens()
    os.chmod(sqlite_home.path / "credentials.json", 0o644)
    code, found = checks(sqlite_home)
    assert code == 4
    assert found["youtube credentials"][0] == "fail"
    assert "publisher auth youtube" in found["youtube credentials"][1]
    assert found["interview 1 video"][0] == "fail"
    assert "changed since it was queued" in found["interview 1 video"][1]
    assert found["interview 1 thumbnail"][0] == "fail"
    assert found["file permissions"][0] == "warn"
    assert "chmod 600" in found["file permissions"][1]


@pytest.mark.parametrize("verified", [True, False])
def test_the_channel_must_be_able_to_take_custom_thumbnails(sqlite_home: HomeFixture,
                                                            media: Media,
                                                            verified: bool) -> None:
    with FakeYouTube(channel_verified=verified) as yt:
        connect(sqlite_home, yt)
        sqlite_home.ok(*add_args(media.video(), "Primo", "--thumbnail", media.png()))
        code, found = checks(sqlite_home)
    verdict, detail = found["custom thumbnails"]
    if verified:
        assert (code, verdict) == (0, "pass"), detail
    else:
        assert (code, verdict) == (4, "fail")
        assert "youtube.com/verify" in detail and "1 queued interview" in detail


def test_no_thumbnail_queued_means_no_question_to_youtube(sqlite_home: HomeFixture,
                                                         media: Media, yt: FakeYouTube
                                                         ) -> None:
    connect(sqlite_home, yt)
    sqlite_home.ok(*add_args(media.video()))
    _, found = checks(sqlite_home)
    assert found["custom thumbnails"][0] == "pass"
    assert yt.quota.spent_on("channels.list") == 0
