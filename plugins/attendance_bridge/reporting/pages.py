"""The report pages an administrator opens from a file: a sync run, a rollback, a district summary, the index.

Pure rendering: report documents in, HTML text out (the files are ``publish``'s). The labels
are the catalog's: the rules, the counts (the run page's and the district summary's), the
tasks and the detail tables.

Pages are Jinja2 templates (``include/templates``) with autoescaping; they hold their CSS and
their chart (inline SVG, drawn by ``chart``) and need no network: they open from a ``file://`` URL.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import jinja2
import markupsafe
import pandas as pd

from attendance_bridge.catalog import (
    COUNT_LABELS,
    PRECONDITIONS,
    ROLLBACK_DAG_ID,
    SUMMARY_COUNT_LABELS,
    TASK_LABELS,
)
from attendance_bridge.config import TEMPLATES_DIR
from attendance_bridge.reporting.chart import code_text, weekly_chart
from attendance_bridge.reporting.detail_columns import STUDENT_NUMBER
from attendance_bridge.reporting.run_folders import REPORT_HTML
from attendance_bridge.reporting.run_report import STUDENT_ID

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


def code_label(codeid: Any, codes: Mapping[int, Mapping[str, Any]]) -> str:
    """An attendance code as a person reads it: "T (Tardy)", "Present (no code)" or the id."""
    if codeid is None or _is_missing(codeid):
        return ""
    code = codes.get(int(codeid))
    if code is None:
        return f"code id {int(codeid)}"
    return code_text(code.get("att_code"), code.get("description"))


def _is_missing(value: Any) -> bool:
    return bool(pd.isna(value))


def detail_frame(
    frame: pd.DataFrame, codes: Mapping[int, Mapping[str, Any]], student_numbers: Mapping[int, Any] | None = None
) -> pd.DataFrame:
    """A detail table for people: dates as dates, each code id followed by the code and its description.

    With ``student_numbers`` ({students.id: students.student_number}), ``studentid`` is followed by
    ``student_number`` (blank for a student not found); without them (they could not be read) there
    is no ``student_number`` column and the page shows the ids.
    """
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


def _text(value: Any) -> str:
    return "" if value is None else str(value)


@dataclass(frozen=True)
class DetailTable:
    """One detail table on the page: its headings and first rows, how many there are, its CSV file (relative)."""

    name: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    total: int
    csv: str | None
    # Students are shown by their student number (else by their id: the numbers could not be read).
    by_student_number: bool = False
    # Each column's CSS class ("text": words that may wrap), in the order of ``columns``.
    classes: list[str] = field(default_factory=list)


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
        followed_by_reason=_followed_by_reason(report.get("followed_by_reason") or [], dry_run),
        title=_school_title(report),
        status=_status(report, rollback),
        rollback=rollback,
        # P1-P6 by the catalog's sentence; a warning (a non-critical check that failed) by what it checks.
        preconditions=[
            {**check, "label": PRECONDITIONS.get(check["rule"]) or check.get("description") or check["rule"]}
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


def _followed_by_reason(rows: list[Mapping[str, Any]], dry_run: bool) -> list[dict[str, Any]]:
    """report.json's copies followed per reason (F8), each with how many and what happened in words; on a dry run
    what would happen."""
    shown = []
    for row in rows:
        copies = int(row.get("copies") or 0)
        what = row.get("what_happened") or row.get("verdict") or ""
        shown.append(
            {
                **row,
                "how_many": f"{copies:,} cop{'y' if copies == 1 else 'ies'}, {'would be ' if dry_run else ''}{what}",
            }
        )
    return shown


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
    return _template("district_summary.html").render(
        summary=summary,
        count_names=tuple(SUMMARY_COUNT_LABELS),
        count_labels=SUMMARY_COUNT_LABELS,
        generated_at=_now(),
    )


def index_page(entries: list[dict[str, Any]], summaries: list[dict[str, Any]] | None = None) -> str:
    """The HTML index of every run under the reports base, newest first, after the district summaries."""
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
                "status": _status(report, None if is_rollback else rollback_of(report, rollbacks)),
                "dry_run": bool(report.get("dry_run") or (report.get("parameters") or {}).get("dry_run")),
                "triggered_by": report.get("triggered_by"),
                "summary": summary,
                "href": f"{folder}/{REPORT_HTML}",
            }
        )
    return entries


def rollbacks_by_sync_run(reports: Iterable[Mapping[str, Any]]) -> dict[tuple[str | None, str], Mapping[str, Any]]:
    """The rollback that undid each sync run (only rollbacks that deleted), by the sync run's DAG id and run id;
    the DAG id is None for a rollback whose report does not name it."""
    return {
        (report.get("sync_dag_id") or (report.get("sync_run") or {}).get("dag_id"), report["sync_run_id"]): report
        for report in reports
        if report.get("dag_id") == ROLLBACK_DAG_ID and report.get("outcome") == "rolled_back"
    }


def rollback_of(
    report: Mapping[str, Any], rollbacks: Mapping[tuple[str | None, str], Mapping[str, Any]]
) -> Mapping[str, Any] | None:
    """The rollback that undid the sync run of ``report``: the one naming its DAG and run id, else one naming
    its run id only. Runs of two DAGs may share a run id; their rollbacks must not be mixed up."""
    run_id = report.get("run_id")
    return rollbacks.get((report.get("dag_id"), run_id)) or rollbacks.get((None, run_id))


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
        {"name": name, "label": TASK_LABELS.get(name, name), "seconds": seconds} for name, seconds in timings.items()
    ]


def content_security_policy(*scripts: str) -> str:
    """A page's policy (``PAGE_POLICY``): only these inline scripts run, by their SHA-256; none without them."""
    hashes = [f"'sha256-{base64.b64encode(hashlib.sha256(s.encode('utf-8')).digest()).decode()}'" for s in scripts]
    return PAGE_POLICY.format(scripts=" ".join(hashes) or "'none'")


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _template(name: str) -> Any:
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
    environment.filters["who"] = who_triggered
    environment.filters["number"] = lambda value: (
        "" if value is None or isinstance(value, jinja2.Undefined) else f"{value:,}"
    )
    return environment.get_template(name)


# How Airflow says a run was triggered (DagRunTriggeredByType), and the user name `airflow dags test` and
# dag.test() record, in the words the pages use; report.json and the run log keep Airflow's own.
TRIGGERED_HOW = {
    "ui": "from the Airflow UI",
    "rest_api": "through the REST API",
    "cli": "from the command line",
    "timetable": "on its schedule",
    "backfill": "by a backfill",
    "asset": "by an asset update",
    "operator": "by another DAG",
    "test": "as a test run",
}
COMMAND_LINE_TEST_USER = "dag_test"


def who_triggered(value: Any) -> str:
    """Who triggered a run, as a person reads it: "admin, from the Airflow UI", "run from the command line
    (airflow dags test)", "unknown"."""
    if not value:
        return "unknown"
    user, _, how = str(value).partition(" (")
    how = how.removesuffix(")")
    if user == COMMAND_LINE_TEST_USER and how in ("", "test", "cli"):
        return "run from the command line (airflow dags test)"
    if user.startswith("(") and not how:  # no user, only how: "(timetable)"
        user, how = "", user.strip("()")
    words = TRIGGERED_HOW.get(how, how)
    return ", ".join(part for part in (user, words) if part)


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
