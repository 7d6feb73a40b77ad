"""The end-of-term reconciliation (issue 6): which schools to sync for a data interval, and the district summary.

The ``attendance_bridge_end_of_term`` DAG asks the SIS, at run time, which terms end in its data
interval (``find_terms_ending``), turns them into one sync per school (``plan_reconciliations``),
runs each through the sync's own phases in a mapped task group, and sums the schools' reports up
(``district_summary``). The term dates are read when the run runs, never when the DAG is parsed.

Decided here (docs/decisions.md, "End of term"):
- One sync per school and school year: when several of a school's terms end in the interval
  (a quarter and its semester, or the last semester and the year term), the sync covers the
  longest of them, from the earliest first day to the latest last day, and names them all.
- A school whose term ends but that has no current recording method (P3) or whose bridge is off
  (P4) is not synced; the summary lists it with that reason. A school with both recording
  methods on is synced, so the sync refuses it with P3's own message.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from attendance_bridge.settings import (
    BRIDGE_ONE_WAY,
    BRIDGE_TWO_WAY,
    DIRECTION_AUTO,
    DISTRICT_OFFICE_SCHOOL_NUMBER,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
)

if TYPE_CHECKING:
    import psycopg

    from attendance_bridge.sync import Run

log = logging.getLogger("attendance_bridge.end_of_term")

DAG_ID = "attendance_bridge_end_of_term"
REPORT_MODE, APPLY_MODE = "report", "apply"
# The district summaries' folder under the reports base, next to the schools' folders.
SUMMARY_FOLDER = "district"
MODES = (REPORT_MODE, APPLY_MODE)
# The counts a district summary shows per school, from the school's run report.
SUMMARY_COUNTS = (
    "candidates",
    "inserted",
    "skipped_existing",
    "skipped_source_changed",
    "declined_by_database",
    "conflicts",
    "mismatches",
    "unscheduled",
    "disagreements",
)


def interval_days(start: datetime, end: datetime, timezone: str) -> tuple[date, date]:
    """The days whose term ends this data interval covers: [start, end) as dates in the district's timezone.

    Consecutive intervals cover every day exactly once. An interval shorter than a day (a zero-length
    one, say) covers the day before its end: a term is reconciled once its last day is over.
    """
    import pendulum

    zone = pendulum.timezone(timezone)
    first = pendulum.instance(start).in_timezone(zone).date()
    end_day = pendulum.instance(end).in_timezone(zone).date()
    last = end_day - timedelta(days=1)
    return (min(first, last), last)


def find_terms_ending(conn: psycopg.Connection, schema: str, first_day: date, last_day: date) -> list[dict[str, Any]]:
    """Every term of a school (not the district office) whose last day is in [first_day, last_day], with its settings."""
    from psycopg import sql
    from psycopg.rows import dict_row

    from attendance_bridge.sql import load_sql

    statement = sql.SQL(load_sql("end_of_term/select_terms_ending")).format(schema=sql.Identifier(schema))
    with conn.cursor(row_factory=dict_row) as cursor:
        cursor.execute(
            statement,
            {
                "first_day": first_day,
                "last_day": last_day,
                "district_office": DISTRICT_OFFICE_SCHOOL_NUMBER,
                "pref_record_mode_daily": PREF_RECORD_MODE_DAILY,
                "pref_record_mode_meeting": PREF_RECORD_MODE_MEETING,
                "pref_bridge": PREF_BRIDGE,
                "bridge_one_way": BRIDGE_ONE_WAY,
                "bridge_two_way": BRIDGE_TWO_WAY,
            },
        )
        return list(cursor.fetchall())


def plan_reconciliations(
    terms: Iterable[Mapping[str, Any]], mode: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(one sync per school and year, the schools left out with their reason), from ``find_terms_ending``'s rows.

    Each sync carries ``conf``, the parameters a manual run of ``attendance_bridge_sync`` would be
    given for the same work, and ``key``, which names the school's part of the DAG run.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    groups: dict[tuple[int, int], list[Mapping[str, Any]]] = {}
    for row in terms:
        groups.setdefault((int(row["school_number"]), int(row["yearid"])), []).append(row)
    years_of = {}
    for school, yearid in groups:
        years_of.setdefault(school, []).append(yearid)

    planned, left_out = [], []
    for (school, yearid), all_rows in sorted(groups.items()):
        # A term without a first day cannot give a range (P2 would refuse it); the others still can.
        undated = [row for row in all_rows if row["firstday"] is None]
        for row in undated:
            left_out.append(_undated(row, school, yearid))
        rows = [row for row in all_rows if row["firstday"] is not None]
        if not rows:
            continue
        first, last = min(_date(row["firstday"]) for row in rows), max(_date(row["lastday"]) for row in rows)
        entry = {
            "school_number": school,
            "school_name": rows[0]["school_name"],
            "yearid": yearid,
            "terms": [
                {
                    "termid": int(row["termid"]),
                    "name": row["term_name"],
                    "abbreviation": row["term_abbreviation"],
                    "firstday": _date(row["firstday"]).isoformat(),
                    "lastday": _date(row["lastday"]).isoformat(),
                    "year_term": bool(row["year_term"]),
                }
                for row in rows
            ],
            "start_date": first.isoformat(),
            "end_date": last.isoformat(),
        }
        reason = _left_out_because(rows, school, yearid)
        if reason:
            left_out.append({**entry, "reason": reason})
            continue
        key = f"school_{school}" if len(years_of[school]) == 1 else f"school_{school}_year_{yearid}"
        conf = {
            "school_number": school,
            "year": yearid,
            "direction": DIRECTION_AUTO,
            "start_date": entry["start_date"],
            "end_date": entry["end_date"],
            "dry_run": mode == REPORT_MODE,
        }
        planned.append({**entry, "key": key, "mode": mode, "conf": conf})
    return planned, left_out


def _undated(row: Mapping[str, Any], school: int, yearid: int) -> dict[str, Any]:
    """A term the SIS gives no first day, as a school left out with the reason."""
    return {
        "school_number": school,
        "school_name": row["school_name"],
        "yearid": yearid,
        "terms": [{"termid": int(row["termid"]), "name": row["term_name"], "abbreviation": row["term_abbreviation"]}],
        "reason": f"P2: term {row['term_name']!r} (id {row['termid']}) of school {school} has no first day in the SIS",
    }


def _left_out_because(rows: Sequence[Mapping[str, Any]], school: int, yearid: int) -> str | None:
    """Why a school whose term ends is not synced (P3, P4), or None."""
    year = f"the {yearid + 1990}-{yearid + 1991} school year"
    if not any(row["recording_method_current"] for row in rows):
        return (
            f"P3: school {school} has no current recording method for {year} "
            f"({PREF_RECORD_MODE_DAILY} and {PREF_RECORD_MODE_MEETING} are off or not set)"
        )
    if not any(row["bridge_on"] for row in rows):
        return f"P4: the Meeting and Daily Attendance Bridge of school {school} is off or not set for {year}"
    return None


def _date(value: Any) -> date:
    return value if isinstance(value, date) and not isinstance(value, datetime) else date.fromisoformat(str(value)[:10])


def school_run_id(run_id: str, key: str) -> str:
    """The run id of one school's sync inside an end-of-term DAG run: the run log, lineage and report use it."""
    return f"{run_id}__{key}"


