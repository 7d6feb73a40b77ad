"""The write path against a real PostgreSQL: migrations, the backup (X6) and the load (X1, X2, X4, X5, X7).

Every test gets a freshly generated small demo district in a schema of its own and a pipeline
schema of its own, both dropped afterwards, because most tests write to them. Records come from
the engine run on the extracted tables (both directions), so they look like a real run's.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import pandas as pd
import psycopg
import pytest
from attendance_bridge.config import ALL_PERIODS, DAILY_TO_MEETING, MEETING_TO_DAILY, MODE_DAILY
from attendance_bridge.db import migrations, run_log
from attendance_bridge.db.backup import take_backup, verified_backup
from attendance_bridge.db.connection import is_transient
from attendance_bridge.db.extract import read_school_frames
from attendance_bridge.db.load import load_records
from attendance_bridge.db.locks import LOAD_LOCK_CLASS
from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.dev.embedded_postgres import SisConnection
from attendance_bridge.domain.frames import RECORD_DTYPES, source_records
from attendance_bridge.domain.request import BridgeRequest
from attendance_bridge.domain.rules import bridge_records
from attendance_bridge.errors import BackupNotVerified, MigrationChanged
from psycopg import errors, sql

from tests.support.phases import wait_for_advisory_waiters

pytestmark = pytest.mark.integration

DAG_ID = "attendance_bridge_sync"
YEAR_START, YEAR_END = date(2025, 8, 18), date(2026, 6, 5)
# School 100 records Meeting now (builds Daily), school 200 records Daily now (builds Meeting).
SCHOOL_OF = {MEETING_TO_DAILY: 100, DAILY_TO_MEETING: 200}
RECORD_COLUMNS = [column for column in RECORD_DTYPES if column not in ("time_in", "time_out", "total_minutes")]


@dataclass
class Sandbox:
    """One test's SIS schema, pipeline schema and connection."""

    conn: psycopg.Connection
    server: SisConnection
    sis: str
    own: str

    def q(self, statement: str, **parameters: object) -> list[tuple]:
        """Run one statement with {sis} and {own} schema placeholders; rows if it returns any."""
        query = sql.SQL(statement).format(sis=sql.Identifier(self.sis), own=sql.Identifier(self.own))
        with self.conn.cursor() as cursor:
            cursor.execute(query, parameters)
            return cursor.fetchall() if cursor.description else []

    def connect(self, **options: object) -> psycopg.Connection:
        """Another connection to the same server."""
        return psycopg.connect(**self.server.conninfo_kwargs(), **options)

    def records(self, direction: str, absent_periods: str = ALL_PERIODS) -> pd.DataFrame:
        """What the engine builds for the school of ``direction`` over the year, from the current tables."""
        request = BridgeRequest(SCHOOL_OF[direction], 35, direction, absent_periods, YEAR_START, YEAR_END)
        return bridge_records(read_school_frames(self.conn, self.sis, request, self.own), request).records

    def backup(self, run_id: str, school: int) -> None:
        """X6 for the whole year of ``school``."""
        take_backup(self.conn, self.own, self.sis, DAG_ID, run_id, school, YEAR_START, YEAR_END)

    def load(self, run_id: str, school: int, records: pd.DataFrame, conn: psycopg.Connection | None = None):
        """load_records of ``records`` for ``run_id``, with their source records as the SIS holds them now."""
        direction = next(direction for direction, number in SCHOOL_OF.items() if number == school)
        request = BridgeRequest(school, 35, direction, ALL_PERIODS, YEAR_START, YEAR_END)
        sources = source_records(read_school_frames(self.conn, self.sis, request, self.own).attendance, records)
        return load_records(conn or self.conn, self.own, self.sis, DAG_ID, run_id, school, records, sources)

    def table(self, name: str) -> pd.DataFrame:
        """A whole SIS table, every column, ordered by dcid."""
        rows = self.q(f"SELECT to_jsonb(t.*) FROM {{sis}}.{name} AS t ORDER BY t.dcid")
        return pd.DataFrame([row[0] for row in rows])

    def last_dcid(self, name: str) -> int:
        """The highest dcid of a SIS table (new rows get higher ones)."""
        return self.q(f"SELECT coalesce(max(dcid), 0) FROM {{sis}}.{name}")[0][0]

    def count(self, statement: str, **parameters: object) -> int:
        """A count(*) query's number."""
        return self.q(statement, **parameters)[0][0]


