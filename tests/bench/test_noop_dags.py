"""The benchmarks' floors (issue 21) have the real DAGs' shape, and their tasks log what the benchmarks read."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from airflow.dag_processing.dagbag import DagBag
from attendance_bridge.process_clock import PEAK_PATTERN, STARTED_PATTERN

ROOT = Path(__file__).resolve().parents[2]
NOOP_FILE = ROOT / "bench" / "dags" / "attendance_bridge_noop.py"


def graph(dag) -> dict[str, tuple[frozenset[str], str]]:
    """Each task's upstream tasks and trigger rule, by task id."""
    return {task.task_id: (frozenset(task.upstream_task_ids), str(task.trigger_rule)) for task in dag.tasks}


@pytest.fixture(scope="module")
def bags() -> tuple[DagBag, DagBag]:
    real = DagBag(dag_folder=str(ROOT / "dags"))
    noop = DagBag(dag_folder=str(NOOP_FILE))
    assert not real.import_errors and not noop.import_errors
    return real, noop


@pytest.mark.parametrize(
    ("real_id", "noop_id"),
    [
        ("attendance_bridge_sync", "attendance_bridge_noop_sync"),
        ("attendance_bridge_end_of_term", "attendance_bridge_noop_end_of_term"),
    ],
)
def test_a_noop_dag_has_the_real_dags_tasks_edges_and_trigger_rules(bags, real_id: str, noop_id: str) -> None:
    real, noop = bags
    real_graph, noop_graph = graph(real.dags[real_id]), graph(noop.dags[noop_id])
    assert len(real_graph) >= 8
    assert noop_graph == real_graph


def test_a_noop_task_logs_its_start_and_peak_memory_as_a_real_task_does(caplog: pytest.LogCaptureFixture) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("attendance_bridge_noop_under_test", NOOP_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with caplog.at_level(logging.INFO):
        assert module.work("load_missing_records") == {"task": "load_missing_records"}
    started = STARTED_PATTERN.search(caplog.text)
    peak = PEAK_PATTERN.search(caplog.text)
    assert started and float(started["seconds"]) >= 0
    assert peak and int(peak["mb"]) > 0
