"""indexes for the daemon's wake-up

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Every wake-up of the daemon asks which publication records are open (a decoration waiting)
and which are to be tried again after `now`. Without these indexes each question probed the
records of every published interview; with them it reads only the few open or waiting ones.
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_publications_state', 'publications', ['state'])
    op.create_index('ix_publications_next_attempt_at', 'publications', ['next_attempt_at'])


def downgrade() -> None:
    op.drop_index('ix_publications_next_attempt_at', table_name='publications')
    op.drop_index('ix_publications_state', table_name='publications')
