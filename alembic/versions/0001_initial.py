"""initial schema: interviews, speakers, captions, localizations, events

Revision ID: 0001
Revises: 
Create Date: 2026-11-25
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_interview_id'), ['interview_id'], unique=False)

    op.create_table('interviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('video_path', sa.Text(), nullable=False),
    sa.Column('video_size', sa.BigInteger(), nullable=False),
    sa.Column('video_sha256', sa.String(length=64), nullable=False),
    sa.Column('video_duration_s', sa.Float(), nullable=False),
    sa.Column('video_width', sa.Integer(), nullable=False),
    sa.Column('video_height', sa.Integer(), nullable=False),
    sa.Column('video_codec', sa.String(length=40), nullable=False),
    sa.Column('audio_codec', sa.String(length=40), nullable=True),
    sa.Column('container_format', sa.String(length=80), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('hashtags', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('thumbnail_path', sa.Text(), nullable=True),
    sa.Column('playlist', sa.String(length=200), nullable=True),
    sa.Column('category_id', sa.String(length=10), nullable=True),
    sa.Column('privacy', sa.String(length=10), nullable=True),
    sa.Column('made_for_kids', sa.Boolean(), nullable=True),
    sa.Column('synthetic_media', sa.Boolean(), nullable=True),
    sa.Column('license', sa.String(length=20), nullable=True),
    sa.Column('recording_date', sa.Date(), nullable=True),
    sa.Column('recording_place', sa.String(length=200), nullable=True),
    sa.Column('schedule', sa.String(length=100), nullable=True),
    sa.Column('not_before', sa.DateTime(), nullable=True),
    sa.Column('attention_reason', sa.Text(), nullable=True),
    sa.Column('lease_owner', sa.String(length=200), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('queued', 'held', 'staging', 'staged', 'released', 'published', 'needs_attention', 'cancelled')", name=op.f('ck_interviews_state_valid')),
    sa.CheckConstraint('video_size >= 0', name=op.f('ck_interviews_video_size_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interviews'))
    )
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interviews_position'), ['position'], unique=False)
        batch_op.create_index('ix_interviews_state_position', ['state', 'position'], unique=False)
        batch_op.create_index(batch_op.f('ix_interviews_video_sha256'), ['video_sha256'], unique=False)

    op.create_table('caption_tracks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('path', sa.Text(), nullable=False),
    sa.Column('format', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_caption_tracks_interview_id_interviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_caption_tracks')),
    sa.UniqueConstraint('interview_id', 'language', name='uq_caption_tracks_interview_language')
    )
    with op.batch_alter_table('caption_tracks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_caption_tracks_interview_id'), ['interview_id'], unique=False)

    op.create_table('localizations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=35), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_localizations_interview_id_interviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_localizations')),
    sa.UniqueConstraint('interview_id', 'language', name='uq_localizations_interview_language')
    )
    with op.batch_alter_table('localizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_localizations_interview_id'), ['interview_id'], unique=False)

    op.create_table('speakers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=200), nullable=True),
    sa.Column('links', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['interviews.id'], name=op.f('fk_speakers_interview_id_interviews'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_speakers')),
    sa.UniqueConstraint('interview_id', 'position', name='uq_speakers_interview_position')
    )
    with op.batch_alter_table('speakers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_speakers_interview_id'), ['interview_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('speakers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_speakers_interview_id'))

    op.drop_table('speakers')
    with op.batch_alter_table('localizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_localizations_interview_id'))

    op.drop_table('localizations')
    with op.batch_alter_table('caption_tracks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_caption_tracks_interview_id'))

    op.drop_table('caption_tracks')
    with op.batch_alter_table('interviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interviews_video_sha256'))
        batch_op.drop_index('ix_interviews_state_position')
        batch_op.drop_index(batch_op.f('ix_interviews_position'))

    op.drop_table('interviews')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_interview_id'))

    op.drop_table('events')

