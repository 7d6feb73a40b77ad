"""The load: a run's records into ``attendance`` and ``attendance_time``, all or nothing.

One transaction (X4) holds the school's advisory lock (X5), checks the run's verified backup
(X6), copies the records and their source records into temporary tables with COPY, leaves out
every record whose source record was deleted or changed since the run read it (X7: a rollback
or a clerk's correction while the run was in flight; they are counted and listed, never built),
has the pipeline schema's function ``insert_run_records`` insert those whose key has no attendance
row yet (X1, X2), each new Daily record with its attendance_time row (M3), and a lineage row for
every row it inserted (X7: the login writes no lineage itself, migration 0008), and records what
it did in the load log. After
the commit it refreshes the statistics of the tables it grew (``statistics``). It never updates
or deletes a SIS row and never relies on a unique constraint (none exists in real systems), so it
does not use ON CONFLICT; it is correct with or without one.

Every record is counted once: inserted, skipped because its key existed, left out because its
source changed, or declined by the database (an INSERT that did not keep the row: a trigger or
rule on attendance). What the run has in the SIS is what its lineage says, so a retry after a
commit whose acknowledgement was lost reports the rows the first try inserted.

Teachers keep taking attendance while a load runs. Just before its inserts the load locks
the attendance table against other writers (SHARE ROW EXCLUSIVE: readers go on), so no record
can be committed beside one of the run's unseen and no source record can change between the
check and the insert; writers wait for the inserts and the commit, never for the copy or the
backup check before them. Loads of different schools take turns for that step on an advisory
lock of their own, so they never queue in front of teachers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from attendance_bridge.catalog import FINISH_RUN_DAG_ID
from attendance_bridge.config import MODE_DAILY, MODE_MEETING
from attendance_bridge.db.backup import BackupManifest, require_own_transaction, verified_backup
from attendance_bridge.db.binary_copy import copy_blocks
from attendance_bridge.db.follow import ACTIONS, FollowResult, follow_copies
from attendance_bridge.db.locks import LOCK_TIMEOUT, hold_off_writers, lock_school
from attendance_bridge.db.sql import fetch_all, fetch_one, load_sql, statement
from attendance_bridge.db.statistics import refresh_statistics
from attendance_bridge.domain.frames import RECORD_DTYPES, TABLE_COLUMNS
from attendance_bridge.errors import BackupNotVerified, LoadRefused

# The key of an attendance record within a run's records: a Daily record has ccid = periodid = 0.
RECORD_KEY = ["studentid", "att_date", "att_mode_code", "ccid", "periodid"]
# Column order and PostgreSQL types of the COPY into the temporary table.
COPY_TYPES: dict[str, str] = {
    "row_number": "int8",
    "studentid": "int8",
    "schoolid": "int8",
    "yearid": "int4",
    "att_date": "date",
    "calendar_dayid": "int8",
    "attendance_codeid": "int8",
    "att_mode_code": "text",
    "ccid": "int8",
    "periodid": "int8",
    "parent_attendanceid": "int8",
    "time_in": "int4",
    "time_out": "int4",
    "total_minutes": "int4",
}
INT4_MAX = 2**31 - 1
# The source records' columns as the extract read them (domain.frames.SOURCE_COLUMNS), with their
# dtypes and PostgreSQL types for the COPY.
SOURCE_DTYPES: dict[str, str] = {
    column: "datetime64[s]" if dtype == "date" else dtype for column, dtype in TABLE_COLUMNS["attendance"].items()
}
SOURCE_COPY_TYPES = [
    {"int64": "int8", "Int64": "int8", "date": "date", "str": "text"}[dtype]
    for dtype in TABLE_COLUMNS["attendance"].values()
]
# Source records that changed since the run read them, listed (with the total) for the report.
SOURCE_CHANGES_KEPT = 1000


@dataclass(frozen=True)
class LoadResult:
    """What one load did, counted so that every record is counted once, and how long it took.

    ``inserted_attendance`` and ``inserted_attendance_time`` are what the run has in the SIS
    after this load, as its lineage says: this load's inserts plus ``inserted_before``, rows an
    earlier try of the same run committed (its connection was lost after the commit, say).
    The records are split into those ``inserted`` now, ``skipped_existing`` (their key existed
    before the run), ``skipped_source_changed`` (their source record was deleted or changed
    after the run read it, X7: listed in ``source_changes``), ``declined_by_database`` (the
    INSERT did not keep them: a trigger or rule on attendance), and those an earlier try of
    the run had inserted.
    """

    inserted_attendance: int
    inserted_attendance_time: int
    skipped_existing: int
    seconds: float
    skipped_source_changed: int = 0
    declined_by_database: int = 0
    inserted_before: int = 0
    inserted_now: int = 0
    inserted_attendance_time_now: int = 0
    source_changes: list[dict[str, Any]] = field(default_factory=list)
    source_changes_total: int = 0
    loaded_at: str | None = None
    # F3, F4: the copies this load recoded and withdrew (with their attendance times), and those it left because
    # the copy or its source changed after the run judged them (the next run judges them again).
    recoded: int = 0
    withdrawn: int = 0
    withdrawn_attendance_time: int = 0
    left_changed: int = 0


def load_records(
    conn: psycopg.Connection,
    pipeline_schema: str,
    sis_schema: str,
    dag_id: str,
    run_id: str,
    school_number: int,
    records: pd.DataFrame,
    sources: pd.DataFrame | None = None,
    lock_timeout: str = LOCK_TIMEOUT,
    changes: pd.DataFrame | None = None,
) -> LoadResult:
    """X1, X2, X4, X5, X6, X7: insert the records that do not exist yet and whose source is unchanged, in one transaction.

    ``sources`` are the records' source records as the run read them (``domain.frames.source_records``);
    every record's ``parent_attendanceid`` must be among them. ``changes`` are the run's recodes and withdrawals
    of copies (``db.follow.copy_changes``, F3, F4): made first, in the same transaction and under the same locks,
    so that a record the corrected sources imply (F5) is inserted where a withdrawn copy stood.
    """
    started = time.perf_counter()
    frame = checked_records(records, school_number)
    source_frame = checked_sources(sources, frame)
    followed = FollowResult()
    if changes is not None:
        changes = changes.loc[changes["verdict"].isin(list(ACTIONS))].reset_index(drop=True)
    has_changes = changes is not None and not changes.empty
    require_own_transaction(conn, "load_records")
    keys = {"dag_id": dag_id, "run_id": run_id, "school_number": school_number, "sis_schema_name": sis_schema}
    with conn.transaction():
        lock_school(conn, school_number)
        manifest = verified_backup(conn, pipeline_schema, dag_id, run_id)
        _require_coverage(manifest, sis_schema, school_number, frame)
        if has_changes:
            _require_coverage(manifest, sis_schema, school_number, changes.astype({"att_date": "datetime64[s]"}))
        _require_not_finished(conn, pipeline_schema, keys)
        before = {"attendance_rows": 0, "attendance_time_rows": 0}
        if fetch_one(
            conn,
            statement("load/select_run_lineage_rows", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
            keys,
        )["has_rows"]:
            before = fetch_one(
                conn,
                statement("load/select_run_rows_in_sis", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
                keys,
            )
        counts = {"inserted_attendance": 0, "inserted_attendance_time": 0, "to_insert": 0}
        counts |= {"skipped_source_changed": 0, "own_records": 0}
        stale: list[dict[str, Any]] = []
        if not frame.empty:
            _copy_records(conn, frame, source_frame)
        if has_changes:
            # A withdrawal deletes attendance_time rows too: both tables, under the same lock timeout.
            hold_off_writers(conn, "rollback/lock_attendance_tables", pipeline_schema, sis_schema, lock_timeout)
        elif not frame.empty:
            hold_off_writers(conn, "load/lock_attendance", pipeline_schema, sis_schema, lock_timeout)
        if has_changes:
            # F3, F4 before the inserts: what the corrected sources imply may stand where a withdrawn copy stood.
            followed = follow_copies(conn, pipeline_schema, sis_schema, dag_id, run_id, school_number, changes)
        if not frame.empty:
            parameters = {
                **keys,
                "mode_daily": MODE_DAILY,
                "first_date": frame["att_date"].min().date(),
                "last_date": frame["att_date"].max().date(),
                "first_source_date": source_frame["att_date"].min().date(),
                "last_source_date": source_frame["att_date"].max().date(),
                "limit": SOURCE_CHANGES_KEPT,
            }
            conn.execute(
                statement("load/create_bridge_stale_sources", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
                parameters,
            )
            stale = fetch_all(
                conn,
                statement("load/select_stale_sources", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
                parameters,
            )
            conn.execute(load_sql("load/create_bridge_own_records"))
            if before["attendance_rows"]:
                own = conn.execute(
                    statement("load/insert_bridge_own_records", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
                    parameters,
                )
                counts["own_records"] = own.rowcount
            counts |= fetch_one(
                conn,
                statement("load/insert_attendance", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
                parameters,
            )
            _check_counts(counts, school_number)
        result = LoadResult(
            inserted_attendance=before["attendance_rows"] + counts["inserted_attendance"],
            inserted_attendance_time=before["attendance_time_rows"] + counts["inserted_attendance_time"],
            skipped_existing=len(frame)
            - counts["skipped_source_changed"]
            - counts["to_insert"]
            - counts["own_records"],
            seconds=0.0,
            skipped_source_changed=counts["skipped_source_changed"],
            declined_by_database=counts["to_insert"] - counts["inserted_attendance"],
            inserted_before=before["attendance_rows"],
            inserted_now=counts["inserted_attendance"],
            inserted_attendance_time_now=counts["inserted_attendance_time"],
            source_changes=[_plain_change(change) for change in stale],
            source_changes_total=stale[0]["total"] if stale else 0,
            recoded=followed.recoded,
            withdrawn=followed.withdrawn,
            withdrawn_attendance_time=followed.withdrawn_attendance_time,
            left_changed=followed.left_changed,
        )
        logged = fetch_one(
            conn,
            statement("load/insert_load_log", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
            {**keys, "counts": Jsonb(load_log_counts(result))},
        )
    # After the commit, so writers never wait for it: the report and a rollback read these rows next.
    refresh_statistics(conn, {
        (sis_schema, "attendance"): result.inserted_now,
        (sis_schema, "attendance_time"): result.inserted_attendance_time_now,
        (pipeline_schema, "lineage"): result.inserted_now + result.inserted_attendance_time_now + result.withdrawn,
    })  # fmt: skip
    return replace(result, seconds=round(time.perf_counter() - started, 3), loaded_at=logged["loaded_at"].isoformat())


def _require_not_finished(conn: psycopg.Connection, pipeline_schema: str, keys: dict[str, Any]) -> None:
    """A run attendance_bridge_finish_run closed (its process looked dead) does not load afterwards: that verdict stands."""
    closed = fetch_one(
        conn,
        statement(
            "load/select_run_finished_by_repair", pipeline_schema=pipeline_schema, sis_schema=keys["sis_schema_name"]
        ),
        {**keys, "finish_dag_id": FINISH_RUN_DAG_ID},
    )
    if closed is not None:
        raise LoadRefused(
            keys["school_number"],
            f"run {keys['run_id']} was closed by {FINISH_RUN_DAG_ID} run {closed['finish_run_id']} at "
            f"{closed['finished_at']:%Y-%m-%d %H:%M %Z} as {closed['status']} ({closed['message']}), because its process "
            "looked ended; its load does not land after that. Start a new sync run",
        )


def load_log_counts(result: LoadResult) -> dict[str, int]:
    """What the load log keeps of a load: its counts (this load's inserts, not the run's total)."""
    return {
        "inserted": result.inserted_now,
        "inserted_before": result.inserted_before,
        "inserted_attendance_time": result.inserted_attendance_time_now,
        "skipped_existing": result.skipped_existing,
        "skipped_source_changed": result.skipped_source_changed,
        "declined_by_database": result.declined_by_database,
        "recoded": result.recoded,
        "withdrawn": result.withdrawn,
        "withdrawn_attendance_time": result.withdrawn_attendance_time,
        "left_changed": result.left_changed,
    }


def checked_sources(sources: pd.DataFrame | None, frame: pd.DataFrame) -> pd.DataFrame:
    """The source records in SOURCE_DTYPES, refused when a record's source is not among them."""
    if sources is None:
        raise ValueError(
            "the records come without their source records as the run read them (computed by an earlier "
            "version of attendance-bridge?); clear the run's compute_missing_records task to compute them again"
        )
    missing = [column for column in SOURCE_DTYPES if column not in sources.columns]
    if missing:
        raise ValueError(f"the source records lack the column(s) {', '.join(missing)}")
    source_frame = sources.loc[:, list(SOURCE_DTYPES)].astype(SOURCE_DTYPES).drop_duplicates("id")
    unknown = ~frame["parent_attendanceid"].isin(source_frame["id"])
    if unknown.any():
        raise ValueError(
            f"{int(unknown.sum())} record(s) name a source record that is not among the run's source records "
            f"(first: {int(frame.loc[unknown, 'parent_attendanceid'].iloc[0])}), so they cannot be checked"
        )
    return source_frame.reset_index(drop=True)


