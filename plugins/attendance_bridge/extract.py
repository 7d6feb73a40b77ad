"""Read one school's tables for one run out of the SIS database, into the rules' frames."""

from __future__ import annotations

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
    statement = sql.SQL(load_sql(f"extract/select_{table}")).format(schema=sql.Identifier(schema))
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
    with conn.cursor() as cursor:
        cursor.execute(statement, parameters)
        columns = [column.name for column in cursor.description]
        declared = TABLE_COLUMNS.get(table, PREFS_COLUMNS if table == "prefs" else None)
        return pd.DataFrame(cursor.fetchall(), columns=columns).reindex(columns=list(declared))


def read_school_frames(conn: psycopg.Connection, schema: str, request: SchoolRange) -> SchoolFrames:
    """Every table the rules need for ``request``, bounded by school, year and range."""
    tables = {field.name: read_table(conn, schema, field.name, request) for field in fields(SchoolFrames)}
    return SchoolFrames.from_tables(**tables)


def read_prefs(conn: psycopg.Connection, schema: str, request: SchoolRange) -> pd.DataFrame:
    """The school's recording-method and bridge settings of the year (P3, P4)."""
    frame = read_table(conn, schema, "prefs", request)
    return frame.astype({"id": "int64", "name": "str", "value": "str"})
