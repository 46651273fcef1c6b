"""When the workers' tick plans a programme next: `programmes.next_wake_at` (NULL: at the next
tick), in the clock the programme's plans use.

- A plan marks it first (`begin_plan`: the safety sweep, now + SWEEP), decides, and then
  writes the time of the programme's next event (`end_plan`) only if the mark is still
  there: a write made while it decided is never lost.
- Every transaction that wrote a programme's rows sets it back to NULL once committed
  (`wake_if_written`, called by store.db.transaction): a command, a console action, a worker's
  step. The plan's own writes (missed slots told, its ledger noted) do not: its Runtime opens
  its sessions with `wakes=False`. After the commit, not in the transaction: a plan that
  began before the commit may have missed the write, and finds its mark gone; one that
  begins after it sees the write; and no writer holds the programme's row while it works.
  A process killed between the two loses the wake: the sweep plans it anyway.
- The tick plans the active programmes whose time has come (`due_programmes`, served by the
  index on (state, next_wake_at)), and those whose home files changed since their last plan
  (`waiting_homes` gives the stamps to compare; publisher/workers/deployment.py compares).

On SQLite (one daemon, no workers: they need PostgreSQL) nothing is planned, nor woken.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import Connection, event, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import ORMExecuteState, Session

from publisher.store.models import Programme, ProgrammeState

log = logging.getLogger(__name__)
#: A programme with nothing due is planned at least this often anyway: a wake-up missed
#: (a file changed where no stamp sees it, a bug) costs at most this long.
SWEEP = dt.timedelta(minutes=15)
#: The key of `Session.info` that says the session wrote something.
WROTE = "plan_gate_wrote"


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: Any) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


def wake_if_written(session: Session, programme_id: int) -> None:
    """After a transaction of the programme committed: when it wrote anything, the next tick
    plans the programme (what it wrote may make work due sooner than planned). Already NULL:
    nothing to write (a plan that sets it later begins after this commit)."""
    if not session.info.pop(WROTE, False) or session.get_bind().dialect.name == "sqlite":
        return
    try:
        with session.begin():
            session.execute(_wake(programme_id).where(Programme.next_wake_at.is_not(None)),
                            execution_options={"synchronize_session": False})
    except SQLAlchemyError:  # the write is committed: never report it failed for this
        log.warning("programme %s: its next plan is not brought forward (the sweep plans "
                    "it)", programme_id, exc_info=True)


def _wake(programme_id: int) -> Any:
    # updated_at stays: it says when the programme itself changed (`publisher programmes`).
    return (update(Programme).where(Programme.id == programme_id)
            .values(next_wake_at=None, updated_at=Programme.updated_at))


def begin_plan(conn: Connection, programme_id: int, now: dt.datetime,
               home_stamp: str | None) -> dt.datetime:
    """Mark the programme planned until the sweep, with the stamp of the home files this plan
    reads; returns the mark for `end_plan`."""
    mark = now + SWEEP
    conn.execute(update(Programme).where(Programme.id == programme_id).values(
        next_wake_at=mark, home_stamp=home_stamp, updated_at=Programme.updated_at))
    return mark


def end_plan(conn: Connection, programme_id: int, mark: dt.datetime,
             wake: dt.datetime | None) -> None:
    """The plan's answer: the next tick (None: it found work, whose steps will change what is
    due), or `wake` (its next event; at the mark at the latest). Only if nothing woke the
    programme since `begin_plan`."""
    if wake is None:
        conn.execute(_wake(programme_id))
        return
    conn.execute(update(Programme)
                 .where(Programme.id == programme_id, Programme.next_wake_at == mark)
                 .values(next_wake_at=min(wake, mark), updated_at=Programme.updated_at))


def wake(conn: Connection, programme_id: int) -> None:
    """The next tick plans the programme (a worker's step, done or not)."""
    conn.execute(_wake(programme_id))


def _served(own: int | None) -> Any:
    """The active programmes a worker serves: those with a home, and its own."""
    has_home = Programme.home_path.is_not(None)
    return (Programme.state == ProgrammeState.ACTIVE.value,
            or_(has_home, Programme.id == own) if own is not None else has_home)


def due_programmes(conn: Connection, now: dt.datetime, own: int | None) -> list[int]:
    """The active programmes whose next wake has come (or was never set)."""
    return list(conn.scalars(
        select(Programme.id).where(
            *_served(own), or_(Programme.next_wake_at.is_(None), Programme.next_wake_at <= now))
        .order_by(Programme.id)))


def waiting_homes(conn: Connection, now: dt.datetime, own: int | None
                  ) -> list[tuple[int, str | None, str | None]]:
    """(id, home path, stamp of its last plan) of the active programmes that wait for a later
    wake: the tick compares their home files with the stamp."""
    return [(r.id, r.home_path, r.home_stamp) for r in conn.execute(
        select(Programme.id, Programme.home_path, Programme.home_stamp).where(
            *_served(own), Programme.next_wake_at > now).order_by(Programme.id))]
