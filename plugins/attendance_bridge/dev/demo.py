"""``make demo``: the ``attendance_bridge_sync`` DAG on the demo district, end to end.

It uses ``AIRFLOW_CONN_SIS_DB`` when set, otherwise an embedded PostgreSQL whose data lives in
``.demo/pgdata``. The demo district is generated into the schema on first use (never over
existing tables). Then it runs the DAG with ``bin/airflow dags test`` for one school in the
direction the school's current recording method implies, runs it again to show that the
rerun inserts nothing (X2), and prints what each run did and where its report page, its
validation results and their Data Docs are, then the index of every run.

``--print-connection`` only makes sure the embedded database is up (and holds the demo
district) and prints it as an Airflow connection: ``bin/airflow`` uses it for ``sis_db``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
from psycopg import sql

from attendance_bridge.catalog import COUNTS, SYNC_DAG_ID
from attendance_bridge.config import (
    PIPELINE_SCHEMA,
    PIPELINE_SCHEMA_ENV,
    PROJECT_ROOT,
    SIS_CONN_ENV,
    SIS_SCHEMA_ENV,
)
from attendance_bridge.db.sql import load_sql
from attendance_bridge.dev.demo_district import build_demo_district, existing_sis_tables
from attendance_bridge.dev.embedded_postgres import sis_connection
from attendance_bridge.reporting.run_folders import data_docs_url, index_url, run_page_url

log = logging.getLogger(__name__)

DEMO_SCHOOLS = (100, 200)
DEMO_YEARID = 35


def ensure_demo_district(conn: psycopg.Connection, schema: str, students: int, seed: int) -> None:
    """Generate the demo district unless ``schema`` already holds the SIS tables."""
    existing = existing_sis_tables(conn, schema)
    if existing:
        log.info("schema %r already holds the SIS tables; reading them as they are", schema)
        return
    log.info("generating the demo district (%d students per school, seed %d) in schema %r", students, seed, schema)
    build_demo_district(conn, schema, students_per_school=students, seed=seed)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the sync DAG twice for a demo school and print a summary."""
    parser = argparse.ArgumentParser(prog="python -m attendance_bridge.dev.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--school", type=int, default=DEMO_SCHOOLS[0], help="school number (default 100)")
    parser.add_argument("--students", type=int, default=300, help="students per school when generating (default 300)")
    parser.add_argument("--seed", type=int, default=7, help="random seed when generating (default 7)")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=PROJECT_ROOT / ".demo" / "pgdata",
        help="data folder of the embedded PostgreSQL (default .demo/pgdata)",
    )
    parser.add_argument(
        "--print-connection", action="store_true", help="only print the SIS database as an Airflow connection"
    )
    args = parser.parse_args(argv)
    # force: importing Airflow (reporting.run_folders: the report paths) has sent the root logger to stdout, where
    # --print-connection's one line must be alone (bin/airflow reads it as the connection).
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s", stream=sys.stderr, force=True
    )

    # The embedded server outlives this process, so bin/airflow's commands can reach it.
    connection = sis_connection(args.data_dir, keep_running=True)
    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        schema = os.environ.get(SIS_SCHEMA_ENV) or conn.execute("SELECT current_schema()").fetchone()[0]
        if not os.environ.get(SIS_CONN_ENV) or not args.print_connection:
            ensure_demo_district(conn, schema, args.students, args.seed)
    if args.print_connection:
        print(connection.airflow_json())
        return 0

    environment = {**os.environ, SIS_CONN_ENV: connection.airflow_json()}
    conf = json.dumps({"school_number": args.school, "year": DEMO_YEARID})
    outcomes = []
    for attempt in ("first run", "rerun"):
        log.info("%s: bin/airflow dags test %s --conf '%s'", attempt, SYNC_DAG_ID, conf)
        started = time.perf_counter()
        finished = subprocess.run(
            [str(PROJECT_ROOT / "bin" / "airflow"), "dags", "test", SYNC_DAG_ID, "--conf", conf],
            env=environment, capture_output=True, text=True, check=False,
        )  # fmt: skip
        log_path = PROJECT_ROOT / ".demo" / f"{attempt.replace(' ', '_')}.log"
        log_path.write_text(finished.stdout + finished.stderr)
        if finished.returncode != 0:
            print(f"The {attempt} failed (exit {finished.returncode}); its log is {log_path}", file=sys.stderr)
            print((finished.stdout + finished.stderr)[-3000:], file=sys.stderr)
            return 1
        outcomes.append((attempt, time.perf_counter() - started, log_path))

    with psycopg.connect(**connection.conninfo_kwargs(), autocommit=True) as conn:
        reports = latest_reports(conn, os.environ.get(PIPELINE_SCHEMA_ENV) or PIPELINE_SCHEMA, args.school, 2)
    print_summary(args.school, list(reversed(reports)), outcomes)
    return 0


