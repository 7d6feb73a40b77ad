"""Read one school's tables for one run out of the SIS database, into the rules' frames."""

from __future__ import annotations

import io
from dataclasses import fields
from datetime import date
from typing import Protocol

import pandas as pd
import psycopg
from psycopg import sql

from attendance_bridge.frames import TABLE_COLUMNS, SchoolFrames
from attendance_bridge.settings import (
    MODE_DAILY,
    MODE_MEETING,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
)
from attendance_bridge.sql import load_sql

# The school settings P3 and P4 read; the rules themselves never see them.
PREFS_COLUMNS = {"id": "int64", "name": "str", "value": "str"}


class SchoolRange(Protocol):
    """What extraction needs of a run: the school, the year and the range (a BridgeRequest is one)."""

    school_number: int
    yearid: int
    start_date: date
    end_date: date


def read_table(conn: psycopg.Connection, schema: str, table: str, request: SchoolRange) -> pd.DataFrame:
    """One ``include/sql/extract/select_<table>.sql`` query as a frame (values bound, schema quoted)."""
    select = sql.SQL(load_sql(f"extract/select_{table}")).format(schema=sql.Identifier(schema))
    # COPY moves the rows in bulk; NULL is written as \\N so an empty code ('') stays a value.
    statement = sql.SQL("COPY ({select}) TO STDOUT (FORMAT csv, HEADER true, NULL '\\N')").format(select=select)
    parameters = {
        "school_number": request.school_number,
        "yearid": request.yearid,
        "start_date": request.start_date,
        "end_date": request.end_date,
        "mode_daily": MODE_DAILY,
        "mode_meeting": MODE_MEETING,
        "pref_record_mode_daily": PREF_RECORD_MODE_DAILY,
        "pref_record_mode_meeting": PREF_RECORD_MODE_MEETING,
        "pref_bridge": PREF_BRIDGE,
    }
    buffer = io.BytesIO()
    # psycopg binds the parameters of a COPY statement itself (COPY takes no server-side ones).
    with conn.cursor() as cursor, cursor.copy(statement, parameters) as copy:
        for block in copy:
            buffer.write(block)
    buffer.seek(0)
    declared = TABLE_COLUMNS[table] if table in TABLE_COLUMNS else PREFS_COLUMNS
    dtypes = {column: "str" if dtype == "date" else dtype for column, dtype in declared.items()}
    frame = pd.read_csv(buffer, dtype=dtypes, na_values=["\\N"], keep_default_na=False)
    return frame.reindex(columns=list(declared))


def read_school_frames(conn: psycopg.Connection, schema: str, request: SchoolRange) -> SchoolFrames:
    """Every table the rules need for ``request``, bounded by school, year and range."""
    tables = {field.name: read_table(conn, schema, field.name, request) for field in fields(SchoolFrames)}
    return SchoolFrames.from_tables(**tables)


def read_prefs(conn: psycopg.Connection, schema: str, request: SchoolRange) -> pd.DataFrame:
    """The school's recording-method and bridge settings of the year (P3, P4)."""
    frame = read_table(conn, schema, "prefs", request)
    return frame.astype({"id": "int64", "name": "str", "value": "str"})
