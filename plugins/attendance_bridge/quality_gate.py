"""The Great Expectations gate of the sync: preconditions P3-P6 and the candidates' checks.

The preconditions are relational ("every bell schedule used by an in-session day has exactly
one bridge item"), so each suite validates a small frame built here with one row per object
being judged (the school, a day, a bell schedule in use, an attendance code used) and a
``label`` that names it for a person. The candidates' frame can hold a million rows, so it
has no label: GX lists its offenders by row number and only those get a label afterwards. The
suites are JSON files in ``expectations/``; each expectation's ``meta`` carries its rule id,
whether it is critical, a description and the sentence template a failure is reported with.
Great Expectations is imported only when a gate runs, with its loggers quieted: it is slow to
import, the DAG file must parse without it, and it logs some 200 INFO lines while importing.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from attendance_bridge.data_docs_assets import escaped_results, localise, protect
from attendance_bridge.errors import PreconditionFailed
from attendance_bridge.frames import SchoolFrames
from attendance_bridge.rules import calendar_rows_per_day
from attendance_bridge.settings import (
    DAILY_TO_MEETING,
    EXPECTATIONS_DIR,
    MEETING_TO_DAILY,
    MODE_DAILY,
    MODE_MEETING,
    PREF_BRIDGE,
    PREF_RECORD_MODE_DAILY,
    PREF_RECORD_MODE_MEETING,
)

log = logging.getLogger(__name__)

PRECONDITION_SUITES = (
    "preconditions_school_settings",
    "preconditions_calendar",
    "preconditions_bell_schedules",
    "preconditions_attendance_codes",
    "data_quality_enrolments",
)
CANDIDATE_SUITE = "candidates"
# How many offending objects a failure message names before it says "and N more".
NAMED_IN_MESSAGE = 5
# The text a known attendance code without a presence status is judged (and reported) with.
NO_STATUS = "(none)"
# GX logs at INFO while it is imported (~200 lines from _docs_decorators alone), and
# data_context.types.base sets its own logger to INFO on import; Airflow's task log would show
# them all. Both are set to WARNING before the import and again after it.
GX_LOGGERS = ("great_expectations", "great_expectations.data_context.types.base")
# A run's Data Docs: GX's stores (the suites and every validation result of the run, as JSON
# files) and the static HTML site GX renders from them, side by side in one folder.
GX_STORE_FOLDER = "gx_store"
DATA_DOCS_FOLDER = "data_docs"
DATA_DOCS_SITE = "run_site"
# Row numbers -> the labels naming those rows (for frames too large to carry a label column).
Labeller = Callable[[Sequence[int]], list[str]]


class SuiteLoadError(ValueError):
    """A suite file that Great Expectations did not load in full."""


@dataclass(frozen=True)
class CheckResult:
    """One expectation's verdict, in words."""

    rule: str
    suite: str
    expectation: str
    description: str
    critical: bool
    passed: bool
    message: str


@dataclass(frozen=True)
class ValidationOutcome:
    """Every check of a gate and Great Expectations' full results (for the audit)."""

    checks: tuple[CheckResult, ...]
    results: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        """No critical check failed."""
        return not self.failures()

    def failures(self) -> list[CheckResult]:
        """The failed critical checks."""
        return [check for check in self.checks if check.critical and not check.passed]

    def raise_for_failure(self, school_number: int) -> None:
        """Refuse the run: "P5 failed for school 100: ... P6 failed for school 100: ...".

        Every failed rule is named with its objects, in the order of the checks; the message
        (and the exception's ``rule``) starts with the first one.
        """
        failures = self.failures()
        if not failures:
            return
        by_rule: dict[str, list[str]] = {}
        for check in failures:
            by_rule.setdefault(check.rule, []).append(check.message)
        (first, first_messages), *others = by_rule.items()
        detail = " ".join(
            [*first_messages, *(str(PreconditionFailed(rule, school_number, " ".join(m))) for rule, m in others)]
        )
        raise PreconditionFailed(first, school_number, detail)


