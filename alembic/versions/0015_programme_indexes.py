"""programme indexes: the indexes a programme's queries use lead with programme_id

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03

One database serves many programmes, and every query of a programme names its programme_id
(publisher/store/scope.py). An index on (state, position) or (slot_at) alone makes such a
query read every programme's rows of that state, a cost that grows with the number of
programmes. Each such index is replaced by the same index led by programme_id, and the
children's lookups by interview get (programme_id, interview_id); a primary-key lookup (one
row) stays as it is. The plans are in benchmarks/README.md ("Many programmes"). The unique
constraints stay: led by interview_id, they serve the cascades from interviews. Only indexes
change, so both directions are quick and lose nothing.
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: (table, index before, its columns, index after, its columns)
_REPLACED = [
    ('interviews', 'ix_interviews_position', ['position'],
     'ix_interviews_programme_position', ['programme_id', 'position']),
    ('interviews', 'ix_interviews_state_position', ['state', 'position'],
     'ix_interviews_programme_state_position', ['programme_id', 'state', 'position']),
    ('interviews', 'ix_interviews_slot_at', ['slot_at'],
     'ix_interviews_programme_slot_at', ['programme_id', 'slot_at']),
    ('interviews', 'ix_interviews_video_sha256', ['video_sha256'],
     'ix_interviews_programme_video_sha256', ['programme_id', 'video_sha256']),
    ('speakers', 'ix_speakers_interview_id', ['interview_id'],
     'ix_speakers_programme_interview', ['programme_id', 'interview_id']),
    ('caption_tracks', 'ix_caption_tracks_interview_id', ['interview_id'],
     'ix_caption_tracks_programme_interview', ['programme_id', 'interview_id']),
    ('localizations', 'ix_localizations_interview_id', ['interview_id'],
     'ix_localizations_programme_interview', ['programme_id', 'interview_id']),
    ('events', 'ix_events_interview_id', ['interview_id'],
     'ix_events_programme_interview', ['programme_id', 'interview_id']),
    ('publications', 'ix_publications_interview_id', ['interview_id'],
     'ix_publications_programme_interview', ['programme_id', 'interview_id']),
    ('publications', 'ix_publications_state', ['state'],
     'ix_publications_programme_state', ['programme_id', 'state']),
    ('publications', 'ix_publications_next_attempt_at', ['next_attempt_at'],
     'ix_publications_programme_next_attempt_at', ['programme_id', 'next_attempt_at']),
    ('corrections', 'ix_corrections_interview_id', ['interview_id'],
     'ix_corrections_programme_interview', ['programme_id', 'interview_id']),
    ('corrections', 'ix_corrections_state_next_attempt_at', ['state', 'next_attempt_at'],
     'ix_corrections_programme_state_next_attempt_at',
     ['programme_id', 'state', 'next_attempt_at']),
]


def upgrade() -> None:
    for table, old, _old_cols, new, new_cols in _REPLACED:
        op.create_index(new, table, new_cols, unique=False)
        op.drop_index(old, table_name=table)


def downgrade() -> None:
    for table, old, old_cols, new, _new_cols in reversed(_REPLACED):
        op.create_index(old, table, old_cols, unique=False)
        op.drop_index(new, table_name=table)
