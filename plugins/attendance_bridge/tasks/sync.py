"""The tasks of a sync, one function per task of ``catalog.SYNC_TASKS`` but the first (``tasks.parameters``)
and the report (``tasks.sync_report``).

Each takes the run (``TaskRun``) and what earlier tasks returned through XCom, does its work
against the SIS database and the run's staging folder, logs its time and row counts, and
returns small values again: paths, counts, ids. The first returns the run's ``RunScope``; every
later task reads it back with ``RunScope.from_xcom``. ``guarded_phase`` decides what a failure
means (``tasks.runtime``). The sync DAG and the end-of-term DAG's school group call these same
functions (``wiring.sync_tasks``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

import pandas as pd
import psycopg

from attendance_bridge import checks
from attendance_bridge.catalog import COMPUTED_DETAIL_TABLES, SOURCE_CHANGES_TABLE
from attendance_bridge.config import DAILY_TO_MEETING, DIRECTION_AUTO, MEETING_TO_DAILY
from attendance_bridge.db.backup import take_backup
from attendance_bridge.db.connection import connect_sis
from attendance_bridge.db.extract import PREFS_COLUMNS, read_prefs, read_school_frames
from attendance_bridge.db.follow import copy_changes, read_copies
from attendance_bridge.db.load import load_records
from attendance_bridge.db.sis_tables import refuse_unfilled_column
from attendance_bridge.domain.follow import follow_counts, frames_after_follow, judge_copies
from attendance_bridge.domain.frames import RECORD_DTYPES, SchoolFrames, source_records
from attendance_bridge.domain.request import RunScope
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.domain.task_results import (
    BackedUp,
    CandidatesChecked,
    Computed,
    Extracted,
    Loaded,
    PreconditionsChecked,
)
from attendance_bridge.errors import BackupNotVerified, PreconditionFailed, StagedByAnotherRun
from attendance_bridge.reporting.run_folders import (
    is_inside,
    local_working_copy,
    read_frame,
    report_folder,
    staged_by_of,
    staging_folder,
    write_frame,
    write_json,
)
from attendance_bridge.reporting.run_report import load_warnings, rule_warnings
from attendance_bridge.tasks.runtime import TaskRun, guarded_phase, plain

log = logging.getLogger(__name__)

# The frames the extract task stages: the rules' nine tables and the school's settings.
PREFS_FRAME = "prefs"
# What the compute task stages besides the records: their source records as read (for the load)
# and the report's detail tables (catalog.COMPUTED_DETAIL_TABLES).
SOURCES_FRAME = "sources"
# F1, F7: what the extract task stages for following: the school's copies in the range and their sources as they
# are now (with each row's md5, which the load's follow function compares); and what the compute task stages: the
# copies it judged stale or edited (F8), with their verdict and reason.
COPIES_FRAME = "copies"
COPY_SOURCES_FRAME = "copy_sources"
FOLLOWED_FRAME = "followed"


def extract_school_tables(run: TaskRun, checked: Mapping[str, Any]) -> dict[str, Any]:
    """One school's tables for the range, bounded by school and dates, staged as Parquet."""
    scope = RunScope.from_xcom(checked)
    with guarded_phase("extract_school_tables", run, scope.school_number) as timing:
        folder = staging_folder(run.dag_id, run.run_id) / "extract"
        folder.mkdir(parents=True, exist_ok=True)
        with connect_sis() as conn:
            frames = read_school_frames(conn, scope.sis_schema, scope, scope.pipeline_schema)
            prefs = read_prefs(conn, scope.sis_schema, scope)
            followed = {}
            if scope.follow_sources:  # F7: the school's copies whose day lies in the range, and their sources
                copies, copy_sources = read_copies(
                    conn, scope.pipeline_schema, scope.sis_schema, scope.school_number, scope.start_date, scope.end_date
                )
                followed = {COPIES_FRAME: copies, COPY_SOURCES_FRAME: copy_sources}
        tables = {
            **{field.name: getattr(frames, field.name) for field in fields(frames)}, PREFS_FRAME: prefs, **followed,
        }  # fmt: skip
        stamp = staged_by(run, scope.school_number)
        paths = {name: write_frame(frame, folder / f"{name}.parquet", stamp) for name, frame in tables.items()}
        rows = {name: len(frame) for name, frame in tables.items()}
    log.info("extract_school_tables: rows per table %s", rows)
    return Extracted(paths, rows, timing["seconds"]).to_xcom()


