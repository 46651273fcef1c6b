"""Every row belongs to a programme, and a session sees and changes only its programme's rows.

One database may serve many programmes (homes): each scoped table carries `programme_id`.
The one place that keeps them apart is here:

- a session is opened for one programme (`scoped_info(pid)` as its `info`, which
  `store.db.transaction(engine, pid)` does);
- every ORM SELECT, UPDATE and DELETE it executes gets `programme_id = pid` on every scoped
  entity it names: joins, `session.get`, relationship and lazy loads included (SQLAlchemy's
  `with_loader_criteria`, its "global WHERE criteria" recipe), so another programme's id reads
  as "not found" and a bulk UPDATE never reaches another programme's rows;
- every new scoped object gets the session's `programme_id` at flush (and every row of an
  ORM bulk `insert(Model)` when executed), and one that names another programme is refused;
- a session without a programme fails closed: a statement on a scoped table raises
  UnscopedQuery, unless it says `execution_options(all_programmes=True)` (only deployment-wide
  work does: `publisher programmes`).

What this hook cannot see writes `programme_id` itself: Core statements on `Model.__table__`
(store/upsert.py), the fast Core reads of store/light.py (services/queue_queries.py), the
sandbox's copy of the queue (sandbox/run.py) and `text()` (services/daemon_claim.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ForeignKey, event
from sqlalchemy.orm import (
    Mapped,
    ORMExecuteState,
    Session,
    UOWTransaction,
    mapped_column,
    with_loader_criteria,
)

#: The key of `Session.info` that names the session's programme.
PROGRAMME_ID = "programme_id"
#: The execution option of the few deployment-wide statements that may span programmes.
ALL_PROGRAMMES = "all_programmes"


class UnscopedQuery(RuntimeError):
    """A statement on a programme's rows in a session that names no programme (a bug)."""


class ProgrammeScoped:
    """Mixin of the tables whose rows belong to one programme."""

    programme_id: Mapped[int] = mapped_column(
        ForeignKey("programmes.id", ondelete="CASCADE"), index=True)


def scoped_info(programme_id: int | None) -> dict[str, Any]:
    """The `info` of a session for one programme (None: deployment-wide, fails closed)."""
    return {PROGRAMME_ID: programme_id}


def session_programme(session: Session) -> int | None:
    return session.info.get(PROGRAMME_ID)


def require_programme(session: Session) -> int:
    """The session's programme; UnscopedQuery when it has none."""
    pid = session_programme(session)
    if pid is None:
        raise UnscopedQuery("this session names no programme: open it with "
                            "transaction(engine, programme_id)")
    return int(pid)


def _names_scoped(state: ORMExecuteState) -> bool:
    mappers = list(state.all_mappers)
    if state.bind_mapper is not None:
        mappers.append(state.bind_mapper)
    return any(issubclass(m.class_, ProgrammeScoped) for m in mappers)


def _stamp(params: dict[str, Any], pid: int) -> dict[str, Any]:
    if params.get(PROGRAMME_ID, pid) != pid:
        raise UnscopedQuery(f"a row of programme {params[PROGRAMME_ID]} inserted in a "
                            f"session of programme {pid}")
    return {**params, PROGRAMME_ID: pid}


def _scope_bulk_insert(state: ORMExecuteState) -> Any:
    """`session.execute(insert(Model), rows)`: each row gets the session's programme."""
    if not _names_scoped(state) or not state.parameters:
        return None  # a Core INSERT carries its own values (store/upsert.py names the id)
    pid = require_programme(state.session)
    params = state.parameters
    if isinstance(params, Mapping):
        return state.invoke_statement(params=_stamp(dict(params), pid))
    return state.invoke_statement(params=[_stamp(dict(p), pid) for p in params])


@event.listens_for(Session, "do_orm_execute", retval=True)
def _scope_statement(state: ORMExecuteState) -> Any:
    if state.is_insert:
        return _scope_bulk_insert(state)
    if not (state.is_select or state.is_update or state.is_delete):
        return None
    if state.execution_options.get(ALL_PROGRAMMES):
        return None
    pid = session_programme(state.session)
    if pid is None:
        if _names_scoped(state):
            raise UnscopedQuery("a query on a programme's rows in a session that names no "
                                "programme")
        return None
    state.statement = state.statement.options(with_loader_criteria(
        ProgrammeScoped, lambda cls: cls.programme_id == pid, include_aliases=True))
    return None


@event.listens_for(Session, "before_flush")
def _stamp_new_rows(session: Session, _flush: UOWTransaction, _instances: Any) -> None:
    scoped = [obj for obj in session.new if isinstance(obj, ProgrammeScoped)]
    if not scoped:
        return
    pid = require_programme(session)
    for obj in scoped:
        if obj.programme_id is None:
            obj.programme_id = pid
        elif obj.programme_id != pid:
            raise UnscopedQuery(f"a {type(obj).__name__} of programme {obj.programme_id} "
                                f"added in a session of programme {pid}")
