"""Benchmark (issue 7): a large school end to end, side by side with an in-database SQL reference.

    make bench                        # 2,500 students per school, the whole year
    make bench STUDENTS=1000          # smaller, for a quick look
    PYTHONPATH=plugins:. .venv/bin/python bench/end_to_end.py --only "positive daily_to_meeting"
                                      # one case (written to a -partial.json)

Generates the demo district (7 periods plus homeroom, A/B rotation) into a template schema, in
two shapes: **exception** (the demo's realistic absences and tardies) and **positive** (a record
for every student-day of school 100: Present Daily records for ``daily_to_meeting``, Present
bridge-period Meeting records for ``meeting_to_daily``). Then, for each case (shape x direction),
in a fresh process so its peak memory is its own:

1. the **pipeline**: every phase of ``attendance_bridge_sync`` through the code the DAG runs
   (``attendance_bridge.tasks.sync``), on a copy of the template, in the DAG's order: the backup in a thread beside
   compute and candidates, the load after both; its time is the wall time of all of it;
2. the **SQL reference** (``bench/sql_reference.py``): the same backup copy and the same
   records with ``INSERT ... SELECT`` and anti-joins inside PostgreSQL, on a second copy; the
   two copies' new rows are compared row for row, and the benchmark stops if they differ;
3. the **naive** approach of a district script (one INSERT and commit per record) on a sample
   of the records, extrapolated to all of them.

Prints one table and writes the same numbers as JSON (``bench/results/``). Uses
``AIRFLOW_CONN_SIS_DB`` when set, else the embedded PostgreSQL in ``.demo/bench-pgdata``; every
schema it creates is dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import operator
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from attendance_bridge.catalog import SYNC_TASK_IDS

ROOT = Path(__file__).resolve().parents[1]
SCHOOL, YEARID = 100, 35
YEAR_FIRST_DAY, YEAR_LAST_DAY = date(2025, 8, 18), date(2026, 6, 5)
NAIVE_SAMPLE = 1000
RESULTS = ROOT / "bench" / "results"
# The pipeline's phases as the DAG runs them (write_report is timed apart: the reference has none).
PHASES = SYNC_TASK_IDS[:-1]


@dataclass(frozen=True)
class Case:
    """One measurement: a template shape, a direction and the absent-periods choice."""

    name: str
    shape: str
    direction: str
    absent_periods: str = "all_periods"


CASES = (
    Case("positive daily_to_meeting", "positive_daily", "daily_to_meeting"),
    Case("positive meeting_to_daily", "positive_meeting", "meeting_to_daily"),
    Case("exception daily_to_meeting", "exception", "daily_to_meeting"),
    Case("exception meeting_to_daily", "exception", "meeting_to_daily"),
)


def peak_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------- the database


def connection_info() -> Any:
    from attendance_bridge.dev.embedded_postgres import sis_connection

    return sis_connection(ROOT / ".demo" / "bench-pgdata")


def statement(name: str, **identifiers: str) -> Any:
    """A file of include/sql/ with its identifiers quoted."""
    from attendance_bridge.db.sql import load_sql
    from psycopg import sql

    return sql.SQL(load_sql(name)).format(**{key: sql.Identifier(value) for key, value in identifiers.items()})


def copy_schema(conn: Any, source: str, target: str) -> float:
    """A new schema ``target`` with the SIS tables of ``source``, rows and ids included; seconds taken."""
    from attendance_bridge.dev.demo_district import SIS_TABLES, create_sis_schema
    from psycopg import sql

    started = time.perf_counter()
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(target)))
    create_sis_schema(conn, target)
    with conn.transaction():
        for table in SIS_TABLES:
            conn.execute(statement("dev/bench/copy_table", source=source, target=target, table_name=table))
        identities = conn.execute(statement("dev/bench/select_identity_columns"), {"schema": target}).fetchall()
        for table, column in identities:
            conn.execute(
                statement("dev/bench/set_identity_after_max", schema=target, table_name=table, column_name=column),
                {"qualified_table": f'"{target}"."{table}"', "column_name": column},
            )
    # A copy as a district's database is: vacuumed (hint bits and visibility map set, so the first
    # reader does not pay for writing them) with fresh statistics (the planner's row estimates
    # decide the join order of both the pipeline's and the reference's statements).
    for table in SIS_TABLES:
        conn.execute(sql.SQL("VACUUM (ANALYZE) {}.{}").format(sql.Identifier(target), sql.Identifier(table)))
    return time.perf_counter() - started


def records_differing(
    conn: Any, pipeline_copy: str, pipeline_after: int, reference_copy: str, reference_after: int
) -> tuple[int, int, int, int]:
    """Rows the pipeline and the reference added (ids above ``*_after``), and those only one side added:
    the district benchmark's school-by-school check, summed over the schools."""
    rows = conn.execute(
        statement(
            "dev/bench/select_records_differing_by_school", pipeline_copy=pipeline_copy, reference_copy=reference_copy
        ),
        {"pipeline_after": pipeline_after, "reference_after": reference_after},
    ).fetchall()
    return tuple(sum(row[column] for row in rows) for column in range(1, 5))  # type: ignore[return-value]


