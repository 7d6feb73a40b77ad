"""The names the project spells in many places, each written once: every user reads them from here.

- the DAG ids, and the sync DAG's tasks in order (which ones write to the SIS, and their labels);
- the rollback's and the end-of-term DAG's task ids;
- the preconditions P1-P6 with the sentence the report shows for each;
- the counts of the run report (SPEC section 6): their order, their labels on the run page, in
  the district summary and in ``make demo``'s printout;
- the detail tables of a sync run, with their titles.

Adding a count means adding one ``Count`` here (and computing it); adding a precondition means
one line in ``PRECONDITIONS`` (and its suite in ``checks.suites``). Nothing else lists them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from attendance_bridge.config import DAILY_TO_MEETING, MEETING_TO_DAILY

# --------------------------------------------------------------------------- DAG ids

SYNC_DAG_ID = "attendance_bridge_sync"
END_OF_TERM_DAG_ID = "attendance_bridge_end_of_term"
# SPEC section 7: every school day once it is over, the school's bridge setting honoured.
NIGHTLY_DAG_ID = "attendance_bridge_nightly"
# The DAGs that sync many schools in one run, each school in a mapped group, with a district summary.
DISTRICT_DAG_IDS = (END_OF_TERM_DAG_ID, NIGHTLY_DAG_ID)
ROLLBACK_DAG_ID = "attendance_bridge_rollback"
# The DAG that closes a sync run whose process ended; the load reads its run log rows.
FINISH_RUN_DAG_ID = "attendance_bridge_finish_run"
# The DAGs whose runs insert records (the rollback undoes them, the finish closes them).
LOADING_DAG_IDS = (SYNC_DAG_ID, END_OF_TERM_DAG_ID, NIGHTLY_DAG_ID)

# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class Task:
    """A task of a DAG: its id, what the run page calls it, and whether it writes to the SIS."""

    task_id: str
    label: str
    writes: bool = False


# The sync DAG's tasks, in order; the end-of-term DAG runs the same tasks per school.
SYNC_TASKS: tuple[Task, ...] = (
    Task("check_parameters", "Check the parameters"),
    Task("extract_school_tables", "Read the school's tables"),
    Task("validate_preconditions", "Validate the preconditions"),
    Task("compute_missing_records", "Find the missing records"),
    Task("validate_candidates", "Validate the records to add"),
    Task("back_up_school_records", "Back up the school's records", writes=True),
    Task("load_missing_records", "Add the records", writes=True),
    Task("write_report", "Write the report"),
)
SYNC_TASK_IDS = tuple(task.task_id for task in SYNC_TASKS)
# The tasks before the report: what must have finished for a run to succeed; a dry run skips
# the writing ones (X8).
SYNC_PHASES = SYNC_TASK_IDS[:-1]
READ_PHASES = tuple(task.task_id for task in SYNC_TASKS[:-1] if not task.writes)
WRITE_PHASES = tuple(task.task_id for task in SYNC_TASKS[:-1] if task.writes)

ROLLBACK_TASKS: tuple[Task, ...] = (
    Task("plan_rollback", "Plan the rollback"),
    Task("roll_back", "Delete the run's records", writes=True),
    Task("write_report", "Write the report"),
)
ROLLBACK_TASK_IDS = tuple(task.task_id for task in ROLLBACK_TASKS)

# The end-of-term DAG: its first task and its mapped group of school syncs.
FIND_SCHOOLS_TASK = "find_schools_to_reconcile"
SCHOOL_GROUP = "reconcile_school"

# What the run page calls each task (a task id can appear in more than one DAG).
TASK_LABELS: dict[str, str] = {task.task_id: task.label for task in SYNC_TASKS + ROLLBACK_TASKS}

# --------------------------------------------------------------------------- preconditions

# SPEC section 4, in order, with the sentence the report shows for each.
PRECONDITIONS: dict[str, str] = {
    "P1": "The school exists and is not the district office",
    "P2": "The school year exists for the school",
    "P3": "Exactly one recording method is current",
    "P4": "The Meeting and Daily Attendance Bridge is on",
    "P5": "Every bell schedule in use has one bridge period",
    "P6": "The attendance codes are usable",
}

# --------------------------------------------------------------------------- counts


@dataclass(frozen=True)
class Count:
    """A count of the run report (SPEC section 6).

    ``label`` is the run page's; ``summary`` the district summary's column heading (None: not a
    column there); ``demo`` the line ``make demo`` prints per direction, with the rule it comes
    from (a direction it is missing from does not print it).
    """

    name: str
    label: str
    summary: str | None = None
    demo: dict[str, str] = field(default_factory=dict)


_LEFT_OUT = "X7 left out: their source record changed during the run"
_DECLINED = "not kept by the database (a trigger declined them)"
_RECODED = "F3 copies recoded: their source's code changed"
_WITHDRAWN = "F4 copies withdrawn: their source no longer implies them"
_EDITED = "F2 copies left as they are: a person edited them"

# In the order an auditor reads them.
COUNTS: tuple[Count, ...] = (
    Count(
        "source_records_read",
        "Attendance records read",
        demo={
            MEETING_TO_DAILY: "source records read (Daily and Meeting)",
            DAILY_TO_MEETING: "source records read (Daily and Meeting)",
        },
    ),
    Count(
        "ignored",
        "Records ignored (not in session, outside the dates, or built by an earlier run)",
        demo={
            MEETING_TO_DAILY: "X3, X9 ignored: not in session, outside the range, or built by a run",
            DAILY_TO_MEETING: "X3, X9 ignored: not in session, outside the range, or built by a run",
        },
    ),
    Count(
        "ignored_built",
        "Of those, built by an earlier run: copies, never used as sources (X9)",
        summary="Ignored (built by a run)",
    ),
    Count(
        "candidates",
        "Missing records found",
        summary="Missing",
        demo={MEETING_TO_DAILY: "M1 Daily records to build", DAILY_TO_MEETING: "D1-D3 Meeting records to build"},
    ),
    Count(
        "inserted",
        "Records added",
        summary="Added",
        demo={
            MEETING_TO_DAILY: "X1 Daily records inserted (each with attendance_time, M3)",
            DAILY_TO_MEETING: "X1 Meeting records inserted",
        },
    ),
    Count("inserted_attendance_time", "Attendance times added"),
    Count(
        "skipped_existing",
        "Skipped: the record already exists",
        summary="Already there",
        demo={
            MEETING_TO_DAILY: "M1 skipped: the student already has a Daily record",
            DAILY_TO_MEETING: "D4 skipped: the Meeting record exists",
        },
    ),
    Count(
        "skipped_source_changed",
        "Not added: the record it was built from changed during the run",
        summary="Left out (source changed)",
        demo={MEETING_TO_DAILY: _LEFT_OUT, DAILY_TO_MEETING: _LEFT_OUT},
    ),
    Count(
        "declined_by_database",
        "Not kept by the database (a trigger or rule declined them)",
        summary="Not kept (database)",
        demo={MEETING_TO_DAILY: _DECLINED, DAILY_TO_MEETING: _DECLINED},
    ),
    Count(
        "recoded",
        "Copies recoded: the record a run built them from has another code now (F3)",
        summary="Recoded",
        demo={MEETING_TO_DAILY: _RECODED, DAILY_TO_MEETING: _RECODED},
    ),
    Count(
        "withdrawn",
        "Copies withdrawn: the record a run built them from no longer implies them (F4)",
        summary="Withdrawn",
        demo={MEETING_TO_DAILY: _WITHDRAWN, DAILY_TO_MEETING: _WITHDRAWN},
    ),
    Count(
        "edited_not_followed",
        "Copies left as they are: a person changed them since a run built them (F2)",
        summary="Edited, not followed",
        demo={MEETING_TO_DAILY: _EDITED, DAILY_TO_MEETING: _EDITED},
    ),
    Count(
        "conflicts",
        "Conflicts (records that disagree)",
        summary="Conflicts",
        demo={
            MEETING_TO_DAILY: "M2 conflicts: bridge-period records with different codes",
            DAILY_TO_MEETING: "D6 conflicts: two Daily records for one Meeting record",
        },
    ),
    Count(
        "mismatches",
        "Mismatches (exists with another code)",
        summary="Mismatches",
        demo={DAILY_TO_MEETING: "D4 mismatches: it exists with another code"},
    ),
    Count(
        "unscheduled",
        "Unscheduled (no class that day)",
        summary="Unscheduled",
        demo={DAILY_TO_MEETING: "D5 unscheduled Daily records"},
    ),
    Count(
        "outside_bridge_period",
        "Meeting records outside the bridge period",
        demo={MEETING_TO_DAILY: "M4 Meeting records outside the bridge period"},
    ),
    Count(
        "disagreements",
        "Disagreements left as they are (Daily and bridge-period Meeting codes differ)",
        summary="Disagreements",
    ),
    Count(
        "possible_false_absences",
        "Possible false absences: an absence copied into a period whose teacher took attendance (D7)",
        summary="Possible false absences",
        demo={DAILY_TO_MEETING: "D7 possible false absences: copied where the teacher took attendance"},
    ),
    Count(
        "skipped_taken",
        "Not copied: the period's teacher took attendance that day (untaken periods only, D7)",
        summary="Not copied (attendance taken)",
    ),
)
COUNT_NAMES = tuple(count.name for count in COUNTS)
COUNT_LABELS: dict[str, str] = {count.name: count.label for count in COUNTS}
# The district summary's columns, with their headings.
SUMMARY_COUNT_LABELS: dict[str, str] = {count.name: count.summary for count in COUNTS if count.summary}

# --------------------------------------------------------------------------- detail tables

# The detail tables of a sync run, with their titles, in the order the run page shows them. The
# compute task stages the followed copies (F8) apart from the rules' tables; the load stages the
# source records that changed after the extract (X7).
DETAIL_TABLES: dict[str, str] = {
    "followed": "Copies followed: recoded, withdrawn, or left as a person edited them (F8)",
    "conflicts": "Conflicts",
    "mismatches": "Mismatches",
    "unscheduled": "Unscheduled records",
    "ignored": "Ignored records",
    "disagreements": "Disagreements (Attendance Reconciliation)",
    "possible_false_absences": "Possible false absences (D7)",
    "source_changes": "Source records changed during the run",
}
SOURCE_CHANGES_TABLE = "source_changes"
FOLLOWED_TABLE = "followed"
# The tables the compute task stages from the rules' result, by attribute name.
COMPUTED_DETAIL_TABLES = tuple(name for name in DETAIL_TABLES if name not in (SOURCE_CHANGES_TABLE, FOLLOWED_TABLE))


# The rule's note that ends an expectation's sentence (its GX description): " (P5)." or
# " (DQ1; a warning: the run goes on).".
_RULE_NOTE = re.compile(r"\s*\((?:P|DQ|C)\d[^()]*\)\.?$")


def without_rule_note(sentence: str) -> str:
    """An expectation's sentence without the rule note that ends it, for a place that shows the rule beside it.

    "Every school day in the range has a bell schedule (P5)." -> "Every school day in the range has a
    bell schedule." A sentence without such a note is returned as it is.
    """
    return _RULE_NOTE.sub(".", sentence) if sentence else sentence
