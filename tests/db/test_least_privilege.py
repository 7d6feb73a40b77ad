"""Least privilege: the sync and the rollback run as the pipeline's login, and the database lets it do nothing else.

The roles are set up by ``python -m attendance_bridge.database_setup`` run as the test server's
administrator, as a database administrator would, twice (it is idempotent). Roles are
cluster-wide, so each test's have unique names and are dropped afterwards; the login's password
is made up per test and lives only in the environment of the setup and of the test's Airflow
connection. X7 is the database's own guarantee here (issue 18, point 3): the login cannot change
or remove lineage, cannot delete SIS rows, and a rollback driven from a forged lineage row deletes
nothing.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import psycopg
import pytest
from attendance_bridge.config import SIS_CONN_ENV
from attendance_bridge.dev.embedded_postgres import SisConnection
from psycopg import errors, sql

from tests.support.sync_sandbox import ROOT, Sandbox, run_sync, snapshot
from tests.tasks.test_rollback import run_rollback

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class PipelineLogin:
    """The pipeline's role, the owner of its schema, and the login user the DAGs connect as."""

    role: str
    owner: str
    login: str
    connection: SisConnection


def run_setup(server: SisConnection, box: Sandbox, login: PipelineLogin | None = None, **names: str) -> str:
    """``python -m attendance_bridge.database_setup`` as the test server's administrator; its output."""
    kwargs = server.conninfo_kwargs()
    environment = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "plugins"),
        "PGHOST": str(kwargs["host"]),
        "PGPORT": str(kwargs["port"]),
        "PGUSER": str(kwargs["user"]),
        "PGDATABASE": str(kwargs["dbname"]),
        **({"PGPASSWORD": kwargs["password"]} if kwargs.get("password") else {}),
        **({"TEST_LOGIN_PASSWORD": login.connection.password} if login else {}),
    }
    arguments = [f"--{key.replace('_', '-')}={value}" for key, value in names.items()]
    if login:
        arguments += [
            f"--role={login.role}", f"--owner={login.owner}", f"--login={login.login}",
            "--login-password-env=TEST_LOGIN_PASSWORD",
        ]  # fmt: skip
    finished = subprocess.run(
        [sys.executable, "-m", "attendance_bridge.database_setup", f"--sis-schema={box.schema}",
         f"--pipeline-schema={box.pipeline_schema}", *arguments],
        capture_output=True, text=True, timeout=120, check=False, env=environment,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr
    return finished.stderr + finished.stdout


@pytest.fixture
def pipeline_login(
    sandbox: Sandbox, sis_server: SisConnection, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PipelineLogin]:
    """The roles and a login user for the sandbox's schemas, and ``sis_db`` pointed at that user."""
    suffix = uuid.uuid4().hex[:10]
    password = secrets.token_urlsafe(24)
    names = PipelineLogin(
        f"ab_pipeline_{suffix}", f"ab_owner_{suffix}", f"ab_airflow_{suffix}",
        replace(sis_server, login=f"ab_airflow_{suffix}", password=password),
    )  # fmt: skip
    try:
        for _ in range(2):  # the second run shows the setup is idempotent
            run_setup(sis_server, sandbox, names)
        monkeypatch.setenv(SIS_CONN_ENV, names.connection.airflow_json())
        yield names
    finally:
        for name in (names.login, names.role, names.owner):
            exists = sandbox.conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name]).fetchone()[0]
            if exists:
                # Its objects and every grant go with it (the sandbox drops what is left).
                sandbox.conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(name)))
                sandbox.conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def login_connection(login: PipelineLogin, autocommit: bool = True) -> psycopg.Connection:
    """A connection as the pipeline's login (which acts as the pipeline role)."""
    return psycopg.connect(**login.connection.conninfo_kwargs(), autocommit=autocommit)


