"""Apply Alembic migrations from code (`publisher db upgrade`, `publisher init`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from publisher.store.db import is_sqlite

if TYPE_CHECKING:
    from alembic.config import Config

# Any constant shared by every publisher process: serialises concurrent upgrades on PostgreSQL.
_PG_ADVISORY_LOCK = 0x7075626C  # "publ"


#: Procrastinate's own tables, types and functions (publisher/workers/): in our database,
#: created by our migration 0011, but not our models.
ENGINE_PREFIX = "procrastinate_"


def ours(name: str | None, type_: str, parent_names: object) -> bool:
    """Alembic's `include_name`: compare and autogenerate only our objects."""
    return not (name or "").startswith(ENGINE_PREFIX)


def migrations_dir() -> Path:
    """alembic/ in a source checkout, or the copy a wheel carries inside the package."""
    package = Path(__file__).resolve().parent.parent
    for candidate in (package / "_migrations", package.parent / "alembic"):
        if (candidate / "env.py").is_file():
            return candidate
    raise FileNotFoundError("the Alembic migrations are missing from this installation")


def alembic_config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    if engine is not None:
        cfg.set_main_option("sqlalchemy.url",
                            engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to `revision`, safely against a concurrent upgrade."""
    _run(engine, "upgrade", revision)


def downgrade(engine: Engine, revision: str) -> None:
    _run(engine, "downgrade", revision)


def _run(engine: Engine, direction: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine)
    with engine.connect() as conn:
        if is_sqlite(str(engine.url)):
            # Batch migrations copy tables; with foreign keys on, dropping the old copy would
            # cascade. The pragma is ignored inside a transaction, so set it before one starts.
            _raw_pragma(conn, "PRAGMA foreign_keys=OFF")
        else:
            conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _PG_ADVISORY_LOCK})
            conn.commit()
        try:
            cfg.attributes["connection"] = conn
            getattr(command, direction)(cfg, revision)
            if is_sqlite(str(engine.url)):
                from publisher.store.change_counter import install_triggers

                install_triggers(conn)  # a rebuilt table lost its triggers
            conn.commit()
        finally:
            if is_sqlite(str(engine.url)):
                conn.rollback()
                _raw_pragma(conn, "PRAGMA foreign_keys=ON")
            else:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_ADVISORY_LOCK})
                conn.commit()


def _raw_pragma(conn: Connection, sql: str) -> None:
    """Run a pragma outside any transaction (SQLAlchemy would open one first)."""
    dbapi_conn = conn.connection.driver_connection
    assert dbapi_conn is not None
    dbapi_conn.execute(sql)
