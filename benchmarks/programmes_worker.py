"""One worker process for benchmarks/programmes.py: drains the queues, then exits.

What `publisher worker` runs (publisher/workers/app.py: the App, the Deployment, a thread per
job), with no periodic tick of its own (the benchmark defers the tick), the jobs kept (their
events time the run) and a short polling interval. `wait=False` returns as soon as a look
finds nothing waiting, even while another worker's plan is about to defer more: the process
looks again until no job waits or runs. Prints its memory as JSON on the last line.

    python benchmarks/programmes_worker.py HOME DATABASE_URL CONCURRENCY
"""

from __future__ import annotations

import asyncio
import json
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

NEVER = "0 0 1 1 *"  # no periodic deferral at the real time: the benchmark defers the tick


def memory() -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) of this process, in MiB."""
    found = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0]) / 1024
    return found


async def drain(home_dir: str, url: str, concurrency: int) -> dict[str, float]:
    from publisher.home import Home
    from publisher.workers import tasks
    from publisher.workers.app import build_app, worker_options
    from publisher.workers.deployment import Deployment

    asyncio.get_running_loop().set_default_executor(
        ThreadPoolExecutor(max_workers=concurrency + 2, thread_name_prefix="publisher-job"))
    deployment = Deployment(Home.resolve(home_dir, url))
    app = build_app(url, tick_cron=NEVER, pool_size=concurrency + 2)
    options = worker_options(deployment, concurrency, "benchmark", wait=False,
                             listen_notify=False, delete_jobs="never",
                             fetch_job_polling_interval=0.05, install_signal_handlers=False)
    try:
        async with app.open_async():
            while True:
                await app.run_worker_async(**options)
                async with app.connector.pool.connection() as conn:  # type: ignore[attr-defined]
                    cur = await conn.execute(
                        "SELECT count(*) FROM procrastinate_jobs WHERE status IN "
                        "('todo', 'doing') AND queue_name = ANY(%s)", [list(tasks.QUEUES)])
                    row = await cur.fetchone()
                if not row or not row[0]:
                    break
                await asyncio.sleep(0.05)
        return memory()
    finally:
        deployment.close()


def main() -> None:
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    home_dir, url, concurrency = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print(json.dumps(asyncio.run(drain(home_dir, url, concurrency))))


if __name__ == "__main__":
    main()
