"""The rehearsal: its outcome read from the sandbox platforms' side, and the command itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from publisher.sandbox.rehearsal import INTERVIEWS, Outcome, rehearse
from tests.conftest import invoke

TITLES = [title for title, *_ in INTERVIEWS]


def assert_everything_published_once(outcome: Outcome) -> None:
    assert sorted(v["title"] for v in outcome.videos) == sorted(TITLES)
    assert all(v["privacy"] == "public" and v["publish_at"] for v in outcome.videos)
    assert all(v["captions"] == ["en", "it"] for v in outcome.videos)
    for platform in ("mastodon", "bluesky", "telegram"):
        texts = [p["text"] for p in outcome.posts[platform]]
        assert len(texts) == len(TITLES), platform
        for video in outcome.videos:
            assert sum(video["url"] in t for t in texts) == 1, (platform, video["url"])
    assert [state for _, _, state in outcome.calendar] == ["published"] * 3
    slots = [slot for slot, _, _ in outcome.calendar]
    assert all("18:00" in s for s in slots) and len(set(slots)) == 3


def test_rehearsal_publishes_everything_once_on_every_platform(tmp_path: Path) -> None:
    outcome = rehearse(tmp_path / "demo", weeks=3)
    assert_everything_published_once(outcome)
    assert not any(outcome.failures.values()), outcome.failures


@pytest.mark.slow
def test_rehearsal_with_faults_recovers_from_each(tmp_path: Path) -> None:
    """The faults really happened (the platforms' request logs show the failed answers),
    and still: every video once, intact, every post once."""
    outcome = rehearse(tmp_path / "demo", weeks=3, faults=True)
    assert_everything_published_once(outcome)
    assert outcome.failures["youtube"].count("dropped") == 1
    assert outcome.failures["youtube"].count("503") == 1
    assert outcome.failures["mastodon"] == ["dropped"]
    assert outcome.failures["bluesky"] == ["429"]
    assert outcome.failures["telegram"] == ["429"]
    assert len(outcome.recoveries) == 5
    # Each post fault is told with its journal, not as "not hit".
    for platform in ("Mastodon", "Bluesky", "Telegram"):
        line = next(r for r in outcome.recoveries if r.startswith(platform))
        assert "not hit" not in line and "retry at " in line, line


@pytest.mark.slow
def test_demo_command_runs_and_exits_0(tmp_path: Path) -> None:
    result = invoke("demo", "--home", str(tmp_path / "d"), "--weeks", "2", "--faults")
    assert result.exit_code == 0, result.output
    assert "SANDBOX" in result.stdout and "YouTube received" in result.stdout
    assert "Faults injected, and what recovered from them:" in result.stdout
    # Plain words: a rehearsal, and links that lead nowhere.
    assert "this is a rehearsal. Nothing is published" in result.stdout
    assert "the links it shows lead nowhere" in result.stdout
    # Every line on the simulated clock, in the campaign's time zone (Rome).
    lines = [ln for ln in result.stdout.splitlines() if "interview 1:" in ln]
    assert lines and all(re.match(r"\w{3} \d{4}-\d\d-\d\d \d\d:\d\d CET  ", ln)
                         for ln in lines), lines
    simulated = {ln[4:14] for ln in lines}
    for moment in re.findall(r"retry after (\d{4}-\d\d-\d\d)", result.stdout):
        assert moment in simulated, (moment, simulated)  # not the real clock's date
    assert f"--home {tmp_path / 'd'} queue list --state all" in result.stdout
    again = invoke("demo", "--home", str(tmp_path / "d"))
    assert again.exit_code == 2 and "already a publisher home" in again.stderr


def test_progress_is_a_bar_on_a_terminal_and_lines_otherwise(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io
    import sys

    from publisher.cli.demo_cmd import _progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, bar in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr(sys, "stdout", stream)
        with _progress() as progress:
            progress("Tue 2026-12-01 17:00 UTC  release interview 1: released", 0.5)
            progress(None, 1.0)
        text = stream.getvalue()
        assert "release interview 1: released" in text
        assert ("simulated weeks" in text) is bar, text