def validate_preconditions(run: TaskRun, checked: Mapping[str, Any], extracted: Mapping[str, Any]) -> dict[str, Any]:
    """P3-P6 and the data-quality checks with Great Expectations; P3 resolves ``auto``."""
    scope = RunScope.from_xcom(checked)
    school = scope.school_number
    with guarded_phase("validate_preconditions", run, school) as timing:
        frames, prefs = staged_frames(Extracted.from_xcom(extracted))
        folder = report_folder(school, run.dag_id, run.run_id)
        # The run's GX store and Data Docs site live in its report folder (see docs/decisions.md).
        with local_working_copy(folder, (checks.GX_STORE_FOLDER, checks.DATA_DOCS_FOLDER)) as docs:
            outcome = checks.validate_preconditions(
                frames, prefs, school, scope.start_date, scope.end_date, run.run_id, docs_folder=docs
            )
        results_path = write_json(outcome.results, folder / "preconditions_validation.json")
        data_docs_path = str(folder / checks.DATA_DOCS_FOLDER / "index.html")
        log.info(
            "validate_preconditions: Great Expectations Data Docs of the run (rendered by write_report): %s",
            data_docs_path,
        )
        results = [asdict(check) for check in outcome.checks]
        _log_checks("validate_preconditions", outcome)
        outcome.raise_for_failure(school)
        auto_direction = checks.recording_direction(prefs)
        requested = scope.requested_direction
        direction = auto_direction if requested == DIRECTION_AUTO else requested
        if direction not in (MEETING_TO_DAILY, DAILY_TO_MEETING):  # P3 passed, so this cannot happen
            raise PreconditionFailed("P3", school, "the school's current recording method could not be read")
    if requested != DIRECTION_AUTO and requested != auto_direction:
        log.warning(
            "validate_preconditions: direction %s was asked for; the school's current method implies %s (P3)",
            requested,
            auto_direction,
        )
    return PreconditionsChecked(
        direction, auto_direction, results, results_path, data_docs_path, timing["seconds"]
    ).to_xcom()


def compute_missing_records(
    run: TaskRun, checked: Mapping[str, Any], extracted: Mapping[str, Any], preconditions: Mapping[str, Any]
) -> dict[str, Any]:
    """The rules of SPEC section 5 over the staged frames; the records staged as Parquet.

    When the run follows its copies (F7), each is judged against its source first (F1, F2), and the rules run on
    the SIS as the verdicts leave it, so they also build what the corrected sources imply (F5); the copies to
    recode or withdraw and those a person changed are staged for the load and the report (F8).
    """
    request = RunScope.from_xcom(checked).bridge_request(PreconditionsChecked.from_xcom(preconditions).direction)
    with guarded_phase("compute_missing_records", run, request.school_number) as timing:
        frames, _ = staged_frames(Extracted.from_xcom(extracted))
        judgement, copies, copy_sources = followed_judgement(Extracted.from_xcom(extracted), frames, request)
        if judgement is not None:
            frames = frames_after_follow(frames, judgement)
        result = bridge_records(frames, request)
        folder = staging_folder(run.dag_id, run.run_id) / "compute"
        folder.mkdir(parents=True, exist_ok=True)
        # The load loads only what this run staged for its school (X7): each file says who staged it.
        stamp = staged_by(run, request.school_number)
        paths = {"records": write_frame(result.records, folder / "records.parquet", stamp)}
        # The load checks each record's source against the SIS before it inserts it (X7).
        paths[SOURCES_FRAME] = write_frame(
            source_records(frames.attendance, result.records), folder / "sources.parquet", stamp
        )
        paths |= {
            name: write_frame(getattr(result, name), folder / f"{name}.parquet", stamp)
            for name in COMPUTED_DETAIL_TABLES
        }
        counts = dict(result.counts)
        if judgement is not None:
            stale = copy_changes(judgement, copy_sources, copies)  # with the md5s the load's check compares
            paths[FOLLOWED_FRAME] = write_frame(stale, folder / f"{FOLLOWED_FRAME}.parquet", stamp)
            counts |= follow_counts(judgement)
            log.info(
                "compute_missing_records: copies followed (F1, F2): %s of %d", follow_counts(judgement), len(judgement)
            )
    log.info("compute_missing_records: %s %s", request.direction, counts)
    for warning in rule_warnings(result.counts):
        log.warning("compute_missing_records: %s", warning)
    return Computed(paths, counts, timing["seconds"]).to_xcom()


