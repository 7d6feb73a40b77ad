"""The SIS schema as the bridge needs it (issue 30, point 5): a schema, a table or a column the load cannot
fill is refused from the catalog, in words, before a SIS table is read. The sync's refusals themselves are
cases of ``tests/tasks/test_bad_input.py``; these are the variants, on empty SIS tables (no DAG run)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from attendance_bridge.config import SIS_CONN_ENV, SIS_SCHEMA_ENV, SQL_DIR
from attendance_bridge.db.sis_tables import (
    FILLED_COLUMNS,
    SIS_TABLES,
    check_sis_tables,
    loaded_schema_problem,
    refuse_unfilled_column,
)
from attendance_bridge.dev.demo_district import SIS_TABLES as DEMO_TABLES
from attendance_bridge.dev.demo_district import create_sis_schema
from attendance_bridge.errors import Refusal, SisTablesUnusable
from attendance_bridge.tasks import end_of_term, nightly
from attendance_bridge.tasks.runtime import TaskRun
from psycopg import sql

pytestmark = pytest.mark.integration
ASKED = "asked for school 100"


@pytest.fixture
def sis(sis_conn: psycopg.Connection, sis_schema: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The fresh schema with every SIS table, empty, and the setting naming it."""
    create_sis_schema(sis_conn, sis_schema)
    monkeypatch.setenv(SIS_SCHEMA_ENV, sis_schema)
    return sis_schema


def refusal(conn: psycopg.Connection, schema: str | None, **options: bool) -> str:
    with pytest.raises(SisTablesUnusable) as refused:
        check_sis_tables(conn, schema, ASKED, **options)
    assert isinstance(refused.value, Refusal)
    return str(refused.value)


def q(conn: psycopg.Connection, statement: str, schema: str) -> None:
    conn.execute(sql.SQL(statement).format(sis=sql.Identifier(schema)))


def test_the_demo_sis_passes(sis_conn, sis) -> None:
    check_sis_tables(sis_conn, sis, ASKED)
    assert set(SIS_TABLES) == set(DEMO_TABLES)


def test_a_schema_that_does_not_exist_is_named_with_the_setting_and_the_database(sis_conn, sis) -> None:
    message = refusal(sis_conn, f"{sis}_typo")
    assert message.startswith(f"Setting {SIS_SCHEMA_ENV}: the SIS schema '{sis}_typo' does not exist in the SIS ")
    assert f"({ASKED}); set {SIS_SCHEMA_ENV} to the schema that holds the SIS tables" in message
    assert message.endswith("then run again; nothing was changed")


def test_without_the_setting_the_message_says_the_schema_is_the_connection_s_default(
    sis_conn, sis, monkeypatch
) -> None:
    monkeypatch.delenv(SIS_SCHEMA_ENV)
    assert f"the SIS schema 'nowhere' (the sis_db connection's default schema: {SIS_SCHEMA_ENV} is not set)" in (
        refusal(sis_conn, "nowhere")
    )
    # A search path that names no schema that exists: current_schema() is NULL.
    message = refusal(sis_conn, None)
    assert message.startswith(f"Setting {SIS_SCHEMA_ENV}: it is not set, and the sis_db connection's search path")


def test_missing_tables_are_named_in_the_order_of_the_sis_tables(sis_conn, sis) -> None:
    q(sis_conn, "ALTER TABLE {sis}.students RENAME TO students_old", sis)
    assert f"the SIS schema '{sis}' has no table students ({ASKED}); set " in refusal(sis_conn, sis)
    q(sis_conn, "DROP TABLE {sis}.cc", sis)
    message = refusal(sis_conn, sis)
    assert f"the SIS schema '{sis}' has no tables cc, students ({ASKED})" in message
    assert "or restore the missing tables in it, then run again" in message


def test_a_schema_without_any_sis_table_says_so(sis_conn, sis_schema, monkeypatch) -> None:
    monkeypatch.setenv(SIS_SCHEMA_ENV, sis_schema)
    message = refusal(sis_conn, sis_schema)
    assert f"the SIS schema '{sis_schema}' has none of the SIS tables (schools, terms, " in message


@pytest.mark.parametrize(
    ("column", "reported"),
    [
        ("integer NOT NULL", True),
        ("integer NOT NULL DEFAULT 0", False),
        ("integer", False),
        ("bigint GENERATED ALWAYS AS IDENTITY", False),
        ("integer NOT NULL GENERATED ALWAYS AS (1) STORED", False),
        ("{sis}.required_flag", True),  # a domain NOT NULL without a default
        ("{sis}.defaulted_flag NOT NULL", False),  # its domain has a default
    ],
)
def test_a_column_of_attendance_that_the_load_would_leave_empty_is_named(sis_conn, sis, column, reported) -> None:
    q(sis_conn, "CREATE DOMAIN {sis}.required_flag AS integer NOT NULL", sis)
    q(sis_conn, "CREATE DOMAIN {sis}.defaulted_flag AS integer DEFAULT 0", sis)
    q(sis_conn, "ALTER TABLE {sis}.attendance ADD COLUMN vendor_flag " + column, sis)
    if not reported:
        check_sis_tables(sis_conn, sis, ASKED)
        return
    assert refusal(sis_conn, sis) == (
        "The SIS table attendance has a column that must be filled and that the bridge does not fill: vendor_flag "
        f"(NOT NULL, without a default), so no record can be added ({ASKED}); give vendor_flag a default in the SIS "
        "(the SIS vendor or the district's database administrator can), or ask the attendance bridge's support for "
        "a version that fills it; nothing was changed"
    )
    check_sis_tables(sis_conn, sis, ASKED, columns=False)  # the district DAGs' first task leaves them to the syncs


