"""DAG integrity: every DAG file imports cleanly, parsing is free, and the sync and rollback DAGs are wired as documented."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from attendance_bridge.catalog import ROLLBACK_TASK_IDS, SYNC_TASK_IDS
from attendance_bridge.config import ABSENT_PERIODS_OPTIONS
from attendance_bridge.domain.request import PARAMETER_NAMES, parse_run_parameters
from attendance_bridge.domain.rollback_plan import PARAMETER_NAMES as ROLLBACK_PARAMETER_NAMES

ROOT = Path(__file__).resolve().parents[2]
DAG_FILES = sorted((ROOT / "dags").glob("*.py"))

# Parse the DAG folder in a fresh interpreter where opening a network or database connection
# raises, then report what the parse imported. A fresh process, because this test session has
# long since imported pandas and psycopg itself.
PARSE_SCRIPT = """
import json, socket, sys
def refuse(*args, **kwargs):
    raise AssertionError("a DAG file opened a connection while being parsed")
socket.socket.connect = refuse
socket.create_connection = refuse
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
heavy = sorted(name for name in ("pandas", "psycopg", "great_expectations", "pyarrow", "attendance_bridge.domain.rules",
                                 "attendance_bridge.tasks", "attendance_bridge.db", "attendance_bridge.checks",
                                 "attendance_bridge.reporting", "attendance_bridge.dev")
               if name in sys.modules)
print(json.dumps({"dag_ids": sorted(bag.dag_ids), "errors": {k: str(v) for k, v in bag.import_errors.items()},
                  "heavy": heavy}))
"""


# Load Airflow's plugins in a fresh interpreter, as every Airflow process (each task included) does at
# its start, and report which of the library's modules that imported (STYLE 16).
PLUGINS_SCRIPT = """
import json, sys
from airflow import plugins_manager
plugins_manager.ensure_plugins_loaded()
library = sorted(name for name in sys.modules
                 if name.split(".")[0] in ("attendance_bridge", "wiring", "catalog", "config", "errors", "domain", "checks",
                                           "db", "reporting", "tasks", "dev", "sync", "rules", "load"))
print(json.dumps({"library": library, "pandas": "pandas" in sys.modules}))
"""


def test_airflow_s_plugin_loader_leaves_the_library_alone() -> None:
    import os

    environment = {**os.environ, "AIRFLOW__CORE__PLUGINS_FOLDER": str(ROOT / "plugins")}
    environment.pop("PYTHONPATH", None)  # only what the loader itself imports counts
    finished = subprocess.run(
        [sys.executable, "-c", PLUGINS_SCRIPT], capture_output=True, text=True, timeout=300, check=False,
        env=environment,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    loaded = json.loads(finished.stdout.strip().splitlines()[-1])
    assert loaded == {"library": [], "pandas": False}


@pytest.fixture(scope="module")
def parsed() -> dict:
    """The DAG folder parsed in a fresh interpreter (see PARSE_SCRIPT)."""
    finished = subprocess.run(
        [sys.executable, "-c", PARSE_SCRIPT, str(ROOT / "dags")],
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr[-3000:]
    return json.loads(finished.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def sync_dag():
    """The sync DAG object, imported in this process."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_sync.py"))
    assert not bag.import_errors
    return bag.dags["attendance_bridge_sync"]


@pytest.fixture(scope="module")
def nightly_dag():
    """The nightly bridge DAG object, imported in this process."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_nightly.py"))
    assert not bag.import_errors
    return bag.dags["attendance_bridge_nightly"]


@pytest.fixture(scope="module")
def end_of_term_dag():
    """The end-of-term DAG object, imported in this process."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_end_of_term.py"))
    assert not bag.import_errors
    return bag.dags["attendance_bridge_end_of_term"]


