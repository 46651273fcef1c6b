"""publications.went_out_at: set on every record that went out, and only there

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03

Until now the Published page took each time from a fallback chain computed at every
request — the record's `went_out_at`, else (a video) its interview's slot, else its release
record's last change, else the record's own last change — and decided at every request
whether a video was out (its release record done, or its interview released or published).
From now on `went_out_at` says both (publisher/lifecycle.py writes it): a video record has
one once its video is public and only then, a post record with the entry saying it went
out. This revision makes the records already there say the same, exactly as the page
computed it:

- a video record (youtube, video) that is done with a video id, whose release record is
  done or whose interview is released or published, and has no time: its interview's slot,
  else its release record's `updated_at`, else its own `updated_at`;
- any other video record: no time (0016 stamped one from a resolve naming YouTube before
  the video was public; `lifecycle.stamp_public_video` gives it the journal's time when it
  becomes public);
- a post record that is done and has no time: its own `updated_at`.

The index serves the page as one walk: a programme's done records with a time, newest
first, with the tie-breaks of its order (interview, platform) and the step it keeps (video,
post) in the index, so that the page, its count and its filters (a month: a range of
`went_out_at`; a platform: an equality) read no row they do not show.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# publisher.store.models' PublicationState / State and publisher.lifecycle's Step values
# (migrations do not import the app).
_DONE = 'done'
_PUBLIC_STATES = ('released', 'published')
_INDEX = 'ix_publications_programme_state_went_out_at'


def upgrade() -> None:
    pubs = sa.table('publications', sa.column('id', sa.Integer),
                    sa.column('programme_id', sa.Integer), sa.column('interview_id', sa.Integer),
                    sa.column('platform', sa.String), sa.column('step', sa.String),
                    sa.column('state', sa.String), sa.column('remote_id', sa.String),
                    sa.column('updated_at', sa.DateTime), sa.column('went_out_at', sa.DateTime))
    release = pubs.alias('release')
    interviews = sa.table('interviews', sa.column('id', sa.Integer),
                          sa.column('programme_id', sa.Integer), sa.column('state', sa.String),
                          sa.column('slot_at', sa.DateTime))

    def of_interview(column: sa.ColumnClause[object]) -> sa.ScalarSelect[object]:
        return (sa.select(column).where(interviews.c.id == pubs.c.interview_id,
                                        interviews.c.programme_id == pubs.c.programme_id)
                .scalar_subquery())

    release_done = sa.and_(release.c.interview_id == pubs.c.interview_id,
                           release.c.programme_id == pubs.c.programme_id,
                           release.c.platform == 'youtube', release.c.step == 'release',
                           release.c.state == _DONE)
    public = sa.and_(pubs.c.state == _DONE, pubs.c.remote_id.is_not(None),
                     pubs.c.remote_id != '',
                     sa.or_(sa.select(release.c.id).where(release_done).exists(),
                            of_interview(interviews.c.state).in_(_PUBLIC_STATES)))
    video = sa.and_(pubs.c.platform == 'youtube', pubs.c.step == 'video')
    released_at = sa.select(sa.func.max(release.c.updated_at)).where(release_done)

    bind = op.get_bind()
    bind.execute(sa.update(pubs).where(video, pubs.c.went_out_at.is_(None), public)
                 .values(went_out_at=sa.func.coalesce(of_interview(interviews.c.slot_at),
                                                      released_at.scalar_subquery(),
                                                      pubs.c.updated_at)))
    bind.execute(sa.update(pubs).where(video, pubs.c.went_out_at.is_not(None), sa.not_(public))
                 .values(went_out_at=None))
    bind.execute(sa.update(pubs).where(pubs.c.step == 'post', pubs.c.state == _DONE,
                                       pubs.c.went_out_at.is_(None))
                 .values(went_out_at=pubs.c.updated_at))
    op.create_index(_INDEX, 'publications', ['programme_id', 'state', 'went_out_at',
                                             'interview_id', 'platform', 'step'])


def downgrade() -> None:
    # The times filled stay: 0016's page reads them before its fallbacks, which they equal
    # (a time cleared from a video not yet public is not restored: its release stamps one).
    op.drop_index(_INDEX, table_name='publications')