# --------------------------------------------------------------------------- suites


def suite_document(name: str, folder: Path = EXPECTATIONS_DIR) -> dict[str, Any]:
    """A suite's JSON file as a dict."""
    return json.loads((folder / f"{name}.json").read_text())


def load_suite(name: str, folder: Path = EXPECTATIONS_DIR) -> Any:
    """The suite as a GX ExpectationSuite; refuses a file GX did not load in full.

    GX 1.x can drop an expectation it does not understand while loading a suite; a gate with
    a check silently missing would pass data it should stop, so the count is compared.
    """
    _import_gx()
    from great_expectations.core.expectation_suite import ExpectationSuite

    document = suite_document(name, folder)
    written = len(document.get("expectations", []))
    try:
        suite = ExpectationSuite(**document)
    except Exception as exc:
        raise SuiteLoadError(f"the expectation suite {name}.json could not be loaded: {exc}") from exc
    if len(suite.expectations) != written or written == 0:
        raise SuiteLoadError(
            f"the expectation suite {name}.json holds {written} expectations but Great Expectations "
            f"loaded {len(suite.expectations)}; fix the file before running the gate"
        )
    return suite


# --------------------------------------------------------------------------- P3 and P4


def recording_direction(prefs: pd.DataFrame) -> str | None:
    """P3: the direction ``auto`` means, or None unless exactly one method is current."""
    current = _current_methods(prefs)
    if current == [PREF_RECORD_MODE_MEETING]:
        return MEETING_TO_DAILY
    if current == [PREF_RECORD_MODE_DAILY]:
        return DAILY_TO_MEETING
    return None


def _current_methods(prefs: pd.DataFrame) -> list[str]:
    """The recording-method prefs set to '1'."""
    methods = prefs.loc[prefs["name"].isin([PREF_RECORD_MODE_DAILY, PREF_RECORD_MODE_MEETING])]
    return sorted(set(methods.loc[methods["value"].astype("str").str.strip() == "1", "name"]))


def school_settings(prefs: pd.DataFrame, school_number: int) -> pd.DataFrame:
    """One row for the school: how many recording methods are current, and its bridge setting.

    ``bridge`` is the pref's value, or "none" (0), "missing" (no row, or a NULL or blank
    value: GX would skip a missing value and pass it) or "set more than once".
    """
    current = _current_methods(prefs)
    bridges = prefs.loc[prefs["name"] == PREF_BRIDGE, "value"].astype("str").str.strip().fillna("").tolist()
    value = bridges[0] if bridges else ""
    bridge = "set more than once" if len(bridges) > 1 else {"": "missing", "0": "none"}.get(value, value)
    setting = {"missing": "is missing", "none": "is set to none (0)", "set more than once": "is set more than once"}
    both = f"{PREF_RECORD_MODE_DAILY} and {PREF_RECORD_MODE_MEETING}"
    methods = {
        0: f"neither is set as current ({both} are not 1)",
        2: f"both are set as current ({both} are both 1)",
    }
    return pd.DataFrame(
        {
            "label": [f"school {school_number}"],
            "current_methods": [len(current)],
            "methods": [methods.get(len(current), ", ".join(current))],
            "bridge": [bridge],
            "bridge_setting": [setting.get(bridge, f"is set to '{bridge}'")],
        }
    )


# --------------------------------------------------------------------------- P5


