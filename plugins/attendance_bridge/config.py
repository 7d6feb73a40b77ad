"""Constants of the SIS contract (SPEC section 2) and of the project, in one place."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
# The report pages' Jinja templates, their CSS and the index's one script.
TEMPLATES_DIR = PROJECT_ROOT / "include" / "templates"

# Airflow connection id of the district's SIS database.
SIS_CONN_ID = "sis_db"
SIS_CONN_ENV = "AIRFLOW_CONN_SIS_DB"
DEFAULT_SIS_SCHEMA = "public"

# attendance.att_mode_code values the bridge reads and writes; other modes are ignored.
MODE_DAILY = "ATT_ModeDaily"
MODE_MEETING = "ATT_ModeMeeting"

# attendance_code.presence_status_cd values (P6).
PRESENT = "Present"
ABSENT = "Absent"

# prefs names (SPEC section 2, "School settings").
PREF_RECORD_MODE_DAILY = "ATT_RecordModeDaily"
PREF_RECORD_MODE_MEETING = "ATT_RecordModeMeeting"
PREF_BRIDGE = "ATT_MeetingDailyBridge"
BRIDGE_NONE, BRIDGE_ONE_WAY, BRIDGE_TWO_WAY = "0", "1", "2"

# Run parameters (SPEC section 3).
MEETING_TO_DAILY = "meeting_to_daily"
DAILY_TO_MEETING = "daily_to_meeting"
DIRECTION_AUTO = "auto"
DIRECTIONS = (DIRECTION_AUTO, MEETING_TO_DAILY, DAILY_TO_MEETING)
ALL_PERIODS = "all_periods"
BRIDGE_PERIOD_ONLY = "bridge_period_only"
# D7: an absence goes to the bridge period and to the periods whose teacher took no attendance that day.
UNTAKEN_PERIODS = "untaken_periods"
ABSENT_PERIODS_OPTIONS = (ALL_PERIODS, BRIDGE_PERIOD_ONLY, UNTAKEN_PERIODS)
# The absent_periods under which an absence is copied beyond the bridge period (D2, D7).
EVERY_PERIOD_OPTIONS = (ALL_PERIODS, UNTAKEN_PERIODS)

# P1 / P2: the district office is school 0; no year before 2004-2005.
DISTRICT_OFFICE_SCHOOL_NUMBER = 0
# The largest school number there can be (schools.school_number is an integer column).
LARGEST_SCHOOL_NUMBER = 2**31 - 1
FIRST_YEARID = 14
YEARID_OFFSET = 1990  # yearid = first calendar year of the school year - 1990


# The pipeline's own tables (run log, lineage, backups) live in this schema of the SIS
# database. The environment variable exists so tests can give each run its own schema.
PIPELINE_SCHEMA = "attendance_bridge"
PIPELINE_SCHEMA_ENV = "ATTENDANCE_BRIDGE_SCHEMA"
# The SIS tables' schema when it is not the connection's default (current_schema()).
SIS_SCHEMA_ENV = "ATTENDANCE_BRIDGE_SIS_SCHEMA"
# Where runs stage their Parquet files and write their reports: any ObjectStoragePath URL
# (file://, s3://, ...) so workers on different machines can share them.
STAGING_BASE_ENV = "ATTENDANCE_BRIDGE_STAGING"
DEFAULT_STAGING_BASE = f"file://{PROJECT_ROOT / '.airflow' / 'staging'}"
REPORTS_BASE_ENV = "ATTENDANCE_BRIDGE_REPORTS"
DEFAULT_REPORTS_BASE = f"file://{PROJECT_ROOT / 'reports'}"


def pipeline_schema() -> str:
    """The pipeline's own schema (``attendance_bridge`` unless the environment says otherwise)."""
    return os.environ.get(PIPELINE_SCHEMA_ENV) or PIPELINE_SCHEMA


# --------------------------------------------------------------------------- deployment settings
# Read from the environment when the DAG files are parsed (a DAG processor parses them in a
# process of its own per parse), so a change applies from the next parse.

# How the tasks retry a transient database error. The scheduler times retries from the parsed DAG.
RETRIES_ENV = "ATTENDANCE_BRIDGE_RETRIES"
RETRY_DELAY_ENV = "ATTENDANCE_BRIDGE_RETRY_DELAY_SECONDS"
MAX_RETRY_DELAY_ENV = "ATTENDANCE_BRIDGE_MAX_RETRY_DELAY_SECONDS"
DEFAULT_RETRIES, DEFAULT_RETRY_DELAY_SECONDS, DEFAULT_MAX_RETRY_DELAY_SECONDS = 3, 15, 300
# The end-of-term DAG's mode when a run does not choose one (report: dry runs only), and the
# timezone in which the district's days end.
END_OF_TERM_MODE_ENV = "ATTENDANCE_BRIDGE_END_OF_TERM_MODE"
REPORT_MODE, APPLY_MODE = "report", "apply"
END_OF_TERM_MODES = (REPORT_MODE, APPLY_MODE)
# The nightly bridge's mode when a run does not choose one (SPEC B5: report unless the district chose apply).
NIGHTLY_MODE_ENV = "ATTENDANCE_BRIDGE_NIGHTLY_MODE"
TIMEZONE_ENV = "ATTENDANCE_BRIDGE_TIMEZONE"


def whole_number(name: str, default: int) -> int:
    """A non-negative whole number from the environment, or ``default`` when unset or empty."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not (text.isascii() and text.isdigit()):  # int() would also read full-width digits ("３") as 3
        raise ValueError(f"{name} must be a whole number of 0 or more, not {text!r}")
    return int(text)


def end_of_term_mode() -> str:
    """The end-of-term DAG's default mode, from ``ATTENDANCE_BRIDGE_END_OF_TERM_MODE`` (``report`` when unset)."""
    return _mode(END_OF_TERM_MODE_ENV)


def nightly_mode() -> str:
    """The nightly bridge's default mode, from ``ATTENDANCE_BRIDGE_NIGHTLY_MODE`` (``report`` when unset)."""
    return _mode(NIGHTLY_MODE_ENV)


def _mode(name: str) -> str:
    """A DAG's default mode from the environment variable ``name``: report or apply, report when unset."""
    text = os.environ.get(name, "").strip().lower()
    if not text:
        return REPORT_MODE
    if text not in END_OF_TERM_MODES:
        raise ValueError(f"{name} must be one of {', '.join(END_OF_TERM_MODES)}, not {text!r}")
    return text


def district_timezone() -> str:
    """The district's timezone, from ``ATTENDANCE_BRIDGE_TIMEZONE`` (UTC when unset): when its days end."""
    import pendulum  # Airflow's own timezones: the DAG's timetable reads the name the same way

    name = os.environ.get(TIMEZONE_ENV, "").strip() or "UTC"
    try:
        pendulum.timezone(name)
    except Exception as exc:
        raise ValueError(f"{TIMEZONE_ENV} must be an IANA timezone such as America/Chicago, not {name!r}") from exc
    return name
