"""Who runs the home's work, and whether it is late: the daemon (`publisher run`, a heartbeat
every minute) or `publisher run-due` from cron or a timer (every five minutes, as the README
sets it up). Either is healthy while it keeps its rhythm; a home whose daemon stopped and
whose run-due is silent needs the organizer. A home that nothing has run yet is new, not
late: it is said, not counted as waiting on anyone. Nor is a home whose last run is recorded
later than now: a rehearsal's simulated clock ran it (`publisher demo`), or this computer's
clock was set back; whether anything runs it now cannot be told from that record.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

#: Longer than this since the last `run-due` (and no daemon alive): the cron job or timer
#: stopped. The README's timer runs every five minutes: this is six of them missed.
RUN_DUE_LATE_AFTER = dt.timedelta(minutes=30)


class RunnerState(enum.StrEnum):
    DAEMON = "daemon"                  # a daemon is alive
    RUN_DUE = "run_due"                # no daemon, but run-due ran recently
    NEVER_RAN = "never_ran"            # nothing has run this home yet
    DAEMON_STOPPED = "daemon_stopped"  # a daemon ran once; it stopped, and no run-due since
    RUN_DUE_LATE = "run_due_late"      # run-due ran once, longer ago than expected
    RUN_DUE_AHEAD = "run_due_ahead"    # the last run is recorded later than now


#: A daemon's own runs move run-due's last look too: one this close after the last
#: heartbeat was the daemon's (it sleeps at most five minutes between runs).
_DAEMON_RUNS_WITHIN = dt.timedelta(minutes=15)

#: A last run later than now by more than this is a simulated clock's, or a clock set back
#: (less: two machines' clocks a little apart).
AHEAD_AFTER = dt.timedelta(minutes=5)
#: What such a last run means, for people.
AHEAD = ("later than now: a rehearsal's simulated clock ran this home (`publisher demo`), "
         "or this computer's clock was set back")

#: What resolves a late runner.
FIX = ("start the daemon again (`publisher run`, or its systemd service), or check the cron "
       "job or timer that runs `publisher run-due`")

#: The states that wait on the organizer.
LATE = frozenset({RunnerState.DAEMON_STOPPED, RunnerState.RUN_DUE_LATE})


@dataclass(frozen=True)
class Runner:
    state: RunnerState
    daemon_beat: dt.datetime | None     # the daemon's last heartbeat
    run_due_at: dt.datetime | None      # the instant the last run (daemon or run-due) ran for

    @property
    def healthy(self) -> bool:
        return self.state not in LATE

    @property
    def last_seen(self) -> dt.datetime | None:
        """The latest sign of life of either."""
        seen = [t for t in (self.daemon_beat, self.run_due_at) if t is not None]
        return max(seen) if seen else None

    def reason(self) -> str:
        """For people (the CLI's words; the console has its own, translated)."""
        when = self.last_seen.isoformat(timespec="seconds") if self.last_seen else "never"
        if self.state == RunnerState.DAEMON_STOPPED:
            return (f"the daemon is not running (last heartbeat {when}) and no "
                    "`publisher run-due` has run since: nothing is uploaded, released or "
                    "posted")
        if self.state == RunnerState.RUN_DUE_AHEAD:
            return f"the last run is recorded at {when}, {AHEAD}"
        if self.state == RunnerState.RUN_DUE_LATE:
            return (f"`publisher run-due` last ran at {when}, longer ago than its timer "
                    "runs (every five minutes): nothing is uploaded, released or posted")
        return ""

    def as_json(self) -> dict[str, Any]:
        return {"state": self.state.value, "healthy": self.healthy,
                "last_seen": self.last_seen.isoformat() if self.last_seen else None}


def runner(daemon_alive: bool, daemon_beat: dt.datetime | None, run_due_at: dt.datetime | None,
           now: dt.datetime) -> Runner:
    """The home's runner as the daemon's record and run-due's last look say (`run_due_at`:
    pipeline/run_due.py's `last_now`, which the daemon's runs move too)."""
    if daemon_alive:
        state = RunnerState.DAEMON
    elif run_due_at is not None and run_due_at - now > AHEAD_AFTER:
        state = RunnerState.RUN_DUE_AHEAD
    elif run_due_at is not None and now - run_due_at <= RUN_DUE_LATE_AFTER:
        state = RunnerState.RUN_DUE
    elif daemon_beat is not None and (run_due_at is None
                                      or run_due_at <= daemon_beat + _DAEMON_RUNS_WITHIN):
        state = RunnerState.DAEMON_STOPPED
    elif run_due_at is not None:
        state = RunnerState.RUN_DUE_LATE
    else:
        state = RunnerState.NEVER_RAN
    return Runner(state, daemon_beat, run_due_at)