def in_session_days(frames: SchoolFrames, school_number: int, start: date, end: date) -> pd.DataFrame:
    """One row per in-session day of the range: how many calendar rows, a bell schedule, a cycle day letter.

    A day with several calendar rows is one row here, named once; its bell schedule and letter
    are judged over its in-session rows.
    """
    calendar = frames.calendar_day
    rows = calendar.loc[
        (calendar["schoolid"] == school_number)
        & (calendar["insession"] == 1).fillna(False)
        & calendar["date_value"].between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    letters = frames.cycle_day.rename(columns={"id": "cycle_day_id"}).astype({"cycle_day_id": "Int64"})
    rows = rows.merge(letters, on="cycle_day_id", how="left").assign(
        has_bell_schedule=lambda days: days["bell_schedule_id"].notna(),
        has_cycle_day=lambda days: days["letter"].notna(),
    )
    days = (
        rows.groupby("date_value", as_index=False)
        .agg(has_bell_schedule=("has_bell_schedule", "all"), has_cycle_day=("has_cycle_day", "all"))
        .merge(calendar_rows_per_day(frames, school_number, start, end), on="date_value", validate="one_to_one")
    )
    day = days["date_value"].dt.strftime("%Y-%m-%d")
    return pd.DataFrame(
        {
            "label": "the in-session day " + day,
            "day": day,
            "calendar_rows": days["calendar_rows"].to_numpy(),
            "bell_schedules": days["bell_schedules"].to_numpy(),
            "has_bell_schedule": days["has_bell_schedule"].to_numpy(dtype=bool),
            "has_cycle_day": days["has_cycle_day"].to_numpy(dtype=bool),
        }
    )


def bell_schedules_in_use(frames: SchoolFrames, school_number: int, start: date, end: date) -> pd.DataFrame:
    """One row per bell schedule an in-session day of the range uses, with its bridge item(s)."""
    calendar = frames.calendar_day
    days = calendar.loc[
        (calendar["schoolid"] == school_number)
        & (calendar["insession"] == 1).fillna(False)
        & calendar["date_value"].between(pd.Timestamp(start), pd.Timestamp(end))
        & calendar["bell_schedule_id"].notna()
    ]
    used = (
        days.groupby("bell_schedule_id", as_index=False)["date_value"]
        .min()
        .rename(columns={"date_value": "first_day"})
        .astype({"bell_schedule_id": "int64"})
        .merge(frames.bell_schedule.rename(columns={"id": "bell_schedule_id"}), on="bell_schedule_id", how="left")
    )
    items = frames.bell_schedule_items
    bridge_items = items.loc[(items["daily_attendance_code"] == 1).fillna(False)]
    counted = bridge_items.groupby("bell_schedule_id").agg(
        bridge_items=("id", "size"),
        period_id=("period_id", "first"),
        time_in=("daily_time_in_default", "first"),
        time_out=("daily_time_out_default", "first"),
    )
    schedules = used.merge(counted, left_on="bell_schedule_id", right_index=True, how="left")
    one_bridge = schedules["bridge_items"] == 1
    times_sound = schedules["time_in"].notna() & schedules["time_out"].notna()
    times_sound &= (schedules["time_in"] < schedules["time_out"]).fillna(False)
    name = schedules["name"].fillna("(no name)")
    return pd.DataFrame(
        {
            "label": "the bell schedule '"
            + name
            + "' (id "
            + schedules["bell_schedule_id"].astype("str")
            + ", first used on "
            + schedules["first_day"].dt.strftime("%Y-%m-%d")
            + ")",
            "bridge_items": schedules["bridge_items"].fillna(0).astype("int64").to_numpy(),
            # Times and period are judged only where there is exactly one bridge item, so a
            # schedule without one is reported once, for that.
            "default_times_sound": (times_sound | ~one_bridge).to_numpy(),
            "default_times": "time in " + _clock(schedules["time_in"]) + ", time out " + _clock(schedules["time_out"]),
            "bridge_period_exists": (schedules["period_id"].isin(frames.period["id"]) | ~one_bridge).to_numpy(),
            "bridge_period_id": schedules["period_id"].astype("Int64").astype("str").to_numpy(),
        }
    ).astype({"default_times": "str"})


def _clock(seconds: pd.Series) -> pd.Series:
    """Seconds since midnight as HH:MM, '(none)' when empty."""
    values = pd.to_numeric(seconds, errors="coerce")
    text = (
        (values // 3600).astype("Int64").astype("str").str.zfill(2)
        + ":"
        + (values % 3600 // 60).astype("Int64").astype("str").str.zfill(2)
    )
    return text.where(values.notna(), NO_STATUS)


# --------------------------------------------------------------------------- P6


def attendance_codes_used(frames: SchoolFrames, school_number: int, start: date, end: date) -> pd.DataFrame:
    """One row per attendance code the school's Daily and Meeting records of the range refer to.

    Every record of the range counts, in session or not: a record nobody can read is a problem
    whatever day it is on, and a clear refusal beats a guess (decided here).
    """
    records = frames.attendance.loc[
        (frames.attendance["schoolid"] == school_number)
        & frames.attendance["att_date"].between(pd.Timestamp(start), pd.Timestamp(end))
    ]
    used = (
        records.assign(code=records["attendance_codeid"].astype("Int64"))
        .sort_values(["att_date", "id"])
        .groupby("code", dropna=False, as_index=False)
        .agg(
            records=("id", "size"),
            first_day=("att_date", "first"),
            first_record=("id", "first"),
            first_student=("studentid", "first"),
        )
    )
    codes = frames.attendance_code.rename(columns={"id": "code"}).astype({"code": "Int64"})
    used = used.merge(codes, on="code", how="left", indicator=True)
    known = (used["_merge"] == "both").to_numpy()
    return pd.DataFrame(
        {
            "label": [_code_label(row, is_known) for row, is_known in zip(used.itertuples(), known, strict=True)],
            "code_exists": known,
            # A known code with a NULL or blank status is judged as "(none)", which is neither
            # Present nor Absent; GX skips missing values, so an unknown code (no status) is
            # reported once, as unknown.
            "presence_status": _status(used["presence_status_cd"]).where(known),
        }
    )


def _code_label(row: Any, known: bool) -> str:
    """A code as a clerk sees it, and the records that use it.

    "the attendance code 'E' (id 13, used by 4 records from 2025-09-02 on)", "the blank
    attendance code (id 11, ...)" (the Present code); an id no code has is named with the
    first record that uses it, so the record can be found.
    """
    count = f"{row.records} record{'' if row.records == 1 else 's'}"
    if not known:
        code = "the attendance code id " + ("(empty)" if pd.isna(row.code) else str(row.code))
        return (
            f"{code} (used by {count}, the first being record {row.first_record} of student id "
            f"{row.first_student} on {row.first_day:%Y-%m-%d})"
        )
    att_code = "" if pd.isna(row.att_code) else str(row.att_code).strip()
    code = f"the attendance code '{att_code}'" if att_code else "the blank attendance code"
    return f"{code} (id {row.code}, used by {count} from {row.first_day:%Y-%m-%d} on)"


def _status(statuses: pd.Series) -> pd.Series:
    """presence_status_cd as judged: stripped, and "(none)" when NULL or blank."""
    text = statuses.astype("str").str.strip()
    return text.where(text.fillna("") != "", NO_STATUS)


# --------------------------------------------------------------------------- data quality


def enrolments(frames: SchoolFrames) -> pd.DataFrame:
    """One row per enrolment: does it last at least one day (dateleft is exclusive)."""
    cc = frames.cc
    return pd.DataFrame(
        {
            "label": "the enrolment cc.id "
            + cc["id"].astype("str")
            + " of student "
            + cc["studentid"].astype("str")
            + " ("
            + cc["dateenrolled"].dt.strftime("%Y-%m-%d")
            + " to "
            + cc["dateleft"].dt.strftime("%Y-%m-%d")
            + ")",
            "lasts_a_day": (cc["dateleft"] > cc["dateenrolled"]).fillna(False).to_numpy(),
        }
    )


# --------------------------------------------------------------------------- candidates


def candidate_checks(records: pd.DataFrame, frames: SchoolFrames, direction: str, school_number: int) -> pd.DataFrame:
    """One row per record to insert, with a boolean per candidate check (C1-C4).

    The frame's index is the record's position in ``records``; GX lists offenders by it and
    ``candidate_labels`` names the few that are reported (see ``_validate`` for why).
    """
    target_mode = MODE_DAILY if direction == MEETING_TO_DAILY else MODE_MEETING
    key = ["studentid", "att_date"] if target_mode == MODE_DAILY else ["studentid", "att_date", "ccid", "periodid"]
    sizes = records.groupby(key)["studentid"].transform("size") if not records.empty else pd.Series(dtype="int64")
    # An existing row with an empty key part (a Meeting row without enrolment or period) is
    # never a record the run builds, and cannot take the records' integer dtypes.
    existing = frames.attendance.loc[frames.attendance["att_mode_code"] == target_mode, key].dropna().drop_duplicates()
    exists = records.loc[:, key].merge(existing.astype(records.dtypes[key].to_dict()), on=key, how="left",
                                       indicator=True)["_merge"].eq("both")  # fmt: skip
    daily = records["att_mode_code"] == MODE_DAILY
    return pd.DataFrame(
        {
            "key_count": sizes.to_numpy(dtype="int64"),
            "mode": records["att_mode_code"].astype("str").to_numpy(),
            "schoolid": records["schoolid"].to_numpy(),
            "calendar_day_exists": records["calendar_dayid"].isin(frames.calendar_day["id"]).to_numpy(),
            "code_exists": records["attendance_codeid"].isin(frames.attendance_code["id"]).to_numpy(),
            "enrolment_exists": (
                daily & records["ccid"].eq(0) | ~daily & records["ccid"].isin(frames.cc["id"])
            ).to_numpy(),
            "period_exists": (
                daily & records["periodid"].eq(0) | ~daily & records["periodid"].isin(frames.period["id"])
            ).to_numpy(),
            "source_exists": records["parent_attendanceid"].isin(frames.attendance["id"]).to_numpy(),
            "already_in_sis": exists.to_numpy(),
        }
    )


def candidate_labels(records: pd.DataFrame, rows: Sequence[int]) -> list[str]:
    """Names for the records at these positions, for a person reading the refusal."""
    picked = records.iloc[list(rows)]
    return [
        f"the record for student {record.studentid} on {record.att_date:%Y-%m-%d} "
        f"(period id {record.periodid}, enrolment {record.ccid})"
        for record in picked.itertuples(index=False)
    ]


# --------------------------------------------------------------------------- the gates


def validate_preconditions(
    frames: SchoolFrames,
    prefs: pd.DataFrame,
    school_number: int,
    start_date: date,
    end_date: date,
    run_name: str,
    docs_folder: Path | None = None,
) -> ValidationOutcome:
    """P3-P6 and the data-quality checks over one school's extracted frames.

    With ``docs_folder``, the suites and results are also kept in GX's store there, for
    ``build_run_data_docs`` (see ``_validate``).
    """
    checked = {
        "preconditions_school_settings": school_settings(prefs, school_number),
        "preconditions_calendar": in_session_days(frames, school_number, start_date, end_date),
        "preconditions_bell_schedules": bell_schedules_in_use(frames, school_number, start_date, end_date),
        "preconditions_attendance_codes": attendance_codes_used(frames, school_number, start_date, end_date),
        "data_quality_enrolments": enrolments(frames),
    }
    return _validate(checked, run_name, {"school_number": school_number}, docs_folder=docs_folder)


def validate_candidates(
    records: pd.DataFrame,
    frames: SchoolFrames,
    direction: str,
    run_name: str,
    school_number: int | None = None,
    docs_folder: Path | None = None,
) -> ValidationOutcome:
    """C1-C4: unique keys, existing references, nothing already in the SIS, the right mode and school.

    ``docs_folder``: as for ``validate_preconditions``; the same folder gets both gates' results.
    """
    school = school_number if school_number is not None else _only_school(records, frames)
    target_mode = MODE_DAILY if direction == MEETING_TO_DAILY else MODE_MEETING
    frame = candidate_checks(records, frames, direction, school)
    return _validate(
        {CANDIDATE_SUITE: frame},
        run_name,
        {"school_number": school, "target_mode": target_mode},
        {CANDIDATE_SUITE: lambda rows: candidate_labels(records, rows)},
        docs_folder=docs_folder,
    )


def _only_school(records: pd.DataFrame, frames: SchoolFrames) -> int:
    """The school of the extracted calendar (candidates must all be of it)."""
    schools = frames.calendar_day["schoolid"].unique()
    return int(schools[0]) if len(schools) == 1 else -1


def _validate(
    frames: Mapping[str, pd.DataFrame],
    run_name: str,
    values: Mapping[str, Any],
    labellers: Mapping[str, Labeller] | None = None,
    docs_folder: Path | None = None,
) -> ValidationOutcome:
    """Run each suite on its frame in one ephemeral GX context; checks in words, results in full.

    With ``docs_folder`` (a local folder), the context keeps its suites and validation results
    as files in ``docs_folder/gx_store``, where both gates of a run add theirs;
    ``build_run_data_docs`` renders the run's site from them once, when the run is reported (a
    gate's render cost 0.65 s on the critical path, twice per run). The results of a validation
    are in the store as GX wrote them (offenders by row number); the audit JSON returned here
    has the labels.

    A frame with a labeller in ``labellers`` (the candidates) has no ``label`` column and no
    ``unexpected_index_column_names``: for those GX reads every offending row one by one with
    ``DataFrame.at`` in Python, which took 30 s per two failed checks on 900,000 records, text
    label or integer column alike; without them it lists the offenders' index, a row number
    (under a second). The first 20 offenders per check get their label afterwards, in the
    messages and in the results kept for the audit.
    """
    gx = _import_gx()
    context = _context(docs_folder, run_name)
    from great_expectations.core.run_identifier import RunIdentifier

    run_id = RunIdentifier(run_name=run_name)
    checks: list[CheckResult] = []
    results: dict[str, Any] = {}
    source = context.data_sources.add_pandas("attendance_bridge")
    for name, frame in frames.items():
        suite = _with_values(load_suite(name), values)
        # add_or_update: a retried task finds its suites in the run's store already.
        suite = _stored(context.suites.add_or_update(suite), len(suite.expectations))
        definition = source.add_dataframe_asset(name).add_batch_definition_whole_dataframe("whole")
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=name, data=definition, suite=suite)
        )
        # COMPLETE lists every offender; the candidates can be hundreds of thousands of rows,
        # so there the first twenty (SUMMARY), found by row number, name enough of them.
        # The precondition frames are small, so every column rides along to fill the messages.
        labeller = (labellers or {}).get(name)
        result_format: dict[str, Any] = {"result_format": "SUMMARY", "partial_unexpected_count": 20}
        if not labeller:
            result_format = {"result_format": "COMPLETE", "unexpected_index_column_names": list(frame.columns)}
        result = validation.run(
            batch_parameters={"dataframe": _for_gx(frame)}, result_format=result_format, run_id=run_id
        )
        document = result.to_json_dict()
        if labeller:
            _name_offenders(document, frame, labeller)
        results[name] = document
        checks.extend(_checks(name, document, values))
    return ValidationOutcome(tuple(checks), results)


def build_run_data_docs(docs_folder: Path, run_name: str) -> tuple[Path, float]:
    """Render run ``run_name``'s Data Docs site from the results its gates kept in ``docs_folder``.

    Returns the site's index page and the seconds it took. Without results in the store (a run
    stopped before its first gate) the site has no validation page.

    GX writes result values into its pages as markup, and they hold SIS text (a bell schedule's
    name, a code, a pref's value). So the site is rendered from a copy of the store whose
    results have their values HTML-escaped (``data_docs_assets.escaped_results``); the store
    itself, like the audit JSON, keeps them as validated.
    """
    with tempfile.TemporaryDirectory(prefix="gx_rendered_from_") as copy:
        store = _escaped_store(docs_folder / GX_STORE_FOLDER, Path(copy))
        return _build_data_docs(_context(docs_folder, run_name, store), run_name, docs_folder)


def _escaped_store(store: Path, copy: Path) -> Path:
    """``store`` copied into ``copy``, every validation result's values HTML-escaped; the copy."""
    if store.is_dir():
        shutil.copytree(store, copy, dirs_exist_ok=True)
    for path in (copy / "validations").glob("**/*.json"):
        path.write_text(json.dumps(escaped_results(json.loads(path.read_text()))))
    return copy


def _stored(suite: Any, loaded: int) -> Any:
    """The suite as the context's store gave it back, refused if it lost an expectation on the way."""
    if len(suite.expectations) != loaded:
        raise SuiteLoadError(
            f"the expectation suite {suite.name} had {loaded} expectations but Great Expectations stored "
            f"{len(suite.expectations)}; fix the file before running the gate"
        )
    return suite


def _build_data_docs(context: Any, run_name: str, docs_folder: Path) -> tuple[Path, float]:
    """Render the run's Data Docs site from the store; its index page and the seconds it took.

    The site is rebuilt whole (not only this gate's pages): GX's index lists the pages that have
    a result in the store and removes the others, so the store must, and does, hold the run's
    every result. Static files no page or stylesheet names (two animated GIFs of GX's tutorial,
    3.3 MB of the 4 MB GX copies) are removed, so each run's site stays small.
    """
    started = time.perf_counter()
    site = docs_folder / DATA_DOCS_FOLDER
    context.build_data_docs(site_names=[DATA_DOCS_SITE])
    _prune_static(site)
    # GX's pages load jQuery and Bootstrap from CDNs; the site carries its own copies.
    localise(site)
    # Last, as it hashes the pages' inline scripts as they are: each page's Content-Security-Policy.
    protect(site)
    seconds = time.perf_counter() - started
    log.info("Data Docs of run %s rebuilt in %.2f s: %s", run_name, seconds, site / "index.html")
    return site / "index.html", seconds


def _prune_static(site: Path) -> None:
    """Remove the files under ``site/static`` whose name no page or stylesheet of the site mentions."""
    static = site / "static"
    pages = [path for path in site.rglob("*") if path.suffix in (".html", ".css") and path.is_file()]
    text = "\n".join(path.read_text(errors="replace") for path in pages)
    for path in static.rglob("*"):
        if path.is_file() and path.suffix != ".css" and path.name not in text:
            path.unlink()
    for folder in sorted((p for p in static.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if not any(folder.iterdir()):
            folder.rmdir()


def _name_offenders(document: Mapping[str, Any], frame: pd.DataFrame, labeller: Labeller) -> None:
    """GX's row numbers of offenders (at most 20 per check) as {row, checked value, label}."""
    for outcome in document["results"]:
        result = outcome.get("result") or {}
        rows = [int(row) for row in result.get("partial_unexpected_index_list") or []]
        if not rows:
            continue
        column = outcome["expectation_config"]["kwargs"]["column"]
        values = frame[column].iloc[rows].tolist()
        result["partial_unexpected_index_list"] = [
            {"row": row, column: value, "label": label}
            for row, value, label in zip(rows, values, labeller(rows), strict=True)
        ]


def _import_gx() -> Any:
    """great_expectations, imported with its loggers at WARNING (see ``GX_LOGGERS``)."""
    for name in GX_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import great_expectations as gx
        import great_expectations.data_context.types.base  # re-levels its logger on import
    for name in GX_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    return gx


def _context(docs_folder: Path | None = None, run_name: str = "", store: Path | None = None) -> Any:
    """An ephemeral GX context without progress bars or usage statistics.

    With ``docs_folder``, its suites and validation results are files under
    ``docs_folder/gx_store`` (or ``store``) and it has one Data Docs site, ``docs_folder/data_docs``, without
    GX's "how to" buttons and without profiling pages, listing the validations of ``run_name``
    (GX's default filter would hide a run whose name contains "profiling"). Data sources and validation definitions
    stay in memory: they hold the frames, and a retried task adds them again.
    """
    gx = _import_gx()
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    if docs_folder is None:
        context = gx.get_context(mode="ephemeral")
    else:
        defaults = InMemoryStoreBackendDefaults()
        store = store or docs_folder / GX_STORE_FOLDER
        for name, kind, folder in (
            (defaults.expectations_store_name, "ExpectationsStore", "expectations"),
            (defaults.validation_results_store_name, "ValidationResultsStore", "validations"),
        ):
            defaults.stores[name] = {
                "class_name": kind,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(store / folder)},
            }
        defaults.data_docs_sites = {
            DATA_DOCS_SITE: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {
                    "class_name": "TupleFilesystemStoreBackend",
                    "base_directory": str(docs_folder / DATA_DOCS_FOLDER),
                },
                "site_section_builders": {
                    "profiling": "None",
                    "validations": {"run_name_filter": {"equals": run_name}},
                },
            }
        }
        context = gx.get_context(mode="ephemeral", project_config=DataContextConfig(store_backend_defaults=defaults))
    # Progress bars would go into the task logs as hundreds of lines of carriage returns.
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def _with_values(suite: Any, values: Mapping[str, Any]) -> Any:
    """Fill run-dependent kwargs written as "$name" in the suite file (the school, the target mode)."""
    for expectation in suite.expectations:
        for key in ("value_set",):
            current = getattr(expectation, key, None)
            if isinstance(current, list) and any(isinstance(v, str) and v.startswith("$") for v in current):
                setattr(expectation, key, [values.get(v[1:], v) if isinstance(v, str) else v for v in current])
    return suite


def _for_gx(frame: pd.DataFrame) -> pd.DataFrame:
    """pandas 3 string columns as object columns, the dtype GX's pandas engine expects."""
    text = [column for column, dtype in frame.dtypes.items() if str(dtype) in ("str", "string")]
    return frame.astype({column: "object" for column in text}) if text else frame


def _checks(suite_name: str, document: Mapping[str, Any], values: Mapping[str, Any]) -> list[CheckResult]:
    """One CheckResult per expectation result, with a message naming the offending objects."""
    checks = []
    for outcome in document["results"]:
        configuration = outcome["expectation_config"]
        meta = configuration.get("meta") or {}
        passed = bool(outcome["success"])
        checks.append(
            CheckResult(
                rule=meta.get("rule", "?"),
                suite=suite_name,
                expectation=configuration["type"],
                description=meta.get("description", ""),
                critical=bool(meta.get("critical", True)),
                passed=passed,
                message="" if passed else _message(meta, configuration, outcome, values),
            )
        )
    return checks


def _message(
    meta: Mapping[str, Any], configuration: Mapping[str, Any], outcome: Mapping[str, Any], values: Mapping[str, Any]
) -> str:
    """The suite's sentence template, filled in for the first few offending objects.

    The template may name the offender's columns, ``{value}`` (the checked column's value)
    and the run's values (``{school_number}``, ``{target_mode}``).
    """
    if outcome.get("exception_info", {}).get("raised_exception"):
        return f"the check '{meta.get('description', configuration['type'])}' could not run: " + str(
            outcome["exception_info"].get("exception_message")
        )
    result = outcome.get("result") or {}
    offenders = result.get("unexpected_index_list") or result.get("partial_unexpected_index_list") or []
    column = configuration["kwargs"].get("column")
    template = meta.get("message", "{label}: " + meta.get("description", "check failed"))
    sentences = [template.format(**{**values, **row, "value": row.get(column)}) for row in offenders[:NAMED_IN_MESSAGE]]
    count = int(result.get("unexpected_count") or len(offenders))
    more = f" (and {count - NAMED_IN_MESSAGE} more)" if count > NAMED_IN_MESSAGE else ""
    return "; ".join(sentences) + more + "."