def term_names(reconciliation: Mapping[str, Any]) -> str:
    """ "Semester 1 (S1), 2025-2026 (25-26)"."""
    return ", ".join(
        f"{term['name']} ({term['abbreviation']})" if term.get("abbreviation") else str(term["name"])
        for term in reconciliation.get("terms") or []
    )


# --------------------------------------------------------------------------- summary


def district_summary(
    run_id: str,
    interval: Mapping[str, Any],
    planned: Sequence[Mapping[str, Any]],
    left_out: Sequence[Mapping[str, Any]],
    reports: Mapping[str, Mapping[str, Any] | None],
    report_links: Mapping[str, str | None],
) -> dict[str, Any]:
    """The district summary of one end-of-term run: a row per school, the failed ones with their reason.

    ``reports`` maps each planned school's key to its run report (None when none was written);
    ``report_links`` to the report page's address relative to the summary.
    """
    rows = []
    for entry in planned:
        report = reports.get(entry["key"])
        counts = (report or {}).get("counts") or {}
        if report is None:
            outcome = "failed"
            reason = "no run report was written for this school; its task logs say why"
        else:
            outcome = report.get("status") or "failed"
            reason = report.get("message") if outcome != "succeeded" else None
        rows.append(
            {
                "school_number": entry["school_number"],
                "school_name": entry.get("school_name"),
                "yearid": entry["yearid"],
                "terms": term_names(entry),
                "start_date": entry["start_date"],
                "end_date": entry["end_date"],
                "run_id": (report or {}).get("run_id"),
                "direction": ((report or {}).get("resolved") or {}).get("direction"),
                "dry_run": entry["conf"]["dry_run"],
                "outcome": outcome,
                "reason": reason,
                "counts": {name: counts[name] for name in SUMMARY_COUNTS if name in counts},
                "report": report_links.get(entry["key"]),
            }
        )
    failed = [row for row in rows if row["outcome"] != "succeeded"]
    return {
        "dag_id": DAG_ID,
        "run_id": run_id,
        "mode": interval.get("mode"),
        "interval": dict(interval),
        "outcome": "failed" if failed else "succeeded",
        "schools": rows,
        "failed": [
            {"school_number": row["school_number"], "school_name": row["school_name"], "reason": row["reason"]}
            for row in failed
        ],
        "left_out": [
            {
                "school_number": entry["school_number"],
                "school_name": entry.get("school_name"),
                "terms": term_names(entry),
                "reason": entry["reason"],
            }
            for entry in left_out
        ],
        "totals": {name: sum(int(row["counts"].get(name, 0)) for row in rows) for name in SUMMARY_COUNTS},
    }