@pytest.fixture(scope="module")
def rollback_dag():
    """The rollback DAG object, imported in this process."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_rollback.py"))
    assert not bag.import_errors
    return bag.dags["attendance_bridge_rollback"]


DAG_IDS = [
    "attendance_bridge_end_of_term",
    "attendance_bridge_finish_run",
    "attendance_bridge_nightly",
    "attendance_bridge_rollback",
    "attendance_bridge_sync",
]


def test_there_are_dag_files() -> None:
    assert [path.name for path in DAG_FILES] == [f"{dag_id}.py" for dag_id in DAG_IDS]


def test_every_dag_file_imports_without_error(parsed: dict) -> None:
    assert parsed["errors"] == {}
    assert parsed["dag_ids"] == DAG_IDS


def test_parsing_opens_no_connection_and_imports_nothing_heavy(parsed: dict) -> None:
    # STYLE habit 2: parsing is free. A connection attempt would have failed the parse above.
    assert parsed["heavy"] == []


def test_the_sync_dag_is_manual_tagged_and_documented(sync_dag) -> None:
    assert sync_dag.schedule is None or str(sync_dag.timetable.summary) == "None"
    assert {"attendance", "attendance-bridge"} <= set(sync_dag.tags)
    assert "Where to look afterwards" in sync_dag.doc_md


def test_tasks_retry_transient_errors_and_the_report_never_retries(sync_dag) -> None:
    for task in sync_dag.tasks:
        if task.task_id == "write_report":
            assert task.retries == 0
            assert task.trigger_rule == "all_done"
        else:
            assert task.retries >= 2, task.task_id
            assert task.retry_delay.total_seconds() > 0


# The sync's graph, as README and the DAG's doc_md describe it: each task and its upstream tasks. Both the sync
# DAG and each school's group of the end-of-term DAG run it (declared once, in wiring.sync_tasks).
SYNC_GRAPH = {
    "check_parameters": [],
    "extract_school_tables": ["check_parameters"],
    "validate_preconditions": ["check_parameters", "extract_school_tables"],
    "compute_missing_records": ["check_parameters", "extract_school_tables", "validate_preconditions"],
    "validate_candidates": [
        "check_parameters", "compute_missing_records", "extract_school_tables", "validate_preconditions",
    ],
    "back_up_school_records": ["check_parameters", "validate_preconditions"],
    "load_missing_records": [
        "back_up_school_records", "check_parameters", "compute_missing_records", "validate_candidates",
    ],
    # Every task: the report judges the run from all of them, so it starts only once each has ended (all_done).
    "write_report": [
        "back_up_school_records", "check_parameters", "compute_missing_records", "extract_school_tables",
        "load_missing_records", "validate_candidates", "validate_preconditions",
    ],
}  # fmt: skip


def test_the_task_graph_is_the_documented_one_the_backup_beside_compute_and_candidates(sync_dag) -> None:
    assert list(SYNC_GRAPH) == list(SYNC_TASK_IDS)
    assert sorted(sync_dag.task_ids) == sorted(SYNC_TASK_IDS)
    upstream = {task.task_id: sorted(task.upstream_task_ids) for task in sync_dag.tasks}
    assert upstream == SYNC_GRAPH


def test_the_report_waits_for_every_task_whatever_its_state_and_is_the_only_leaf(sync_dag) -> None:
    """Under a concurrent executor a dry run's skipped backup makes Airflow skip the load at once, while the
    candidates' checks still run: the report must not start behind the load alone (issue 29)."""
    report = sync_dag.get_task("write_report")
    assert report.trigger_rule == "all_done"
    assert report.upstream_task_ids == set(SYNC_TASK_IDS) - {"write_report"}
    # The DAG run's state is the state of its leaves: the report alone, which fails when the run did.
    assert [task.task_id for task in sync_dag.leaves] == ["write_report"]


def test_params_are_the_spec_parameters_with_titles_and_descriptions(sync_dag) -> None:
    params = sync_dag.params
    assert sorted(params.keys()) == sorted(PARAMETER_NAMES)
    for name in PARAMETER_NAMES:
        schema = params.get_param(name).schema
        assert schema.get("title") and params.get_param(name).description, name
    assert params.get_param("direction").schema["enum"] == ["auto", "meeting_to_daily", "daily_to_meeting"]
    assert params.get_param("absent_periods").schema["enum"] == list(ABSENT_PERIODS_OPTIONS)
    assert params.get_param("start_date").schema["format"] == "date"
    assert params.get_param("end_date").schema["format"] == "date"
    assert params.get_param("dry_run").value is False


def form_widget(schema: dict) -> str:
    """The field Airflow 3.3's trigger form draws for a Param's schema (the UI's FlexibleForm/FieldSelector.tsx,
    for the schemas of this DAG): several non-null types without enum or examples make a multi-line JSON box;
    otherwise the first non-null type decides, and a string without a format is one line of text."""
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    non_null = [kind for kind in types if kind != "null"]
    if len(non_null) > 1 and "enum" not in schema and "examples" not in schema:
        return "multi-line JSON box"
    if non_null[0] == "string" and "format" not in schema and "enum" not in schema:
        return "one-line text"
    return non_null[0]


