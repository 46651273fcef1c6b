"""corrections of what is already on YouTube; interviews.embeddable

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-09

An edit of an interview already on YouTube becomes a correction: a row saying which YouTube
fields are still to be sent, the value each had when publisher last set it, and where it
stands. `embeddable` joins the YouTube settings an organizer may choose (None: YouTube's
default, embeddable).
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('platform', sa.String(length=20), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('fields', sa.JSON(), nullable=False),
    sa.Column('known', sa.JSON(), nullable=False),
    sa.Column('sent', sa.JSON(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.Column('applied_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("state IN ('pending', 'in_flight', 'done', 'waiting', 'conflict', "
                       "'needs_attention')", name=op.f('ck_corrections_state_valid')),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'],
                            name=op.f('fk_corrections_interview_id_interviews'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_corrections'))
    )
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_corrections_interview_id'), ['interview_id'],
                              unique=False)
        batch_op.create_index('ix_corrections_state_next_attempt_at',
                              ['state', 'next_attempt_at'], unique=False)

    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('embeddable', sa.Boolean(), nullable=True))


def downgrade() -> None:
    # SQLite rebuilds the table to drop a column: keep it AUTOINCREMENT (0005).
    with op.batch_alter_table('interviews', schema=None,
                              table_kwargs={'sqlite_autoincrement': True}) as batch_op:
        batch_op.drop_column('embeddable')
    with op.batch_alter_table('corrections', schema=None) as batch_op:
        batch_op.drop_index('ix_corrections_state_next_attempt_at')
        batch_op.drop_index(batch_op.f('ix_corrections_interview_id'))
    op.drop_table('corrections')
