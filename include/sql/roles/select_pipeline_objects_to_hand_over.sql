-- The migrations' own tables in the pipeline schema that another role owns (the pipeline role,
-- under an earlier version of the setup): they go to the owner role. Nothing else is handed over:
-- a table or function the pipeline made itself (its snapshot tables, or anything else it created
-- with its CREATE on the schema) stays the pipeline's, so the setup never gives it the owner's rights.
SELECT 'table' AS kind, format('%%I.%%I', n.nspname, c.relname) AS object
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = %(pipeline_schema)s AND c.relkind IN ('r', 'p')
  AND pg_catalog.pg_get_userbyid(c.relowner) <> %(owner)s
  AND c.relname IN (
      'schema_migrations', 'run_log', 'lineage', 'load_log', 'backup', 'backup_attendance', 'backup_attendance_time'
  )
ORDER BY 2
