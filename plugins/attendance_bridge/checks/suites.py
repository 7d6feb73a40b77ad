"""The expectation suites of the gate: which suite judges which frame, and loading a suite file.

The suites are JSON files in ``expectations/`` (see its README), one per suite, named as the
keys of ``SUITES``. ``SUITES`` is the one list of the precondition suites, in the order they
run and appear in the report: a new precondition (P7) is a suite file, its frame builder in
``checks.preconditions``, one line here and its id and label in ``catalog.PRECONDITIONS``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from attendance_bridge.checks.gx import import_gx
from attendance_bridge.checks.preconditions import (
    PreconditionInput,
    attendance_codes_frame,
    bell_schedules_frame,
    calendar_days_frame,
    enrolments_frame,
    school_settings_frame,
)
from attendance_bridge.config import EXPECTATIONS_DIR
from attendance_bridge.errors import SuiteLoadError

__all__ = ["CANDIDATE_SUITE", "SUITES", "SuiteLoadError", "load_suite", "suite_document", "with_values"]

# The precondition suites {suite file name: the frame builder whose frame it judges}, in order.
SUITES: dict[str, Callable[[PreconditionInput], pd.DataFrame]] = {
    "preconditions_school_settings": school_settings_frame,  # P3, P4
    "preconditions_calendar": calendar_days_frame,  # P5
    "preconditions_bell_schedules": bell_schedules_frame,  # P5
    "preconditions_attendance_codes": attendance_codes_frame,  # P6
    "data_quality_enrolments": enrolments_frame,  # DQ1
}
# The suite of the records to insert (C1-C4); its frame is ``checks.candidates.candidate_checks``.
CANDIDATE_SUITE = "candidates"


def suite_document(name: str, folder: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    """A suite's JSON file as a dict."""
    return json.loads((folder / f"{name}.json").read_text())


def load_suite(name: str, folder: Path = EXPECTATIONS_DIR) -> Any:
    """The suite as a GX ExpectationSuite; refuses a file GX did not load in full.

    GX 1.x can drop an expectation it does not understand while loading a suite; a gate with
    a check silently missing would pass data it should stop, so the count is compared.
    """
    import_gx()
    from great_expectations.core.expectation_suite import ExpectationSuite

    document = suite_document(name, folder)
    written = len(document.get("expectations", []))
    try:
        suite = ExpectationSuite(**document)
    except Exception as exc:
        raise SuiteLoadError(f"the expectation suite {name}.json could not be loaded: {exc}") from exc
    if len(suite.expectations) != written or written == 0:
        raise SuiteLoadError(
            f"the expectation suite {name}.json holds {written} expectations but Great Expectations "
            f"loaded {len(suite.expectations)}; fix the file before running the gate"
        )
    return suite


def with_values(suite: Any, values: Mapping[str, Any]) -> Any:
    """Fill run-dependent kwargs written as "$name" in the suite file (the school, the target mode)."""
    for expectation in suite.expectations:
        for key in ("value_set",):
            current = getattr(expectation, key, None)
            if isinstance(current, list) and any(isinstance(v, str) and v.startswith("$") for v in current):
                setattr(expectation, key, [values.get(v[1:], v) if isinstance(v, str) else v for v in current])
    return suite