def test_the_sync_and_the_rollback_run_as_the_pipeline_role(
    sandbox, sync_dag, rollback_dag, pipeline_login: PipelineLogin
) -> None:
    before = snapshot(sandbox)

    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    assert synced["counts"]["inserted"] > 0 and synced["counts"]["inserted_attendance_time"] > 0
    # The migrations' tables and the run's snapshot tables belong to the owner role, whose backup
    # function made them (migration 0008): the login can neither drop nor change them.
    owners = sandbox.q(
        "SELECT tablename ~ '^backup_[0-9]+_', tableowner FROM pg_tables WHERE schemaname = %(s)s GROUP BY 1, 2",
        s=sandbox.pipeline_schema,
    )
    assert sorted(owners) == [(False, pipeline_login.owner), (True, pipeline_login.owner)]

    # The report shows students by student number: the role reads those two columns of students.
    from tests.reporting.test_report_pages import Page, assert_student_numbers_match, run_folder

    folder = run_folder(synced["dag_id"], synced["run_id"])
    assert_student_numbers_match(sandbox, folder, Page(folder / "report.html"))

    state, report = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])

    assert state == "success", report["message"]
    assert report["deleted"]["attendance"] == synced["counts"]["inserted"]
    assert snapshot(sandbox) == before


# Statements the login must not be able to run, each with what it would do.
FORBIDDEN = {
    "update an attendance record": "UPDATE {sis}.attendance SET att_comment = 'changed' WHERE id = (SELECT min(id) FROM {sis}.attendance)",
    "update an attendance time": "UPDATE {sis}.attendance_time SET time_in = 0",
    "delete an attendance record": "DELETE FROM {sis}.attendance WHERE id = (SELECT min(id) FROM {sis}.attendance)",
    "delete attendance times": "DELETE FROM {sis}.attendance_time",
    "lock attendance against writers": "LOCK TABLE {sis}.attendance IN SHARE ROW EXCLUSIVE MODE",
    "empty attendance": "TRUNCATE {sis}.attendance",
    "write another SIS table": "INSERT INTO {sis}.prefs (schoolid, yearid, name, value) VALUES (100, 35, 'x', '1')",
    "delete from another SIS table": "DELETE FROM {sis}.cc",
    "read every column of students": "SELECT * FROM {sis}.students",
    "read students' names": "SELECT first_name, last_name FROM {sis}.students",
    "read students' other columns": "SELECT id, student_number, grade_level FROM {sis}.students",
    "change a student number": "UPDATE {sis}.students SET student_number = 0",
    "read sections": "SELECT count(*) FROM {sis}.sections",
    "create a table in the SIS schema": "CREATE TABLE {sis}.rogue (i int)",
    "drop a SIS table": "DROP TABLE {sis}.attendance",
    "alter a SIS table": "ALTER TABLE {sis}.attendance ADD COLUMN rogue int",
    "create a trigger on a SIS table": "CREATE TRIGGER rogue BEFORE INSERT ON {sis}.attendance EXECUTE FUNCTION suppress_redundant_updates_trigger()",
    "reset an id sequence": "SELECT setval(pg_get_serial_sequence('{sis}.attendance', 'id'), 1)",
    "create a schema": "CREATE SCHEMA rogue_schema",
    "read another schema": "SELECT count(*) FROM {other}.secrets",
    "become the administrator": "SET ROLE postgres",
    "become the owner of the pipeline schema": "SET ROLE {owner}",
    # X7: the lineage is append-only, and only for the transaction that inserted the row it names.
    "repoint a lineage row": "UPDATE {pipeline}.lineage SET row_id = row_id",
    "mark lineage rolled back": "UPDATE {pipeline}.lineage SET rolled_back_at = now()",
    "delete lineage": "DELETE FROM {pipeline}.lineage",
    "empty lineage": "TRUNCATE {pipeline}.lineage",
    "switch off the lineage check": "ALTER TABLE {pipeline}.lineage DISABLE TRIGGER check_new_lineage_rows",
    "drop lineage": "DROP TABLE {pipeline}.lineage",
    "forge a lineage row for a teacher's record": (
        "INSERT INTO {pipeline}.lineage (dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, "
        "source_attendance_id, row_md5, row_ctid) SELECT 'attendance_bridge_sync', 'forged', a.schoolid, "
        "'{sis_name}', 'attendance', a.id, a.id, a.parent_attendanceid, md5(a::text), a.ctid "
        "FROM {sis}.attendance a LIMIT 1"
    ),
    "forge a lineage row without saying where its row is": (
        "INSERT INTO {pipeline}.lineage (dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, "
        "source_attendance_id, row_md5) SELECT 'attendance_bridge_sync', 'forged', a.schoolid, '{sis_name}', "
        "'attendance', a.id, a.id, a.parent_attendanceid, md5(a::text) FROM {sis}.attendance a LIMIT 1"
    ),
    "forge a lineage row of another transaction": (
        "INSERT INTO {pipeline}.lineage (dag_id, run_id, school_number, sis_schema, table_name, row_id, attendance_id, "
        "source_attendance_id, row_md5, insert_xid) SELECT 'attendance_bridge_sync', 'forged', a.schoolid, "
        "'{sis_name}', 'attendance', a.id, a.id, a.parent_attendanceid, md5(a::text), a.xmin::text::xid8 "
        "FROM {sis}.attendance a LIMIT 1"
    ),
    "rewrite the load log": "UPDATE {pipeline}.load_log SET counts = '{{}}'",
    "replace the rollback function": (
        "CREATE OR REPLACE FUNCTION {pipeline}.roll_back_run_rows(text, text, text, boolean, text) RETURNS TABLE "
        "(deleted_attendance bigint, deleted_attendance_time bigint, rolled_back_at timestamptz) "
        "LANGUAGE sql AS 'SELECT 0::bigint, 0::bigint, now()'"
    ),
    "call the lineage check itself": "SELECT {pipeline}.check_new_lineage_rows()",
    # Issue 30: the login writes the SIS, the lineage, the backups and rollback marks only through
    # the owner's functions, and makes nothing in the pipeline schema.
    "insert an attendance record itself": (
        "INSERT INTO {sis}.attendance (studentid, schoolid, yearid, att_date, att_mode_code) "
        "VALUES (1, 100, 35, '2025-09-02', 'ATT_ModeDaily')"
    ),
    "insert an attendance time itself": "INSERT INTO {sis}.attendance_time (attendanceid) VALUES (1)",
    "delete rows without marking the run": "SELECT * FROM {pipeline}.delete_run_rows('attendance_bridge_sync', 'x', 'y', true)",
    "record a run as rolled back": (
        "INSERT INTO {pipeline}.run_log (dag_id, run_id, status) VALUES ('attendance_bridge_sync', 'x', 'rolled_back')"
    ),
    "delete a backup manifest": "DELETE FROM {pipeline}.backup",
    "change a backup manifest": "UPDATE {pipeline}.backup SET checksum = 'x'",
    "write a backup manifest": (
        "INSERT INTO {pipeline}.backup (dag_id, run_id, sis_schema, school_number, start_date, end_date, "
        "attendance_rows, attendance_time_rows, checksum, taken_at, verified_at) VALUES ('attendance_bridge_sync', "
        "'x', '{sis_name}', 100, '2025-09-01', '2025-09-30', 0, 0, 'x', now(), now())"
    ),
    "create a table in the pipeline schema": "CREATE TABLE {pipeline}.rogue (i int)",
    "create a function in the pipeline schema": (
        "CREATE FUNCTION {pipeline}.rogue() RETURNS int LANGUAGE sql AS 'SELECT 1'"
    ),
    "put a trigger on the lineage": (
        "CREATE TRIGGER rogue AFTER UPDATE ON {pipeline}.lineage EXECUTE FUNCTION suppress_redundant_updates_trigger()"
    ),
    # Issue 31 (F3, F4, F6): copies are recoded and withdrawn only by the owner's function, only copies, and the
    # log of what was followed is the function's.
    "withdraw a teacher's record through the follow function": (
        "SELECT * FROM {pipeline}.follow_run_copies('{sis_name}', 'attendance_bridge_sync', 'x', 100, "
        "ARRAY(SELECT ROW(a.id, 'withdraw', NULL, NULL, NULL, 'source deleted')::{pipeline}.copy_change "
        "FROM {sis}.attendance a WHERE a.schoolid = 100 AND a.id NOT IN (SELECT row_id FROM {pipeline}.lineage) LIMIT 1))"
    ),
    "recode an attendance record itself": (
        "UPDATE {sis}.attendance SET attendance_codeid = attendance_codeid WHERE id = (SELECT min(id) FROM {sis}.attendance)"
    ),
    "write the log of followed copies": (
        "INSERT INTO {pipeline}.followed (dag_id, run_id, school_number, sis_schema, attendance_id, built_dag_id, "
        "built_run_id, source_attendance_id, action, reason, studentid, att_date, row_md5_before, row_before) VALUES "
        "('attendance_bridge_sync', 'x', 100, '{sis_name}', 1, 'd', 'r', 1, 'recode', 'x', 1, '2025-09-02', 'x', '{{}}')"
    ),
    "mark a copy withdrawn": "UPDATE {pipeline}.lineage SET withdrawn_at = now()",
    "undo a run's follows without rolling it back": "SELECT * FROM {pipeline}.undo_run_follows('attendance_bridge_sync', 'x', 'y')",
}  # fmt: skip


