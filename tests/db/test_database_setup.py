"""The database setup trusts nothing it did not grant or create (issue 30, docs/safety.md "Set up").

``python -m attendance_bridge.database_setup`` runs as the test server's administrator on a SIS schema
shared by the module (roles and pipeline schema are each test's own, dropped afterwards). Each attack
of the review: the login may UPDATE attendance through another role, or through PUBLIC; the login,
while an earlier version let the pipeline role own the lineage, attached a trigger, a rule, a policy,
a view... The setup refuses, naming each grant and the way it comes, or each object, and changes
nothing; with ``--revoke-other-grants`` / ``--drop-other-objects`` it takes them away, naming each.
And the manifest of the migrations' objects is what the migrations create.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import psycopg
import pytest
from attendance_bridge.dev.demo_district import create_sis_schema, generate_demo_district
from attendance_bridge.dev.embedded_postgres import SisConnection
from psycopg import errors, sql

from tests.support.sync_sandbox import ROOT

pytestmark = pytest.mark.integration

REVOKE, DROP = "--revoke-other-grants", "--drop-other-objects"


@dataclass
class Setup:
    """One test's roles and pipeline schema on the module's SIS schema, and the administrator's connection."""

    conn: psycopg.Connection
    server: SisConnection
    sis: str
    pipeline: str
    role: str
    owner: str
    login: str
    password: str
    # Roles a test made (dropped afterwards).
    others: list[str] = field(default_factory=list)

    def run(self, *flags: str) -> subprocess.CompletedProcess:
        """The setup as the administrator (its output is on stderr)."""
        kwargs = self.server.conninfo_kwargs()
        environment = {
            **os.environ,
            "PYTHONPATH": str(ROOT / "plugins"),
            "PGHOST": str(kwargs["host"]),
            "PGPORT": str(kwargs["port"]),
            "PGUSER": str(kwargs["user"]),
            "PGDATABASE": str(kwargs["dbname"]),
            **({"PGPASSWORD": str(kwargs["password"])} if kwargs.get("password") else {}),
            "TEST_LOGIN_PASSWORD": self.password,
        }
        return subprocess.run(
            [sys.executable, "-m", "attendance_bridge.database_setup", f"--sis-schema={self.sis}",
             f"--pipeline-schema={self.pipeline}", f"--role={self.role}", f"--owner={self.owner}",
             f"--login={self.login}", "--login-password-env=TEST_LOGIN_PASSWORD", *flags],
            capture_output=True, text=True, timeout=120, check=False, env=environment,
        )  # fmt: skip

    def succeeds(self, *flags: str) -> str:
        finished = self.run(*flags)
        assert finished.returncode == 0, finished.stderr
        return finished.stderr

    def refused(self, *flags: str) -> str:
        finished = self.run(*flags)
        assert finished.returncode == 1, f"the setup did not refuse:\n{finished.stderr}"
        assert "database_setup: nothing was changed:" in finished.stderr
        return finished.stderr

    def q(self, statement: str, *params: object) -> list[tuple]:
        """A statement as the administrator, with {sis}, {pipeline}, {role}, {owner}, {login} as identifiers."""
        names = {key: sql.Identifier(getattr(self, key)) for key in ("sis", "pipeline", "role", "owner", "login")}
        cursor = self.conn.execute(sql.SQL(statement).format(**names), params)
        return cursor.fetchall() if cursor.description else []

    def as_login(self) -> psycopg.Connection:
        """A connection as the pipeline's login (its sessions start as the pipeline role)."""
        server = replace(self.server, login=self.login, password=self.password)
        return psycopg.connect(**server.conninfo_kwargs(), autocommit=True)

    def grantor(self, role: str, member: str) -> str:
        [(name,)] = self.conn.execute(
            "SELECT pg_get_userbyid(grantor) FROM pg_auth_members WHERE roleid = %s::regrole AND member = %s::regrole",
            [role, member],
        ).fetchall()
        return name


