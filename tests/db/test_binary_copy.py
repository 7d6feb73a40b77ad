"""The load's binary COPY (db.binary_copy) against psycopg's own: the same bytes for the same values and
types, and the same rows in the server, NULLs, text and dates included; values it cannot write are refused."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
import psycopg
import pytest
from attendance_bridge.db import binary_copy
from attendance_bridge.db.binary_copy import copy_blocks
from attendance_bridge.db.load import COPY_TYPES, SOURCE_COPY_TYPES, SOURCE_DTYPES
from psycopg import sql
from psycopg.copy import LibpqWriter

pytestmark = pytest.mark.integration

TYPES = {"number": "int4", "big": "int8", "small": "int4", "day": "date", "mode": "text"}
# Every layout a row can have here: NULL in each nullable column, empty, non-ASCII and absent text,
# int4 at both ends, large and negative int8, days before 1970 and 2000, a day with a time of day.
EDGES = pd.DataFrame(
    {
        "number": np.arange(1, 9, dtype=np.int64),
        "big": pd.array([1, None, -3, 2**40, None, 7, 0, -(2**62)], dtype="Int64"),
        "small": pd.array([5, 6, None, -(2**31), 2**31 - 1, None, 0, 1], dtype="Int64"),
        "day": pd.to_datetime(
            ["2025-08-18", None, "1999-12-31", "1970-01-01", "2000-01-01 13:45", "1900-03-01", "2000-01-01", "2026-06-05"],
            format="mixed",
        ).astype("datetime64[s]"),
        "mode": pd.array(["ATT_ModeDaily", None, "", "é€ö 'x', \"y\"\t\\n", "ATT_ModeMeeting", "ATT_ModeDaily", "a", "b"], dtype="str"),
    }
)  # fmt: skip


class CapturingWriter(LibpqWriter):
    """psycopg's writer to the server, keeping a copy of every byte it sends."""

    def __init__(self, cursor: psycopg.Cursor) -> None:
        super().__init__(cursor)
        self.sent = bytearray()

    def write(self, data: Any) -> None:
        self.sent += data
        super().write(data)


@pytest.fixture
def tables(sis_conn: psycopg.Connection, sis_schema: str) -> Iterator[tuple[sql.Composed, sql.Composed]]:
    """Two empty tables of TYPES' columns: one for psycopg's rows, one for copy_blocks'."""
    names = tuple(sql.Identifier(sis_schema, name) for name in ("by_psycopg", "by_numpy"))
    columns = sql.SQL(", ").join(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in TYPES.items())
    for name in names:
        sis_conn.execute(sql.SQL("CREATE TABLE {} ({})").format(name, columns))
    yield names


def python_rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The frame's rows as the values psycopg's write_row takes: ints, dates, str, None for a missing value."""
    columns = []
    for name in TYPES:
        values = frame[name].astype(object).where(frame[name].notna(), None).tolist()
        columns.append([value.date() if isinstance(value, pd.Timestamp) else value for value in values])
    return list(zip(*columns, strict=True))


def copy_both(
    conn: psycopg.Connection, tables: tuple[sql.Composed, sql.Composed], frame: pd.DataFrame
) -> tuple[bytes, bytes]:
    """COPY the frame with psycopg's write_row into the first table and with copy_blocks into the second; the bytes of each."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY)")
    names = sql.SQL(", ").join(map(sql.Identifier, TYPES))
    sent = []
    with conn.cursor() as cursor:
        writer = CapturingWriter(cursor)
        with cursor.copy(statement.format(tables[0], names), writer=writer) as copy:
            copy.set_types(list(TYPES.values()))
            for row in python_rows(frame):
                copy.write_row(row)
        sent.append(bytes(writer.sent))
        writer = CapturingWriter(cursor)
        with cursor.copy(statement.format(tables[1], names), writer=writer) as copy:
            for block in copy_blocks(
                [(name, frame[name], pg_type) for name, pg_type in TYPES.items()], conn.info.encoding
            ):
                copy.write(block)
        sent.append(bytes(writer.sent))
    return sent[0], sent[1]


