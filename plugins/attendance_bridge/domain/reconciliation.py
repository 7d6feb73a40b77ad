"""The end-of-term reconciliation: which schools to sync for a data interval, and the district summary.

The ``attendance_bridge_end_of_term`` DAG asks the SIS, at run time, which terms end in its data
interval (``db.lookups.find_terms_ending``), turns them into one sync per school (``plan_reconciliations``),
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

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

from attendance_bridge.catalog import END_OF_TERM_DAG_ID, NIGHTLY_DAG_ID, SUMMARY_COUNT_LABELS
from attendance_bridge.config import (
    ABSENT_PERIODS_OPTIONS,
    ALL_PERIODS,
    BRIDGE_NONE,
    BRIDGE_ONE_WAY,
    BRIDGE_PERIOD_ONLY,
    BRIDGE_TWO_WAY,
    DAILY_TO_MEETING,
    DIRECTION_AUTO,
    END_OF_TERM_MODES,
    MEETING_TO_DAILY,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
    REPORT_MODE,
)

# B2, B3: the syncs of a night by the school's bridge setting: (direction, absent_periods).
NIGHTLY_SYNCS: dict[str, tuple[tuple[str, str], ...]] = {
    BRIDGE_ONE_WAY: ((MEETING_TO_DAILY, BRIDGE_PERIOD_ONLY),),
    BRIDGE_TWO_WAY: ((MEETING_TO_DAILY, BRIDGE_PERIOD_ONLY), (DAILY_TO_MEETING, BRIDGE_PERIOD_ONLY)),
}


def interval_days(start: datetime, end: datetime, zone: tzinfo) -> tuple[date, date]:
    """The days whose term ends this data interval covers: [start, end) as dates in the district's timezone.

    Consecutive intervals cover every day exactly once. An interval shorter than a day (a zero-length
    one, say) covers the day before its end: a term is reconciled once its last day is over.
    """
    first = _aware(start).astimezone(zone).date()
    end_day = _aware(end).astimezone(zone).date()
    last = end_day - timedelta(days=1)
    return (min(first, last), last)


def interval_record(
    start: datetime, end: datetime, first_day: date, last_day: date, timezone: str, mode: str, **more: str
) -> dict[str, str]:
    """What a district run's plan says of its interval, for its summary: its days, the data interval, the mode."""
    return {
        "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(),
        "timezone": timezone,
        "data_interval_start": start.isoformat(),
        "data_interval_end": end.isoformat(),
        "mode": mode,
        **more,
    }


def _aware(moment: datetime) -> datetime:
    """A moment with its timezone (Airflow's are aware; a naive one is read as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def plan_reconciliations(
    terms: Iterable[Mapping[str, Any]], mode: str, absent_periods: str = ALL_PERIODS
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(one sync per school and year, the schools left out with their reason), from ``find_terms_ending``'s rows.

    Each sync carries ``conf``, the parameters a manual run of ``attendance_bridge_sync`` would be
    given for the same work (``absent_periods`` for the schools that build Meeting records, D2 and
    D7), and ``key``, which names the school's part of the DAG run.
    """
    if mode not in END_OF_TERM_MODES:
        raise ValueError(f"mode must be one of {', '.join(END_OF_TERM_MODES)}, not {mode!r}")
    if absent_periods not in ABSENT_PERIODS_OPTIONS:
        raise ValueError(f"absent_periods must be one of {', '.join(ABSENT_PERIODS_OPTIONS)}, not {absent_periods!r}")
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
            "absent_periods": absent_periods,
            "start_date": entry["start_date"],
            "end_date": entry["end_date"],
            "dry_run": mode == REPORT_MODE,
        }
        planned.append({**entry, "key": key, "mode": mode, "conf": conf})
    return planned, left_out


