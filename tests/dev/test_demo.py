"""``make demo``'s printout (issue 20, point 5): for each run its report page, both validation results and
their Data Docs, then the index of every run; a file the run did not leave is said to be missing."""

from __future__ import annotations

from pathlib import Path

from attendance_bridge.dev import demo

from tests.reporting.test_pages import sync_report


def run_folder(base: Path, run: str, *files: str) -> Path:
    """A run's report folder holding ``files`` (empty)."""
    folder = base / "reports" / "school_100" / run
    for name in files:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("{}")
    return folder


def demo_report(folder: Path, **validations: str | None) -> dict:
    return sync_report(report_path=f"file://{folder}/report.json", validation_results=validations)


def test_each_run_prints_its_page_both_validations_and_the_data_docs_then_the_index(capsys, tmp_path) -> None:
    first = run_folder(tmp_path, "first", "preconditions_validation.json", "candidates_validation.json",
                       "data_docs/index.html")  # fmt: skip
    rerun = run_folder(tmp_path, "rerun", "preconditions_validation.json", "candidates_validation.json",
                       "data_docs/index.html")  # fmt: skip
    reports = [
        demo_report(folder, preconditions=f"file://{folder}/preconditions_validation.json",
                    candidates=f"file://{folder}/candidates_validation.json")
        for folder in (first, rerun)
    ]  # fmt: skip
    demo.print_summary(100, reports, [("first run", 12.0, tmp_path / "a.log"), ("rerun", 9.0, tmp_path / "b.log")])
    printed = capsys.readouterr().out

    for folder in (first, rerun):
        assert f"report page:        {folder}/report.html" in printed
        assert f"validation results: {folder}/preconditions_validation.json (preconditions)" in printed
        assert f"{folder}/candidates_validation.json (records to add)" in printed
        assert f"Data Docs:          {folder}/data_docs/index.html (both validations as pages)" in printed
    assert printed.count(f"every run's report: {tmp_path}/reports/index.html") == 1
    assert printed.index(f"{rerun}/report.html") < printed.index("every run's report")


def test_a_run_that_left_no_candidates_validation_or_data_docs_says_so(capsys, tmp_path) -> None:
    folder = run_folder(tmp_path, "refused", "preconditions_validation.json")
    report = demo_report(folder, preconditions=f"file://{folder}/preconditions_validation.json", candidates=None)
    demo.print_summary(100, [report], [("first run", 3.0, tmp_path / "a.log")])
    printed = capsys.readouterr().out
    assert "records to add: none (the run did not get that far" in printed
    assert "both validations as pages: none" in printed and "data_docs/index.html" not in printed


def test_the_counts_of_the_copies_followed_print_in_the_column_of_the_others(capsys, tmp_path) -> None:
    """F8: recoded, withdrawn and left as a person edited them, by the rule they come from, their numbers right-aligned
    with every other count's however long the labels (0 on a fresh demo, where no copy exists yet)."""
    folder = run_folder(tmp_path, "first")
    counts = {"source_records_read": 9558, "inserted": 7, "recoded": 1_234, "withdrawn": 0, "edited_not_followed": 2}
    for direction in ("meeting_to_daily", "daily_to_meeting"):
        report = {**demo_report(folder), "counts": counts}
        report["resolved"] = {**report["resolved"], "direction": direction}
        demo.print_summary(100, [report], [("first run", 3.0, tmp_path / "a.log")])
        lines = capsys.readouterr().out.splitlines()

        first = next(at for at, line in enumerate(lines) if line.startswith("  first run:"))
        counted = lines[first + 1 : next(at for at, line in enumerate(lines) if "report page:" in line)]
        shown = {line.rsplit(maxsplit=1)[0].strip(): line.split()[-1] for line in counted if line.startswith("    F")}
        assert shown == {
            "F3 copies recoded: their source's code changed": "1,234",
            "F4 copies withdrawn: their source no longer implies them": "0",
            "F2 copies left as they are: a person edited them": "2",
        }
        assert len({len(line) for line in counted}) == 1, counted  # one column, however long a label
