"""The tables as SQLAlchemy Core sees them, without the ORM: for the read paths that must
start fast (`queue list` reads 10,000 rows in a fresh process; importing the ORM and the
models would cost it more than the reading).

Only the columns those reads use, each with its type from publisher.store.models (a test,
tests/test_light_tables.py, keeps names and types equal). Writes go through the models.
No hook scopes these Core reads to a programme (publisher/store/scope.py): each query names
`programme_id` itself.
"""

from __future__ import annotations

from sqlalchemy import JSON, Float, Integer, String, Text, column, table

from publisher.store.types import UTCDateTime

interviews = table(
    "interviews",
    column("id", Integer),
    column("programme_id", Integer),
    column("position", Integer),
    column("state", String),
    column("title", Text),
    column("schedule", String),
    column("not_before", UTCDateTime()),
    column("video_duration_s", Float),
    column("video_path", Text),
    column("created_at", UTCDateTime()),
    column("hashtags", JSON),
)

speakers = table(
    "speakers",
    column("programme_id", Integer),
    column("interview_id", Integer),
    column("position", Integer),
    column("name", String),
    column("role", String),
)