def test_the_pipeline_role_can_do_nothing_else(sandbox, pipeline_login: PipelineLogin) -> None:
    other = f"other_{uuid.uuid4().hex[:10]}"
    sandbox.conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(other)))
    sandbox.conn.execute(sql.SQL("CREATE TABLE {}.secrets (i int)").format(sql.Identifier(other)))
    before = snapshot(sandbox)
    allowed = []
    try:
        with login_connection(pipeline_login) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == pipeline_login.role
            for what, statement in FORBIDDEN.items():
                try:
                    with conn.transaction():  # LOCK needs one; a refusal rolls it back
                        conn.execute(
                            statement.replace("{sis}", sandbox.schema).replace("{other}", other)
                            .replace("{pipeline}", sandbox.pipeline_schema).replace("{owner}", pipeline_login.owner)
                            .replace("{sis_name}", sandbox.schema).replace("{{}}", "{}")
                        )  # fmt: skip
                except (errors.InsufficientPrivilege, errors.WrongObjectType, errors.FeatureNotSupported):
                    continue
                allowed.append(what)
    finally:
        sandbox.conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(other)))
    assert allowed == []
    assert snapshot(sandbox) == before


def test_the_pipeline_role_has_what_the_load_needs(sandbox, pipeline_login: PipelineLogin) -> None:
    pipeline = sql.Identifier(sandbox.pipeline_schema)
    with login_connection(pipeline_login, autocommit=False) as conn:
        # The load's table lock needs more than reading (PostgreSQL asks for UPDATE, DELETE or TRUNCATE):
        # the login takes it through the owner's function.
        conn.execute(sql.SQL("SELECT {}.lock_sis_tables(%s, false)").format(pipeline), [sandbox.schema])
        conn.execute("CREATE TEMPORARY TABLE scratch (i int) ON COMMIT DROP")
        conn.execute("ANALYZE pg_temp.scratch")
        # Its inserts and their lineage go through the owner's function (nothing to insert here).
        counts = conn.execute(
            sql.SQL(
                "SELECT * FROM {}.insert_run_records(%s, 'attendance_bridge_sync', 'x', 100, 'ATT_ModeDaily', "
                "ARRAY[]::{}.new_record[])"
            ).format(pipeline, pipeline),
            [sandbox.schema],
        ).fetchone()
        assert counts == (0, 0, 0, 0, 0)
        conn.rollback()
        # Its backup too, in a REPEATABLE READ transaction.
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        source, copied = conn.execute(
            sql.SQL(
                "SELECT source, copied FROM {}.take_backup(%s, 'attendance_bridge_sync', 'x', 100, '2025-09-01', '2025-09-05')"
            ).format(pipeline),
            [sandbox.schema],
        ).fetchone()
        assert source == copied and source["attendance_rows"] > 0
        conn.rollback()


