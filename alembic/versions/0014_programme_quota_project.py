"""programmes.quota_project, interviews.lease_since: for the shared quota and `status`

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03

Programmes whose OAuth clients belong to one Google Cloud project share one quota, so the units
a release of the day needs must be held back from the uploads of every programme of that
project (publisher/quota.py, `release_reserve`). The key is read from each home's files, which
a deployment-wide query cannot open: each programme records it here whenever it charges the
ledger. NULL until then (an existing programme: at its next YouTube call).

`interviews.lease_since`: when the current holder of an interview's lease took it (renewals
keep it), so `status` can say which worker holds what since when.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quota_project', sa.String(length=100), nullable=True))
        batch_op.create_index(batch_op.f('ix_programmes_quota_project'), ['quota_project'],
                              unique=False)
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.add_column(sa.Column('lease_since', sa.DateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_column('lease_since')
    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_programmes_quota_project'))
        batch_op.drop_column('quota_project')