def plan_nights(
    schools: Iterable[Mapping[str, Any]], first_day: date, last_day: date, mode: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """SPEC B1-B4: the syncs of a nightly bridge run over [first_day, last_day], and the schools left out.

    ``schools`` are ``find_bridge_schools``' rows: one per school and year whose year term covers a
    day of the interval. A one-way school ('1') gets ``meeting_to_daily`` (B2); a two-way school
    ('2') gets ``meeting_to_daily`` and ``daily_to_meeting`` on the bridge period only (B3), each a
    sync of its own. Each covers the interval's days inside its year term. A school whose bridge
    is off, not set or set twice, or that has no or two current recording methods (B4, P3), is
    left out with the reason. The entries have the end of term's shape, so the same school group
    and district summary serve both DAGs.
    """
    if mode not in END_OF_TERM_MODES:
        raise ValueError(f"mode must be one of {', '.join(END_OF_TERM_MODES)}, not {mode!r}")
    rows = sorted(schools, key=lambda row: (int(row["school_number"]), int(row["yearid"])))
    years_of: dict[int, int] = {}
    for row in rows:
        years_of[int(row["school_number"])] = years_of.get(int(row["school_number"]), 0) + 1
    planned, left_out = [], []
    for row in rows:
        school, yearid = int(row["school_number"]), int(row["yearid"])
        start = max(first_day, _date(row["firstday"]))
        end = min(last_day, _date(row["lastday"]))
        entry = {
            "school_number": school,
            "school_name": row["school_name"],
            "yearid": yearid,
            "terms": [],
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
        }
        reason = _not_bridged_because(row, school, yearid)
        if reason:
            left_out.append({**entry, "reason": reason})
            continue
        year_part = f"_year_{yearid}" if years_of[school] > 1 else ""
        for direction, absent_periods in NIGHTLY_SYNCS[str(row["bridge_values"][0])]:
            conf = {
                "school_number": school,
                "year": yearid,
                "direction": direction,
                "absent_periods": absent_periods,
                "start_date": entry["start_date"],
                "end_date": entry["end_date"],
                "dry_run": mode == REPORT_MODE,
            }
            key = f"school_{school}{year_part}_{direction}"
            planned.append({**entry, "direction": direction, "key": key, "mode": mode, "conf": conf})
    return planned, left_out


def _not_bridged_because(row: Mapping[str, Any], school: int, yearid: int) -> str | None:
    """Why a school is not bridged on a night (B1, B4), or None."""
    year = f"the {yearid + 1990}-{yearid + 1991} school year"
    methods = int(row["current_methods"] or 0)
    if methods != 1:
        which = "no current recording method" if methods == 0 else "both recording methods current"
        return (
            f"P3: school {school} has {which} for {year} ({PREF_RECORD_MODE_DAILY} and {PREF_RECORD_MODE_MEETING} "
            "must have exactly one set to '1')"
        )
    values = [str(value) for value in row["bridge_values"] or []]
    if len(values) > 1:
        return f"B1: the Meeting and Daily Attendance Bridge of school {school} has several settings for {year} ({', '.join(values)})"
    if not values or values[0] == BRIDGE_NONE:
        setting = f"off ({PREF_BRIDGE} = {values[0]!r})" if values else f"not set ({PREF_BRIDGE})"
        return f"B1: the Meeting and Daily Attendance Bridge of school {school} is {setting} for {year}"
    if values[0] not in NIGHTLY_SYNCS:
        return (
            f"B1: the Meeting and Daily Attendance Bridge of school {school} has the unknown setting {values[0]!r} "
            f"for {year} ('1' one-way, '2' two-way)"
        )
    return None


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
    """The run id of one school's sync inside an end-of-term or nightly DAG run: the run log, lineage and report
    use it. One per (run id, key), whatever the run id: a key starts with a letter and holds no "__", so the
    key is what follows the last "__" (``tests/domain/test_run_names.py``)."""
    if not key[:1].isalpha() or "__" in key:
        raise ValueError(f"a school's key must start with a letter and hold no '__', not {key!r}")
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
    dag_id: str = END_OF_TERM_DAG_ID,
) -> dict[str, Any]:
    """The district summary of one end-of-term or nightly run (``dag_id``): a row per school sync, the failed ones
    with their reason.

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
                # A nightly sync's direction is its plan's, even when it stopped before resolving one.
                "direction": ((report or {}).get("resolved") or {}).get("direction") or entry.get("direction"),
                "dry_run": entry["conf"]["dry_run"],
                "outcome": outcome,
                "reason": reason,
                "counts": {name: counts[name] for name in SUMMARY_COUNT_LABELS if name in counts},
                "report": report_links.get(entry["key"]),
            }
        )
    failed = [row for row in rows if row["outcome"] != "succeeded"]
    return {
        "dag_id": dag_id,
        "run_id": run_id,
        "mode": interval.get("mode"),
        "interval": dict(interval),
        "outcome": "failed" if failed else "succeeded",
        # A night or a day with nothing planned and nobody left out still has its summary, which says so.
        "nothing_to_reconcile": None if planned or left_out else nothing_to_reconcile(dag_id, interval),
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
        "totals": {name: sum(int(row["counts"].get(name, 0)) for row in rows) for name in SUMMARY_COUNT_LABELS},
    }


def nothing_to_reconcile(dag_id: str, interval: Mapping[str, Any]) -> str:
    """Why a district run reconciled no school, in its own DAG's words: no school's year covers the nightly
    bridge's days (B1), or no term ended on the end of term's."""
    first, last = interval["first_day"], interval["last_day"]
    days = first if first == last else f"{first} to {last}"
    one = first == last
    if dag_id == NIGHTLY_DAG_ID:
        why = "no school's year covers " + ("that day" if one else "those days")
    else:
        why = "no school's term ended " + ("that day" if one else "on those days")
    return f"nothing to reconcile on {days}: {why}"
