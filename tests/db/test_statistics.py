"""Fresh statistics after a load (issue 29), against a real PostgreSQL.

A load analyses what it grew past autovacuum's threshold, at once, so the report and a rollback
are planned on the rows that are there; a table the login may not analyse is left to autovacuum
without a word to the database's log. ``pg_class.reltuples`` is what the planner reads: -1 for a
table never analysed, the row count after an ANALYZE that read the whole (small) table.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
from attendance_bridge.config import ALL_PERIODS, DAILY_TO_MEETING
from attendance_bridge.db import migrations
from attendance_bridge.db.backup import take_backup
from attendance_bridge.db.extract import read_school_frames
from attendance_bridge.db.load import load_records
from attendance_bridge.db.statistics import refresh_statistics
from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.domain.frames import source_records
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules import bridge_records
from psycopg import sql

pytestmark = pytest.mark.integration

DAG_ID = "attendance_bridge_sync"
YEAR_START, YEAR_END = date(2025, 8, 18), date(2026, 6, 5)


def reltuples(conn: psycopg.Connection, schema: str, table: str) -> float:
    """What the planner believes the table holds (-1: never analysed)."""
    return conn.execute(
        "SELECT c.reltuples FROM pg_class AS c WHERE c.oid = to_regclass(%(name)s)",
        {"name": sql.Identifier(schema, table).as_string(conn)},
    ).fetchone()[0]


def count(conn: psycopg.Connection, schema: str, table: str) -> int:
    return conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table))).fetchone()[0]


def numbers_table(conn: psycopg.Connection, schema: str, rows: int, analysed: bool) -> str:
    """A table of ``rows`` numbers in ``schema``, analysed or not; its name."""
    name = f"numbers_{uuid.uuid4().hex[:8]}"
    conn.execute(sql.SQL("CREATE TABLE {} (n bigint)").format(sql.Identifier(schema, name)))
    add_numbers(conn, schema, name, rows)
    if analysed:
        conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, name)))
    return name


def add_numbers(conn: psycopg.Connection, schema: str, table: str, rows: int) -> None:
    conn.execute(
        sql.SQL("INSERT INTO {} SELECT generate_series(1, %(rows)s)").format(sql.Identifier(schema, table)),
        {"rows": rows},
    )


@pytest.fixture
def other_role(sis_conn: psycopg.Connection, sis_schema: str) -> Iterator[str]:
    """A role that owns nothing yet and may use the test's schema (roles are cluster-wide: a unique name)."""
    role = f"ab_stats_{uuid.uuid4().hex[:10]}"
    sis_conn.execute(sql.SQL("CREATE ROLE {}").format(sql.Identifier(role)))
    sis_conn.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(sql.Identifier(sis_schema), sql.Identifier(role)))
    try:
        yield role
    finally:
        sis_conn.execute("RESET ROLE")
        sis_conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(role)))
        sis_conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_a_load_leaves_the_lineage_and_attendance_analysed_with_the_rows_it_added(
    sis_conn: psycopg.Connection, sis_schema: str
) -> None:
    own = f"ab_{uuid.uuid4().hex[:12]}"
    create_sis_schema(sis_conn, sis_schema)
    generate_demo_district(sis_conn, sis_schema, students_per_school=40, seed=5)
    migrations.migrate(sis_conn, own)
    try:
        # A district's statistics as they were before the run: attendance analysed without its records.
        sis_conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(sis_schema, "attendance")))
        before = count(sis_conn, sis_schema, "attendance")
        assert (reltuples(sis_conn, sis_schema, "attendance"), reltuples(sis_conn, own, "lineage")) == (before, -1)
        request = BridgeRequest(200, 35, DAILY_TO_MEETING, ALL_PERIODS, YEAR_START, YEAR_END)
        frames = read_school_frames(sis_conn, sis_schema, request, own)
        records = bridge_records(frames, request).records
        take_backup(sis_conn, own, sis_schema, DAG_ID, "r1", 200, YEAR_START, YEAR_END)

        loaded = load_records(
            sis_conn, own, sis_schema, DAG_ID, "r1", 200, records, source_records(frames.attendance, records)
        )

        assert loaded.inserted_now > 0.1 * before  # past autovacuum's threshold, which it would analyse anyway
        assert reltuples(sis_conn, sis_schema, "attendance") == before + loaded.inserted_now
        assert reltuples(sis_conn, own, "lineage") == count(sis_conn, own, "lineage") > 0
        assert sis_conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    finally:
        sis_conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(own)))


def test_only_a_table_grown_past_autovacuums_threshold_is_analysed(
    sis_conn: psycopg.Connection, sis_schema: str
) -> None:
    table = numbers_table(sis_conn, sis_schema, 1000, analysed=True)
    add_numbers(sis_conn, sis_schema, table, 20)

    # 20 rows on 1,000: under autovacuum's 50 + 10%, which would not analyse it either.
    assert refresh_statistics(sis_conn, {(sis_schema, table): 20}) == []
    assert reltuples(sis_conn, sis_schema, table) == 1000

    add_numbers(sis_conn, sis_schema, table, 300)
    assert refresh_statistics(sis_conn, {(sis_schema, table): 300}) == [f"{sis_schema}.{table}"]
    assert reltuples(sis_conn, sis_schema, table) == 1320


def test_a_table_the_login_does_not_own_is_left_to_autovacuum_and_its_own_are_analysed(
    sis_conn: psycopg.Connection, sis_schema: str, other_role: str
) -> None:
    # The least-privilege login owns neither the SIS tables nor the lineage (docs/safety.md): its
    # ANALYZE would only warn and skip them, so it is not asked to.
    districts = numbers_table(sis_conn, sis_schema, 500, analysed=False)
    its_own = numbers_table(sis_conn, sis_schema, 500, analysed=False)
    sis_conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(
        sql.Identifier(sis_schema, its_own), sql.Identifier(other_role)
    ))  # fmt: skip
    sis_conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(other_role)))

    analysed = refresh_statistics(sis_conn, {(sis_schema, districts): 500, (sis_schema, its_own): 500})

    sis_conn.execute("RESET ROLE")
    assert analysed == [f"{sis_schema}.{its_own}"]
    assert (reltuples(sis_conn, sis_schema, districts), reltuples(sis_conn, sis_schema, its_own)) == (-1, 500)
