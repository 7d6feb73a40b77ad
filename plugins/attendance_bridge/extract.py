"""Read one school's tables for one run out of the SIS database, into the rules' frames."""

from __future__ import annotations

from dataclasses import fields

import pandas as pd
import psycopg
from psycopg import sql

from attendance_bridge.frames import TABLE_COLUMNS, BridgeRequest, SchoolFrames
from attendance_bridge.settings import MODE_DAILY, MODE_MEETING
from attendance_bridge.sql import load_sql


def read_table(conn: psycopg.Connection, schema: str, table: str, request: BridgeRequest) -> pd.DataFrame:
    """One ``include/sql/extract/select_<table>.sql`` query as a frame (values bound, schema quoted)."""
    statement = sql.SQL(load_sql(f"extract/select_{table}")).format(schema=sql.Identifier(schema))
    parameters = {
        "school_number": request.school_number,
        "yearid": request.yearid,
        "start_date": request.start_date,
        "end_date": request.end_date,
        "mode_daily": MODE_DAILY,
        "mode_meeting": MODE_MEETING,
    }
    with conn.cursor() as cursor:
        cursor.execute(statement, parameters)
        columns = [column.name for column in cursor.description]
        return pd.DataFrame(cursor.fetchall(), columns=columns).reindex(columns=list(TABLE_COLUMNS[table]))


def read_school_frames(conn: psycopg.Connection, schema: str, request: BridgeRequest) -> SchoolFrames:
    """Every table the rules need for ``request``, bounded by school, year and range."""
    tables = {field.name: read_table(conn, schema, field.name, request) for field in fields(SchoolFrames)}
    return SchoolFrames.from_tables(**tables)