def followed_judgement(
    extracted: Extracted, frames: SchoolFrames, request: Any
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, pd.DataFrame | None]:
    """F1, F2: (the verdict on every copy of the run's direction the extract staged, those copies, their sources
    as read), or Nones when the run does not follow (F7).

    A run follows the copies its own direction builds (Daily copies for meeting_to_daily, Meeting copies for
    daily_to_meeting; docs/decisions.md): the two syncs of a two-way night never judge the same copy.
    """
    if COPIES_FRAME not in extracted.paths:
        return None, None, None
    copies = read_frame(extracted.paths[COPIES_FRAME])
    copies = copies.loc[copies["direction"] == request.direction].reset_index(drop=True)
    sources = read_frame(extracted.paths[COPY_SOURCES_FRAME])
    return judge_copies(frames, request, copies, sources), copies, sources


def followed_frames(frames: SchoolFrames, computed: Computed) -> SchoolFrames:
    """The staged frames as the run's recodes and withdrawals leave them (F5), for the checks of what it builds."""
    if FOLLOWED_FRAME not in computed.paths:
        return frames
    return frames_after_follow(frames, read_frame(computed.paths[FOLLOWED_FRAME]))


def validate_candidates(
    run: TaskRun, checked: Mapping[str, Any], extracted: Mapping[str, Any], computed: Mapping[str, Any],
    preconditions: Mapping[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """The records to insert have unique keys, existing foreign keys, and none is in the SIS."""
    school = RunScope.from_xcom(checked).school_number
    with guarded_phase("validate_candidates", run, school) as timing:
        frames, _ = staged_frames(Extracted.from_xcom(extracted))
        frames = followed_frames(frames, Computed.from_xcom(computed))
        records = staged_records(Computed.from_xcom(computed).paths["records"])
        folder = report_folder(school, run.dag_id, run.run_id)
        # The store holds the preconditions' results too, so the rebuilt site lists both gates.
        with local_working_copy(folder, (checks.GX_STORE_FOLDER, checks.DATA_DOCS_FOLDER)) as docs:
            outcome = checks.validate_candidates(
                records,
                frames,
                PreconditionsChecked.from_xcom(preconditions).direction,
                run.run_id,
                school_number=school,
                docs_folder=docs,
            )
        results_path = write_json(outcome.results, folder / "candidates_validation.json")
        data_docs_path = str(folder / checks.DATA_DOCS_FOLDER / "index.html")
        log.info(
            "validate_candidates: Great Expectations Data Docs of the run (rendered by write_report): %s",
            data_docs_path,
        )
        _log_checks("validate_candidates", outcome)
        outcome.raise_for_failure(school)
    results = [asdict(check) for check in outcome.checks]
    return CandidatesChecked(results, results_path, data_docs_path, len(records), timing["seconds"]).to_xcom()


def back_up_school_records(run: TaskRun, checked: Mapping[str, Any]) -> dict[str, Any]:
    """X6: snapshot the school's attendance of the range, both modes, and verify it."""
    scope = RunScope.from_xcom(checked)
    with guarded_phase("back_up_school_records", run, scope.school_number) as timing, connect_sis() as conn:
        manifest = take_backup(
            conn, scope.pipeline_schema, scope.sis_schema, run.dag_id, run.run_id, scope.school_number,
            scope.start_date, scope.end_date,
        )  # fmt: skip
    backup = plain(asdict(manifest))
    log.info("back_up_school_records: %s", backup)
    return BackedUp(backup, timing["seconds"]).to_xcom()


def load_missing_records(run: TaskRun, checked: Mapping[str, Any], computed: Mapping[str, Any]) -> dict[str, Any]:
    """X1, X2, X4, X5, X7: one transaction under the school's lock, after a verified backup, of the records this
    run staged for its school (``own_staged_file``; any other file is refused before the database is touched).

    Records whose source record was deleted or changed after the extract are left out (X7); they
    are counted, logged with a warning, and listed in ``source_changes.parquet`` for the report.
    """
    scope = RunScope.from_xcom(checked)
    school = scope.school_number
    with guarded_phase("load_missing_records", run, school) as timing:
        staged = Computed.from_xcom(computed).paths
        # Before any database work: another run's files (a run id that once shared this run's folder) are refused.
        records = staged_records(own_staged_file(run, school, staged["records"]))
        source_path = staged.get(SOURCES_FRAME)
        sources = read_frame(own_staged_file(run, school, source_path)) if source_path else None
        followed_path = staged.get(FOLLOWED_FRAME)
        changes = read_frame(own_staged_file(run, school, followed_path)) if followed_path else None
        refuse_other_schools(records, school, staged["records"])
        if sources is not None:
            refuse_other_schools(sources, school, source_path)
        with connect_sis() as conn:
            try:
                loaded = load_records(
                    conn, scope.pipeline_schema, scope.sis_schema, run.dag_id, run.run_id, school, records, sources,
                    changes=changes,
                )  # fmt: skip
            except BackupNotVerified as exc:
                if exc.school_number is not None:
                    raise
                # No backup row to read the school from: the refusal names the run's school.
                raise BackupNotVerified(school, exc.run_id, exc.detail) from exc
            except psycopg.errors.NotNullViolation as exc:  # a column check_parameters could not see (a trigger's)
                refuse_unfilled_column(exc, scope.sis_schema, f"asked for school {school}")
                raise
        paths = {}
        if loaded.source_changes:
            folder = staging_folder(run.dag_id, run.run_id) / "load"
            folder.mkdir(parents=True, exist_ok=True)
            changes = pd.DataFrame(loaded.source_changes)
            paths[SOURCE_CHANGES_TABLE] = write_frame(
                changes, folder / f"{SOURCE_CHANGES_TABLE}.parquet", staged_by(run, school)
            )
    result = plain(asdict(loaded))
    result.pop("source_changes")  # staged above; XCom carries small things
    # What the report warns about (records left out or not kept, an earlier try's rows), said in the task log too.
    for warning in load_warnings(result):
        log.warning("load_missing_records: %s", warning)
    log.info("load_missing_records: %s", result)
    return Loaded(result, paths, timing["seconds"]).to_xcom()


def staged_by(run: TaskRun, school_number: int) -> dict[str, Any]:
    """What a task records in each file it stages: the run (DAG and run id) and the school it staged it for."""
    return {"dag_id": run.dag_id, "run_id": run.run_id, "school_number": school_number}


def own_staged_file(run: TaskRun, school_number: int, url: str) -> str:
    """``url``, when the file there was staged by this run for its school in the run's own staging folder (X7:
    a run loads only its own records, so that what it inserts is traceable to it); else refused."""
    stamp = staged_by_of(url)
    if stamp != staged_by(run, school_number):
        where = (
            f"were staged by run {stamp.get('run_id')} of {stamp.get('dag_id')} for school {stamp.get('school_number')}"
            if stamp
            else "do not say which run staged them (a version before issue 29 staged them: run the sync again)"
        )
        raise StagedByAnotherRun(
            school_number,
            f"the records to add at {url} {where}, not by this run ({run.run_id} of {run.dag_id}, school "
            f"{school_number}); a run loads only the records it staged itself",
        )
    folder = staging_folder(run.dag_id, run.run_id)
    if not is_inside(url, folder):
        raise StagedByAnotherRun(
            school_number,
            f"the records to add at {url} are not in this run's own staging folder {folder}; a run loads only the "
            "records it staged itself",
        )
    return url


def refuse_other_schools(frame: pd.DataFrame, school_number: int, url: str) -> None:
    """X7: every staged record (and source record) must be of the run's school."""
    others = sorted({int(school) for school in frame["schoolid"].unique()} - {school_number})
    if others:
        count = int((frame["schoolid"] != school_number).sum())
        raise StagedByAnotherRun(
            school_number,
            f"{count} of the records at {url} are of school {', '.join(map(str, others))}, not of this run's school "
            f"{school_number}; a run loads only records of its own school",
        )


def staged_frames(extracted: Extracted) -> tuple[SchoolFrames, pd.DataFrame]:
    """The extract task's Parquet files back as the rules' frames and the prefs frame."""
    paths = extracted.paths
    # Parquet keeps dtypes except datetime resolution; from_tables restores the declared ones.
    frames = SchoolFrames.from_tables(**{field.name: read_frame(paths[field.name]) for field in fields(SchoolFrames)})
    prefs = read_frame(paths[PREFS_FRAME]).astype(PREFS_COLUMNS)
    return frames, prefs


def staged_records(url: str) -> pd.DataFrame:
    """The compute task's records with the rules' dtypes."""
    return read_frame(url).astype(RECORD_DTYPES)


def _log_checks(name: str, outcome: Any) -> None:
    """One log line per failed check, one summary line."""
    failed = [check for check in outcome.checks if not check.passed]
    for check in failed:
        level = logging.ERROR if check.critical else logging.WARNING
        log.log(level, "%s: %s %s: %s", name, check.rule, check.expectation, check.message)
    log.info("%s: %d checks, %d failed", name, len(outcome.checks), len(failed))
