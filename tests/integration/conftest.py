"""The demo district in a real PostgreSQL, generated once per test module."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest
from attendance_bridge.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.embedded import SisConnection
from psycopg import sql


@pytest.fixture(scope="module")
def district(sis_server: SisConnection) -> Iterator[tuple[psycopg.Connection, str]]:
    """A demo district of 80 students per school in a schema of its own."""
    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=80, seed=11)
            conn.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(schema)))
            yield conn, schema
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
