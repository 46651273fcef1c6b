"""The SQL guard: every statement publisher's own code sends that names a programme's table
must also name that table's `programme_id` (publisher/store/scope.py).

The ORM hook scopes what goes through a session; this catches what it cannot see: Core
statements, `text()`, raw connections. It listens to every engine's cursor, and looks only at
statements issued from publisher/ (a test's own SQL is its business), leaving out the
migrations, the unit of work's writes by primary key of rows it loaded in scope, and
statements that say they are deployment-wide (publisher/services/programmes.py names the
programme in every query anyway).

A reference to a scoped table, `FROM interviews` or `JOIN speakers AS speakers_1` or `UPDATE
publications`, needs `interviews.programme_id` (or the alias's) somewhere in the statement;
an `INSERT INTO interviews (…)` needs `programme_id` among its columns.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from publisher.store.models import Base

SCOPED = frozenset(t.name for t in Base.metadata.tables.values() if "programme_id" in t.c)
_PUBLISHER = str(Path(__file__).resolve().parents[2] / "publisher") + "/"
_SKIPPED_PREFIXES = (str(Path(__file__).resolve().parents[2] / "alembic") + "/",)
_LIBRARIES = ("/sqlalchemy/", "/alembic/", "/contextlib.py")
# The modules whose statements are not a programme's: migrations, the schema check.
_EXEMPT = ("publisher/store/migrate.py", "publisher/store/db.py")
# The unit of work writes back, by primary key, rows it loaded through the scoped hook.
_UNIT_OF_WORK = frozenset({"_emit_update_statements", "_emit_delete_statements",
                           "_emit_post_update_statements"})
_REFERENCE = re.compile(
    r'\b(FROM|JOIN|UPDATE|INTO)\s+"?(\w+)"?(?:\s+AS\s+"?(\w+)"?)?', re.IGNORECASE)


def _origin() -> str | None:
    """The file of the innermost caller that is neither SQLAlchemy nor Alembic, unless the
    unit of work is writing (then None: nothing to check)."""
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_code.co_filename
        if frame.f_code.co_name in _UNIT_OF_WORK and "/sqlalchemy/" in name:
            return None
        if not any(lib in name for lib in _LIBRARIES):
            return name
        frame = frame.f_back  # type: ignore[assignment]
    return None


def problems(statement: str) -> list[str]:
    """What the statement leaves unscoped: the scoped tables it names without their
    programme_id."""
    found = []
    lowered = statement.lower()
    for keyword, table, alias in _REFERENCE.findall(statement):
        if table not in SCOPED:
            continue
        if keyword.upper() == "INTO":
            columns = statement[statement.find("(") + 1:statement.find(")")].lower() \
                if "(" in statement else ""
            if "programme_id" not in columns:
                found.append(f"INSERT INTO {table} without programme_id")
            continue
        name = (alias or table).lower()
        qualified = re.search(rf'\b"?{re.escape(name)}"?\."?programme_id\b', lowered)
        writes = keyword.upper() == "UPDATE" or lowered.startswith("delete")
        in_where = "programme_id" in lowered.split(" where ", 1)[1] \
            if " where " in lowered else False
        if not (qualified or (writes and in_where)):
            found.append(f"{table}{' AS ' + alias if alias else ''} without "
                         f"{name}.programme_id")
    return found


class SqlGuard:
    """Records every unscoped statement of publisher's code while installed."""

    def __init__(self) -> None:
        self.violations: list[str] = []

    def _check(self, _conn: Any, _cursor: Any, statement: str, _params: Any, _context: Any,
               _executemany: bool) -> None:
        head = statement.lstrip()[:8].upper()
        if not head.startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            return
        if not any(t in statement for t in SCOPED):
            return
        origin = _origin()
        if origin is None or not origin.startswith(_PUBLISHER) \
                or origin.startswith(_SKIPPED_PREFIXES) \
                or any(origin.endswith(e) for e in _EXEMPT):
            return
        for problem in problems(statement):
            self.violations.append(f"{problem} (from {origin}): {' '.join(statement.split())}")

    def __enter__(self) -> SqlGuard:
        event.listen(Engine, "before_cursor_execute", self._check)
        return self

    def __exit__(self, *_: object) -> None:
        event.remove(Engine, "before_cursor_execute", self._check)
