"""The database administrator's setup: the pipeline's roles, their privileges, and its schema migrated by its owner.

X7 is guaranteed by the database, not only by the code (docs/safety.md): the pipeline logs in as
a user that can read the SIS, insert attendance and append lineage, and nothing that changes or
removes a row; the pipeline schema and its functions belong to an owner role nobody logs in as;
the rollback deletes through the owner's function ``roll_back_run_rows``, which deletes only rows
a run's own load inserted. Run it as a superuser (or a role that owns the SIS tables, may create
roles, and may act as the roles it hands objects to), after a SIS upgrade and after every upgrade
of attendance-bridge: it is idempotent and leaves exactly these privileges.
The command is ``python -m attendance_bridge.database_setup`` (README, "District deployment").

Every statement is a file of ``include/sql/roles/``; names are quoted identifiers, never values.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import psycopg
from psycopg import sql

from attendance_bridge.config import DEFAULT_SIS_SCHEMA, PIPELINE_SCHEMA
from attendance_bridge.db import migrations
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


@dataclass
class SetupResult:
    """What the setup did, for its output."""

    created_roles: list[str] = field(default_factory=list)
    handed_over: list[str] = field(default_factory=list)
    migrations: list[str] = field(default_factory=list)
    sequences: list[str] = field(default_factory=list)
    password_set: bool = False
    # Functions in the pipeline schema that another role made (never handed to the owner).
    others_functions: list[str] = field(default_factory=list)


def set_up(conn: psycopg.Connection, names: Names, login_password: str | None = None) -> SetupResult:
    """Roles, privileges and the migrated pipeline schema, in one transaction (all or nothing)."""
    result = SetupResult()
    if len({names.role, names.owner, names.login}) < (3 if names.login else 2):
        raise ValueError("the pipeline role, the owner role and the login must be three different roles")
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
        handover = conn.execute(
            load_sql("roles/select_pipeline_objects_to_hand_over"),
            {"pipeline_schema": names.pipeline_schema, "owner": names.owner},
        ).fetchall()
        for kind, name in handover:
            # The table's name comes from the catalog, already quoted (format %I).
            run(f"alter_{kind}_owner", object=sql.SQL(name))
            result.handed_over.append(name)
        run("set_role")
        result.migrations = migrations.migrate(conn, names.pipeline_schema)
        run("reset_role")
        not_owned = conn.execute(
            load_sql("roles/select_functions_not_owned"),
            {"pipeline_schema": names.pipeline_schema, "owner": names.owner},
        ).fetchall()
        foreign = [f"{function} (owned by {owner})" for function, owner, ours in not_owned if ours]
        if foreign:
            # A function of the migrations' names that the owner does not own was made by someone else
            # (before the migrations ran, say): it would run with whoever owns it. Nothing is changed.
            raise ValueError(
                f"the pipeline schema {names.pipeline_schema} has functions the migrations define but its owner "
                f"{names.owner} does not own: {', '.join(foreign)}; a database administrator must look at them"
            )
        result.others_functions = [f"{function} (owned by {owner})" for function, owner, _ in not_owned]

        run("revoke_pipeline_schema_privileges")
        run("grant_pipeline_schema_privileges")
        if names.login:
            run("grant_login")
            if login_password is not None:
                run("set_login_password", password=sql.Literal(login_password))
                result.password_set = True
    return result


def _role(conn: psycopg.Connection, name: str) -> tuple[str, bool] | None:
    return conn.execute(load_sql("roles/select_role"), {"name": name}).fetchone()