def test_the_pipeline_role_reads_only_the_id_and_student_number_of_students(
    sandbox, sis_server: SisConnection, pipeline_login: PipelineLogin
) -> None:
    schema = sql.Identifier(sandbox.schema)
    # An administrator once granted more; running the script again takes it back (column privileges too).
    sandbox.conn.execute(
        sql.SQL("GRANT SELECT (first_name), UPDATE (student_number) ON {}.students TO {}").format(
            schema, sql.Identifier(pipeline_login.role)
        )
    )
    run_setup(sis_server, sandbox, pipeline_login)
    granted = sandbox.q(
        "SELECT table_name, column_name, privilege_type FROM information_schema.column_privileges "
        "WHERE grantee = %(r)s AND table_schema = %(s)s AND table_name = 'students' ORDER BY 2, 3",
        r=pipeline_login.role, s=sandbox.schema,
    )  # fmt: skip
    assert granted == [("students", "id", "SELECT"), ("students", "student_number", "SELECT")]
    expected = sandbox.q("SELECT id, student_number FROM {sis}.students ORDER BY id")
    assert expected
    with login_connection(pipeline_login) as conn:
        rows = conn.execute(sql.SQL("SELECT id, student_number FROM {}.students ORDER BY id").format(schema)).fetchall()
        assert rows == expected
        for statement in ("SELECT * FROM {}.students", "SELECT first_name FROM {}.students"):
            with pytest.raises(errors.InsufficientPrivilege):
                conn.execute(sql.SQL(statement).format(schema))


