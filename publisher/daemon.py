"""`publisher run`: APScheduler as a clock, nothing more.

One in-memory job, re-armed after every tick for the next instant anything is due (an
upload start, a slot, a retry), or after `max_sleep` at the latest so that interviews
queued meanwhile are seen. No business state lives in the scheduler: every tick calls
`run_due(now)`, which decides from the database.

One daemon per home: it claims the home when it starts (a second one is refused, naming the
first), beats every minute, and marks its stop (services/daemon_claim.py).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from publisher.pipeline.run_due import RunReport, run_due
from publisher.pipeline.runtime import Runtime
from publisher.services.daemon_claim import DaemonAlreadyRunning, beat, claim, release

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
# The heartbeat's rhythm, between ticks too (services/status.py STALE_AFTER is the limit).
HEARTBEAT_EVERY = dt.timedelta(minutes=1)

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
        self.started_at: dt.datetime | None = None  # when this daemon claimed the home
        self.next_wake: dt.datetime | None = None
        self.refused: DaemonAlreadyRunning | None = None

    def tick(self) -> None:
        if self.stopping.is_set():
            return
        now = self.rt.clock()
        try:
            if self.started_at is None:
                try:
                    self._claim(now)
                except DaemonAlreadyRunning as exc:
                    self.refused = exc
                    self.stopping.set()
                    self.scheduler.shutdown(wait=False)
                    return
            report = run_due(self.rt, now)
            self.next_wake = report.next_wake
            self._heartbeat(now)
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

    def _claim(self, now: dt.datetime) -> None:
        """One daemon per home (services/daemon_claim.py): claim it, or raise
        DaemonAlreadyRunning naming the daemon that holds it."""
        with self.rt.transaction() as s:
            claim(s, self.rt.owner, now)
        self.started_at = now
        threading.Thread(target=self._beat_every_minute, name="heartbeat", daemon=True).start()

    def _heartbeat(self, now: dt.datetime) -> None:
        """What `publisher status` shows: alive when, next wake, which process. A daemon
        whose home another one took over (this one was silent too long) stops."""
        if self.started_at is None:
            return
        with self.rt.transaction() as s:
            ours = beat(s, self.rt.owner, now, self.started_at, self.next_wake)
        if not ours and not self.stopping.is_set():
            log.error("another daemon has taken this home over (this one was silent for "
                      "too long); stopping")
            self.stop()

    def _beat_every_minute(self) -> None:
        """Beats between ticks too, so that a long upload never looks like a dead daemon."""
        while not self.stopping.wait(HEARTBEAT_EVERY.total_seconds()):
            try:
                self._heartbeat(self.rt.clock())
            except Exception as exc:  # the database away for a moment: the next beat
                log.warning("heartbeat not written: %s", exc)

    def _release(self) -> None:
        if self.started_at is None:
            return
        try:
            with self.rt.transaction() as s:
                release(s, self.rt.owner, self.rt.clock())
        except Exception as exc:  # stopping anyway; the next daemon takes over when stale
            log.warning("could not mark this daemon stopped: %s", exc)

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
                from apscheduler.schedulers import SchedulerNotRunningError

                with contextlib.suppress(SchedulerNotRunningError):  # stopped while starting
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
        from publisher.store.db import database_problem

        if handle_signals:
            signal.signal(signal.SIGTERM, self.stop)
            signal.signal(signal.SIGINT, self.stop)
        try:  # before anything starts; a database away for now: the first tick claims
            self._claim(self.rt.clock())
        except DaemonAlreadyRunning:
            raise
        except Exception as exc:
            problem = database_problem(exc)
            if problem is None:
                raise
            log.warning("the home is not claimed yet: %s (the first tick tries again)",
                        problem)
        if self.stopping.is_set():  # stopped while claiming
            self._release()
            return
        self._arm(self.rt.clock())
        try:
            self.scheduler.start()
        finally:
            self.stopping.set()
            self._release()
        if self.refused is not None:
            raise self.refused
