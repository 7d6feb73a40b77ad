"""The run report of SPEC section 6, as one JSON document an auditor can read.

``run_report`` is pure: the run's ids, its conf and what each task returned through XCom in,
the report out. It decides the run's outcome from what the tasks returned: a task that did
not return anything did not finish, except backup and load on a dry run (X8).

The rules (P1-P6), the counts and the tasks are the catalog's: a count or a rule added there is
in the report, in the catalog's order; a count that is not there is not reported. A non-critical
check of the preconditions' gate that failed (DQ1) follows P1-P6 as a warning, with its message.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from attendance_bridge.catalog import (
    COUNT_NAMES,
    PRECONDITIONS,
    READ_PHASES,
    TASK_LABELS,
    WRITE_PHASES,
    without_rule_note,
)
from attendance_bridge.config import YEARID_OFFSET
from attendance_bridge.domain.request import plausible_school
from attendance_bridge.domain.task_results import SyncResults

REPORT_VERSION = 1
# The rules check_parameters checks in the SIS: passed once it returned; what the page says of them.
_CHECKED_BY_PARAMETERS = ("P1", "P2")
_CHECKED_AT_START = "checked in the SIS when the run started, before any record was read"
# A refusal's message names each failed rule: "P5 failed for school 100: ..." (P10 and on too).
_FAILED_RULE = re.compile(r"\b(P\d+) failed for ")
# The student column of the detail tables: the SIS's internal id.
STUDENT_ID = "studentid"


def run_outcome(upstream: Mapping[str, Any]) -> tuple[str, str | None]:
    """("succeeded" | "failed", the first phase that did not finish)."""
    checked = upstream.get("check_parameters")
    dry_run = bool(checked and checked.get("dry_run"))
    phases = READ_PHASES if dry_run else READ_PHASES + WRITE_PHASES
    for name in phases:
        if not upstream.get(name):
            return "failed", name
    return "succeeded", None


def run_report(
    dag_id: str,
    run_id: str,
    triggered_by: str | None,
    conf: Mapping[str, Any],
    upstream: Mapping[str, Any],
    message: str | None,
    by_date_and_code: list[dict[str, Any]],
    report_path: str | None,
) -> dict[str, Any]:
    """The report document of one run (see the module docstring)."""
    status, stopped_at = run_outcome(upstream)
    results = SyncResults.from_xcom(upstream)
    scope, preconditions, candidates = results.scope, results.preconditions, results.candidates
    loaded = results.loaded.load if results.loaded else {}
    dry_run = scope.dry_run if scope else bool(conf.get("dry_run", False))
    if status == "failed" and not message:
        # The step in words, and the task id that names its log in Airflow.
        step = TASK_LABELS.get(stopped_at, stopped_at)
        message = f"the run stopped at the step '{step}' (task {stopped_at}); see that task's log"
    direction = preconditions.direction if preconditions else None
    auto_direction = preconditions.auto_direction if preconditions else None
    yearid = scope.yearid if scope else None
    return {
        "report_version": REPORT_VERSION,
        "dag_id": dag_id,
        "run_id": run_id,
        "triggered_by": triggered_by,
        "status": status,
        "stopped_at": stopped_at,
        "message": message if status == "failed" else None,
        "dry_run": dry_run,
        "school_number": scope.school_number if scope else plausible_school(conf.get("school_number")),
        "parameters": dict(conf),
        "resolved": {
            "yearid": yearid,
            "school_year": f"{yearid + YEARID_OFFSET}-{yearid + YEARID_OFFSET + 1}" if yearid else None,
            "start_date": scope.start_date.isoformat() if scope else None,
            "end_date": scope.end_date.isoformat() if scope else None,
            "direction": direction,
            "auto_direction": auto_direction,
            # P3: an explicit direction is allowed either way; the report notes the difference.
            "direction_differs_from_auto": bool(direction and auto_direction and direction != auto_direction),
            "absent_periods": scope.absent_periods if scope else None,
            "follow_sources": scope.follow_sources if scope else None,
            # F7: the nightly bridge started before its night, at the first day with a copy to follow.
            "looked_back_from": scope.looked_back_from.isoformat() if scope and scope.looked_back_from else None,
        },
        "preconditions": precondition_summary(upstream, message) + precondition_warnings(upstream),
        "checks": preconditions.checks if preconditions else [],
        "candidate_checks": candidates.checks if candidates else [],
        "counts": report_counts(results.computed.counts if results.computed else None, loaded, dry_run),
        "warnings": rule_warnings(results.computed.counts if results.computed else None) + load_warnings(loaded),
        "by_date_and_code": by_date_and_code,
        "validation_results": {
            "preconditions": preconditions.results_path if preconditions else None,
            "candidates": candidates.results_path if candidates else None,
        },
        "backup": results.backup.backup if results.backup else None,
        "timings": {name: results.seconds.get(name) for name in READ_PHASES + WRITE_PHASES},
        "staged_files": {
            **(results.extracted.paths if results.extracted else {}),
            **(results.computed.paths if results.computed else {}),
        },
        "report_path": report_path,
    }


def precondition_summary(upstream: Mapping[str, Any], message: str | None) -> list[dict[str, Any]]:
    """Each precondition of the catalog (P1-P6) as passed / failed / not checked, with what decided it."""
    checked = upstream.get("check_parameters")
    checks = (upstream.get("validate_preconditions") or {}).get("checks") or []
    # A refusal names every failed rule in turn ("P5 failed for school 100: .... P6 failed ...").
    failed_in_message = _failed_rules(message)
    summary = []
    for rule in PRECONDITIONS:
        if rule in _CHECKED_BY_PARAMETERS:
            if checked:
                state, detail = "passed", _CHECKED_AT_START
            elif rule in failed_in_message:
                state, detail = "failed", failed_in_message[rule]
            else:
                state, detail = "not checked", None
        else:
            rule_checks = [check for check in checks if check.get("rule") == rule]
            failures = [check for check in rule_checks if not check.get("passed") and check.get("critical", True)]
            if failures:
                state, detail = "failed", " ".join(check["message"] for check in failures)
            elif rule_checks and upstream.get("validate_preconditions"):
                state, detail = (
                    "passed",
                    " ".join(dict.fromkeys(without_rule_note(check["description"]) for check in rule_checks)),
                )
            elif rule in failed_in_message:
                state, detail = "failed", failed_in_message[rule]
            else:
                state, detail = "not checked", None
        summary.append({"rule": rule, "status": state, "detail": detail})
    return summary


def precondition_warnings(upstream: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Each non-critical check of the preconditions' gate that failed (DQ1, say), as a warning row beside P1-P6.

    The run went on, so nothing stopped on it, but its message names the object an auditor should look at
    ("the enrolment cc.id 2002139 of student 1000194 ... ends before it starts, so it schedules nobody").
    """
    checks = (upstream.get("validate_preconditions") or {}).get("checks") or []
    return [
        {
            "rule": check.get("rule"),
            "status": "warning",
            "detail": check.get("message") or check.get("description"),
            "description": without_rule_note(check.get("description") or ""),
        }
        for check in checks
        if not check.get("passed") and not check.get("critical", True)
    ]


