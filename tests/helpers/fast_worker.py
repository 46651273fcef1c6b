"""A worker process whose pipeline runs on a fast clock (tests/helpers/worker_processes.py).

    python -m tests.helpers.fast_worker HOME DB_URL CONCURRENCY TICK_CRON WALL_T0 FAKE_T0 SPEED

What `publisher worker` runs (`serve` with the home's Deployment), with two test settings:
each job's Runtime gets the fast clock, and the engine's tick and retry_stalled run on
TICK_CRON (seconds allowed: "*/2 * * * * *") instead of every minute.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import sys
from pathlib import Path

from publisher.home import Home
from publisher.pipeline.runtime import Runtime
from publisher.workers.app import build_app, serve
from publisher.workers.deployment import Deployment
from tests.helpers.worker_processes import FastClock


def main(argv: list[str]) -> None:
    home_path, db_url, concurrency, tick_cron, wall_t0, fake_t0, speed = argv
    clock = FastClock(float(wall_t0), dt.datetime.fromisoformat(fake_t0), float(speed))

    def prepare(rt: Runtime) -> None:
        rt.clock = clock

    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s %(process)d %(name)s %(levelname)s %(message)s")
    logging.getLogger("procrastinate").setLevel(logging.WARNING)
    deployment = Deployment(Home.resolve(Path(home_path), db_url), prepare=prepare)
    app = build_app(db_url, tick_cron=tick_cron, pool_size=int(concurrency) + 2)
    asyncio.run(serve(app, deployment, int(concurrency)))


if __name__ == "__main__":
    main(sys.argv[1:])
