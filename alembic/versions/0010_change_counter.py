"""change counter: a number every write to the database moves (SQLite)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03

`publisher run-due` from cron proves "nothing is due" without loading the pipeline when the
database has not changed since a run that found nothing due (publisher/pipeline/quiet.py).
On SQLite, triggers on every table add one to `change_counter.n` at each insert, update or
delete; the rows of runtime_state that run-due itself keeps (`run_due`, `run_due_quiet`)
do not count. PostgreSQL gets the table only (the fast path is SQLite's).

A migration that rebuilds a table on SQLite (batch_alter_table) drops its triggers: the
migration runner gives them back after every upgrade (publisher/store/change_counter.py);
without them run-due simply takes the full path (publisher/pipeline/quiet.py checks that
every table has its three triggers).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OWN_ROWS = "('run_due', 'run_due_quiet')"
_SKIP = ("alembic_version", "change_counter")


def _install(bind: sa.engine.Connection) -> None:
    tables = [name for (name,) in bind.execute(sa.text(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"))
        if name not in _SKIP]
    for table in tables:
        for when, row in (("INSERT", "NEW"), ("UPDATE", "NEW"), ("DELETE", "OLD")):
            only = f" WHEN {row}.key NOT IN {_OWN_ROWS}" if table == "runtime_state" else ""
            bind.execute(sa.text(
                f"CREATE TRIGGER IF NOT EXISTS change_counter_{table}_{when.lower()} "
                f"AFTER {when} ON {table}{only} "
                "BEGIN UPDATE change_counter SET n = n + 1; END"))


def upgrade() -> None:
    op.create_table(
        'change_counter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('n', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_change_counter')),
    )
    op.execute("INSERT INTO change_counter (id, n) VALUES (1, 0)")
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        _install(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for (name,) in bind.execute(sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                "AND name LIKE 'change_counter_%'")).all():
            bind.execute(sa.text(f"DROP TRIGGER {name}"))
    op.drop_table('change_counter')