def checked_records(records: pd.DataFrame, school_number: int) -> pd.DataFrame:
    """The records in RECORD_DTYPES' columns and dtypes, refused when they cannot be loaded as they are."""
    missing = [column for column in RECORD_DTYPES if column not in records.columns]
    if missing:
        raise ValueError(f"the records lack the column(s) {', '.join(missing)}")
    if not 0 < school_number <= INT4_MAX:
        raise ValueError(f"school number {school_number} is outside 1..{INT4_MAX}")
    frame = records.loc[:, list(RECORD_DTYPES)].astype(RECORD_DTYPES).reset_index(drop=True)
    problems = []
    other_school = frame["schoolid"] != school_number
    if other_school.any():
        problems.append(f"{int(other_school.sum())} record(s) of another school than {school_number}")
    other_mode = ~frame["att_mode_code"].isin([MODE_DAILY, MODE_MEETING])
    if other_mode.any():
        problems.append(f"{int(other_mode.sum())} record(s) of a mode other than Daily and Meeting")
    daily = frame["att_mode_code"] == MODE_DAILY
    not_zero = daily & ((frame["ccid"] != 0) | (frame["periodid"] != 0))
    if not_zero.any():
        problems.append(f"{int(not_zero.sum())} Daily record(s) with a ccid or periodid other than 0")
    # Two records with one key would both pass the existence check and land twice (X2).
    duplicated = frame.duplicated(RECORD_KEY)
    if duplicated.any():
        problems.append(f"{int(duplicated.sum())} record(s) repeating another's student, day, mode, ccid and period")
    if problems:
        raise ValueError("the records cannot be loaded: " + "; ".join(problems))
    return frame


