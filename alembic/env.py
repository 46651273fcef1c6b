"""Alembic environment for publisher.

Used by `publisher db upgrade` (which passes its own connection) and by developers running
`alembic` from the project root (alembic.ini; the URL comes from PUBLISHER_DATABASE_URL or
the default SQLite file).
"""

from __future__ import annotations

import os

from alembic import context
from publisher.home import Home
from publisher.store.db import make_engine
from publisher.store.migrate import ours
from publisher.store.models import Base
from publisher.store.types import UTCDateTime

config = context.config
target_metadata = Base.metadata


def _render_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Write our UTC column type as a plain DateTime: migrations must not import the app."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def _configure(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things: copy-and-move instead
        compare_type=True,
        render_item=_render_item,
        include_name=ours,  # Procrastinate's tables are its own (publisher/workers/)
    )


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    url = config.get_main_option("sqlalchemy.url") or Home.resolve(
        os.environ.get("PUBLISHER_HOME"), None).database_url
    engine = make_engine(url)
    with engine.connect() as conn:
        _configure(conn)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