def test_a_role_that_may_not_read_student_numbers_still_runs_and_shows_ids(
    sandbox, sync_dag, pipeline_login: PipelineLogin, caplog
) -> None:
    # A deployment that did not run the new role script again: no privilege on students at all.
    sandbox.conn.execute(
        sql.SQL("REVOKE SELECT ON {}.students FROM {}").format(
            sql.Identifier(sandbox.schema), sql.Identifier(pipeline_login.role)
        )
    )
    with caplog.at_level("WARNING", logger="attendance_bridge.tasks.sync_report"):
        state, synced = run_sync(sync_dag, school_number=100, year=35, dry_run=True)
    assert state == "success", synced["message"]
    assert "student numbers could not be read" in caplog.text
    from tests.reporting.test_report_pages import run_folder

    folder = run_folder(synced["dag_id"], synced["run_id"])
    header = (folder / "conflicts.csv").read_text().splitlines()[0]
    assert header.startswith("studentid,") and "student_number" not in header
    html = (folder / "report.html").read_text()
    # The page's first column is then the SIS's internal id, under its heading in words.
    assert "their student numbers could not be read" in html and "<thead><tr><th>Student id</th>" in html


def test_x7_a_forged_lineage_row_cannot_drive_a_rollback(sandbox, sync_dag, rollback_dag, pipeline_login) -> None:
    """The issue's attack, step by step, as the login: nothing of it gets through, and the real rollback still works."""
    before = snapshot(sandbox)
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    [(teacher_record,)] = sandbox.q(
        "SELECT min(a.id) FROM {sis}.attendance a WHERE a.schoolid = 100 AND NOT EXISTS "
        "(SELECT 1 FROM {pipeline}.lineage l WHERE l.row_id = a.id AND l.table_name = 'attendance')"
    )
    pipeline = sql.Identifier(sandbox.pipeline_schema)
    with login_connection(pipeline_login) as conn:
        # 1. Repoint one of the run's lineage rows at a teacher's record.
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(
                sql.SQL(
                    "UPDATE {}.lineage SET row_id = %s WHERE run_id = %s AND table_name = 'attendance' "
                    "AND row_id = (SELECT min(row_id) FROM {}.lineage WHERE run_id = %s)"
                ).format(pipeline, pipeline),
                [teacher_record, synced["run_id"], synced["run_id"]],
            )
        # 2. Add a lineage row of the run naming the teacher's record, as a load would write it.
        with pytest.raises(errors.InsufficientPrivilege, match="lineage"):
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.lineage (dag_id, run_id, school_number, sis_schema, table_name, row_id, "
                    "attendance_id, source_attendance_id, row_md5, row_ctid) SELECT 'attendance_bridge_sync', %s, "
                    "100, %s, 'attendance', a.id, a.id, a.parent_attendanceid, md5(a::text), a.ctid "
                    "FROM {}.attendance a WHERE a.id = %s"
                ).format(pipeline, sql.Identifier(sandbox.schema)),
                [synced["run_id"], sandbox.schema, teacher_record],
            )
        # 3. Delete the teacher's record directly.
        with pytest.raises(errors.InsufficientPrivilege):
            conn.execute(
                sql.SQL("DELETE FROM {}.attendance WHERE id = %s").format(sql.Identifier(sandbox.schema)),
                [teacher_record],
            )

    state, undone = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])
    assert state == "success", undone["message"]
    assert undone["deleted"]["attendance"] == synced["counts"]["inserted"]
    assert snapshot(sandbox) == before  # the teacher's record among everything else, untouched


