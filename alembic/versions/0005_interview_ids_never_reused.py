"""interview ids never reused

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

SQLite gives a new row the highest id + 1 unless the table is AUTOINCREMENT: after `queue
remove` of the newest interview, the next one got its id and inherited its journal. The
interviews table is rebuilt AUTOINCREMENT, and its counter starts past every id ever given —
the journal (events) remembers removed interviews too. PostgreSQL's sequence never goes back;
it is only moved past the journal's ids if it were behind them.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _highest_id_ever() -> int:
    return int(op.get_bind().execute(sa.text(
        "SELECT MAX(n) FROM (SELECT MAX(id) AS n FROM interviews "
        "UNION ALL SELECT MAX(interview_id) FROM events) AS ids")).scalar() or 0)


def upgrade() -> None:
    bind = op.get_bind()
    highest = _highest_id_ever()
    if bind.dialect.name == 'sqlite':
        with op.batch_alter_table('interviews', schema=None, recreate='always',
                                  table_kwargs={'sqlite_autoincrement': True}):
            pass
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = 'interviews'"))
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES ('interviews', :n)"),
                     {"n": highest})
        return
    if bind.dialect.name == 'postgresql' and highest > 0:
        sequence = bind.execute(sa.text(
            "SELECT pg_get_serial_sequence('interviews', 'id')")).scalar()
        if sequence:
            row = bind.execute(sa.text(f"SELECT last_value, is_called FROM {sequence}")).one()
            next_id = row.last_value + 1 if row.is_called else row.last_value
            if highest >= next_id:
                bind.execute(sa.text("SELECT setval(:s, :n, true)"),
                             {"s": sequence, "n": highest})


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('interviews', schema=None, recreate='always'):
            pass
