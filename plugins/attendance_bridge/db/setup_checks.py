"""What the database setup finds before it trusts the pipeline's roles and schema (issue 30, docs/safety.md).

Two questions, each one catalog query of ``include/sql/roles/``:

- ``other_grants``: what the pipeline's login and role may do beyond what the setup grants them,
  directly, through any role they are members of (at any depth), or through PUBLIC: write, lock
  or alter a SIS table, write or alter a pipeline table, create objects in the pipeline schema,
  act as the schema's owner, a superuser, ... Each with the statement that takes it away from the
  login or role alone, when there is one.
- ``pipeline_objects``: every object in or on the pipeline schema (and the event triggers that
  concern it), to compare with the manifest of what the migrations create (``roles.MIGRATION_OBJECTS``):
  anything else is someone else's, and would run with the owner's rights once the owner owns the
  tables it is attached to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import psycopg
from psycopg import sql

from attendance_bridge.db.sql import load_sql, statement


@dataclass(frozen=True)
class OtherGrant:
    """What a role may do beyond the setup's grants, how it has it, and what takes it away (None: nothing the
    setup does on its own)."""

    subject: str
    privileges: str
    object: str
    way: str
    remedy: str | None
    # What the remedy did, in words; without a remedy, the statement an administrator would consider.
    done: str

    def __str__(self) -> str:
        return f"{self.subject} may {self.privileges} {self.object} {self.way}".rstrip()


@dataclass(frozen=True)
class PipelineObject:
    """One object in or on the pipeline schema (``select_pipeline_objects.sql`` says what each column holds)."""

    kind: str
    identity: str
    description: str
    qualified: str | None
    owner: str | None
    removal: str | None
    definer_unsafe: bool

    @property
    def key(self) -> str:
        """How the manifest names it: its kind and its identity within the schema."""
        return f"{self.kind} {self.identity}"

    def __str__(self) -> str:
        return self.description + (f" (owned by {self.owner})" if self.owner else "")


def other_grants(
    conn: psycopg.Connection, subjects: Sequence[str], role: str, owner: str, sis_schema: str, pipeline_schema: str
) -> list[OtherGrant]:
    """What ``subjects`` (the login, then the pipeline role) may do that the setup does not grant them."""
    rows = conn.execute(
        load_sql("roles/select_other_grants"),
        {
            "subjects": list(subjects),
            "role": role,
            "owner": owner,
            "sis_schema": sis_schema,
            "pipeline_schema": pipeline_schema,
        },
    ).fetchall()
    return [OtherGrant(*row) for row in rows]


def revoke(conn: psycopg.Connection, find: Callable[[], list[OtherGrant]]) -> tuple[list[str], list[OtherGrant]]:
    """Run the remedy of each grant ``find`` finds, once (a membership may be the way to many privileges), then
    look again, until nothing new can be revoked (revoking one way may leave another); what was done, in words,
    and what is left."""
    done: dict[str, str] = {}
    grants = find()
    while todo := {grant.remedy: grant.done for grant in grants if grant.remedy and grant.remedy not in done}:
        for remedy, words in todo.items():
            # Composed by the catalog query with format(%I), from the catalog's own names.
            conn.execute(sql.SQL(remedy))
            done[remedy] = words
        grants = find()
    return list(done.values()), grants


def snapshot_tables(conn: psycopg.Connection, pipeline_schema: str) -> list[str]:
    """The runs' snapshot tables that a backup manifest names (X6), which the setup keeps."""
    if not conn.execute(
        load_sql("roles/select_snapshot_tables_named"), {"pipeline_schema": pipeline_schema}
    ).fetchone()[0]:
        return []
    # With parameters (none), so that psycopg reads the file's %% as %.
    rows = conn.execute(statement("roles/select_snapshot_tables", pipeline_schema=pipeline_schema), {}).fetchall()
    return [row[0] for row in rows]


def pipeline_objects(
    conn: psycopg.Connection, pipeline_schema: str, kept_tables: Iterable[str], subjects: Sequence[str]
) -> list[PipelineObject]:
    """Every object in or on the schema, in the order the setup would drop them (what is attached first)."""
    rows = conn.execute(
        load_sql("roles/select_pipeline_objects"),
        {"pipeline_schema": pipeline_schema, "kept_tables": sorted(set(kept_tables)), "subjects": list(subjects)},
    ).fetchall()
    return [PipelineObject(*row) for row in rows]


def drop(conn: psycopg.Connection, objects: Iterable[PipelineObject]) -> list[str]:
    """Drop each object the setup may drop, in the order given, never with CASCADE (a removal that would take
    anything else with it fails, and the setup with it); the objects dropped, in words."""
    dropped = []
    for found in objects:
        if found.removal:
            # Composed by the catalog query with format(%I), from the catalog's own names.
            conn.execute(sql.SQL(found.removal))
            dropped.append(str(found))
    return dropped


def listing(items: Iterable[object]) -> str:
    """Items one per line, for a refusal's message."""
    return "".join(f"\n  - {item}" for item in items)
