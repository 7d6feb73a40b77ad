"""The sync's report task, without a database: what it does when a look-up for the page fails."""

from __future__ import annotations

import json
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


def test_the_copies_a_run_followed_are_listed_with_their_periods_and_summed_up_by_reason(tmp_path) -> None:
    """F8: the compute task's staged judgement becomes the report's list (followed.csv and its table on the page,
    the periods named from the extract's period table) and report.json's copies per reason; a run that did not
    follow has neither."""
    from tests.reporting.test_followed_copies import FOLLOW_CODES, NUMBERS, PERIODS, followed
    from tests.reporting.test_pages import _folder, sync_report

    staging = ObjectStoragePath(f"file://{tmp_path}") / "staging"
    staging.mkdir(parents=True)
    upstream = {
        "extract_school_tables": {"paths": {"period": write_frame(PERIODS, staging / "period.parquet")}},
        "compute_missing_records": {
            "paths": {
                "followed": write_frame(followed(), staging / "followed.parquet"),
                "conflicts": write_frame(conflicts(), staging / "conflicts.parquet"),
            }
        },
    }
    assert set(report_task._staged_details(upstream)) == {"followed", "conflicts"}
    by_reason = report_task._followed_by_reason(upstream)
    assert [(row["reason"], row["copies"]) for row in by_reason] == [
        ("changed by a person", 1), ("source deleted", 1), ("code changed", 1),
    ]  # fmt: skip
    report = sync_report(followed_by_reason=by_reason)
    folder = ObjectStoragePath(f"file://{tmp_path}") / "reports" / "school_100" / _folder(report)
    folder.mkdir(parents=True)
    (folder / "report.json").write_text(json.dumps(report))

    page = report_task._publish_pages(folder, upstream, FOLLOW_CODES, NUMBERS)

    csv_text = (folder / "followed.csv").read_text()
    assert csv_text.splitlines()[0].startswith("studentid,student_number,att_date,period,att_mode_code,")
    assert ",Period 1,ATT_ModeMeeting," in csv_text and "source_md5" not in csv_text
    html = page.read_text()
    assert 'id="followed"' in html and 'id="conflicts"' in html and "<td>Period 1</td>" in html
    assert 'data-reason="code changed"' in html

    without = {
        "compute_missing_records": {"paths": {"conflicts": upstream["compute_missing_records"]["paths"]["conflicts"]}}
    }
    assert report_task._followed_by_reason(without) is None and "followed" not in report_task._staged_details(without)