def test_columns_of_both_tables_are_named_with_their_table(sis_conn, sis) -> None:
    q(sis_conn, "ALTER TABLE {sis}.attendance ADD COLUMN vendor_a integer NOT NULL", sis)
    q(sis_conn, "ALTER TABLE {sis}.attendance_time ADD COLUMN vendor_b text NOT NULL", sis)
    assert refusal(sis_conn, sis).startswith(
        "The SIS tables attendance and attendance_time have columns that must be filled and that the bridge does not "
        "fill: attendance.vendor_a, attendance_time.vendor_b (NOT NULL, without a default), so no record can be added "
        f"({ASKED}); give each of them a default"
    )


def test_a_row_trigger_before_insert_may_fill_the_column_and_the_load_s_refusal_names_it_when_it_does_not(
    sis_conn, sis
) -> None:
    q(sis_conn, "ALTER TABLE {sis}.attendance_time ADD COLUMN vendor_b integer NOT NULL", sis)
    q(sis_conn, "CREATE FUNCTION {sis}.keep() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NEW; END$$", sis)
    q(
        sis_conn,
        "CREATE TRIGGER keep BEFORE INSERT ON {sis}.attendance_time FOR EACH ROW EXECUTE FUNCTION {sis}.keep()",
        sis,
    )
    check_sis_tables(sis_conn, sis, ASKED)  # the trigger may fill it: not refused before the load
    with pytest.raises(psycopg.errors.NotNullViolation) as violation:
        q(sis_conn, "INSERT INTO {sis}.attendance_time (attendanceid, time_in, time_out, total_minutes) "
          "VALUES (1, 0, 60, 1)", sis)  # fmt: skip
    with pytest.raises(SisTablesUnusable, match=r"^The SIS table attendance_time has a column .*: vendor_b \(NOT NULL"):
        refuse_unfilled_column(violation.value, sis, ASKED)
    # A column the load fills is a record's fault, not the SIS's: left as the database said it.
    with pytest.raises(psycopg.errors.NotNullViolation) as own_column:
        q(sis_conn, "INSERT INTO {sis}.attendance (schoolid) VALUES (100)", sis)
    assert refuse_unfilled_column(own_column.value, sis, ASKED) is None
    assert refuse_unfilled_column(violation.value, f"{sis}_other", ASKED) is None  # another schema's table


def test_the_filled_columns_are_the_ones_every_insert_into_attendance_and_attendance_time_names() -> None:
    insert = re.compile(r"INSERT INTO\s+\S+?\.(attendance(?:_time)?)\s+AS\s+\w+\s*\(([^)]*)\)", re.IGNORECASE)
    found: dict[str, list[tuple[str, ...]]] = {}
    for path in SQL_DIR.rglob("*.sql"):
        if "dev" in path.relative_to(SQL_DIR).parts:
            continue
        for table, columns in insert.findall(path.read_text()):
            found.setdefault(table, []).append(tuple(column.strip() for column in columns.split(",")))
    assert set(found) == set(FILLED_COLUMNS)
    for table, lists in found.items():
        assert all(columns == FILLED_COLUMNS[table] for columns in lists), (table, lists)


@pytest.mark.parametrize(
    ("plan", "looking_for"),
    [
        (nightly.find_school_days_to_bridge, "looking for the schools to bridge"),
        (end_of_term.find_schools_to_reconcile, "looking for the terms that end"),
    ],
)
def test_the_district_dags_first_task_says_the_same_sentence_and_fails_without_retries(
    sis_server, sis_conn, sis, monkeypatch, plan, looking_for: str
) -> None:
    from airflow.sdk.exceptions import AirflowFailException

    monkeypatch.setenv(SIS_CONN_ENV, sis_server.airflow_json())
    monkeypatch.setenv(SIS_SCHEMA_ENV, f"{sis}_typo")
    run = TaskRun("attendance_bridge_nightly", "scheduled__2026-01-06T00:00:00+00:00", date(2026, 1, 6))
    start = datetime(2026, 1, 5, tzinfo=UTC)
    with pytest.raises(AirflowFailException) as refused:
        plan(run, start, start + timedelta(days=1), "UTC", "report")
    assert str(refused.value).startswith(f"Setting {SIS_SCHEMA_ENV}: the SIS schema '{sis}_typo' does not exist in ")
    assert f"({looking_for}); set {SIS_SCHEMA_ENV} to the schema that holds the SIS tables" in str(refused.value)


def test_a_rollback_names_the_schema_or_the_table_of_the_run_that_is_gone(sis_conn, sis) -> None:
    assert loaded_schema_problem(sis_conn, sis) is None
    q(sis_conn, "DROP TABLE {sis}.students", sis)  # not one the rollback works on
    assert loaded_schema_problem(sis_conn, sis) is None
    q(sis_conn, "DROP TABLE {sis}.attendance_time", sis)
    assert loaded_schema_problem(sis_conn, sis) == (
        f"the SIS schema '{sis}' it loaded into has no table attendance_time (a run is undone in the schema it loaded "
        f"into, whatever {SIS_SCHEMA_ENV} says now): restore it there, then run the rollback again"
    )
    assert " it loaded into does not exist in the SIS database " in loaded_schema_problem(sis_conn, f"{sis}_gone")
