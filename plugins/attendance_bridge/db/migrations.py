"""The pipeline's own tables in the SIS database: their migrations.

The schema (``attendance_bridge`` unless configured) holds ``run_log``, ``lineage`` (X7) and
the backups (X6). Its tables are created by the numbered files of
``include/sql/pipeline/migrations/``, applied in name order, each in a transaction, under an
advisory lock so two workers that start at once do not race.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping

import psycopg
from psycopg import sql

from attendance_bridge.config import PIPELINE_SCHEMA, SQL_DIR
from attendance_bridge.db.sql import load_sql, statement
from attendance_bridge.errors import MigrationChanged, MigrationNeedsOwner

MIGRATIONS_DIR = SQL_DIR / "pipeline" / "migrations"
# First key of the two-key advisory locks the migrator takes; the second is the schema's hash.
MIGRATION_LOCK_CLASS = zlib.crc32(b"attendance_bridge.migrate") & 0x7FFFFFFF
# A pipeline schema name as the migrations can write it anywhere (identifiers, format() strings).
PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def migrations() -> list[tuple[str, str]]:
    """Every migration as (name, text), in the order they apply."""
    return [(path.stem, path.read_text(encoding="utf-8")) for path in sorted(MIGRATIONS_DIR.glob("*.sql"))]


def migrate(conn: psycopg.Connection, schema: str = PIPELINE_SCHEMA) -> list[str]:
    """Bring ``schema`` up to date; return the names of the migrations applied now (none when current)."""
    if not PLAIN_NAME.fullmatch(schema):
        # Migration 0007's functions write the schema's name into format() strings and literals.
        raise ValueError(
            f"the pipeline schema's name {schema!r} must be letters, digits and underscores, not starting with a digit"
        )
    pending = migrations()
    # The common case, every task start: a read, no DDL, no lock, no CREATE privilege needed.
    applied = _applied(conn, schema)
    if not _pending(applied, pending):
        return []
    _require_owner(conn, schema, [name for name, _ in pending if name not in applied])
    with conn.transaction():
        _lock_migrations(conn, schema)
        # A database administrator may have created the schema for the pipeline's role, which
        # then owns it but has no right to create schemas (include/sql/roles/).
        if not conn.execute(load_sql("pipeline/select_schema_exists"), {"schema": schema}).fetchone()[0]:
            conn.execute(statement("pipeline/create_schema", schema=schema))
        conn.execute(statement("pipeline/create_schema_migrations", schema=schema))
    applied_now = []
    for name, text in pending:
        with conn.transaction():
            # Another process may have applied it while this one waited for the lock.
            _lock_migrations(conn, schema)
            if name in _applied(conn, schema):
                continue
            conn.execute(sql.SQL(text).format(schema=sql.Identifier(schema)))
            conn.execute(
                statement("pipeline/insert_schema_migration", schema=schema), {"name": name, "checksum": _md5(text)}
            )
            applied_now.append(name)
    _pending(_applied(conn, schema), pending)  # checks the checksums of what others applied
    return applied_now


def _require_owner(conn: psycopg.Connection, schema: str, missing: list[str]) -> None:
    """Refuse, in words, to migrate a schema another role owns (the least-privilege setup, docs/safety.md)."""
    with conn.transaction():
        row = conn.execute(load_sql("pipeline/select_schema_owner"), {"schema": schema}).fetchone()
    if row is None or row[1]:
        return  # a new schema (created by whoever may) or one this user may change
    raise MigrationNeedsOwner(
        f"the pipeline schema {schema} lacks the migration(s) {', '.join(missing)}, which only its owner "
        f"{row[0]} may apply: a database administrator runs the setup again "
        "(python -m attendance_bridge.database_setup, see docs/safety.md) before the pipeline can run"
    )


def _applied(conn: psycopg.Connection, schema: str) -> dict[str, str]:
    """The migrations ``schema`` has, name to checksum (empty when it has no migrations table)."""
    with conn.transaction():
        exists = conn.execute(load_sql("pipeline/select_schema_migrations_exists"), {"schema": schema}).fetchone()[0]
        if not exists:
            return {}
        return dict(conn.execute(statement("pipeline/select_schema_migrations", schema=schema)).fetchall())


def _pending(applied: Mapping[str, str], available: list[tuple[str, str]]) -> bool:
    """Whether any migration is missing; refuses when an applied one's text has changed since."""
    for name, text in available:
        if name in applied and applied[name] != _md5(text):
            raise MigrationChanged(
                f"migration {name} was applied with other text than include/sql/pipeline/migrations/{name}.sql "
                "holds now; add a new migration instead of editing an applied one"
            )
    return any(name not in applied for name, _ in available)


def _lock_migrations(conn: psycopg.Connection, schema: str) -> None:
    """Wait for other migrators of the same schema (held until the transaction ends)."""
    conn.execute(load_sql("pipeline/lock_migrations"), {"lock_class": MIGRATION_LOCK_CLASS, "schema": schema})


def _md5(text: str) -> str:
    """The checksum recorded for a migration's text."""
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
