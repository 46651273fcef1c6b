"""programmes: every row belongs to a programme

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03

One database may serve many programmes (homes). A table `programmes` names them; every table
whose rows are a programme's gets `programme_id` (a foreign key, ON DELETE CASCADE). Existing
rows all go to programme 1, "default": a home whose publisher.toml names no programme keeps
working unchanged. The runtime facts are kept per programme (primary key (programme_id, key))
and console account names are unique per programme. The quota ledger stays the
deployment's. Downgrading is refused while the database holds more than one programme.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Tables with a surrogate id: programme_id is a plain indexed foreign key.
_SCOPED = ['interviews', 'speakers', 'caption_tracks', 'localizations', 'events',
           'publications', 'corrections', 'web_users']


def _sequence_of(table: str) -> int | None:
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        return None
    seq = bind.execute(sa.text("SELECT seq FROM sqlite_sequence WHERE name = :t"),
                       {"t": table}).scalar()
    return int(seq) if seq is not None else None


def _restore_sequence(table: str, seq: int | None) -> None:
    # SQLite rebuilds the table: keep interviews AUTOINCREMENT and keep its counter (0005).
    if seq is None:
        return
    bind = op.get_bind()
    bind.execute(sa.text("DELETE FROM sqlite_sequence WHERE name = :t"), {"t": table})
    bind.execute(sa.text("INSERT INTO sqlite_sequence (name, seq) VALUES (:t, :n)"),
                 {"t": table, "n": seq})


def _kwargs(table: str) -> dict[str, bool]:
    return {'sqlite_autoincrement': True} if table == 'interviews' else {}



def upgrade() -> None:
    op.create_table('programmes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('home_path', sa.Text(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("state IN ('active', 'paused')", name=op.f('ck_programmes_state_valid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_programmes')),
    sa.UniqueConstraint('name', name=op.f('uq_programmes_name'))
    )
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    programmes = sa.table('programmes', sa.column('name', sa.String),
                          sa.column('state', sa.String), sa.column('created_at', sa.DateTime),
                          sa.column('updated_at', sa.DateTime))
    bind = op.get_bind()
    bind.execute(sa.insert(programmes).values(name='default', state='active', created_at=now,
                                              updated_at=now))
    default_id = bind.execute(sa.text("SELECT id FROM programmes WHERE name = 'default'")
                              ).scalar_one()

    for table in [*_SCOPED, 'runtime_state']:
        op.add_column(table, sa.Column('programme_id', sa.Integer(), nullable=True))
        bind.execute(sa.text(f"UPDATE {table} SET programme_id = :p"), {"p": default_id})

    for table in _SCOPED:
        seq = _sequence_of(table)
        with op.batch_alter_table(table, schema=None, table_kwargs=_kwargs(table)) as batch_op:
            batch_op.alter_column('programme_id', existing_type=sa.Integer(), nullable=False)
            batch_op.create_foreign_key(batch_op.f(f'fk_{table}_programme_id_programmes'),
                                        'programmes', ['programme_id'], ['id'],
                                        ondelete='CASCADE')
            batch_op.create_index(batch_op.f(f'ix_{table}_programme_id'), ['programme_id'],
                                  unique=False)
            if table == 'web_users':
                batch_op.drop_constraint('uq_web_users_name', type_='unique')
                batch_op.create_unique_constraint('uq_web_users_programme_name',
                                                  ['programme_id', 'name'])
        _restore_sequence(table, seq)

    with op.batch_alter_table('runtime_state', schema=None) as batch_op:
        batch_op.alter_column('programme_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint('pk_runtime_state', type_='primary')
        batch_op.create_primary_key('pk_runtime_state', ['programme_id', 'key'])
        batch_op.create_foreign_key(batch_op.f('fk_runtime_state_programme_id_programmes'),
                                    'programmes', ['programme_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    bind = op.get_bind()
    count = bind.execute(sa.text("SELECT count(*) FROM programmes")).scalar_one()
    if count > 1:
        raise RuntimeError(
            f"this database holds {count} programmes: a schema before 0011 can hold only one. "
            "Remove the others first (`publisher programmes remove`)")

    with op.batch_alter_table('runtime_state', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_runtime_state_programme_id_programmes'),
                                 type_='foreignkey')
        batch_op.drop_constraint('pk_runtime_state', type_='primary')
        batch_op.create_primary_key('pk_runtime_state', ['key'])
        batch_op.drop_column('programme_id')

    for table in reversed(_SCOPED):
        seq = _sequence_of(table)
        with op.batch_alter_table(table, schema=None, table_kwargs=_kwargs(table)) as batch_op:
            if table == 'web_users':
                batch_op.drop_constraint('uq_web_users_programme_name', type_='unique')
                batch_op.create_unique_constraint('uq_web_users_name', ['name'])
            batch_op.drop_index(batch_op.f(f'ix_{table}_programme_id'))
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_programme_id_programmes'),
                                     type_='foreignkey')
            batch_op.drop_column('programme_id')
        _restore_sequence(table, seq)

    op.drop_table('programmes')
