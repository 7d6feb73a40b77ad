"""The database administrator's command: set up (again) the pipeline's roles and privileges, and migrate its
schema as its owner (``db.roles.set_up``; why, and what it grants: docs/safety.md). Idempotent.

    PGHOST=sis-db.example.org PGDATABASE=sis PGUSER=dba \\
        python -m attendance_bridge.database_setup --sis-schema public
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import psycopg

from attendance_bridge.config import DEFAULT_SIS_SCHEMA, PIPELINE_SCHEMA
from attendance_bridge.db.roles import DEFAULT_LOGIN, DEFAULT_OWNER, DEFAULT_ROLE, Names, set_up
from attendance_bridge.errors import MigrationChanged

log = logging.getLogger("attendance_bridge.database_setup")


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: connects with libpq's environment (PGHOST, PGUSER, ...) or --dsn, as the administrator."""
    parser = argparse.ArgumentParser(
        prog="python -m attendance_bridge.database_setup",
        description="Set up (again) the pipeline's database roles and privileges and migrate its schema as its "
        "owner. Idempotent. Connect as a database administrator (libpq environment or --dsn).",
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
            result = set_up(conn, names, password)
    except (psycopg.Error, ValueError, MigrationChanged) as exc:
        print(f"database_setup: nothing was changed: {exc}", file=sys.stderr)
        return 1
    log.info("roles created: %s", ", ".join(result.created_roles) or "none (they exist)")
    log.info("objects handed to %s: %s", names.owner, ", ".join(result.handed_over) or "none")
    log.info("migrations applied as %s: %s", names.owner, ", ".join(result.migrations) or "none (up to date)")
    if result.others_functions:
        log.warning(
            "functions in schema %s that the setup did not make and left to their owners (check them): %s",
            names.pipeline_schema, ", ".join(result.others_functions),
        )  # fmt: skip
    log.info(
        "%s may read the SIS, insert attendance (sequences %s) and append lineage; %s owns schema %s%s",
        names.role, ", ".join(result.sequences) or "none", names.owner, names.pipeline_schema,
        f"; {names.login} logs in as {names.role}" + (" (password set)" if result.password_set else "")
        if names.login else "",
    )  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
