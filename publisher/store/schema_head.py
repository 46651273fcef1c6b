"""The schema this version of publisher works on, in a module of its own: the fast paths
that read SQLite without SQLAlchemy (publisher/store/raw_sqlite.py) check it too."""

# The newest revision in alembic/versions. Bump it with every new migration.
SCHEMA_HEAD = "0017"
