"""programmes.next_wake_at and home_stamp: the tick plans a programme only when it may have work

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-03

The workers' periodic tick (publisher/workers/tasks.py) deferred one plan per active programme
every minute, whether anything of it was due or not. Each plan now writes when the programme
needs the next one (`next_wake_at`: its next event, at most 15 minutes ahead, in the clock the
plan used; NULL: at the next tick), and the stamp of the home files it planned with
(`home_stamp`: publisher.toml, the schedules, the credentials), so that the tick notices an
edited schedule. Any write to the programme's rows sets `next_wake_at` back to NULL
(publisher/store/plan_gate.py). The index serves the tick's query: the active programmes whose
time has come. New nullable columns: existing rows are planned at the next tick, as before.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = 'ix_programmes_state_next_wake_at'


def upgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('next_wake_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('home_stamp', sa.String(length=64), nullable=True))
    op.create_index(_INDEX, 'programmes', ['state', 'next_wake_at'])


def downgrade() -> None:
    op.drop_index(_INDEX, table_name='programmes')
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_column('home_stamp')
        batch_op.drop_column('next_wake_at')
