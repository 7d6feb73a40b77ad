-- The migrations' tables and functions in the pipeline schema that another role owns (the pipeline
-- role, under an earlier version of the setup): they go to the owner role. Snapshot tables
-- (backup_<n>_attendance, backup_<n>_attendance_time) stay with the pipeline, which makes and drops them.
SELECT 'table' AS kind, format('%%I.%%I', n.nspname, c.relname) AS object
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %(pipeline_schema)s AND c.relkind IN ('r', 'p')
  AND pg_catalog.pg_get_userbyid(c.relowner) <> %(owner)s
  AND c.relname !~ '^backup_[0-9]+_attendance(_time)?$'
UNION ALL
SELECT 'function', p.oid::regprocedure::text
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = %(pipeline_schema)s AND pg_catalog.pg_get_userbyid(p.proowner) <> %(owner)s
ORDER BY 1, 2
