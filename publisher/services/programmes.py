"""The programmes of a deployment: which one a home runs, and `publisher programmes` (list,
add from a home, pause, resume, remove) for the person who runs a shared database.

A home names its programme in publisher.toml (`programme`, default "default"); the database
knows it by that name in the `programmes` table. Everything else a programme keeps (its
configuration, credentials, schedules) stays in its home: the table holds a name, the home's
path (to find it again) and whether it is paused. These are deployment-wide statements: they
run in sessions that name no programme (publisher/store/scope.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from publisher.errors import DatabaseError, InputError

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import Session


class ProgrammeNotRegistered(DatabaseError):
    """The database has no programme of the name the home's publisher.toml gives."""


class ProgrammeOfAnotherHome(DatabaseError):
    """The programme the home's publisher.toml names is registered for another home."""


@dataclass(frozen=True)
class Found:
    id: int
    paused: bool


def find(engine: Engine, name: str) -> Found | None:
    """The programme named `name`, or None."""
    from sqlalchemy import select

    from publisher.store.models import Programme, ProgrammeState

    with engine.connect() as conn:
        row = conn.execute(select(Programme.id, Programme.state)
                           .where(Programme.name == name)).first()
    if row is None:
        return None
    return Found(id=row.id, paused=row.state == ProgrammeState.PAUSED.value)


def require(engine: Engine, name: str, home_path: str) -> Found:
    """The programme the home names; ProgrammeNotRegistered (with the command that fixes it)
    when this database does not know it, ProgrammeOfAnotherHome when it is registered for
    another home (two homes swapped, or a copied publisher.toml: this home would act on the
    other's queue)."""
    import os
    import shlex

    from sqlalchemy import select

    from publisher.store.db import display_url
    from publisher.store.models import Programme, ProgrammeState

    with engine.connect() as conn:
        row = conn.execute(select(Programme.id, Programme.state, Programme.home_path)
                           .where(Programme.name == name)).first()
    if row is None:
        raise ProgrammeNotRegistered(
            f"the database {display_url(str(engine.url))} has no programme {name!r} (the "
            "`programme` of publisher.toml): register this home with `publisher programmes "
            f"add --home {shlex.quote(home_path)}`")
    if row.home_path is not None and \
            os.path.realpath(row.home_path) != os.path.realpath(home_path):
        raise ProgrammeOfAnotherHome(
            f"the programme {name!r} (the `programme` of this home's publisher.toml) belongs "
            f"to the home {row.home_path}, not to this one ({home_path}): nothing was read "
            "or changed. Give this home its own programme name, or use that home; if the "
            f"home moved here, `publisher programmes move --home {shlex.quote(home_path)}`")
    return Found(id=row.id, paused=row.state == ProgrammeState.PAUSED.value)


class ProgrammeError(InputError):
    """`publisher programmes …` cannot do what was asked (nothing was changed)."""


@dataclass(frozen=True)
class ProgrammeRow:
    """One line of `publisher programmes list`."""

    id: int
    name: str
    state: str
    home_path: str | None
    interviews: int
    leases: int  # interviews some process is acting on now

    def as_json(self) -> dict[str, object]:
        return {"id": self.id, "name": self.name, "state": self.state,
                "home": self.home_path, "interviews": self.interviews, "leases": self.leases}


def is_paused(engine: Engine, programme_id: int) -> bool:
    """Whether the programme is paused now (read each time: a pause reaches a running
    daemon at its next wake-up)."""
    with engine.connect() as conn:
        return programme_paused(conn, programme_id)


def programme_paused(reader: Connection | Session, programme_id: int) -> bool:
    """`is_paused`, read on a connection or in a session already open."""
    from sqlalchemy import select

    from publisher.store.models import Programme, ProgrammeState

    state = reader.scalar(select(Programme.state).where(Programme.id == programme_id))
    return bool(state == ProgrammeState.PAUSED.value)


def list_programmes(engine: Engine, now: dt.datetime) -> list[ProgrammeRow]:
    """Every programme of the database, by name, with its interviews and live leases
    counted (deployment-wide: the one query here that counts across programmes)."""
    from sqlalchemy import case, func, select

    from publisher.store.models import Interview, Programme

    live = case((Interview.lease_expires_at > now, 1), else_=0)
    counts = (select(Interview.programme_id, func.count().label("n"),
                     func.coalesce(func.sum(live), 0).label("leases"))
              .group_by(Interview.programme_id).subquery())
    query = (select(Programme.id, Programme.name, Programme.state, Programme.home_path,
                    func.coalesce(counts.c.n, 0), func.coalesce(counts.c.leases, 0))
             .outerjoin(counts, counts.c.programme_id == Programme.id)
             .order_by(Programme.name))
    with engine.connect() as conn:
        return [ProgrammeRow(r[0], r[1], r[2], r[3], int(r[4]), int(r[5]))
                for r in conn.execute(query)]