def drop_schemas(conn: Any, *names: str) -> None:
    from psycopg import sql

    for name in names:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))


def build_templates(conn: Any, prefix: str, students: int) -> dict[str, Any]:
    """The three template schemas (exception, positive Daily, positive Meeting) and how they were built."""
    from attendance_bridge.config import MODE_DAILY, MODE_MEETING
    from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
    from psycopg import sql

    exception = f"{prefix}_exception"
    started = time.perf_counter()
    conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(exception)))
    create_sis_schema(conn, exception)
    generate_demo_district(conn, exception, students_per_school=students)
    conn.execute(sql.SQL("ANALYZE {}.attendance").format(sql.Identifier(exception)))
    generated = time.perf_counter() - started
    bounds = {"school_number": SCHOOL, "yearid": YEARID, "start_date": YEAR_FIRST_DAY, "end_date": YEAR_LAST_DAY}
    added = {}
    for shape, file, mode in (
        ("positive_daily", "dev/bench/insert_positive_daily_attendance", {"mode_daily": MODE_DAILY}),
        ("positive_meeting", "dev/bench/insert_positive_meeting_attendance", {"mode_meeting": MODE_MEETING}),
    ):
        copy_schema(conn, exception, f"{prefix}_{shape}")
        added[shape] = conn.execute(statement(file, schema=f"{prefix}_{shape}"), {**bounds, **mode}).rowcount
        conn.execute(sql.SQL("ANALYZE {}.attendance").format(sql.Identifier(f"{prefix}_{shape}")))
    return {
        "schemas": {"exception": exception, **{shape: f"{prefix}_{shape}" for shape in added}},
        "generated_seconds": round(generated, 1),
        "positive_records_added": added,
    }


# --------------------------------------------------------------------------- one case (child process)


