"""Benchmark (issue 31): what following copies costs a night, with a year of copies behind it.

    make bench-follow                       # 2,500 students per school
    make bench-follow STUDENTS=600          # smaller, for a quick look

Generates the demo district, then builds a year of copies the way the DAG's tasks do (extract, rules, backup,
load with lineage): school 100's Daily records from its Meeting records (meeting_to_daily) and school 200's
Meeting records from its Daily records on every period (daily_to_meeting, all_periods), each over the whole
year. Then it times, on a night at the year's end:

- **quiet night**: the nightly bridge's look-back (``db.lookups.first_stale_copy_day`` over the year term before
  the night) when no copy's source changed: what following adds to every night (issue 31: at most about 1 s);
- **one correction**: the same after a teacher corrected one record of October;
- **judge the year**: reading every copy of a school's year with its source (``db.follow.read_copies``) and
  judging them (``domain.follow.judge_copies``): what a manual sync over the whole year adds.

Each is the median of three runs. Prints a table, writes the numbers as JSON to ``bench/results/``. Uses
``AIRFLOW_CONN_SIS_DB`` when set, else the embedded PostgreSQL in ``.demo/bench-pgdata``; the schemas it creates
are dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
from bench import end_to_end

YEAR_FIRST_DAY, YEAR_LAST_DAY = end_to_end.YEAR_FIRST_DAY, end_to_end.YEAR_LAST_DAY
DAG_ID = "attendance_bridge_sync"
BUILDS = ((100, "meeting_to_daily", "bridge_period_only"), (200, "daily_to_meeting", "all_periods"))
QUIET_NIGHT_BOUND_SECONDS = 1.0
DIRECTION_OF = {school: direction for school, direction, _ in BUILDS}


def median_seconds(call: Any, repeat: int = 3) -> tuple[float, Any]:
    """The median wall time of ``call()`` over ``repeat`` runs, and its last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 3), result