def test_the_school_year_field_is_one_line_of_text_that_takes_35_or_2025_2026(sync_dag) -> None:
    """Issue 20, point 6 (SPEC section 3: a yearid or "2025-2026"): one line in the form, which sends text, and a
    CLI conf's number 35 still passes Airflow's check of the params."""
    year = sync_dag.params.get_param("year")
    assert form_widget(year.schema) == "one-line text"
    assert form_widget({"type": ["null", "integer", "string"]}) == "multi-line JSON box"  # the schema it replaces
    for given in ("35", "2025-2026", 35, None):
        assert year.resolve(given) == given
    assert year.value is None  # empty: the year of the logical date
    assert len(year.schema["examples"]) == 2 and all(
        parse_run_parameters({"school_number": 100, "year": proposal}).yearid for proposal in year.schema["examples"]
    )


# --------------------------------------------------------------------------- the rollback DAG


def test_the_rollback_dag_is_manual_tagged_documented_and_runs_one_at_a_time(rollback_dag) -> None:
    assert rollback_dag.schedule is None or str(rollback_dag.timetable.summary) == "None"
    assert {"attendance", "attendance-bridge", "rollback"} <= set(rollback_dag.tags)
    assert "Where to look afterwards" in rollback_dag.doc_md and "refuses" in rollback_dag.doc_md
    assert rollback_dag.max_active_runs == 1


def test_the_rollback_is_plan_then_delete_then_report(rollback_dag) -> None:
    assert sorted(rollback_dag.task_ids) == sorted(ROLLBACK_TASK_IDS)
    upstream = {task.task_id: sorted(task.upstream_task_ids) for task in rollback_dag.tasks}
    assert upstream == {
        "plan_rollback": [], "roll_back": ["plan_rollback"], "write_report": ["plan_rollback", "roll_back"],
    }  # fmt: skip
    for task in rollback_dag.tasks:
        if task.task_id == "write_report":
            assert (task.retries, task.trigger_rule) == (0, "all_done")
        else:
            assert task.retries >= 2, task.task_id


def test_rollback_params_are_typed_with_titles_and_descriptions(rollback_dag) -> None:
    params = rollback_dag.params
    assert sorted(params.keys()) == sorted(ROLLBACK_PARAMETER_NAMES)
    for name in ROLLBACK_PARAMETER_NAMES:
        assert params.get_param(name).schema.get("title") and params.get_param(name).description, name
    assert params.get_param("school_number").schema["type"] == "integer"
    assert params.get_param("run_id").schema["type"] == ["null", "string"]
    assert params.get_param("run_id").value is None
    assert params.get_param("dry_run").value is False


# --------------------------------------------------------------------------- the finish DAG


def test_the_finish_dag_is_manual_documented_one_task_with_required_typed_params() -> None:
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags" / "attendance_bridge_finish_run.py"))
    assert not bag.import_errors
    finish_dag = bag.dags["attendance_bridge_finish_run"]
    assert finish_dag.schedule is None or str(finish_dag.timetable.summary) == "None"
    assert finish_dag.task_ids == ["finish"] and finish_dag.max_active_runs == 1
    assert "load log" in finish_dag.doc_md and "bin/airflow dags test attendance_bridge_finish_run" in finish_dag.doc_md
    params = finish_dag.params
    assert sorted(params.keys()) == ["run_id", "school_number"]
    assert params.get_param("school_number").schema["type"] == "integer"
    assert params.get_param("run_id").schema["type"] == "string"
    for name in params:
        assert params.get_param(name).schema.get("title") and params.get_param(name).description, name


# --------------------------------------------------------------------------- the end-of-term DAG


def test_the_end_of_term_dag_runs_nightly_for_the_day_before_and_one_run_at_a_time(end_of_term_dag) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    # A data interval per day (not Airflow 3's zero-length cron default): a term ending that day is in it.
    assert isinstance(end_of_term_dag.timetable, CronDataIntervalTimetable)
    assert end_of_term_dag.timetable.expression == "0 2 * * *"
    assert end_of_term_dag.catchup is False and end_of_term_dag.max_active_runs == 1
    assert {"attendance", "attendance-bridge", "end-of-term"} <= set(end_of_term_dag.tags)
    assert "## Mode" in end_of_term_dag.doc_md and "district summary" in end_of_term_dag.doc_md


def test_the_end_of_term_mode_is_report_unless_the_district_chose_apply(end_of_term_dag) -> None:
    mode = end_of_term_dag.params.get_param("mode")
    assert list(end_of_term_dag.params.keys()) == ["mode", "absent_periods"]
    assert mode.value == "report" and mode.schema["enum"] == ["report", "apply"]
    assert mode.schema.get("title") and mode.description