@pytest.fixture(scope="module")
def sis(sis_server: SisConnection) -> Iterator[tuple[psycopg.Connection, str]]:
    """A small demo district (a few students per school) in a SIS schema shared by the module's tests."""
    schema = f"sis_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(**sis_server.conninfo_kwargs(), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        try:
            create_sis_schema(conn, schema)
            generate_demo_district(conn, schema, students_per_school=3, seed=3)
            yield conn, schema
        finally:
            conn.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))


@pytest.fixture
def setup(sis: tuple[psycopg.Connection, str], sis_server: SisConnection) -> Iterator[Setup]:
    """The test's role names and pipeline schema (each test runs the setup itself); dropped afterwards."""
    conn, schema = sis
    suffix = uuid.uuid4().hex[:10]
    names = Setup(
        conn, sis_server, schema, f"ab_{suffix}", f"ab_pipeline_{suffix}", f"ab_owner_{suffix}",
        f"ab_airflow_{suffix}", secrets.token_urlsafe(24),
    )  # fmt: skip
    try:
        yield names
    finally:
        for name in (*names.others, names.login, names.role, names.owner):
            if conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", [name]).fetchone()[0]:
                conn.execute(sql.SQL("DROP OWNED BY {} CASCADE").format(sql.Identifier(name)))
                conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(names.pipeline)))


def may_update_attendance(setup: Setup, *, as_role: str | None) -> bool:
    """Whether the login may UPDATE attendance, acting as ``as_role`` (None: as itself; RESET ROLE would go
    back to the pipeline role, its sessions' default)."""
    with setup.as_login() as conn:
        conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(as_role or setup.login)))
        try:
            conn.execute(
                sql.SQL("UPDATE {}.attendance SET att_comment = att_comment WHERE false").format(
                    sql.Identifier(setup.sis)
                )
            )
        except errors.InsufficientPrivilege:
            return False
        return True


def test_a_login_that_may_update_attendance_through_another_role_is_refused_by_name_or_revoked(
    setup: Setup,
) -> None:
    clean = setup.succeeds()
    # The review's reproduction: a role that may UPDATE attendance, granted to the login.
    w = f"w_{uuid.uuid4().hex[:8]}"
    setup.others.append(w)
    setup.q(f"CREATE ROLE {w}")
    setup.q(f"GRANT UPDATE ON {{sis}}.attendance TO {w}")
    setup.q(f"GRANT {w} TO {{login}}")
    grantor = setup.grantor(w, setup.login)
    assert may_update_attendance(setup, as_role=None)

    refusal = setup.refused()

    assert (
        f"{setup.login} may UPDATE {setup.sis}.attendance through role {w} (granted to {setup.login} by {grantor})"
        in refusal
    )
    assert REVOKE in refusal
    assert may_update_attendance(setup, as_role=None)  # nothing was changed

    revoked = setup.succeeds(REVOKE)

    assert f"revoked ({REVOKE}): revoked role {w} from {setup.login} (granted by {grantor})" in revoked
    assert f"grants beyond the setup's to {setup.login} and {setup.role}: 1 revoked" in revoked
    assert not may_update_attendance(setup, as_role=None)
    assert not may_update_attendance(setup, as_role=setup.role)
    with pytest.raises(errors.InsufficientPrivilege):
        may_update_attendance(setup, as_role=w)  # no longer a member: may not even act as w
    # A run with nothing to refuse says so.
    assert f"grants beyond the setup's to {setup.login} and {setup.role}: none" in clean
    assert f"objects in or on schema {setup.pipeline} its migrations did not create: none" in clean