def build_copies(conn: Any, sis: str, own: str) -> dict[str, int]:
    """A year of copies per school in BUILDS, as a sync over the whole year lands them."""
    from attendance_bridge.db import run_log
    from attendance_bridge.db.backup import take_backup
    from attendance_bridge.db.extract import read_school_frames
    from attendance_bridge.db.load import load_records
    from attendance_bridge.domain.frames import source_records
    from attendance_bridge.domain.request import BridgeRequest
    from attendance_bridge.domain.rules import bridge_records

    built = {}
    for school, direction, absent_periods in BUILDS:
        run_id = f"bench_{school}"
        request = BridgeRequest(school, end_to_end.YEARID, direction, absent_periods, YEAR_FIRST_DAY, YEAR_LAST_DAY)
        run_log.start_run(
            conn, own, DAG_ID, run_id, school_number=school, yearid=end_to_end.YEARID, direction=direction,
            absent_periods=absent_periods, start_date=YEAR_FIRST_DAY, end_date=YEAR_LAST_DAY, dry_run=False,
            parameters={},
        )  # fmt: skip
        frames = read_school_frames(conn, sis, request, own)
        records = bridge_records(frames, request).records
        take_backup(conn, own, sis, DAG_ID, run_id, school, YEAR_FIRST_DAY, YEAR_LAST_DAY)
        loaded = load_records(
            conn, own, sis, DAG_ID, run_id, school, records, source_records(frames.attendance, records)
        )
        run_log.finish_run(conn, own, DAG_ID, run_id, "succeeded")
        built[school] = loaded.inserted_now
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=2500, help="students per school (default 2,500)")
    args = parser.parse_args()

    import psycopg
    from attendance_bridge.db import migrations
    from attendance_bridge.db.extract import read_school_frames
    from attendance_bridge.db.follow import read_copies
    from attendance_bridge.db.lookups import first_stale_copy_day
    from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
    from attendance_bridge.domain.follow import follow_counts, judge_copies
    from attendance_bridge.domain.request import BridgeRequest
    from psycopg import sql

    info = end_to_end.connection_info()
    prefix = f"bench_follow_{uuid.uuid4().hex[:8]}"
    sis, own = f"{prefix}_sis", f"{prefix}_own"
    started = time.perf_counter()
    with psycopg.connect(**info.conninfo_kwargs(), autocommit=True) as conn:
        try:
            conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(sis)))
            create_sis_schema(conn, sis)
            generate_demo_district(conn, sis, students_per_school=args.students)
            conn.execute(sql.SQL("ANALYZE {}.attendance").format(sql.Identifier(sis)))
            migrations.migrate(conn, own)
            built = build_copies(conn, sis, own)
            # As a district's database is between nights: vacuumed and analysed (autovacuum would do it during the
            # measurements otherwise, on the benchmark's cores).
            for schema, table in ((sis, "attendance"), (sis, "attendance_time"), (own, "lineage"), (own, "run_log")):
                conn.execute(sql.SQL("VACUUM (ANALYZE) {}.{}").format(sql.Identifier(schema), sql.Identifier(table)))
            night = YEAR_LAST_DAY
            rows = []

            def looked_back(school: int) -> Any:
                # On a connection of its own, as check_parameters asks it (psycopg prepares a statement run five
                # times on one connection, and a generic plan is not what a night gets).
                with psycopg.connect(**info.conninfo_kwargs(), autocommit=True) as own_conn:
                    return first_stale_copy_day(
                        own_conn, own, sis, school, DIRECTION_OF[school], YEAR_FIRST_DAY, night - timedelta(days=1)
                    )

            for school, direction, absent_periods in BUILDS:
                quiet, found = median_seconds(lambda school=school: looked_back(school))
                assert found is None, f"a quiet night of school {school} found a copy to follow on {found}"
                [(source,)] = conn.execute(
                    sql.SQL(
                        "SELECT min(l.source_attendance_id) FROM {}.lineage l WHERE l.school_number = %s "
                        "AND l.att_date BETWEEN '2025-10-01' AND '2025-10-31'"
                    ).format(sql.Identifier(own)),
                    (school,),
                ).fetchall()
                conn.execute(
                    sql.SQL("UPDATE {}.attendance SET studentid = studentid + 1000000 WHERE id = %s").format(
                        sql.Identifier(sis)
                    ),
                    (source,),
                )
                corrected, first = median_seconds(lambda school=school: looked_back(school))
                request = BridgeRequest(
                    school, end_to_end.YEARID, direction, absent_periods, YEAR_FIRST_DAY, YEAR_LAST_DAY
                )
                frames = read_school_frames(conn, sis, request, own)

                def judge_year(school: int = school, frames: Any = frames, request: Any = request) -> Any:
                    copies, sources = read_copies(conn, own, sis, school, YEAR_FIRST_DAY, YEAR_LAST_DAY)
                    return judge_copies(frames, request, copies, sources)

                judged_seconds, judgement = median_seconds(judge_year)
                rows.append(
                    {
                        "school": school,
                        "direction": direction,
                        "copies": built[school],
                        "quiet_night_seconds": quiet,
                        "one_correction_seconds": corrected,
                        "one_correction_found": first.isoformat() if first else None,
                        "judge_year_seconds": judged_seconds,
                        "judged": follow_counts(judgement),
                    }
                )
        finally:
            for schema in (sis, own):
                conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))

    print(f"\n{args.students:,} students per school, a year of copies ({YEAR_FIRST_DAY} to {YEAR_LAST_DAY})")
    header = ("school", "direction", "copies", "quiet night s", "one correction s", "judge the year s")
    print("  ".join(f"{cell:>17}" for cell in header))
    for row in rows:
        cells = (row["school"], row["direction"], f"{row['copies']:,}", row["quiet_night_seconds"],
                 row["one_correction_seconds"], row["judge_year_seconds"])  # fmt: skip
        print("  ".join(f"{cell!s:>17}" for cell in cells))
    worst = max(row["quiet_night_seconds"] for row in rows)
    met = worst <= QUIET_NIGHT_BOUND_SECONDS
    print(
        f"\n{'met    ' if met else 'NOT met'}  a quiet night's look-back within {QUIET_NIGHT_BOUND_SECONDS} s: {worst} s"
    )
    document = {
        "students": args.students,
        "rows": rows,
        "quiet_night_bound_seconds": QUIET_NIGHT_BOUND_SECONDS,
        "met": met,
        "machine": end_to_end.machine(),
        "seconds": round(time.perf_counter() - started, 1),
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    path = ROOT / "bench" / "results" / f"follow-{date.today().isoformat()}-{args.students}.json"
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"written to {path.relative_to(ROOT)} in {document['seconds']} s")


if __name__ == "__main__":
    main()