def test_the_end_of_term_copies_absences_to_every_period_unless_asked_otherwise(end_of_term_dag) -> None:
    absent_periods = end_of_term_dag.params.get_param("absent_periods")
    assert absent_periods.value == "all_periods"  # the vendor's behaviour (D2); D7 warns in each report
    assert absent_periods.schema["enum"] == list(ABSENT_PERIODS_OPTIONS)
    assert absent_periods.schema.get("title") and absent_periods.description


# --------------------------------------------------------------------------- the nightly bridge


def test_the_nightly_bridge_runs_every_night_for_the_day_before_with_the_end_of_term_s_shape(
    nightly_dag, end_of_term_dag
) -> None:
    from airflow.sdk import CronDataIntervalTimetable

    assert isinstance(nightly_dag.timetable, CronDataIntervalTimetable)
    assert nightly_dag.timetable.expression == "0 2 * * *"
    assert nightly_dag.catchup is False and nightly_dag.max_active_runs == 1
    assert {"attendance", "attendance-bridge", "nightly"} <= set(nightly_dag.tags)
    assert "## Mode" in nightly_dag.doc_md and "two-way" in nightly_dag.doc_md
    # The same tasks as the end of term (one mapped school group of the sync's tasks, then the summary).
    graph = {task.task_id: (sorted(task.upstream_task_ids), str(task.trigger_rule)) for task in nightly_dag.tasks}
    assert graph == {
        task.task_id: (sorted(task.upstream_task_ids), str(task.trigger_rule)) for task in end_of_term_dag.tasks
    }


def test_the_nightly_mode_is_report_unless_the_district_chose_apply(
    nightly_dag, monkeypatch: pytest.MonkeyPatch
) -> None:
    from attendance_bridge import config

    mode = nightly_dag.params.get_param("mode")
    assert list(nightly_dag.params.keys()) == ["mode"]
    assert mode.value == "report" and mode.schema["enum"] == ["report", "apply"]
    assert mode.schema.get("title") and mode.description
    monkeypatch.setenv(config.NIGHTLY_MODE_ENV, " APPLY")
    assert config.nightly_mode() == "apply"
    monkeypatch.setenv(config.NIGHTLY_MODE_ENV, "on")
    with pytest.raises(ValueError, match="ATTENDANCE_BRIDGE_NIGHTLY_MODE must be one of report, apply"):
        config.nightly_mode()


def test_the_district_s_choices_are_read_from_the_environment_and_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    from attendance_bridge import config

    monkeypatch.setenv(config.END_OF_TERM_MODE_ENV, " Apply ")
    assert config.end_of_term_mode() == "apply"
    monkeypatch.setenv(config.END_OF_TERM_MODE_ENV, "yes")
    with pytest.raises(ValueError, match="ATTENDANCE_BRIDGE_END_OF_TERM_MODE must be one of report, apply"):
        config.end_of_term_mode()
    monkeypatch.setenv(config.TIMEZONE_ENV, "America/Chicago")
    assert config.district_timezone() == "America/Chicago"
    monkeypatch.setenv(config.TIMEZONE_ENV, "Central Time")
    with pytest.raises(ValueError, match="ATTENDANCE_BRIDGE_TIMEZONE must be an IANA timezone"):
        config.district_timezone()


def test_each_school_runs_the_sync_s_tasks_in_a_mapped_group_and_the_summary_waits_for_all(end_of_term_dag) -> None:
    group = "reconcile_school"
    upstream = {task.task_id: sorted(task.upstream_task_ids) for task in end_of_term_dag.tasks}
    prefixed = {f"{group}.{task_id}" for task_id in SYNC_TASK_IDS}
    assert set(upstream) == {"find_schools_to_reconcile", "write_district_summary"} | prefixed
    # The sync's own graph inside the group, every task also after the plan that maps it (its school argument).
    for task_id, before in SYNC_GRAPH.items():
        assert upstream[f"{group}.{task_id}"] == sorted(
            ["find_schools_to_reconcile", *(f"{group}.{b}" for b in before)]
        )
    assert upstream["write_district_summary"] == ["find_schools_to_reconcile", f"{group}.write_report"]
    for task in end_of_term_dag.tasks:
        if task.task_id in prefixed:
            assert task.map_index_template == "{{ school_label }}", task.task_id
        if task.task_id in ("write_district_summary", f"{group}.write_report"):
            assert (task.retries, task.trigger_rule) == (0, "all_done"), task.task_id
        else:
            assert task.retries >= 2, task.task_id
