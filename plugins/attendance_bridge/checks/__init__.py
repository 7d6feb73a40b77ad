"""The Great Expectations gate of the sync (SPEC section 4): the preconditions P3-P6 and the candidates' checks C1-C4.

The tasks call the gate's entry points here: ``validate_preconditions`` and
``validate_candidates`` (one gate each), ``recording_direction`` (what ``auto`` means, P3) and
``build_run_data_docs`` with ``GX_STORE_FOLDER`` and ``DATA_DOCS_FOLDER`` (the run's Data Docs).

The modules: ``preconditions`` and ``candidates`` build the frames the suites judge (pure
pandas), ``suites`` says which suite judges which frame and loads the suite files of
``expectations/``, ``gx`` runs them (Great Expectations is imported there and in ``suites.load_suite``, and only
when a gate runs), ``data_docs`` renders a run's site from the results.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from attendance_bridge.checks.candidates import candidate_checks, candidate_labels
from attendance_bridge.checks.data_docs import build_run_data_docs
from attendance_bridge.checks.gx import (
    DATA_DOCS_FOLDER,
    GX_STORE_FOLDER,
    CheckResult,
    ValidationOutcome,
    run_suites,
)
from attendance_bridge.checks.preconditions import PreconditionInput, recording_direction
from attendance_bridge.checks.suites import CANDIDATE_SUITE, SUITES, load_suite, with_values
from attendance_bridge.config import MEETING_TO_DAILY, MODE_DAILY, MODE_MEETING
from attendance_bridge.domain.frames import SchoolFrames

__all__ = [
    "DATA_DOCS_FOLDER",
    "GX_STORE_FOLDER",
    "CheckResult",
    "ValidationOutcome",
    "build_run_data_docs",
    "recording_direction",
    "validate_candidates",
    "validate_preconditions",
]


def validate_preconditions(
    frames: SchoolFrames,
    prefs: pd.DataFrame,
    school_number: int,
    start_date: date,
    end_date: date,
    run_name: str,
    docs_folder: Path | None = None,
) -> ValidationOutcome:
    """P3-P6 and the data-quality checks over one school's extracted frames (every suite of ``SUITES``).

    With ``docs_folder``, the suites and results are also kept in GX's store there, for
    ``build_run_data_docs`` (see ``checks.gx.run_suites``).
    """
    checked = PreconditionInput(frames, prefs, school_number, start_date, end_date)
    values = {"school_number": school_number}
    return run_suites(
        {name: frame_of(checked) for name, frame_of in SUITES.items()},
        lambda name: with_values(load_suite(name), values),
        run_name,
        values,
        docs_folder=docs_folder,
    )


def validate_candidates(
    records: pd.DataFrame,
    frames: SchoolFrames,
    direction: str,
    run_name: str,
    school_number: int | None = None,
    docs_folder: Path | None = None,
) -> ValidationOutcome:
    """C1-C4: unique keys, existing references, nothing already in the SIS, the right mode and school.

    ``docs_folder``: as for ``validate_preconditions``; the same folder gets both gates' results.
    """
    school = school_number if school_number is not None else _only_school(frames)
    target_mode = MODE_DAILY if direction == MEETING_TO_DAILY else MODE_MEETING
    frame = candidate_checks(records, frames, direction, school)
    values = {"school_number": school, "target_mode": target_mode}
    return run_suites(
        {CANDIDATE_SUITE: frame},
        lambda name: with_values(load_suite(name), values),
        run_name,
        values,
        {CANDIDATE_SUITE: lambda rows: candidate_labels(records, rows)},
        docs_folder=docs_folder,
    )


def _only_school(frames: SchoolFrames) -> int:
    """The school of the extracted calendar (candidates must all be of it)."""
    schools = frames.calendar_day["schoolid"].unique()
    return int(schools[0]) if len(schools) == 1 else -1
