"""The database administrator's setup: the pipeline's roles, their privileges, and its schema migrated by its owner.

X6 and X7 are guaranteed by the database, not only by the code (docs/safety.md): the pipeline
logs in as a user that can read the SIS and write its run log, and writes no SIS row, lineage,
backup or rollback mark itself; the pipeline schema and its functions belong to an owner role
nobody logs in as, whose functions insert a run's rows with their lineage
(``insert_run_records``), take its backup (``take_backup``) and delete only rows a run's own load
inserted while marking it rolled back (``roll_back_run_rows``). Run it as a superuser (or a role that owns the SIS tables, may create
roles, and may act as the roles it hands objects to), after a SIS upgrade and after every upgrade
of attendance-bridge: it is idempotent and leaves exactly these privileges.
The command is ``python -m attendance_bridge.database_setup`` (README, "District deployment").

It trusts nothing it did not grant or create (issue 30): what the login and the pipeline role may do
beyond its grants, through any role or PUBLIC, and any object in or on the pipeline schema that is
not in ``MIGRATION_OBJECTS`` (nor a run's snapshot table) make it refuse, naming each, unless told to
revoke or drop them (``setup_checks``).

Every statement is a file of ``include/sql/roles/``; names are quoted identifiers, never values (the
revocations and drops are composed by the catalog queries, with format's %I, from the catalog's names).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace

import psycopg
from psycopg import sql

from attendance_bridge.config import DEFAULT_SIS_SCHEMA, PIPELINE_SCHEMA
from attendance_bridge.db import migrations
from attendance_bridge.db import setup_checks as checks
from attendance_bridge.db.sql import load_sql

log = logging.getLogger(__name__)


DEFAULT_ROLE = "attendance_bridge_pipeline"


DEFAULT_OWNER = "attendance_bridge_owner"


DEFAULT_LOGIN = "attendance_bridge_airflow"


@dataclass(frozen=True)
class Names:
    """The roles and schemas the setup works on."""

    sis_schema: str = DEFAULT_SIS_SCHEMA
    pipeline_schema: str = PIPELINE_SCHEMA
    role: str = DEFAULT_ROLE
    owner: str = DEFAULT_OWNER
    login: str | None = DEFAULT_LOGIN


# Every object the migrations create in the pipeline schema, as ``setup_checks.pipeline_objects`` names it
# (kind, then its identity within the schema; a trigger by its definition). The setup keeps these, the runs'
# snapshot tables and nothing else; tests/db/test_database_setup.py compares this list with what the
# migrations create on a fresh schema, so a migration that adds an object adds it here.
MIGRATION_OBJECTS: tuple[str, ...] = (
    # 0001-0006: the tables, the backup's identity sequence, their indexes and constraints (NOT NULL aside).
    "table schema_migrations",
    "table run_log",
    "table lineage",
    "table backup",
    "table backup_attendance",
    "table backup_attendance_time",
    "table load_log",
    "sequence backup_backup_id_seq",
    "constraint schema_migrations_pkey on schema_migrations",
    "constraint run_log_pkey on run_log",
    "constraint run_log_status_check on run_log",
    "index run_log_school_number_started_at_idx on run_log",
    "constraint lineage_table_name_check on lineage",
    "index lineage_run_id_idx on lineage",
    "index lineage_school_number_idx on lineage",
    "index lineage_table_name_row_id_idx on lineage",
    "constraint backup_backup_id_key on backup",
    "index backup_attendance_run_idx on backup_attendance",
    "index backup_attendance_time_run_idx on backup_attendance_time",
    "index load_log_run_idx on load_log",
    # 0007: the owner's functions and the triggers that check new lineage and load log rows.
    "function require_sis_tables(text)",
    "function check_new_lineage_rows()",
    "function check_new_load_log_rows()",
    "function lock_sis_tables(text, boolean)",
    (
        "trigger check_new_lineage_rows AFTER INSERT ON lineage REFERENCING NEW TABLE AS added_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION check_new_lineage_rows()"
    ),
    (
        "trigger check_new_load_log_rows AFTER INSERT ON load_log REFERENCING NEW TABLE AS added_rows "
        "FOR EACH STATEMENT EXECUTE FUNCTION check_new_load_log_rows()"
    ),
    # 0008: the owner's load, backup and rollback functions (roll_back_run_rows replaces 0007's, which becomes
    # delete_run_rows), the record type the load passes, and the triggers that refuse every other writer.
    "type new_record",
    "function writer_is_owner()",
    "function refuse_writes_but_the_owners()",
    "function guard_rollback_mark()",
    "function insert_run_records(text, text, text, bigint, text, new_record[])",
    "function take_backup(text, text, text, bigint, date, date)",
    "function held_backup(text, text)",
    "function delete_run_rows(text, text, text, boolean)",
    "function roll_back_run_rows(text, text, text, boolean, text)",
    (
        "trigger refuse_writes_but_the_owners BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON lineage "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes_but_the_owners()"
    ),
    (
        "trigger refuse_writes_but_the_owners BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON backup "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes_but_the_owners()"
    ),
    (
        "trigger refuse_writes_but_the_owners BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON backup_attendance "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes_but_the_owners()"
    ),
    (
        "trigger refuse_writes_but_the_owners BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON backup_attendance_time "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes_but_the_owners()"
    ),
    "trigger guard_rollback_mark BEFORE INSERT OR UPDATE ON run_log FOR EACH ROW EXECUTE FUNCTION guard_rollback_mark()",
    # 0009: copies follow their sources (F3-F6): the log of recodes and withdrawals, the change type the load
    # passes, the owner's function that makes them and the rollback's undo of them.
    "table followed",
    "sequence followed_followed_id_seq",
    "constraint followed_pkey on followed",
    "constraint followed_action_check on followed",
    "index followed_run_idx on followed",
    "index followed_attendance_id_idx on followed",
    "type copy_change",
    "function follow_run_copies(text, text, text, bigint, copy_change[])",
    "function undo_run_follows(text, text, text)",
    (
        "trigger refuse_writes_but_the_owners BEFORE INSERT OR DELETE OR UPDATE OR TRUNCATE ON followed "
        "FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes_but_the_owners()"
    ),
)

# What the setup does when it finds something it did not grant or create (docs/safety.md, "Set up").
REVOKE_FLAG = "--revoke-other-grants"
DROP_FLAG = "--drop-other-objects"


@dataclass
class SetupResult:
    """What the setup did, for its output."""

    created_roles: list[str] = field(default_factory=list)
    handed_over: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)
    password_set: bool = False
    # What it took away (--revoke-other-grants) and dropped (--drop-other-objects), each in words.
    revoked: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def set_up(
    conn: psycopg.Connection,
    names: Names,
    login_password: str | None = None,
    *,
    revoke_other_grants: bool = False,
    drop_other_objects: bool = False,
) -> SetupResult:
    """Roles, privileges and the migrated pipeline schema, in one transaction (all or nothing).

    Refuses, naming each, what the pipeline's login and role may do beyond the setup's grants and the
    objects in or on the pipeline schema the migrations did not create; ``revoke_other_grants`` and
    ``drop_other_objects`` take them away instead, each named in the result.
    """
    result = SetupResult()
    if len({names.role, names.owner, names.login}) < (3 if names.login else 2):
        raise ValueError("the pipeline role, the owner role and the login must be three different roles")
    subjects = [name for name in (names.login, names.role) if name]
    with conn.transaction():
        database = conn.execute("SELECT current_database()").fetchone()[0]
        identifiers = {
            "database": sql.Identifier(database),
            "sis_schema": sql.Identifier(names.sis_schema),
            "pipeline_schema": sql.Identifier(names.pipeline_schema),
            "role": sql.Identifier(names.role),
            "owner": sql.Identifier(names.owner),
        }
        if names.login:
            identifiers["login"] = sql.Identifier(names.login)

        def run(name: str, **more: sql.Composable) -> None:
            conn.execute(sql.SQL(load_sql(f"roles/{name}")).format(**{**identifiers, **more}))

        # First, before any statement an event trigger could see: what is in and on the pipeline schema.
        kept = _kept_tables(conn, names.pipeline_schema)
        found = checks.pipeline_objects(conn, names.pipeline_schema, kept, subjects)
        refusals = _other_objects(found, kept, names, drop_other_objects, conn, result)

        for role in (names.owner, names.role):
            if _role(conn, role) is None:
                run("create_role", role=sql.Identifier(role))
                result.created_roles.append(role)
        if names.login and _role(conn, names.login) is None:
            run("create_login")
            result.created_roles.append(names.login)
        run("comment_owner_role")
        run("comment_pipeline_role")
        for role in (names.role, names.owner):
            run("revoke_sis_privileges", role=sql.Identifier(role))
        run("grant_pipeline_sis_privileges")
        run("grant_owner_sis_privileges")
        for row in conn.execute(load_sql("roles/select_id_sequences"), {"sis_schema": names.sis_schema}):
            run("grant_sequence", sequence=sql.Identifier(*row))
            result.sequences.append(".".join(row))

        # The schema and every object the migrations made belong to the owner; the migrations run as it.
        run("create_pipeline_schema")
        run("alter_pipeline_schema_owner")
        if not conn.execute("SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user").fetchone()[0]:
            run("grant_owner_to_administrator")
        refusals += _other_grants(conn, names, subjects, revoke_other_grants, result)
        if refusals:
            raise ValueError("\n".join(refusals))

        for table in found:
            if table.kind == "table" and table.identity in kept and table.owner != names.owner:
                # The table's name comes from the catalog, already quoted (format %I).
                run("alter_table_owner", object=sql.SQL(table.qualified))
                result.handed_over.append(table.qualified)
        run("set_role")
        result.migrations = migrations.migrate(conn, names.pipeline_schema)
        run("reset_role")
        _check_migrated(conn, names, subjects)

        run("revoke_pipeline_schema_privileges")
        run("grant_pipeline_schema_privileges")
        if names.login:
            run("grant_login")
            if login_password is not None:
                run("set_login_password", password=sql.Literal(login_password))
                result.password_set = True
    return result


def _kept_tables(conn: psycopg.Connection, pipeline_schema: str) -> set[str]:
    """The migrations' tables and the runs' snapshot tables: what the setup hands to the owner and keeps."""
    return {key.removeprefix("table ") for key in MIGRATION_OBJECTS if key.startswith("table ")} | set(
        checks.snapshot_tables(conn, pipeline_schema)
    )


def _other_objects(
    found: list[checks.PipelineObject],
    kept: set[str],
    names: Names,
    drop: bool,
    conn: psycopg.Connection,
    result: SetupResult,
) -> list[str]:
    """Drops (``drop``) or names what is in or on the pipeline schema that the migrations did not create; the
    refusals. An event trigger refuses at once, before the setup's first statement could fire it."""
    snapshots = {f"table {name}" for name in kept}
    others = [
        # A trigger of the migrations' switched off (or on for replicas only) is theirs to look at, never dropped.
        replace(item, removal=None) if _switched(item.key) in MIGRATION_OBJECTS else item
        for item in found
        if item.key not in MIGRATION_OBJECTS and item.key not in snapshots
    ]
    if drop:
        result.dropped = checks.drop(conn, others)
        others = [found for found in others if not found.removal]
    if not others:
        return []
    message = (
        f"the pipeline schema {names.pipeline_schema} has objects its migrations did not create (triggers, rules, "
        f"policies, functions, views... would stay on the tables the setup hands to {names.owner}, or run with its "
        f"rights):{checks.listing(others)}\n"
        + (
            "the setup never drops these: an administrator removes them (a trigger of the migrations' switched off: "
            "ALTER TABLE ... ENABLE TRIGGER)"
            if drop
            else f"an administrator drops them, or runs the setup again with {DROP_FLAG} to drop each one it can "
            "(never with CASCADE), naming it"
        )
    )
    if any(found.kind == "event trigger" for found in others):
        raise ValueError(message)
    return [message]


