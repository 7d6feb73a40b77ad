"""The demo district in PostgreSQL: the SIS tables' DDL (``include/sql/dev/sis/``) and the
district's rows loaded with COPY, each step in one transaction."""

from __future__ import annotations

import csv
from types import MappingProxyType

import pandas as pd
import psycopg
from psycopg import sql

from attendance_bridge.db.sql import load_sql
from attendance_bridge.dev.demo_district.district import demo_district_tables
from attendance_bridge.dev.demo_district.plan import (
    COPY_COLUMNS,
    SCHOOL_PLANS,
    SIS_TABLES,
    DemoDistrict,
    district_plans,
)
from attendance_bridge.dev.demo_district.school_calendar import SchoolYear

# The DDL files of include/sql/dev/sis/ in the order they must run (indexes after their table).
SCHEMA_STATEMENTS: tuple[str, ...] = (
    "dev/sis/create_schools",
    "dev/sis/create_terms",
    "dev/sis/create_prefs",
    "dev/sis/create_attendance_code",
    "dev/sis/create_period",
    "dev/sis/create_cycle_day",
    "dev/sis/create_bell_schedule",
    "dev/sis/create_bell_schedule_items",
    "dev/sis/create_calendar_day",
    "dev/sis/create_sections",
    "dev/sis/create_section_meeting",
    "dev/sis/create_students",
    "dev/sis/create_cc",
    "dev/sis/create_cc_studentid_index",
    "dev/sis/create_attendance",
    "dev/sis/create_attendance_schoolid_att_date_index",
    "dev/sis/create_attendance_time",
)


def _use_schema(conn: psycopg.Connection, schema: str) -> None:
    """Point unqualified table names at ``schema`` until the transaction ends."""
    conn.execute(sql.SQL(load_sql("dev/demo/set_search_path")).format(schema=sql.Identifier(schema)))


def _copy_text(frame: pd.DataFrame) -> str:
    """The rows of ``frame`` in COPY's text format (tab-separated, \\N for NULL)."""
    text_columns = [
        name
        for name in frame.columns
        if not pd.api.types.is_numeric_dtype(frame[name]) and not pd.api.types.is_datetime64_any_dtype(frame[name])
    ]
    for name in text_columns:
        if frame[name].str.contains(r"[\t\n\r\\]", regex=True, na=False).any():
            raise ValueError(f"column {name} holds a character that COPY's text format escapes")
    return frame.to_csv(
        sep="\t",
        header=False,
        index=False,
        na_rep="\\N",
        date_format="%Y-%m-%d",
        lineterminator="\n",
        quoting=csv.QUOTE_NONE,
    )


def _copy_rows(conn: psycopg.Connection, table: str, frame: pd.DataFrame) -> None:
    """Bulk-load ``frame`` into ``table`` with COPY FROM STDIN."""
    columns = COPY_COLUMNS[table]
    statement = sql.SQL(load_sql("dev/demo/copy_rows")).format(
        table=sql.Identifier(table),
        columns=sql.SQL(", ").join(sql.Identifier(column) for column in columns),
    )
    with conn.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(_copy_text(frame.loc[:, list(columns)]))


def existing_sis_tables(conn: psycopg.Connection, schema: str) -> list[str]:
    """The SIS tables that ``schema`` already holds (empty when the schema is free)."""
    rows = conn.execute(
        load_sql("dev/demo/select_existing_tables"), {"schema": schema, "tables": list(SIS_TABLES)}
    ).fetchall()
    return [row[0] for row in rows]


def create_sis_schema(conn: psycopg.Connection, schema: str) -> None:
    """Create every SIS table of SPEC section 2 in the existing schema ``schema``."""
    with conn.transaction():
        _use_schema(conn, schema)
        for statement in SCHEMA_STATEMENTS:
            conn.execute(load_sql(statement))


def generate_demo_district(
    conn: psycopg.Connection,
    schema: str,
    *,
    students_per_school: int = 300,
    seed: int = 7,
    yearid: int = 35,
    schools: int = len(SCHOOL_PLANS),
) -> DemoDistrict:
    """Fill the empty SIS tables of ``schema`` with the demo district (of ``schools`` schools: the demo's two
    by default), in one transaction."""
    tables = demo_district_tables(students_per_school, seed, yearid, schools)
    with conn.transaction():
        _use_schema(conn, schema)
        for table, frame in tables.items():
            _copy_rows(conn, table, frame)
        # Ids were given explicitly so attendance_time could point at them; the identity
        # must continue after them for the bridge's inserts.
        conn.execute(
            load_sql("dev/demo/set_identity_after"),
            {
                "table": "attendance",
                "column": "id",
                "last_value": int(tables["attendance"]["id"].max()),
            },
        )
    return DemoDistrict(
        schema=schema,
        school_numbers=tuple(plan.number for plan in district_plans(schools)),
        yearid=yearid,
        switch_date=SchoolYear.for_yearid(yearid).spring_first_day,
        row_counts=MappingProxyType({table: len(frame) for table, frame in tables.items()}),
    )


def build_demo_district(
    conn: psycopg.Connection,
    schema: str,
    *,
    students_per_school: int = 300,
    seed: int = 7,
    schools: int = len(SCHOOL_PLANS),
) -> DemoDistrict:
    """Create ``schema`` if needed, its SIS tables and the demo district, in one transaction."""
    with conn.transaction():
        conn.execute(sql.SQL(load_sql("dev/demo/create_schema")).format(schema=sql.Identifier(schema)))
        create_sis_schema(conn, schema)
        return generate_demo_district(conn, schema, students_per_school=students_per_school, seed=seed, schools=schools)
