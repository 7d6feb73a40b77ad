"""SQL statements live in ``include/sql/``, one per file; this module only reads them."""

from __future__ import annotations

from functools import cache

from attendance_bridge.settings import SQL_DIR


@cache
def load_sql(name: str) -> str:
    """Return the text of ``include/sql/<name>.sql`` (``name`` may contain a sub-folder)."""
    path = (SQL_DIR / f"{name}.sql").resolve()
    if SQL_DIR.resolve() not in path.parents:
        raise ValueError(f"SQL file name {name!r} leaves include/sql/")
    return path.read_text(encoding="utf-8")