def rows_of(conn: psycopg.Connection, table: sql.Composed) -> list[tuple[Any, ...]]:
    return conn.execute(sql.SQL("SELECT * FROM {} ORDER BY number").format(table)).fetchall()


@pytest.fixture(params=[binary_copy.BLOCK_ROWS, 3], ids=["one-block", "blocks-of-3"])
def block_rows(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    """The rows of a block: all of a layout in one, or a few per block (a frame in several)."""
    monkeypatch.setattr(binary_copy, "BLOCK_ROWS", request.param)
    return request.param


def test_every_layout_lands_as_psycopg_lands_it(sis_conn: psycopg.Connection, tables, block_rows: int) -> None:
    copy_both(sis_conn, tables, EDGES)
    landed = rows_of(sis_conn, tables[1])
    assert landed == rows_of(sis_conn, tables[0])
    assert landed[1] == (2, None, 6, None, None)
    assert landed[3][2:] == (-(2**31), date(1970, 1, 1), "é€ö 'x', \"y\"\t\\n")
    assert landed[4][3] == date(2000, 1, 1)  # the day of a time of day
    assert landed[2][4] == ""  # empty text is not NULL


def test_rows_of_one_layout_are_psycopgs_bytes_in_the_same_order(
    sis_conn: psycopg.Connection, tables, block_rows: int
) -> None:
    # No NULL anywhere and texts of one length (13 bytes): one layout, so the very bytes and order of psycopg.
    one_layout = pd.DataFrame(
        {
            "number": np.arange(1, 8, dtype=np.int64),
            "big": pd.array([1, -3, 2**40, 7, 0, -(2**62), 2**62], dtype="Int64"),
            "small": pd.array([5, 6, -(2**31), 2**31 - 1, 0, 1, -1], dtype="Int64"),
            "day": pd.to_datetime(["2025-08-18", "1999-12-31", "1970-01-01", "2000-01-01", "1900-03-01", "2026-06-05",
                                   "2000-01-02"]).astype("datetime64[s]"),
            "mode": pd.array(["ATT_ModeDaily", "abcdefghijklm", "ATT_ModeDaily", "é€öabcdef", "ATT_ModeDaily",
                              "0123456789012", "ATT_ModeDaily"], dtype="str"),
        }
    )  # fmt: skip
    by_psycopg, by_numpy = copy_both(sis_conn, tables, one_layout)
    assert by_numpy == by_psycopg
    assert rows_of(sis_conn, tables[1]) == rows_of(sis_conn, tables[0])


def test_no_rows_is_the_empty_stream(sis_conn: psycopg.Connection, tables) -> None:
    by_psycopg, by_numpy = copy_both(sis_conn, tables, EDGES.iloc[:0])
    assert by_numpy == by_psycopg
    assert rows_of(sis_conn, tables[1]) == []


def test_the_loads_types_are_the_ones_it_writes() -> None:
    # Every type the load's two COPYs declare is one copy_blocks writes.
    assert set(COPY_TYPES.values()) | set(SOURCE_COPY_TYPES) <= {"int8", "int4", "date", "text"}
    assert len(SOURCE_COPY_TYPES) == len(SOURCE_DTYPES)


@pytest.mark.parametrize(
    ("values", "pg_type", "refusal"),
    [
        (pd.array([1, 2**31], dtype="Int64"), "int4", "out of range for PostgreSQL's int4"),
        (np.array([1.5, 2.0]), "int8", "needs integer values"),
        (pd.Series(["2025-08-18"]), "date", "needs datetime64 values"),
        (pd.Series([1, 2], dtype=object), "text", "needs str values"),
        (np.array([1]), "numeric", "no binary COPY for type"),
    ],
)
def test_values_it_cannot_write_are_refused(values: Any, pg_type: str, refusal: str) -> None:
    with pytest.raises((TypeError, ValueError), match=refusal):
        list(copy_blocks([("column", values, pg_type)], "utf-8"))