def _failed_rules(message: str | None) -> dict[str, str]:
    """Each rule a refusal names as failed, with its own part of the message."""
    starts = list(_FAILED_RULE.finditer(message or ""))
    return {
        found[1]: message[found.start() : starts[i + 1].start() if i + 1 < len(starts) else len(message)].strip()
        for i, found in enumerate(starts)
    }


def report_counts(counts: Mapping[str, int] | None, loaded: Mapping[str, Any], dry_run: bool) -> dict[str, Any]:
    """SPEC section 6's counts, with what the load found at insert time.

    ``inserted`` is what the run has in the SIS as its lineage says (rows an earlier try of the
    run committed included); ``skipped_existing`` adds records that appeared between extract and
    load; ``skipped_source_changed`` (X7) and ``declined_by_database`` are the load's own: records
    left out because their source record changed after the extract, and records the database did
    not keep (0 on a dry run, which cannot know them).
    """
    if counts is None:
        return {}
    merged: dict[str, Any] = {name: int(counts.get(name, 0)) for name in COUNT_NAMES if name in counts}
    merged["inserted"] = 0 if dry_run else int(loaded.get("inserted_attendance", 0))
    merged["inserted_attendance_time"] = 0 if dry_run else int(loaded.get("inserted_attendance_time", 0))
    merged["skipped_existing"] = int(counts.get("skipped_existing", 0)) + int(loaded.get("skipped_existing", 0))
    # 0 on a dry run and before a load, so a dry run reports the same counts as a load (X8).
    merged["skipped_source_changed"] = int(loaded.get("skipped_source_changed", 0))
    merged["declined_by_database"] = int(loaded.get("declined_by_database", 0))
    if "recoded" in counts:  # the run followed its copies (F7): what the load did, or on a dry run what it would do
        for name in ("recoded", "withdrawn"):
            merged[name] = int(loaded[name]) if not dry_run and name in loaded else int(counts.get(name, 0))
        # A person's edits as the run judged them; a copy or source that changed after that is the load's warning
        # (left_changed), not a person's edit the run saw.
        merged["edited_not_followed"] = int(counts.get("edited_not_followed", 0))
    return {name: merged[name] for name in COUNT_NAMES if name in merged}


