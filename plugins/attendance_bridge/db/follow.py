"""Copies follow their sources (SPEC section 8): the school's copies read for judging, and the recodes and
withdrawals a run makes of them.

``read_copies`` reads the copies of a school in a range (F1: lineage rows neither rolled back nor
withdrawn), each with its row as it is now, whether a person changed it (F2: its md5 against the one
the pipeline last wrote) and the parameters of the run that built it, and their sources as they are
now, found by id wherever they went. ``domain.follow`` judges them. ``follow_copies`` makes the
changes inside the load's transaction (X4), under its locks, through the pipeline schema's function
``follow_run_copies`` (migration 0009): the login updates and deletes nothing itself, the function
changes only copies still as the pipeline last wrote them whose source is as the run judged it, and
the others are left for the next run to judge again (``left_changed``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import psycopg

from attendance_bridge.db.sql import fetch_all, fetch_one, statement

# The verdicts that change a copy, as the follow function names them (F3, F4).
ACTIONS = {"recode": "recode", "withdraw": "withdraw"}


@dataclass(frozen=True)
class FollowResult:
    """What one load did to the school's copies (F8's counts)."""

    recoded: int = 0
    withdrawn: int = 0
    withdrawn_attendance_time: int = 0
    left_changed: int = 0


def read_copies(
    conn: psycopg.Connection, pipeline_schema: str, sis_schema: str, school_number: int, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the school's copies whose day lies in [start, end], their sources as they are now with each row's md5)."""
    parameters = {
        "school_number": school_number,
        "sis_schema_name": sis_schema,
        "start_date": start,
        "end_date": end,
    }
    copies = fetch_all(
        conn, statement("follow/select_copies", pipeline_schema=pipeline_schema, sis_schema=sis_schema), parameters
    )
    sources = fetch_all(
        conn,
        statement("follow/select_copy_sources", pipeline_schema=pipeline_schema, sis_schema=sis_schema),
        parameters,
    )
    copy_columns = [
        "attendance_id", "source_attendance_id", "studentid", "att_date", "att_mode_code", "ccid", "periodid",
        "attendance_codeid", "present", "edited", "row_md5", "direction", "absent_periods", "dag_id", "run_id",
    ]  # fmt: skip
    source_columns = [
        "id", "studentid", "schoolid", "att_date", "attendance_codeid", "att_mode_code", "ccid", "periodid", "row_md5",
    ]  # fmt: skip
    return pd.DataFrame(copies, columns=copy_columns), pd.DataFrame(sources, columns=source_columns)


def copy_changes(judgement: pd.DataFrame, sources: pd.DataFrame, copies: pd.DataFrame) -> pd.DataFrame:
    """The copies a judgement does not find current (to recode, to withdraw, edited by a person), each with its
    whole judgement row, its own md5 and its source's md5 as read (None: gone), which ``follow_copies`` passes on:
    the follow function changes a copy only while both are as the run judged them.

    ``judgement`` has at least ``attendance_id``, ``source_attendance_id``, ``verdict``, ``new_attendance_codeid``
    and ``reason`` (``domain.follow.judge_copies``); ``sources`` and ``copies`` are ``read_copies``' frames.
    """
    changing = judgement.loc[judgement["verdict"] != "current"]
    source_md5 = sources.loc[:, ["id", "row_md5"]].rename(
        columns={"id": "source_attendance_id", "row_md5": "source_md5"}
    )
    copy_md5 = copies.loc[:, ["attendance_id", "row_md5"]].rename(columns={"row_md5": "copy_md5"})
    return (
        changing.astype({"source_attendance_id": "int64", "attendance_id": "int64"})
        .merge(source_md5.astype({"source_attendance_id": "int64"}), on="source_attendance_id", how="left",
               validate="many_to_one")
        .merge(copy_md5.astype({"attendance_id": "int64"}), on="attendance_id", how="left", validate="one_to_one")
        .reset_index(drop=True)
    )  # fmt: skip


def follow_copies(
    conn: psycopg.Connection,
    pipeline_schema: str,
    sis_schema: str,
    dag_id: str,
    run_id: str,
    school_number: int,
    changes: pd.DataFrame,
) -> FollowResult:
    """F3, F4: recode and withdraw the copies ``changes`` names (``copy_changes``; other verdicts are not changes),
    in the caller's transaction.

    The caller holds the school's lock and the table lock and has checked the run's backup; the function
    checks the backup again, and refuses (raises) a change that names no copy of the school or recodes to
    another code than the source's. Nothing is done when there is nothing to change.
    """
    changes = changes.loc[changes["verdict"].isin(list(ACTIONS))]
    if changes.empty:
        return FollowResult()
    codes = changes["new_attendance_codeid"].astype("Int64")
    row = fetch_one(
        conn,
        statement("follow/follow_run_copies", pipeline_schema=pipeline_schema),
        {
            "sis_schema_name": sis_schema,
            "dag_id": dag_id,
            "run_id": run_id,
            "school_number": school_number,
            "attendance_ids": [int(value) for value in changes["attendance_id"]],
            "actions": [ACTIONS[value] for value in changes["verdict"]],
            "new_attendance_codeids": [None if pd.isna(value) else int(value) for value in codes],
            "copy_md5s": [None if pd.isna(value) else str(value) for value in changes["copy_md5"]],
            "source_md5s": [None if pd.isna(value) else str(value) for value in changes["source_md5"]],
            "reasons": [str(value) for value in changes["reason"]],
        },
    )
    return FollowResult(
        recoded=row["recoded"],
        withdrawn=row["withdrawn"],
        withdrawn_attendance_time=row["withdrawn_attendance_time"],
        left_changed=row["left_changed"],
    )
