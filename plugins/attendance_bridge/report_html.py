"""The run report and the index of all runs as HTML pages an administrator opens from a file.

Every page is rebuilt from the files in the reports base, never patched: a run's
``report.html`` from its ``report.json`` and the CSV files next to it (plus the rollback
reports of the same school, which say whether and when the run was rolled back); the base's
``index.html`` from every ``report.json`` under it. Rebuilding is idempotent, so the sync and
the rollback both simply rebuild what they changed. Pages are written under a temporary name
and renamed, and the index writer lists the reports again after its rename and rebuilds when
the list changed meanwhile, so concurrent runs on several workers leave a complete index.

Pages are Jinja2 templates (``include/templates``) with autoescaping; they hold their CSS and
their chart (inline SVG, drawn here) and need no network: they open from a ``file://`` URL.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from attendance_bridge.settings import PROJECT_ROOT

if TYPE_CHECKING:
    import pandas as pd
    from airflow.sdk import ObjectStoragePath

log = logging.getLogger("attendance_bridge.report_html")

TEMPLATES_DIR = PROJECT_ROOT / "include" / "templates"
REPORT_JSON = "report.json"
REPORT_HTML = "report.html"
INDEX_HTML = "index.html"
SUMMARY_HTML = "summary.html"
DATA_DOCS_INDEX = "data_docs/index.html"
SYNC_DAG_ID = "attendance_bridge_sync"
ROLLBACK_DAG_ID = "attendance_bridge_rollback"
# The detail tables of a sync run: staged by the compute phase, kept as CSV next to the report.
DETAIL_TABLES = ("conflicts", "mismatches", "unscheduled", "ignored", "disagreements", "source_changes")
ROWS_SHOWN = 50
# The student columns of the detail tables: the SIS's internal id, and the school's own number.
STUDENT_ID = "studentid"
STUDENT_NUMBER = "student_number"
# Index rebuilds after which a writer stops chasing reports that keep arriving.
INDEX_ATTEMPTS = 5

COUNT_LABELS = {
    "source_records_read": "Attendance records read",
    "ignored": "Records ignored (not in session or outside the dates)",
    "candidates": "Missing records found",
    "inserted": "Records added",
    "inserted_attendance_time": "Attendance times added",
    "skipped_existing": "Skipped: the record already exists",
    "skipped_source_changed": "Not added: the record it was built from changed during the run",
    "declined_by_database": "Not kept by the database (a trigger or rule declined them)",
    "conflicts": "Conflicts (records that disagree)",
    "mismatches": "Mismatches (exists with another code)",
    "unscheduled": "Unscheduled (no class that day)",
    "outside_bridge_period": "Meeting records outside the bridge period",
    "disagreements": "Disagreements left as they are (Daily and bridge-period Meeting codes differ)",
}
# The district summary's column headings, shorter than the run page's labels.
SUMMARY_COUNT_LABELS = {
    "candidates": "Missing",
    "inserted": "Added",
    "skipped_existing": "Already there",
    "skipped_source_changed": "Left out (source changed)",
    "declined_by_database": "Not kept (database)",
    "conflicts": "Conflicts",
    "mismatches": "Mismatches",
    "unscheduled": "Unscheduled",
    "disagreements": "Disagreements",
}
PRECONDITION_LABELS = {
    "P1": "The school exists and is not the district office",
    "P2": "The school year exists for the school",
    "P3": "Exactly one recording method is current",
    "P4": "The Meeting and Daily Attendance Bridge is on",
    "P5": "Every bell schedule in use has one bridge period",
    "P6": "The attendance codes are usable",
}
PHASE_LABELS = {
    "check_parameters": "Check the parameters",
    "extract_school_tables": "Read the school's tables",
    "validate_preconditions": "Validate the preconditions",
    "compute_missing_records": "Find the missing records",
    "validate_candidates": "Validate the records to add",
    "back_up_school_records": "Back up the school's records",
    "load_missing_records": "Add the records",
    "write_report": "Write the report",
    "plan_rollback": "Plan the rollback",
    "roll_back": "Delete the run's records",
}
DETAIL_TITLES = {
    "conflicts": "Conflicts",
    "mismatches": "Mismatches",
    "unscheduled": "Unscheduled records",
    "ignored": "Ignored records",
    "disagreements": "Disagreements (Attendance Reconciliation)",
    "source_changes": "Source records changed during the run",
}
# What a page may load and run (its Content-Security-Policy meta): no script, or the index's one
# script by its hash; styles inline (base.html's <style>, the chart's colours); images only from
# its own site (a browser's favicon request), nothing from anywhere else. Every value on a page
# is escaped by Jinja; the policy is the second line (docs/decisions.md, "Data Docs per run").
PAGE_POLICY = (
    "default-src 'none'; script-src {scripts}; style-src 'unsafe-inline'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'none'"
)
# The index's filters (include/templates/), the one script of our pages.
INDEX_SCRIPT = "index_filters.js"
# Colour-blind-safe palette (Okabe-Ito), one colour per attendance code.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000", "#999999")


# --------------------------------------------------------------------------- pure parts


def code_label(codeid: Any, codes: Mapping[int, Mapping[str, Any]]) -> str:
    """An attendance code as a person reads it: "T (Tardy)", "Present (no code)" or the id."""
    if codeid is None or _is_missing(codeid):
        return ""
    code = codes.get(int(codeid))
    if code is None:
        return f"code id {int(codeid)}"
    return _code_text(code.get("att_code"), code.get("description"))


def _code_text(att_code: str | None, description: str | None) -> str:
    """ "T (Tardy)"; a blank code is the Present code (SPEC section 2)."""
    if not att_code:
        return f"{description or 'Present'} (no code)"
    return f"{att_code} ({description})" if description and description != att_code else att_code


def _is_missing(value: Any) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


def detail_frame(
    frame: pd.DataFrame, codes: Mapping[int, Mapping[str, Any]], student_numbers: Mapping[int, Any] | None = None
) -> pd.DataFrame:
    """A detail table for people: dates as dates, each code id followed by the code and its description.

    With ``student_numbers`` ({students.id: students.student_number}), ``studentid`` is followed by
    ``student_number`` (blank for a student not found); without them (they could not be read) there
    is no ``student_number`` column and the page shows the ids.
    """
    import pandas as pd

    shown = frame.copy(deep=False)
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            shown[column] = frame[column].dt.strftime("%Y-%m-%d")
    columns: list[str] = []
    for column in frame.columns:
        columns.append(column)
        if column == STUDENT_ID and student_numbers is not None:
            shown[STUDENT_NUMBER] = [
                "" if _is_missing(value) else _text(student_numbers.get(int(value)))
                for value in frame[column].astype(object)
            ]
            columns.append(STUDENT_NUMBER)
        if column.endswith("codeid"):
            label = column.removesuffix("id")
            shown[label] = [code_label(value, codes) for value in frame[column].astype(object)]
            columns.append(label)
    return shown.loc[:, columns]


def student_ids(frames: Iterable[pd.DataFrame]) -> list[int]:
    """The distinct ``studentid`` values of the detail tables, sorted (the student number lookup's parameter)."""
    found: set[int] = set()
    for frame in frames:
        if STUDENT_ID in frame.columns:
            found.update(int(value) for value in frame[STUDENT_ID].dropna().unique())
    return sorted(found)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weekly_counts(by_date_and_code: Iterable[Mapping[str, Any]]) -> tuple[list[date], list[str], dict]:
    """Records per week (Monday) and code label: the weeks in order, the codes, {(week, code): records}."""
    counts: dict[tuple[date, str], int] = {}
    for row in by_date_and_code:
        week = week_start(date.fromisoformat(str(row["att_date"])[:10]))
        code = _code_text(row.get("att_code"), row.get("description"))
        counts[(week, code)] = counts.get((week, code), 0) + int(row["records"])
    if not counts:
        return [], [], {}
    first, last = min(week for week, _ in counts), max(week for week, _ in counts)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    codes = sorted({code for _, code in counts})
    return weeks, codes, counts


def weekly_chart(by_date_and_code: Iterable[Mapping[str, Any]], title: str) -> dict[str, Any] | None:
    """A stacked bar chart (one bar per week, one colour per code) as the shapes of an SVG, or None."""
    weeks, codes, counts = weekly_counts(by_date_and_code)
    if not weeks:
        return None
    bar, gap, left, top, height = 18, 6, 48, 12, 220
    totals = [sum(counts.get((week, code), 0) for code in codes) for week in weeks]
    peak = max(totals) or 1
    step = _nice_step(peak)
    axis_max = -(-peak // step) * step
    width = left + len(weeks) * (bar + gap) + 12
    scale = height / axis_max
    bars = []
    for i, week in enumerate(weeks):
        x, y = left + i * (bar + gap) + gap, top + height
        for j, code in enumerate(codes):
            records = counts.get((week, code), 0)
            if not records:
                continue
            size = records * scale
            y -= size
            bars.append(
                {
                    "x": x, "y": round(y, 2), "width": bar, "height": round(size, 2),
                    "colour": PALETTE[j % len(PALETTE)], "code": code, "records": records,
                    "tooltip": f"week of {week.isoformat()}: {records} {code}",
                }
            )  # fmt: skip
    ticks = [{"value": value, "y": round(top + height - value * scale, 2)} for value in range(0, axis_max + 1, step)]
    labels = [
        {"x": left + i * (bar + gap) + gap + bar / 2, "text": week.strftime("%d %b")}
        for i, week in enumerate(weeks)
        if i % max(1, len(weeks) // 12) == 0
    ]
    return {
        "title": title,
        "width": width,
        "height": top + height + 60,
        "left": left,
        "top": top,
        "bottom": top + height,
        "bars": bars,
        "ticks": ticks,
        "labels": labels,
        "legend": [{"code": code, "colour": PALETTE[j % len(PALETTE)]} for j, code in enumerate(codes)],
        "weeks": len(weeks),
        "total": sum(totals),
    }


def _nice_step(peak: int) -> int:
    """A round tick step giving about five ticks up to ``peak``."""
    raw = max(1, peak / 5)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


@dataclass(frozen=True)
class DetailTable:
    """One detail table on the page: its first rows, how many there are, its CSV file (relative)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total: int
    csv: str | None
    # Students are shown by their student number (else by their id: the numbers could not be read).
    by_student_number: bool = False


def run_page(
    report: Mapping[str, Any],
    tables: list[DetailTable],
    rollback: Mapping[str, Any] | None,
    links: Mapping[str, str | None],
) -> str:
    """The HTML page of one sync run's report."""
    dry_run = bool(report.get("dry_run"))
    by_date = report.get("by_date_and_code") or []
    what = "Records this dry run would add" if dry_run else "Records added"
    counts = report.get("counts") or {}
    return _template("run_report.html").render(
        report=report,
        title=_school_title(report),
        status=_status(report, rollback),
        rollback=rollback,
        preconditions=[
            {**check, "label": PRECONDITION_LABELS.get(check["rule"], check["rule"])}
            for check in report.get("preconditions") or []
        ],
        checks=list(report.get("checks") or []) + list(report.get("candidate_checks") or []),
        counts=[
            {"name": name, "label": COUNT_LABELS.get(name, name), "value": value} for name, value in counts.items()
        ],
        chart=weekly_chart(by_date, f"{what} per week, by attendance code"),
        chart_heading=f"{what} per week",
        tables=tables,
        timings=_timings(report.get("timings") or {}),
        links=links,
        generated_at=_now(),
    )


def rollback_page(report: Mapping[str, Any], links: Mapping[str, str | None]) -> str:
    """The HTML page of one rollback run's report."""
    return _template("rollback_report.html").render(
        report=report,
        title=_school_title(report),
        timings=_timings(report.get("timings") or {}),
        links=links,
        generated_at=_now(),
    )


def district_summary_page(summary: Mapping[str, Any]) -> str:
    """The HTML page of one end-of-term run's district summary."""
    from attendance_bridge.end_of_term import SUMMARY_COUNTS

    return _template("district_summary.html").render(
        summary=summary,
        count_names=SUMMARY_COUNTS,
        count_labels={**COUNT_LABELS, **SUMMARY_COUNT_LABELS},
        generated_at=_now(),
    )


def index_page(entries: list[dict[str, Any]], summaries: list[dict[str, Any]] | None = None) -> str:
    """The HTML index of every run under the reports base, newest first, after the district summaries."""
    import markupsafe

    entries = sorted(entries, key=lambda entry: entry["when"] or "", reverse=True)
    script = (TEMPLATES_DIR / INDEX_SCRIPT).read_text(encoding="utf-8")
    return _template("index.html").render(
        # Our own file, written into the page as it is: the hash in the policy is of this text.
        index_script=markupsafe.Markup(script),
        content_security_policy=content_security_policy(script),
        entries=entries,
        summaries=sorted(summaries or [], key=lambda summary: summary["when"] or "", reverse=True),
        schools=sorted({entry["school"] for entry in entries}, key=lambda school: (len(school), school)),
        statuses=sorted({entry["status"] for entry in entries}),
        generated_at=_now(),
    )


def index_entries(reports: list[tuple[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    """One row per run for the index: ``reports`` are (folder relative to the base, report document)."""
    rollbacks = rollbacks_by_sync_run(report for _, report in reports)
    entries = []
    for folder, report in reports:
        is_rollback = report.get("dag_id") == ROLLBACK_DAG_ID
        counts = report.get("counts") or {}
        if is_rollback:
            deleted = report.get("deleted") or {}
            summary = (
                f"{report.get('outcome')}: run {report.get('sync_run_id')}; {deleted.get('attendance', 0)} deleted"
            )
        elif report.get("dry_run"):
            summary = f"dry run: would add {counts.get('candidates', 0):,}" if counts else "stopped before counting"
        else:
            summary = (
                f"added {counts.get('inserted', 0):,} of {counts.get('candidates', 0):,} found"
                if counts
                else ("stopped before counting")
            )
        school = report.get("school_number")
        entries.append(
            {
                "when": report.get("written_at") or "",
                "school": "none" if school is None else str(school),
                "school_name": report.get("school_name"),
                "kind": "rollback" if is_rollback else "sync",
                "run_id": report.get("run_id"),
                "status": _status(report, None if is_rollback else rollbacks.get(report.get("run_id"))),
                "dry_run": bool(report.get("dry_run") or (report.get("parameters") or {}).get("dry_run")),
                "triggered_by": report.get("triggered_by"),
                "summary": summary,
                "href": f"{folder}/{REPORT_HTML}",
            }
        )
    return entries


def rollbacks_by_sync_run(reports: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The rollback that undid each sync run, by the sync run's id (only rollbacks that deleted)."""
    return {
        report["sync_run_id"]: report
        for report in reports
        if report.get("dag_id") == ROLLBACK_DAG_ID and report.get("outcome") == "rolled_back"
    }


def _status(report: Mapping[str, Any], rollback: Mapping[str, Any] | None) -> str:
    """succeeded / failed / rolled back (a sync run a rollback undid)."""
    if rollback is not None:
        return "rolled back"
    return str(report.get("status") or "unknown")


def _school_title(report: Mapping[str, Any]) -> str:
    school, name = report.get("school_number"), report.get("school_name")
    if school is None:
        return "no school"
    return f"school {school} ({name})" if name else f"school {school}"


def _timings(timings: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": name, "label": PHASE_LABELS.get(name, name), "seconds": seconds} for name, seconds in timings.items()
    ]


def content_security_policy(*scripts: str) -> str:
    """A page's policy (``PAGE_POLICY``): only these inline scripts run, by their SHA-256; none without them."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'" for s in scripts]
    return PAGE_POLICY.format(scripts=" ".join(hashes) or "'none'")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _template(name: str) -> Any:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,  # older reports lack newer keys
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals["content_security_policy"] = content_security_policy()
    # JSON as text, escaped once like any value: a conf key "<b>" shows as <b>, not as Jinja's
    # tojson "\u003cb\u003e" (which is for JSON inside a script, where our pages have none).
    environment.filters["json_text"] = lambda value: json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    environment.filters["day"] = _day
    environment.filters["moment"] = _moment
    environment.filters["number"] = lambda value: (
        "" if value is None or isinstance(value, jinja2.Undefined) else f"{value:,}"
    )
    return environment.get_template(name)


def _day(value: Any) -> str:
    """An ISO date as "Mon 26 Jan 2026"."""
    if not value:
        return ""
    try:
        return date.fromisoformat(str(value)[:10]).strftime("%a %d %b %Y")
    except ValueError:
        return str(value)


def _moment(value: Any) -> str:
    """An ISO timestamp as "2026-01-26 14:05 UTC"."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --------------------------------------------------------------------------- files


def write_detail_csvs(
    folder: ObjectStoragePath,
    frames: Mapping[str, pd.DataFrame],
    codes: Mapping[int, Mapping[str, Any]],
    student_numbers: Mapping[int, Any] | None = None,
) -> dict[str, str]:
    """Each detail table as ``<name>.csv`` in the report folder (all rows); {name: file name}.

    ``student_numbers`` ({id: student_number}, None when they could not be read) add the column
    ``student_number`` beside ``studentid``.
    """
    written = {}
    for name, frame in frames.items():
        _write_text(folder / f"{name}.csv", detail_frame(frame, codes, student_numbers).to_csv(index=False))
        written[name] = f"{name}.csv"
    return written


def render_run_page(folder: ObjectStoragePath) -> ObjectStoragePath:
    """(Re)build ``report.html`` in a sync run's report folder from the files there."""
    report = json.loads((folder / REPORT_JSON).read_text())
    rollback = rollbacks_by_sync_run(_sibling_reports(folder)).get(report.get("run_id"))
    tables = [_detail_table(folder, name) for name in DETAIL_TABLES if (folder / f"{name}.csv").exists()]
    page = run_page(report, tables, rollback, _links(folder, report, rollback))
    path = folder / REPORT_HTML
    _write_text(path, page)
    return path


def render_rollback_page(folder: ObjectStoragePath) -> ObjectStoragePath:
    """(Re)build ``report.html`` in a rollback run's report folder from its ``report.json``."""
    report = json.loads((folder / REPORT_JSON).read_text())
    sync_folder = folder.parent / _folder_name(report.get("sync_run_id") or "")
    links = {
        "index": f"../../{INDEX_HTML}",
        "sync_run": f"../{sync_folder.name}/{REPORT_HTML}" if (sync_folder / REPORT_JSON).exists() else None,
        "plan": "plan.json" if (folder / "plan.json").exists() else None,
    }
    path = folder / REPORT_HTML
    _write_text(path, rollback_page(report, links))
    return path


def publish_index(base: ObjectStoragePath) -> ObjectStoragePath:
    """(Re)build ``index.html`` at the reports base from every report under it, until the list holds still."""
    path = base / INDEX_HTML
    listed = _report_files(base)
    for _ in range(INDEX_ATTEMPTS):
        reports = []
        for report_file in listed:
            try:
                reports.append((f"{report_file.parent.parent.name}/{report_file.parent.name}", _read(report_file)))
            except Exception:  # one unreadable report must not hide every other run
                log.warning("the index leaves out %s, which cannot be read", report_file, exc_info=True)
        _write_text(path, index_page(index_entries(reports), district_summaries(base)))
        # Another worker may have written a report after our listing, and its index before ours.
        again = _report_files(base)
        if _signature(again) == _signature(listed):
            break
        listed = again
    return path


def write_district_summary_page(folder: ObjectStoragePath, summary: Mapping[str, Any]) -> ObjectStoragePath:
    """``summary.html`` in an end-of-term run's summary folder."""
    path = folder / SUMMARY_HTML
    _write_text(path, district_summary_page(summary))
    return path


def publish_rollback(folder: ObjectStoragePath, sync_run_id: str | None) -> None:
    """After a rollback: its own page, the page of the sync run it undid, the index (best effort: logged)."""
    try:
        page = render_rollback_page(folder)
        sync_folder = folder.parent / _folder_name(sync_run_id or "")
        if sync_run_id and (sync_folder / REPORT_JSON).exists():
            render_run_page(sync_folder)
        publish_index(folder.parent.parent)  # <base>/school_<n>/<run id>
        log.info("the report page of this rollback is %s", page)
    except Exception:
        # The JSON report and the run log are the record; a page that cannot be drawn must not fail the run.
        log.exception("the report pages could not be written")


def _detail_table(folder: ObjectStoragePath, name: str) -> DetailTable:
    import pandas as pd

    with (folder / f"{name}.csv").open("r") as handle:
        frame = pd.read_csv(handle, dtype=str, keep_default_na=False)
    by_number = STUDENT_NUMBER in frame.columns and STUDENT_ID in frame.columns
    if by_number:
        # The page shows the school's student number in place of the internal id (the CSV has both);
        # a student whose number was not found is shown by id.
        numbers = frame[STUDENT_NUMBER].where(frame[STUDENT_NUMBER] != "", "id " + frame[STUDENT_ID])
        frame = frame.drop(columns=[STUDENT_NUMBER]).rename(columns={STUDENT_ID: STUDENT_NUMBER})
        frame[STUDENT_NUMBER] = numbers
    return DetailTable(
        name=name,
        title=DETAIL_TITLES.get(name, name),
        columns=list(frame.columns),
        rows=frame.head(ROWS_SHOWN).to_numpy().tolist(),
        total=len(frame),
        csv=f"{name}.csv",
        by_student_number=by_number,
    )


def _links(folder: ObjectStoragePath, report: Mapping[str, Any], rollback: Mapping[str, Any] | None) -> dict:
    """Relative links of a run page, only to files that exist."""

    def existing(name: str) -> str | None:
        return name if (folder / name).exists() else None

    return {
        "index": f"../../{INDEX_HTML}",
        "report_json": REPORT_JSON,
        "preconditions": existing("preconditions_validation.json"),
        "candidates": existing("candidates_validation.json"),
        "data_docs": existing(DATA_DOCS_INDEX),
        "rollback": (
            f"../{_folder_name(rollback['run_id'])}/{REPORT_HTML}"
            if rollback is not None and rollback.get("run_id")
            else None
        ),
    }


def _sibling_reports(folder: ObjectStoragePath) -> list[dict[str, Any]]:
    """The rollback reports of the same school (the folder's siblings)."""
    found = []
    for report_file in folder.parent.glob(f"*/{REPORT_JSON}"):
        try:
            document = _read(report_file)
        except Exception:
            log.warning("cannot read %s", report_file, exc_info=True)
            continue
        if document.get("dag_id") == ROLLBACK_DAG_ID:
            found.append(document)
    return found


def district_summaries(base: ObjectStoragePath) -> list[dict[str, Any]]:
    """One row per end-of-term district summary under the reports base, for the index."""
    from attendance_bridge.end_of_term import SUMMARY_FOLDER

    rows = []
    folder = base / SUMMARY_FOLDER
    for path in sorted(folder.glob("*/summary.json"), key=str) if folder.exists() else []:
        try:
            summary = _read(path)
        except Exception:  # one unreadable summary must not hide the rest
            log.warning("the index leaves out %s, which cannot be read", path, exc_info=True)
            continue
        interval = summary.get("interval") or {}
        rows.append(
            {
                "when": summary.get("written_at"),
                "href": f"{SUMMARY_FOLDER}/{path.parent.name}/{SUMMARY_HTML}",
                "run_id": summary.get("run_id"),
                "days": interval.get("first_day")
                if interval.get("first_day") == interval.get("last_day")
                else f"{interval.get('first_day')} to {interval.get('last_day')}",
                "mode": summary.get("mode"),
                "outcome": summary.get("outcome"),
                "schools": len(summary.get("schools") or []),
                "failed": len(summary.get("failed") or []),
            }
        )
    return rows


def _report_files(base: ObjectStoragePath) -> list[ObjectStoragePath]:
    if not base.exists():
        return []
    return sorted(base.glob(f"*/*/{REPORT_JSON}"), key=str)


def _signature(files: list[ObjectStoragePath]) -> list[tuple[str, Any]]:
    """What changes when a report is added or rewritten."""
    signature = []
    for path in files:
        try:
            info = path.stat()
        except FileNotFoundError:
            continue
        info = info if isinstance(info, Mapping) else {}
        signature.append((str(path), info.get("mtime") or info.get("LastModified") or info.get("size")))
    return signature


def _read(path: ObjectStoragePath) -> dict[str, Any]:
    document = json.loads(path.read_text())
    if not isinstance(document, dict):
        raise TypeError("not a report document")
    if not document.get("written_at"):
        # Reports from before written_at existed: the file's time orders them.
        document["written_at"] = _file_time(path)
    return document


def _file_time(path: ObjectStoragePath) -> str | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    mtime = info.get("mtime") if isinstance(info, Mapping) else None
    if isinstance(mtime, (int, float)):
        return datetime.fromtimestamp(mtime, UTC).isoformat()
    return str(mtime) if mtime else None


def _write_text(path: ObjectStoragePath, text: str) -> None:
    """Write under a temporary name, then rename: readers and other writers never see half a file."""
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(text)
    try:
        temporary.rename(path)
    except Exception:
        temporary.unlink(missing_ok=True)
        raise


def _folder_name(run_id: str) -> str:
    from attendance_bridge.staging import folder_name

    return folder_name(run_id)