def test_x7_the_owners_functions_never_run_on_tables_the_login_made(
    sandbox, sync_dag, pipeline_login: PipelineLogin
) -> None:
    """Objects the login controls (a temporary view, tables in the pipeline schema) cannot lend it the owner's rights.

    The login makes "attendance" tables whose reading or deleting would run its own code, and points
    the lineage check, the lock function and the rollback function at them; each refuses first.
    """
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    pipeline = sql.Identifier(sandbox.pipeline_schema)
    before = snapshot(sandbox)
    lineage_before = sandbox.q(
        "SELECT count(*), md5(string_agg(l::text, '|' ORDER BY l::text)) FROM {pipeline}.lineage l"
    )
    teacher_delete = sql.SQL("DELETE FROM {}.attendance WHERE id = (SELECT min(id) FROM {}.attendance)").format(
        sql.Identifier(sandbox.schema), sql.Identifier(sandbox.schema)
    )
    with login_connection(pipeline_login, autocommit=False) as conn:
        # A function of the login's that would delete a teacher's record with whoever runs it.
        conn.execute(
            sql.SQL("CREATE FUNCTION pg_temp.evil() RETURNS bigint LANGUAGE sql AS {}").format(
                sql.Literal(teacher_delete.as_string(conn) + " RETURNING id")
            )
        )
        conn.execute("CREATE TEMPORARY VIEW attendance AS SELECT pg_temp.evil() AS id, '(0,1)'::tid AS ctid")
        conn.execute("CREATE TEMPORARY VIEW attendance_time AS SELECT 1::bigint AS id")
        temp_schema = conn.execute("SELECT nspname FROM pg_namespace WHERE oid = pg_my_temp_schema()").fetchone()[0]
        conn.commit()
        for schema_name in (temp_schema, "pg_temp", sandbox.pipeline_schema):
            attempts = {
                "insert": sql.SQL(
                    "SELECT * FROM {}.insert_run_records(%s, 'attendance_bridge_sync', 'forged', 100, "
                    "'ATT_ModeDaily', ARRAY[]::{}.new_record[])"
                ).format(pipeline, pipeline),
                "backup": sql.SQL(
                    "SELECT * FROM {}.take_backup(%s, 'attendance_bridge_sync', 'forged', 100, '2025-09-01', "
                    "'2025-09-05')"
                ).format(pipeline),
                "lock": sql.SQL("SELECT {}.lock_sis_tables(%s, true)").format(pipeline),
            }
            for statement in attempts.values():
                with pytest.raises(errors.InsufficientPrivilege, match="X7"):
                    conn.execute(statement, [schema_name])
                conn.rollback()
    # Tables of the pipeline role's in the pipeline schema (an earlier version let it create there).
    for table, columns in (
        ("attendance", "id bigint, schoolid bigint"),
        ("attendance_time", "id bigint, attendanceid bigint"),
    ):
        sandbox.q(f"CREATE TABLE {{pipeline}}.{table} ({columns})")
        sandbox.conn.execute(
            sql.SQL("ALTER TABLE {}.{} OWNER TO {}").format(
                pipeline, sql.Identifier(table), sql.Identifier(pipeline_login.role)
            )
        )
    # A lineage row naming them can only have come from an older version (or an administrator): the
    # rollback function refuses their schema even when told to accept older rows.
    sandbox.q("ALTER TABLE {pipeline}.lineage DISABLE TRIGGER check_new_lineage_rows")
    sandbox.q(
        "INSERT INTO {pipeline}.lineage (dag_id, run_id, school_number, sis_schema, table_name, row_id, "
        "attendance_id, source_attendance_id, row_md5) "
        "VALUES ('attendance_bridge_sync', 'planted', 100, %(s)s, 'attendance', 1, 1, 1, 'x')",
        s=sandbox.pipeline_schema,
    )
    sandbox.q("ALTER TABLE {pipeline}.lineage ENABLE TRIGGER check_new_lineage_rows")
    sandbox.q(
        "INSERT INTO {pipeline}.run_log (dag_id, run_id, school_number, status) "
        "VALUES ('attendance_bridge_sync', 'planted', 100, 'succeeded')"
    )
    with login_connection(pipeline_login) as conn, pytest.raises(errors.InsufficientPrivilege, match="X7"):
        conn.execute(
            sql.SQL(
                "SELECT * FROM {}.roll_back_run_rows('attendance_bridge_sync', 'planted', 'x', true, 'someone')"
            ).format(pipeline)
        )
    sandbox.q("DELETE FROM {pipeline}.lineage WHERE run_id = 'planted'")
    sandbox.q("DELETE FROM {pipeline}.run_log WHERE run_id = 'planted'")
    assert snapshot(sandbox) == before
    assert sandbox.q("SELECT count(*), md5(string_agg(l::text, '|' ORDER BY l::text)) FROM {pipeline}.lineage l") == (
        lineage_before
    )


