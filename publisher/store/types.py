"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes in, timezone-aware UTC datetimes out, on every backend.

    SQLite keeps no offset, so values are stored as naive UTC and given back as aware UTC.
    A naive datetime is refused: guessing its zone is how posts end up an hour off.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(dt.UTC).replace(tzinfo=None)

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """On SQLite, one C call per value (`fromisoformat` of the stored text) instead of
        the generic chain: listings read tens of thousands of these."""
        generic = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite":
            return generic
        parse, utc = dt.datetime.fromisoformat, dt.UTC

        def process(value: Any) -> dt.datetime | None:
            if value is None:
                return None
            if not isinstance(value, str):
                return generic(value) if generic is not None else value
            parsed = parse(value)
            return parsed.replace(tzinfo=utc) if parsed.tzinfo is None else parsed.astimezone(utc)

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
