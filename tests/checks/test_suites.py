"""The suite registry: every precondition suite has its file and frame, and checks rules the catalogue names."""

from __future__ import annotations

from attendance_bridge.catalog import PRECONDITIONS
from attendance_bridge.checks.suites import CANDIDATE_SUITE, SUITES, suite_document
from attendance_bridge.config import EXPECTATIONS_DIR
from attendance_bridge.domain.attendance_codes import USABLE_STATUSES

# The preconditions the parameters check (P1, P2), not a suite.
CHECKED_BEFORE_THE_GATE = {"P1", "P2"}


def test_every_suite_file_is_registered_and_every_registered_suite_has_its_file() -> None:
    files = {path.stem for path in EXPECTATIONS_DIR.glob("*.json")}
    assert files == {*SUITES, CANDIDATE_SUITE}


def test_the_precondition_suites_check_the_catalogue_s_preconditions_and_data_quality() -> None:
    rules = {expectation["meta"]["rule"] for name in SUITES for expectation in suite_document(name)["expectations"]}
    preconditions = {rule for rule in rules if not rule.startswith("DQ")}
    assert preconditions <= set(PRECONDITIONS)
    assert preconditions == set(PRECONDITIONS) - CHECKED_BEFORE_THE_GATE


def test_p6_s_suite_wants_the_statuses_the_engine_reads() -> None:
    (status,) = [
        expectation
        for expectation in suite_document("preconditions_attendance_codes")["expectations"]
        if expectation["kwargs"]["column"] == "presence_status"
    ]
    assert tuple(status["kwargs"]["value_set"]) == USABLE_STATUSES