# --------------------------------------------------------------------------- tasks


def find_schools_to_reconcile(run: Run, start: datetime, end: datetime, timezone: str, mode: str) -> dict[str, Any]:
    """Task 1 of an end-of-term run: the plan for its data interval, read from the SIS now (never at parse time)."""
    from attendance_bridge import sync

    first_day, last_day = interval_days(start, end, timezone)
    started = time.perf_counter()
    log.info(
        "find_schools_to_reconcile: terms ending %s to %s (data interval %s to %s, %s), mode %s",
        first_day, last_day, start.isoformat(), end.isoformat(), timezone, mode,
    )  # fmt: skip
    with sync.connect_sis() as conn:
        terms = find_terms_ending(conn, sync.sis_schema(conn), first_day, last_day)
    planned, left_out = plan_reconciliations(terms, mode)
    for entry in planned:
        log.info(
            "find_schools_to_reconcile: school %s (%s): %s, %s to %s, %s",
            entry["school_number"], entry["school_name"], term_names(entry), entry["start_date"], entry["end_date"],
            "dry run (report mode)" if entry["conf"]["dry_run"] else "records are loaded (apply mode)",
        )  # fmt: skip
    for entry in left_out:
        log.warning("find_schools_to_reconcile: school %s is not synced: %s", entry["school_number"], entry["reason"])
    if not terms:
        log.info("find_schools_to_reconcile: no term of any school ends in this interval; nothing to reconcile")
    log.info(
        "find_schools_to_reconcile: %d school sync(s), %d school(s) left out, in %.2f s",
        len(planned), len(left_out), time.perf_counter() - started,
    )  # fmt: skip
    interval = {
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "timezone": timezone,
        "data_interval_start": start.isoformat(),
        "data_interval_end": end.isoformat(),
        "mode": mode,
    }
    return {"interval": interval, "reconciliations": planned, "left_out": left_out}


def write_district_summary(run: Run, plan: Mapping[str, Any]) -> dict[str, Any]:
    """The district summary (``reports/district/<run id>/summary.json`` and ``.html``); fails after writing it
    when a school failed, so the DAG run's state says so. An interval in which no term ends writes nothing."""
    from airflow.sdk.exceptions import AirflowFailException

    from attendance_bridge import report_html
    from attendance_bridge.staging import folder_name, reports_base, write_json

    planned, left_out = plan.get("reconciliations") or [], plan.get("left_out") or []
    if not planned and not left_out:
        log.info("write_district_summary: no term ended in this interval; no summary is written")
        return {"outcome": "nothing to reconcile", "schools": 0, "failed": 0, "summary_path": None}
    base = reports_base()
    reports, links = {}, {}
    for entry in planned:
        school_folder = f"school_{entry['school_number']}"
        run_folder = folder_name(school_run_id(run.run_id, entry["key"]))
        path = base / school_folder / run_folder / "report.json"
        reports[entry["key"]] = json.loads(path.read_text()) if path.exists() else None
        page = base / school_folder / run_folder / "report.html"
        links[entry["key"]] = f"../../{school_folder}/{run_folder}/report.html" if page.exists() else None
    summary = district_summary(run.run_id, plan["interval"], planned, left_out, reports, links)
    summary["written_at"] = datetime.now(UTC).isoformat()
    folder = base / SUMMARY_FOLDER / folder_name(run.run_id)
    folder.mkdir(parents=True, exist_ok=True)
    path = write_json(summary, folder / "summary.json")
    try:
        page = report_html.write_district_summary_page(folder, summary)
        report_html.publish_index(base)
    except Exception:  # summary.json is the record; a page that cannot be drawn must not hide the outcome
        log.exception("write_district_summary: the summary page could not be written")
        page = path
    for row in summary["schools"]:
        log.info(
            "write_district_summary: school %s %s: %s %s",
            row["school_number"], row["outcome"], row["counts"], f"({row['reason']})" if row["reason"] else "",
        )  # fmt: skip
    log.info("write_district_summary: the district summary of this run is %s (page %s)", path, page)
    if summary["failed"]:
        failed = "; ".join(f"school {row['school_number']}: {row['reason']}" for row in summary["failed"])
        raise AirflowFailException(
            f"{len(summary['failed'])} of {len(planned)} school(s) failed ({failed}). District summary: {page}"
        )
    return {"outcome": summary["outcome"], "schools": len(planned), "failed": 0, "summary_path": path}
