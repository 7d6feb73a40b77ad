"""The run-log query README shows answers "which runs touched school 100 in March" on a real run log."""

from __future__ import annotations

import re

import pytest
from psycopg import sql

from tests.support.sync_sandbox import ROOT, run_sync

pytestmark = pytest.mark.integration


def readme_query() -> str:
    """The SQL block of README's "Querying the run log" section."""
    text = (ROOT / "README.md").read_text()
    found = re.search(r"```sql\n(-- run log:.*?)```", text, re.DOTALL)
    assert found, "README has no run-log query"
    return found[1]


def test_the_readme_query_finds_the_run_that_touched_school_100_in_march_and_not_others(sandbox, sync_dag) -> None:
    state, march = run_sync(sync_dag, school_number=100, year=35, start_date="2026-03-02", end_date="2026-03-27")
    assert state == "success", march["message"]
    state, autumn = run_sync(sync_dag, school_number=100, year=35, start_date="2025-09-01", end_date="2025-10-31")
    assert state == "success", autumn["message"]
    state, other_school = run_sync(sync_dag, school_number=200, year=35, dry_run=True)
    assert state == "success", other_school["message"]

    query = readme_query().replace("attendance_bridge.run_log", "{pipeline}.run_log").rstrip().rstrip(";")
    cursor = sandbox.conn.execute(sql.SQL(query).format(pipeline=sql.Identifier(sandbox.pipeline_schema)))
    names = [column.name for column in cursor.description]
    rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    assert [row["run_id"] for row in rows] == [march["run_id"]]
    assert rows[0]["status"] == "succeeded"
    assert rows[0]["inserted"] == march["counts"]["inserted"] > 0
    assert rows[0]["skipped_existing"] == march["counts"]["skipped_existing"]
