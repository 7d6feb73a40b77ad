"""The one exception a refusal raises: it names the rule, the school and the object."""

from __future__ import annotations


class PreconditionFailed(ValueError):
    """A SPEC rule does not hold, so the bridge refuses to build anything."""

    def __init__(self, rule: str, school_number: int | None, detail: str) -> None:
        self.rule = rule
        self.school_number = school_number
        self.detail = detail
        where = f"school {school_number}" if school_number is not None else "this run"
        super().__init__(f"{rule} failed for {where}: {detail}")
