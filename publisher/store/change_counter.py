"""The change counter's triggers (SQLite): every insert, update or delete on any table moves
`change_counter.n`, except the rows of runtime_state that `run-due` keeps about itself, so a
quiet `run-due` can prove nothing changed (publisher/pipeline/quiet.py).

A migration that rebuilds a table on SQLite (batch_alter_table) drops that table's triggers;
the migration runner (store/migrate.py) gives them back after every upgrade or downgrade, so
no migration has to remember to.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

PREFIX = "change_counter_"
#: runtime_state rows that run-due writes about itself: they are not a change.
OWN_ROWS = ("run_due", "run_due_quiet")
_SKIP = ("alembic_version", "change_counter")


def install_triggers(conn: Connection) -> None:
    """Create every missing trigger; nothing when the database has no change counter."""
    names = {name for (name,) in conn.execute(text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))}
    if "change_counter" not in names:
        return
    own = ", ".join(f"'{key}'" for key in OWN_ROWS)
    for table in sorted(names - set(_SKIP)):
        for when, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            only = f" WHEN {row}.key NOT IN ({own})" if table == "runtime_state" else ""
            conn.execute(text(
                f"CREATE TRIGGER IF NOT EXISTS {PREFIX}{table}_{when.lower()} "
                f"AFTER {when} ON {table}{only} "
                "BEGIN UPDATE change_counter SET n = n + 1; END"))
