"""Random queues in a real database's shape, for the tests that compare a plan made from the
head of the queue with the plan made from all of it (test_queue_snapshot, test_head_plan)."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from publisher.pipeline.planning import PlanningContext
from publisher.schedules import Schedule, Slot

NOW = dt.datetime(2026, 11, 25, 9, 0, tzinfo=dt.UTC)
STATES = ("queued",) * 6 + ("held", "staging", "staged", "released", "published",
                            "needs_attention", "cancelled")


def context(rng: random.Random) -> PlanningContext:
    schedules = {}
    for name in ("a", "b")[: rng.randint(1, 2)]:
        slots = tuple(sorted(rng.sample([Slot(d, dt.time(h)) for d in range(7)
                                         for h in (9, 18)], rng.randint(1, 5)),
                             key=lambda s: (s.weekday, s.time)))
        schedules[name] = Schedule(name=name, path=Path(f"{name}.toml"),
                                   timezone="Europe/Rome", slots=slots,
                                   per_week=rng.randint(1, len(slots)),
                                   lead_time=dt.timedelta(hours=rng.choice((1, 48, 150))))
    config = SimpleNamespace(
        campaign=SimpleNamespace(default_schedule=rng.choice([None, "a"])),
        youtube=SimpleNamespace(daily_uploads=rng.choice((1, 2, 100))))
    return SimpleNamespace(schedules=schedules, config=config)  # type: ignore[return-value]


def rows(rng: random.Random, n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(1, n + 1):
        state = rng.choice(STATES)
        slot_at = None
        if state not in ("queued", "held") or rng.random() < 0.1:
            slot_at = NOW + dt.timedelta(hours=rng.randint(-24 * 12, 24 * 12))
        not_before = None
        if rng.random() < 0.4:
            not_before = NOW + dt.timedelta(hours=rng.randint(-48, 24 * 40))
        out.append({
            "id": i, "position": rng.randint(1, n), "state": state, "video_path": f"/v/{i}.mp4",
            "video_size": 1, "video_sha256": f"{i:064x}", "video_duration_s": 60.0,
            "video_width": 1920, "video_height": 1080, "video_codec": "h264",
            "container_format": "mp4", "title": f"Intervista {i}", "language": "it",
            "schedule": rng.choice([None, None, "a", "b", "gone"]), "not_before": not_before,
            "slot_at": slot_at})
    return out
