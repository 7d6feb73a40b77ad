"""What each task of a sync hands to the next, typed, with its plain form (what Airflow keeps in XCom).

Each result is a frozen dataclass: the task returns ``result.to_xcom()`` (JSON values only: paths,
counts, ids; frames travel as Parquet files named by their paths) and the tasks after it read it
back with ``from_xcom``. ``SyncResults`` holds what the tasks of one run returned, by task id
(``catalog.SYNC_TASKS``), for the report; a task that did not finish has none.
The first task's result is ``domain.request.RunScope``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Self

from attendance_bridge.domain.request import RunScope


class TaskResult:
    """A task's result and its XCom form. Every field has a default, so a value read back from an
    older or partial XCom (a test's hand-made one, say) still reads: the report task must always
    be able to write its report."""

    def to_xcom(self) -> dict[str, Any]:
        return asdict(self)  # type: ignore[call-overload]

    @classmethod
    def from_xcom(cls, value: Mapping[str, Any]) -> Self:
        """The result from its XCom form (keys it does not know are not part of it)."""
        return cls(**{item.name: value[item.name] for item in fields(cls) if item.name in value})  # type: ignore[arg-type]


@dataclass(frozen=True)
class Extracted(TaskResult):
    """The school's tables of the range, staged: {table: Parquet path} and {table: rows}."""

    paths: dict[str, str] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None


@dataclass(frozen=True)
class PreconditionsChecked(TaskResult):
    """P3-P6 passed: the direction (``auto`` resolved, P3), each check's outcome and where the results are."""

    direction: str | None = None
    auto_direction: str | None = None
    checks: list[dict[str, Any]] = field(default_factory=list)
    results_path: str | None = None
    data_docs_path: str | None = None
    seconds: float | None = None


@dataclass(frozen=True)
class Computed(TaskResult):
    """The records to insert, their sources and the detail tables, staged ({name: path}), and the counts."""

    paths: dict[str, str] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float | None = None


@dataclass(frozen=True)
class CandidatesChecked(TaskResult):
    """C1-C4 passed for these many records: each check's outcome and where the results are."""

    checks: list[dict[str, Any]] = field(default_factory=list)
    results_path: str | None = None
    data_docs_path: str | None = None
    records: int = 0
    seconds: float | None = None


@dataclass(frozen=True)
class BackedUp(TaskResult):
    """The verified backup's manifest (X6), as plain values."""

    backup: dict[str, Any] = field(default_factory=dict)
    seconds: float | None = None


@dataclass(frozen=True)
class Loaded(TaskResult):
    """What the load did (its counts, as plain values) and the detail table it staged, if any."""

    load: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)
    seconds: float | None = None


# Each task's result type, by task id (the report task's own result is not handed on).
RESULT_TYPES: dict[str, type[TaskResult]] = {
    "extract_school_tables": Extracted,
    "validate_preconditions": PreconditionsChecked,
    "compute_missing_records": Computed,
    "validate_candidates": CandidatesChecked,
    "back_up_school_records": BackedUp,
    "load_missing_records": Loaded,
}


@dataclass(frozen=True)
class SyncResults:
    """What the tasks of one sync run returned (None: the task did not finish, or was skipped on a dry run)."""

    scope: RunScope | None = None
    extracted: Extracted | None = None
    preconditions: PreconditionsChecked | None = None
    computed: Computed | None = None
    candidates: CandidatesChecked | None = None
    backup: BackedUp | None = None
    loaded: Loaded | None = None
    # Each task's seconds, by task id.
    seconds: dict[str, float | None] = field(default_factory=dict)

    @classmethod
    def from_xcom(cls, upstream: Mapping[str, Mapping[str, Any] | None]) -> SyncResults:
        """From {task id: its XCom value}, as the report task pulls them."""
        checked = upstream.get("check_parameters")
        typed = {
            task_id: kind.from_xcom(value) for task_id, kind in RESULT_TYPES.items() if (value := upstream.get(task_id))
        }
        return cls(
            scope=_scope(checked),
            extracted=typed.get("extract_school_tables"),  # type: ignore[arg-type]
            preconditions=typed.get("validate_preconditions"),  # type: ignore[arg-type]
            computed=typed.get("compute_missing_records"),  # type: ignore[arg-type]
            candidates=typed.get("validate_candidates"),  # type: ignore[arg-type]
            backup=typed.get("back_up_school_records"),  # type: ignore[arg-type]
            loaded=typed.get("load_missing_records"),  # type: ignore[arg-type]
            seconds={task_id: (value or {}).get("seconds") for task_id, value in upstream.items()},
        )


def _scope(checked: Mapping[str, Any] | None) -> RunScope | None:
    """The run's scope, or None when check_parameters did not finish (or left a value it cannot be read from)."""
    try:
        return RunScope.from_xcom(checked) if checked else None
    except (KeyError, TypeError, ValueError):
        return None