def rule_warnings(counts: Mapping[str, Any] | None) -> list[str]:
    """What an auditor must not miss about the records the rules built, in words (D7)."""
    possible = int((counts or {}).get("possible_false_absences") or 0)
    if not possible:
        return []
    warning = (
        f"D7: {possible} of the records built are possible false absences: an absence from a Daily record "
        "copied into a period whose teacher took attendance that day without marking the student (in Meeting "
        "attendance no record means present). They are listed under 'Possible false absences (D7)'. To copy "
        "absences only into periods whose attendance was not taken, run with 'Absences from Daily' set to "
        "untaken periods."
    )
    return [warning]


def load_warnings(loaded: Mapping[str, Any]) -> list[str]:
    """What an auditor must not miss about a load, in words: records left out or not kept, earlier tries."""
    warnings = []
    left_out = int(loaded.get("skipped_source_changed") or 0)
    if left_out:
        sources = int(loaded.get("source_changes_total") or 0)
        warnings.append(
            f"X7: {left_out} record(s) were not added because {sources} of the records they were built from were "
            "deleted or changed after the run read them (a rollback, or a correction in the SIS while the run was "
            "in flight); the list is under 'Source records changed during the run'. Run the sync again to build "
            "what is missing from the records as they are now."
        )
    declined = int(loaded.get("declined_by_database") or 0)
    if declined:
        warnings.append(
            f"The database did not keep {declined} of the records the run inserted (a trigger or rule on the "
            "attendance table declined them): they are not in the SIS and not counted as added."
        )
    left = int(loaded.get("left_changed") or 0)
    if left:
        warnings.append(
            f"F2: {left} of the copies this run was to recode or withdraw were changed, or their source was, after "
            "the run read them (by a person, or a correction while the run was in flight); they were left as they "
            "are and are counted as left, not as recoded or withdrawn. The list under 'Copies followed' shows what "
            "the run judged; the next run judges them again."
        )
    if loaded.get("from_load_log"):
        warnings.append(
            "The task that added the records ended without reporting (its process stopped after the records were "
            f"committed at {loaded.get('loaded_at')}); the counts of what it did come from the load log."
        )
    before = int(loaded.get("inserted_before") or 0)
    if before:
        warnings.append(
            f"{before} of the records added were already in the SIS, inserted by an earlier execution of this run "
            "(a try whose commit went through although its connection was lost, or the same run cleared and run "
            "again); they are the run's own, counted once as added (the rules count them among the records that "
            "exist)."
        )
    return warnings


def student_ids(frames: Iterable[pd.DataFrame]) -> list[int]:
    """The distinct ``studentid`` values of the detail tables, sorted (the student number lookup's parameter)."""
    found: set[int] = set()
    for frame in frames:
        if STUDENT_ID in frame.columns:
            found.update(int(value) for value in frame[STUDENT_ID].dropna().unique())
    return sorted(found)
