"""Constants of the SIS contract (SPEC section 2) and of the project, in one place."""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SQL_DIR = PROJECT_ROOT / "include" / "sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

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
ABSENT_PERIODS_OPTIONS = (ALL_PERIODS, BRIDGE_PERIOD_ONLY)

# P1 / P2: the district office is school 0; no year before 2004-2005.
DISTRICT_OFFICE_SCHOOL_NUMBER = 0
# The largest school number there can be (schools.school_number is an integer column).
LARGEST_SCHOOL_NUMBER = 2**31 - 1
FIRST_YEARID = 14
YEARID_OFFSET = 1990  # yearid = first calendar year of the school year - 1990

# The DAG that closes a sync run whose process ended (finish_run.py); the load reads its run log rows.
FINISH_RUN_DAG_ID = "attendance_bridge_finish_run"

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
