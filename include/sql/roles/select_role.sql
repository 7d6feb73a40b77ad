-- Whether a role exists, and whether it may log in.
SELECT rolname, rolcanlogin FROM pg_catalog.pg_roles WHERE rolname = %(name)s
