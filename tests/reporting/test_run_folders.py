"""A run's files are its own (issue 29): its report, staging and district summary folders are one per (DAG id, run
id), reports written by earlier versions are found only when they name exactly the run asked for, and a staged
file says which run staged it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from airflow.sdk import ObjectStoragePath
from attendance_bridge.catalog import END_OF_TERM_DAG_ID, ROLLBACK_DAG_ID, SYNC_DAG_ID
from attendance_bridge.config import REPORTS_BASE_ENV, STAGING_BASE_ENV
from attendance_bridge.reporting import publish
from attendance_bridge.reporting.run_folders import (
    district_summary_folder,
    existing_report_folder,
    is_inside,
    legacy_folder_name,
    read_frame,
    report_file,
    report_folder,
    run_page_of,
    sibling_run_folder,
    staged_by_of,
    staging_folder,
    write_frame,
)

from tests.reporting.test_pages import sync_report

# Ids that versions before issue 29 put in one folder (x_1), and the run id "." and ".." that named no folder.
LOOKALIKES = ("x:1", "x+1", "x_1", "x~1", "x=1")


@pytest.fixture
def bases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(REPORTS_BASE_ENV, f"file://{tmp_path / 'reports'}")
    monkeypatch.setenv(STAGING_BASE_ENV, f"file://{tmp_path / 'staging'}")
    return tmp_path


def test_runs_whose_ids_differ_only_in_one_character_get_folders_of_their_own(bases: Path) -> None:
    reports = {run_id: report_folder(100, SYNC_DAG_ID, run_id) for run_id in LOOKALIKES}
    staging = {run_id: staging_folder(SYNC_DAG_ID, run_id) for run_id in LOOKALIKES}
    summaries = {run_id: district_summary_folder(END_OF_TERM_DAG_ID, run_id) for run_id in LOOKALIKES}
    for folders in (reports, staging, summaries):
        assert len({str(folder) for folder in folders.values()}) == len(LOOKALIKES)
        assert all(Path(folder.path).is_dir() for folder in folders.values())
    assert reports["x:1"].name == "attendance_bridge_sync~x=3A1"
    # The same run id in two DAGs: two folders (a sync and a rollback, or a chosen sync id and an end-of-term school).
    assert report_folder(100, SYNC_DAG_ID, "x:1") != report_folder(100, ROLLBACK_DAG_ID, "x:1")
    assert staging_folder(SYNC_DAG_ID, "x:1") != staging_folder(END_OF_TERM_DAG_ID, "x:1")
    # The depth of the layout is kept: the index's globs and the pages' relative links still hold.
    assert reports["x:1"].parent.parent == ObjectStoragePath(f"file://{bases / 'reports'}")
    assert report_file(100, SYNC_DAG_ID, "x:1") == reports["x:1"] / "report.json"


def test_no_run_id_names_a_dot_folder_or_leaves_its_base(bases: Path) -> None:
    for run_id in (".", "..", ".hidden", "../../etc"):
        folder = report_folder(100, SYNC_DAG_ID, run_id)
        assert folder.parent == ObjectStoragePath(f"file://{bases / 'reports' / 'school_100'}")
        assert not folder.name.startswith(".")
        assert staging_folder(SYNC_DAG_ID, run_id).parent.name == SYNC_DAG_ID


def write_report_json(folder: ObjectStoragePath, dag_id: str, run_id: str, page: str = "report.html") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / ("summary.json" if page == "summary.html" else "report.json")).write_text(
        json.dumps({"dag_id": dag_id, "run_id": run_id, "school_number": 100})
    )
    (folder / page).write_text(f"<p>{run_id}</p>")


def test_the_report_tab_finds_a_run_s_page_and_an_earlier_version_s_only_when_it_is_that_run_s(bases: Path) -> None:
    base = ObjectStoragePath(f"file://{bases / 'reports'}")
    write_report_json(report_folder(100, SYNC_DAG_ID, "x:1"), SYNC_DAG_ID, "x:1")
    # Written before issue 29: "x+1" and "x_1" shared the folder x_1, which holds x+1's report.
    write_report_json(base / "school_200" / "x_1", SYNC_DAG_ID, "x+1")

    found = run_page_of(base, SYNC_DAG_ID, "x:1", district=False)
    assert found == "school_100/attendance_bridge_sync~x=3A1/report.html"
    assert run_page_of(base, SYNC_DAG_ID, "x+1", district=False) == "school_200/x_1/report.html"
    # x_1's report is not x_1's: the tab says there is none rather than show another run's.
    assert run_page_of(base, SYNC_DAG_ID, "x_1", district=False) is None
    assert run_page_of(base, ROLLBACK_DAG_ID, "x+1", district=False) is None
    assert run_page_of(base, SYNC_DAG_ID, ".", district=False) is None

    write_report_json(district_summary_folder(END_OF_TERM_DAG_ID, "s:1"), END_OF_TERM_DAG_ID, "s:1", "summary.html")
    write_report_json(base / "district" / "s_2", END_OF_TERM_DAG_ID, "s+2", "summary.html")
    found = run_page_of(base, END_OF_TERM_DAG_ID, "s:1", district=True)
    assert found == "district/attendance_bridge_end_of_term~s=3A1/summary.html"
    assert run_page_of(base, END_OF_TERM_DAG_ID, "s+2", district=True) == "district/s_2/summary.html"
    assert run_page_of(base, END_OF_TERM_DAG_ID, "s_2", district=True) is None


def test_a_report_folder_of_an_earlier_version_is_used_only_when_its_report_is_that_run_s(bases: Path) -> None:
    base = ObjectStoragePath(f"file://{bases / 'reports'}")
    legacy = base / "school_100" / legacy_folder_name("x+1")
    write_report_json(legacy, SYNC_DAG_ID, "x+1")
    assert existing_report_folder(100, SYNC_DAG_ID, "x+1") == legacy
    assert existing_report_folder(100, SYNC_DAG_ID, "x:1") is None  # the same old name, another run
    assert existing_report_folder(200, SYNC_DAG_ID, "x+1") is None  # another school's folder
    rollback = report_folder(100, ROLLBACK_DAG_ID, "r:1")
    assert sibling_run_folder(rollback, SYNC_DAG_ID, "x+1") == legacy
    assert sibling_run_folder(rollback, SYNC_DAG_ID, "x:1") is None
    # Once the run has a folder named the new way, that one is the run's.
    write_report_json(report_folder(100, SYNC_DAG_ID, "x+1"), SYNC_DAG_ID, "x+1")
    assert existing_report_folder(100, SYNC_DAG_ID, "x+1") == report_folder(100, SYNC_DAG_ID, "x+1")
    assert legacy_folder_name(".") == "." and sibling_run_folder(rollback, SYNC_DAG_ID, ".") is None


def rollback_report(sync: dict, run_id: str = "manual__2026-03-05T09:00:00+00:00", **more: object) -> dict:
    return {
        "dag_id": ROLLBACK_DAG_ID, "run_id": run_id, "status": "succeeded", "outcome": "rolled_back",
        "message": "rolled back", "school_number": 100, "sync_run_id": sync["run_id"], "sync_dag_id": sync["dag_id"],
        "deleted": {"attendance": 7, "attendance_time": 7}, "rolled_back_at": "2026-03-05T09:00:03+00:00",
        "rolled_back_by": "jane", "rollback_run_id": run_id, "timings": {}, "written_at": "2026-03-05T09:00:04+00:00",
        **more,
    }  # fmt: skip


def written(base: Path, school: int, report: dict, name: str | None = None) -> ObjectStoragePath:
    folder = ObjectStoragePath(f"file://{base}") / f"school_{school}" / (name or "")
    folder = folder if name else report_folder(school, report["dag_id"], report["run_id"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report))
    return folder


def test_a_rollback_marks_the_run_of_its_own_dag_not_another_dag_s_run_with_the_same_id(bases: Path) -> None:
    run_id = "scheduled__2026-06-05T02:00:00+00:00__school_100"
    mine = sync_report(run_id, dag_id=SYNC_DAG_ID)
    other = sync_report(run_id, dag_id=END_OF_TERM_DAG_ID)
    mine_folder, other_folder = written(bases / "reports", 100, mine), written(bases / "reports", 100, other)
    rollback_folder = written(bases / "reports", 100, rollback_report(mine))
    publish.publish_rollback(rollback_folder)
    publish.render_run_page(other_folder)

    assert 'id="rolled-back"' in Path((mine_folder / "report.html").path).read_text()
    assert 'id="rolled-back"' not in Path((other_folder / "report.html").path).read_text()
    rollback_page = Path((rollback_folder / "report.html").path).read_text()
    assert f'href="../{mine_folder.name}/report.html"' in rollback_page
    index = Path((ObjectStoragePath(f"file://{bases / 'reports'}") / "index.html").path).read_text()
    assert index.count('data-status="rolled back"') == 1


def test_a_rollback_of_a_run_reported_before_issue_29_links_to_its_folder_of_then(bases: Path) -> None:
    sync = sync_report("manual__2026-03-02T10:00:00+00:00")
    legacy = written(bases / "reports", 100, sync, legacy_folder_name(sync["run_id"]))
    rollback_folder = written(bases / "reports", 100, rollback_report(sync))
    publish.publish_rollback(rollback_folder)
    assert f'href="../{legacy.name}/report.html"' in Path((rollback_folder / "report.html").path).read_text()
    sync_page = Path((legacy / "report.html").path).read_text()
    assert 'id="rolled-back"' in sync_page and f'href="../{rollback_folder.name}/report.html"' in sync_page


def test_a_staged_file_says_which_run_staged_it_and_keeps_its_frame(bases: Path) -> None:
    folder = staging_folder(SYNC_DAG_ID, "x:1")
    frame = pd.DataFrame({"schoolid": [100, 100], "att_date": pd.to_datetime(["2026-01-05", "2026-01-06"])})
    stamp = {"dag_id": SYNC_DAG_ID, "run_id": "x:1", "school_number": 100}
    stamped, plain = write_frame(frame, folder / "a.parquet", stamp), write_frame(frame, folder / "b.parquet")
    assert staged_by_of(stamped) == stamp and staged_by_of(plain) is None
    pd.testing.assert_frame_equal(read_frame(stamped), read_frame(plain))


def test_a_file_is_inside_a_run_s_staging_folder_only_below_it(bases: Path) -> None:
    own, other = staging_folder(SYNC_DAG_ID, "x"), staging_folder(SYNC_DAG_ID, "x2")
    assert is_inside(str(own / "compute" / "records.parquet"), own)
    assert not is_inside(str(other / "compute" / "records.parquet"), own)  # "x2" starts with "x"
    assert not is_inside(str(own / ".." / "x2" / "compute" / "records.parquet"), own)
    assert not is_inside(str(own), own)
    assert not is_inside(f"memory://{own.path}/compute/records.parquet", own)
