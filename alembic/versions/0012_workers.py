"""workers: Procrastinate's schema (PostgreSQL) and the table of publisher workers

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

`publisher worker` runs the pipeline's steps as Procrastinate jobs (publisher/workers/). On
PostgreSQL this applies the schema of the pinned Procrastinate (3.10: `procrastinate/sql/
schema.sql`, which is not idempotent, hence the check) unless it is there already; a later
Procrastinate upgrade gets its own migration running that release's SQL files. SQLite homes
run `publisher run` and get no Procrastinate schema. Both get `workers`, for `status`.
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_DROP_ENGINE = """
DROP TABLE IF EXISTS procrastinate_events, procrastinate_periodic_defers, procrastinate_jobs,
    procrastinate_workers CASCADE;
DO $$
DECLARE f record;
BEGIN
    FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p
             JOIN pg_namespace n ON n.oid = p.pronamespace
             WHERE n.nspname = current_schema() AND p.proname LIKE 'procrastinate\\_%'
    LOOP
        EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
    END LOOP;
END $$;
DROP TYPE IF EXISTS procrastinate_job_to_defer_v1, procrastinate_job_event_type,
    procrastinate_job_status CASCADE;
"""


def _driver_execute(sql: str) -> None:
    """Run a script of many statements as it is (no parameter parsing)."""
    dbapi = op.get_bind().connection.driver_connection
    assert dbapi is not None
    dbapi.execute(sql)


def upgrade() -> None:
    op.create_table(
        'workers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('host', sa.String(length=200), nullable=False),
        sa.Column('pid', sa.Integer(), nullable=False),
        sa.Column('concurrency', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(), nullable=False),
        sa.Column('heartbeat_at', sa.DateTime(), nullable=False),
        sa.Column('stopped_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workers')),
        sa.UniqueConstraint('name', name=op.f('uq_workers_name')),
    )
    if op.get_bind().dialect.name != 'postgresql':
        return
    present = op.get_bind().execute(sa.text("SELECT to_regclass('procrastinate_jobs')")).scalar()
    if present is None:
        from importlib import resources

        _driver_execute((resources.files("procrastinate.sql") / "schema.sql")
                        .read_text(encoding="utf-8"))


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        _driver_execute(_DROP_ENGINE)
    op.drop_table('workers')