def _check_counts(counts: dict[str, int], school_number: int) -> None:
    """Every inserted row has its lineage row and every new Daily record its time row; otherwise undo all (X4)."""
    if counts["inserted_daily"] != counts["inserted_attendance_time"]:
        # A Daily record without its attendance time would break M3: the database (a trigger or a
        # rule on attendance_time) declined some of them, so nothing is loaded.
        raise LoadRefused(
            school_number,
            f"the database kept {counts['inserted_attendance_time']} of the {counts['inserted_daily']} attendance "
            "times of the new Daily records (a trigger or rule on attendance_time declined the others), and a "
            "Daily record needs its attendance time (M3)",
        )
    if not (
        counts["inserted_attendance"] == counts["attendance_lineage"]
        and counts["inserted_attendance_time"] == counts["attendance_time_lineage"]
    ):
        # Lineage rows come from the inserts' RETURNING, so only a bug gets here; raising rolls the load back.
        raise RuntimeError(f"the load's parts disagree, so nothing was loaded: {counts}")


def _plain_change(row: dict[str, Any]) -> dict[str, Any]:
    """A stale source's row (without the query's total) as JSON-safe values (dates as ISO text)."""
    return {
        key: value.isoformat() if hasattr(value, "isoformat") else value for key, value in row.items() if key != "total"
    }