def _switched(key: str) -> str:
    """A trigger's key without its state (``check_new_lineage_rows ... (disabled)``)."""
    return re.sub(r" \((disabled|replica only|always)\)$", "", key) if key.startswith("trigger ") else key


def _other_grants(
    conn: psycopg.Connection, names: Names, subjects: list[str], revoke: bool, result: SetupResult
) -> list[str]:
    """Revokes (``revoke``) or names what the login and the pipeline role may do beyond the setup's grants."""

    def find() -> list[checks.OtherGrant]:
        return checks.other_grants(conn, subjects, names.role, names.owner, names.sis_schema, names.pipeline_schema)

    if revoke:
        result.revoked, grants = checks.revoke(conn, find)
    else:
        grants = find()
    if not grants:
        return []
    kept = [grant for grant in grants if not grant.remedy]
    why = "a grant to PUBLIC on a SIS table is every role's, an object the login or the role owns needs another owner"
    if len(kept) == len(grants):
        advice = f"the setup never changes these ({why}): an administrator decides, knowing what else needs them:"
    else:
        advice = (
            f"an administrator revokes these, or runs the setup again with {REVOKE_FLAG}: it revokes the login's and "
            "the role's own grants, their memberships in the roles named and PUBLIC's grants in the pipeline schema, "
            "never another role's rights"
        ) + (
            f"; it never changes the others ({why}): an administrator decides, knowing what else needs them:"
            if kept
            else ""
        )
    advice += checks.listing(grant.done for grant in kept)
    return [f"{' and '.join(subjects)} may do more than the setup grants them:{checks.listing(grants)}\n{advice}"]