def run_case(case: Case, template: str, prefix: str) -> dict[str, Any]:
    """Pipeline, SQL reference and naive approach for one case; the numbers as a dict."""
    started_process = time.perf_counter()
    import psycopg

    # Start-up costs every Airflow task pays once per process (imports), measured apart.
    import_started = time.perf_counter()
    import great_expectations  # noqa: F401
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401
    from airflow.providers.postgres.hooks.postgres import PostgresHook  # noqa: F401
    from attendance_bridge.tasks import parameters, sync, sync_report
    from attendance_bridge.tasks.runtime import TaskRun

    imports = time.perf_counter() - import_started

    from attendance_bridge.config import (
        PIPELINE_SCHEMA_ENV,
        REPORTS_BASE_ENV,
        SIS_CONN_ENV,
        SIS_SCHEMA_ENV,
        STAGING_BASE_ENV,
    )

    from bench import sql_reference

    info = connection_info()
    pipeline_copy, reference_copy = f"{prefix}_pipeline", f"{prefix}_reference"
    own_schema, scratch = f"{prefix}_ab", f"{prefix}_scratch"
    folder = tempfile.mkdtemp(prefix="attendance_bridge_bench_")
    os.environ.update(
        {
            SIS_CONN_ENV: info.airflow_json(),
            SIS_SCHEMA_ENV: pipeline_copy,
            PIPELINE_SCHEMA_ENV: own_schema,
            STAGING_BASE_ENV: f"file://{folder}/staging",
            REPORTS_BASE_ENV: f"file://{folder}/reports",
        }
    )
    result: dict[str, Any] = {"case": case.name, "direction": case.direction, "absent_periods": case.absent_periods}
    with psycopg.connect(**info.conninfo_kwargs(), autocommit=True) as conn:
        try:
            result["copy_seconds"] = round(copy_schema(conn, template, pipeline_copy), 2)
            copy_schema(conn, template, reference_copy)
            conn.execute(statement("dev/bench/create_schema", schema=scratch))
            after = {
                name: conn.execute(statement("dev/bench/select_max_attendance_dcid", schema=name)).fetchone()[0]
                for name in (pipeline_copy, reference_copy)
            }
            # The copies' writes reach disk now, not in the middle of whichever side runs first.
            conn.execute("CHECKPOINT")

            # 1. The pipeline, phase by phase, as the DAG's tasks call it.
            run = TaskRun("attendance_bridge_sync", f"bench__{uuid.uuid4().hex[:8]}", date(2026, 6, 6), "bench")
            conf = {
                "school_number": SCHOOL, "year": YEARID, "direction": case.direction,
                "absent_periods": case.absent_periods,
            }  # fmt: skip
            upstream: dict[str, Any] = {}
            arguments = {
                "check_parameters": lambda: (conf,),
                "extract_school_tables": lambda: (upstream["check_parameters"],),
                "validate_preconditions": lambda: (upstream["check_parameters"], upstream["extract_school_tables"]),
                "compute_missing_records": lambda: (
                    upstream["check_parameters"], upstream["extract_school_tables"], upstream["validate_preconditions"]
                ),
                "validate_candidates": lambda: (
                    upstream["check_parameters"], upstream["extract_school_tables"],
                    upstream["compute_missing_records"], upstream["validate_preconditions"],
                ),
                "back_up_school_records": lambda: (upstream["check_parameters"],),
                "load_missing_records": lambda: (upstream["check_parameters"], upstream["compute_missing_records"]),
            }  # fmt: skip
            seconds: dict[str, float] = {}

            def run_phase(phase: str) -> None:
                started = time.perf_counter()
                task_module = parameters if phase == "check_parameters" else sync
                upstream[phase] = getattr(task_module, phase)(run, *arguments[phase]())
                seconds[phase] = round(time.perf_counter() - started, 3)

            pipeline_started = time.perf_counter()
            for phase in ("check_parameters", "extract_school_tables", "validate_preconditions"):
                run_phase(phase)
            # As the DAG runs them: the backup beside compute and candidates, the load after both.
            with ThreadPoolExecutor(1) as beside:
                backup = beside.submit(run_phase, "back_up_school_records")
                run_phase("compute_missing_records")
                run_phase("validate_candidates")
                backup.result()
            run_phase("load_missing_records")
            pipeline_seconds = time.perf_counter() - pipeline_started
            report_started = time.perf_counter()
            report = sync_report.write_report(run, conf, upstream)
            seconds["write_report"] = round(time.perf_counter() - report_started, 3)
            pipeline_peak = peak_mb()
            counts = upstream["compute_missing_records"]["counts"]
            loaded = upstream["load_missing_records"]["load"]

            # 2. The SQL reference, on its own copy.
            started = time.perf_counter()
            backed_up = sql_reference.back_up_school(
                conn, reference_copy, scratch, SCHOOL, YEAR_FIRST_DAY, YEAR_LAST_DAY
            )
            reference_backup = time.perf_counter() - started
            started = time.perf_counter()
            inserted = sql_reference.insert_missing_records(
                conn, reference_copy, SCHOOL, YEARID, case.direction, case.absent_periods, YEAR_FIRST_DAY,
                YEAR_LAST_DAY,
            )  # fmt: skip
            reference_insert = time.perf_counter() - started

            # The row-for-row check: the benchmark is only fair if both produced the same records.
            pipeline_rows, reference_rows, only_pipeline, only_reference = records_differing(
                conn, pipeline_copy, after[pipeline_copy], reference_copy, after[reference_copy]
            )
            if only_pipeline or only_reference or pipeline_rows != reference_rows:
                raise SystemExit(
                    f"{case.name}: the pipeline and the SQL reference built different records "
                    f"({pipeline_rows:,} and {reference_rows:,} rows; {only_pipeline:,} only in the pipeline's, "
                    f"{only_reference:,} only in the reference's)"
                )

            # 3. The naive approach on a sample, into the reference copy (its check is done).
            naive = naive_inserts(info, reference_copy, upstream["compute_missing_records"]["paths"]["records"])
        finally:
            drop_schemas(conn, pipeline_copy, reference_copy, own_schema, scratch)

    reference_seconds = reference_backup + reference_insert
    records = int(loaded["inserted_attendance"])
    naive_total = naive["seconds_per_record"] * records if records else None
    result |= {
        "rows_read": int(upstream["extract_school_tables"]["rows"]["attendance"]),
        "records_built": int(counts["candidates"]),
        "records_inserted": records,
        "attendance_time_inserted": int(loaded["inserted_attendance_time"]),
        "rows_backed_up": int(upstream["back_up_school_records"]["backup"]["attendance_rows"]),
        "reference_rows_backed_up": int(backed_up),
        "reference_records_inserted": int(inserted[0]),
        "same_records": True,
        "startup_imports_seconds": round(imports, 2),
        "phase_seconds": seconds,
        "pipeline_seconds": round(pipeline_seconds, 2),
        "phases_sum_seconds": round(sum(seconds[phase] for phase in PHASES), 2),
        "reference_seconds": {
            "backup": round(reference_backup, 2),
            "insert": round(reference_insert, 2),
            "total": round(reference_seconds, 2),
        },
        "naive": naive | {"extrapolated_seconds": round(naive_total, 1) if naive_total else None},
        "ratios": {
            "pipeline_to_reference": round(pipeline_seconds / reference_seconds, 2) if reference_seconds else None,
            "compute_share_of_pipeline": round(seconds["compute_missing_records"] / pipeline_seconds, 3),
            "naive_to_pipeline": round(naive_total / pipeline_seconds, 1) if naive_total else None,
            # What the naive way costs against the reference itself: the bound on naive / pipeline
            # for any pipeline no faster than plain SQL inside the database.
            "naive_to_reference": round(naive_total / reference_seconds, 1)
            if naive_total and reference_seconds
            else None,
        },
        "pipeline_peak_mb": round(pipeline_peak),
        "process_peak_mb": round(peak_mb()),
        "report_counts": report["counts"],
        "process_seconds": round(time.perf_counter() - started_process, 1),
    }
    return result