def test_grants_to_public_and_through_nested_roles_are_named_and_public_sis_grants_never_revoked(
    setup: Setup,
) -> None:
    setup.succeeds()
    inner, outer = f"inner_{uuid.uuid4().hex[:8]}", f"outer_{uuid.uuid4().hex[:8]}"
    setup.others += [outer, inner]
    setup.q(f"CREATE ROLE {inner} BYPASSRLS")
    setup.q(f"CREATE ROLE {outer}")
    setup.q(f"GRANT TRUNCATE ON {{sis}}.prefs TO {inner}")
    setup.q(f"GRANT {inner} TO {outer}")
    setup.q(f"GRANT {outer} TO {{role}}")  # the pipeline role itself, two roles deep
    setup.q("GRANT DELETE ON {pipeline}.lineage TO PUBLIC")
    setup.q("GRANT UPDATE (time_in) ON {sis}.attendance_time TO PUBLIC")
    try:
        refusal = setup.refused()

        assert (
            f"{setup.login} may UPDATE {setup.sis}.attendance_time (column time_in) through PUBLIC (granted by "
            in refusal
        )
        assert f"{setup.login} may DELETE {setup.pipeline}.lineage through PUBLIC (granted by {setup.owner})" in refusal
        way = (
            f"through role {outer} (granted to {setup.role} by {setup.grantor(outer, setup.role)}), then role "
            f"{inner} (granted to {outer} by {setup.grantor(inner, outer)})"
        )
        assert f"{setup.role} may TRUNCATE {setup.sis}.prefs {way}" in refusal
        assert f"{setup.role} may act as a BYPASSRLS role {way}" in refusal
        # The SIS's PUBLIC grant is the administrator's decision: named, with the statement to consider, and
        # refused even when told to revoke (which then changes nothing either).
        assert f"REVOKE UPDATE (time_in) ON {setup.sis}.attendance_time FROM PUBLIC" in refusal
        still = setup.refused(REVOKE)
        assert "the setup never changes these" in still and f"{setup.sis}.attendance_time (column time_in)" in still
        assert f"{setup.sis}.prefs" not in still  # what it would have revoked is not the question any more
        assert setup.q("SELECT has_table_privilege('public', %s, 'DELETE')", f"{setup.pipeline}.lineage") == [(True,)]
        assert setup.q("SELECT pg_has_role(%s, %s, 'MEMBER')", setup.role, inner) == [(True,)]

        setup.q("REVOKE UPDATE (time_in) ON {sis}.attendance_time FROM PUBLIC")
        revoked = setup.succeeds(REVOKE)

        assert f"revoked role {outer} from {setup.role}" in revoked
        assert f"revoked DELETE ON {setup.pipeline}.lineage FROM PUBLIC (granted by {setup.owner})" in revoked
        assert setup.q("SELECT has_table_privilege('public', %s, 'DELETE')", f"{setup.pipeline}.lineage") == [(False,)]
        assert setup.q("SELECT pg_has_role(%s, %s, 'MEMBER')", setup.role, inner) == [(False,)]
    finally:
        setup.q("REVOKE ALL ON {sis}.attendance_time FROM PUBLIC")


def plant_as_an_earlier_version(setup: Setup) -> None:
    """The pipeline role owns the schema and the lineage, as an earlier version of the setup left them, and a
    run's snapshot tables (named by a backup manifest)."""
    setup.q("ALTER SCHEMA {pipeline} OWNER TO {role}")
    setup.q("ALTER TABLE {pipeline}.lineage OWNER TO {role}")
    setup.q("CREATE TABLE {pipeline}.backup_7_attendance (LIKE {sis}.attendance)")
    setup.q("CREATE TABLE {pipeline}.backup_7_attendance_time (LIKE {sis}.attendance_time)")
    setup.q("ALTER TABLE {pipeline}.backup_7_attendance OWNER TO {role}")
    setup.q("ALTER TABLE {pipeline}.backup_7_attendance_time OWNER TO {role}")
    setup.q(
        "INSERT INTO {pipeline}.backup (dag_id, run_id, sis_schema, school_number, start_date, end_date, "
        "attendance_rows, attendance_time_rows, checksum, taken_at, verified_at, backup_id, attendance_table, "
        "attendance_time_table) VALUES ('attendance_bridge_sync', 'earlier', %s, 200, '2025-09-01', '2025-09-30', "
        "0, 0, 'x', now(), now(), 7, 'backup_7_attendance', 'backup_7_attendance_time')",
        setup.sis,
    )