def add(engine: Engine, name: str, home_path: str) -> tuple[Found, bool]:
    """Register the home's programme (its name from its publisher.toml); True when it was
    new. The same home again changes nothing; another home may not take a name already
    registered for a home elsewhere (two homes would share one queue)."""
    from sqlalchemy import insert, select, update

    from publisher.store.models import Programme, ProgrammeState

    with engine.begin() as conn:
        row = conn.execute(select(Programme.id, Programme.state, Programme.home_path)
                           .where(Programme.name == name)).first()
        if row is not None:
            if row.home_path not in (None, home_path):
                raise ProgrammeError(
                    f"the programme {name!r} is already registered for the home "
                    f"{row.home_path}: give this home another name (`programme = \"…\"` in "
                    "its publisher.toml); if that home moved here, `publisher programmes move "
                    "--home` instead")
            if row.home_path is None:
                conn.execute(update(Programme).where(Programme.id == row.id)
                             .values(home_path=home_path, updated_at=_now()))
            return Found(id=row.id, paused=row.state == ProgrammeState.PAUSED.value), False
        new_id = conn.execute(insert(Programme).values(
            name=name, home_path=home_path, state=ProgrammeState.ACTIVE.value,
            created_at=_now(), updated_at=_now()).returning(Programme.id)).scalar_one()
    return Found(id=new_id, paused=False), True


def move(engine: Engine, name: str, home_path: str) -> str | None:
    """Point the programme at the home it moved to (its queue, journal and posts stay); the
    old home path ("" when it had none), or None when it was already this one. Refused while
    the old folder still holds a home naming this programme: that is a copy, and two homes
    would share a queue."""
    import os
    import tomllib
    from pathlib import Path

    from sqlalchemy import select, update

    from publisher.config import programme_name
    from publisher.store.models import Programme

    found = _named(engine, name)
    with engine.begin() as conn:
        old = conn.execute(select(Programme.home_path)
                           .where(Programme.id == found.id)).scalar_one()
        if old is not None and os.path.realpath(old) == os.path.realpath(home_path):
            return None
        config = Path(old or home_path) / "publisher.toml"
        try:
            still = old is not None and programme_name(
                tomllib.loads(config.read_text()), config) == name
        except (OSError, ValueError):
            still = False  # gone or unreadable: not a home of this programme any more
        if still:
            raise ProgrammeError(
                f"the home {old} still names the programme {name!r}: two homes would share "
                "one queue. If this one is a copy, give it its own `programme = \"…\"` in "
                "publisher.toml; if the old one is obsolete, delete or rename its "
                "publisher.toml first")
        conn.execute(update(Programme).where(Programme.id == found.id)
                     .values(home_path=home_path, updated_at=_now()))
    return old or ""


def set_paused(engine: Engine, name: str, paused: bool) -> bool:
    """Pause or resume the programme; False when it already was."""
    from sqlalchemy import update

    from publisher.store.models import Programme, ProgrammeState

    found = _named(engine, name)
    if found.paused == paused:
        return False
    state = ProgrammeState.PAUSED if paused else ProgrammeState.ACTIVE
    with engine.begin() as conn:
        conn.execute(update(Programme).where(Programme.id == found.id)
                     # next_wake_at: a resumed programme is planned at the next tick
                     .values(state=state.value, updated_at=_now(), next_wake_at=None))
    return True


def remove(engine: Engine, name: str, now: dt.datetime) -> int:
    """Delete the programme and every row of it (interviews, journal, posts' records,
    console accounts: the database cascades); returns how many interviews went. Refused
    while some process holds a lease on one of its interviews (pause it, wait, then
    remove). Its home's files are not touched."""
    from sqlalchemy import delete, func, select

    from publisher.store.models import Interview, Programme

    found = _named(engine, name)
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":  # the row is deleted with everything under it
            conn.execute(select(Programme.id).where(Programme.id == found.id)
                         .with_for_update())
        leased = conn.execute(select(func.count()).select_from(Interview).where(
            Interview.programme_id == found.id, Interview.lease_expires_at > now)).scalar_one()
        if leased:
            raise ProgrammeError(
                f"the programme {name!r} is busy: {leased} interview(s) are being worked on "
                "now. Pause it (`publisher programmes pause`), wait for them, and try again")
        count = conn.execute(select(func.count()).select_from(Interview)
                             .where(Interview.programme_id == found.id)).scalar_one()
        conn.execute(delete(Programme).where(Programme.id == found.id))
    return int(count)


def _named(engine: Engine, name: str) -> Found:
    found = find(engine, name)
    if found is None:
        known = ", ".join(r.name for r in list_programmes(engine, _now())) or "none"
        raise ProgrammeError(f"no programme {name!r} in this database (known: {known})")
    return found


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
