"""`run_due(now)`: everything that is due at `now`, decided from the database and schedules.

The daemon, `publisher run-due --at`, and the tests all call this one function; the
scheduler is only a clock. It is idempotent: a second call for the same `now` finds nothing
left to do, because every step it takes moves an interview to a state that no longer
matches, or sets the time of its next attempt.

What it does, in order:
1. reconcile and retry: interviews left `staging` (a crash, a failure whose retry time has
   come) are resumed: the upload continues or finds its finished video;
2. stage: queued interviews whose upload time (slot − lead time) has come are uploaded as
   private with publishAt = the slot; after downtime, a slot still ahead is staged at once;
3. catch up: a slot missed while down is released at once if it passed less than the grace
   ago (6 h by default), and at most one slot per schedule per run; past the grace, the
   interview simply goes to the next free slot (the planner gives it) and people are told;
4. release: at its slot, a staged video is confirmed public (YouTube publishes it), and the
   interview is handed to cross-posting;
5. finish decorations: a thumbnail, playlist or caption track that waited while the
   interview went on (YouTube's thumbnails-per-24-hours limit) is made when its time comes,
   whether the interview is staged, released or already published;
6. cross-post what was released;
7. corrections: an edit of an interview already on YouTube is applied there
   (pipeline/correct.py), after everything above, and never with the quota today's
   releases need.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from publisher.cadence import PlanEntry
from publisher.faults import crash_point
from publisher.lifecycle import EventKind, Step, set_publication
from publisher.pipeline import authorisation, waiting_decorations
from publisher.pipeline.planning import FIRST_READ, QueueSnapshot, planned, read_snapshot
from publisher.pipeline.records import record
from publisher.pipeline.runtime import Runtime
from publisher.pipeline.youtube_stage import StageResult, stage
from publisher.platforms.errors import AuthError, PlatformError
from publisher.schedules import find_schedule
from publisher.store.models import Interview, Publication, PublicationState, State

log = logging.getLogger(__name__)
DEFAULT_GRACE = dt.timedelta(hours=6)
RELEASE_RECHECK = dt.timedelta(minutes=5)
# How far past the longest lead time run_due plans: to stage (what is due now, or in the
# grace) and to say when the next thing is due.
STAGE_AHEAD = dt.timedelta(days=1)
NEXT_AHEAD = dt.timedelta(days=8)


@dataclass
class Action:
    """One thing run_due did (or found), as `run-due` prints it."""

    interview_id: int | None  # None: about the whole home (a daily check's finding)
    step: str       # stage | resume | catch_up | release | decorate | missed | check
    outcome: str    # staged | released | waiting | retry | needs_attention | busy | ...
    detail: str = ""

    def describe(self) -> str:
        who = f" interview {self.interview_id}" if self.interview_id is not None else ""
        return f"{self.step}{who}: {self.outcome}" + (f" ({self.detail})" if self.detail
                                                       else "")


@dataclass
class RunReport:
    now: dt.datetime
    actions: list[Action] = field(default_factory=list)
    next_wake: dt.datetime | None = None
    next_what: str | None = None
    #: The programme is paused (`publisher programmes pause`): nothing was looked at.
    paused: bool = False

    @property
    def needs_attention(self) -> list[Action]:
        return [a for a in self.actions if a.outcome == "needs_attention"]


@dataclass(frozen=True)
class Census:
    """How many of the programme's interviews are in each state, and how many corrections
    are open: a phase (or a part of `next_event`) with nothing of its kind skips its read.
    It only ever skips a read that would have found nothing, in the same transaction."""

    states: dict[str, int]
    open_corrections: int

    def has(self, *states: State) -> bool:
        return any(self.states.get(state.value, 0) for state in states)


def read_census(session: Session) -> Census:
    from sqlalchemy import func

    from publisher.store.models import Correction, CorrectionState

    states = {str(state): int(count) for state, count in session.execute(
        select(Interview.state, func.count()).group_by(Interview.state)).all()}
    corrections = session.scalar(select(func.count()).select_from(Correction).where(
        Correction.state.in_([CorrectionState.PENDING.value, CorrectionState.IN_FLIGHT.value,
                              CorrectionState.WAITING.value])))
    return Census(states, int(corrections or 0))


#: The states after the upload, where a decoration (thumbnail, playlist, captions) may wait.
AFTER_STAGING = (State.STAGED, State.RELEASED, State.PUBLISHED)


class WakeQueue:
    """The queue as one wake-up sees it: the head the planner needs (planning.QueueSnapshot)
    and the census, read once, and read again only after this wake-up did something (an
    action in its report, or any work performed), since what it did may have moved an
    interview."""

    def __init__(self, rt: Runtime, now: dt.datetime, report: RunReport) -> None:
        self.rt, self.now, self.report = rt, now, report
        self.until = now + longest_lead(rt) + NEXT_AHEAD  # no plan of a wake goes further
        self.limit = FIRST_READ
        self.snapshot: QueueSnapshot | None = None
        self.actions_seen = 0
        self._census: Census | None = None
        self._census_actions = 0

    def census(self, session: Session) -> Census:
        """The census, read in `session` unless this wake already read it since it last
        did something."""
        if self._census is None or self._census_actions != len(self.report.actions):
            self._census_actions = len(self.report.actions)
            self._census = read_census(session)
        return self._census

    def forget(self) -> None:
        """This wake did something: what it read is read again when next asked."""
        self._census = None
        self.snapshot = None

    def plan(self, horizon: dt.timedelta, *, since: dt.datetime | None = None,
             quota: bool = False, session: Session | None = None) -> list[PlanEntry]:
        """The filled slots of the plan from `since` (default: now) to now + horizon; a read
        it needs is made in `session` when one is given."""
        while True:
            if self.snapshot is None or self.actions_seen != len(self.report.actions):
                self.actions_seen = len(self.report.actions)
                if session is not None:
                    self.snapshot = read_snapshot(session, self.now, self.until, self.limit)
                else:
                    with self.rt.transaction() as s:
                        self.snapshot = read_snapshot(s, self.now, self.until, self.limit)
            entries = planned(self.snapshot, self.rt, self.now, horizon, since=since,
                              quota=quota)
            if entries is not None:
                return entries
            self.limit *= 4  # a head too short to be sure: read a longer one
            self.snapshot = None


def longest_lead(rt: Runtime) -> dt.timedelta:
    return max((s.lead_time for s in rt.schedules.values()), default=dt.timedelta(0))


class WorkKind(enum.StrEnum):
    """What one piece of due work is; `perform` knows how to do each."""

    RESUME = "resume"        # an interview left staging: continue its upload
    STAGE = "stage"          # upload for a slot whose upload time has come
    CATCH_UP = "catch_up"    # a slot missed while down, within the grace: out at once
    RELEASE = "release"      # a staged video whose slot has come
    DECORATE = "decorate"    # a thumbnail, playlist or caption track that waited
    CROSSPOST = "crosspost"  # a released interview's posts, every platform due
    CORRECT = "correct"      # an edit to apply to the video on YouTube
    CORRECT_POSTS = "correct_posts"  # an edit to apply to the posts
    WITHDRAW = "withdraw"    # a withdrawal or republishing to finish
    CHORES = "chores"        # the daily and weekly checks (about the whole home)


STAGE_KINDS = frozenset({WorkKind.RESUME, WorkKind.STAGE, WorkKind.CATCH_UP})


@dataclass(frozen=True)
class Work:
    """One thing due at `now`, decided from the database: `perform` does it."""

    kind: WorkKind
    interview_id: int | None = None
    slot_at: dt.datetime | None = None  # the slot a stage uploads for (None: no publishAt)

    def to_json(self) -> dict[str, str | int | None]:
        return {"kind": self.kind.value, "interview_id": self.interview_id,
                "slot_at": self.slot_at.isoformat() if self.slot_at else None}

    @classmethod
    def from_json(cls, data: dict[str, str | int | None]) -> Work:
        slot, iid = data.get("slot_at"), data.get("interview_id")
        return cls(WorkKind(str(data["kind"])), int(iid) if iid is not None else None,
                   dt.datetime.fromisoformat(str(slot)) if slot else None)


def run_due(rt: Runtime, now: dt.datetime, *, grace: dt.timedelta = DEFAULT_GRACE
            ) -> RunReport:
    """Everything due at `now`: report the missed slots, then perform each piece of due work,
    then say when the next thing is due.

    Each phase (resume, stage, release, ...) is decided after the one before it acted, since
    what one does makes work for the next (a caught-up slot is staged, then released, in the
    same run). `due_work` decides every phase at once, which is what a worker's plan does:
    the next plan finds what the performed work made due. A paused programme: nothing."""
    from publisher.services.programmes import programme_paused

    report = RunReport(now)
    with rt.transaction() as s:
        if programme_paused(s, rt.programme_id):
            report.paused = True
            return report
        previous = note_wake(s, now)
    queue = WakeQueue(rt, now, report)
    report.actions += missed_slots(rt, now, grace, queue, previous)
    phases = list(_PHASES)
    while phases:
        # The phases are decided in one read, up to the first that has work; the others
        # after it acted (a wake with nothing due reads once).
        with rt.transaction() as s:
            work: list[Work] = []
            while phases and not work:
                work = phases.pop(0)(s, rt, now, grace, queue)
        for piece in work:
            report.actions += perform(rt, piece, now, grace=grace)
        if work:
            queue.forget()
    found = next_event(rt, now, queue)
    if found is not None:
        report.next_wake, report.next_what = found
    return report


def due_work(rt: Runtime, now: dt.datetime, *, grace: dt.timedelta = DEFAULT_GRACE,
             queue: WakeQueue | None = None) -> list[Work]:
    """Every piece of work due at `now`, in the order run_due performs it; changes nothing."""
    queue = queue or WakeQueue(rt, now, RunReport(now))
    with rt.transaction() as s:
        return [work for decide in _PHASES for work in decide(s, rt, now, grace, queue)]


def perform(rt: Runtime, work: Work, now: dt.datetime, *,
            grace: dt.timedelta = DEFAULT_GRACE) -> list[Action]:
    """Do one piece of due work. Each step claims the interview's lease first, and checks
    under it that the work is still to do, so a duplicate (a second worker, a retried job)
    answers "busy" or "skipped" and never acts twice."""
    iid = work.interview_id
    if work.kind in STAGE_KINDS:
        assert iid is not None
        if not _youtube_open(rt, now):
            _wait_for_authorisation(rt, now, [iid])
            return []
        return [_action(work.kind.value, stage(rt, iid, work.slot_at))]
    if work.kind == WorkKind.RELEASE:
        assert iid is not None
        with rt.transaction() as s:
            item = s.get(Interview, iid)
            privacy = item.privacy if item is not None else None
        return [_release(rt, iid, privacy, now, grace)]
    if work.kind == WorkKind.DECORATE:
        assert iid is not None
        return [_action("decorate", waiting_decorations.finish(rt, iid))]
    if work.kind == WorkKind.CROSSPOST:
        assert iid is not None
        return _crosspost(rt, iid, now)
    if work.kind == WorkKind.CORRECT:
        assert iid is not None
        return _correct(rt, iid)
    if work.kind == WorkKind.CORRECT_POSTS:
        assert iid is not None
        return _correct_posts(rt, iid)
    if work.kind == WorkKind.WITHDRAW:
        assert iid is not None
        return _withdraw(rt, iid)
    return _chores(rt, now)


# ---- deciding: one function per phase, in run_due's order --------------------------------

#: A phase's decision: what of its kind is due, read in the session given.
Decide = Callable[[Session, Runtime, dt.datetime, dt.timedelta, "WakeQueue"], list[Work]]


def _resume_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                queue: WakeQueue) -> list[Work]:
    if not queue.census(s).has(State.STAGING):
        return []
    rows = s.execute(
        select(Interview.id, Interview.slot_at, Publication.next_attempt_at,
               Publication.last_error)
        .outerjoin(Publication, (Publication.interview_id == Interview.id)
                   & (Publication.platform == "youtube") & (Publication.step == "video"))
        .where(Interview.state == State.STAGING.value)
        .order_by(Interview.slot_at, Interview.id)).all()
    due: list[Work] = []
    for row in rows:
        if row.next_attempt_at is not None and row.next_attempt_at > now:
            continue
        slot = row.slot_at if row.slot_at and row.slot_at > now else None
        due.append(Work(WorkKind.RESUME, row.id, slot))
    return due


def _stage_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
               queue: WakeQueue) -> list[Work]:
    entries = queue.plan(longest_lead(rt) + STAGE_AHEAD, since=now - grace, quota=True,
                         session=s)
    if not any(e.interview is not None and e.interview.slot_at is None for e in entries):
        return []
    waits = _video_waits(s, now)
    caught_up: set[str] = set()
    due: list[Work] = []
    for entry in entries:
        item = entry.interview
        if item is None or item.slot_at is not None:
            continue
        if entry.slot.at <= now:
            # A slot missed while down, within the grace: out at once, once per schedule.
            if entry.slot.schedule in caught_up:
                continue
            caught_up.add(entry.slot.schedule)
            if item.id not in waits:
                due.append(Work(WorkKind.CATCH_UP, item.id, entry.slot.at))
            continue
        if entry.upload_at <= now and item.id not in waits:
            due.append(Work(WorkKind.STAGE, item.id, entry.slot.at))
    return due


def _release_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                 queue: WakeQueue) -> list[Work]:
    if not queue.census(s).has(State.STAGED):
        return []
    ids = s.scalars(select(Interview.id)
                    .where(Interview.state == State.STAGED.value, Interview.slot_at <= now)
                    .order_by(Interview.slot_at)).all()
    return [Work(WorkKind.RELEASE, i) for i in ids]


def _decorations_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                     queue: WakeQueue) -> list[Work]:
    if not queue.census(s).has(*AFTER_STAGING):
        return []
    due = waiting_decorations.due_interviews(s, now)
    return [Work(WorkKind.DECORATE, i) for i in due]


def _crosspost_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                   queue: WakeQueue) -> list[Work]:
    from publisher.pipeline.crosspost import due_interviews

    if not queue.census(s).has(State.RELEASED):
        return []
    return [Work(WorkKind.CROSSPOST, i) for i in due_interviews(s, rt, now)]


def _corrections_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                     queue: WakeQueue) -> list[Work]:
    from publisher.pipeline import correct

    if not queue.census(s).open_corrections:
        return []
    return [Work(WorkKind.CORRECT, i) for i in correct.due_interviews(s, now)]


def _post_corrections_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                          queue: WakeQueue) -> list[Work]:
    from publisher.pipeline import correct_posts

    if not queue.census(s).open_corrections:
        return []
    return [Work(WorkKind.CORRECT_POSTS, i) for i in correct_posts.due_interviews(s, now)]


def _withdrawals_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                     queue: WakeQueue) -> list[Work]:
    from publisher.pipeline.withdraw import withdrawals_due

    if not queue.census(s).has(State.WITHDRAWN):
        return []
    return [Work(WorkKind.WITHDRAW, i) for i in withdrawals_due(s, now)]


def _chores_due(s: Session, rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                queue: WakeQueue) -> list[Work]:
    from publisher.pipeline.chores import chores_due

    return [Work(WorkKind.CHORES)] if chores_due(s, now) else []


_PHASES: tuple[Decide, ...] = (_resume_due, _stage_due, _release_due, _decorations_due,
                               _crosspost_due, _corrections_due, _post_corrections_due,
                               _withdrawals_due, _chores_due)


# ---- performing ------------------------------------------------------------------------------

def _chores(rt: Runtime, now: dt.datetime) -> list[Action]:
    from publisher.pipeline.chores import due_chores

    return [Action(finding.interview_id, "check", "warning", finding.text)
            for finding in due_chores(rt, now)]


def _crosspost(rt: Runtime, interview_id: int, now: dt.datetime) -> list[Action]:
    from publisher.pipeline.crosspost import crosspost_one

    # Only what happened: keep run_due idempotent and its report quiet.
    return [Action(o.interview_id, f"post:{o.platform}", o.outcome, o.detail)
            for o in crosspost_one(rt, interview_id, now) if o.changed]


def _correct(rt: Runtime, interview_id: int) -> list[Action]:
    from publisher.pipeline.correct import Outcome, sync

    r = sync(rt, interview_id)
    outcome = "needs_attention" if r.outcome in (Outcome.NEEDS_ATTENTION,
                                                 Outcome.CONFLICT) else r.outcome.value
    return [Action(r.interview_id, "correct", outcome, r.detail)]


def _correct_posts(rt: Runtime, interview_id: int) -> list[Action]:
    from publisher.pipeline.correct_posts import sync_posts

    return [Action(interview_id, f"correct:{edit.platform}", edit.outcome, edit.detail)
            for edit in sync_posts(rt, interview_id) if edit.outcome != "kept"]


def _withdraw(rt: Runtime, interview_id: int) -> list[Action]:
    """Finish a withdrawal (or republishing) a crash or a passing failure left."""
    from publisher.pipeline.withdraw import WithdrawReport, resume_one

    r = resume_one(rt, interview_id)
    if r is None:
        return []
    done = not isinstance(r, WithdrawReport) or r.finished
    return [Action(r.interview_id, "withdraw",
                   "done" if done else "needs_attention"
                   if isinstance(r, WithdrawReport) and r.needs_you else "waiting")]


def report_missed(rt: Runtime, now: dt.datetime, grace: dt.timedelta,
                  queue: WakeQueue) -> list[Action]:
    """Slots that passed beyond the grace since the last run, while something could have
    gone out: nothing is published late for them (the interview takes the next free slot),
    but organizers are told."""
    with rt.transaction() as s:
        previous = note_wake(s, now)
    return missed_slots(rt, now, grace, queue, previous)


def note_wake(session: Session, now: dt.datetime) -> dt.datetime | None:
    """The last run's `now` (None: the first run); `now` becomes it, unless it is earlier
    (the last look never goes back)."""
    from publisher.pipeline import state

    last = state.get(session, "run_due").get("last_now")
    previous = dt.datetime.fromisoformat(last) if last else None
    if previous is None or now > previous:
        state.replace(session, "run_due", {"last_now": now.isoformat()}, now)
    return previous


def missed_slots(rt: Runtime, now: dt.datetime, grace: dt.timedelta, queue: WakeQueue,
                 previous: dt.datetime | None) -> list[Action]:
    """report_missed's slots, since the last run's `previous`."""
    if previous is None or now - previous <= grace:
        return []
    out: list[Action] = []
    # The slots from the last run up to `now - grace` (a horizon before now): those a
    # running publisher would have filled.
    for entry in queue.plan(-grace, since=previous):
        if entry.interview is None or entry.interview.slot_at is not None:
            continue
        detail = (f"the slot {entry.slot.local:%a %Y-%m-%d %H:%M %Z} passed while publisher "
                  f"was not running; \"{entry.interview.title}\" goes to the next free slot "
                  "(see `publisher plan`)")
        with rt.transaction() as s:
            rt.journal(s, entry.interview.id, EventKind.SLOT_MISSED,
                       slot=entry.slot.at.isoformat())
        rt.notify("A slot was missed", detail)
        out.append(Action(entry.interview.id, "missed", "moved", detail))
    return out


def _action(step: str, result: StageResult) -> Action:
    return Action(result.interview_id, step, result.outcome, result.detail)


def _youtube_open(rt: Runtime, now: dt.datetime) -> bool:
    """Whether YouTube may be called now, or the run waits for `publisher auth youtube`
    (pipeline/authorisation.py)."""
    with rt.transaction() as s:
        fact = authorisation.get(s)
    return authorisation.may_try(fact, now, authorisation.token_stamp(rt))


def _wait_for_authorisation(rt: Runtime, now: dt.datetime, interview_ids: list[int]) -> None:
    """Due interviews that wait for the authorisation: noted (and journaled) once, quietly."""
    if not interview_ids:
        return
    with rt.transaction() as s:
        for interview_id in authorisation.note_waiting(s, now, interview_ids):
            rt.journal(s, interview_id, EventKind.YOUTUBE_WAITING,
                       error=authorisation.get(s).get("problem"), waiting_for="authorisation")


def _video_waits(session: Session, now: dt.datetime) -> dict[int, dt.datetime]:
    """Queued interviews whose upload could not start and is tried again later (a network
    failure before anything was sent): interview id → when."""
    rows = session.execute(
        select(Publication.interview_id, Publication.next_attempt_at).join(Interview)
        .where(Interview.state == State.QUEUED.value, Publication.platform == "youtube",
               Publication.step == Step.VIDEO.value, Publication.next_attempt_at > now)).all()
    return {r.interview_id: r.next_attempt_at for r in rows}


def release_now(rt: Runtime, interview_id: int, now: dt.datetime) -> Action:
    """Release a staged interview at once, whatever its slot (`publisher publish --now`)."""
    with rt.transaction() as s:
        item = s.get(Interview, interview_id)
        assert item is not None
        privacy = item.privacy
    return _release(rt, interview_id, privacy, now, DEFAULT_GRACE, force=True)


def _release(rt: Runtime, interview_id: int, privacy: str | None, now: dt.datetime,
             grace: dt.timedelta, *, force: bool = False) -> Action:
    """Confirm the video is out (YouTube made it public at publishAt), or make it so."""
    from publisher import leases

    with rt.transaction() as s:
        if not leases.claim(s, interview_id, rt.owner, now):
            return Action(interview_id, "release", "busy")
        state = s.scalar(select(Interview.state).where(Interview.id == interview_id))
        if state != State.STAGED.value:  # a duplicate came after the interview moved on
            leases.release(s, interview_id, rt.owner)
            return Action(interview_id, "release", "skipped", f"it is {state}")
        pub = record(s, interview_id, "youtube", "video")
        release_pub = record(s, interview_id, "youtube", Step.RELEASE)
        if release_pub.next_attempt_at and release_pub.next_attempt_at > now and not force:
            leases.release(s, interview_id, rt.owner)
            return Action(interview_id, "release", "waiting", "checking again later")
        item = s.get(Interview, interview_id)
        assert item is not None
        video_id, slot = pub.remote_id, item.slot_at
    target = privacy or rt.config.youtube.privacy
    try:
        api, _http = rt.youtube(releasing=True)  # releases first: the quota they need is kept
        assert video_id is not None
        crash_point("release.before")
        video = api.get_video(video_id)
        status = (video or {}).get("status") or {}
        current = status.get("privacyStatus")
        if video is None or status.get("uploadStatus") in ("failed", "rejected", "deleted"):
            why = ("the video is gone from YouTube" if video is None else
                   f"YouTube {status.get('uploadStatus')} the video "
                   f"({status.get('failureReason') or status.get('rejectionReason') or '?'})")
            return _attention(rt, interview_id, why, now)
        if current != target:
            if current == "private" and target == "public" and status.get("publishAt") and \
                    slot is not None and now - slot < grace and not force:
                # YouTube has not flipped it yet (it may still be processing): look again soon.
                return _later(rt, interview_id, now, f"still {current} on YouTube")
            api.set_privacy(video, target)
        crash_point("release.confirmed")
        with rt.transaction() as s:
            authorisation.answered(s, now)
            rt.transition(s, interview_id, State.RELEASED, EventKind.RELEASED, end_lease=True,
                          video_id=video_id, privacy=target)
            set_publication(record(s, interview_id, "youtube", Step.RELEASE),
                            PublicationState.DONE, remote_id=video_id)
        url = f"https://www.youtube.com/watch?v={video_id}"
        log.info("interview %s is out: %s", interview_id, url)
        if rt.config.notify_on_release:
            rt.notify(f"Interview {interview_id} is out", f"It is {target} on YouTube: {url}")
        return Action(interview_id, "release", "released")
    except AuthError as exc:
        with rt.transaction() as s:
            authorisation.refused(s, now, str(exc), authorisation.token_stamp(rt), interview_id)
        return _later(rt, interview_id, now, authorisation.message(str(exc)))
    except PlatformError as exc:
        return _later(rt, interview_id, now, str(exc))
    finally:
        with rt.transaction() as s:
            leases.release(s, interview_id, rt.owner)


def _later(rt: Runtime, interview_id: int, now: dt.datetime, why: str) -> Action:
    with rt.transaction() as s:
        rp = record(s, interview_id, "youtube", Step.RELEASE)
        rp.attempts += 1
        rp.next_attempt_at = now + RELEASE_RECHECK
        rp.last_error = why
    return Action(interview_id, "release", "waiting", why)


def _attention(rt: Runtime, interview_id: int, why: str, now: dt.datetime) -> Action:

    with rt.transaction() as s:
        rt.transition(s, interview_id, State.NEEDS_ATTENTION, EventKind.NEEDS_ATTENTION,
                      end_lease=True, attention=f"{why}. To fix: look at it in YouTube Studio")
    from publisher.pipeline.notices import needs_attention

    needs_attention(rt, interview_id, why, "look at it in YouTube Studio, then `publisher "
                    "retry` or `publisher queue cancel`")
    return Action(interview_id, "release", "needs_attention", why)


def _publication_retries(s: Session, now: dt.datetime) -> Sequence[Any]:
    """The retries waiting in interviews on their way out: when, which platform, title."""
    return s.execute(
        select(Publication.next_attempt_at, Publication.platform, Interview.title)
        .join(Interview).where(
            Interview.state.in_([State.STAGING.value, State.STAGED.value,
                                 State.RELEASED.value]),
            Publication.next_attempt_at > now)).all()


def _released(s: Session) -> Sequence[Any]:
    return s.execute(select(Interview.title, Interview.slot_at, Interview.schedule)
                     .where(Interview.state == State.RELEASED.value)).all()


def _staged_ahead(s: Session, now: dt.datetime) -> Sequence[Any]:
    return s.execute(select(Interview.title, Interview.slot_at).where(
        Interview.state == State.STAGED.value, Interview.slot_at > now)).all()


def next_event(rt: Runtime, now: dt.datetime, queue: WakeQueue | None = None
               ) -> tuple[dt.datetime, str] | None:
    """(when, what) of the next thing due, e.g. 'stage "Intervista" (slot …)'."""
    from publisher.pipeline import correct

    candidates: list[tuple[dt.datetime, str]] = []
    queue = queue or WakeQueue(rt, now, RunReport(now))
    entries = queue.plan(longest_lead(rt) + NEXT_AHEAD, quota=True)
    with rt.transaction() as s:
        census = queue.census(s)
        in_flight = census.has(State.STAGING, State.STAGED, State.RELEASED)
        retries = _publication_retries(s, now) if in_flight else []
        released = _released(s) if census.has(State.RELEASED) else []
        staged = _staged_ahead(s, now) if census.has(State.STAGED) else []
        decoration = (waiting_decorations.next_retry(s, now)
                      if census.has(*AFTER_STAGING) else None)
        waits = _video_waits(s, now) if census.has(State.QUEUED) else {}
        fact = authorisation.get(s)
        correction = correct.next_retry(s, now) if census.open_corrections else None
    # Waiting for `publisher auth youtube`: the next look is then (or when the token file
    # changes, which the daemon sees at its next wake).
    gate = (None if authorisation.may_try(fact, now, authorisation.token_stamp(rt))
            else authorisation.look_again_at(fact))
    for entry in entries:
        if entry.interview is not None and entry.interview.slot_at is None:
            when = max(entry.upload_at, now, waits.get(entry.interview.id, now))
            what = (f'stage "{entry.interview.title}" for the slot '
                    f"{entry.slot.local:%Y-%m-%d %H:%M} {entry.slot.local.tzinfo}")
            if gate is not None and when < gate:
                when, what = gate, (f"look again whether YouTube is authorised (waiting for "
                                    f"`{authorisation.FIX}`), then {what}")
            candidates.append((when, what))
    candidates += [(r.next_attempt_at, f'retry {r.platform} for "{r.title}"')
                   for r in retries if r.next_attempt_at is not None]
    for row in released:  # cross-posts wait for the slot plus the schedule's delay
        sched = find_schedule(row.schedule, rt.schedules, rt.config.campaign.default_schedule)
        if row.slot_at is not None and sched is not None:
            when = row.slot_at + sched.crosspost_delay
            if when > now:
                candidates.append((when, f'cross-post "{row.title}"'))
    candidates += [(r.slot_at, f'release "{r.title}"') for r in staged if r.slot_at]
    if decoration is not None:
        candidates.append((decoration[0], f'finish the YouTube decorations of "{decoration[1]}"'))
    if correction is not None:
        candidates.append((correction, "try a waiting correction for YouTube again"))
    return min(candidates, key=lambda c: c[0]) if candidates else None
