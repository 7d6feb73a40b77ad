"""make bench-large's verdicts (issue 29), from a run's output as bin/airflow dags test prints it."""

from __future__ import annotations

from bench.large_school import bounds, parsed_run

# The lines the benchmark reads, as a run of the code before issue 29 printed them (timestamps kept).
SLOW_REPORT = """\
2026-12-07T17:41:28.756826Z [info     ] load_missing_records: done in 2.39 s, peak memory 668 MB [attendance_bridge.tasks.runtime] loc=runtime.py:101
2026-12-07T17:50:04.899358Z [info     ] write_report: done in 515.44 s, peak memory 668 MB [attendance_bridge.tasks.runtime] loc=runtime.py:101
2026-12-07T17:50:05.014290Z [info     ] DagRun Finished: dag_id=attendance_bridge_sync, run_duration=558.543426, state=success, run_type=manual
"""


def test_write_report_is_timed_from_the_loads_end_to_its_own() -> None:
    run = parsed_run(SLOW_REPORT, wall=570.04, exit_code=0)

    assert (run["load_seconds"], run["write_report_seconds"]) == (2.39, 515.44)
    assert run["report_done_after_load_seconds"] == 516.1
    assert (run["run_duration_seconds"], run["dag_run_state"], run["wall_seconds"]) == (558.5, "success", 570.0)


def test_a_slow_report_misses_both_time_bounds_and_a_run_log_left_running_the_third() -> None:
    slow = parsed_run(SLOW_REPORT, wall=570.0, exit_code=0) | {"run_log_status": "succeeded"}
    assert [verdict["met"] for verdict in bounds(slow)] == [False, False, True]

    killed = parsed_run(SLOW_REPORT.splitlines()[0], wall=900.0, exit_code=None) | {"run_log_status": "running"}
    assert killed["timed_out"] and killed["report_done_after_load_seconds"] is None
    assert [verdict["met"] for verdict in bounds(killed)] == [False, False, False]

    quick = parsed_run(SLOW_REPORT.replace("17:50:04.899358Z", "17:41:31.0Z"), wall=60.0, exit_code=0)
    assert [verdict["met"] for verdict in bounds(quick | {"run_log_status": "succeeded"})] == [True, True, True]