def _require_coverage(manifest: BackupManifest, sis_schema: str, school_number: int, frame: pd.DataFrame) -> None:
    """X6: the verified backup is of this school and schema, and its range holds every record's day."""
    if manifest.school_number != school_number or manifest.sis_schema != sis_schema:
        raise BackupNotVerified(
            school_number,
            manifest.run_id,
            f"the run's backup is of school {manifest.school_number} in schema {manifest.sis_schema!r}, "
            f"not of school {school_number} in {sis_schema!r}",
        )
    if frame.empty:
        return
    first, last = frame["att_date"].min().date(), frame["att_date"].max().date()
    if first < manifest.start_date or last > manifest.end_date:
        raise BackupNotVerified(
            school_number,
            manifest.run_id,
            f"the records run from {first} to {last} but the backup covers {manifest.start_date} to {manifest.end_date}",
        )


def _copy_records(conn: psycopg.Connection, frame: pd.DataFrame, sources: pd.DataFrame) -> None:
    """The records into ``pg_temp.bridge_records`` and their sources into ``pg_temp.bridge_sources``, each with
    one binary COPY built from the frames' columns (``binary_copy``), then statistics for the planner."""
    conn.execute(load_sql("load/create_bridge_records"))
    conn.execute(load_sql("load/create_bridge_sources"))
    records = [
        (name, np.arange(len(frame), dtype=np.int64) if name == "row_number" else frame[name], pg_type)
        for name, pg_type in COPY_TYPES.items()
    ]
    source_columns = [
        (name, sources[name], pg_type) for name, pg_type in zip(SOURCE_DTYPES, SOURCE_COPY_TYPES, strict=True)
    ]
    with conn.cursor() as cursor:
        for copy_statement, columns in (
            ("load/copy_bridge_records", records),
            ("load/copy_bridge_sources", source_columns),
        ):
            with cursor.copy(load_sql(copy_statement)) as copy:
                for block in copy_blocks(columns, conn.info.encoding):
                    copy.write(block)
        cursor.execute(load_sql("load/analyze_bridge_records"))
        cursor.execute(load_sql("load/analyze_bridge_sources"))
