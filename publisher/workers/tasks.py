"""The Procrastinate tasks: a periodic tick, a plan per programme, and one task per kind of
step, each performing one piece of `run_due`'s work (pipeline/run_due.py: `due_work` decides,
`perform` acts).

- `publisher.tick` (every minute, deduplicated by the engine across workers) defers one
  `publisher.plan` per programme that may have work, in batches (`defer_plans`): its next
  wake has come, or its home files changed (store/plan_gate.py);
- `publisher.plan` reports missed slots, decides the due work and defers one job per piece,
  and says when the programme wakes next (its next event; at the next tick when it found
  work; 15 minutes at the latest); any write to the programme wakes it sooner;
- `publisher.stage` / `release` / `decorate` / `crosspost` / `correct` / `withdraw` /
  `chores` perform it;
- `publisher.retry_stalled` (every minute) puts back the jobs of a worker that died
  (SIGKILL, a lost machine): Procrastinate does not by itself.

Every deferral carries a queueing lock, so a piece of work waits at most once; a duplicate
that runs anyway (one waiting plus any running, or a stalled job retried) meets the
interview's lease first, and answers "busy" or "skipped": the leases are the fence, not the
engine. No task uses Procrastinate's `lock` (a killed worker would keep it) nor retries: the
pipeline records its own retry times, and the next plan defers what they made due.
The names are explicit: job rows keep them, and a module move must not orphan queued jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from typing import Any

import procrastinate
from procrastinate import JobContext
from procrastinate.exceptions import AlreadyEnqueued, ConnectorException

from publisher.pipeline.run_due import (
    DEFAULT_GRACE,
    STAGE_KINDS,
    RunReport,
    WakeQueue,
    Work,
    WorkKind,
    due_work,
    next_event,
    perform,
    report_missed,
)
from publisher.pipeline.runtime import Runtime
from publisher.workers.deployment import Deployment

log = logging.getLogger(__name__)

TICK = "publisher.tick"
PLAN = "publisher.plan"
RETRY_STALLED = "publisher.retry_stalled"
#: The task that performs each kind of work.
STEP_TASK = {**dict.fromkeys(STAGE_KINDS, "publisher.stage"),
             WorkKind.RELEASE: "publisher.release",
             WorkKind.DECORATE: "publisher.decorate",
             WorkKind.CROSSPOST: "publisher.crosspost",
             WorkKind.CORRECT: "publisher.correct",
             WorkKind.CORRECT_POSTS: "publisher.correct",
             WorkKind.WITHDRAW: "publisher.withdraw",
             WorkKind.CHORES: "publisher.chores"}

# Queues: uploads are long and apart; the planning and the short steps share the rest.
PLAN_QUEUE, UPLOADS_QUEUE, STEPS_QUEUE = "plan", "uploads", "steps"
QUEUES = (PLAN_QUEUE, UPLOADS_QUEUE, STEPS_QUEUE)
TICK_CRON = "* * * * *"
STALLED_AFTER_S = 30.0  # no heartbeat for this long: the worker is gone
_SLOT_EPOCH = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)


def deployment_of(context: JobContext) -> Deployment:
    found = context.additional_context["deployment"]
    assert isinstance(found, Deployment)
    return found


def queueing_lock(programme_id: int, work: Work) -> str:
    """One waiting job per programme and piece of work; the three ways of staging an
    interview share one, as they are one upload."""
    kind = "stage" if work.kind in STAGE_KINDS else work.kind.value
    return f"p{programme_id}:{kind}" + (f":{work.interview_id}"
                                        if work.interview_id is not None else "")


#: An upload's priority: -(its rank among its programme's due uploads × SLOT_SPAN + its
#: slot in minutes since 2020). Ranks past MAX_RANK share it; slots past 2051 share the last
#: minute. The lowest, -(64 × 2**24 - 1), fits Procrastinate's int4 priority.
SLOT_SPAN = 2 ** 24
MAX_RANK = 63


def priority(work: Work, rank: int = 0) -> int:
    """The order a worker takes jobs in (Procrastinate: highest priority first, then the
    first deferred). Releases, posts and the rest (0) before any upload. Uploads fairly
    across programmes: every programme's first due upload before any programme's second
    (`rank` is the upload's place among its programme's due uploads, earliest slot first),
    and among uploads of one rank the earliest slot first. So a programme with 50 uploads
    due delays another programme's earliest upload by one of its uploads at most (plus the
    one already running). Ranks are given at each plan, among the uploads due then."""
    if work.kind not in STAGE_KINDS or work.slot_at is None:
        return 0
    minutes = int((work.slot_at - _SLOT_EPOCH).total_seconds() // 60)
    return -(min(rank, MAX_RANK) * SLOT_SPAN + min(max(minutes, 0), SLOT_SPAN - 1))


async def defer_once(app: procrastinate.App, task: str, *, lock: str, queue: str,
                     priority: int = 0, **kwargs: Any) -> bool:
    """Defer one job unless the same one already waits (its queueing lock); one at a time,
    as a batch would fail whole on the first duplicate."""
    try:
        await app.configure_task(task, queueing_lock=lock, queue=queue,
                                 priority=priority).defer_async(**kwargs)
    except AlreadyEnqueued:
        return False
    return True


#: Plan jobs per round trip of the tick's batch deferral.
PLAN_BATCH = 1000


def plan_lock(programme_id: int) -> str:
    return f"p{programme_id}:plan"


async def defer_plans(app: procrastinate.App, programme_ids: list[int]) -> list[int]:
    """Defer one plan job per programme whose plan does not wait already, in batches (one
    round trip per PLAN_BATCH programmes rather than one per programme). The plans already
    waiting are read first, as a batch fails whole on its first duplicate; a batch that
    meets one anyway (another worker's tick in between) is deferred one job at a time."""
    waiting = {row["queueing_lock"] for row in await app.connector.execute_query_all_async(
        "SELECT queueing_lock FROM procrastinate_jobs WHERE task_name = %(task)s "
        "AND status = 'todo'", task=PLAN)}
    todo = [pid for pid in programme_ids if plan_lock(pid) not in waiting]
    planned: list[int] = []
    for start in range(0, len(todo), PLAN_BATCH):
        batch = todo[start:start + PLAN_BATCH]
        jobs = [app.configure_task(PLAN, queueing_lock=plan_lock(pid), queue=PLAN_QUEUE,
                                   priority=10).make_new_job(programme_id=pid)
                for pid in batch]
        try:
            await app.job_manager.batch_defer_jobs_async(jobs)
        except AlreadyEnqueued:
            for pid in batch:
                if await defer_once(app, PLAN, lock=plan_lock(pid), queue=PLAN_QUEUE,
                                    priority=10, programme_id=pid):
                    planned.append(pid)
            continue
        planned.extend(batch)
    return planned


async def tick(context: JobContext, timestamp: int) -> list[int]:
    """Plan the programmes that may have work: those whose next wake has come, or whose
    home files changed (`Deployment.programmes_to_plan`); the timestamp is only a wake-up
    (the wakes are in the deployment's clock)."""
    deployment = deployment_of(context)
    return await defer_plans(context.app,
                             await asyncio.to_thread(deployment.programmes_to_plan))


def decide(deployment: Deployment, programme_id: int) -> tuple[list[str], list[Work]]:
    """What `run_due` does before acting: the missed slots told, then the due work. Nothing
    for a programme that a live `publisher run` daemon serves (it was there first:
    services/worker_presence.py).

    It also says when the tick plans the programme next (store/plan_gate.py): at the next
    tick when it found work (its steps change what is due), else at the programme's next
    event, or after the safety sweep. Its own writes do not count as a change (`wakes`)."""
    from publisher.store.plan_gate import begin_plan, end_plan

    rt = deployment.runtime(programme_id)
    rt.wakes = False
    now = rt.clock()
    if daemon_serves(rt, now):
        return [], []
    with rt.engine.begin() as conn:
        mark = begin_plan(conn, programme_id, now, deployment.loaded_stamp(programme_id))
    wake: dt.datetime | None = None  # a failed plan: the next tick tries again
    try:
        note_ledger(rt)
        queue = WakeQueue(rt, now, RunReport(now))
        missed = report_missed(rt, now, DEFAULT_GRACE, queue)
        work = due_work(rt, now, queue=queue)
        wake = next_wake(rt, now, queue, work, mark)
    finally:
        with rt.engine.begin() as conn:
            end_plan(conn, programme_id, mark, wake)
    return [a.describe() for a in missed], work


def next_wake(rt: Runtime, now: dt.datetime, queue: WakeQueue, work: list[Work],
              sweep: dt.datetime) -> dt.datetime | None:
    """When the programme needs its next plan: at the next tick (None) when some of its
    work can go now; else at the earliest of its next event, the end of a wait of its due
    work (back-pressure: its job is deferred to then already), the next chores, the sweep."""
    from publisher.pipeline.chores import next_chores_at
    from publisher.pipeline.work_waits import waits_until

    times = [sweep, next_chores_at(now)]
    for piece in work:
        until = waits_until(rt, piece, now)
        if until is None:
            return None
        times.append(until)
    found = next_event(rt, now, queue)
    if found is not None:
        times.append(found[0])
    return min(times)


async def plan(context: JobContext, programme_id: int) -> dict[str, list[str]]:
    missed, work = await asyncio.to_thread(decide, deployment_of(context), programme_id)
    deferred = []
    rank = 0  # the place of each upload among this programme's due uploads
    for piece in work:
        lock = queueing_lock(programme_id, piece)
        queue = UPLOADS_QUEUE if piece.kind in STAGE_KINDS else STEPS_QUEUE
        added = await defer_once(context.app, STEP_TASK[piece.kind], lock=lock, queue=queue,
                                 priority=priority(piece, rank), programme_id=programme_id,
                                 work=piece.to_json())
        if added or await bring_forward(context, programme_id, piece, lock):
            deferred.append(lock)
        rank += piece.kind in STAGE_KINDS
    return {"missed": missed, "deferred": deferred}


async def bring_forward(context: JobContext, programme_id: int, piece: Work,
                        lock: str) -> bool:
    """A due piece of work whose job was deferred to a later time (back-pressure, in `step`)
    that no longer holds: `publisher retry` cleared the wait. That job runs now rather than
    at the time it was deferred to."""
    from publisher.pipeline.work_waits import waits_until

    connector = context.app.connector
    later = await connector.execute_query_all_async(
        "SELECT id FROM procrastinate_jobs WHERE queueing_lock = %(lock)s "
        "AND status = 'todo' AND scheduled_at > now()", lock=lock)
    if not later:
        return False

    def still_waits() -> bool:
        rt = deployment_of(context).runtime(programme_id)
        return waits_until(rt, piece, rt.clock()) is not None

    if await asyncio.to_thread(still_waits):
        return False
    await connector.execute_query_async(
        "UPDATE procrastinate_jobs SET scheduled_at = now() WHERE id = %(id)s "
        "AND status = 'todo'", id=later[0]["id"])
    return True


def note_ledger(rt: Runtime) -> None:
    """Record the programme's quota ledger (its Cloud project) at each plan, so that the
    other programmes of the project hold back the units its staged interviews' releases
    need even before it charges anything (quota.release_reserve)."""
    from publisher.pipeline.youtube_quota import ledger
    from publisher.quota import record_ledger

    with rt.transaction() as s:
        record_ledger(s, rt.programme_id, ledger(rt).key)


def wake_programme(rt: Runtime) -> None:
    from publisher.store.plan_gate import wake

    with rt.engine.begin() as conn:
        wake(conn, rt.programme_id)


def daemon_serves(rt: Runtime, now: dt.datetime) -> bool:
    from publisher.services.daemon_claim import live_daemon

    with rt.transaction() as s:
        owner = live_daemon(s, now)
    if owner is not None:
        log.info("programme %s: left to its `publisher run` daemon (%s)", rt.programme_id,
                 owner)
    return owner is not None


def step(context: JobContext, programme_id: int, work: dict[str, Any]) -> list[str]:
    """Perform one piece of work; "busy" and "skipped" are normal answers (a duplicate).

    Back-pressure: when the work then waits until a known time (a platform's rate-limit
    reset, the YouTube quota's reset, a retry time), the same job is deferred to that time
    (Procrastinate's `schedule_at`, under the same queueing lock, so the plans do not defer
    it again meanwhile): it is not tried again before, holds no worker, and every other job
    goes on."""
    from publisher.pipeline.work_waits import waits_until

    rt = deployment_of(context).runtime(programme_id)
    rt.should_stop = context.should_abort  # a graceful stop ends an upload between chunks
    piece = Work.from_json(work)
    if daemon_serves(rt, rt.clock()):
        return ["skipped (a `publisher run` daemon serves this programme)"]
    try:
        actions = perform(rt, piece, rt.clock())
    finally:  # done or not, what it did may make work due: the next tick plans again
        wake_programme(rt)
    for action in actions:
        log.info("programme %s: %s", programme_id, action.describe())
    until = waits_until(rt, piece, rt.clock())
    if until is not None and context.job is not None:
        job = context.job
        # AlreadyEnqueued: a plan deferred it meanwhile; that job meets the same wait.
        with contextlib.suppress(AlreadyEnqueued):
            context.app.configure_task(
                job.task_name, queueing_lock=queueing_lock(programme_id, piece),
                queue=job.queue, priority=job.priority, schedule_at=until,
            ).defer(programme_id=programme_id, work=work)
        log.info("programme %s: %s waits until %s", programme_id,
                 queueing_lock(programme_id, piece), until.isoformat())
    return [a.describe() for a in actions]


async def retry_stalled(context: JobContext, timestamp: int) -> list[int]:
    """Jobs left `doing` by a worker without a heartbeat go back to the queue (Procrastinate's
    documented recipe); their step then meets the lease, or finds the work done."""
    manager = context.app.job_manager
    retried = []
    for job in await manager.get_stalled_jobs(seconds_since_heartbeat=STALLED_AFTER_S):
        try:
            await manager.retry_job(job)
        except ConnectorException as exc:
            # Another worker's retry_stalled was first, or a duplicate already waits (the
            # next plan's resume: same queueing lock). Once that one ran, the next
            # retry_stalled puts this one back, and it finds its work done.
            log.info("stalled job %s not put back yet: %s", job.id, exc)
            continue
        assert job.id is not None
        retried.append(job.id)
    if retried:
        log.warning("jobs of a stopped worker put back in the queue: %s", retried)
    return retried


def make_blueprint(*, tick_cron: str = TICK_CRON) -> procrastinate.Blueprint:
    """The tasks, for one App (each App takes its own copy of the tasks)."""
    bp = procrastinate.Blueprint()
    bp.periodic(cron=tick_cron)(
        bp.task(name=TICK, queue=PLAN_QUEUE, queueing_lock="tick", priority=10,
                pass_context=True)(tick))
    bp.task(name=PLAN, queue=PLAN_QUEUE, pass_context=True)(plan)
    for name in sorted(set(STEP_TASK.values())):
        bp.task(name=name, queue=STEPS_QUEUE, pass_context=True)(step)
    bp.periodic(cron=tick_cron)(
        bp.task(name=RETRY_STALLED, queue=PLAN_QUEUE, queueing_lock="retry_stalled",
                pass_context=True)(retry_stalled))
    return bp
