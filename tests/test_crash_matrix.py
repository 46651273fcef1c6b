"""The crash matrix (tests/crash_matrix.py) in CI: a reduced set of kill points, chosen to
touch every kind of step, plus random-time kills. `PUBLISHER_CRASH_MATRIX=full` runs every
traced point (the figures in the README come from `python -m tests.crash_matrix --full`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.crash_matrix import (
    Case,
    Sample,
    World,
    cases_from,
    judge,
    make_samples,
    mid_chunk_cases,
    random_cases,
    run_world,
    summary,
    trace_timeline,
    worlds,
)

PACKAGE = Path(__file__).resolve().parents[1] / "publisher"
FULL = os.environ.get("PUBLISHER_CRASH_MATRIX") == "full"

#: One kill per kind of moment: run 0 stages interview 1; run 1 stages interview 2, releases
#: interview 1 and cross-posts it; run 2 releases and cross-posts interview 2, corrects
#: interview 1 on YouTube and edits its posts; run 3 (`sync 1 --replace x --replace
#: bluesky`) replaces two of its posts; run 4 (`withdraw 2`) makes interview 2's video
#: private and deletes its posts; run 5 (`republish 2`) puts it back and posts anew. Four
#: kills a run: four worlds of six kills each (the cost of the three-run timeline's eight).
REDUCED = [
    Case(0, "upload.session_saved@1"),
    Case(0, "upload.chunk_saved@2"),
    Case(0, "upload.finished_not_recorded@1"),
    Case(0, "captions.sent@2"),
    Case(1, "release.before@1"),
    Case(1, "release.confirmed@1"),
    Case(1, "crosspost.telegram.sent@1"),
    Case(1, mid_chunk=3),
    Case(2, "correction.sent@1"),
    Case(2, "correction.recorded@1"),  # recorded, killed before its lease was given back
    Case(2, "correction.captions.sent@2"),  # French inserted, not recorded: found by name
    Case(2, "correction.captions.sent@3"),  # Italian replaced, not recorded: lastUpdated
    Case(2, "correction.playlist.sent@1"),  # moved, not recorded: found in the new one
    Case(2, "correction.thumbnail.before@1"),
    Case(2, "post_edit.mastodon.sent@1"),
    Case(2, "post_edit.telegram.recorded@1"),  # the last record, with the lease in it
    Case(3, "post_replace.x.delete_sent@1"),  # deleted, not recorded: deleted again
    Case(3, "post_replace.x.deleted@1"),      # pending: posted once
    Case(3, "crosspost.x.sent@1"),            # the new post out, not recorded: looked up
    Case(3, "post_replace.bluesky.posted@1"),
    Case(4, "withdraw.intent@1"),
    Case(4, "withdraw.video_sent@1"),
    Case(4, "withdraw.delete_intent@3"),
    Case(4, "withdraw.delete_sent@5"),
    Case(5, "republish.intent@1"),
    Case(5, "republish.video_sent@1"),
    Case(5, "db.before_commit@9"),             # posts pending and the state, one commit
    Case(5, "crosspost.facebook.sent@1"),
]


@pytest.fixture(scope="module")
def samples(tmp_path_factory: pytest.TempPathFactory) -> list[Sample]:
    return make_samples(tmp_path_factory.mktemp("crash-samples"))


@pytest.fixture(scope="module")
def traced(samples: list[Sample], tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[tuple[list[list[str]], list[float], World]]:
    """One clean pass of the timeline, traced: every crash point each run reaches."""
    with World(tmp_path_factory.mktemp("traced"), samples) as world:
        traces = trace_timeline(world)
        yield traces, [r.seconds for r in world.runs], world


def test_the_reduced_set_kills_each_run_of_the_timeline_each_point_once() -> None:
    """The quick loop's check of this module (the timeline below takes half a minute): the
    reduced set names each of the six runs, no kill twice, and no world of over six kills."""
    assert {c.run for c in REDUCED} == set(range(6))
    labels = [c.label for c in REDUCED]
    assert len(set(labels)) == len(labels), labels
    assert all(c.point or c.mid_chunk for c in REDUCED)
    assert sorted(c.label for group in worlds(REDUCED) for c in group) == sorted(labels)
    assert max(len(group) for group in worlds(REDUCED)) <= 6


# The three checks of the traced timeline run it once (a World, six real runs): CI's plain
# `pytest` runs them, the quick loop leaves them out.
@pytest.mark.slow
def test_a_clean_timeline_publishes_everything_once(traced: tuple[list[list[str]],
                                                                  list[float], World]) -> None:
    _, _, world = traced
    world.run_ok(world.settle_at)
    verdict = judge(world, [], kills=0)
    assert verdict.ok, verdict.problems
    assert verdict.videos == 2 and verdict.resent_bytes == 0


@pytest.mark.slow
def test_every_crash_point_in_the_code_is_reached(traced: tuple[list[list[str]],
                                                                list[float], World]) -> None:
    """A crash point the timeline never reaches would be a hole in the matrix."""
    traces, _, _ = traced
    from publisher.platforms.spec import crossposters

    reached = {name for run in traces for name in run}
    source = "\n".join(p.read_text() for p in PACKAGE.rglob("*.py"))
    named = set(re.findall(r'crash_point\("([^"]+)"\)', source))
    # Points named per platform: crosspost.{platform}.*, post_edit.{platform}.* (the
    # platforms that edit in place), post_replace.{platform}.* (those that do not).
    per_platform: dict[str, set[str]] = {}
    for family, point in re.findall(r'crash_point\(f"(\w+)\.\{platform\}\.(\w+)"\)', source):
        per_platform.setdefault(family, set()).add(point)
    assert named and set(per_platform) == {"crosspost", "post_edit", "post_replace"}
    platforms = {"crosspost": [p.name for p in crossposters()],
                 "post_edit": [p.name for p in crossposters() if p.can_edit],
                 "post_replace": [p.name for p in crossposters() if not p.can_edit]}
    named |= {f"{family}.{p}.{point}" for family, points in per_platform.items()
              for p in platforms[family] for point in points}
    assert named <= reached, f"never reached: {sorted(named - reached)}"
    cases = cases_from(traces)
    assert len(cases) >= 50, f"only {len(cases)} kill points in the full matrix"


@pytest.mark.slow
def test_the_reduced_set_is_in_the_trace(traced: tuple[list[list[str]], list[float],
                                                       World]) -> None:
    traces, _, _ = traced
    labels = {(c.run, c.point) for c in cases_from(traces)}
    missing = [c.label for c in REDUCED if c.point and (c.run, c.point) not in labels]
    assert not missing, f"not reached by the timeline: {missing}"


@pytest.mark.skipif(FULL, reason="the full matrix below covers these")
@pytest.mark.parametrize("cases", worlds(REDUCED),
                         ids=lambda cs: "+".join(f"run{c.run}-{c.point or f'chunk{c.mid_chunk}'}"
                                                 for c in cs))
@pytest.mark.slow
def test_kill_restart_and_judge(cases: list[Case], samples: list[Sample]) -> None:
    verdict = run_world(samples, cases)
    assert verdict.kills == len(cases), f"{verdict.label}: only {verdict.kills} kills"
    assert verdict.ok, f"{verdict.label}: {verdict.problems}"
    if any(c.point == "crosspost.telegram.sent@1" for c in cases):
        assert "telegram#1" in verdict.attention, verdict.attention


@pytest.mark.slow
def test_random_time_kills(samples: list[Sample], traced: tuple[list[list[str]],
                                                               list[float], World]) -> None:
    _, durations, _ = traced
    cases = random_cases(durations, 4, seed=7)
    verdicts = [run_world(samples, group) for group in worlds(cases)]
    assert all(v.ok for v in verdicts), [(v.label, v.problems) for v in verdicts]
    print("\n" + summary(verdicts))


@pytest.mark.slow
@pytest.mark.skipif(not FULL, reason="set PUBLISHER_CRASH_MATRIX=full (about an hour on one core)")
def test_full_matrix(samples: list[Sample], traced: tuple[list[list[str]], list[float],
                                                         World]) -> None:
    traces, durations, _ = traced
    cases = cases_from(traces) + mid_chunk_cases() + random_cases(durations, 20, seed=2026)
    verdicts = [run_world(samples, group) for group in worlds(cases)]
    print("\n" + summary(verdicts))
    failing = [(v.label, v.problems) for v in verdicts if not v.ok]
    assert not failing, failing