def latest_reports(conn: psycopg.Connection, pipeline_schema: str, school: int, count: int) -> list[dict]:
    """The reports of the school's latest runs, newest first."""
    rows = conn.execute(
        sql.SQL(load_sql("dev/demo/select_latest_reports")).format(schema=sql.Identifier(pipeline_schema)),
        {"school_number": school, "dag_id": SYNC_DAG_ID, "count": count},
    ).fetchall()
    return [json.loads(Path(urlsplit(path).path).read_text()) for (path,) in rows]


def print_summary(school: int, reports: list[dict], outcomes: list[tuple[str, float, Path]]) -> None:
    """What each run did, by rule, and where its report page, validation results and Data Docs are; the index."""
    print(f"\n{SYNC_DAG_ID} for school {school}, twice:")
    for report, (attempt, seconds, log_path) in zip(reports, outcomes, strict=True):
        resolved, counts = report["resolved"], report["counts"]
        print(
            f"\n  {attempt}: {report['status']} in {seconds:.0f} s, {resolved['direction']} "
            f"(auto: {resolved['auto_direction']}), {resolved['start_date']} to {resolved['end_date']}"
        )
        # The counts labelled with the rules they come from, in the catalogue's order, in one column.
        labelled = [
            (count.demo[resolved["direction"]], count.name) for count in COUNTS if resolved["direction"] in count.demo
        ]
        width = max((len(label) for label, _ in labelled), default=0)
        for label, name in labelled:
            print(f"    {label:<{width}} {counts.get(name, 0):>9,}")
        validations = report.get("validation_results") or {}
        print(f"    report page:        {_local(run_page_url(report['report_path']))}")
        print(f"    report (JSON):      {_local(report['report_path'])}")
        print(f"    validation results: {_found(validations.get('preconditions'), 'preconditions')}")
        print(f"                        {_found(validations.get('candidates'), 'records to add')}")
        print(f"    Data Docs:          {_found(data_docs_url(report['report_path']), 'both validations as pages')}")
        print(f"    task logs:          {log_path}")

    if reports:
        print(f"\n  every run's report: {_local(index_url(reports[-1]['report_path']))}")
    if reports and reports[0]["counts"].get("inserted") == 0:
        print("\n  (The first run inserted nothing: an earlier `make demo` synchronized this school already.")
        print("   `make clean` removes the demo database so the next demo starts afresh.)")


def _local(url: str | None) -> str:
    """A file:// URL as a plain path, anything else as it is."""
    return urlsplit(url).path if url and url.startswith("file://") else str(url)


def _found(url: str | None, what: str) -> str:
    """Where a file of the run is, and what it holds; or that the run left none (a local file that is not there)."""
    path = _local(url)
    on_this_machine = url is not None and (url.startswith("file://") or "://" not in url)
    missing = url is None or (on_this_machine and not Path(path).exists())
    return f"{what}: none (the run did not get that far, or its task log says why)" if missing else f"{path} ({what})"


if __name__ == "__main__":
    sys.exit(main())
