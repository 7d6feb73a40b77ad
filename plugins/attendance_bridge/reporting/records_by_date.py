"""The report's "records by date and code" on a dry run: the candidates counted as a load would count them.

After a load the same table is read from the lineage (``include/sql/report/select_inserted_by_date_and_code.sql``);
X8 requires both to give the same numbers, so both count per day, mode and code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd


def candidates_by_date_and_code(records: pd.DataFrame, codes: pd.DataFrame) -> list[dict[str, Any]]:
    """What a dry run would insert, per day, mode and code (X8: the same numbers as a load).

    ``records`` are the staged candidates, ``codes`` the extracted ``attendance_code`` table.
    """
    descriptions = codes.rename(columns={"id": "attendance_codeid"}).reindex(
        columns=["attendance_codeid", "att_code", "description"]
    )
    counted = (
        records.groupby(["att_date", "att_mode_code", "attendance_codeid"], as_index=False)
        .size()
        .rename(columns={"size": "records"})
        .merge(descriptions, on="attendance_codeid", how="left")
    )
    return [
        {
            "att_date": row.att_date.date().isoformat(),
            "att_mode_code": row.att_mode_code,
            "attendance_codeid": int(row.attendance_codeid),
            "att_code": None if _missing(row.att_code) else row.att_code,
            "description": None if _missing(row.description) else row.description,
            "records": int(row.records),
        }
        for row in counted.itertuples(index=False)
    ]


def with_descriptions(by_date: list[dict[str, Any]], codes: Mapping[int, Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Records by date and code with each code's description (a dry run counts staged codes, which have none)."""
    return [
        {**row, "description": row.get("description") or (codes.get(row["attendance_codeid"]) or {}).get("description")}
        for row in by_date
    ]


def _missing(value: Any) -> bool:
    """pandas' missing markers."""
    return value is None or bool(pd.isna(value))
