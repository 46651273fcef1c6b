"""The rehearsal: its outcome read from the sandbox platforms' side, and the command itself."""

from __future__ import annotations

from pathlib import Path

from publisher.sandbox.rehearsal import INTERVIEWS, rehearse
from tests.conftest import invoke


def test_rehearsal_publishes_everything_once_on_every_platform(tmp_path: Path) -> None:
    outcome = rehearse(tmp_path / "demo", weeks=3)
    titles = [title for title, *_ in INTERVIEWS]
    assert sorted(v["title"] for v in outcome.videos) == sorted(titles)
    assert all(v["privacy"] == "public" and v["publish_at"] for v in outcome.videos)
    assert all(v["captions"] == ["en", "it"] for v in outcome.videos)
    for platform in ("mastodon", "bluesky", "telegram"):
        texts = [p["text"] for p in outcome.posts[platform]]
        assert len(texts) == len(titles), platform
        for video in outcome.videos:
            assert sum(video["url"] in t for t in texts) == 1, (platform, video["url"])
    assert [state for _, _, state in outcome.calendar] == ["published"] * 3
    slots = [slot for slot, _, _ in outcome.calendar]
    assert all("18:00" in s for s in slots) and len(set(slots)) == 3


def test_demo_command_runs_and_exits_0(tmp_path: Path) -> None:
    result = invoke("demo", "--home", str(tmp_path / "d"), "--weeks", "2")
    assert result.exit_code == 0, result.output
    assert "SANDBOX" in result.stdout and "YouTube received:" in result.stdout
    again = invoke("demo", "--home", str(tmp_path / "d"))
    assert again.exit_code == 2 and "already a publisher home" in again.stderr