@pytest.fixture
def box(sis_server: SisConnection, sis_conn: psycopg.Connection, sis_schema: str) -> Iterator[Sandbox]:
    """A small demo district and a migrated pipeline schema, both dropped after the test."""
    own = f"ab_{uuid.uuid4().hex[:12]}"
    create_sis_schema(sis_conn, sis_schema)
    generate_demo_district(sis_conn, sis_schema, students_per_school=40, seed=5)
    migrations.migrate(sis_conn, own)
    try:
        yield Sandbox(sis_conn, sis_server, sis_schema, own)
    finally:
        sis_conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(own)))


def new_attendance(box: Sandbox, last_dcid: int) -> pd.DataFrame:
    """The attendance rows added after ``last_dcid``, as the engine's columns, sorted by key."""
    rows = box.q("SELECT id, " + ", ".join(RECORD_COLUMNS) + " FROM {sis}.attendance WHERE dcid > %(d)s", d=last_dcid)
    frame = pd.DataFrame(rows, columns=["id", *RECORD_COLUMNS])
    return frame.astype({"att_date": "datetime64[s]"}).astype({c: RECORD_DTYPES[c] for c in RECORD_COLUMNS})


def by_key(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order whatever order they came in."""
    return frame.sort_values(["studentid", "att_date", "att_mode_code", "ccid", "periodid"]).reset_index(drop=True)


# --------------------------------------------------------------------------- migrations


def test_migrating_twice_applies_nothing_the_second_time(box: Sandbox) -> None:
    names = [name for name, _ in migrations.migrations()]
    assert migrations.migrate(box.conn, box.own) == []
    assert [row[0] for row in box.q("SELECT name FROM {own}.schema_migrations ORDER BY name")] == names
    tables = box.q("SELECT table_name FROM information_schema.tables WHERE table_schema = %(s)s ORDER BY 1", s=box.own)
    assert [row[0] for row in tables] == [
        "backup",
        "backup_attendance",
        "backup_attendance_time",
        "followed",
        "lineage",
        "load_log",
        "run_log",
        "schema_migrations",
    ]


def test_two_connections_migrating_a_new_schema_at_once_apply_each_migration_once(box: Sandbox) -> None:
    schema = f"ab_{uuid.uuid4().hex[:12]}"
    barrier = threading.Barrier(2)

    def migrate() -> list[str]:
        with box.connect(autocommit=True) as conn:
            barrier.wait()
            return migrations.migrate(conn, schema)

    try:
        with ThreadPoolExecutor(2) as pool:
            first, second = (future.result(60) for future in [pool.submit(migrate), pool.submit(migrate)])
        assert sorted(first + second) == [name for name, _ in migrations.migrations()]
    finally:
        box.conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def test_an_edited_applied_migration_is_refused(box: Sandbox) -> None:
    box.q("UPDATE {own}.schema_migrations SET checksum = 'edited' WHERE name = '0001_create_run_log'")
    with pytest.raises(MigrationChanged, match="0001_create_run_log"):
        migrations.migrate(box.conn, box.own)


def test_a_retried_run_starts_over_in_its_run_log_row(box: Sandbox) -> None:
    run_log.start_run(box.conn, box.own, DAG_ID, "r1", school_number=100, parameters={"school_number": 100})
    run_log.finish_run(
        box.conn, box.own, DAG_ID, "r1", "failed", {"inserted": 0}, {"load": 1.5}, "P5 failed", "/r.json",
        start_date="2025-08-18", direction=MEETING_TO_DAILY,
    )  # fmt: skip
    assert run_log.run_message(box.conn, box.own, DAG_ID, "r1") == "P5 failed"
    [run] = run_log.runs_for_school(box.conn, box.own, 100)
    assert (run["status"], run["start_date"], run["direction"], run["timings"]) == (
        "failed",
        date(2025, 8, 18),
        MEETING_TO_DAILY,
        {"load": 1.5},
    )

    run_log.start_run(box.conn, box.own, DAG_ID, "r1", school_number=100, parameters={"school_number": 100})

    [run] = run_log.runs_for_school(box.conn, box.own, 100)
    assert (run["status"], run["message"], run["finished_at"], run["counts"]) == ("running", None, None, {})
    assert run["direction"] == MEETING_TO_DAILY  # known fields stay until replaced


# --------------------------------------------------------------------------- backup (X6)


def test_x6_backup_counts_and_checksum_agree_with_the_sis_and_keep_unknown_columns(box: Sandbox) -> None:
    box.q("ALTER TABLE {sis}.attendance ADD COLUMN district_note text DEFAULT 'kept'")
    manifest = take_backup(box.conn, box.own, box.sis, DAG_ID, "r1", 100, YEAR_START, YEAR_END)

    in_range = box.count(
        "SELECT count(*) FROM {sis}.attendance WHERE schoolid = 100 AND att_date BETWEEN %(s)s AND %(e)s",
        s=YEAR_START,
        e=YEAR_END,
    )
    times = box.count(
        "SELECT count(*) FROM {sis}.attendance_time t JOIN {sis}.attendance a ON a.id = t.attendanceid "
        "WHERE a.schoolid = 100 AND a.att_date BETWEEN %(s)s AND %(e)s",
        s=YEAR_START,
        e=YEAR_END,
    )
    assert (manifest.attendance_rows, manifest.attendance_time_rows) == (in_range, times)
    assert in_range > 0 and times > 0
    assert manifest.verified_at is not None and manifest.school_number == 100
    # Every column of every row, including ones the pipeline has never heard of, in a table of its own.
    assert manifest.attendance_table == f"backup_{manifest.backup_id}_attendance"
    snapshot = f'{{own}}."{manifest.attendance_table}"'
    mismatched = box.count(
        "SELECT count(*) FROM {sis}.attendance a FULL JOIN " + snapshot + " b ON b.id = a.id "
        "WHERE (a.schoolid = 100 AND a.att_date BETWEEN %(s)s AND %(e)s OR b.id IS NOT NULL) "
        "AND (a.id IS NULL OR b.id IS NULL OR a::text <> b::text)",
        s=YEAR_START,
        e=YEAR_END,
    )
    assert mismatched == 0
    assert box.count("SELECT count(*) FROM " + snapshot + " WHERE district_note = 'kept'") == in_range
    columns = box.q(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = %(s)s AND table_name = %(t)s",
        s=box.own,
        t=manifest.attendance_table,
    )
    assert {"ip_address", "district_note"} <= {row[0] for row in columns}
    assert box.count('SELECT count(*) FROM {own}."' + manifest.attendance_time_table + '"') == times
    assert verified_backup(box.conn, box.own, DAG_ID, "r1") == manifest


def test_x6_a_retried_backup_replaces_the_earlier_snapshot(box: Sandbox) -> None:
    first = take_backup(box.conn, box.own, box.sis, DAG_ID, "r1", 100, YEAR_START, YEAR_END)
    second = take_backup(box.conn, box.own, box.sis, DAG_ID, "r1", 100, YEAR_START, YEAR_END)
    assert (second.attendance_rows, second.checksum) == (first.attendance_rows, first.checksum)
    assert second.backup_id != first.backup_id
    snapshots = box.q(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = %(s)s AND table_name ~ '^backup_[0-9]+_' "
        "ORDER BY 1",
        s=box.own,
    )
    assert [row[0] for row in snapshots] == sorted([second.attendance_table, second.attendance_time_table])
    assert box.count('SELECT count(*) FROM {own}."' + second.attendance_table + '"') == first.attendance_rows
    assert box.count("SELECT count(*) FROM {own}.backup") == 1


def test_x6_a_run_that_loaded_and_backs_up_again_keeps_the_snapshot_from_before_its_load(box: Sandbox) -> None:
    """A run cleared after its load (a backfill that reprocesses it) backs up again: its first snapshot, the SIS
    before that load, stays beside the new one, and the load checks the latest."""
    records = box.records(MEETING_TO_DAILY)
    first = take_backup(box.conn, box.own, box.sis, DAG_ID, "r1", 100, YEAR_START, YEAR_END)
    loaded = box.load("r1", 100, records)
    assert loaded.inserted_attendance > 0

    second = take_backup(box.conn, box.own, box.sis, DAG_ID, "r1", 100, YEAR_START, YEAR_END)

    assert second.backup_id > first.backup_id
    assert second.attendance_rows == first.attendance_rows + loaded.inserted_attendance
    assert box.q("SELECT backup_id FROM {own}.backup WHERE run_id = 'r1' ORDER BY 1") == [
        (first.backup_id,), (second.backup_id,)
    ]  # fmt: skip
    assert box.count('SELECT count(*) FROM {own}."' + first.attendance_table + '"') == first.attendance_rows
    assert verified_backup(box.conn, box.own, DAG_ID, "r1").backup_id == second.backup_id
    again = box.load("r1", 100, records)
    assert again.inserted_now == 0 and again.inserted_before == loaded.inserted_attendance


@pytest.mark.parametrize(
    ("tampering", "detail"),
    [
        (
            "UPDATE {own}.<attendance> SET attendance_codeid = 0 WHERE id = (SELECT min(id) FROM {own}.<attendance>)",
            "the snapshot now holds",
        ),
        (
            "DELETE FROM {own}.<attendance_time> WHERE id = (SELECT min(id) FROM {own}.<attendance_time>)",
            "the snapshot now holds",
        ),
        ("DROP TABLE {own}.<attendance_time>", "the snapshot tables backup_.* are not both in schema"),
        ("UPDATE {own}.backup SET verified_at = NULL", "the backup was never verified"),
        (
            "UPDATE {own}.backup SET attendance_table = NULL",
            "the backup was taken by an earlier version .*before migration 0005",
        ),
        ("DELETE FROM {own}.backup", "no backup was taken for this run"),
    ],
    ids=["row-changed", "row-deleted", "table-dropped", "never-verified", "pre-0005-manifest", "manifest-missing"],
)
def test_x6_a_tampered_snapshot_is_not_a_verified_backup(box: Sandbox, tampering: str, detail: str) -> None:
    manifest = take_backup(box.conn, box.own, box.sis, DAG_ID, "r1", 100, YEAR_START, YEAR_END)
    assert manifest.attendance_time_rows > 0
    box.q(
        tampering.replace("<attendance>", f'"{manifest.attendance_table}"').replace(
            "<attendance_time>", f'"{manifest.attendance_time_table}"'
        )
    )
    with pytest.raises(BackupNotVerified, match=f"X6 failed for .*run r1: {detail}"):
        verified_backup(box.conn, box.own, DAG_ID, "r1")


def test_x6_a_load_without_a_backup_raises_and_writes_nothing(box: Sandbox) -> None:
    records = box.records(MEETING_TO_DAILY)
    before = {name: box.table(name) for name in ("attendance", "attendance_time")}

    with pytest.raises(BackupNotVerified, match="no backup was taken"):
        box.load("r1", 100, records)

    for name, frame in before.items():
        pd.testing.assert_frame_equal(box.table(name), frame)
    assert box.count("SELECT count(*) FROM {own}.lineage") == 0


def test_x6_a_load_refuses_a_backup_of_another_school(box: Sandbox) -> None:
    box.backup("r1", 200)
    with pytest.raises(BackupNotVerified, match="backup is of school 200"):
        box.load("r1", 100, box.records(MEETING_TO_DAILY))


# --------------------------------------------------------------------------- load


@pytest.mark.parametrize("direction", [MEETING_TO_DAILY, DAILY_TO_MEETING])
def test_x7_load_inserts_exactly_the_records_with_times_and_lineage(box: Sandbox, direction: str) -> None:
    school = SCHOOL_OF[direction]
    records = box.records(direction)
    assert len(records) > 0
    last_attendance, last_time = box.last_dcid("attendance"), box.last_dcid("attendance_time")
    box.backup("r1", school)

    result = box.load("r1", school, records)

    landed = new_attendance(box, last_attendance)
    pd.testing.assert_frame_equal(by_key(landed.drop(columns="id")), by_key(records.loc[:, RECORD_COLUMNS]))
    daily = records["att_mode_code"] == MODE_DAILY
    assert (result.inserted_attendance, result.inserted_attendance_time, result.skipped_existing) == (
        len(records),
        int(daily.sum()),
        0,
    )
    # M3: each new Daily record has one attendance_time row with the record's times.
    times = pd.DataFrame(
        box.q(
            "SELECT a.studentid, a.att_date, t.time_in, t.time_out, t.total_minutes "
            "FROM {sis}.attendance_time t JOIN {sis}.attendance a ON a.id = t.attendanceid WHERE t.dcid > %(d)s",
            d=last_time,
        ),
        columns=["studentid", "att_date", "time_in", "time_out", "total_minutes"],
    ).astype(
        {
            "studentid": "int64",
            "att_date": "datetime64[s]",
            "time_in": "Int64",
            "time_out": "Int64",
            "total_minutes": "Int64",
        }
    )
    expected_times = records.loc[daily, ["studentid", "att_date", "time_in", "time_out", "total_minutes"]]
    pd.testing.assert_frame_equal(
        times.sort_values(["studentid", "att_date"]).reset_index(drop=True),
        expected_times.sort_values(["studentid", "att_date"]).reset_index(drop=True),
    )
    # X7: one lineage row per inserted row, naming the run, the school and the source record.
    lineage = box.q(
        "SELECT l.table_name, count(*) FILTER (WHERE a.id IS NOT NULL AND l.attendance_id = a.id "
        "AND l.source_attendance_id = a.parent_attendanceid AND l.school_number = %(school)s "
        "AND l.dag_id = %(dag)s AND l.sis_schema = %(sis)s), count(*) "
        "FROM {own}.lineage l "
        "LEFT JOIN {sis}.attendance_time t ON l.table_name = 'attendance_time' AND t.id = l.row_id "
        "LEFT JOIN {sis}.attendance a ON a.id = CASE WHEN l.table_name = 'attendance' THEN l.row_id "
        "ELSE t.attendanceid END "
        "WHERE l.run_id = 'r1' GROUP BY 1 ORDER BY 1",
        school=school,
        dag=DAG_ID,
        sis=box.sis,
    )
    expected_lineage = [("attendance", len(records), len(records))]
    if daily.any():
        expected_lineage.append(("attendance_time", int(daily.sum()), int(daily.sum())))
    assert lineage == expected_lineage
    assert set(landed["id"]) == {
        row[0] for row in box.q("SELECT row_id FROM {own}.lineage WHERE table_name = 'attendance'")
    }


@pytest.mark.parametrize("direction", [MEETING_TO_DAILY, DAILY_TO_MEETING])
def test_x1_x2_a_second_load_inserts_nothing_and_existing_rows_never_change(box: Sandbox, direction: str) -> None:
    school = SCHOOL_OF[direction]
    records = box.records(direction)
    before = {name: box.table(name) for name in ("attendance", "attendance_time")}
    box.backup("r1", school)
    first = box.load("r1", school, records)

    second = box.load("r1", school, records)
    box.backup("r2", school)
    rerun = box.load("r2", school, box.records(direction))  # the engine itself builds nothing now
    box.backup("r3", school)
    other_run = box.load("r3", school, records)  # another run with the same records

    assert first.inserted_attendance == len(records) > 0
    # The same run again (a retry): nothing new; what it has in the SIS is still its rows, not "existing".
    assert (second.inserted_now, second.inserted_before, second.skipped_existing) == (0, len(records), 0)
    assert (second.inserted_attendance, second.inserted_attendance_time) == (
        first.inserted_attendance,
        first.inserted_attendance_time,
    )
    assert (rerun.inserted_attendance, rerun.skipped_existing) == (0, 0)
    assert (other_run.inserted_attendance, other_run.skipped_existing) == (0, len(records))
    assert box.count("SELECT count(*) FROM {own}.lineage WHERE table_name = 'attendance'") == len(records)
    # X1: every row that was there before is still there, every column unchanged.
    for name, frame in before.items():
        after = box.table(name)
        pd.testing.assert_frame_equal(after.loc[after["dcid"] <= frame["dcid"].max()].reset_index(drop=True), frame)


def test_load_works_with_a_unique_index_on_attendance(box: Sandbox) -> None:
    # The demo district has duplicate records (D6, M2), as real data does; a unique key needs them gone first.
    box.q(
        "DELETE FROM {sis}.attendance a USING {sis}.attendance b WHERE a.studentid = b.studentid "
        "AND a.att_date = b.att_date AND a.att_mode_code = b.att_mode_code AND a.ccid = b.ccid "
        "AND a.periodid = b.periodid AND a.id > b.id"
    )
    box.q(
        "CREATE UNIQUE INDEX attendance_record_key ON {sis}.attendance (studentid, att_date, att_mode_code, ccid, periodid)"
    )
    for direction in (MEETING_TO_DAILY, DAILY_TO_MEETING):
        school = SCHOOL_OF[direction]
        records = box.records(direction)
        box.backup(f"r-{direction}", school)
        assert box.load(f"r-{direction}", school, records).inserted_attendance == len(records) > 0
        box.backup(f"again-{direction}", school)
        assert box.load(f"again-{direction}", school, records).skipped_existing == len(records)


@pytest.mark.parametrize("failing_table", ["attendance", "attendance_time"])
def test_x4_a_failure_in_the_middle_leaves_no_row_anywhere(box: Sandbox, failing_table: str) -> None:
    records = box.records(MEETING_TO_DAILY)
    assert len(records) > 10
    last = {name: box.last_dcid(name) for name in ("attendance", "attendance_time")}
    # Fails on the tenth row this statement inserts: rows before it are already in the table.
    box.q(
        "CREATE FUNCTION {sis}.fail_tenth() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF NEW.dcid > " + str(last[failing_table] + 9) + " THEN RAISE EXCEPTION 'disk on fire'; END IF; "
        "RETURN NEW; END $$"
    )
    box.q(
        f"CREATE TRIGGER fail_tenth AFTER INSERT ON {{sis}}.{failing_table} "
        "FOR EACH ROW EXECUTE FUNCTION {sis}.fail_tenth()"
    )
    before = {name: box.table(name) for name in ("attendance", "attendance_time")}
    box.backup("r1", 100)

    with pytest.raises(psycopg.errors.RaiseException, match="disk on fire") as raised:
        box.load("r1", 100, records)

    assert not is_transient(raised.value)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(box.table(name), frame)
    assert box.count("SELECT count(*) FROM {own}.lineage") == 0
    # The lock went with the transaction: the same school loads at once afterwards.
    box.q(f"DROP TRIGGER fail_tenth ON {{sis}}.{failing_table}")
    assert box.load("r1", 100, records).inserted_attendance == len(records)


def test_x4_load_on_a_connection_without_autocommit_commits_its_own_transaction(box: Sandbox) -> None:
    records = box.records(MEETING_TO_DAILY)
    box.backup("r1", 100)
    with box.connect(autocommit=False) as conn:
        result = box.load("r1", 100, records, conn=conn)
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        conn.execute("SELECT 1")  # now inside a transaction the caller opened
        with pytest.raises(ValueError, match="outside any transaction"):
            box.load("r1", 100, records, conn=conn)
        conn.rollback()
    assert result.inserted_attendance == len(records)
    assert box.count("SELECT count(*) FROM {own}.lineage WHERE table_name = 'attendance'") == len(records)


def test_x5_a_load_waits_for_the_same_school_but_not_for_another(box: Sandbox) -> None:
    meeting, daily = box.records(DAILY_TO_MEETING), box.records(MEETING_TO_DAILY)
    box.backup("r200", 200)
    box.backup("r100", 100)
    finished: dict[str, float] = {}

    def load(run_id: str, school: int, records: pd.DataFrame) -> None:
        with box.connect(autocommit=True) as conn:
            box.load(run_id, school, records, conn=conn)
            finished[run_id] = time.monotonic()

    with box.connect(autocommit=False) as holder:
        # Another load of school 200 in progress: it holds the school's lock until it commits.
        holder.execute("SELECT pg_advisory_xact_lock(%s, %s)", (LOAD_LOCK_CLASS, 200))
        waiting = threading.Thread(target=load, args=("r200", 200, meeting))
        waiting.start()
        load("r100", 100, daily)  # another school is not blocked
        wait_for_advisory_waiters(box.conn, (LOAD_LOCK_CLASS, 200))  # school 200's load waits
        assert "r100" in finished and "r200" not in finished
        assert box.count("SELECT count(*) FROM {own}.lineage WHERE school_number = 200") == 0
        released = time.monotonic()
        holder.commit()
    waiting.join(60)
    assert finished["r200"] >= released
    assert box.count("SELECT count(*) FROM {own}.lineage WHERE school_number = 200") == len(meeting)


def test_load_refuses_records_it_cannot_load_as_they_are(box: Sandbox) -> None:
    records = box.records(DAILY_TO_MEETING)
    box.backup("r1", 200)
    with pytest.raises(ValueError, match="repeating another's student, day, mode, ccid and period"):
        box.load("r1", 200, pd.concat([records, records.head(2)]))
    with pytest.raises(ValueError, match="another school than 100"):
        box.load("r1", 100, records)
    assert box.count("SELECT count(*) FROM {own}.lineage") == 0


def test_is_transient_retries_connection_and_serialisation_errors_only() -> None:
    assert is_transient(psycopg.OperationalError("connection refused"))
    assert is_transient(errors.SerializationFailure())
    assert is_transient(errors.DeadlockDetected())
    assert is_transient(errors.AdminShutdown())
    assert not is_transient(errors.UniqueViolation())
    assert not is_transient(errors.NumericValueOutOfRange())
    assert not is_transient(BackupNotVerified(100, "r1", "no backup was taken for this run"))
    assert not is_transient(ValueError("bad records"))
