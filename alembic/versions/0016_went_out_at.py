"""publications.went_out_at: when a video was made public or a post went out

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03

The Published page and `publisher published` order everything that went out by when it
went out. That time was the journal's (the latest release, post, post found or resolve
recorded for the record's platform), looked up in the journal for every record at each
request. From now on `lifecycle.journal` stamps it on the record with the entry that says
so; this revision fills it for the records already there from the journal, as that lookup
computed it:

- a video record (youtube, video): the latest `released` entry of its interview, or
  `posted` / `post_found` / `resolved` entry naming YouTube;
- a post record (step post): the latest `posted` / `post_found` / `resolved` entry of its
  interview naming its platform.

A record the journal says nothing of keeps NULL (the page then falls back, as before, to the
slot or the record's last change). The first index serves the page: one programme's done
videos and posts, and each video's release record found by its interview (with the
programme, step and state the scoped query names; without interview_id in it, SQLite would
take this index for that lookup too and read every release of the programme for each
video). An interview's journal within its programme has its index since 0015.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# publisher.lifecycle's EventKind and Step values (migrations do not import the app).
_RELEASED = 'released'
_POST_KINDS = ('posted', 'post_found', 'resolved')
_INDEX = 'ix_publications_programme_id_step_state_interview_id'


def upgrade() -> None:
    op.add_column('publications', sa.Column('went_out_at', sa.DateTime(), nullable=True))
    op.create_index(_INDEX, 'publications', ['programme_id', 'step', 'state', 'interview_id'])
    events = sa.table('events', sa.column('programme_id', sa.Integer),
                      sa.column('interview_id', sa.Integer), sa.column('at', sa.DateTime),
                      sa.column('kind', sa.String), sa.column('detail', sa.JSON))
    pubs = sa.table('publications', sa.column('programme_id', sa.Integer),
                    sa.column('interview_id', sa.Integer), sa.column('platform', sa.String),
                    sa.column('step', sa.String), sa.column('went_out_at', sa.DateTime))

    def latest(*which: sa.ColumnElement[bool]) -> sa.ScalarSelect[object]:
        return (sa.select(sa.func.max(events.c.at))
                .where(events.c.interview_id == pubs.c.interview_id,
                       events.c.programme_id == pubs.c.programme_id, sa.or_(*which))
                .scalar_subquery())

    def said(platform: sa.ColumnElement[str] | str) -> sa.ColumnElement[bool]:
        return sa.and_(events.c.kind.in_(_POST_KINDS),
                       events.c.detail['platform'].as_string() == platform)

    bind = op.get_bind()
    bind.execute(sa.update(pubs)
                 .where(pubs.c.platform == 'youtube', pubs.c.step == 'video')
                 .values(went_out_at=latest(events.c.kind == _RELEASED, said('youtube'))))
    bind.execute(sa.update(pubs).where(pubs.c.step == 'post')
                 .values(went_out_at=latest(said(pubs.c.platform))))


def downgrade() -> None:
    op.drop_index(_INDEX, table_name='publications')
    with op.batch_alter_table('publications', schema=None) as batch_op:
        batch_op.drop_column('went_out_at')
