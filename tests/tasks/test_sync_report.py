"""The sync's report task, without a database: what it does when a look-up for the page fails."""

from __future__ import annotations

from datetime import date

from airflow.sdk import ObjectStoragePath
from attendance_bridge.domain.request import RunScope
from attendance_bridge.reporting.run_folders import write_frame
from attendance_bridge.tasks import sync_report as report_task

from tests.reporting.test_pages import conflicts


def test_a_failed_student_number_lookup_is_a_warning_not_a_failed_run(tmp_path, caplog) -> None:
    from psycopg import errors

    staged = {"conflicts": write_frame(conflicts(), ObjectStoragePath(f"file://{tmp_path}") / "conflicts.parquet")}
    upstream = {"compute_missing_records": {"paths": staged}}
    checked = RunScope(
        school_number=100, yearid=35, start_date=date(2025, 8, 18), end_date=date(2026, 6, 5),
        requested_direction="auto", absent_periods="all_periods", dry_run=False, sis_schema="public",
        pipeline_schema="attendance_bridge",
    ).to_xcom()  # fmt: skip
    executed: list[tuple] = []

    class Cursor:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def execute(self, statement, params):
            executed.append((statement, params))
            raise errors.InsufficientPrivilege("permission denied for table students")

    class Conn:
        def cursor(self):
            return Cursor()

    with caplog.at_level("WARNING", logger="attendance_bridge.tasks.sync_report"):
        assert report_task._student_numbers(Conn(), checked, upstream) is None
    assert executed[0][1] == {"student_ids": [1000110, 1000209]}  # one bound query, the ids as an array
    assert "student numbers could not be read" in caplog.text and "permission denied" in caplog.text
    assert report_task._student_numbers(Conn(), {}, upstream) is None  # refused before its parameters were checked
    assert report_task._student_numbers(Conn(), checked, {}) is None  # stopped before the compute phase