def naive_inserts(info: Any, schema: str, records_url: str) -> dict[str, Any]:
    """One INSERT (and one attendance_time INSERT for a Daily record) and one COMMIT per record, on a sample."""
    import pandas
    import psycopg
    from attendance_bridge.config import MODE_DAILY
    from attendance_bridge.reporting.run_folders import read_frame

    records = read_frame(records_url)
    if records.empty:
        return {"sample": 0, "seconds": 0.0, "seconds_per_record": 0.0}
    step = max(len(records) // NAIVE_SAMPLE, 1)
    sample = records.iloc[::step].head(NAIVE_SAMPLE)
    insert_record = statement("dev/bench/insert_one_attendance", schema=schema)
    insert_time = statement("dev/bench/insert_one_attendance_time", schema=schema)
    rows = [
        {key: (None if pandas.isna(value) else value) for key, value in row.items()}  # NaN/NA as NULL
        for row in sample.astype(object).to_dict("records")
    ]
    with psycopg.connect(**info.conninfo_kwargs()) as conn:
        started = time.perf_counter()
        for row in rows:
            new_id = conn.execute(insert_record, {**row, "att_date": row["att_date"].date()}).fetchone()[0]
            if row["att_mode_code"] == MODE_DAILY:
                conn.execute(
                    insert_time,
                    {"attendanceid": new_id, "time_in": row["time_in"], "time_out": row["time_out"],
                     "total_minutes": row["total_minutes"]},
                )  # fmt: skip
            conn.commit()
        seconds = time.perf_counter() - started
    return {"sample": len(rows), "seconds": round(seconds, 2), "seconds_per_record": seconds / len(rows)}


# --------------------------------------------------------------------------- the table


def print_table(results: list[dict[str, Any]]) -> None:
    """The numbers of every case, one column per case."""
    header = ["", *(result["case"] for result in results)]

    def row(label: str, values: list[Any]) -> list[str]:
        return [label, *(str(value) for value in values)]

    def seconds(value: float | None) -> str:
        return "" if value is None else f"{value:,.2f}"

    lines = [
        header,
        row("attendance rows read", [f"{r['rows_read']:,}" for r in results]),
        row("records built (inserted)", [f"{r['records_built']:,} ({r['records_inserted']:,})" for r in results]),
        row("rows backed up", [f"{r['rows_backed_up']:,}" for r in results]),
        row("start-up imports s (apart)", [seconds(r["startup_imports_seconds"]) for r in results]),
        *(row(f"  {phase} s", [seconds(r["phase_seconds"][phase]) for r in results]) for phase in PHASES),
        row("pipeline s (wall, backup beside)", [seconds(r["pipeline_seconds"]) for r in results]),
        row("  (phases one after another s)", [seconds(r["phases_sum_seconds"]) for r in results]),
        row("  (write_report s, apart)", [seconds(r["phase_seconds"]["write_report"]) for r in results]),
        row("SQL reference backup s", [seconds(r["reference_seconds"]["backup"]) for r in results]),
        row("SQL reference insert s", [seconds(r["reference_seconds"]["insert"]) for r in results]),
        row("SQL reference s", [seconds(r["reference_seconds"]["total"]) for r in results]),
        row("naive s per record", [f"{r['naive']['seconds_per_record'] * 1000:.2f} ms" for r in results]),
        row("naive s (extrapolated)", [seconds(r["naive"]["extrapolated_seconds"]) for r in results]),
        row("pipeline / SQL reference", [f"{r['ratios']['pipeline_to_reference']}x" for r in results]),
        row("compute share of pipeline", [f"{r['ratios']['compute_share_of_pipeline']:.1%}" for r in results]),
        row("naive / pipeline", [f"{r['ratios']['naive_to_pipeline']}x" for r in results]),
        row("  (naive / SQL reference)", [f"{r['ratios']['naive_to_reference']}x" for r in results]),
        row("peak memory MB (pipeline)", [f"{r['pipeline_peak_mb']:,}" for r in results]),
        row("same records as reference", ["yes" if r["same_records"] else "NO" for r in results]),
    ]
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    for line in lines:
        print("  ".join(cell.ljust(width) if index == 0 else cell.rjust(width)
                        for index, (cell, width) in enumerate(zip(line, widths, strict=True))))  # fmt: skip


# Issue 7's targets, judged on the stress case (the first case: the most records built).
TARGETS = (
    (
        "pipeline within 1.5x of the SQL reference",
        lambda r: r["ratios"]["pipeline_to_reference"],
        operator.le,
        1.5,
        "x",
    ),
    (
        "compute under 10% of the pipeline",
        lambda r: r["ratios"]["compute_share_of_pipeline"] * 100,
        operator.lt,
        10,
        "%",
    ),
    ("peak memory under 2 GB", lambda r: r["pipeline_peak_mb"], operator.lt, 2048, "MB"),
    ("at least 100x faster than the naive way", lambda r: r["ratios"]["naive_to_pipeline"], operator.ge, 100, "x"),
)


def judge_targets(stress: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target with the stress case's value and whether it is met."""
    verdicts = []
    for name, value_of, holds, bound, unit in TARGETS:
        value = value_of(stress)
        value = None if value is None else round(value, 2)
        verdicts.append(
            {"target": name, "value": value, "unit": unit, "met": value is not None and holds(value, bound)}
        )
    return verdicts


def print_targets(verdicts: list[dict[str, Any]]) -> None:
    """The targets under the table, each met or not."""
    print(f"\ntargets on the stress case ({CASES[0].name}):")
    for verdict in verdicts:
        value = verdict["value"]
        shown = (
            "n/a" if value is None else f"{value:,.1f}{'' if verdict['unit'] in ('x', '%') else ' '}{verdict['unit']}"
        )
        print(f"  {'met    ' if verdict['met'] else 'NOT met'}  {verdict['target']}: {shown}")


def machine() -> dict[str, Any]:
    """Where the numbers came from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory_kb = int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                             if line.startswith("MemTotal")).split()[1])  # fmt: skip
    except (OSError, StopIteration, ValueError):
        memory_kb = 0
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory_gb": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(), "system": platform.platform(),
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2500, help="students per school (default 2,500)")
    parser.add_argument(
        "--only",
        choices=[case.name for case in CASES],
        action="append",
        help="run only this case (repeatable); the targets are judged when the stress case runs",
    )
    parser.add_argument("--case", help=argparse.SUPPRESS)  # a child process: run this one case
    parser.add_argument("--template", help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        case = next(case for case in CASES if case.name == args.case)
        print("RESULT " + json.dumps(run_case(case, args.template, args.prefix)), flush=True)
        return

    import psycopg

    prefix = f"bench_{uuid.uuid4().hex[:8]}"
    info = connection_info()
    started = time.perf_counter()
    results = []
    with psycopg.connect(**info.conninfo_kwargs(), autocommit=True) as conn:
        templates: dict[str, Any] = {}
        try:
            templates = build_templates(conn, prefix, args.students)
            print(
                f"generated {args.students:,} students per school in {templates['generated_seconds']} s; positive "
                f"records added to school {SCHOOL}: {templates['positive_records_added']}",
                flush=True,
            )
            for number, case in enumerate(CASES):
                if args.only and case.name not in args.only:
                    continue
                print(f"case {case.name} ...", flush=True)
                child = subprocess.run(
                    [sys.executable, __file__, "--case", case.name, "--template",
                     templates["schemas"][case.shape], "--prefix", f"{prefix}_c{number}"],
                    capture_output=True, text=True, check=False, env={**os.environ},
                )  # fmt: skip
                lines = [line for line in child.stdout.splitlines() if line.startswith("RESULT ")]
                if child.returncode != 0 or not lines:
                    sys.stderr.write(child.stdout[-4000:] + child.stderr[-4000:])
                    raise SystemExit(f"case {case.name} failed (exit code {child.returncode})")
                results.append(json.loads(lines[-1].removeprefix("RESULT ")))
        finally:
            drop_schemas(conn, *(templates.get("schemas") or {}).values())
    print()
    print(f"school {SCHOOL}, {args.students:,} students per school, the whole year {YEAR_FIRST_DAY} to {YEAR_LAST_DAY}")
    print_table(results)
    stress = [result for result in results if result["case"] == CASES[0].name]
    verdicts = judge_targets(stress[0]) if stress else []
    if verdicts:
        print_targets(verdicts)
    document = {
        "written_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "students_per_school": args.students,
        "school": SCHOOL,
        "machine": machine(),
        "generated_seconds": templates.get("generated_seconds"),
        "positive_records_added": templates.get("positive_records_added"),
        "cases": results,
        "targets": verdicts,
        "seconds": round(time.perf_counter() - started, 1),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    partial = "-partial" if args.only else ""  # a partial run never replaces the day's full one
    path = RESULTS / f"bench-{document['written_at'][:10]}-{args.students}{partial}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten to {path.relative_to(ROOT)} in {document['seconds']} s")


if __name__ == "__main__":
    main()
