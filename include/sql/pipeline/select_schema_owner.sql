-- Who owns the pipeline schema, and whether the current user may apply migrations to it: as the
-- schema's owner (directly or by membership with its rights) or as a superuser.
SELECT
    pg_get_userbyid(n.nspowner) AS owner,
    pg_has_role(current_user, n.nspowner, 'USAGE') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
        AS may_migrate
FROM pg_namespace AS n
WHERE n.nspname = %(schema)s
