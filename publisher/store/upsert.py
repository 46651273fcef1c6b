"""INSERT … ON CONFLICT for the small keyed tables two workers may create at once.

SQLite serialises writers, PostgreSQL does not: a read-then-insert of a new key can race
there (two first runs at one instant), so the insert itself must resolve the conflict.

A Core INSERT is not seen by the ORM's programme scoping (publisher/store/scope.py): the
programme of a scoped row is added to its key here, from the session.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


def upsert(session: Session, model: type[Any], keys: dict[str, Any], values: dict[str, Any],
           *, add: tuple[str, ...] = ()) -> None:
    """Insert keys+values, or on conflict set `values` (columns in `add` are incremented).

    For a table of a programme's rows, the session's programme joins the key."""
    from publisher.store.scope import ProgrammeScoped, require_programme

    if issubclass(model, ProgrammeScoped):
        keys = {"programme_id": require_programme(session), **keys}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    table = model.__table__
    stmt = insert(table).values(**keys, **values)
    updates = {name: (table.c[name] + stmt.excluded[name]) if name in add
               else stmt.excluded[name] for name in values}
    session.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=updates))