def test_x7_a_made_up_fingerprint_or_column_list_is_refused(sandbox, sync_dag, pipeline_login: PipelineLogin) -> None:
    """Lineage and load log rows must say what the database says: the row's md5 and the tables' columns.

    Even granted INSERT on attendance and on the lineage (a district's extra grant), the login
    cannot write a lineage row of its own: only the owner's load function writes the lineage.
    """
    schema, pipeline = sql.Identifier(sandbox.schema), sql.Identifier(sandbox.pipeline_schema)
    sandbox.conn.execute(
        sql.SQL("GRANT INSERT ON {}.attendance, {}.lineage TO {}").format(
            schema, pipeline, sql.Identifier(pipeline_login.role)
        )
    )
    with login_connection(pipeline_login, autocommit=False) as conn:
        # The login's own new row, with a fingerprint over its id only (which a later change would not alter).
        with pytest.raises(errors.InsufficientPrivilege, match="only the pipeline schema's own functions"):
            conn.execute(
                sql.SQL(
                    "WITH new_row AS (INSERT INTO {}.attendance AS a (studentid, schoolid, yearid, att_date, "
                    "att_mode_code, parent_attendanceid) VALUES (1, 100, 35, '2025-09-02', 'ATT_ModeDaily', 0) "
                    "RETURNING a.id, a.ctid, md5(ROW(a.id)::text) AS fingerprint) "
                    "INSERT INTO {}.lineage (dag_id, run_id, school_number, sis_schema, table_name, row_id, "
                    "attendance_id, source_attendance_id, row_md5, row_ctid) SELECT 'attendance_bridge_sync', "
                    "'forged', 100, %s, 'attendance', id, id, 0, fingerprint, ctid FROM new_row"
                ).format(schema, pipeline),
                [sandbox.schema],
            )
        conn.rollback()
        with pytest.raises(errors.InsufficientPrivilege, match="columns"):
            conn.execute(
                sql.SQL(
                    "INSERT INTO {}.load_log (dag_id, run_id, school_number, sis_schema, counts, sis_columns) "
                    """VALUES ('attendance_bridge_sync', 'forged', 100, %s, '{{}}', '{{"attendance": ["id"]}}')"""
                ).format(pipeline),
                [sandbox.schema],
            )
        conn.rollback()


