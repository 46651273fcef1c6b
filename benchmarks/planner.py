"""Planner scale: 10,000 queued interviews over a year of slots.

Target (issue): under a second. Reported beside a reference in the same run: sorting the
same 10,000 items by (position, id), the least any planner must do with them.

    python benchmarks/planner.py [--items 10000] [--weeks 52] [--repeat 7]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import time
from pathlib import Path

from publisher.cadence import PlanItem, make_plan
from publisher.schedules import Blackout, Schedule, Slot


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--json-out", type=Path)
    args = parser.parse_args()
    schedule = Schedule(
        name="studi-aperti", path=Path("studi-aperti.toml"), timezone="Europe/Rome",
        slots=(Slot(1, dt.time(18)), Slot(4, dt.time(18))), per_week=2,
        blackouts=(Blackout(dt.date(2026, 12, 24), dt.date(2027, 1, 6)),))
    now = dt.datetime(2026, 11, 25, 5, 0, tzinfo=dt.UTC)
    items = [PlanItem(i, f"Intervista {i}", i,
                      not_before=now + dt.timedelta(days=i % 30) if i % 7 == 0 else None)
             for i in range(args.items, 0, -1)]
    horizon = dt.timedelta(weeks=args.weeks)

    def timed(fn: object) -> list[float]:
        assert callable(fn)
        out = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
        return out

    reference = timed(lambda: sorted(items, key=lambda i: (i.position, i.id)))
    planner = timed(lambda: make_plan({"studi-aperti": schedule}, items, now, horizon,
                                      daily_uploads=100))
    plan = make_plan({"studi-aperti": schedule}, items, now, horizon)
    filled = sum(1 for e in plan.entries if e.interview is not None)
    ref_m, plan_m = statistics.median(reference), statistics.median(planner)
    print(f"{args.items:,} queued interviews, {args.weeks} weeks, {len(plan.entries)} slots "
          f"({filled} filled)")
    print(f"  reference (sort the items)  median {ref_m * 1000:8.2f} ms")
    print(f"  make_plan                   median {plan_m * 1000:8.2f} ms  "
          f"({plan_m / ref_m:.1f}x the reference)")
    verdict = "PASS" if plan_m < 1.0 else "MISS"
    print(f"  {verdict}  planning under 1 s")
    if args.json_out:
        args.json_out.write_text(json.dumps({"items": args.items, "weeks": args.weeks,
                                             "slots": len(plan.entries),
                                             "reference_median_s": ref_m,
                                             "plan_median_s": plan_m}, indent=2))


if __name__ == "__main__":
    main()
