"""withdrawals: interviews may be withdrawn, posts deleting and deleted

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-12

`publisher withdraw` takes an interview down after its release: the interview's new state
`withdrawn`, and two states of a post record, `deleting` (the delete is wanted and may have
been sent) and `deleted`. Only the two CHECK constraints that list the states change.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INTERVIEW = ['queued', 'held', 'staging', 'staged', 'released', 'published',
              'needs_attention', 'cancelled']
_PUBLICATION = ['pending', 'in_flight', 'done', 'unknown', 'failed', 'needs_attention',
                'skipped']


def _check(values: list[str]) -> str:
    return "state IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _replace(table: str, values: list[str]) -> None:
    # SQLite rebuilds the table to change a constraint: keep it AUTOINCREMENT and keep its
    # counter, so that no id is ever given twice (0005).
    bind = op.get_bind()
    sqlite = bind.dialect.name == 'sqlite'
    seq = None
    if sqlite:
        seq = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"),
                           {"t": table}).scalar()
    kwargs = {'sqlite_autoincrement': True} if table == 'interviews' else {}
    with op.batch_alter_table(table, schema=None, table_kwargs=kwargs) as batch_op:
        batch_op.drop_constraint('state_valid', type_='check')
        batch_op.create_check_constraint('state_valid', _check(values))
    if sqlite and seq is not None:
        bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
        bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
                     {"t": table, "n": seq})


def upgrade() -> None:
    _replace('interviews', [*_INTERVIEW, 'withdrawn'])
    _replace('publications', [*_PUBLICATION, 'deleting', 'deleted'])


def downgrade() -> None:
    op.execute("UPDATE publications SET state = 'done' WHERE state = 'deleting'")
    op.execute("UPDATE publications SET state = 'skipped' WHERE state = 'deleted'")
    op.execute("UPDATE interviews SET state = 'needs_attention' WHERE state = 'withdrawn'")
    _replace('publications', _PUBLICATION)
    _replace('interviews', _INTERVIEW)