def test_x7_a_login_that_may_update_attendance_through_another_role_cannot_point_a_rollback_at_a_teachers_record(
    sandbox, sync_dag, rollback_dag, pipeline_login: PipelineLogin
) -> None:
    """Issue 30, attack 1: a district grants the login a role that may UPDATE attendance (and, say, write the lineage).

    The login's no-op UPDATE gives a teacher's record its transaction's xmin; under migration 0007
    a lineage row naming it was then accepted, and the rollback deleted the teacher's record. Now
    the lineage is written by the owner's load function only, and the rollback marks the run
    itself: called directly, it leaves the run log saying what it did. Snapshots and manifests
    belong to the owner and stay whatever the login tries.
    """
    before = snapshot(sandbox)
    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    pipeline, schema = sql.Identifier(sandbox.pipeline_schema), sql.Identifier(sandbox.schema)
    extra = sql.Identifier(f"ab_extra_{uuid.uuid4().hex[:10]}")
    sandbox.conn.execute(sql.SQL("CREATE ROLE {}").format(extra))
    try:
        sandbox.conn.execute(
            sql.SQL(
                "GRANT UPDATE ON {}.attendance TO {role}; GRANT INSERT, UPDATE, DELETE, TRUNCATE ON {}.lineage, "
                "{}.backup TO {role}; GRANT UPDATE ON {}.run_log TO {role}; GRANT {role} TO {}"
            ).format(schema, pipeline, pipeline, pipeline, sql.Identifier(pipeline_login.login), role=extra)
        )
        [(teacher_record,)] = sandbox.q(
            "SELECT min(a.id) FROM {sis}.attendance a WHERE a.schoolid = 100 AND a.att_mode_code = 'ATT_ModeDaily' "
            "AND NOT EXISTS (SELECT 1 FROM {pipeline}.lineage l WHERE l.row_id = a.id AND l.table_name = 'attendance')"
        )
        [(snapshot_table, manifests)] = sandbox.q(
            "SELECT min(attendance_table), count(*) FROM {pipeline}.backup WHERE run_id = %(r)s", r=synced["run_id"]
        )
        with login_connection(pipeline_login, autocommit=False) as conn:
            conn.execute("SET ROLE NONE")  # the login itself, with the extra role's privileges
            conn.execute(
                sql.SQL("UPDATE {}.attendance SET att_comment = att_comment WHERE id = %s").format(schema),
                [teacher_record],
            )
            with pytest.raises(errors.InsufficientPrivilege, match="only the pipeline schema's own functions"):
                conn.execute(
                    sql.SQL(
                        "INSERT INTO {}.lineage (dag_id, run_id, school_number, sis_schema, table_name, row_id, "
                        "attendance_id, source_attendance_id, studentid, att_date, row_md5, row_ctid) "
                        "SELECT 'attendance_bridge_sync', %s, 100, %s, 'attendance', a.id, a.id, "
                        "a.parent_attendanceid, a.studentid, a.att_date, md5(a::text), a.ctid "
                        "FROM {}.attendance a WHERE a.id = %s"
                    ).format(pipeline, schema),
                    [synced["run_id"], sandbox.schema, teacher_record],
                )
            conn.rollback()
            conn.execute("SET ROLE NONE")
            refused = {
                "mark the run rolled back": sql.SQL(
                    "UPDATE {}.run_log SET status = 'rolled_back', rolled_back_at = now() WHERE run_id = %s"
                ).format(pipeline),
                "delete its manifest": sql.SQL("DELETE FROM {}.backup WHERE run_id = %s").format(pipeline),
                "change its manifest": sql.SQL("UPDATE {}.backup SET checksum = 'x' WHERE run_id = %s").format(
                    pipeline
                ),
                "empty the manifests": sql.SQL("TRUNCATE {}.backup").format(pipeline),
                "drop its snapshot": sql.SQL("DROP TABLE {}.{}").format(pipeline, sql.Identifier(snapshot_table)),
                "empty its snapshot": sql.SQL("TRUNCATE {}.{}").format(pipeline, sql.Identifier(snapshot_table)),
            }
            for statement in refused.values():
                with pytest.raises(errors.InsufficientPrivilege):
                    conn.execute(statement, [synced["run_id"]] if "%s" in statement.as_string(conn) else None)
                conn.rollback()
                conn.execute("SET ROLE NONE")
            # The rollback function called directly, outside the DAG: it deletes exactly the run's rows
            # and says so in the run log, in the same transaction.
            deleted_attendance, deleted_time, rolled_back_at = conn.execute(
                sql.SQL("SELECT * FROM {}.roll_back_run_rows('attendance_bridge_sync', %s, 'by hand', false, 'x')")
                .format(pipeline),
                [synced["run_id"]],
            ).fetchone()  # fmt: skip
            conn.commit()
        assert (deleted_attendance, deleted_time) == (
            synced["counts"]["inserted"], synced["counts"]["inserted_attendance_time"]
        )  # fmt: skip
        assert sandbox.q(
            "SELECT status, rollback_run_id, rolled_back_at FROM {pipeline}.run_log WHERE run_id = %(r)s",
            r=synced["run_id"],
        ) == [("rolled_back", "by hand", rolled_back_at)]
        assert sandbox.q(
            "SELECT count(*), min(attendance_table) FROM {pipeline}.backup WHERE run_id = %(r)s", r=synced["run_id"]
        ) == [(manifests, snapshot_table)]
        assert sandbox.q("SELECT count(*) FROM {pipeline}." + snapshot_table)[0][0] > 0
        assert snapshot(sandbox) == before  # the teacher's record among everything else, untouched

        state, again = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])
        assert state == "success", again["message"]
        assert again["outcome"] == "already_rolled_back"
    finally:
        sandbox.conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(extra))
        sandbox.conn.execute(sql.SQL("DROP ROLE {}").format(extra))