def attached_to_pipeline_tables(setup: Setup) -> list[tuple]:
    """Every trigger, rule and policy on a table of the pipeline schema, and the tables with row level security."""
    return setup.q(
        "SELECT 'trigger', c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE c.relnamespace = %s::regnamespace AND NOT t.tgisinternal "
        "UNION ALL SELECT 'rule', c.relname, r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class "
        "WHERE c.relnamespace = %s::regnamespace AND r.rulename <> '_RETURN' "
        "UNION ALL SELECT 'policy', c.relname, p.polname FROM pg_policy p JOIN pg_class c ON c.oid = p.polrelid "
        "WHERE c.relnamespace = %s::regnamespace "
        "UNION ALL SELECT 'row level security', c.relname, '' FROM pg_class c "
        "WHERE c.relnamespace = %s::regnamespace AND c.relrowsecurity ORDER BY 1, 2, 3",
        *[setup.pipeline] * 4,
    )


def school_200_records(setup: Setup) -> int:
    return setup.q("SELECT count(*) FROM {sis}.attendance WHERE schoolid = 200")[0][0]


def test_a_trigger_the_login_attached_to_the_lineage_is_refused_by_name_or_dropped(setup: Setup) -> None:
    setup.succeeds()
    plant_as_an_earlier_version(setup)
    manifest_triggers = attached_to_pipeline_tables(setup)
    records = school_200_records(setup)
    delete_one = (
        f"DELETE FROM {setup.sis}.attendance "
        f"WHERE id = (SELECT min(id) FROM {setup.sis}.attendance WHERE schoolid = 200)"
    )
    with setup.as_login() as conn:
        pipeline = sql.Identifier(setup.pipeline)
        conn.execute(
            sql.SQL("CREATE FUNCTION {}.forget_one() RETURNS trigger LANGUAGE plpgsql AS {}").format(
                pipeline, sql.Literal(f"BEGIN {delete_one}; RETURN NULL; END")
            )
        )
        conn.execute(
            sql.SQL("CREATE TRIGGER forget_one AFTER UPDATE ON {}.lineage EXECUTE FUNCTION {}.forget_one()").format(
                pipeline, pipeline
            )
        )
        conn.execute(
            sql.SQL("CREATE TRIGGER forget_one AFTER INSERT ON {}.backup_7_attendance EXECUTE FUNCTION {}.forget_one()")
            .format(pipeline, pipeline)
        )  # fmt: skip

    refusal = setup.refused()

    for planted in (
        (
            f"trigger forget_one on {setup.pipeline}.lineage: CREATE TRIGGER forget_one AFTER UPDATE ON "
            f"{setup.pipeline}.lineage FOR EACH STATEMENT EXECUTE FUNCTION {setup.pipeline}.forget_one()"
        ),
        f"trigger forget_one on {setup.pipeline}.backup_7_attendance: CREATE TRIGGER forget_one AFTER INSERT",
        f"function {setup.pipeline}.forget_one() (owned by {setup.role})",
    ):
        assert planted in refusal
    assert DROP in refusal
    assert setup.q(
        "SELECT tableowner FROM pg_tables WHERE schemaname = %s AND tablename = 'lineage'", setup.pipeline
    ) == [(setup.role,)]  # nothing was changed: not even handed over

    dropped = setup.succeeds(DROP)

    assert f"dropped ({DROP}): trigger forget_one on {setup.pipeline}.lineage" in dropped
    assert f"dropped ({DROP}): trigger forget_one on {setup.pipeline}.backup_7_attendance" in dropped
    assert f"dropped ({DROP}): function {setup.pipeline}.forget_one() (owned by {setup.role})" in dropped
    assert attached_to_pipeline_tables(setup) == manifest_triggers
    assert setup.q("SELECT count(*) FROM pg_proc WHERE proname = 'forget_one'") == [(0,)]
    # The lineage and the run's snapshot tables are the owner's, kept, with nothing of the login's.
    assert sorted(
        setup.q(
            "SELECT tablename, tableowner FROM pg_tables WHERE schemaname = %s AND tablename IN "
            "('lineage', 'backup_7_attendance', 'backup_7_attendance_time')",
            setup.pipeline,
        )
    ) == [("backup_7_attendance", setup.owner), ("backup_7_attendance_time", setup.owner), ("lineage", setup.owner)]
    # What a rollback does to the lineage, as the owner, deletes no teacher's record.
    setup.q("SET ROLE {owner}")
    try:
        setup.q("UPDATE {pipeline}.lineage SET rolled_back_at = rolled_back_at WHERE false")
    finally:
        setup.q("RESET ROLE")
    assert school_200_records(setup) == records


