"""Planner scale: a year of slots for 10,000 interviews, ten years for 50,000 with dates.

Rows (median CPU time of --repeat runs each, in this process):

    reference: sort 10k            sorting 10,000 items by (position, id): the least any
                                   planner must do with them
    plan 10k × 52 weeks            make_plan, some interviews with not-before dates, a
                                   Christmas blackout, the daily upload quota
    plan 50k × 520 weeks, no dates
    plan 50k × 520 weeks, dates in random order     not-before dates spread over the horizon,
                                                    independent of the queue order
    plan 50k × 520 weeks, dates against the queue   the first in the queue comes out last

Targets (issue 13): the 10k plan under a second; each 50k plan with dates within 2× the one
without. With `--compare-with PYTHON` every row is also measured with another checkout's
Python (benchmarks/compare.py) and the before/after ratios printed.

    python benchmarks/planner.py [--repeat 5] [--compare-with ../base/.venv/bin/python]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from publisher.cadence import PlanItem, make_plan
from publisher.schedules import Blackout, Schedule, Slot

NOW = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)
SCHEDULE = Schedule(
    name="studi-aperti", path=Path("studi-aperti.toml"), timezone="Europe/Rome",
    slots=(Slot(1, dt.time(18)), Slot(4, dt.time(18))), per_week=2,
    blackouts=(Blackout(dt.date(2026, 12, 24), dt.date(2027, 1, 6)),))


def year_items(n: int) -> list[PlanItem]:
    """The original case: every 7th interview waits up to a month."""
    return [PlanItem(i, f"Intervista {i}", i,
                     not_before=NOW + dt.timedelta(days=i % 30) if i % 7 == 0 else None)
            for i in range(n, 0, -1)]


def decade_items(n: int, horizon: dt.timedelta, dates: str) -> list[PlanItem]:
    """n interviews; dates: "none", "random" (spread over the horizon in an order unrelated
    to the queue's) or "against" (the first in the queue has the latest date)."""
    def date(i: int) -> dt.datetime | None:
        if dates == "none":
            return None
        share = ((i * 7919) % n) / n if dates == "random" else (n - i) / n
        return NOW + horizon * share
    return [PlanItem(i, f"Intervista {i}", i, not_before=date(i)) for i in range(n, 0, -1)]


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of fn (process time: waiting for a core on a busy machine does not
    count; the garbage collector's work does)."""
    out = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        out.append(time.process_time() - t0)
    return statistics.median(out)


def measure(args: argparse.Namespace) -> dict[str, float]:
    schedules = {"studi-aperti": SCHEDULE}
    rows: dict[str, float] = {}
    small = year_items(args.items)
    year = dt.timedelta(weeks=args.weeks)
    rows[f"reference: sort {args.items // 1000}k"] = median_time(
        lambda: sorted(small, key=lambda i: (i.position, i.id)), args.repeat)
    rows[f"plan {args.items // 1000}k × {args.weeks} weeks"] = median_time(
        lambda: make_plan(schedules, small, NOW, year, daily_uploads=100), args.repeat)
    decade = dt.timedelta(weeks=args.big_weeks)
    big = f"plan {args.big_items // 1000}k × {args.big_weeks} weeks"
    for dates, label in (("none", "no dates"), ("random", "dates in random order"),
                         ("against", "dates against the queue")):
        items = decade_items(args.big_items, decade, dates)
        rows[f"{big}, {label}"] = median_time(
            lambda items=items: make_plan(schedules, items, NOW, decade),  # type: ignore[misc]
            max(1, args.repeat // 2))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--big-items", type=int, default=50_000)
    parser.add_argument("--big-weeks", type=int, default=520)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare-with", metavar="PYTHON",
                        help="also measure every row with this Python (another checkout's "
                             "virtualenv) and print before/after ratios")
    parser.add_argument("--rounds", type=int, default=3,
                        help="with --compare-with: alternate runs of each checkout (default 3)")
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    if args.compare_with:
        sys.path.insert(0, str(Path(__file__).parent))
        from compare import compare, strip_compare_args

        result = compare(__file__, strip_compare_args(sys.argv[1:]), args.compare_with,
                         rounds=args.rounds)
        if args.json_out:
            args.json_out.write_text(json.dumps({"compare": result}, indent=2))
        return
    rows = measure(args)
    ref = rows[f"reference: sort {args.items // 1000}k"]
    width = max(len(r) for r in rows)
    print(f"{'row':<{width}}  {'median ms':>10}  × reference")
    for row, seconds in rows.items():
        print(f"{row:<{width}}  {seconds * 1000:>10.2f}  {seconds / ref:>10.1f}")
    small_plan = rows[f"plan {args.items // 1000}k × {args.weeks} weeks"]
    print(f"  {'PASS' if small_plan < 1.0 else 'MISS'}  the {args.items:,} plan under 1 s")
    big = f"plan {args.big_items // 1000}k × {args.big_weeks} weeks"
    plain = rows[f"{big}, no dates"]
    for label in ("dates in random order", "dates against the queue"):
        ratio = rows[f"{big}, {label}"] / plain
        print(f"  {'PASS' if ratio <= 2 else 'MISS'}  {label}: {ratio:.2f}× the plan without "
              "dates (target ≤ 2×)")
    if args.json_out:
        args.json_out.write_text(json.dumps({"rows": rows}, indent=2))


if __name__ == "__main__":
    main()
