"""`publisher run`: APScheduler as a clock, nothing more.

One in-memory job, re-armed after every tick for the next instant anything is due (an
upload start, a slot, a retry), or after `max_sleep` at the latest so that interviews
queued meanwhile are seen. No business state lives in the scheduler: every tick calls
`run_due(now)`, which decides from the database.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from publisher.pipeline.run_due import RunReport, run_due
from publisher.pipeline.runtime import Runtime

log = logging.getLogger("publisher.daemon")
MAX_SLEEP = dt.timedelta(minutes=5)
# After SIGTERM, work in progress gets this long to reach a checkpoint (an upload stops
# between chunks). A chunk still in flight then is abandoned: the session URI and offset are
# in the database, and the next start asks YouTube where the upload stands.
STOP_TIMEOUT_S = 5.0

# misfire_grace_time=None: a tick that fires late (the laptop slept) still runs; dropping it
#   is what loses posts in other tools. coalesce=True: several missed ticks run once (run_due
#   catches up by itself). max_instances=1: never two ticks at once in this process.
# After a failed tick (the database busy, full or unreachable; a bug), the first retry comes
# this soon, then twice as late each time, up to max_sleep.
RETRY_FIRST = dt.timedelta(seconds=1)

JOB_DEFAULTS = {"misfire_grace_time": None, "coalesce": True, "max_instances": 1}


class Daemon:
    def __init__(self, rt: Runtime, *, max_sleep: dt.timedelta = MAX_SLEEP,
                 describe: Callable[[RunReport], str] | None = None) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.jobstores.memory import MemoryJobStore
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.rt = rt
        self.max_sleep = max_sleep
        self.describe = describe
        self.stopping = threading.Event()
        rt.should_stop = self.stopping.is_set
        self.scheduler = BlockingScheduler(
            jobstores={"default": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults=JOB_DEFAULTS, timezone=dt.UTC)
        self.ticks = 0
        self.failures = 0  # consecutive failed ticks, for the backoff

    def tick(self) -> None:
        if self.stopping.is_set():
            return
        now = self.rt.clock()
        try:
            report = run_due(self.rt, now)
            self._heartbeat(now, report)
        except Exception as exc:
            self._failed(now, exc)
            return
        self.failures = 0
        self.ticks += 1
        for action in report.actions:
            log.info("%s", action.describe())
        wake = report.next_wake
        cap = now + self.max_sleep
        target = min(wake, cap) if wake else cap
        if self.describe is not None:
            log.info("%s", self.describe(report))
        self._arm(target)

    def _failed(self, now: dt.datetime, exc: Exception) -> None:
        """Never die: log, and try again after a backoff (1 s, 2 s, 4 s … up to max_sleep).

        Every step of run_due commits on its own or not at all, and run_due is idempotent, so
        running it again after a failure (the database busy, full, or restarting) neither
        loses nor repeats work. A database problem is one line in the log; anything else
        keeps its traceback.
        """
        from publisher.store.db import database_problem

        self.failures += 1
        delay = min(self.max_sleep, RETRY_FIRST * 2 ** min(self.failures - 1, 20))
        problem = database_problem(exc)
        if problem is not None:
            log.warning("run_due failed: %s (trying again in %s s)", problem,
                        f"{delay.total_seconds():g}")
        else:
            log.exception("run_due failed (trying again in %s s)", f"{delay.total_seconds():g}")
        # From the clock after the failure: waiting out a busy timeout took time already.
        self._arm(max(now, self.rt.clock()) + delay)

    def _heartbeat(self, now: dt.datetime, report: RunReport) -> None:
        """What `publisher status` shows: alive when, next wake, which process."""
        from publisher.pipeline import state

        with self.rt.transaction() as s:
            state.put(s, "daemon", {
                "owner": self.rt.owner, "heartbeat": now.isoformat(),
                "next_wake": report.next_wake.isoformat() if report.next_wake else None},
                now)

    def _arm(self, when: dt.datetime) -> None:
        if self.stopping.is_set():
            return
        self.scheduler.add_job(self.tick, "date", run_date=when, id="tick",
                               replace_existing=True)

    def stop(self, *_: Any) -> None:
        """SIGTERM/SIGINT: an upload checkpoints between chunks; the next start resumes it."""
        if self.stopping.is_set():
            return
        log.info("stopping: the work in progress saves its place")
        self.stopping.set()

        def shut_down() -> None:
            done = threading.Event()

            def wait() -> None:
                self.scheduler.shutdown(wait=True)
                done.set()

            threading.Thread(target=wait, daemon=True).start()
            if not done.wait(STOP_TIMEOUT_S):
                log.warning("stopping now, in the middle of a request; the next start "
                            "resumes from where YouTube says the upload stands")
                os._exit(0)

        threading.Thread(target=shut_down, daemon=True).start()

    def run(self, *, handle_signals: bool = True) -> None:
        """Tick now, then at every wake, until stopped. Without `handle_signals` (a daemon
        run in a thread, as tests do) it runs until `scheduler.shutdown()`."""
        if handle_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        self._arm(self.rt.clock())
        self.scheduler.start()