def _check_migrated(conn: psycopg.Connection, names: Names, subjects: list[str]) -> None:
    """After the migrations, the schema holds exactly the manifest's objects and the snapshot tables, all the
    owner's, its SECURITY DEFINER functions with their fixed search_path; refuses otherwise, naming each."""
    kept = _kept_tables(conn, names.pipeline_schema)
    found = checks.pipeline_objects(conn, names.pipeline_schema, kept, subjects)
    keys = {item.key for item in found}
    known = set(MIGRATION_OBJECTS) | {f"table {name}" for name in kept}
    problems = []
    if extra := [item for item in found if item.key not in known]:
        problems.append(
            "objects the migrations' manifest (MIGRATION_OBJECTS in attendance_bridge/db/roles.py) does not list, "
            f"made while the setup ran or by a migration not added to it:{checks.listing(extra)}"
        )
    if missing := [key for key in MIGRATION_OBJECTS if key not in keys]:
        problems.append(f"the migrations' objects missing or changed:{checks.listing(missing)}")
    if foreign := [item for item in found if item.key in known and item.owner and item.owner != names.owner]:
        # Made by someone else before the migrations ran, say: it would run with whoever owns it.
        problems.append(
            f"objects the migrations define but its owner {names.owner} does not own:{checks.listing(foreign)}"
        )
    if unsafe := [item for item in found if item.definer_unsafe]:
        problems.append(
            f"SECURITY DEFINER functions without the fixed search_path (pg_catalog, pg_temp):{checks.listing(unsafe)}"
        )
    if problems:
        raise ValueError(
            f"the pipeline schema {names.pipeline_schema}: "
            + "\n".join(problems)
            + "\na database administrator must look at them"
        )


def _role(conn: psycopg.Connection, name: str) -> tuple[str, bool] | None:
    return conn.execute(load_sql("roles/select_role"), {"name": name}).fetchone()
