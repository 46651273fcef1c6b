"""quota per Google Cloud project: quota_usage keyed (quota_project, day, bucket)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03

YouTube's quota belongs to a Google Cloud project, not to a channel: homes whose OAuth clients
share one project share one ledger. The rows already counted cannot know their project here
(a migration has no home): they get the key 'unassigned', and the first home that reads or
charges the ledger takes them into its own (publisher/quota.py, `adopt_unassigned`). Before
this revision a database served one home, so they are that home's.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNASSIGNED = 'unassigned'  # publisher.quota.UNASSIGNED (migrations do not import the app)


def upgrade() -> None:
    with op.batch_alter_table('quota_usage', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quota_project', sa.String(length=100), nullable=False,
                                      server_default=UNASSIGNED))
        batch_op.drop_constraint('pk_quota_usage', type_='primary')
        batch_op.create_primary_key('pk_quota_usage', ['quota_project', 'day', 'bucket'])
    # Every row written from now on names its ledger.
    with op.batch_alter_table('quota_usage', schema=None) as batch_op:
        batch_op.alter_column('quota_project', server_default=None,
                              existing_type=sa.String(length=100), existing_nullable=False)


def downgrade() -> None:
    # One ledger again: the projects' figures of a day add up (the cautious reading).
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT day, bucket, SUM(units) AS units FROM quota_usage "
                                "GROUP BY day, bucket")).all()
    op.execute("DELETE FROM quota_usage")
    with op.batch_alter_table('quota_usage', schema=None) as batch_op:
        batch_op.drop_constraint('pk_quota_usage', type_='primary')
        batch_op.create_primary_key('pk_quota_usage', ['day', 'bucket'])
        batch_op.drop_column('quota_project')
    for r in rows:  # the values as the database gave them (SQLite keeps dates as text)
        bind.execute(sa.text("INSERT INTO quota_usage (day, bucket, units) "
                             "VALUES (:day, :bucket, :units)"),
                     {"day": r.day, "bucket": r.bucket, "units": int(r.units)})
