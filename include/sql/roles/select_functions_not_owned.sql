-- Functions of the pipeline schema that the owner role does not own, after the migrations: the
-- migrations' functions must be the owner's (they run with its rights); anything else is the
-- pipeline's own, which the setup reports and never hands over.
SELECT p.oid::regprocedure::text AS function, pg_catalog.pg_get_userbyid(p.proowner) AS owner,
    p.proname IN ('require_sis_tables', 'check_new_lineage_rows', 'check_new_load_log_rows', 'lock_sis_tables',
                  'roll_back_run_rows') AS migration_function
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname = %(pipeline_schema)s AND pg_catalog.pg_get_userbyid(p.proowner) <> %(owner)s
ORDER BY 1
