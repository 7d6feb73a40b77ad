"""bin/airflow runs the project's Airflow from a fresh checkout: local home, no examples."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def airflow(*args: str) -> subprocess.CompletedProcess[str]:
    """Run bin/airflow with these arguments, unchanged."""
    return subprocess.run(
        [str(ROOT / "bin" / "airflow"), *args], capture_output=True, text=True, timeout=300, check=False
    )


def test_dags_list_runs_with_the_project_folders_and_no_examples() -> None:
    listed = airflow("dags", "list", "--output", "json")
    assert listed.returncode == 0, listed.stderr
    assert "example_" not in listed.stdout
    assert (ROOT / ".airflow" / "airflow.db").exists()


def test_arguments_pass_through_unchanged() -> None:
    folders = airflow("config", "get-value", "core", "dags_folder")
    assert folders.returncode == 0, folders.stderr
    assert folders.stdout.strip() == str(ROOT / "dags")
    failed = airflow("no-such-command")
    assert failed.returncode != 0
