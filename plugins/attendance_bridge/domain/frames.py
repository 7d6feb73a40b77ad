"""The frames the rules read: which columns of which SIS table, with which dtypes.

The extract step reads exactly these columns for one school; the rules never see anything
else. Every key column gets an explicit dtype here, because pandas 3 hands PostgreSQL
``date`` columns over as Python objects and a merge of objects with datetimes raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Self

import pandas as pd

# dtype names: "int64" for keys that are never null, "Int64" where the SIS allows NULL,
# "date" for calendar dates (held as datetime64[s]), "str" for codes and names.
TABLE_COLUMNS: dict[str, dict[str, str]] = {
    "calendar_day": {
        "id": "int64",
        "schoolid": "int64",
        "date_value": "date",
        "insession": "Int64",
        "bell_schedule_id": "Int64",
        "cycle_day_id": "Int64",
    },
    "cycle_day": {"id": "int64", "letter": "str"},
    "bell_schedule": {"id": "int64", "name": "str"},
    "bell_schedule_items": {
        "id": "int64",
        "bell_schedule_id": "int64",
        "period_id": "int64",
        "daily_attendance_code": "Int64",
        "daily_time_in_default": "Int64",
        "daily_time_out_default": "Int64",
    },
    "period": {"id": "int64", "period_number": "int64", "name": "str"},
    "section_meeting": {
        "sectionid": "int64",
        "schoolid": "int64",
        "year_id": "int64",
        "period_number": "int64",
        "cycle_day_letter": "str",
    },
    "cc": {
        "id": "int64",
        "studentid": "int64",
        "sectionid": "int64",
        "schoolid": "int64",
        "dateenrolled": "date",
        "dateleft": "date",
    },
    "attendance": {
        "id": "int64",
        "studentid": "int64",
        "schoolid": "int64",
        "att_date": "date",
        "attendance_codeid": "Int64",
        "att_mode_code": "str",
        "ccid": "Int64",
        "periodid": "Int64",
    },
    "attendance_code": {"id": "int64", "att_code": "str", "presence_status_cd": "str"},
    # X9: the ids of the school's attendance records of the range that a run of the pipeline built
    # (in its lineage, not rolled back): copies, never sources. Not a SIS table: the pipeline's own.
    "built_records": {"id": "int64"},
}
# The tables a caller may leave out of ``SchoolFrames.from_tables``: empty when not given.
OPTIONAL_TABLES = ("built_records",)


def normalised_frame(table: str, frame: pd.DataFrame, declared: dict[str, str] | None = None) -> pd.DataFrame:
    """The columns of ``table`` the rules need, cast to their declared dtypes (a new frame).

    ``declared`` defaults to ``TABLE_COLUMNS[table]``; a frame that is not a SIS table (the copies
    of ``domain.follow``) passes its own, with "bool" for flags that must be set.
    """
    declared = TABLE_COLUMNS[table] if declared is None else declared
    missing = [column for column in declared if column not in frame.columns]
    if missing:
        raise ValueError(f"the {table} frame lacks the column(s) {', '.join(missing)}")
    selected = frame.loc[:, list(declared)]
    casts = {}
    for column, dtype in declared.items():
        values = selected[column]
        if dtype == "date":
            casts[column] = pd.to_datetime(values).astype("datetime64[s]")
        elif dtype in ("int64", "bool") and values.isna().any():
            raise ValueError(f"the {table} frame has empty values in {column}, which must be set")
        else:
            casts[column] = values.astype(dtype)
    return selected.assign(**casts).reset_index(drop=True)


@dataclass(frozen=True)
class SchoolFrames:
    """One school's extracted SIS tables for one year (see ``TABLE_COLUMNS``)."""

    calendar_day: pd.DataFrame
    cycle_day: pd.DataFrame
    bell_schedule: pd.DataFrame
    bell_schedule_items: pd.DataFrame
    period: pd.DataFrame
    section_meeting: pd.DataFrame
    cc: pd.DataFrame
    attendance: pd.DataFrame
    attendance_code: pd.DataFrame
    built_records: pd.DataFrame = field(default_factory=lambda: empty_frame("built_records"))

    @classmethod
    def from_tables(cls, **tables: pd.DataFrame) -> Self:
        """Normalise raw tables (extra columns dropped, dtypes made explicit); ``OPTIONAL_TABLES`` may be left out."""
        expected = {field.name for field in fields(cls)}
        if not expected - set(OPTIONAL_TABLES) <= set(tables) <= expected:
            raise ValueError(
                f"SchoolFrames needs the tables {sorted(expected - set(OPTIONAL_TABLES))} and may have "
                f"{list(OPTIONAL_TABLES)}, got {sorted(tables)}"
            )
        return cls(**{name: normalised_frame(name, frame) for name, frame in tables.items()})


def empty_frame(table: str) -> pd.DataFrame:
    """A frame of ``table``'s columns and dtypes with no row."""
    return normalised_frame(table, pd.DataFrame({column: pd.Series(dtype="object") for column in TABLE_COLUMNS[table]}))


# The columns of a source record the load compares with the SIS before it inserts anything built
# from it: the attendance columns the extract read (TABLE_COLUMNS["attendance"]).
SOURCE_COLUMNS = list(TABLE_COLUMNS["attendance"])


def source_records(attendance: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """The extracted attendance rows the records were built from (their ``parent_attendanceid``), as read.

    X7 ("traceable to its source record"): the load inserts a record only while its source is
    still in the SIS exactly as the run read it, so it needs what the run read.
    """
    built_from = records["parent_attendanceid"].drop_duplicates()
    return attendance.loc[attendance["id"].isin(built_from), SOURCE_COLUMNS].reset_index(drop=True)


# The attendance rows a run inserts, in this column order. The time columns are the
# attendance_time row of an M3 Daily record and stay empty for Meeting records.
RECORD_DTYPES: dict[str, str] = {
    "studentid": "int64",
    "schoolid": "int64",
    "yearid": "int64",
    "att_date": "datetime64[s]",
    "calendar_dayid": "int64",
    "attendance_codeid": "int64",
    "att_mode_code": "str",
    "ccid": "int64",
    "periodid": "int64",
    "parent_attendanceid": "int64",
    "time_in": "Int64",
    "time_out": "Int64",
    "total_minutes": "Int64",
}
