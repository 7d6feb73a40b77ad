"""The database administrator's command: set up (again) the pipeline's roles and privileges, and migrate its
schema as its owner (``db.roles.set_up``; why, and what it grants: docs/safety.md). Idempotent.

    PGHOST=sis-db.example.org PGDATABASE=sis PGUSER=dba \\
        python -m attendance_bridge.database_setup --sis-schema public

It refuses, changing nothing and naming each, when the pipeline's login or role may do more than it grants
them (through any role, or PUBLIC) or the pipeline schema holds objects its migrations did not create;
``--revoke-other-grants`` and ``--drop-other-objects`` take them away instead, each named in the output.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import psycopg

from attendance_bridge.config import DEFAULT_SIS_SCHEMA, PIPELINE_SCHEMA
from attendance_bridge.db.roles import (
    DEFAULT_LOGIN,
    DEFAULT_OWNER,
    DEFAULT_ROLE,
    DROP_FLAG,
    REVOKE_FLAG,
    Names,
    set_up,
)
from attendance_bridge.errors import MigrationChanged

log = logging.getLogger("attendance_bridge.database_setup")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: connects with libpq's environment (PGHOST, PGUSER, ...) or --dsn, as the administrator."""
    parser = argparse.ArgumentParser(
        prog="python -m attendance_bridge.database_setup",
        description="Set up (again) the pipeline's database roles and privileges and migrate its schema as its "
        "owner. Idempotent. Connect as a database administrator (libpq environment or --dsn). In one transaction: "
        "when the login or the pipeline role may do more than the setup grants them (write, lock or alter a SIS "
        "table, write a pipeline table, create in the pipeline schema, act as its owner or a superuser...: "
        "directly, through any role or PUBLIC), or the pipeline schema holds objects its migrations did not "
        "create (triggers, rules, policies, functions, views, types...), it changes nothing and names each, "
        "unless told to take them away.",
    )
    parser.add_argument("--dsn", default="", help="libpq connection string (default: the PG* environment variables)")
    parser.add_argument("--sis-schema", default=DEFAULT_SIS_SCHEMA, help="the schema of the SIS tables")
    parser.add_argument("--pipeline-schema", default=PIPELINE_SCHEMA, help="the pipeline's own schema")
    parser.add_argument("--role", default=DEFAULT_ROLE, help="the pipeline's role (no login)")
    parser.add_argument("--owner", default=DEFAULT_OWNER, help="the pipeline schema's owner role (no login)")
    parser.add_argument("--login", default=DEFAULT_LOGIN, help="the user Airflow logs in as; '' for none")
    parser.add_argument(
        "--login-password-env",
        metavar="VARIABLE",
        help="set the login's password from this environment variable (never pass a password as an argument)",
    )
    parser.add_argument(
        REVOKE_FLAG,
        action="store_true",
        help="revoke what the login and the pipeline role may do beyond the setup's grants instead of refusing: "
        "their own grants (as the grantor), their memberships in the roles it comes through, their own "
        "SUPERUSER, CREATEROLE, BYPASSRLS, and PUBLIC's grants in the pipeline schema; never another role's "
        "rights (a PUBLIC grant on a SIS table, an object they own: still refused). Each is named",
    )
    parser.add_argument(
        DROP_FLAG,
        action="store_true",
        help="drop the objects in and on the pipeline schema that its migrations did not create instead of "
        "refusing (triggers, rules, policies and row level security on its tables, functions, views, types, "
        "tables other than the runs' snapshots, event triggers calling a function of the schema or of the "
        "login's...), each without CASCADE and named; what it cannot drop is still refused",
    )
    arguments = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    password = None
    if arguments.login_password_env:
        password = os.environ.get(arguments.login_password_env)
        if not password:
            parser.error(f"the environment variable {arguments.login_password_env} is empty or not set")
    names = Names(
        arguments.sis_schema, arguments.pipeline_schema, arguments.role, arguments.owner, arguments.login or None
    )
    try:
        with psycopg.connect(arguments.dsn, autocommit=True) as conn:
            result = set_up(
                conn, names, password,
                revoke_other_grants=arguments.revoke_other_grants, drop_other_objects=arguments.drop_other_objects,
            )  # fmt: skip
    except (psycopg.Error, ValueError, MigrationChanged) as exc:
        print(f"database_setup: nothing was changed: {exc}", file=sys.stderr)
        return 1
    log.info("roles created: %s", ", ".join(result.created_roles) or "none (they exist)")
    for dropped in result.dropped:
        log.warning("dropped (%s): %s", DROP_FLAG, dropped)
    log.info(
        "objects in or on schema %s its migrations did not create: %s", names.pipeline_schema,
        f"{len(result.dropped)} dropped" if result.dropped else "none",
    )  # fmt: skip
    for revoked in result.revoked:
        log.warning("revoked (%s): %s", REVOKE_FLAG, revoked)
    log.info(
        "grants beyond the setup's to %s: %s", " and ".join(filter(None, (names.login, names.role))),
        f"{len(result.revoked)} revoked" if result.revoked else "none",
    )  # fmt: skip
    log.info("objects handed to %s: %s", names.owner, ", ".join(result.handed_over) or "none")
    log.info("migrations applied as %s: %s", names.owner, ", ".join(result.migrations) or "none (up to date)")
    log.info(
        "%s may read the SIS and call the owner's functions, which insert attendance (sequences %s), write the "
        "lineage and backups and roll runs back; %s owns schema %s%s",
        names.role, ", ".join(result.sequences) or "none", names.owner, names.pipeline_schema,
        f"; {names.login} logs in as {names.role}" + (" (password set)" if result.password_set else "")
        if names.login else "",
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