def test_a_view_a_rule_a_policy_and_other_objects_of_the_login_are_refused_by_name_or_dropped(
    setup: Setup,
) -> None:
    setup.succeeds()
    plant_as_an_earlier_version(setup)
    manifest_triggers = attached_to_pipeline_tables(setup)
    planted = {
        "view": "CREATE VIEW {pipeline}.recent_lineage AS SELECT run_id, row_id FROM {pipeline}.lineage",
        "rule": "CREATE RULE forget_one AS ON UPDATE TO {pipeline}.lineage DO ALSO DELETE FROM {sis}.attendance "
        "WHERE id = (SELECT min(id) FROM {sis}.attendance WHERE schoolid = 200)",
        "policy": "CREATE POLICY everyone ON {pipeline}.lineage USING (true)",
        "row level security": "ALTER TABLE {pipeline}.lineage ENABLE ROW LEVEL SECURITY",
        "type": "CREATE TYPE {pipeline}.mood AS ENUM ('sure')",
        "sequence": "CREATE SEQUENCE {pipeline}.counter",
        "table": "CREATE TABLE {pipeline}.backup_8_attendance (id bigint)",  # named like a snapshot, no manifest
        "index": "CREATE INDEX lineage_by_row ON {pipeline}.lineage (row_id)",
    }
    with setup.as_login() as conn:
        for statement in planted.values():
            conn.execute(
                sql.SQL(statement).format(sis=sql.Identifier(setup.sis), pipeline=sql.Identifier(setup.pipeline))
            )

    refusal = setup.refused()

    named = [
        f"view {setup.pipeline}.recent_lineage (owned by {setup.role})",
        f"rule forget_one on {setup.pipeline}.lineage: CREATE RULE forget_one AS",
        f"policy everyone on {setup.pipeline}.lineage",
        f"row level security on {setup.pipeline}.lineage",
        f"type {setup.pipeline}.mood (owned by {setup.role})",
        f"sequence {setup.pipeline}.counter (owned by {setup.role})",
        f"table {setup.pipeline}.backup_8_attendance (owned by {setup.role})",
        f"index {setup.pipeline}.lineage_by_row on lineage",
    ]
    assert [name for name in named if name not in refusal] == []

    dropped = setup.succeeds(DROP)

    assert [name for name in named if f"dropped ({DROP}): {name}" not in dropped] == []
    assert attached_to_pipeline_tables(setup) == manifest_triggers
    assert (
        setup.q(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = %s::regnamespace "
            "AND c.relname IN ('recent_lineage', 'counter', 'backup_8_attendance', 'lineage_by_row') "
            "UNION ALL SELECT typname FROM pg_type WHERE typname = 'mood'",
            setup.pipeline,
        )
        == []
    )
    assert "none" in setup.succeeds().split("did not create: ")[1].splitlines()[0]


def test_the_manifest_lists_exactly_what_the_migrations_create(sis_conn: psycopg.Connection) -> None:
    """Migrate a fresh schema and list every object in and on it: a migration that adds an object (a table, a
    function, a trigger, a type...) must add it to roles.MIGRATION_OBJECTS, or the setup refuses it."""
    from attendance_bridge.db import migrations, setup_checks
    from attendance_bridge.db.roles import MIGRATION_OBJECTS

    schema = f"ab_manifest_{uuid.uuid4().hex[:8]}"
    try:
        migrations.migrate(sis_conn, schema)
        tables = [
            name
            for (name,) in sis_conn.execute(
                "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind IN ('r', 'p')",
                [schema],
            )
        ]
        created = {found.key for found in setup_checks.pipeline_objects(sis_conn, schema, tables, [])}
    finally:
        sis_conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
    assert len(set(MIGRATION_OBJECTS)) == len(MIGRATION_OBJECTS), "MIGRATION_OBJECTS lists an object twice"
    assert sorted(created - set(MIGRATION_OBJECTS)) == [], "the migrations create these: add them to MIGRATION_OBJECTS"
    assert sorted(set(MIGRATION_OBJECTS) - created) == [], "the migrations no longer create these"
