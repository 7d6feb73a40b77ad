"""The project's exceptions (the rollback's refusal, which carries its problems, is ``domain.rollback_plan``'s).

A ``Refusal`` is a verdict that retrying cannot change: its message is written for a person (the
rule, the school and the object, in words a school administrator understands), and the task that
raises it fails at once, without retries (``tasks.runtime.guarded_phase``). ``DatabaseUnreachable``
is the opposite: transient, so Airflow retries.
"""

from __future__ import annotations

import os
from typing import Any


class Refusal(Exception):
    """A phase's verdict that retrying cannot change; the task fails without retries."""


class PreconditionFailed(Refusal, ValueError):
    """A SPEC rule does not hold, so the bridge refuses to build anything."""

    def __init__(self, rule: str, school_number: int | None, detail: str) -> None:
        self.rule = rule
        self.school_number = school_number
        self.detail = detail
        where = f"school {school_number}" if school_number is not None else "this run"
        super().__init__(f"{rule} failed for {where}: {detail}")


class DatabaseUnreachable(Exception):
    """The SIS database did not accept a connection; transient (the server may be restarting)."""

    def __init__(self, database: str, reason: str) -> None:
        self.database = database  # "the SIS database sis at host:port"
        self.reason = reason
        super().__init__(f"{database} could not be reached ({reason})")


class BackupNotVerified(Refusal, ValueError):
    """X6 does not hold: the run's backup is missing, unverified or does not match what it covers."""

    def __init__(self, school_number: int | None, run_id: str, detail: str) -> None:
        self.school_number = school_number
        self.run_id = run_id
        self.detail = detail
        where = f"school {school_number}" if school_number is not None else "the school"
        super().__init__(f"X6 failed for {where}, run {run_id}: {detail}; nothing was loaded")


class InvalidParameter(Refusal, ValueError):
    """A run parameter that is missing, of the wrong type or out of its range."""

    def __init__(self, name: str, detail: str) -> None:
        self.name = name
        super().__init__(f"Run parameter {name!r}: {detail}")


class LoadRefused(Refusal, ValueError):
    """X4: the load cannot land the run's records as a whole; nothing was loaded."""

    def __init__(self, school_number: int, detail: str) -> None:
        self.school_number = school_number
        self.detail = detail
        super().__init__(f"X4 failed for school {school_number}: {detail}; nothing was loaded")


class StagedByAnotherRun(Refusal, ValueError):
    """X7: the records a load was handed are not the ones its own run staged for its school; nothing was loaded."""

    def __init__(self, school_number: int, detail: str) -> None:
        self.school_number = school_number
        self.detail = detail
        super().__init__(f"X7 failed for school {school_number}: {detail}; nothing was loaded")


class SisTablesUnusable(Refusal, ValueError):
    """The SIS schema, one of its tables or a column of the tables the load adds to is not as the bridge needs it
    (``db.sis_tables.check_sis_tables`` says which, and what to do); nothing was read or changed."""


class RunRolledBack(Refusal, ValueError):
    """A run started again under the id of a run that was rolled back: its run log row keeps what it did."""

    def __init__(self, dag_id: str, run_id: str) -> None:
        super().__init__(
            f"X7: run {run_id} of {dag_id} was rolled back (its records were deleted, and its run log row says what "
            "it did and who undid it), so it is not run again under its id; trigger a new run instead. Nothing was "
            "changed"
        )


class UnservableRunId(Refusal, ValueError):
    """A run id the project cannot serve (``domain.run_names.unservable_run_id`` says why, and what to do)."""


class SuiteLoadError(ValueError):
    """An expectation suite file that Great Expectations did not load (or store) in full."""


class MigrationChanged(RuntimeError):
    """An applied migration's file was edited afterwards: the schema no longer matches the code."""


class MigrationNeedsOwner(Refusal, RuntimeError):
    """The pipeline schema lacks migrations that only its owner may apply (the pipeline's login is not it)."""


class FinishRefused(Refusal):
    """The run cannot be finished this way: unknown, of another school, ambiguous."""

    def __init__(self, school_number: int, run_id: str, reason: str) -> None:
        super().__init__(f"Run {run_id} of school {school_number} was not finished: {reason}; nothing was changed")


class FolderUnavailable(Refusal):
    """A run folder could not be made under its base: the message names the folder, the base's setting and why.

    A refusal: the task fails at once with this message (retries would not make the folder writable).
    """

    def __init__(self, what: str, folder: Any, setting: str, exc: BaseException) -> None:
        self.folder = str(folder)
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc) or type(exc).__name__
        super().__init__(
            f"the {what} {self.folder} could not be created ({type(exc).__name__}: {reason}); "
            f"check {setting} ({os.environ.get(setting) or 'not set: the default'}) and that the folder can be written"
        )
